//! The proxy's connections to workloads: HTTP/1.1 connections kept open per endpoint and reused
//! one request at a time.
//!
//! hyper-util's pooled client costs a spawned task and a channel for every request (to put the
//! connection back once the answer's body is read) and wants each endpoint dressed up as a host
//! name; this pool hands a connection back from the answer's body itself, the moment its last
//! byte is passed on. A connection whose answer was not read to the end, or that was upgraded
//! (WebSockets), is never reused.

use crate::provision::upstream::{connect, Target};
use axum::body::Body;
use hyper::body::{Body as HttpBody, Bytes, Frame, Incoming, SizeHint};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// How long an unused connection is kept.
const IDLE_FOR: Duration = Duration::from_secs(30);

/// Most unused connections kept per endpoint; more than a browser opens per host many times over.
const IDLE_PER_TARGET: usize = 256;

/// How often unused connections to every endpoint are looked over.
const SWEEP_EVERY: Duration = Duration::from_secs(10);

/// Why a request did not get an answer.
#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    #[error("cannot connect: {0}")]
    Connect(#[from] std::io::Error),
    #[error("{0}")]
    Http(#[from] hyper::Error),
}

type Idle = HashMap<Arc<Target>, Vec<(Instant, SendRequest<Body>)>>;

#[derive(Default)]
struct Pool {
    idle: Idle,
    next_sweep: Option<Instant>,
}

/// Connections to workloads, shared by every request the proxy passes on.
#[derive(Clone, Default)]
pub struct ProxyClient {
    pool: Arc<Mutex<Pool>>,
}

impl ProxyClient {
    /// Sends `req` (its URI a path and query) to `target` over an unused open connection, or a
    /// new one. A request that finds its reused connection closed under it is sent again on a
    /// fresh one; hyper hands it back whole when nothing of it was written.
    pub async fn send(
        &self,
        target: &Arc<Target>,
        mut req: Request<Body>,
    ) -> Result<Response<Body>, ProxyError> {
        while let Some(mut sender) = self.checkout(target) {
            if sender.ready().await.is_err() {
                continue;
            }
            match sender.try_send_request(req).await {
                Ok(res) => return Ok(self.answer(target, sender, res)),
                Err(mut e) => match e.take_message() {
                    Some(unsent) => req = unsent,
                    None => return Err(e.into_error().into()),
                },
            }
        }
        let stream = connect(target).await?;
        let (mut sender, conn) = http1::Builder::new()
            .handshake(TokioIo::new(stream))
            .await?;
        tokio::spawn(async move {
            if let Err(e) = conn.with_upgrades().await {
                tracing::debug!(error = %e, "a connection to a workload ended");
            }
        });
        let res = sender.send_request(req).await?;
        Ok(self.answer(target, sender, res))
    }

    /// The answer, whose body returns the connection once read to the end.
    fn answer(
        &self,
        target: &Arc<Target>,
        sender: SendRequest<Body>,
        res: Response<Incoming>,
    ) -> Response<Body> {
        let reusable = res.status() != hyper::StatusCode::SWITCHING_PROTOCOLS;
        res.map(|inner| {
            Body::new(Returning {
                inner,
                back: reusable.then(|| (self.clone(), target.clone(), sender)),
            })
        })
    }

    fn checkout(&self, target: &Arc<Target>) -> Option<SendRequest<Body>> {
        let mut pool = self.pool.lock().unwrap_or_else(|e| e.into_inner());
        let idle = pool.idle.get_mut(target)?;
        let now = Instant::now();
        while let Some((since, sender)) = idle.pop() {
            if !sender.is_closed() && now.duration_since(since) < IDLE_FOR {
                return Some(sender);
            }
        }
        None
    }

    fn checkin(&self, target: Arc<Target>, sender: SendRequest<Body>) {
        if sender.is_closed() {
            return;
        }
        let now = Instant::now();
        let mut pool = self.pool.lock().unwrap_or_else(|e| e.into_inner());
        if pool.next_sweep.is_none_or(|at| at <= now) {
            pool.idle.retain(|_, idle| {
                idle.retain(|(since, s)| !s.is_closed() && now.duration_since(*since) < IDLE_FOR);
                !idle.is_empty()
            });
            pool.next_sweep = Some(now + SWEEP_EVERY);
        }
        let idle = pool.idle.entry(target).or_default();
        if idle.len() < IDLE_PER_TARGET {
            idle.push((now, sender));
        }
    }

    /// Unused connections now open, for tests.
    pub fn idle_connections(&self) -> usize {
        let pool = self.pool.lock().unwrap_or_else(|e| e.into_inner());
        pool.idle.values().map(Vec::len).sum()
    }
}

/// An answer's body that puts its connection back in the pool after its last frame.
struct Returning {
    inner: Incoming,
    back: Option<(ProxyClient, Arc<Target>, SendRequest<Body>)>,
}

impl HttpBody for Returning {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(None) => self.give_back(),
            Poll::Ready(Some(Ok(_))) if self.inner.is_end_stream() => self.give_back(),
            // A broken answer leaves the connection in no state to reuse.
            Poll::Ready(Some(Err(_))) => self.back = None,
            _ => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Returning {
    fn give_back(&mut self) {
        if let Some((client, target, sender)) = self.back.take() {
            client.checkin(target, sender);
        }
    }
}

/// hyper's server stops polling a body that says it has ended, and never polls one that was
/// empty from the start: the connection goes back when the body is dropped, if all was read.
impl Drop for Returning {
    fn drop(&mut self) {
        if self.inner.is_end_stream() {
            self.give_back();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A directory of its own for each test's socket, removed afterwards.
    struct Dir(std::path::PathBuf);
    impl Dir {
        fn new(name: &str) -> Dir {
            let dir = std::env::temp_dir()
                .join(format!("campus-proxy-client-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            Dir(dir)
        }
        fn path(&self) -> &std::path::Path {
            &self.0
        }
    }
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// A backend on a Unix socket that counts the connections it accepts and answers
    /// `body_len` bytes; `close_after` requests on a connection, it closes it.
    async fn backend(
        dir: &std::path::Path,
        body_len: usize,
        close_after: Option<usize>,
    ) -> (Arc<Target>, Arc<AtomicUsize>) {
        let sock = dir.join("app.sock");
        let listener = tokio::net::UnixListener::bind(&sock).unwrap();
        let accepted = Arc::new(AtomicUsize::new(0));
        let counter = accepted.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                let served = Arc::new(AtomicUsize::new(0));
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |_req| {
                        let n = served.fetch_add(1, Ordering::SeqCst) + 1;
                        async move {
                            let mut res = Response::new(Body::from(vec![b'x'; body_len]));
                            if close_after.is_some_and(|c| n >= c) {
                                res.headers_mut()
                                    .insert("connection", "close".parse().unwrap());
                            }
                            Ok::<_, std::convert::Infallible>(res)
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        (Arc::new(Target::Unix(sock)), accepted)
    }

    fn get() -> Request<Body> {
        Request::builder()
            .uri("/")
            .header("host", "app")
            .body(Body::empty())
            .unwrap()
    }

    async fn read_all(res: Response<Body>) -> usize {
        axum::body::to_bytes(res.into_body(), usize::MAX)
            .await
            .unwrap()
            .len()
    }

    #[tokio::test]
    async fn answers_read_to_the_end_reuse_one_connection() {
        let dir = Dir::new("reuse");
        let (target, accepted) = backend(dir.path(), 100_000, None).await;
        let client = ProxyClient::default();
        for _ in 0..5 {
            let res = client.send(&target, get()).await.unwrap();
            assert_eq!(read_all(res).await, 100_000);
        }
        assert_eq!(accepted.load(Ordering::SeqCst), 1);
        assert_eq!(client.idle_connections(), 1);
    }

    #[tokio::test]
    async fn an_empty_answer_gives_its_connection_back_too() {
        let dir = Dir::new("empty");
        let (target, accepted) = backend(dir.path(), 0, None).await;
        let client = ProxyClient::default();
        for _ in 0..3 {
            drop(client.send(&target, get()).await.unwrap());
        }
        assert_eq!(accepted.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn an_answer_left_unread_never_lends_its_connection_out_again() {
        let dir = Dir::new("unread");
        let (target, accepted) = backend(dir.path(), 1_000_000, None).await;
        let client = ProxyClient::default();
        let first = client.send(&target, get()).await.unwrap();
        let mut stream = first.into_body().into_data_stream();
        assert!(stream.next().await.is_some());
        drop(stream);
        assert_eq!(client.idle_connections(), 0);
        let res = client.send(&target, get()).await.unwrap();
        assert_eq!(read_all(res).await, 1_000_000);
        assert_eq!(accepted.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_connection_the_backend_closed_is_not_reused() {
        let dir = Dir::new("closed");
        let (target, accepted) = backend(dir.path(), 10, Some(1)).await;
        let client = ProxyClient::default();
        for _ in 0..3 {
            let res = client.send(&target, get()).await.unwrap();
            assert_eq!(read_all(res).await, 10);
        }
        assert_eq!(accepted.load(Ordering::SeqCst), 3);
    }
}
