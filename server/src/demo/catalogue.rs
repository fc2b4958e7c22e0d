//! The standard catalogue and hardware a new portal starts with. Both are loaded only into
//! empty tables, so operators' later changes are never overwritten.

use campus_core::requests::kind::Kind;
use campus_core::store::bookings::{self, NewDevice};
use campus_core::store::catalogue::{self, NewOffering, Size};
use campus_core::store::inventory::{self, NewHost};
use campus_core::{CoreError, Db};

fn size(code: &str, label: &str, cpu: u32, ram: u32, gpus: u32, storage: u32) -> Size {
    Size {
        code: code.into(),
        label: label.into(),
        cpu_cores: cpu,
        ram_gb: ram,
        gpus,
        storage_gb: storage,
    }
}

/// JupyterLab on the resource's socket, under the proxy's path, with the person's home as its
/// root. Its token comes from the environment (JUPYTER_TOKEN), never its command line.
pub const JUPYTERLAB: &str = r#"["jupyter-lab","--no-browser","--ServerApp.sock={socket}","--ServerApp.sock_mode=0600","--ServerApp.base_url={base_url}","--ServerApp.root_dir={home}","--ServerApp.allow_remote_access=True"]"#;

/// Loads the standard offerings when the catalogue is empty. The project database offering is
/// retired unless a PostgreSQL server for it is configured; an operator can offer it later.
pub async fn seed_catalogue(db: &Db, databases_configured: bool) -> Result<(), CoreError> {
    if !catalogue::list(db).await?.is_empty() {
        return Ok(());
    }
    let notebook_sizes = [
        size("small", "Small: 2 cores, 8 GB memory", 2, 8, 0, 20),
        size("medium", "Medium: 4 cores, 16 GB memory", 4, 16, 0, 50),
        size("large", "Large: 8 cores, 64 GB memory", 8, 64, 0, 100),
    ];
    let offerings = [
        NewOffering {
            slug: "jupyterlab",
            kind: Kind::Workspace,
            tool: "jupyterlab",
            name: "JupyterLab workspace",
            description: "Python notebooks with the Campus's standard libraries. Opens in your browser.",
            command: JUPYTERLAB,
            needs_approval: false,
            default_days: 30,
            extension_days: 30,
            max_extensions: 3,
            idle_stop_minutes: 240,
            retired: false,
            sizes: &notebook_sizes,
        },
        NewOffering {
            slug: "r-workspace",
            kind: Kind::Workspace,
            tool: "jupyterlab",
            name: "R workspace",
            description: "R notebooks in JupyterLab (the R kernel), with the Campus's R packages. Opens in your browser.",
            command: JUPYTERLAB,
            needs_approval: false,
            default_days: 30,
            extension_days: 30,
            max_extensions: 3,
            idle_stop_minutes: 240,
            retired: false,
            sizes: &notebook_sizes,
        },
        NewOffering {
            slug: "vscode",
            kind: Kind::Workspace,
            tool: "vscode",
            name: "VS Code workspace",
            description: "Visual Studio Code in the browser (code-server), for Python, R and Git.",
            command: r#"["code-server","--socket={socket}","--auth","none","--disable-telemetry","--disable-update-check","{home}"]"#,
            needs_approval: false,
            default_days: 30,
            extension_days: 30,
            max_extensions: 3,
            idle_stop_minutes: 240,
            retired: false,
            sizes: &notebook_sizes,
        },
        NewOffering {
            slug: "spark",
            kind: Kind::Workspace,
            tool: "jupyterlab",
            name: "Spark workspace",
            description: "JupyterLab with PySpark (Spark in local mode) for data too big for one notebook. Needs an operator's approval.",
            command: JUPYTERLAB,
            needs_approval: true,
            default_days: 14,
            extension_days: 14,
            max_extensions: 2,
            idle_stop_minutes: 120,
            retired: false,
            sizes: &[
                size("medium", "Medium: 8 cores, 32 GB memory", 8, 32, 0, 100),
                size("large", "Large: 16 cores, 64 GB memory", 16, 64, 0, 200),
            ],
        },
        NewOffering {
            slug: "gpu-jupyterlab",
            kind: Kind::Workspace,
            tool: "jupyterlab",
            name: "GPU workspace",
            description: "JupyterLab on an accelerator machine, for deep learning. Needs an operator's approval.",
            command: JUPYTERLAB,
            needs_approval: true,
            default_days: 14,
            extension_days: 7,
            max_extensions: 2,
            idle_stop_minutes: 60,
            retired: false,
            sizes: &[
                size("one-gpu", "One GPU: 8 cores, 32 GB memory", 8, 32, 1, 100),
                size("two-gpu", "Two GPUs: 12 cores, 64 GB memory", 12, 64, 2, 200),
            ],
        },
        NewOffering {
            slug: "dataset-storage",
            kind: Kind::Storage,
            tool: "directory",
            name: "Dataset storage",
            description: "A directory for a project's non-sensitive datasets, mounted into its workspaces.",
            command: "",
            needs_approval: false,
            default_days: 365,
            extension_days: 180,
            max_extensions: 4,
            idle_stop_minutes: 0,
            retired: false,
            sizes: &[
                size("100gb", "100 GB", 0, 0, 0, 100),
                size("500gb", "500 GB", 0, 0, 0, 500),
                size("2tb", "2 TB", 0, 0, 0, 2000),
            ],
        },
        NewOffering {
            slug: "project-database",
            kind: Kind::Storage,
            tool: crate::provision::postgres::TOOL,
            name: "Project database (PostgreSQL)",
            description: "A PostgreSQL database of the project's own, for tables too big or too shared for files. Download its connection settings once it is ready.",
            command: "",
            needs_approval: false,
            default_days: 365,
            extension_days: 180,
            max_extensions: 4,
            idle_stop_minutes: 0,
            retired: !databases_configured,
            sizes: &[
                size("10gb", "10 GB", 0, 0, 0, 10),
                size("50gb", "50 GB", 0, 0, 0, 50),
            ],
        },
        NewOffering {
            slug: "web-service",
            kind: Kind::WebService,
            tool: "command",
            name: "Published web service",
            description: "A web page or API to share findings, served from a directory you fill. Choose who may see it.",
            command: r#"["python3","-m","http.server","{port}","--bind","{host}","--directory","{home}"]"#,
            needs_approval: false,
            default_days: 90,
            extension_days: 90,
            max_extensions: 4,
            idle_stop_minutes: 0,
            retired: false,
            sizes: &[size("small", "Small: 1 core, 2 GB memory", 1, 2, 0, 5)],
        },
    ];
    for o in offerings {
        catalogue::insert(db, o).await?;
    }
    Ok(())
}

/// Loads the hardware when none is recorded: the Campus network's published size for demo
/// content (about 800 GHz, 2.5 TB memory, 100 TB storage, two data centres, five TPU machines
/// and GPU units), otherwise this machine alone.
pub async fn seed_inventory(db: &Db, demo: bool) -> Result<(), CoreError> {
    if !inventory::list_hosts(&mut *db.pool.acquire().await?)
        .await?
        .is_empty()
    {
        return Ok(());
    }
    if !demo {
        let site = inventory::insert_site(db, "LOCAL", "This machine").await?;
        let cores = std::thread::available_parallelism()
            .map(|n| n.get() as u32)
            .unwrap_or(1);
        let ram_gb = std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|m| {
                m.lines()
                    .find(|l| l.starts_with("MemTotal:"))
                    .and_then(|l| {
                        l.split_whitespace()
                            .nth(1)
                            .and_then(|k| k.parse::<u64>().ok())
                    })
            })
            .map(|kb| (kb / 1024 / 1024) as u32)
            .unwrap_or(4);
        inventory::insert_host(
            db,
            NewHost {
                site_id: site,
                name: "localhost",
                cores,
                mhz_per_core: 2000,
                ram_gb,
                storage_gb: 100,
                gpus: 0,
                gpu_model: "",
            },
        )
        .await?;
        return Ok(());
    }
    // Five TPU machines of four chips each, and GPU units (two A100s in data centre 1, two L40S in
    // data centre 2) added to one general host in each: the accelerators people book ahead.
    for (code, name, prefix) in [
        ("DC1", "Data centre 1", "dc1"),
        ("DC2", "Data centre 2", "dc2"),
    ] {
        let site = inventory::insert_site(db, code, name).await?;
        for n in 1..=4 {
            let gpus = if n == 1 { 2 } else { 0 };
            let (gpu_model, gpu_memory) = if code == "DC1" {
                (A100, 80)
            } else {
                (L40S, 48)
            };
            let host = inventory::insert_host(
                db,
                NewHost {
                    site_id: site,
                    name: &format!("{prefix}-cpu-{n:02}"),
                    cores: 32,
                    mhz_per_core: 2500,
                    ram_gb: 256,
                    storage_gb: 10_000,
                    gpus,
                    gpu_model: if gpus > 0 { gpu_model } else { "" },
                },
            )
            .await?;
            for slot in 0..gpus {
                let gpu = NewDevice {
                    host_id: host,
                    kind: "gpu",
                    model: gpu_model,
                    memory_gb: gpu_memory,
                    slot,
                };
                bookings::insert_device(db, gpu).await?;
            }
        }
        let tpu_hosts = if code == "DC1" { 3 } else { 2 };
        for n in 1..=tpu_hosts {
            let host = inventory::insert_host(
                db,
                NewHost {
                    site_id: site,
                    name: &format!("{prefix}-tpu-{n:02}"),
                    cores: 12,
                    mhz_per_core: 2500,
                    ram_gb: 96,
                    storage_gb: 4_000,
                    gpus: 0,
                    gpu_model: "",
                },
            )
            .await?;
            for slot in 0..4 {
                let chip = NewDevice {
                    host_id: host,
                    kind: "tpu",
                    model: "TPU v4",
                    memory_gb: 32,
                    slot,
                };
                bookings::insert_device(db, chip).await?;
            }
        }
    }
    Ok(())
}

const A100: &str = "NVIDIA A100 80GB";
const L40S: &str = "NVIDIA L40S 48GB";
