//! `fuse-l2 bench dispute`: whole disputes over big blocks, to show proof time, gas and memory stay
//! bounded as blocks grow to 10^9 steps. Two blocks: a batch of the committed guest of about 10^7
//! steps, and a synthetic loop of about 10^9 steps. For each: a plain run of the block, recording
//! its checkpointed trace, the hashes of one bisection round and the one-step proof at the far end
//! of the block from the checkpoints, then a whole dispute on the embedded L1 (honest side against
//! a liar that departs near the block's end: both levels, the proof) with L1 transactions and gas
//! per party and its wall time, and the process's peak memory. It measures and reports.

use std::time::Instant;

use fuse_prover::scenario::{Scenario, Wallet};
use serde_json::{Value, json};

use fuse_devnet::replay::record::{Setup, module_of, record, truth_of};
use fuse_devnet::replay::vector::{LieRecord, Side};

use super::progress::Progress;

/// Arguments of `fuse-l2 bench dispute`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print one JSON object instead of tables.
    #[arg(long)]
    pub json: bool,
    /// Transfers in the guest batch (about 9,000 steps each among two accounts).
    #[arg(long, default_value_t = 1_100)]
    pub transfers: usize,
    /// Loop iterations of the synthetic block (6 steps each; 0 skips it).
    #[arg(long, default_value_t = 166_666_666)]
    pub iterations: u64,
}

/// A module whose entry counts `n` down: 6 steps an iteration.
fn loop_wat(n: u64) -> String {
    format!(
        r#"(module
  (func (export "fuse_entry") (local i32)
    (local.set 0 (i32.const {n}))
    (loop $l
      (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
      (br_if $l (local.get 0)))))"#
    )
}

/// The peak resident memory of this process so far, in MiB.
fn peak_mib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb / 1024)
}

/// A one-block dispute of `name` over `inbox` (range `range`), the honest side challenging; the
/// liar's step is set once the block's length is known.
fn setup(name: String, wasm: Option<Vec<u8>>, inbox: Vec<Vec<u8>>, range: (u64, u64)) -> Setup {
    Setup {
        name,
        description: String::new(),
        wasm,
        inbox,
        range,
        lie: LieRecord {
            block: 0,
            step: None,
            silent_after: None,
        },
        challenger: Side::Honest,
        degree: fuse_contracts::deploy::DEFAULT_DEGREE,
        clock: 3_600,
    }
}

fn guest_setup(transfers: usize) -> Setup {
    let (alice, bob) = (Wallet::from_seed(0xa1), Wallet::from_seed(0xb0));
    let mut s = Scenario::new(412_346, [0x1b; 20], 600, 1_800_000_000);
    s.deposit(alice.address, 10u128.pow(20));
    let txs: Vec<_> = (0..transfers)
        .map(|_| s.transfer(&alice, bob.address, 10u128.pow(12)))
        .collect();
    s.batch(&txs);
    let name = format!("guest batch of {transfers} transfers");
    setup(name, None, s.messages().to_vec(), (2, 3))
}

fn loop_setup(iterations: u64) -> anyhow::Result<Setup> {
    let wasm =
        fuse_vm::testing::programs::try_wat(&loop_wat(iterations)).map_err(anyhow::Error::msg)?;
    let inbox = vec![vec![fuse_arbos::message::KIND_TICK]];
    let name = format!("loop of {iterations} iterations");
    Ok(setup(name, Some(wasm), inbox, (0, 1)))
}

/// The stages [`measure`] reports, for the progress bar.
const STAGES_PER_BLOCK: u64 = 5;

/// Measures one block; the lie is placed 7 steps before its end.
async fn measure(p: &Progress, mut setup: Setup) -> anyhow::Result<Value> {
    let module = module_of(setup.wasm.as_deref())?;
    p.stage(format_args!("{}: plain run", setup.name));
    let t = Instant::now();
    let mut truth = truth_of(&module, &setup.inbox, setup.range)?;
    let plain = t.elapsed().as_secs_f64();
    let b = 0;
    p.stage(format_args!("{}: trace with checkpoints", setup.name));
    let t = Instant::now();
    let trace = truth.trace(b)?;
    let record_s = t.elapsed().as_secs_f64();
    let steps = trace.steps();
    let (snapshots, interval) = trace.snapshots();
    // One bisection round at the far end: 17 hashes over the last 2^12 steps.
    let far = steps.saturating_sub(1);
    let from = far.saturating_sub(1 << 12);
    let points: Vec<u64> = (0..=16).map(|i| from + i * (far - from) / 16).collect();
    p.stage(format_args!("{}: one bisection round", setup.name));
    let t = Instant::now();
    trace.hashes_at(&points)?;
    let round_s = t.elapsed().as_secs_f64();
    p.stage(format_args!("{}: proof of the last step", setup.name));
    let t = Instant::now();
    let (proof, _) = trace.prove_at(far)?;
    let proof_s = t.elapsed().as_secs_f64();

    setup.lie.step = Some(steps.saturating_sub(7).max(1));
    p.stage(format_args!(
        "{}: whole dispute on the embedded L1",
        setup.name
    ));
    let t = Instant::now();
    let v = record(&setup).await?;
    let dispute_s = t.elapsed().as_secs_f64();
    let per = |s: Side| {
        let moves: Vec<_> = v.moves.iter().filter(|m| m.party == s).collect();
        json!({ "txs": moves.len() + usize::from(s == v.challenger), "gas": moves.iter().map(|m| m.gas).sum::<u64>() })
    };
    Ok(json!({
        "block": setup.name,
        "steps": steps,
        "plain_run_s": plain,
        "trace_record_s": record_s,
        "snapshots": snapshots,
        "snapshot_interval": interval,
        "round_hashes_s": round_s,
        "far_proof_s": proof_s,
        "far_proof_bytes": proof.len(),
        "dispute": {
            "wall_s": dispute_s,
            "moves": v.moves.len(),
            "winner": v.outcome.winner.name(),
            "reason": v.outcome.reason,
            "honest": per(Side::Honest),
            "liar": per(Side::Liar),
        },
        "peak_rss_mib": peak_mib(),
    }))
}

/// Runs the benchmark.
pub fn run(args: Args) -> anyhow::Result<()> {
    tokio::runtime::Runtime::new()?.block_on(async {
        let blocks = if args.iterations > 0 { 2 } else { 1 };
        let p = Progress::new("dispute", blocks * STAGES_PER_BLOCK);
        let mut rows = vec![measure(&p, guest_setup(args.transfers)).await?];
        if args.iterations > 0 {
            rows.push(measure(&p, loop_setup(args.iterations)?).await?);
        }
        drop(p);
        let out = json!({ "machine": super::machine_info(), "blocks": rows });
        if args.json {
            println!("{}", serde_json::to_string_pretty(&out)?);
            return Ok(());
        }
        println!("bench dispute ({}):", out["machine"]);
        for r in &rows {
            let d = &r["dispute"];
            println!(
                "  {}: {} steps\n    plain run {:.2} s; trace with checkpoints {:.2} s ({} snapshots, every {} steps)\n    \
                 one round of 17 hashes at the far end {:.3} s; proof of step {} from the checkpoints {:.3} s ({} bytes)\n    \
                 whole dispute on the embedded L1 {:.2} s: {} moves, {} won by {}; honest {} txs {} gas, liar {} txs {} gas\n    \
                 peak memory so far {} MiB",
                r["block"].as_str().unwrap_or_default(),
                r["steps"],
                r["plain_run_s"].as_f64().unwrap_or_default(),
                r["trace_record_s"].as_f64().unwrap_or_default(),
                r["snapshots"],
                r["snapshot_interval"],
                r["round_hashes_s"].as_f64().unwrap_or_default(),
                r["steps"].as_u64().unwrap_or(1) - 1,
                r["far_proof_s"].as_f64().unwrap_or_default(),
                r["far_proof_bytes"],
                d["wall_s"].as_f64().unwrap_or_default(),
                d["moves"],
                d["winner"].as_str().unwrap_or_default(),
                d["reason"].as_str().unwrap_or_default(),
                d["honest"]["txs"],
                d["honest"]["gas"],
                d["liar"]["txs"],
                d["liar"]["gas"],
                r["peak_rss_mib"],
            );
        }
        Ok(())
    })
}
