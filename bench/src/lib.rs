//! fuse-bench — the benchmarks (`fuse-bench …`, also reached as `fuse-l2 bench …`). They
//! measure and report; they never fail on a figure (docs/benchmarks.md).
//!
//! Layer: the top, beside the binary; nothing depends on it. Its own dependencies (deflate
//! for the codec comparison, the WAT parser for synthetic workloads) stay out of `fuse-l2`.
#![forbid(unsafe_code)]

pub mod abuse;
pub mod attacks;
pub mod dispute;
pub mod dispute_cost;
pub mod osp;
pub mod profile;
pub mod progress;
pub mod sequencer;
pub mod stf;
mod stf_chain;
pub mod vm;
pub mod workloads;

/// Which benchmark to run.
#[derive(Debug, clap::Subcommand)]
pub enum Bench {
    /// The stepping machine: steps/s with and without hashing, keccak per step, the twin.
    Vm(vm::Args),
    /// One-step proofs on L1: proof bytes and gas per opcode class (revm, the project's fork).
    Osp(osp::Args),
    /// The state transition: VM steps per deposit, transfer and withdrawal at 1k and 1M
    /// accounts, the worst case the caps allow, batch bytes per transfer, transfers/s.
    Stf(stf::Args),
    /// The L1 cost model: gas of the bridge entry points, and L1 transactions and gas per
    /// party of a dispute over 2^10 blocks for bisection degrees 2, 4, 16, 64.
    DisputeCost(dispute_cost::Args),
    /// Whole disputes over blocks of ~10^7 (guest batch) and ~10^9 (synthetic loop) steps:
    /// trace and proof times with checkpoints, L1 transactions and gas per party, wall time,
    /// peak memory.
    Dispute(dispute::Args),
    /// Attacker strategies against the honest validator with 1, 4 and 16 attacker bonds: the
    /// honest assertion's delay against the bound, the honest side's transactions, gas and
    /// refunds, the attacker's loss and the resource ratio.
    Attacks(attacks::Args),
    /// The servers under free abuse on loopback (slowloris, garbage signatures, big batches,
    /// malformed bodies, the L1 endpoint's slowloris): an honest client's latency during each,
    /// refusals, disk and memory growth.
    Abuse(abuse::Args),
    /// The sequencer over loopback JSON-RPC: sustained transfers/s acknowledged durable,
    /// soft-confirmation latency p50/p99 at a fixed offered load, L1 batch bytes per transfer.
    Sequencer(sequencer::Args),
}

/// Runs a benchmark.
pub fn run(b: Bench) -> anyhow::Result<()> {
    match b {
        Bench::Vm(a) => vm::run(a),
        Bench::Osp(a) => osp::run(a),
        Bench::Stf(a) => stf::run(a),
        Bench::DisputeCost(a) => dispute_cost::run(a),
        Bench::Dispute(a) => dispute::run(a),
        Bench::Sequencer(a) => sequencer::run(a),
        Bench::Attacks(a) => attacks::run(a),
        Bench::Abuse(a) => abuse::run(a),
    }
}

/// What the figures were measured on.
pub fn machine_info() -> serde_json::Value {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into());
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    serde_json::json!({ "cpu": cpu, "cores": cores, "profile": if cfg!(debug_assertions) { "debug" } else { "release" } })
}

/// Runs an async benchmark on a multi-threaded runtime of its own.
pub(crate) fn block_on<T>(
    f: impl std::future::Future<Output = anyhow::Result<T>>,
) -> anyhow::Result<T> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(f)
}

/// The `p` quantile (0..=1, nearest rank) of sorted durations, in milliseconds; `None` if
/// there are none.
pub(crate) fn percentile_ms(sorted: &[std::time::Duration], p: f64) -> Option<f64> {
    let i = ((sorted.len().checked_sub(1)?) as f64 * p).round() as usize;
    Some(sorted[i].as_secs_f64() * 1e3)
}
