//! `fuse-l2 bench stf --profile WASM`: where the guest's steps go. Runs a batch of transfers
//! in the stepping machine one step at a time and counts the steps taken inside each
//! function (self steps, not including callees), named from the module's name section.
//! Build a guest with names first:
//! `CARGO_PROFILE_GUEST_STRIP=false cargo build -p fuse-guest --target wasm32v1-none
//! --profile guest --target-dir target/guest-names`.

use std::collections::BTreeMap;

use fuse_prover::block::Executor;
use fuse_vm::Status;

/// Function names by index, from the name section (empty if there is none).
fn names(wasm: &[u8]) -> BTreeMap<u32, String> {
    let mut out = BTreeMap::new();
    for payload in wasmparser::Parser::new(0).parse_all(wasm).flatten() {
        if let wasmparser::Payload::CustomSection(c) = payload
            && let wasmparser::KnownCustom::Name(reader) = c.as_known()
        {
            for sub in reader.into_iter().flatten() {
                if let wasmparser::Name::Function(map) = sub {
                    for n in map.into_iter().flatten() {
                        out.insert(n.index, n.name.to_string());
                    }
                }
            }
        }
    }
    out
}

/// Imported functions (the host calls): function indices of bodies start after them.
fn imported_functions(wasm: &[u8]) -> u32 {
    let mut n = 0;
    for payload in wasmparser::Parser::new(0).parse_all(wasm).flatten() {
        if let wasmparser::Payload::ImportSection(s) = payload {
            for imports in s.into_iter().flatten() {
                n += imports
                    .into_iter()
                    .flatten()
                    .filter(|(_, i)| matches!(i.ty, wasmparser::TypeRef::Func(_)))
                    .count() as u32;
            }
        }
    }
    n
}

/// Profiles one block of `txs` transfers; prints the top functions by self steps.
pub fn run(wasm: &[u8], txs: usize) -> anyhow::Result<()> {
    let ex = Executor::new(wasm)?;
    let mut chain = super::stf_chain::Chain::genesis(1_000)?;
    let batch = chain.txs(txs, fuse_arbos::tx::KIND_TRANSFER);
    let data = chain.batch_data(&batch);
    let (mut machine, mut host) = chain.machine_for(&ex, fuse_arbos::message::KIND_BATCH, &data)?;
    let module = ex.module().clone();
    let mut by_body: BTreeMap<usize, u64> = BTreeMap::new();
    // Steps in memory builtins (memset, memcpy, memcmp) charged to their caller.
    let mut builtin_callers: BTreeMap<(usize, usize), u64> = BTreeMap::new();
    let body_of = |pc: u32| module.bodies.partition_point(|b| b.end <= pc);
    let names = names(wasm);
    let imports = imported_functions(wasm);
    let name_of = |body: usize| match body {
        0 => "(entry)".to_string(),
        b => {
            let f = imports + b as u32 - 1;
            names
                .get(&f)
                .cloned()
                .unwrap_or_else(|| format!("func {f}"))
        }
    };
    let is_builtin = |body: usize| {
        let n = name_of(body);
        n.contains("memset") || n.contains("memcpy") || n.contains("memcmp")
    };
    // Opcodes executed, by function: what a hot function spends its steps on.
    let mut ops: BTreeMap<(usize, &'static str), u64> = BTreeMap::new();
    while machine.status() == Status::Running {
        let body = body_of(machine.pc());
        *by_body.entry(body).or_default() += 1;
        if let Some(i) = module.code.get(machine.pc() as usize) {
            *ops.entry((body, i.op.mnemonic())).or_default() += 1;
        }
        if is_builtin(body) {
            let caller = machine
                .frames()
                .iter()
                .rev()
                .map(|f| body_of(f.return_pc))
                .find(|&b| !is_builtin(b))
                .unwrap_or(0);
            *builtin_callers.entry((body, caller)).or_default() += 1;
        }
        machine.run(&mut host, 1)?;
    }
    anyhow::ensure!(
        machine.status() == Status::Finished,
        "the block ended {:?}",
        machine.status()
    );
    let total = machine.steps();
    let mut by_body_sorted: Vec<(u64, usize)> = by_body.iter().map(|(b, n)| (*n, *b)).collect();
    by_body_sorted.sort_by(|a, b| b.cmp(a));
    let rows: Vec<(u64, String)> = by_body
        .into_iter()
        // Body 0 is the machine's synthetic entry; body i ≥ 1 is defined function i − 1.
        .map(|(body, steps)| (steps, name_of(body)))
        .collect();
    println!(
        "{total} steps for a batch of {txs} transfers ({} per transfer)",
        total / txs.max(1) as u64
    );
    print_top(rows, 30, total);
    if let Some((_, hot)) = by_body_sorted.first() {
        let mut top: Vec<(u64, &str)> = ops
            .iter()
            .filter(|((b, _), _)| b == hot)
            .map(|((_, op), n)| (*n, *op))
            .collect();
        top.sort_by(|a, b| b.cmp(a));
        println!("\nopcodes of the hottest function");
        for (n, op) in top.iter().take(20) {
            println!("{n:>10}  {op}");
        }
    }
    let callers: Vec<(u64, String)> = builtin_callers
        .into_iter()
        .map(|((b, c), steps)| (steps, format!("{} <- {}", name_of(b), name_of(c))))
        .collect();
    println!("\nmemory builtins by caller");
    print_top(callers, 15, total);
    Ok(())
}

/// The `n` largest rows, with their share of `total`.
fn print_top(mut rows: Vec<(u64, String)>, n: usize, total: u64) {
    rows.sort_by(|a, b| b.cmp(a));
    for (steps, name) in rows.iter().take(n) {
        let share = 100.0 * *steps as f64 / total.max(1) as f64;
        println!("{steps:>10} {share:>5.1}%  {name}");
    }
}
