//! fuse-serve — serving JSON-RPC to untrusted clients over HTTP: the node's L2 API and the
//! devnet's Ethereum endpoint both run behind this front (docs/spec/rpc.md, "Limits").
//!
//! It may depend on no other crate of the workspace: it knows HTTP, jsonrpsee and limits,
//! nothing of the rollup.
//!
//! jsonrpsee answers the calls; this module owns what comes before them, because that is
//! where a client that pays nothing can hold what every client needs:
//! - **The accept loop** counts connections in all and per client network (an IPv4 /24, an
//!   IPv6 /56: one machine rarely has more, and a handful of addresses must not multiply an
//!   attacker's share); one over either limit is answered `429` and closed at once.
//! - **HTTP/1.1 only**: JSON-RPC needs nothing of HTTP/2, whose streams would multiply every
//!   per-request bound below by the streams a connection may open.
//! - **Deadlines**: a connection must start a request within `header_timeout` of opening or
//!   of its last answer (idle ones are closed, silent ones too), send the request's headers
//!   within `header_timeout` (hyper's own timer) and its whole body within `body_timeout`
//!   (`408` otherwise), so no slot is held for ever, however little is sent.
//! - **The body is read and checked here**, copied into one buffer (so a body of one-byte
//!   chunks costs its bytes, not a buffer each), bounded by `max_body` however it is framed
//!   (`413`, at once when declared), and by `body_budget` for all connections together and a
//!   64th of it for one network's (a request waits for room, within its deadline). Answers
//!   count against the whole budget until they are written (`503` if there is no room), so
//!   clients that ask for big answers and never read them cannot hold more than it; headers
//!   are bounded by hyper's buffer (16 KiB, `431` over it). It is handed to jsonrpsee as bytes: not
//!   UTF-8 or not JSON is a parse error (`-32700`); a batch over `max_batch` entries, or an
//!   `id` that is not `null`, a string or an integer in `0..2^64`, is an invalid request
//!   (`-32600`) — jsonrpsee could not echo such an id, and answered `null`.
#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::{Request, Response, StatusCode, header};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use jsonrpsee::server::{
    HttpBody, HttpRequest, HttpResponse, Methods, Server, ServerConfig, ServerHandle, stop_channel,
};
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};
use tower::Service;

/// JSON-RPC's parse error and invalid request codes, and jsonrpsee's "request too big".
const PARSE_ERROR: i32 = -32700;
const INVALID_REQUEST: i32 = -32600;
const TOO_BIG: i32 = -32007;
/// The server has no room for the answer now (retry).
const BUSY: i32 = -32005;

/// What one server allows its clients (docs/spec/rpc.md, "Limits").
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Connections open at once, in all.
    pub max_connections: usize,
    /// Connections open at once from one client network (IPv4 /24, IPv6 /56).
    pub per_client: usize,
    /// Longest wait for a request's headers.
    pub header_timeout: Duration,
    /// Longest wait for a request's whole body, from its headers.
    pub body_timeout: Duration,
    /// Largest request body, in bytes.
    pub max_body: usize,
    /// Most calls in one batch.
    pub max_batch: usize,
    /// Body bytes held at once by all requests being read or answered.
    pub body_budget: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_connections: 4_096,
            per_client: 64,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            max_body: 512 * 1024,
            max_batch: 100,
            body_budget: 32 * 1024 * 1024,
        }
    }
}

/// Serves `methods` on `addr` behind `limits`, with jsonrpsee's per-call `config`. Returns the
/// bound address and the handle that stops it.
pub async fn start(
    addr: SocketAddr,
    methods: impl Into<Methods>,
    config: ServerConfig,
    limits: Limits,
) -> std::io::Result<(SocketAddr, ServerHandle)> {
    // A deep accept queue: refused reconnects from a flood must not crowd out other
    // clients' connection attempts (a full queue drops them, and the kernel retries in 1 s).
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    let listener: TcpListener = socket.listen(4_096)?;
    let local = listener.local_addr()?;
    let methods: Methods = methods.into();
    let (stop, handle) = stop_channel();
    let builder = Server::builder()
        .set_config(config)
        .to_service_builder()
        // The front counts connections; jsonrpsee's own guard must never refuse first.
        .max_connections(u32::try_from(limits.max_connections).unwrap_or(u32::MAX));
    let slots = Slots::default();
    let budget = Arc::new(Semaphore::new(limits.budget_kib()));
    tokio::spawn(async move {
        let stopped = stop.clone().shutdown();
        tokio::pin!(stopped);
        loop {
            let (socket, peer) = tokio::select! {
                _ = &mut stopped => break,
                accepted = listener.accept() => match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // Out of file descriptors, say: wait rather than spin.
                        tracing::debug!(error = %e, "accepting a connection");
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        continue;
                    }
                },
            };
            let Some(slot) = slots.take(network(peer.ip()), &limits) else {
                tokio::spawn(refuse(socket));
                continue;
            };
            let service = builder.clone().build(methods.clone(), stop.clone());
            let activity = Arc::new(Notify::new());
            let front = Front {
                inner: service,
                limits,
                budgets: [slot.share.clone(), budget.clone()],
                activity: activity.clone(),
            };
            let stopped = stop.clone().shutdown();
            tokio::spawn(async move {
                serve_connection(socket, front, activity, limits, stopped).await;
                drop(slot);
            });
        }
    });
    Ok((local, handle))
}

/// Serves one connection until it closes, fails its deadlines, or the server stops.
async fn serve_connection<S>(
    socket: TcpStream,
    front: S,
    activity: Arc<Notify>,
    limits: Limits,
    stopped: impl Future<Output = ()>,
) where
    S: Service<Request<Incoming>, Response = HttpResponse, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let _ = socket.set_nodelay(true);
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        // Headers and what is read ahead of a body: 16 KiB a connection, not hyper's ~400 KiB.
        .max_buf_size(16 * 1024);
    let conn = builder.serve_connection(TokioIo::new(socket), TowerToHyperService::new(front));
    tokio::pin!(conn, stopped);
    // Idle (no request started since it opened or since its last answer) for longer than
    // `header_timeout`: closed. A request in progress keeps it open (the front signals both
    // ends of each request), and a graceful shutdown lets one finish.
    let idle = tokio::time::sleep(limits.header_timeout);
    tokio::pin!(idle);
    loop {
        tokio::select! {
            res = &mut conn => {
                if let Err(e) = res {
                    tracing::debug!(error = %e, "a client connection ended");
                }
                return;
            }
            _ = &mut stopped => break,
            _ = activity.notified() => {
                let busy = limits.header_timeout + limits.body_timeout;
                idle.as_mut().reset(tokio::time::Instant::now() + busy);
            }
            _ = &mut idle => break,
        }
    }
    conn.as_mut().graceful_shutdown();
    let _ = tokio::time::timeout(limits.body_timeout, conn).await;
}

/// The network a client address counts against: its IPv4 /24 or IPv6 /56 (an IPv4 address
/// mapped into IPv6 counts as IPv4).
fn network(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            IpAddr::from([a, b, c, 0])
        }
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => network(IpAddr::V4(v4)),
            None => {
                let mut o = v6.octets();
                o[7..].fill(0);
                IpAddr::from(o)
            }
        },
    }
}

/// Answers a connection over a limit and closes it (within a second: the client may not read).
async fn refuse(mut socket: TcpStream) {
    let answer =
        b"HTTP/1.1 429 Too Many Requests\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
    let _ = tokio::time::timeout(Duration::from_secs(1), socket.write_all(answer)).await;
}

/// Open connections, in all and per client address.
#[derive(Clone, Default)]
#[allow(clippy::type_complexity)]
struct Slots(Arc<Mutex<(usize, HashMap<IpAddr, (usize, Arc<Semaphore>)>)>>);

/// One connection's place, given back when dropped, with its network's share of the body
/// budget (the entry, and its share, live while the network has a connection open).
struct Slot {
    slots: Slots,
    ip: IpAddr,
    share: Arc<Semaphore>,
}

impl Slots {
    fn take(&self, ip: IpAddr, limits: &Limits) -> Option<Slot> {
        let mut guard = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let (total, per) = &mut *guard;
        let (mine, share) = per
            .entry(ip)
            .or_insert_with(|| (0, Arc::new(Semaphore::new(limits.network_share_kib()))));
        if *total >= limits.max_connections || *mine >= limits.per_client {
            if *mine == 0 {
                per.remove(&ip);
            }
            return None;
        }
        *mine += 1;
        *total += 1;
        Some(Slot {
            slots: self.clone(),
            ip,
            share: share.clone(),
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut guard = self.slots.0.lock().unwrap_or_else(|p| p.into_inner());
        let (total, per) = &mut *guard;
        *total -= 1;
        if let Some((n, _)) = per.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                per.remove(&self.ip);
            }
        }
    }
}

impl Limits {
    /// The whole body budget, in KiB (at least one body).
    fn budget_kib(&self) -> usize {
        self.body_budget
            .div_ceil(1024)
            .max(self.max_body.div_ceil(1024))
    }

    /// One network's share of it: a 64th (at least one body), so it takes 64 networks, as
    /// many as fill the connection limit at 64 each, to hold all of it.
    fn network_share_kib(&self) -> usize {
        (self.budget_kib() / 64).max(self.max_body.div_ceil(1024))
    }
}

/// The per-connection service: reads and checks the body, then calls jsonrpsee.
#[derive(Clone)]
struct Front<S> {
    inner: S,
    limits: Limits,
    /// Body bytes this connection's network, and all connections, may hold at once (KiB).
    budgets: [Arc<Semaphore>; 2],
    /// Told when a request starts and when its answer is ready (the idle deadline).
    activity: Arc<Notify>,
}

impl<S> Service<Request<Incoming>> for Front<S>
where
    S: Service<HttpRequest, Response = HttpResponse> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: std::fmt::Display,
{
    type Response = HttpResponse;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<Incoming>) -> Self::Future {
        let mut inner = self.inner.clone();
        let limits = self.limits;
        let budgets = self.budgets.clone();
        let activity = self.activity.clone();
        activity.notify_one();
        Box::pin(async move {
            let answer = answer(&mut inner, req, &limits, budgets).await;
            activity.notify_one();
            Ok(answer)
        })
    }
}

/// Reads and checks a request, and has jsonrpsee answer it if it passes.
async fn answer<S>(
    inner: &mut S,
    req: Request<Incoming>,
    limits: &Limits,
    budgets: [Arc<Semaphore>; 2],
) -> HttpResponse
where
    S: Service<HttpRequest, Response = HttpResponse>,
    S::Error: std::fmt::Display,
{
    let (parts, body) = req.into_parts();
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limits.max_body) {
        return too_big(limits).answer();
    }
    // Only JSON-RPC calls carry a body worth checking; anything else (a health GET) goes
    // straight on, with an empty body. The permit is held until the answer is ready.
    let (bytes, permits) = match read_body(body, declared, limits, &budgets).await {
        Ok(b) => b,
        Err(refusal) => return refusal.answer(),
    };
    if !bytes.is_empty()
        && let Err(refusal) = check_call(&bytes, limits.max_batch)
    {
        return refusal.answer();
    }
    let req = HttpRequest::from_parts(parts, HttpBody::from(bytes));
    let res = match inner.call(req).await {
        Ok(res) => res,
        Err(e) => {
            tracing::warn!(error = %e, "the JSON-RPC service failed a request");
            return plain(StatusCode::INTERNAL_SERVER_ERROR);
        }
    };
    // The request's bytes are gone; its answer takes their place.
    drop(permits);
    held_answer(res, &budgets[1]).await
}

/// The answer, holding its size of the whole budget until it has been written (or the
/// connection dropped): `503` if it has no room for it now. (Not of the network's share: an
/// honest answer, a page of logs say, may be bigger than a share.)
async fn held_answer(res: HttpResponse, budget: &Arc<Semaphore>) -> HttpResponse {
    let (parts, body) = res.into_parts();
    let Ok(collected) = body.collect().await else {
        return plain(StatusCode::INTERNAL_SERVER_ERROR);
    };
    let bytes = collected.to_bytes();
    let kib = u32::try_from(bytes.len().div_ceil(1024)).unwrap_or(u32::MAX);
    let Ok(permit) = budget.clone().try_acquire_many_owned(kib) else {
        return Refusal::rpc(
            StatusCode::SERVICE_UNAVAILABLE,
            BUSY,
            "the server is holding as many answers as it may; retry",
        )
        .answer();
    };
    // The permit lives as long as the bytes do, in hyper's write queue included.
    let held = hyper::body::Bytes::from_owner(Held {
        bytes,
        _permit: permit,
    });
    Response::from_parts(parts, HttpBody::new(http_body_util::Full::new(held)))
}

fn too_big(limits: &Limits) -> Refusal {
    Refusal::rpc(
        StatusCode::PAYLOAD_TOO_LARGE,
        TOO_BIG,
        format!("request body over {} bytes", limits.max_body),
    )
}

/// An answer's bytes with the budget they hold, given back when the last reference to them
/// goes (once written, or with the connection).
struct Held {
    bytes: hyper::body::Bytes,
    _permit: OwnedSemaphorePermit,
}

impl AsRef<[u8]> for Held {
    fn as_ref(&self) -> &[u8] {
        &self.bytes
    }
}

/// Why a request is answered here rather than by jsonrpsee.
#[derive(Debug)]
struct Refusal {
    status: StatusCode,
    /// The JSON-RPC error, if the answer carries one.
    error: Option<(i32, String)>,
}

impl Refusal {
    fn plain(status: StatusCode) -> Refusal {
        Refusal {
            status,
            error: None,
        }
    }

    fn rpc(status: StatusCode, code: i32, message: impl Into<String>) -> Refusal {
        Refusal {
            status,
            error: Some((code, message.into())),
        }
    }

    fn answer(self) -> HttpResponse {
        match self.error {
            None => plain(self.status),
            Some((code, message)) => rpc_error(self.status, code, &message),
        }
    }
}

/// The whole body within the deadline, the cap and the budget, with its share of the budget
/// (held until the answer is ready), or why not.
async fn read_body(
    mut body: Incoming,
    declared: Option<usize>,
    limits: &Limits,
    budgets: &[Arc<Semaphore>; 2],
) -> Result<(Vec<u8>, Vec<OwnedSemaphorePermit>), Refusal> {
    let read = async {
        let mut buf = Vec::new();
        let mut held: Vec<OwnedSemaphorePermit> = Vec::new();
        let mut held_kib = 0;
        // Room for a declared body is taken before anything is allocated for it.
        if let Some(n) = declared.filter(|&n| n > 0) {
            held_kib = take(budgets, n.div_ceil(1024), &mut held).await;
            buf.reserve_exact(n);
        }
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| {
                tracing::debug!(error = %e, "reading a request body");
                Refusal::plain(StatusCode::BAD_REQUEST)
            })?;
            let Ok(data) = frame.into_data() else {
                continue;
            };
            let len = buf.len() + data.len();
            if len > limits.max_body {
                return Err(too_big(limits));
            }
            let need = len.div_ceil(1024);
            if need > held_kib {
                held_kib += take(budgets, need - held_kib, &mut held).await;
            }
            buf.extend_from_slice(&data);
        }
        Ok((buf, held))
    };
    tokio::time::timeout(limits.body_timeout, read)
        .await
        .unwrap_or(Err(Refusal::plain(StatusCode::REQUEST_TIMEOUT)))
}

/// Takes `kib` more of the network's budget, then of the whole one (in that order, so a
/// network over its share waits without holding any of the whole); returns `kib`.
async fn take(
    budgets: &[Arc<Semaphore>; 2],
    kib: usize,
    held: &mut Vec<OwnedSemaphorePermit>,
) -> usize {
    let n = u32::try_from(kib).expect("at most max_body");
    for b in budgets {
        let permit = b
            .clone()
            .acquire_many_owned(n)
            .await
            .expect("the budget is never closed");
        held.push(permit);
    }
    kib
}

/// Checks what jsonrpsee would answer badly: the encoding, the batch size, the ids.
fn check_call(bytes: &[u8], max_batch: usize) -> Result<(), Refusal> {
    let parse_error = |what: &str| Refusal::rpc(StatusCode::OK, PARSE_ERROR, what);
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Err(parse_error("Parse error: the body is not UTF-8"));
    };
    let Ok(value) = serde_json::from_str::<Value>(text) else {
        return Err(parse_error("Parse error: the body is not JSON"));
    };
    let calls = match &value {
        Value::Array(calls) => {
            if calls.len() > max_batch {
                return Err(Refusal::rpc(
                    StatusCode::OK,
                    INVALID_REQUEST,
                    format!(
                        "Invalid request: a batch of {} calls; at most {max_batch} in one batch",
                        calls.len()
                    ),
                ));
            }
            calls.as_slice()
        }
        one => std::slice::from_ref(one),
    };
    for call in calls {
        let Some(id) = call.get("id") else { continue };
        let echoable = match id {
            Value::Null | Value::String(_) => true,
            Value::Number(n) => n.is_u64(),
            _ => false,
        };
        if !echoable {
            return Err(Refusal::rpc(
                StatusCode::OK,
                INVALID_REQUEST,
                "Invalid request: an id must be null, a string or an integer from 0 to 2^64 - 1",
            ));
        }
    }
    Ok(())
}

fn plain(status: StatusCode) -> HttpResponse {
    let mut res = Response::new(HttpBody::empty());
    *res.status_mut() = status;
    res
}

fn rpc_error(status: StatusCode, code: i32, message: &str) -> HttpResponse {
    let body = json!({
        "jsonrpc": "2.0",
        "error": { "code": code, "message": message },
        "id": null,
    });
    let mut res = Response::new(HttpBody::from(body.to_string()));
    *res.status_mut() = status;
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    res
}

#[cfg(test)]
mod tests;
