//! `fuse-l2 bench osp`: proof bytes and L1 gas of one-step proofs, per opcode class, as
//! transactions straight to the `OneStepProver` in revm at the project's fork (EIP-7623's
//! calldata floor included). Two sets: the proof vectors as generated (small modules, code
//! depth ≤ 4), and the same programs padded to a rollup guest's size (code depth 16, memory
//! tree depth 19 for a 16 MiB cap). A benchmark measures and reports; it asserts nothing.

use std::collections::BTreeMap;

use anyhow::Context as _;
use fuse_contracts::evm::Evm;
use fuse_contracts::osp::Osp;
use fuse_prover::osp_vectors::{Case, cases, run_case};
use fuse_vm::isa::{OpClass, Opcode};
use serde_json::{Value, json};

use super::progress::Progress;

/// Arguments of `fuse-l2 bench osp`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print one JSON object instead of tables.
    #[arg(long)]
    pub json: bool,
}

/// One measured proof.
struct Sample {
    class: &'static str,
    alu: bool,
    proof_bytes: u64,
    execution: u64,
    calldata: u64,
    tx: u64,
}

fn class_of(opcode: &str) -> (&'static str, bool) {
    let op = Opcode::ALL.iter().find(|o| o.mnemonic() == opcode);
    match op.map(|o| o.class()) {
        Some(OpClass::Control) | None => ("control", false),
        Some(OpClass::Math) => ("math", true),
        Some(OpClass::Memory) => ("memory", false),
        Some(OpClass::Host) => ("host", false),
    }
}

/// The case inside a module the size of a rollup guest: ~33k more instructions (code depth
/// 16) and a 256-page memory cap (memory depth 19).
pub(crate) fn guest_sized(case: &Case) -> Case {
    let pad = "(drop (i32.const 1)) ".repeat(17_000);
    let wat = case.wat.replace("(memory 1 2)", "(memory 1 256)").replace(
        "(memory (export \"memory\") 1 1)",
        "(memory (export \"memory\") 1 256)",
    );
    // The module's last `)` closes it: the padding function goes just before.
    let end = wat.rfind(')').expect("a module ends with )");
    let wat = format!("{} (func $pad {pad}))", &wat[..end]);
    Case {
        wat,
        name: format!("{} (guest-sized)", case.name),
        ..case.clone()
    }
}

fn measure(p: &Progress, evm: &mut Evm, osp: &Osp, cases: &[Case]) -> anyhow::Result<Vec<Sample>> {
    let mut out = Vec::new();
    for c in cases {
        // Gas is the figure here, not time: a bar per case costs it nothing.
        p.stage(&c.name);
        let v = run_case(c)?;
        let inbox = Osp::inbox(evm, &v.context.inbox_accumulators)?;
        let r = osp.prove_one_step(evm, inbox, v.pre_hash, &v.proof)?;
        anyhow::ensure!(r.post == Ok(v.post_hash), "{}: the OSP disagrees", v.name);
        let (class, alu) = class_of(&v.opcode);
        out.push(Sample {
            class,
            alu: alu && v.outcome == "ran",
            proof_bytes: v.proof.len() as u64,
            execution: r.execution_gas(),
            calldata: r.calldata_gas(),
            tx: r.gas_used,
        });
    }
    Ok(out)
}

fn stats(mut xs: Vec<u64>) -> Value {
    xs.sort_unstable();
    if xs.is_empty() {
        return json!(null);
    }
    json!({ "min": xs[0], "median": xs[xs.len() / 2], "max": xs[xs.len() - 1] })
}

fn summarize(samples: &[Sample]) -> Value {
    let mut groups: BTreeMap<&str, Vec<&Sample>> = BTreeMap::new();
    for s in samples {
        groups.entry(s.class).or_default().push(s);
        if s.alu {
            groups.entry("alu").or_default().push(s);
        }
    }
    let mut out = serde_json::Map::new();
    for (name, g) in groups {
        out.insert(
            name.to_string(),
            json!({
                "count": g.len(),
                "proofBytes": stats(g.iter().map(|s| s.proof_bytes).collect()),
                "executionGas": stats(g.iter().map(|s| s.execution).collect()),
                "calldataGas": stats(g.iter().map(|s| s.calldata).collect()),
                "txGas": stats(g.iter().map(|s| s.tx).collect()),
            }),
        );
    }
    Value::Object(out)
}

fn print_table(title: &str, summary: &Value) {
    println!("\n{title}");
    println!(
        "{:<8} {:>5}  {:>22}  {:>26}  {:>26}",
        "class", "n", "proof bytes min/med/max", "execution gas min/med/max", "tx gas min/med/max"
    );
    if let Value::Object(m) = summary {
        for (class, v) in m {
            let f = |k: &str| format!("{}/{}/{}", v[k]["min"], v[k]["median"], v[k]["max"]);
            println!(
                "{class:<8} {:>5}  {:>22}  {:>26}  {:>26}",
                v["count"],
                f("proofBytes"),
                f("executionGas"),
                f("txGas")
            );
        }
    }
}

/// Runs the benchmark.
pub fn run(args: Args) -> anyhow::Result<()> {
    let mut evm = Evm::new();
    let osp = Osp::deploy(&mut evm).context("deploying the one-step prover")?;
    let all = cases();
    let p = Progress::new("osp", 2 * all.len() as u64);
    p.say(format_args!(
        "{} vectors, then the same at guest size",
        all.len()
    ));
    let small = measure(&p, &mut evm, &osp, &all)?;
    let big_cases: Vec<Case> = all.iter().map(guest_sized).collect();
    let big = measure(&p, &mut evm, &osp, &big_cases)?;
    drop(p);
    let report = json!({
        "machine": super::machine_info(),
        "fork": fuse_contracts::EVM_FORK,
        "vectors": summarize(&small),
        "guestSized": summarize(&big),
    });
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!(
            "one-step proofs as transactions to OneStepProver ({})",
            fuse_contracts::EVM_FORK
        );
        print_table("proof vectors (code depth <= 4)", &report["vectors"]);
        print_table(
            "guest-sized (code depth 16, memory depth 19)",
            &report["guestSized"],
        );
    }
    Ok(())
}
