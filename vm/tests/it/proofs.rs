//! One-step proofs against the machine: every step of the spec testsuite, of random
//! programs and of a guest that uses every host call is proven, and the Rust verifier must
//! compute exactly the machine's post-state hash; mutated proofs must never verify to
//! another hash. (The Solidity one-step prover is compared in `fuse-contracts`' tests.)

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use alloy_primitives::{B256, keccak256};
use fuse_verifier::{VerifyContext, verify};
use fuse_vm::isa::Opcode;
use fuse_vm::testing::programs::{
    Rng, host_guest_steps, host_inbox, random_program, spec_suite_files, wat,
};
use fuse_vm::testing::steps::{Outcome, ProvenStep, prove_steps};
use fuse_vm::testing::{cases, steps};
use fuse_vm::{GlobalState, Machine, MemoryHost, Status, inbox, load, spectest};

#[derive(Default)]
struct Tally {
    steps: u64,
    ops: BTreeSet<Opcode>,
    outcomes: BTreeMap<Outcome, u64>,
}

impl Tally {
    fn add(&mut self, s: &ProvenStep) {
        self.steps += 1;
        if let Some(op) = s.op {
            self.ops.insert(op);
        }
        *self.outcomes.entry(s.outcome).or_default() += 1;
    }
}

#[test]
fn every_step_of_the_spec_suite_verifies() {
    let files = spec_suite_files();
    let mut tally = Tally::default();
    let mut failures = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let mut exec = |m: &mut Machine, h: &mut MemoryHost, limit: u64| {
            prove_steps(m, h, &Vec::<B256>::new(), limit, &mut |s| tally.add(&s))
        };
        let r = spectest::run_wast_with::<spectest::NoTwin>(&text, None, &mut exec);
        failures.extend(r.failures.iter().map(|m| format!("{}: {m}", f.display())));
    }
    println!(
        "spec suite: {} steps proven and verified, {} opcodes, outcomes {:?}",
        tally.steps,
        tally.ops.len(),
        tally.outcomes
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(tally.steps > 5_000, "only {} steps", tally.steps);
    // The suite's integer files leave out a few opcodes (conversions live in float files);
    // the random programs and test-vectors/osp cover every one.
    let missing: Vec<_> = Opcode::ALL
        .iter()
        .filter(|op| op.class() != fuse_vm::isa::OpClass::Host && !tally.ops.contains(op))
        .collect();
    println!("opcodes the suite never runs: {missing:?}");
    assert!(missing.len() <= 10, "the suite never ran {missing:?}");
    assert!(tally.outcomes[&Outcome::Trapped] > 50);
}

#[test]
fn every_step_of_random_programs_verifies() {
    let n = cases(150) as u64;
    let mut tally = Tally::default();
    for seed in 0..n {
        let text = random_program(seed, 8 + (seed % 40) as usize);
        let module = Arc::new(load(&wat(&text)).unwrap_or_else(|e| panic!("{e}\n{text}")));
        let run = module.exported_func("run").unwrap();
        let mut m = Machine::new(module, GlobalState::default());
        let mut host = MemoryHost::default();
        let ctx = Vec::<B256>::new();
        // The synthetic entry (no fuse_entry) finishes at once; then invoke `run`.
        m.run(&mut host, 10).unwrap();
        m.invoke(run, &[]).unwrap();
        prove_steps(&mut m, &mut host, &ctx, 100_000, &mut |s| tally.add(&s)).unwrap();
        assert_ne!(m.status(), Status::Running, "seed {seed} did not halt");
    }
    println!(
        "{n} random programs: {} steps verified, {} opcodes, outcomes {:?}",
        tally.steps,
        tally.ops.len(),
        tally.outcomes
    );
    assert!(tally.ops.len() > 80, "only {} opcodes", tally.ops.len());
    assert!(
        tally.outcomes[&Outcome::Finished] > n / 4 && tally.outcomes[&Outcome::Trapped] > n / 10
    );
}

#[test]
fn every_step_of_a_guest_using_every_host_call_verifies() {
    let (steps, _) = host_guest_steps();
    let ops: BTreeSet<Opcode> = steps.iter().filter_map(|s| s.op).collect();
    for op in Opcode::ALL
        .iter()
        .filter(|o| o.class() == fuse_vm::isa::OpClass::Host)
    {
        assert!(ops.contains(op), "the guest never ran {op:?}");
    }
    println!("host guest: {} steps verified", steps.len());
}

#[test]
fn host_proofs_are_rejected_without_the_message_on_l1() {
    let (steps, _) = host_guest_steps();
    let read = steps
        .iter()
        .find(|s| s.op == Some(Opcode::ReadInbox))
        .unwrap();
    let (_, accs) = host_inbox();
    assert_eq!(
        verify(read.pre, &read.proof, &accs[..2].to_vec()),
        Err(fuse_verifier::VerifyError::InboxMessageMissing(2))
    );
    let mut other = accs.clone();
    other[2] = keccak256(b"another message");
    assert_eq!(
        verify(read.pre, &read.proof, &other),
        Err(fuse_verifier::VerifyError::BadMerkleProof(
            inbox::TAG_ACCUMULATOR
        ))
    );
}

#[test]
fn a_call_at_the_frame_limit_traps_and_verifies() {
    let text = r#"(module (func $f (export "f") (call $f)))"#;
    let module = Arc::new(load(&wat(text)).unwrap());
    let f = module.exported_func("f").unwrap();
    let mut m = Machine::new(module, GlobalState::default());
    let mut host = MemoryHost::default();
    m.run(&mut host, 10).unwrap();
    m.invoke(f, &[]).unwrap();
    m.run(&mut host, 100_000).unwrap();
    assert_eq!(
        m.status(),
        Status::Errored(fuse_vm::Trap::CallStackExhausted)
    );
    // Re-run to one step before the trap and prove the trapping call.
    let mut m2 = Machine::new(m.module().clone(), GlobalState::default());
    m2.run(&mut host, 10).unwrap();
    m2.invoke(f, &[]).unwrap();
    m2.run(&mut host, m.steps() - m2.steps() - 1).unwrap();
    assert_eq!(m2.call_depth(), fuse_vm::MAX_FRAMES);
    let s = steps::prove_step(&mut m2, &mut host, &Vec::<B256>::new()).unwrap();
    assert_eq!(s.outcome, Outcome::Trapped);
}

/// Applies `mutate` and checks the verifier either rejects or returns the true post-state.
fn check_mutation(s: &ProvenStep, proof: &[u8], accs: &dyn VerifyContext, tried: &mut u64) {
    *tried += 1;
    if let Ok(h) = verify(s.pre, proof, accs) {
        assert_eq!(
            h,
            s.post,
            "a mutated proof verified to another hash: 0x{}",
            alloy_primitives::hex::encode(proof)
        );
    }
}

#[test]
fn mutated_proofs_never_verify_to_another_hash() {
    let mut samples: Vec<(ProvenStep, Vec<B256>)> = Vec::new();
    let (_, accs) = host_inbox();
    let mut seen = BTreeSet::new();
    for s in host_guest_steps().0 {
        if seen.insert((s.op, s.outcome)) {
            samples.push((s, accs.clone()));
        }
    }
    for seed in 0..cases(6) as u64 {
        let module = Arc::new(load(&wat(&random_program(1000 + seed, 30))).unwrap());
        let run = module.exported_func("run").unwrap();
        let mut m = Machine::new(module, GlobalState::default());
        let mut host = MemoryHost::default();
        m.run(&mut host, 10).unwrap();
        m.invoke(run, &[]).unwrap();
        let none = Vec::<B256>::new();
        prove_steps(&mut m, &mut host, &none, 100_000, &mut |s| {
            if seen.insert((s.op, s.outcome)) {
                samples.push((s, Vec::new()));
            }
        })
        .unwrap();
    }
    let mut rng = Rng::new(7);
    let mut tried = 0u64;
    for (s, accs) in &samples {
        let p = &s.proof;
        // Every bit of short proofs, random bytes of long ones.
        let flips: Vec<usize> = if p.len() <= 400 {
            (0..p.len() * 8).collect()
        } else {
            (0..cases(400))
                .map(|_| rng.below(p.len() as u64 * 8) as usize)
                .collect()
        };
        for bit in flips {
            let mut q = p.clone();
            q[bit / 8] ^= 1 << (bit % 8);
            check_mutation(s, &q, accs, &mut tried);
        }
        for cut in 0..p.len() {
            check_mutation(s, &p[..cut], accs, &mut tried);
        }
        for extra in [1usize, 8, 32] {
            let mut q = p.clone();
            q.extend((0..extra).map(|_| rng.next_u64() as u8));
            check_mutation(s, &q, accs, &mut tried);
        }
        let words = p.len() / 32;
        for _ in 0..cases(40) {
            if words < 2 {
                break;
            }
            let (i, j) = (
                rng.below(words as u64) as usize,
                rng.below(words as u64) as usize,
            );
            let mut q = p.clone();
            for k in 0..32 {
                q.swap(i * 32 + k, j * 32 + k);
            }
            check_mutation(s, &q, accs, &mut tried);
        }
    }
    println!(
        "{tried} mutations of {} proofs: none verified to another hash",
        samples.len()
    );
    assert!(tried > 10_000);
}
