//! How the portal reaches a workload's server: a Unix socket in the resource's own directory
//! (local workloads), or a cluster job's gate on its node, which lets a connection through only
//! once it has answered the gate's challenge with the resource's secret. Used by the proxy and
//! by the drivers' readiness checks, so both reach a workload the same way.

use super::secrets;
use std::io;
use std::path::PathBuf;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Where a workload listens, as the portal connects to it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    Unix(PathBuf),
    /// `host:port` of a gate that challenges with `secret`.
    Gated {
        addr: String,
        secret: String,
    },
}

pub trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

/// How long a connection may take, challenge included.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

async fn open(target: &Target) -> io::Result<Box<dyn Stream>> {
    match target {
        Target::Unix(path) => Ok(Box::new(tokio::net::UnixStream::connect(path).await?)),
        Target::Gated { addr, secret } => {
            let mut s = tokio::net::TcpStream::connect(addr.as_str()).await?;
            s.set_nodelay(true)?;
            // The nonce line, read byte by byte: nothing after it may be swallowed.
            let mut nonce = Vec::with_capacity(33);
            let mut byte = [0u8; 1];
            while nonce.len() < 64 {
                if s.read(&mut byte).await? == 0 {
                    return Err(io::Error::new(
                        io::ErrorKind::ConnectionAborted,
                        "the gate closed before its challenge",
                    ));
                }
                if byte[0] == b'\n' {
                    break;
                }
                nonce.push(byte[0]);
            }
            let nonce = String::from_utf8_lossy(&nonce);
            s.write_all(format!("{}\n", secrets::answer(secret, &nonce)).as_bytes())
                .await?;
            Ok(Box::new(s))
        }
    }
}

pub async fn connect(target: &Target) -> io::Result<Box<dyn Stream>> {
    tokio::time::timeout(CONNECT_TIMEOUT, open(target))
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "the workload did not answer"))?
}

/// The status of a GET of `path`, sent with `authorization` if given; None when nothing
/// answered. For readiness checks.
pub async fn status_of(target: &Target, path: &str, authorization: Option<&str>) -> Option<u16> {
    let attempt = async {
        let mut s = connect(target).await.ok()?;
        let auth = authorization
            .map(|a| format!("Authorization: {a}\r\n"))
            .unwrap_or_default();
        s.write_all(
            format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n{auth}Connection: close\r\n\r\n")
                .as_bytes(),
        )
        .await
        .ok()?;
        let mut head = [0u8; 16];
        let mut n = 0;
        while n < 12 {
            let got = s.read(&mut head[n..]).await.ok()?;
            if got == 0 {
                break;
            }
            n += got;
        }
        let line = std::str::from_utf8(&head[..n]).ok()?;
        line.strip_prefix("HTTP/1.")?.get(2..5)?.parse().ok()
    };
    tokio::time::timeout(Duration::from_secs(3), attempt)
        .await
        .ok()
        .flatten()
}
