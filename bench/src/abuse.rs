//! `fuse-l2 bench abuse`: the node's servers under the abuse an attacker can send for free,
//! each played on loopback for a bounded time against a devnet (`fuse-l2 devnet`, this
//! binary, in a child process so its memory is measured alone), while an honest client (from
//! another loopback address, 127.0.1.2, as another machine would be) keeps asking. For each attack: the honest client's p50/p99/max latency and failures, what
//! the attacker sent and how much of it was refused, and the node's disk and memory growth.
//!
//! - **slowloris**: `--sockets` connections that send their headers and one byte of body,
//!   then idle (reopened as the server closes them), against the L2 API.
//! - **garbage signatures**: well-encoded transfers whose signatures are garbage, as fast as
//!   `--clients` connections can send them (each is refused; nothing may be stored).
//! - **big batches**: batches of 21,666 calls (refused whole) and of 100 (the cap), from
//!   `--clients` connections.
//! - **malformed**: bodies that are not UTF-8, not JSON, or carry ids nobody can echo.
//! - **L1 slowloris**: the slowloris against the devnet's L1 endpoint, with the honest client
//!   asking the L1 (`eth_blockNumber`).
//!
//! The attacker shares the machine's cores with the node. Memory is the node process's
//! resident set after each attack (a second after it stops), against the node's idle one.
//! It measures and reports; it asserts nothing.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use alloy::signers::local::PrivateKeySigner;
use alloy_primitives::{B256, hex};
use fuse_arbos::tx::{Domain, KIND_TRANSFER};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use fuse_exec::wallet::sign;

use super::progress::Progress;

/// Arguments of `fuse-l2 bench abuse`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Seconds each attack runs.
    #[arg(long, default_value_t = 5)]
    pub seconds: u64,
    /// Connections the slowloris attacks hold.
    #[arg(long, default_value_t = 2_048)]
    pub sockets: usize,
    /// Concurrent attacker connections of the flooding attacks.
    #[arg(long, default_value_t = 16)]
    pub clients: usize,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Runs the benchmark.
pub fn run(args: Args) -> anyhow::Result<()> {
    super::block_on(run_async(args))
}

/// The attacks, in the order played.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Attack {
    None,
    Slowloris,
    GarbageSignatures,
    BigBatches,
    Malformed,
    L1Slowloris,
}

impl Attack {
    const ALL: [Attack; 6] = [
        Attack::None,
        Attack::Slowloris,
        Attack::GarbageSignatures,
        Attack::BigBatches,
        Attack::Malformed,
        Attack::L1Slowloris,
    ];

    fn name(self) -> &'static str {
        match self {
            Attack::None => "none (baseline)",
            Attack::Slowloris => "slowloris",
            Attack::GarbageSignatures => "garbage signatures",
            Attack::BigBatches => "big batches",
            Attack::Malformed => "malformed",
            Attack::L1Slowloris => "L1 slowloris",
        }
    }
}

/// What the attacker sent and what came back refused (any answer but success).
#[derive(Default)]
struct Tally {
    sent: AtomicU64,
    refused: AtomicU64,
}

/// One HTTP/1.1 POST on a fresh connection from `from`, read until the server closes.
async fn post(addr: SocketAddr, from: &str, body: &[u8]) -> anyhow::Result<String> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(format!("{from}:0").parse()?)?;
    let mut s = socket.connect(addr).await?;
    let head = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await?;
    s.write_all(body).await?;
    let mut out = Vec::new();
    s.read_to_end(&mut out).await?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// Whether an HTTP answer is a JSON-RPC success.
fn succeeded(answer: &str) -> bool {
    answer.starts_with("HTTP/1.1 200") && answer.contains("\"result\"")
}

/// The honest client: one call every 10 ms until `stop`, each timed; failures counted.
async fn honest(addr: SocketAddr, body: Vec<u8>, stop: Arc<AtomicBool>) -> (Vec<Duration>, u64) {
    let mut times = Vec::new();
    let mut failed = 0;
    while !stop.load(Ordering::Relaxed) {
        let t = Instant::now();
        let ok = tokio::time::timeout(Duration::from_secs(5), post(addr, "127.0.1.2", &body))
            .await
            .is_ok_and(|r| r.is_ok_and(|a| succeeded(&a)));
        if ok {
            times.push(t.elapsed());
        } else {
            failed += 1;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    (times, failed)
}

/// Holds one half-sent request open, reopening it whenever the server closes it.
async fn slowloris(addr: SocketAddr, stop: Arc<AtomicBool>, tally: Arc<Tally>) {
    while !stop.load(Ordering::Relaxed) {
        let Ok(mut s) = TcpStream::connect(addr).await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let head = "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{";
        tally.sent.fetch_add(1, Ordering::Relaxed);
        if s.write_all(head.as_bytes()).await.is_err() {
            tally.refused.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        let mut buf = [0u8; 256];
        tokio::select! {
            _ = s.read(&mut buf) => {
                // Answered (429, 408) or closed: come back a little later, as a real
                // attacker holding slots would, rather than flooding connects.
                tally.refused.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            _ = async { while !stop.load(Ordering::Relaxed) { tokio::time::sleep(Duration::from_millis(50)).await } } => {}
        }
    }
}

/// Sends `bodies` round robin as fast as answers come, until `stop`.
async fn flood(
    addr: SocketAddr,
    bodies: Arc<Vec<Vec<u8>>>,
    stop: Arc<AtomicBool>,
    tally: Arc<Tally>,
) {
    let mut i = 0usize;
    while !stop.load(Ordering::Relaxed) {
        let body = &bodies[i % bodies.len()];
        i += 1;
        tally.sent.fetch_add(1, Ordering::Relaxed);
        match post(addr, "127.0.0.1", body).await {
            Ok(a) if succeeded(&a) && !a.contains("\"error\"") => {}
            _ => {
                tally.refused.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

fn garbage_transfers(domain: &Domain, n: u64) -> anyhow::Result<Vec<Vec<u8>>> {
    let key = PrivateKeySigner::from_bytes(&B256::repeat_byte(0x66))?;
    (0..n)
        .map(|i| {
            let mut t = sign(&key, domain, KIND_TRANSFER, [0x77; 20], 1, i)
                .ok_or_else(|| anyhow::anyhow!("signing a transfer"))?;
            t.s = alloy_primitives::keccak256(i.to_be_bytes()).0;
            t.v = 27 + (i % 2) as u8;
            let call = json!({
                "jsonrpc": "2.0", "id": i, "method": "fuse_sendTransaction",
                "params": [format!("0x{}", hex::encode(t.encode()))],
            });
            Ok(call.to_string().into_bytes())
        })
        .collect()
}

fn batch(n: usize) -> Vec<u8> {
    let calls: Vec<Value> = (0..n)
        .map(|i| json!({ "jsonrpc": "2.0", "id": i, "method": "fuse_chainInfo" }))
        .collect();
    Value::Array(calls).to_string().into_bytes()
}

fn malformed() -> Vec<Vec<u8>> {
    vec![
        b"\xff\xfe\xfd".to_vec(),
        b"{\"jsonrpc\":\"2.0\",\"method\":".to_vec(),
        br#"{"jsonrpc":"2.0","id":-1,"method":"fuse_chainInfo"}"#.to_vec(),
        br#"{"jsonrpc":"2.0","id":{},"method":"fuse_chainInfo"}"#.to_vec(),
        br#"{"jsonrpc":"2.0","id":1,"method":"fuse_getAccount","params":[1,2]}"#.to_vec(),
    ]
}

/// Bytes of every file under `dir`.
fn disk_bytes(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => disk_bytes(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

/// Process `pid`'s resident memory, in bytes.
fn rss_bytes(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    super::percentile_ms(sorted, p).unwrap_or(f64::NAN)
}

/// The devnet under attack, killed when dropped.
struct Node(std::process::Child);

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A port free now on 127.0.0.1 (another process could take it before the node binds it;
/// the node then fails to start, and the bench says so).
fn free_port() -> anyhow::Result<SocketAddr> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?)
}

/// Starts `fuse-l2 devnet` on two free ports with its store in `dir`, and waits until its API
/// answers; returns it with its chain's signing domain.
async fn start_node(dir: &Path, l2: SocketAddr, l1: SocketAddr) -> anyhow::Result<(Node, Domain)> {
    // `fuse-l2` is built beside `fuse-bench` (./scripts/bench builds both).
    let bin = std::env::current_exe()?.with_file_name("fuse-l2");
    anyhow::ensure!(
        bin.is_file(),
        "`bench abuse` starts `fuse-l2 devnet`, and {} is not built: run it through \
         ./scripts/bench, which builds both binaries",
        bin.display()
    );
    let child = std::process::Command::new(bin)
        .args([
            "devnet",
            "--rpc-addr",
            &l2.to_string(),
            "--l1-rpc-addr",
            &l1.to_string(),
        ])
        .args(["--data-dir", &dir.display().to_string(), "--accounts", "1"])
        .args(["--force-delay", "3600", "--challenge-period", "3600"])
        .env("RUST_LOG", "error")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()?;
    let node = Node(child);
    let ask = br#"{"jsonrpc":"2.0","id":1,"method":"fuse_chainInfo"}"#;
    for _ in 0..600 {
        if let Ok(answer) = post(l2, "127.0.0.1", ask).await
            && let Some(body) = answer.split("\r\n\r\n").nth(1)
            && let Ok(v) = serde_json::from_str::<Value>(body)
        {
            let info: fuse_node::rpc::ChainInfo = serde_json::from_value(v["result"].clone())?;
            let domain = Domain {
                chain_id: info.chain_id,
                inbox: info.inbox.into(),
            };
            return Ok((node, domain));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("the devnet did not answer on {l2} within a minute")
}

async fn run_async(args: Args) -> anyhow::Result<()> {
    let dir = tempfile::Builder::new()
        .prefix("fuse-l2-bench-abuse-")
        .tempdir()?;
    let (l2, l1) = (free_port()?, free_port()?);
    let p = Progress::new("abuse", 1 + Attack::ALL.len() as u64);
    p.stage("starting fuse-l2 devnet");
    let (node, domain) = start_node(dir.path(), l2, l1).await?;
    let pid = node.0.id();
    let garbage = Arc::new(garbage_transfers(&domain, 4_096)?);
    let batches = Arc::new(vec![batch(21_666), batch(100)]);
    let bad = Arc::new(malformed());
    let l2_call = br#"{"jsonrpc":"2.0","id":1,"method":"fuse_chainInfo"}"#.to_vec();
    let l1_call = br#"{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber"}"#.to_vec();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let idle_rss = rss_bytes(pid);
    let mut rows = Vec::new();
    for attack in Attack::ALL {
        let what = format!("{} for {} s", attack.name(), args.seconds);
        if args.json {
            p.stage(what);
        } else {
            p.announce(what);
        }
        let stop = Arc::new(AtomicBool::new(false));
        let tally = Arc::new(Tally::default());
        let (disk0, rss0) = (disk_bytes(dir.path()), rss_bytes(pid));
        let mut tasks = Vec::new();
        match attack {
            Attack::None => {}
            Attack::Slowloris | Attack::L1Slowloris => {
                let target = if attack == Attack::Slowloris { l2 } else { l1 };
                for _ in 0..args.sockets {
                    tasks.push(tokio::spawn(slowloris(target, stop.clone(), tally.clone())));
                }
            }
            Attack::GarbageSignatures | Attack::BigBatches | Attack::Malformed => {
                let bodies = match attack {
                    Attack::GarbageSignatures => garbage.clone(),
                    Attack::BigBatches => batches.clone(),
                    _ => bad.clone(),
                };
                for _ in 0..args.clients {
                    tasks.push(tokio::spawn(flood(
                        l2,
                        bodies.clone(),
                        stop.clone(),
                        tally.clone(),
                    )));
                }
            }
        }
        // The attack takes hold before the honest client starts measuring.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let (target, call) = if attack == Attack::L1Slowloris {
            (l1, l1_call.clone())
        } else {
            (l2, l2_call.clone())
        };
        let client = tokio::spawn(honest(target, call, stop.clone()));
        tokio::time::sleep(Duration::from_secs(args.seconds)).await;
        stop.store(true, Ordering::Relaxed);
        let (mut times, failed) = client.await?;
        for t in tasks {
            t.abort();
        }
        times.sort();
        // Memory after the flood, once the server has let go of it.
        tokio::time::sleep(Duration::from_secs(1)).await;
        let (disk1, rss1) = (disk_bytes(dir.path()), rss_bytes(pid));
        let sent = tally.sent.load(Ordering::Relaxed);
        let refused = tally.refused.load(Ordering::Relaxed);
        rows.push(json!({
            "attack": attack.name(),
            "honest_calls": times.len(),
            "honest_failed": failed,
            "honest_p50_ms": percentile(&times, 0.5),
            "honest_p99_ms": percentile(&times, 0.99),
            "honest_max_ms": times.last().map_or(f64::NAN, |t| ms(*t)),
            "attacker_sent": sent,
            "attacker_refused": refused,
            "disk_growth_bytes": disk1 as i64 - disk0 as i64,
            "disk_bytes_per_refusal": if refused == 0 { 0.0 } else { (disk1 as f64 - disk0 as f64).max(0.0) / refused as f64 },
            "rss_before_mb": rss0 as f64 / 1e6,
            "rss_after_mb": rss1 as f64 / 1e6,
            "rss_over_idle": rss1 as f64 / idle_rss.max(1) as f64,
        }));
    }
    drop(p);
    let report = json!({
        "bench": "abuse",
        "seconds_per_attack": args.seconds,
        "sockets": args.sockets,
        "clients": args.clients,
        "idle_rss_mb": idle_rss as f64 / 1e6,
        "machine": super::machine_info(),
        "attacks": rows,
    });
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    println!(
        "{:<20} {:>8} {:>8} {:>9} {:>9} {:>7} {:>9} {:>9} {:>10} {:>8}",
        "attack",
        "honest",
        "failed",
        "p50 ms",
        "p99 ms",
        "max ms",
        "sent",
        "refused",
        "disk Δ B",
        "RSS×idle"
    );
    for r in report["attacks"].as_array().into_iter().flatten() {
        println!(
            "{:<20} {:>8} {:>8} {:>9.2} {:>9.2} {:>7.1} {:>9} {:>9} {:>10} {:>8.2}",
            r["attack"].as_str().unwrap_or(""),
            r["honest_calls"].as_u64().unwrap_or(0),
            r["honest_failed"].as_u64().unwrap_or(0),
            r["honest_p50_ms"].as_f64().unwrap_or(f64::NAN),
            r["honest_p99_ms"].as_f64().unwrap_or(f64::NAN),
            r["honest_max_ms"].as_f64().unwrap_or(f64::NAN),
            r["attacker_sent"].as_u64().unwrap_or(0),
            r["attacker_refused"].as_u64().unwrap_or(0),
            r["disk_growth_bytes"].as_i64().unwrap_or(0),
            r["rss_over_idle"].as_f64().unwrap_or(f64::NAN),
        );
    }
    println!("the node's idle RSS {:.0} MB", idle_rss as f64 / 1e6);
    drop(node);
    Ok(())
}
