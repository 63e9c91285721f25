//! A JSON-RPC proxy on loopback that misbehaves as public endpoints do: it drops
//! connections, answers 429 and 503, delays, cuts answers short and refuses wide log ranges,
//! on a fixed schedule, so tests of the L1 client meet every fault deterministically.
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// The faults to inject. Each `*_every: n` hits every n-th request (counted over all
/// requests, from 1; 0 never), so a run is the same every time. Faults that would make a
/// retry unsafe (the upstream saw the request, the client did not see the answer) hit
/// only reads: a transaction is dropped, refused or delayed before it is forwarded, never
/// after.
#[derive(Clone, Copy, Debug, Default)]
pub struct Faults {
    /// Close the connection without an answer.
    pub drop_every: u64,
    /// Answer HTTP 429 Too Many Requests.
    pub rate_limit_every: u64,
    /// Answer HTTP 503 Service Unavailable.
    pub unavailable_every: u64,
    /// Forward a read, then send only half of the answer's body and close.
    pub truncate_every: u64,
    /// Wait [`Faults::delay`] before forwarding.
    pub delay_every: u64,
    /// How long a delayed request waits.
    pub delay: Duration,
    /// Refuse `eth_getLogs` over more blocks than this, as providers do (a JSON-RPC
    /// error -32005, "query exceeds max block range").
    pub max_log_blocks: Option<u64>,
}

/// What the proxy did, for a test to check that the faults were met.
#[derive(Debug, Default)]
pub struct ProxyStats {
    /// Requests received.
    pub requests: AtomicU64,
    /// Requests forwarded and answered in full.
    pub forwarded: AtomicU64,
    /// Connections closed without an answer.
    pub dropped: AtomicU64,
    /// 429 answers.
    pub rate_limited: AtomicU64,
    /// 503 answers.
    pub unavailable: AtomicU64,
    /// Answers cut in half.
    pub truncated: AtomicU64,
    /// Requests delayed.
    pub delayed: AtomicU64,
    /// `eth_getLogs` refused for its range.
    pub refused_ranges: AtomicU64,
    /// The lowest `fromBlock` of any `eth_getLogs` (`u64::MAX` before the first).
    pub lowest_log_block: AtomicU64,
}

impl ProxyStats {
    fn new() -> ProxyStats {
        ProxyStats {
            lowest_log_block: AtomicU64::new(u64::MAX),
            ..ProxyStats::default()
        }
    }
}

/// The proxy: listening on 127.0.0.1, forwarding to `upstream`; stops when dropped.
pub struct FaultProxy {
    /// Where it listens.
    pub addr: SocketAddr,
    /// What it did so far.
    pub stats: Arc<ProxyStats>,
    task: JoinHandle<()>,
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FaultProxy {
    /// Starts a proxy in front of the HTTP JSON-RPC endpoint at `upstream`.
    pub async fn start(upstream: SocketAddr, faults: Faults) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port");
        let addr = listener.local_addr().expect("its address");
        let stats = Arc::new(ProxyStats::new());
        let shared = stats.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((conn, _)) = listener.accept().await else {
                    continue;
                };
                let stats = shared.clone();
                tokio::spawn(async move {
                    let _ = serve(conn, upstream, faults, &stats).await;
                });
            }
        });
        FaultProxy { addr, stats, task }
    }

    /// Its URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

fn hits(every: u64, n: u64) -> bool {
    every != 0 && n.is_multiple_of(every)
}

/// Serves one request on `conn` (answers close the connection).
async fn serve(
    mut conn: TcpStream,
    upstream: SocketAddr,
    f: Faults,
    stats: &ProxyStats,
) -> std::io::Result<()> {
    let Some(body) = read_request(&mut conn).await? else {
        return Ok(());
    };
    let n = stats.requests.fetch_add(1, Ordering::Relaxed) + 1;
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let method = request["method"].as_str().unwrap_or("").to_string();
    let is_send = method.starts_with("eth_send");
    if hits(f.drop_every, n) {
        stats.dropped.fetch_add(1, Ordering::Relaxed);
        return Ok(());
    }
    if hits(f.rate_limit_every, n) {
        stats.rate_limited.fetch_add(1, Ordering::Relaxed);
        return respond(&mut conn, "429 Too Many Requests", b"").await;
    }
    if hits(f.unavailable_every, n) {
        stats.unavailable.fetch_add(1, Ordering::Relaxed);
        return respond(&mut conn, "503 Service Unavailable", b"").await;
    }
    if hits(f.delay_every, n) {
        stats.delayed.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(f.delay).await;
    }
    if method == "eth_getLogs"
        && let Some(from) = block_param(&request, "fromBlock")
    {
        stats.lowest_log_block.fetch_min(from, Ordering::Relaxed);
    }
    if let (Some(max), "eth_getLogs") = (f.max_log_blocks, method.as_str())
        && log_range(&request).is_some_and(|blocks| blocks > max)
    {
        stats.refused_ranges.fetch_add(1, Ordering::Relaxed);
        let error = json!({
            "jsonrpc": "2.0",
            "id": request["id"],
            "error": { "code": -32005, "message": format!("query exceeds max block range {max}") },
        });
        return respond(&mut conn, "200 OK", error.to_string().as_bytes()).await;
    }
    let answer = forward(upstream, &body).await?;
    if !is_send && hits(f.truncate_every, n) {
        stats.truncated.fetch_add(1, Ordering::Relaxed);
        // Promise the whole body, send half, close: a reset mid-answer.
        let head = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
            answer.len()
        );
        conn.write_all(head.as_bytes()).await?;
        conn.write_all(&answer[..answer.len() / 2]).await?;
        return conn.shutdown().await;
    }
    stats.forwarded.fetch_add(1, Ordering::Relaxed);
    respond(&mut conn, "200 OK", &answer).await
}

/// Block `key` of an `eth_getLogs` filter, if it is a number.
fn block_param(request: &Value, key: &str) -> Option<u64> {
    let s = request["params"][0][key].as_str()?;
    u64::from_str_radix(s.trim_start_matches("0x"), 16).ok()
}

/// The number of blocks an `eth_getLogs` request spans, if both ends are numbers.
fn log_range(request: &Value) -> Option<u64> {
    Some(block_param(request, "toBlock")?.saturating_sub(block_param(request, "fromBlock")?) + 1)
}

async fn respond(conn: &mut TcpStream, status: &str, body: &[u8]) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    conn.write_all(head.as_bytes()).await?;
    conn.write_all(body).await?;
    conn.shutdown().await
}

/// Reads one HTTP/1.1 request and returns its body (`None`: the client closed first).
async fn read_request(conn: &mut TcpStream) -> std::io::Result<Option<Vec<u8>>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = find(&buf, b"\r\n\r\n") {
            break i + 4;
        }
        let k = conn.read(&mut chunk).await?;
        if k == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..k]);
    };
    let len = content_length(&buf[..head_end]).unwrap_or(0);
    while buf.len() < head_end + len {
        let k = conn.read(&mut chunk).await?;
        if k == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..k]);
    }
    Ok(Some(buf[head_end..head_end + len].to_vec()))
}

/// Sends `body` to `upstream` as a JSON-RPC POST and returns the answer's body.
async fn forward(upstream: SocketAddr, body: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut up = TcpStream::connect(upstream).await?;
    let head = format!(
        "POST / HTTP/1.1\r\nhost: {upstream}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    up.write_all(head.as_bytes()).await?;
    up.write_all(body).await?;
    let mut answer = Vec::new();
    up.read_to_end(&mut answer).await?;
    let bad = || std::io::Error::other("upstream answered no HTTP response");
    let head_end = find(&answer, b"\r\n\r\n").ok_or_else(bad)? + 4;
    let head = String::from_utf8_lossy(&answer[..head_end]).to_ascii_lowercase();
    let rest = &answer[head_end..];
    if head.contains("transfer-encoding: chunked") {
        return dechunk(rest).ok_or_else(bad);
    }
    Ok(match content_length(&answer[..head_end]) {
        Some(len) => rest[..len.min(rest.len())].to_vec(),
        None => rest.to_vec(),
    })
}

fn content_length(head: &[u8]) -> Option<usize> {
    String::from_utf8_lossy(head).lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim()
            .eq_ignore_ascii_case("content-length")
            .then(|| v.trim().parse().ok())?
    })
}

/// The body of a chunked transfer encoding.
fn dechunk(mut rest: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = find(rest, b"\r\n")?;
        let size =
            usize::from_str_radix(std::str::from_utf8(&rest[..line_end]).ok()?.trim(), 16).ok()?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(rest.get(..size)?);
        rest = rest.get(size + 2..)?;
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}
