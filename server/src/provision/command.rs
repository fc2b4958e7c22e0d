//! The command line a workspace or web service runs, shared by every driver that runs programs.
//!
//! Offerings write their command with placeholders: `{host}` (the address to listen on),
//! `{port}`, `{base_url}` (the proxy path, for programs that can serve under a prefix) and
//! `{workdir}` (the person's files).

use super::driver::Spec;
use std::path::{Path, PathBuf};

/// The JupyterLab program: the configured one, the project's own venv, or one on PATH.
pub fn find_jupyter(configured: Option<&str>) -> Option<PathBuf> {
    if let Some(c) = configured {
        return Some(PathBuf::from(c));
    }
    let local = PathBuf::from(".local/jupyter/bin/jupyter-lab");
    if local.is_file() {
        return std::fs::canonicalize(local).ok();
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("jupyter-lab"))
            .find(|p| p.is_file())
    })
}

/// The offering's command template, or JupyterLab's own when the offering is a JupyterLab
/// workspace and JupyterLab is installed, or a plain web server over the files.
pub fn template(spec: &Spec, jupyter: Option<&Path>, as_root: bool) -> String {
    match (jupyter, spec.tool.as_str()) {
        (Some(j), "jupyterlab") => format!(
            "'{}' --no-browser --ip={{host}} --port={{port}} --ServerApp.base_url={{base_url}} \
             --IdentityProvider.token= --ServerApp.password= --ServerApp.root_dir={{workdir}} \
             --ServerApp.allow_remote_access=True{}",
            j.display(),
            // Containers and CI often run as root, where JupyterLab wants explicit consent.
            if as_root { " --allow-root" } else { "" }
        ),
        _ if !spec.command.trim().is_empty() => spec.command.clone(),
        _ => "python3 -m http.server {port} --bind {host} --directory {workdir}".to_owned(),
    }
}

/// Fills the placeholders. The result also says whether the program was told its base URL
/// (then the proxy keeps the path prefix when forwarding).
pub fn render(
    template: &str,
    host: &str,
    port: &str,
    base_url: &str,
    workdir: &str,
) -> (String, bool) {
    let keeps_prefix = template.contains("{base_url}");
    let cmd = template
        .replace("{host}", host)
        .replace("{port}", port)
        .replace("{base_url}", base_url)
        .replace("{workdir}", workdir);
    (cmd, keeps_prefix)
}

/// The last three non-empty lines of a program's log, joined, at most 500 characters: what a
/// failed program said last, for the person who asked for it. Empty when it said nothing.
pub fn log_tail(path: &std::path::Path) -> String {
    let log = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = log.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(3)..]
        .join(" / ")
        .chars()
        .take(500)
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_log_tail_is_the_last_three_lines_said() {
        let path = std::env::temp_dir().join(format!("campus-log-tail-{}", std::process::id()));
        std::fs::write(&path, "one\ntwo\n\nthree\nfour\n  \n").unwrap();
        assert_eq!(super::log_tail(&path), "two / three / four");
        std::fs::remove_file(&path).unwrap();
        assert_eq!(super::log_tail(&path), "", "no log, nothing said");
    }

    use super::*;

    #[test]
    fn placeholders_are_filled_and_a_base_url_means_the_prefix_is_kept() {
        let (cmd, keeps) = render(
            "serve --bind {host}:{port} --root {base_url} {workdir}",
            "127.0.0.1",
            "8001",
            "/s/cp-3/",
            "/data/cp-3/files",
        );
        assert_eq!(
            cmd,
            "serve --bind 127.0.0.1:8001 --root /s/cp-3/ /data/cp-3/files"
        );
        assert!(keeps);
        let (_, keeps) = render("serve {port}", "h", "1", "/s/x/", "/w");
        assert!(!keeps);
    }
}
