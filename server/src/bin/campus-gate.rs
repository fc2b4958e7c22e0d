//! campus-gate: the one door into a workload. It listens where the portal's proxy can reach,
//! forwards each connection to the workload's own server, and runs that server as its child,
//! ending when it ends (with its status) and passing on a request to stop.
//!
//! ```text
//! campus-gate --listen unix:PATH            --to tcp:127.0.0.1:PORT -- PROGRAM ARGS…
//! campus-gate --listen tcp:ADDR:LOW-HIGH --port-file FILE
//!             --challenge-env VAR           --to unix:PATH          -- PROGRAM ARGS…
//! ```
//!
//! Inside a sandbox (which has a network of its own) it turns a program that can only listen on
//! TCP into one reached through a Unix socket. On a cluster node, where any job on the node can
//! reach any port, it listens on a port in the allowed range and lets a connection through only
//! if it answers a challenge with the per-resource secret the portal derives: the gate writes a
//! fresh nonce (32 hex digits and a newline) and expects HMAC-SHA256(secret, nonce) in hex and a
//! newline before anything is forwarded. The secret itself never crosses the wire, so a process
//! that takes the port in the gate's place learns nothing it could replay.
//!
//! The secret is read from the environment and removed from it before the program starts.

use hmac::{Hmac, Mac};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

enum Listen {
    Unix(PathBuf),
    Tcp { addr: String, low: u16, high: u16 },
}

enum Upstream {
    Unix(PathBuf),
    Tcp(String),
}

struct Args {
    listen: Listen,
    port_file: Option<PathBuf>,
    secret: Option<Vec<u8>>,
    to: Upstream,
    program: Vec<String>,
}

fn usage(why: &str) -> String {
    format!(
        "campus-gate: {why}\nusage: campus-gate --listen unix:PATH|tcp:ADDR:LOW-HIGH [--port-file FILE] \
         [--challenge-env VAR] --to unix:PATH|tcp:HOST:PORT -- PROGRAM [ARGS…]"
    )
}

fn parse(mut raw: impl Iterator<Item = String>) -> Result<Args, String> {
    let (mut listen, mut port_file, mut secret, mut to) = (None, None, None, None);
    while let Some(flag) = raw.next() {
        if flag == "--" {
            break;
        }
        let value = raw
            .next()
            .ok_or_else(|| usage(&format!("{flag} needs a value")))?;
        match flag.as_str() {
            "--listen" => {
                listen = Some(if let Some(p) = value.strip_prefix("unix:") {
                    Listen::Unix(PathBuf::from(p))
                } else if let Some(t) = value.strip_prefix("tcp:") {
                    let (addr, range) = t
                        .rsplit_once(':')
                        .ok_or_else(|| usage("tcp: needs ADDR:LOW-HIGH"))?;
                    let (low, high) = range
                        .split_once('-')
                        .and_then(|(l, h)| Some((l.parse().ok()?, h.parse().ok()?)))
                        .filter(|(l, h): &(u16, u16)| l <= h && *l > 0)
                        .ok_or_else(|| usage("the port range must be LOW-HIGH"))?;
                    Listen::Tcp {
                        addr: addr.to_owned(),
                        low,
                        high,
                    }
                } else {
                    return Err(usage("--listen takes unix:PATH or tcp:ADDR:LOW-HIGH"));
                })
            }
            "--to" => {
                to = Some(if let Some(p) = value.strip_prefix("unix:") {
                    Upstream::Unix(PathBuf::from(p))
                } else if let Some(t) = value.strip_prefix("tcp:") {
                    Upstream::Tcp(t.to_owned())
                } else {
                    return Err(usage("--to takes unix:PATH or tcp:HOST:PORT"));
                })
            }
            "--port-file" => port_file = Some(PathBuf::from(value)),
            "--challenge-env" => {
                let s = std::env::var(&value).map_err(|_| usage(&format!("{value} is not set")))?;
                // SAFETY: called before any thread starts (the runtime is built afterwards).
                unsafe { std::env::remove_var(&value) };
                if s.len() < 16 {
                    return Err(usage(&format!("{value} is too short to be a secret")));
                }
                secret = Some(s.into_bytes());
            }
            other => return Err(usage(&format!("unknown flag {other}"))),
        }
    }
    let program: Vec<String> = raw.collect();
    if program.is_empty() {
        return Err(usage("no program to run"));
    }
    Ok(Args {
        listen: listen.ok_or_else(|| usage("--listen is required"))?,
        port_file,
        secret,
        to: to.ok_or_else(|| usage("--to is required"))?,
        program,
    })
}

enum Listener {
    Unix(tokio::net::UnixListener),
    Tcp(tokio::net::TcpListener),
}

trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

impl Listener {
    async fn accept(&self) -> std::io::Result<Box<dyn Stream>> {
        Ok(match self {
            Listener::Unix(l) => Box::new(l.accept().await?.0),
            Listener::Tcp(l) => {
                let (s, _) = l.accept().await?;
                s.set_nodelay(true)?;
                Box::new(s)
            }
        })
    }
}

async fn bind(listen: &Listen) -> Result<(Listener, Option<u16>), String> {
    match listen {
        Listen::Unix(path) => {
            use std::os::unix::fs::{FileTypeExt, PermissionsExt};
            // A socket left by an earlier run of this resource; anything else is not ours.
            if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_socket()) {
                let _ = std::fs::remove_file(path);
            }
            let l = tokio::net::UnixListener::bind(path)
                .map_err(|e| format!("cannot listen on {}: {e}", path.display()))?;
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
                .map_err(|e| format!("cannot restrict {}: {e}", path.display()))?;
            Ok((Listener::Unix(l), None))
        }
        Listen::Tcp { addr, low, high } => {
            use rand::Rng;
            let span = u32::from(*high - *low) + 1;
            for _ in 0..span.min(200) {
                let port = *low + rand::thread_rng().gen_range(0..span) as u16;
                if let Ok(l) = tokio::net::TcpListener::bind((addr.as_str(), port)).await {
                    return Ok((Listener::Tcp(l), Some(port)));
                }
            }
            Err(format!("no free port in {low}-{high} on {addr}"))
        }
    }
}

async fn connect(to: &Upstream) -> std::io::Result<Box<dyn Stream>> {
    Ok(match to {
        Upstream::Unix(p) => Box::new(tokio::net::UnixStream::connect(p).await?),
        Upstream::Tcp(a) => {
            let s = tokio::net::TcpStream::connect(a).await?;
            s.set_nodelay(true)?;
            Box::new(s)
        }
    })
}

/// The nonce → answer exchange; true when the peer knows the secret.
async fn challenge(stream: &mut Box<dyn Stream>, secret: &[u8]) -> bool {
    use rand::RngCore;
    let mut nonce = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut nonce);
    let nonce = hex::encode(nonce);
    if stream
        .write_all(format!("{nonce}\n").as_bytes())
        .await
        .is_err()
    {
        return false;
    }
    // Byte by byte: whatever follows the answer is the client's first request, and a buffered
    // read would swallow it. At most 200 bytes, so a silent peer cannot make it wait for ever.
    let mut answer = Vec::with_capacity(65);
    let read = tokio::time::timeout(Duration::from_secs(10), async {
        let mut byte = [0u8; 1];
        while answer.len() < 200 {
            if stream.read(&mut byte).await.ok()? == 0 {
                return None;
            }
            if byte[0] == b'\n' {
                return Some(());
            }
            answer.push(byte[0]);
        }
        None
    })
    .await;
    if !matches!(read, Ok(Some(()))) {
        return false;
    }
    let Ok(answer) = hex::decode(&answer) else {
        return false;
    };
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret).expect("any key size");
    mac.update(nonce.as_bytes());
    mac.verify_slice(&answer).is_ok()
}

async fn serve(listener: Listener, to: std::sync::Arc<Upstream>, secret: Option<Vec<u8>>) {
    let secret = std::sync::Arc::new(secret);
    loop {
        let Ok(mut client) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let (to, secret) = (to.clone(), secret.clone());
        tokio::spawn(async move {
            if let Some(s) = secret.as_deref() {
                if !challenge(&mut client, s).await {
                    return;
                }
            }
            // Not answering yet: the proxy sees the connection close and says so.
            let Ok(mut upstream) = connect(&to).await else {
                return;
            };
            let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
        });
    }
}

async fn run(args: Args) -> Result<ExitCode, String> {
    use tokio::signal::unix::{signal, SignalKind};
    let (listener, port) = bind(&args.listen).await?;
    if let (Some(file), Some(port)) = (&args.port_file, port) {
        std::fs::write(file, format!("{port}\n"))
            .map_err(|e| format!("cannot write {}: {e}", file.display()))?;
    }
    let mut child = tokio::process::Command::new(&args.program[0])
        .args(&args.program[1..])
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", args.program[0]))?;
    let mut term = signal(SignalKind::terminate()).map_err(|e| e.to_string())?;
    let mut int = signal(SignalKind::interrupt()).map_err(|e| e.to_string())?;
    let server = tokio::spawn(serve(listener, std::sync::Arc::new(args.to), args.secret));
    let status = loop {
        tokio::select! {
            status = child.wait() => break status.map_err(|e| e.to_string())?,
            _ = term.recv() => forward(&child, libc::SIGTERM),
            _ = int.recv() => forward(&child, libc::SIGINT),
        }
    };
    server.abort();
    if let Listen::Unix(path) = &args.listen {
        let _ = std::fs::remove_file(path);
    }
    use std::os::unix::process::ExitStatusExt;
    Ok(match (status.code(), status.signal()) {
        (Some(code), _) => ExitCode::from(code as u8),
        (None, Some(signal)) => ExitCode::from(128u8.saturating_add(signal as u8)),
        _ => ExitCode::FAILURE,
    })
}

fn forward(child: &tokio::process::Child, signal: i32) {
    if let Some(pid) = child.id() {
        // SAFETY: kill(2) on our own child's pid.
        unsafe { libc::kill(pid as i32, signal) };
    }
}

fn main() -> ExitCode {
    let args = match parse(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    match rt.block_on(run(args)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("campus-gate: {e}");
            ExitCode::from(111)
        }
    }
}
