//! `fuse-l2 bench sequencer`: the sequencer under load over loopback JSON-RPC, the path a
//! wallet's transfer takes. A devnet runs in this process (embedded L1, store in a temporary
//! directory); a load generator, also in this process, sends pre-signed transfers:
//!
//! 1. **Sustained throughput**: `--clients` concurrent clients each send their transfers one
//!    after another with `wait` (the answer comes once the transfer is durable,
//!    `ACCEPTED_IN_L2`); transfers/s = acknowledged / wall time. Every transfer's signature is
//!    recovered at ingress.
//! 2. **Soft-confirmation latency** at a fixed offered load (`--rate`, default 1,000/s): one
//!    transfer sent every 1/rate s regardless of answers (open loop), each timed from send to
//!    its durable answer; p50, p99, max.
//! 3. **Batch bytes per transfer** on L1, from the batches the poster appended.
//!
//! The load generator shares the machine's cores with the node, which a real deployment would
//! not; signing is done before the clock starts. It measures and reports; it asserts nothing.

use std::sync::Arc;
use std::time::{Duration, Instant};

use alloy::signers::local::PrivateKeySigner;
use alloy_primitives::{U256, hex, keccak256};
use fuse_arbos::tx::{Domain, KIND_TRANSFER};
use jsonrpsee::core::client::ClientT;
use jsonrpsee::http_client::{HttpClient, HttpClientBuilder};
use jsonrpsee::rpc_params;
use serde_json::{Value, json};

use fuse_devnet::devnet::{Devnet, DevnetConfig};
use fuse_exec::wallet::sign;
use fuse_l1::EmbeddedClock;
use fuse_sequencer::service::{ServiceConfig, lock};

use super::progress::Progress;

/// Arguments of `fuse-l2 bench sequencer`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Concurrent clients in the throughput run (each its own sender).
    #[arg(long, default_value_t = 64)]
    pub clients: usize,
    /// Transfers each client sends in the throughput run.
    #[arg(long, default_value_t = 150)]
    pub per_client: u64,
    /// Offered load of the latency run, transfers/s.
    #[arg(long, default_value_t = 1_000)]
    pub rate: u64,
    /// Seconds of the latency run.
    #[arg(long, default_value_t = 5)]
    pub seconds: u64,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Runs the benchmark.
pub fn run(args: Args) -> anyhow::Result<()> {
    super::block_on(run_async(args))
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    super::percentile_ms(sorted, p).unwrap_or(0.0)
}

async fn send(c: &HttpClient, tx: &str) -> anyhow::Result<()> {
    let v: Value = c
        .request(
            "fuse_sendTransaction",
            rpc_params![tx, json!({ "wait": true })],
        )
        .await?;
    // Durable by the time of the answer; it may already have moved on into a batch.
    anyhow::ensure!(
        matches!(
            v["status"].as_str(),
            Some("ACCEPTED_IN_L2" | "POSTED" | "FINALIZED")
        ),
        "unexpected answer {v}"
    );
    Ok(())
}

async fn run_async(args: Args) -> anyhow::Result<()> {
    let dir = tempfile::Builder::new()
        .prefix("fuse-l2-bench-")
        .tempdir()?;
    let p = Progress::new("sequencer", 6);
    p.stage("starting the devnet");
    let d = Devnet::start(DevnetConfig {
        data_dir: dir.path().to_path_buf(),
        rpc_addr: "127.0.0.1:0".parse()?,
        clock: EmbeddedClock::System,
        service: ServiceConfig {
            poll_interval: Duration::from_millis(100),
            ..ServiceConfig::default()
        },
        force_delay: 3_600,
        challenge_period: 3_600,
        l1_rpc_addr: None,
        narrate: None,
    })
    .await?;
    let url = format!("http://{}", d.rpc_addr);
    let domain = Domain {
        chain_id: d.info.chain_id,
        inbox: d.info.inbox.into(),
    };
    let latency_total = args.rate * args.seconds;
    // Open-loop requests may overtake each other on the wire, so the latency run spreads its
    // transfers over enough senders that one sender's are far apart (rate / 5 a second each).
    let latency_senders = (args.rate / 5).max(1) as usize;
    let senders = args.clients + latency_senders;
    let keys: Vec<PrivateKeySigner> = (0..senders as u64)
        .map(|i| PrivateKeySigner::from_bytes(&keccak256(i.to_be_bytes())))
        .collect::<Result<_, _>>()?;
    p.announce(format_args!("funding {senders} senders"));
    for k in &keys {
        d.rollup
            .deposit(k.address(), U256::from(10u128.pow(20)))
            .await?;
    }
    let last: [u8; 20] = keys[senders - 1].address().into();
    let latency_keys = &keys[args.clients..];
    while lock(&d.service.sequencer).account(&last, true)?.balance == 0 {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    p.announce(format_args!(
        "signing {} transfers",
        args.clients as u64 * args.per_client + latency_total
    ));
    let to = [0x77u8; 20];
    let signed = |k: &PrivateKeySigner, n: u64| -> String {
        let t = sign(k, &domain, KIND_TRANSFER, to, 1, n).expect("a transfer");
        format!("0x{}", hex::encode(t.encode()))
    };
    let throughput_txs: Vec<Vec<String>> = keys[..args.clients]
        .iter()
        .map(|k| (0..args.per_client).map(|n| signed(k, n)).collect())
        .collect();
    let latency_txs: Vec<String> = (0..latency_total)
        .map(|i| {
            let k = i as usize % latency_senders;
            signed(&latency_keys[k], i / latency_senders as u64)
        })
        .collect();

    // 1. Throughput.
    p.announce(format_args!(
        "{} clients × {} transfers",
        args.clients, args.per_client
    ));
    let client = || -> anyhow::Result<HttpClient> {
        Ok(HttpClientBuilder::default()
            .request_timeout(Duration::from_secs(60))
            .build(&url)?)
    };
    let start = Instant::now();
    let mut tasks = Vec::new();
    for txs in throughput_txs {
        let c = client()?;
        tasks.push(tokio::spawn(async move {
            for t in &txs {
                send(&c, t).await?;
            }
            anyhow::Ok(txs.len())
        }));
    }
    let mut accepted = 0;
    for t in tasks {
        accepted += t.await??;
    }
    let elapsed = start.elapsed();
    let tps = accepted as f64 / elapsed.as_secs_f64();

    // 2. Latency at a fixed offered load (open loop).
    p.announce(format_args!(
        "latency at {} transfers/s for {} s",
        args.rate, args.seconds
    ));
    let c = Arc::new(client()?);
    let gap = Duration::from_nanos(1_000_000_000 / args.rate.max(1));
    let mut tick = tokio::time::interval(gap);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut tasks = Vec::new();
    for t in latency_txs {
        tick.tick().await;
        let c = c.clone();
        tasks.push(tokio::spawn(async move {
            let sent = Instant::now();
            send(&c, &t).await.map(|()| sent.elapsed())
        }));
    }
    // Refusals are counted, not fatal: an open-loop sender's transfers can overtake each
    // other on the wire (a nonce gap), which is the load generator's artefact to report.
    let mut lat = Vec::new();
    let mut refused = 0u64;
    for t in tasks {
        match t.await? {
            Ok(d) => lat.push(d),
            Err(_) => refused += 1,
        }
    }
    lat.sort();

    // 3. Bytes on L1 per transfer, once everything is posted.
    p.stage("waiting for every transfer to be posted to L1");
    let deadline = Instant::now() + Duration::from_secs(60);
    while lock(&d.service.sequencer).unbatched() > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (bytes, txs) = {
        let s = lock(&d.service.sequencer);
        s.store()
            .batches_from(1)?
            .iter()
            .fold((0usize, 0u64), |(b, n), (_, r)| {
                (b + r.data.len(), n + r.count)
            })
    };
    drop(p);
    let out = json!({
        "machine": super::machine_info(),
        "throughput": {
            "clients": args.clients,
            "accepted": accepted,
            "seconds": elapsed.as_secs_f64(),
            "transfersPerSecond": tps,
        },
        "latency": {
            "offeredPerSecond": args.rate,
            "transfers": lat.len(),
            "refused": refused,
            "p50Ms": percentile(&lat, 0.50),
            "p99Ms": percentile(&lat, 0.99),
            "maxMs": percentile(&lat, 1.0),
        },
        "batches": { "transfers": txs, "bytes": bytes, "bytesPerTransfer": bytes as f64 / txs.max(1) as f64 },
    });
    if args.json {
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    println!(
        "sustained: {accepted} transfers acknowledged ACCEPTED_IN_L2 (durable) by {} clients in {:.2} s = {tps:.0} transfers/s",
        args.clients,
        elapsed.as_secs_f64()
    );
    println!(
        "latency at {} transfers/s offered ({} acknowledged, {refused} refused): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        args.rate,
        lat.len(),
        percentile(&lat, 0.50),
        percentile(&lat, 0.99),
        percentile(&lat, 1.0)
    );
    println!(
        "L1 batch bytes: {bytes} for {txs} transfers = {:.1} bytes/transfer",
        bytes as f64 / txs.max(1) as f64
    );
    Ok(())
}
