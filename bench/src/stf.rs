//! `fuse-l2 bench stf`: the state transition in its three executors — VM steps per deposit,
//! transfer and withdrawal at 1k and 1M accounts, the most expensive message the caps allow,
//! compressed bytes per transfer (LZ4 as shipped, deflate for comparison), and native and
//! wasmtime transfers per second. Every measured block is also checked: the machine finishes
//! and native = twin = machine, or the benchmark stops with an error. It asserts no figure.

use std::time::Instant;

use alloy_primitives::B256;
use anyhow::{Context as _, ensure};
use fuse_arbos::batch::{self, MAX_DECOMPRESSED};
use fuse_arbos::message::{
    Deposit, KIND_BATCH, KIND_DEPOSIT, KIND_FORCED_TX, KIND_TICK, MAX_MESSAGE_BYTES, message,
};
use fuse_arbos::stf::{self, execute_block};
use fuse_arbos::tx::{self, KIND_TRANSFER, KIND_WITHDRAW};
use fuse_prover::block::Executor;
use fuse_vm::MAX_STEPS;
use serde_json::{Value, json};

/// Arguments of `fuse-l2 bench stf`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print one JSON object instead of tables.
    #[arg(long)]
    pub json: bool,
    /// Account counts of the chains measured (each is a genesis state of that many funded
    /// accounts; 1,000 of them sign).
    #[arg(long, value_delimiter = ',', default_value = "1000,1000000")]
    pub accounts: Vec<u64>,
    /// Instead: profile a batch of transfers in this guest build (with a name section) and
    /// print the functions the steps go to (see `bench/profile.rs`).
    #[arg(long, value_name = "WASM")]
    pub profile: Option<std::path::PathBuf>,
    /// Measure this guest build instead of the committed one (codec or profile experiments).
    #[arg(long, value_name = "WASM")]
    pub guest: Option<std::path::PathBuf>,
}

use super::progress::Progress;
use super::stf_chain::{Block, Chain, FORCE_DELAY, SENDERS};

/// Steps per deposit, transfer and withdrawal on a chain of `accounts` accounts.
fn per_kind(ex: &Executor, accounts: u64) -> anyhow::Result<Value> {
    let t = Instant::now();
    let mut c = Chain::genesis(accounts)?;
    let genesis_s = t.elapsed().as_secs_f64();
    let tick = c.run(ex, KIND_TICK, &[])?.steps;
    let empty = c.batch(ex, &[])?.steps;
    let d = Deposit {
        l1_sender: [0xee; 20],
        to: c.senders[3],
        amount: 5,
    };
    let deposit = c.run(ex, KIND_DEPOSIT, &d.encode())?.steps;
    let fresh = Deposit {
        to: [0x42; 20],
        ..d
    };
    let deposit_new = c.run(ex, KIND_DEPOSIT, &fresh.encode())?.steps;
    let n = 100;
    let txs = c.txs(n, KIND_TRANSFER);
    let transfers = c.batch(ex, &txs)?.steps;
    let txs = c.txs(n, KIND_WITHDRAW);
    let withdrawals = c.batch(ex, &txs)?.steps;
    Ok(json!({
        "accounts": accounts,
        "genesis_build_s": genesis_s,
        "tick_block": tick,
        "empty_batch_block": empty,
        "deposit_block": deposit,
        "deposit_new_account_block": deposit_new,
        "transfer": (transfers - empty) / n as u64,
        "withdrawal": (withdrawals - empty) / n as u64,
        "batch_of_100_transfers_block": transfers,
        "batch_of_100_withdrawals_block": withdrawals,
    }))
}

/// Bytes of batch data per transfer, LZ4 as shipped and deflate for comparison.
fn sizes(c: &mut Chain) -> Value {
    let mut out = Vec::new();
    for n in [100usize, 1_000] {
        let txs = c.txs(n, KIND_TRANSFER);
        let payload = batch::encode_payload(&txs);
        let lz4 = batch::compress(&payload).len();
        let deflate = miniz_oxide::deflate::compress_to_vec(&payload, 9).len();
        let msg = 32 + 72 + lz4;
        out.push(json!({
            "txs": n,
            "raw_per_tx": payload.len() as f64 / n as f64,
            "lz4_per_tx": lz4 as f64 / n as f64,
            "message_per_tx": msg as f64 / n as f64,
            "deflate9_per_tx": deflate as f64 / n as f64,
        }));
    }
    Value::Array(out)
}

/// The most expensive messages the caps allow, valid and hostile.
fn worst_cases(ex: &Executor, c: &mut Chain) -> anyhow::Result<Value> {
    let mut rows = Vec::new();
    let mut record = |name: &str, b: &Block| {
        rows.push(json!({
            "message": name,
            "steps": b.steps,
            "receipts": b.report.receipts.len(),
            "memory_kib": b.memory_pages as u64 * 64,
        }));
    };
    // 1. The most distinct valid transfers one message holds.
    let mut n = 1_600;
    let (txs, data) = loop {
        let saved = (c.nonces.clone(), c.seq);
        let txs = c.txs(n, KIND_TRANSFER);
        let data = c.batch_data(&txs);
        if 32 + data.len() <= MAX_MESSAGE_BYTES {
            break (txs, data);
        }
        (c.nonces, c.seq) = saved;
        n -= 50;
    };
    c.seq -= 1;
    let b = c.run(ex, KIND_BATCH, &data)?;
    ensure!(b.report.receipts.iter().all(|r| r.result.is_ok()));
    record(
        &format!(
            "batch of {} valid transfers (fills MAX_MESSAGE_BYTES)",
            txs.len()
        ),
        &b,
    );
    // 2. 4,096 copies of one signed transfer: every copy is recovered, all but one replay.
    let one = c.txs(1, KIND_TRANSFER);
    let copies = vec![one[0].clone(); batch::MAX_BATCH_TXS as usize];
    let data = c.batch_data(&copies);
    let b = c.run(ex, KIND_BATCH, &data)?;
    record(
        "4,096 copies of one transfer (MAX_BATCH_TXS, all recovered)",
        &b,
    );
    // 3. The largest legal decompression, of a payload that then fails to decode.
    c.seq += 1;
    let mut data = vec![0u8; 72];
    data[..8].copy_from_slice(&c.seq.to_be_bytes());
    data.extend_from_slice(&batch::compress(&vec![0xffu8; MAX_DECOMPRESSED]));
    let b = c.run(ex, KIND_BATCH, &data)?;
    record("512 KiB decompression that does not decode", &b);
    // 4. A full-size message of random bytes, as a batch and as an unknown kind.
    let mut junk = vec![0u8; MAX_MESSAGE_BYTES - 32];
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    for b in junk.iter_mut() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *b = x as u8;
    }
    let b = c.run(ex, KIND_BATCH, &junk)?;
    record("128 KiB of random bytes as a batch", &b);
    let b = c.run(ex, 0xee, &junk)?;
    record("128 KiB of random bytes, unknown kind", &b);
    // 5. A block that drains the most forced transactions it may (64).
    // All queued in the same L1 second, so all fall due in one block.
    c.clock_step = 0;
    for _ in 0..stf::MAX_FORCED_PER_BLOCK {
        let t = c.txs(1, KIND_TRANSFER).remove(0);
        c.run(ex, KIND_FORCED_TX, &t.encode())?;
    }
    c.now += FORCE_DELAY;
    c.clock_step = 12;
    let b = c.run(ex, KIND_TICK, &[])?;
    ensure!(b.report.receipts.len() == stf::MAX_FORCED_PER_BLOCK as usize);
    record("tick draining 64 forced transfers", &b);
    let worst = rows
        .iter()
        .filter_map(|r| r["steps"].as_u64())
        .max()
        .unwrap_or(0);
    Ok(json!({ "messages": rows, "worst": worst, "bound": MAX_STEPS / 4 }))
}

thread_local! {
    /// Signature recoveries by input, for the native run without recovery cost.
    static RECOVERED: std::cell::RefCell<std::collections::HashMap<[u8; 128], [u8; 32]>> =
        Default::default();
}

/// Precompile 0x01, remembering each answer for [`recovered`].
fn recording(input: &[u8; 128]) -> [u8; 32] {
    let out = fuse_vm::host::ecrecover(input);
    RECOVERED.with(|c| c.borrow_mut().insert(*input, out));
    out
}

/// Precompile 0x01 answered from what [`recording`] saw: the same results at no cost.
fn recovered(input: &[u8; 128]) -> [u8; 32] {
    RECOVERED.with(|c| c.borrow().get(input).copied().unwrap_or([0; 32]))
}

/// Transfers per second natively and in the twin (and the machine, for scale); natively also
/// with signature recovery answered from a cache, which splits the native cost into
/// recovery and everything else (a sequencer recovers each sender once, at ingress).
fn throughput(ex: &Executor, c: &mut Chain) -> anyhow::Result<Value> {
    let (mut n, mut native, mut twin, mut machine) = (0usize, 0f64, 0f64, 0f64);
    let mut without_recovery = 0f64;
    for _ in 0..5 {
        let txs = c.txs(1_000, KIND_TRANSFER);
        // The same block natively on a copy of the chain, recording then replaying the
        // recoveries; the measured run below is unaffected.
        let mut probe = c.env.clone();
        probe.inbox = message(&c.header(KIND_BATCH), &c.clone_batch_data(&txs));
        probe.ecrecover = Some(recording);
        execute_block(&mut probe.clone(), c.gs).map_err(|_| anyhow::anyhow!("corrupt"))?;
        probe.ecrecover = Some(recovered);
        let t = Instant::now();
        let (_, r) = execute_block(&mut probe, c.gs).map_err(|_| anyhow::anyhow!("corrupt"))?;
        without_recovery += t.elapsed().as_secs_f64();
        ensure!(
            r.receipts.iter().all(|x| x.result.is_ok()),
            "the cached run skipped a tx"
        );
        RECOVERED.with(|c| c.borrow_mut().clear());
        let b = c.batch(ex, &txs)?;
        n += txs.len();
        native += b.native_s;
        twin += b.twin_s;
        machine += b.machine_s;
    }
    // The floor under the native figure: one signature recovery per transfer, timed alone
    // with revm's precompile (libsecp256k1) and with k256, so figures from machines of
    // different speed can be compared.
    let probe = c.txs(1, KIND_TRANSFER).remove(0);
    let digest = tx::digest(&mut c.env, &c.domain, &probe).expect("a transfer");
    let mut input = [0u8; 128];
    input[..32].copy_from_slice(&digest);
    input[63] = probe.v;
    input[64..96].copy_from_slice(&probe.r);
    input[96..].copy_from_slice(&probe.s);
    let time = |f: &dyn Fn() -> bool| {
        let t = Instant::now();
        let ok = (0..2_000).all(|_| f());
        (t.elapsed().as_secs_f64() * 1e6 / 2_000.0, ok)
    };
    let (secp_us, ok1) =
        time(&|| fuse_vm::host::ecrecover(std::hint::black_box(&input)) != [0; 32]);
    let sig = alloy_primitives::B512::from_slice(&input[64..]);
    let msg = B256::from(digest);
    let (k256_us, ok2) =
        time(&|| revm::precompile::secp256k1::k256::ecrecover(&sig, probe.v - 27, &msg).is_ok());
    ensure!(ok1 && ok2, "the calibration signature did not recover");
    Ok(json!({
        "transfers": n,
        "ecrecover_libsecp256k1_us": secp_us,
        "ecrecover_k256_us": k256_us,
        "native_per_s": n as f64 / native,
        "native_without_recovery_per_s": n as f64 / without_recovery,
        "twin_per_s": n as f64 / twin,
        "machine_per_s": n as f64 / machine,
    }))
}

/// Runs the benchmark.
pub fn run(args: Args) -> anyhow::Result<()> {
    if let Some(path) = &args.profile {
        let wasm = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        return super::profile::run(&wasm, 20);
    }
    let (ex, wasm_len) = match &args.guest {
        Some(path) => {
            let wasm =
                std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
            (Executor::new(&wasm)?, wasm.len())
        }
        None => (Executor::guest()?, fuse_prover::guest::WASM.len()),
    };
    let mut kinds = Vec::new();
    let p = Progress::new("stf", args.accounts.len() as u64 + 3);
    for &a in &args.accounts {
        p.announce(format_args!("chain of {a} accounts"));
        kinds.push(per_kind(&ex, a)?);
    }
    p.say("batch sizes, worst cases, throughput on 1,000 accounts…");
    p.stage("batch sizes");
    let mut c = Chain::genesis(SENDERS as u64)?;
    let sizes = sizes(&mut c);
    p.stage("worst cases");
    let mut c = Chain::genesis(SENDERS as u64)?;
    let worst = worst_cases(&ex, &mut c)?;
    p.stage("throughput on 1,000 accounts");
    let mut c = Chain::genesis(SENDERS as u64)?;
    let speed = throughput(&ex, &mut c)?;
    drop(p);
    let out = json!({
        "machine": super::machine_info(),
        "guest": { "module_root": ex.module().root.to_string(), "bytes": wasm_len },
        "steps": kinds,
        "batch_bytes": sizes,
        "worst_case": worst,
        "throughput": speed,
    });
    if args.json {
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    println!("VM steps (guest {wasm_len} bytes)");
    println!(
        "{:>10} {:>9} {:>9} {:>10} {:>9} {:>9}",
        "accounts", "deposit", "transfer", "withdrawal", "tick", "empty"
    );
    for k in out["steps"].as_array().into_iter().flatten() {
        println!(
            "{:>10} {:>9} {:>9} {:>10} {:>9} {:>9}",
            k["accounts"].to_string(),
            k["deposit_block"].to_string(),
            k["transfer"].to_string(),
            k["withdrawal"].to_string(),
            k["tick_block"].to_string(),
            k["empty_batch_block"].to_string()
        );
    }
    println!("\nbatch bytes per transfer (1,000 accounts)");
    println!(
        "{:>6} {:>8} {:>8} {:>9} {:>9}",
        "txs", "raw", "lz4", "message", "deflate9"
    );
    for s in out["batch_bytes"].as_array().into_iter().flatten() {
        println!(
            "{:>6} {:>8.1} {:>8.1} {:>9.1} {:>9.1}",
            s["txs"].to_string(),
            s["raw_per_tx"].as_f64().unwrap_or(0.0),
            s["lz4_per_tx"].as_f64().unwrap_or(0.0),
            s["message_per_tx"].as_f64().unwrap_or(0.0),
            s["deflate9_per_tx"].as_f64().unwrap_or(0.0)
        );
    }
    println!(
        "\nmost expensive messages (bound MAX_STEPS/4 = {}; memory cap 16,384 KiB)",
        MAX_STEPS / 4
    );
    for r in out["worst_case"]["messages"]
        .as_array()
        .into_iter()
        .flatten()
    {
        println!(
            "{:>12} steps {:>7} KiB  {}",
            r["steps"].to_string(),
            r["memory_kib"].to_string(),
            r["message"].as_str().unwrap_or("")
        );
    }
    let t = &out["throughput"];
    println!(
        "\ntransfers/s (batches of 1,000): native {:.0}, wasmtime twin {:.0}, stepping machine {:.0}",
        t["native_per_s"].as_f64().unwrap_or(0.0),
        t["twin_per_s"].as_f64().unwrap_or(0.0),
        t["machine_per_s"].as_f64().unwrap_or(0.0)
    );
    println!(
        "native with signature recovery answered from a cache: {:.0} transfers/s",
        t["native_without_recovery_per_s"].as_f64().unwrap_or(0.0)
    );
    println!(
        "one ecrecover on this machine: {:.1} us with libsecp256k1 (revm), {:.1} us with k256",
        t["ecrecover_libsecp256k1_us"].as_f64().unwrap_or(0.0),
        t["ecrecover_k256_us"].as_f64().unwrap_or(0.0)
    );
    Ok(())
}
