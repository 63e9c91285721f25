//! Serving JSON-RPC to untrusted clients over HTTP: the node's L2 API and the devnet's
//! Ethereum endpoint both run behind this front (docs/spec/rpc.md, "Limits").
//!
//! jsonrpsee answers the calls; this module owns what comes before them, because that is
//! where a client that pays nothing can hold what every client needs:
//! - **The accept loop** counts connections in all and per client address; one over either
//!   limit is answered `429` and closed at once, so one address cannot take every slot.
//! - **Deadlines**: a request's headers must arrive within `header_timeout` (hyper's own
//!   timer) and its whole body within `body_timeout` (`408` otherwise), so a half-sent
//!   request frees its slot instead of holding it for ever.
//! - **The body is read and checked here**, bounded by `max_body` however it is framed (a
//!   chunked body over the cap is `413` like a declared one), then handed to jsonrpsee as
//!   bytes: not UTF-8 or not JSON is a parse error (`-32700`); a batch over `max_batch`
//!   entries, or an `id` that is not `null`, a string or an integer in `0..2^64`, is an
//!   invalid request (`-32600`) — jsonrpsee could not echo such an id, and answered `null`.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode, header};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use jsonrpsee::server::{
    HttpBody, HttpRequest, HttpResponse, Methods, Server, ServerConfig, ServerHandle, stop_channel,
};
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tower::Service;

/// JSON-RPC's parse error and invalid request codes, and jsonrpsee's "request too big".
const PARSE_ERROR: i32 = -32700;
const INVALID_REQUEST: i32 = -32600;
const TOO_BIG: i32 = -32007;

/// What one server allows its clients (docs/spec/rpc.md, "Limits").
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Connections open at once, in all.
    pub max_connections: usize,
    /// Connections open at once from one client address.
    pub per_client: usize,
    /// Longest wait for a request's headers.
    pub header_timeout: Duration,
    /// Longest wait for a request's whole body, from its headers.
    pub body_timeout: Duration,
    /// Largest request body, in bytes.
    pub max_body: usize,
    /// Most calls in one batch.
    pub max_batch: usize,
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
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    let methods: Methods = methods.into();
    let (stop, handle) = stop_channel();
    let builder = Server::builder()
        .set_config(config)
        .to_service_builder()
        // The front counts connections; jsonrpsee's own guard must never refuse first.
        .max_connections(u32::try_from(limits.max_connections).unwrap_or(u32::MAX));
    let slots = Slots::default();
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
            let Some(slot) = slots.take(peer.ip(), &limits) else {
                tokio::spawn(refuse(socket));
                continue;
            };
            let service = builder.clone().build(methods.clone(), stop.clone());
            let front = Front {
                inner: service,
                limits,
            };
            let stopped = stop.clone().shutdown();
            tokio::spawn(async move {
                serve_connection(socket, front, limits, stopped).await;
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
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    let conn = builder.serve_connection(TokioIo::new(socket), TowerToHyperService::new(front));
    tokio::pin!(conn, stopped);
    tokio::select! {
        res = &mut conn => {
            if let Err(e) = res {
                tracing::debug!(error = %e, "a client connection ended");
            }
        }
        _ = &mut stopped => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
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
struct Slots(Arc<Mutex<(usize, HashMap<IpAddr, usize>)>>);

/// One connection's place, given back when dropped.
struct Slot {
    slots: Slots,
    ip: IpAddr,
}

impl Slots {
    fn take(&self, ip: IpAddr, limits: &Limits) -> Option<Slot> {
        let mut guard = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let (total, per) = &mut *guard;
        let mine = per.entry(ip).or_default();
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
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut guard = self.slots.0.lock().unwrap_or_else(|p| p.into_inner());
        let (total, per) = &mut *guard;
        *total -= 1;
        if let Some(n) = per.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                per.remove(&self.ip);
            }
        }
    }
}

/// The per-connection service: reads and checks the body, then calls jsonrpsee.
#[derive(Clone)]
struct Front<S> {
    inner: S,
    limits: Limits,
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
        Box::pin(async move {
            let (parts, body) = req.into_parts();
            // Only JSON-RPC calls carry a body worth checking; anything else (a health GET)
            // goes straight on, with an empty body.
            let bytes = match read_body(body, &limits).await {
                Ok(b) => b,
                Err(refusal) => return Ok(refusal.answer()),
            };
            if !bytes.is_empty()
                && let Err(refusal) = check_call(&bytes, limits.max_batch)
            {
                return Ok(refusal.answer());
            }
            let req = HttpRequest::from_parts(parts, HttpBody::from(bytes));
            Ok(match inner.call(req).await {
                Ok(res) => res,
                Err(e) => {
                    tracing::warn!(error = %e, "the JSON-RPC service failed a request");
                    plain(StatusCode::INTERNAL_SERVER_ERROR)
                }
            })
        })
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

/// The whole body within the deadline and the cap, or why not.
async fn read_body(body: Incoming, limits: &Limits) -> Result<Vec<u8>, Refusal> {
    let read = Limited::new(body, limits.max_body).collect();
    match tokio::time::timeout(limits.body_timeout, read).await {
        Err(_) => Err(Refusal::plain(StatusCode::REQUEST_TIMEOUT)),
        Ok(Ok(collected)) => Ok(collected.to_bytes().to_vec()),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => Err(Refusal::rpc(
            StatusCode::PAYLOAD_TOO_LARGE,
            TOO_BIG,
            format!("request body over {} bytes", limits.max_body),
        )),
        Ok(Err(e)) => {
            tracing::debug!(error = %e, "reading a request body");
            Err(Refusal::plain(StatusCode::BAD_REQUEST))
        }
    }
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
