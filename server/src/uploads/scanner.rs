//! Malware scanning with clamd's INSTREAM command over TCP. Anything short of clamd's own
//! `stream: OK` — no scanner configured, unreachable, an error reply, a cut connection — is an
//! error, never "clean".

use std::path::Path;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// clamd's default StreamMaxLength is 25 MB; chunks well under it.
const CHUNK: usize = 64 * 1024;
/// A scan of a large file takes a while; a scanner silent for this long has failed.
const TIMEOUT: Duration = Duration::from_secs(120);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Clean,
    Infected(String),
}

#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("no malware scanner is configured (CLAMD_ADDR), so no upload can be accepted")]
    NotConfigured,
    #[error("the malware scanner at {addr} could not be reached: {source}")]
    Unreachable {
        addr: String,
        source: std::io::Error,
    },
    #[error("the malware scanner did not finish: {0}")]
    Failed(String),
}

pub struct Scanner {
    addr: Option<String>,
}

impl Scanner {
    pub fn new(addr: Option<String>) -> Scanner {
        Scanner { addr }
    }

    async fn connect(&self) -> Result<TcpStream, ScanError> {
        let addr = self.addr.as_deref().ok_or(ScanError::NotConfigured)?;
        tokio::time::timeout(Duration::from_secs(5), TcpStream::connect(addr))
            .await
            .map_err(|_| ScanError::Unreachable {
                addr: addr.to_owned(),
                source: std::io::ErrorKind::TimedOut.into(),
            })?
            .map_err(|source| ScanError::Unreachable {
                addr: addr.to_owned(),
                source,
            })
    }

    /// Scans a file by streaming it to clamd.
    pub async fn scan(&self, path: &Path) -> Result<Verdict, ScanError> {
        let mut stream = self.connect().await?;
        let io = |e: std::io::Error| ScanError::Failed(e.to_string());
        let work = async {
            stream.write_all(b"zINSTREAM\0").await.map_err(io)?;
            let mut file = tokio::fs::File::open(path).await.map_err(io)?;
            let mut buf = vec![0u8; CHUNK];
            loop {
                let n = file.read(&mut buf).await.map_err(io)?;
                if n == 0 {
                    break;
                }
                stream
                    .write_all(&(n as u32).to_be_bytes())
                    .await
                    .map_err(io)?;
                stream.write_all(&buf[..n]).await.map_err(io)?;
            }
            stream.write_all(&0u32.to_be_bytes()).await.map_err(io)?;
            let mut reply = Vec::new();
            stream.read_to_end(&mut reply).await.map_err(io)?;
            Ok::<_, ScanError>(reply)
        };
        let reply = tokio::time::timeout(TIMEOUT, work).await.map_err(|_| {
            ScanError::Failed(format!("no answer within {} s", TIMEOUT.as_secs()))
        })??;
        verdict(&reply)
    }
}

/// Reads clamd's reply to INSTREAM: `stream: OK`, `stream: <signature> FOUND`, or an error.
fn verdict(reply: &[u8]) -> Result<Verdict, ScanError> {
    let text = String::from_utf8_lossy(reply);
    let text = text.trim_end_matches(['\0', '\n']).trim();
    let body = text.strip_prefix("stream:").map(str::trim);
    match body {
        Some("OK") => Ok(Verdict::Clean),
        Some(b) if b.ends_with(" FOUND") => Ok(Verdict::Infected(
            b.trim_end_matches(" FOUND").trim().to_owned(),
        )),
        _ if text.is_empty() => Err(ScanError::Failed(
            "the scanner closed the connection without an answer".into(),
        )),
        _ => Err(ScanError::Failed(format!("the scanner answered {text:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_clamds_ok_is_clean_and_anything_unexpected_is_an_error() {
        assert_eq!(verdict(b"stream: OK\0").unwrap(), Verdict::Clean);
        assert_eq!(
            verdict(b"stream: Campus.Test.EICAR.UNOFFICIAL FOUND\0").unwrap(),
            Verdict::Infected("Campus.Test.EICAR.UNOFFICIAL".into())
        );
        assert!(verdict(b"").is_err());
        assert!(verdict(b"INSTREAM size limit exceeded. ERROR\0").is_err());
        assert!(verdict(b"stream: lstat() failed ERROR\0").is_err());
    }
}
