//! `fuse-l2 bench vm`: steps per second of the stepping machine, with hashing off, every
//! 1,024 steps and every step; keccak calls per step by instruction class; and the wasmtime
//! twin on the same work. A benchmark measures and reports; it asserts nothing.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};
use fuse_twin::Twin;
use fuse_vm::isa::OpClass;
use fuse_vm::spectest::{Outcome, Twin as _};
use fuse_vm::{GlobalState, Machine, MemoryHost, Status, hash};
use serde_json::{Value, json};

use super::progress::Progress;
use super::workloads;

/// Arguments of `fuse-l2 bench vm`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Steps per measurement with hashing off (scaled down for the hashing modes).
    #[arg(long, default_value_t = 200_000_000)]
    pub steps: u64,
}

/// A machine about to run the workload's `run(n)` for `iterations` iterations.
fn start(wasm: &[u8], iterations: u64) -> anyhow::Result<Machine> {
    let module = Arc::new(fuse_vm::load(wasm).context("loading the workload")?);
    let f = module
        .exported_func("run")
        .context("workload exports run")?;
    let mut m = Machine::new(module, GlobalState::default());
    m.run(&mut MemoryHost::default(), 10)?;
    m.invoke(f, &[iterations.min(u32::MAX as u64)])
        .map_err(anyhow::Error::msg)?;
    Ok(m)
}

enum Hashing {
    Off,
    Every(u64),
}

struct Measured {
    steps: u64,
    secs: f64,
    keccaks: u64,
    by_class: BTreeMap<&'static str, (u64, u64)>,
}

fn class_name(c: OpClass) -> &'static str {
    match c {
        OpClass::Control => "control",
        OpClass::Math => "math",
        OpClass::Memory => "memory",
        OpClass::Host => "host",
    }
}

fn measure(wasm: &[u8], per_iter: u64, steps: u64, hashing: Hashing) -> anyhow::Result<Measured> {
    let mut m = start(wasm, steps / per_iter + 2)?;
    let mut host = MemoryHost::default();
    m.hash();
    let k0 = hash::keccak_calls();
    let mut by_class = BTreeMap::new();
    let t = Instant::now();
    let mut done = 0;
    match hashing {
        Hashing::Off => done = m.run(&mut host, steps)?,
        Hashing::Every(1) => {
            while done < steps && m.status() == Status::Running {
                let op = m.module().code[m.pc() as usize].op;
                let before = hash::keccak_calls();
                done += m.run(&mut host, 1)?;
                std::hint::black_box(m.hash());
                let e: &mut (u64, u64) = by_class.entry(class_name(op.class())).or_default();
                e.0 += 1;
                e.1 += hash::keccak_calls() - before;
            }
        }
        Hashing::Every(n) => {
            while done < steps && m.status() == Status::Running {
                done += m.run(&mut host, n.min(steps - done))?;
                std::hint::black_box(m.hash());
            }
        }
    }
    let secs = t.elapsed().as_secs_f64();
    if m.status() != Status::Running {
        bail!("workload ended early ({:?}) after {done} steps", m.status());
    }
    Ok(Measured {
        steps: done,
        secs,
        keccaks: hash::keccak_calls() - k0,
        by_class,
    })
}

fn twin_time(wasm: &[u8], iterations: u64) -> anyhow::Result<f64> {
    let mut twin = Twin::new();
    let mut inst = twin
        .instantiate(wasm)
        .map_err(anyhow::Error::msg)?
        .map_err(|t| anyhow::anyhow!("twin trapped: {t}"))?;
    let t = Instant::now();
    let out = twin
        .invoke(&mut inst, "run", &[iterations])
        .map_err(anyhow::Error::msg)?;
    let secs = t.elapsed().as_secs_f64();
    if !matches!(out, Outcome::Values(_)) {
        bail!("twin trapped on the workload");
    }
    Ok(secs)
}

/// Measurements per workload, for the progress bar.
const STAGES_PER_WORKLOAD: u64 = 4;

fn workload(
    p: &Progress,
    name: &str,
    text: &str,
    per_iter: u64,
    steps: u64,
) -> anyhow::Result<Value> {
    let wasm = workloads::wat(text)?;
    p.announce(format_args!("{name}: hashing off ({steps} steps)"));
    let off = measure(&wasm, per_iter, steps, Hashing::Off)?;
    let every_1024_steps = (steps / 10).max(1024);
    p.announce(format_args!(
        "{name}: hashing every 1,024 steps ({every_1024_steps} steps)"
    ));
    let w1024 = measure(&wasm, per_iter, every_1024_steps, Hashing::Every(1024))?;
    let every_step_steps = (steps / 200).max(1024);
    p.announce(format_args!(
        "{name}: hashing every step ({every_step_steps} steps)"
    ));
    let w1 = measure(&wasm, per_iter, every_step_steps, Hashing::Every(1))?;
    let iterations = steps / per_iter;
    p.announce(format_args!(
        "{name}: wasmtime twin ({iterations} iterations)"
    ));
    let twin_secs = twin_time(&wasm, iterations)?;
    let rate = |m: &Measured| (m.steps as f64 / m.secs).round();
    let twin_rate = (iterations * per_iter) as f64 / twin_secs;
    let classes: BTreeMap<&str, Value> = w1
        .by_class
        .iter()
        .map(|(c, (n, k))| {
            (
                *c,
                json!({ "steps": n, "keccakPerStep": *k as f64 / *n as f64 }),
            )
        })
        .collect();
    Ok(json!({
        "workload": name,
        "instructionsPerIteration": per_iter,
        "stepsPerSec": {
            "hashingOff": rate(&off),
            "hashEvery1024": rate(&w1024),
            "hashEveryStep": rate(&w1),
        },
        "keccakPerStep": {
            "hashEvery1024": w1024.keccaks as f64 / w1024.steps as f64,
            "hashEveryStep": w1.keccaks as f64 / w1.steps as f64,
            "byClassHashEveryStep": classes,
        },
        "twin": {
            "seconds": twin_secs,
            "stepsPerSec": twin_rate.round(),
            "slowdownHashingOff": twin_rate / rate(&off),
        },
    }))
}

/// Runs the three workloads and prints the figures.
pub fn run(args: Args) -> anyhow::Result<()> {
    let p = Progress::new("vm", 3 * STAGES_PER_WORKLOAD);
    let results = vec![
        workload(
            &p,
            "compute",
            workloads::COMPUTE,
            workloads::COMPUTE_STEPS,
            args.steps,
        )?,
        workload(
            &p,
            "memory",
            workloads::MEMORY,
            workloads::MEMORY_STEPS,
            args.steps,
        )?,
        workload(
            &p,
            "calls",
            workloads::CALLS,
            workloads::CALLS_STEPS,
            args.steps,
        )?,
    ];
    drop(p);
    let report = json!({
        "bench": "vm",
        "machine": super::machine_info(),
        "workloads": results,
        "note": "synthetic workloads; the rollup guest in the machine is measured by `bench stf`",
    });
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!(
            "{:<9} {:>14} {:>14} {:>14} {:>10} {:>14} {:>9}",
            "workload",
            "off steps/s",
            "1024 steps/s",
            "1 steps/s",
            "keccak/st",
            "twin steps/s",
            "twin ×"
        );
        for w in &report["workloads"].as_array().cloned().unwrap_or_default() {
            println!(
                "{:<9} {:>14.3e} {:>14.3e} {:>14.3e} {:>10.2} {:>14.3e} {:>9.1}",
                w["workload"].as_str().unwrap_or(""),
                w["stepsPerSec"]["hashingOff"].as_f64().unwrap_or(0.0),
                w["stepsPerSec"]["hashEvery1024"].as_f64().unwrap_or(0.0),
                w["stepsPerSec"]["hashEveryStep"].as_f64().unwrap_or(0.0),
                w["keccakPerStep"]["hashEveryStep"].as_f64().unwrap_or(0.0),
                w["twin"]["stepsPerSec"].as_f64().unwrap_or(0.0),
                w["twin"]["slowdownHashingOff"].as_f64().unwrap_or(0.0),
            );
        }
    }
    Ok(())
}
