//! fuse-metrics — what an operator scrapes from a `fuse-l2` process (docs/guides/operator.md,
//! "Watch it"): the process's Prometheus recorder ([`install`]), a small HTTP server for
//! `GET /metrics` and `GET /health` ([`serve`]), and [`Heartbeat`], which a loop beats after
//! each round that worked so that a stalled one can be told from an idle one.
//!
//! It may depend on no other crate of the workspace and knows nothing of the rollup: the
//! figures are recorded through the `metrics` facade by the crates that own them (each has a
//! `metrics` module naming and describing its own), and what makes a process unhealthy is
//! decided by the process that serves it (`fuse_node::ops`).
//!
//! The server is for an operator's scraper, on an address the operator chooses (nothing is
//! served unless asked): it answers two paths, holds at most [`MAX_CONNECTIONS`] connections
//! and closes each after [`CONNECTION_DEADLINE`], so a client that never finishes costs a
//! slot for a while, never the process.
//!
//! With the feature `progress`, [`progress`] draws the binaries' progress bars: what a person
//! watching a long command sees, drawn only on a terminal.
#![forbid(unsafe_code)]

#[cfg(feature = "progress")]
pub mod progress;

use std::convert::Infallible;
use std::fmt::Display;
use std::io::{Read as _, Write as _};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode, header};
use hyper_util::rt::TokioIo;
use metrics_exporter_prometheus::PrometheusBuilder;
pub use metrics_exporter_prometheus::PrometheusHandle;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;

/// Connections the server holds at once; more wait in the kernel's accept queue.
pub const MAX_CONNECTIONS: usize = 32;
/// How long one connection may stay open (a scraper reconnects; one that never finishes a
/// request gives its slot back).
pub const CONNECTION_DEADLINE: Duration = Duration::from_secs(30);

/// The content type of Prometheus' text exposition format.
const TEXT_FORMAT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The recorder, once installed: `metrics` allows one per process.
static HANDLE: Mutex<Option<PrometheusHandle>> = Mutex::new(None);

/// Installs the Prometheus recorder as the process's `metrics` recorder, once; later calls
/// return the same handle. Figures recorded before it are lost (the facade drops them), so a
/// process installs it before starting what records.
pub fn install() -> Result<PrometheusHandle, String> {
    let mut slot = HANDLE.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(h) = slot.as_ref() {
        return Ok(h.clone());
    }
    let handle = PrometheusBuilder::new()
        .install_recorder()
        .map_err(|e| format!("installing the metrics recorder: {e}"))?;
    *slot = Some(handle.clone());
    Ok(handle)
}

/// What `/health` answers: `200` when healthy, `503` when not, with a JSON body either way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HealthAnswer {
    /// Whether the process is healthy (`200`) or not (`503`).
    pub healthy: bool,
    /// The JSON body: what was checked and, when unhealthy, why.
    pub body: String,
}

/// Decides `/health` at each request. It must be quick: it runs on the server's task.
pub type HealthCheck = Arc<dyn Fn() -> HealthAnswer + Send + Sync>;

/// A page other than `/metrics` and `/health`: its content type and body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page {
    /// Its `Content-Type`.
    pub content_type: &'static str,
    /// Its body.
    pub body: String,
}

/// Answers the other paths (`None`: 404). It must be quick: it runs on the server's task.
pub type Pages = Arc<dyn Fn(&str) -> Option<Page> + Send + Sync>;

/// Serves `GET /metrics` (the recorder's figures, Prometheus' text format) and
/// `GET /health` (`health`'s verdict) on `addr` (port 0: any free port). Returns the bound
/// address and the server's task (aborting it stops the server).
pub async fn serve(
    addr: SocketAddr,
    handle: PrometheusHandle,
    health: HealthCheck,
) -> std::io::Result<(SocketAddr, JoinHandle<()>)> {
    serve_with_pages(addr, handle, health, Arc::new(|_| None)).await
}

/// [`serve`], answering every other path with `pages`.
pub async fn serve_with_pages(
    addr: SocketAddr,
    handle: PrometheusHandle,
    health: HealthCheck,
    pages: Pages,
) -> std::io::Result<(SocketAddr, JoinHandle<()>)> {
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let task = tokio::spawn(async move {
        loop {
            let Ok(slot) = slots.clone().acquire_owned().await else {
                return;
            };
            let stream = match listener.accept().await {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors, say: wait rather than spin.
                    tracing::debug!(error = %e, "metrics server: accepting a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            let (handle, health, pages) = (handle.clone(), health.clone(), pages.clone());
            tokio::spawn(async move {
                let service = service_fn(move |req: Request<Incoming>| {
                    let answer = respond(&req, &handle, &health, &pages);
                    async move { Ok::<_, Infallible>(answer) }
                });
                let conn = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
                let _ = tokio::time::timeout(CONNECTION_DEADLINE, conn).await;
                drop(slot);
            });
        }
    });
    Ok((local, task))
}

fn respond(
    req: &Request<Incoming>,
    handle: &PrometheusHandle,
    health: &HealthCheck,
    pages: &Pages,
) -> Response<Full<Bytes>> {
    let answer = |status: StatusCode, kind: &str, body: String| {
        Response::builder()
            .status(status)
            .header(header::CONTENT_TYPE, kind)
            .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
            .body(Full::new(Bytes::from(body)))
            .expect("a valid response")
    };
    if req.method() != Method::GET {
        return answer(
            StatusCode::METHOD_NOT_ALLOWED,
            "text/plain",
            "GET /metrics or GET /health\n".into(),
        );
    }
    match req.uri().path() {
        "/metrics" => {
            // Without the exporter's own listener nothing else drains its histograms.
            handle.run_upkeep();
            answer(StatusCode::OK, TEXT_FORMAT, handle.render())
        }
        "/health" => {
            let h = health();
            let status = if h.healthy {
                StatusCode::OK
            } else {
                StatusCode::SERVICE_UNAVAILABLE
            };
            answer(status, "application/json", h.body + "\n")
        }
        path => match pages(path) {
            Some(p) => answer(StatusCode::OK, p.content_type, p.body),
            None => answer(
                StatusCode::NOT_FOUND,
                "text/plain",
                "GET /metrics or GET /health\n".into(),
            ),
        },
    }
}

/// `GET http://addr{path}` with a plain blocking client: the status code and the body. For
/// tests and scripts that look at a server of [`serve`] (answers are small and unchunked).
pub fn get(addr: SocketAddr, path: &str) -> std::io::Result<(u16, String)> {
    let mut s = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut raw = String::new();
    s.read_to_string(&mut raw)?;
    let bad = || std::io::Error::new(std::io::ErrorKind::InvalidData, "not an HTTP answer");
    let (head, body) = raw.split_once("\r\n\r\n").ok_or_else(bad)?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(bad)?;
    Ok((status, body.to_string()))
}

/// When a loop last completed a round that worked, and what failed since: shared between the
/// loop, which beats, and the health check, which reads. Clones share one heartbeat.
#[derive(Clone, Debug)]
pub struct Heartbeat(Arc<Mutex<Pulse>>);

/// A heartbeat as read at one moment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pulse {
    /// When the heartbeat was created (its loop started).
    pub since: Instant,
    /// When the loop last completed a round that worked.
    pub last_ok: Option<Instant>,
    /// The last failure since then, if any.
    pub error: Option<String>,
}

impl Pulse {
    /// How long the loop has gone without a round that worked, as of `now` (from its start if
    /// it never had one).
    pub fn silent_for(&self, now: Instant) -> Duration {
        now.saturating_duration_since(self.last_ok.unwrap_or(self.since))
    }
}

impl Default for Heartbeat {
    fn default() -> Self {
        Heartbeat::new()
    }
}

impl Heartbeat {
    /// A heartbeat whose loop starts now, with no round done yet.
    pub fn new() -> Heartbeat {
        Heartbeat(Arc::new(Mutex::new(Pulse {
            since: Instant::now(),
            last_ok: None,
            error: None,
        })))
    }

    fn pulse(&self) -> std::sync::MutexGuard<'_, Pulse> {
        // A panic elsewhere while it was held left two plain fields: still readable.
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A round worked: the loop is alive, and the last failure is over.
    pub fn beat(&self) {
        let mut p = self.pulse();
        p.last_ok = Some(Instant::now());
        p.error = None;
    }

    /// A round failed with `why` (kept for the health check's answer).
    pub fn fail(&self, why: impl Display) {
        self.pulse().error = Some(why.to_string());
    }

    /// The heartbeat now.
    pub fn read(&self) -> Pulse {
        self.pulse().clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn serves_the_figures_and_the_health_verdict() {
        let handle = install().unwrap();
        assert!(
            install().is_ok(),
            "a second install returns the same handle"
        );
        metrics::counter!("fuse_test_things_total", "kind" => "a").increment(3);
        let healthy = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let h = healthy.clone();
        let check: HealthCheck = Arc::new(move || {
            let ok = h.load(std::sync::atomic::Ordering::Relaxed);
            HealthAnswer {
                healthy: ok,
                body: format!("{{\"healthy\":{ok}}}"),
            }
        });
        let (addr, task) = serve("127.0.0.1:0".parse().unwrap(), handle, check)
            .await
            .unwrap();
        let get = |path: &'static str| tokio::task::spawn_blocking(move || get(addr, path));
        let (code, body) = get("/metrics").await.unwrap().unwrap();
        assert_eq!(code, 200);
        assert!(
            body.contains("fuse_test_things_total{kind=\"a\"} 3"),
            "{body}"
        );
        assert_eq!(
            get("/health").await.unwrap().unwrap(),
            (200, "{\"healthy\":true}\n".into())
        );
        healthy.store(false, std::sync::atomic::Ordering::Relaxed);
        assert_eq!(get("/health").await.unwrap().unwrap().0, 503);
        assert_eq!(get("/other").await.unwrap().unwrap().0, 404);
        task.abort();
    }

    #[test]
    fn a_heartbeat_counts_silence_from_its_last_good_round() {
        let hb = Heartbeat::new();
        let p = hb.read();
        assert_eq!(p.last_ok, None);
        let later = p.since + Duration::from_secs(5);
        assert_eq!(
            p.silent_for(later),
            Duration::from_secs(5),
            "from its start"
        );
        hb.fail("connection refused");
        assert_eq!(hb.read().error.as_deref(), Some("connection refused"));
        hb.beat();
        let p = hb.read();
        assert!(p.last_ok.is_some() && p.error.is_none(), "{p:?}");
        assert_eq!(p.silent_for(p.last_ok.unwrap()), Duration::ZERO);
    }
}
