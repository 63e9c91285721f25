//! The fee review's kit: an anvil chain with the dev calls the tests need, and a scriptable
//! JSON-RPC proxy that loses answers, limits rates, hangs, or answers in other clients'
//! wording.
#![allow(dead_code, unused_imports)]

use alloy::node_bindings::{Anvil, AnvilInstance};
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::signers::local::PrivateKeySigner;
use alloy_primitives::{Address, U256};
use fuse_l1::{FeePolicy, L1, L1Error, L1Receipt, L1Tx, RpcL1, RpcLimits};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

// ---------------------------------------------------------------------------------------------
// A chain, and a proxy in front of it.
// ---------------------------------------------------------------------------------------------

pub(super) struct Chain {
    pub(super) anvil: AnvilInstance,
    pub(super) dev: DynProvider,
}

impl Chain {
    pub(super) async fn start() -> Chain {
        Chain::start_with(&[]).await
    }

    pub(super) async fn start_with(args: &[&str]) -> Chain {
        fuse_l1::install_tls_provider();
        let mut a = Anvil::at(fuse_l1::testing::anvil_path()).port(fuse_l1::testing::free_port());
        for arg in args {
            a = a.arg(*arg);
        }
        let anvil = a.try_spawn().expect("anvil starts");
        let dev = ProviderBuilder::new()
            .connect_http(anvil.endpoint_url())
            .erased();
        Chain { anvil, dev }
    }

    pub(super) fn upstream(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.anvil.port()))
    }

    pub(super) fn key(&self) -> PrivateKeySigner {
        PrivateKeySigner::from(self.anvil.keys()[0].clone())
    }

    pub(super) fn l1(&self, url: &str, fees: FeePolicy) -> RpcL1 {
        RpcL1::connect(url, self.key()).unwrap().with_fees(fees)
    }

    pub(super) async fn rpc(&self, method: &'static str, params: Value) -> Value {
        self.dev.raw_request(method.into(), params).await.unwrap()
    }

    pub(super) async fn automine(&self, on: bool) {
        self.rpc("evm_setAutomine", json!([on])).await;
    }

    pub(super) async fn mine(&self, base_fee: Option<u128>) {
        if let Some(b) = base_fee {
            self.rpc(
                "anvil_setNextBlockBaseFeePerGas",
                json!([format!("{b:#x}")]),
            )
            .await;
        }
        self.rpc("evm_mine", json!([])).await;
    }

    pub(super) async fn balance(&self, who: Address) -> U256 {
        self.dev.get_balance(who).await.unwrap()
    }

    pub(super) async fn nonce(&self, who: Address) -> u64 {
        self.dev.get_transaction_count(who).await.unwrap()
    }

    /// The tip the mined transaction `r` offered.
    pub(super) async fn tip_of(&self, r: &L1Receipt) -> u128 {
        use alloy::consensus::Transaction as _;
        let tx = self
            .dev
            .get_transaction_by_hash(r.tx_hash)
            .await
            .unwrap()
            .unwrap();
        tx.max_priority_fee_per_gas().unwrap()
    }

    /// Mines a block (at `base_fee`, if given) every `every` until `task` finishes or `limit`
    /// passes; whether it finished.
    pub(super) async fn mine_until<T>(
        &self,
        task: &JoinHandle<T>,
        base_fee: Option<u128>,
        every: Duration,
        limit: Duration,
    ) -> bool {
        let end = tokio::time::Instant::now() + limit;
        while tokio::time::Instant::now() < end {
            if task.is_finished() {
                return true;
            }
            self.mine(base_fee).await;
            tokio::time::sleep(every).await;
        }
        task.is_finished()
    }
}

pub(super) fn pay(to: u8) -> L1Tx {
    L1Tx {
        to: Some(Address::repeat_byte(to)),
        data: Default::default(),
        value: U256::from(1),
        urgent: false,
    }
}

pub(super) fn quick(replace_after_ms: u64) -> FeePolicy {
    FeePolicy {
        replace_after: Duration::from_millis(replace_after_ms),
        ..FeePolicy::default()
    }
}

pub(super) async fn wait_sent(l1: &RpcL1, n: u64) {
    for _ in 0..500 {
        if l1.send_stats().sent.load(Ordering::Relaxed) >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the transaction was never pooled");
}

/// What the proxy does with one request.
pub(super) enum Act {
    /// Forward it and return the answer.
    Forward,
    /// Answer this JSON-RPC error without forwarding.
    Error(i64, &'static str),
    /// Answer `result: null` without forwarding.
    Null,
    /// Answer this HTTP status with an empty body.
    Http(u16),
    /// Forward it, then close the connection without answering (the answer is lost).
    HangUp,
    /// Never answer, never close (a half-open connection, a dead backend behind a balancer).
    Hang,
}

/// `(method, request, how many requests of this method so far, this one included)`.
pub(super) type Script = Arc<dyn Fn(&str, &Value, u64) -> Act + Send + Sync>;

pub(super) struct Proxy {
    pub(super) addr: SocketAddr,
    pub(super) requests: Arc<AtomicU64>,
    pub(super) task: JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Proxy {
    pub(super) async fn start(upstream: SocketAddr, script: Script) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(AtomicU64::new(0));
        let counts: Arc<Mutex<HashMap<String, u64>>> = Arc::default();
        let total = requests.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((conn, _)) = listener.accept().await else {
                    continue;
                };
                let (script, counts, total) = (script.clone(), counts.clone(), total.clone());
                tokio::spawn(async move {
                    let _ = serve(conn, upstream, script, counts, total).await;
                });
            }
        });
        Proxy {
            addr,
            requests,
            task,
        }
    }

    pub(super) fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

pub(super) async fn serve(
    mut conn: TcpStream,
    upstream: SocketAddr,
    script: Script,
    counts: Arc<Mutex<HashMap<String, u64>>>,
    total: Arc<AtomicU64>,
) -> std::io::Result<()> {
    let Some(body) = read_request(&mut conn).await? else {
        return Ok(());
    };
    total.fetch_add(1, Ordering::Relaxed);
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let method = request["method"].as_str().unwrap_or("").to_string();
    let n = {
        let mut c = counts.lock().unwrap();
        let e = c.entry(method.clone()).or_default();
        *e += 1;
        *e
    };
    let answer = |extra: Value| {
        let mut o = json!({ "jsonrpc": "2.0", "id": request["id"] });
        for (k, v) in extra.as_object().expect("an object") {
            o[k.as_str()] = v.clone();
        }
        o
    };
    match script(&method, &request, n) {
        Act::Forward => {
            let a = forward(upstream, &body).await?;
            respond(&mut conn, "200 OK", &a).await
        }
        Act::Error(code, message) => {
            let a = answer(json!({ "error": { "code": code, "message": message } }));
            respond(&mut conn, "200 OK", a.to_string().as_bytes()).await
        }
        Act::Null => {
            let a = answer(json!({ "result": null }));
            respond(&mut conn, "200 OK", a.to_string().as_bytes()).await
        }
        Act::Http(status) => {
            let line = match status {
                429 => "429 Too Many Requests",
                _ => "503 Service Unavailable",
            };
            respond(&mut conn, line, b"").await
        }
        Act::HangUp => {
            let _ = forward(upstream, &body).await?;
            Ok(())
        }
        Act::Hang => {
            std::future::pending::<()>().await;
            Ok(())
        }
    }
}

pub(super) async fn respond(
    conn: &mut TcpStream,
    status: &str,
    body: &[u8],
) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    conn.write_all(head.as_bytes()).await?;
    conn.write_all(body).await?;
    conn.shutdown().await
}

pub(super) async fn read_request(conn: &mut TcpStream) -> std::io::Result<Option<Vec<u8>>> {
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

pub(super) async fn forward(upstream: SocketAddr, body: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut up = TcpStream::connect(upstream).await?;
    let head = format!(
        "POST / HTTP/1.1\r\nhost: {upstream}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    up.write_all(head.as_bytes()).await?;
    up.write_all(body).await?;
    let mut answer = Vec::new();
    up.read_to_end(&mut answer).await?;
    let head_end = find(&answer, b"\r\n\r\n").expect("an HTTP answer") + 4;
    let rest = &answer[head_end..];
    Ok(match content_length(&answer[..head_end]) {
        Some(len) => rest[..len.min(rest.len())].to_vec(),
        None => rest.to_vec(),
    })
}

pub(super) fn content_length(head: &[u8]) -> Option<usize> {
    String::from_utf8_lossy(head).lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim()
            .eq_ignore_ascii_case("content-length")
            .then(|| v.trim().parse().ok())?
    })
}

pub(super) fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// A caller as the module's doc describes every caller: a failed send is "not done" and is
/// tried again. Returns what the first send said and the retry's result, if there was one.
pub(super) async fn send_as_a_caller_does(
    chain: &Chain,
    l1: &RpcL1,
    tx: L1Tx,
) -> (
    Result<L1Receipt, L1Error>,
    Option<Result<L1Receipt, L1Error>>,
) {
    let sender = l1.clone();
    let t = tx.clone();
    let first = tokio::spawn(async move { sender.send(t).await });
    assert!(
        chain
            .mine_until(
                &first,
                None,
                Duration::from_millis(100),
                Duration::from_secs(20)
            )
            .await,
        "the first send never finished"
    );
    let first = first.await.unwrap();
    if first.is_ok() {
        return (first, None);
    }
    let sender = l1.clone();
    let retry = tokio::spawn(async move { sender.send(tx).await });
    assert!(
        chain
            .mine_until(
                &retry,
                None,
                Duration::from_millis(100),
                Duration::from_secs(20)
            )
            .await,
        "the retry never finished"
    );
    (first, Some(retry.await.unwrap()))
}
