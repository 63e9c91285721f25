//! The Solidity one-step prover, run in revm, against the Rust machine and verifier: on
//! every proven step of the spec testsuite, of random programs and of a guest that uses every
//! host call, `proveOneStep` must
//! return the machine's post-state hash; on mutated proofs it must reject exactly when the
//! Rust verifier rejects, for the same reason, and otherwise agree on the hash.

use std::collections::BTreeMap;
use std::sync::Arc;

use alloy_primitives::{Address, B256};
use fuse_contracts::evm::Evm;
use fuse_contracts::osp::Osp;
use fuse_verifier::verify;
use fuse_vm::isa::Opcode;
use fuse_vm::testing::cases;
use fuse_vm::testing::programs::{Rng, host_guest_steps, random_program, spec_suite_files, wat};
use fuse_vm::testing::steps::{Outcome, ProvenStep, prove_steps};
use fuse_vm::{GlobalState, Machine, MemoryHost, load, spectest};

/// Keeps the first few steps of each (opcode, outcome) and every `every`-th step.
struct Sampler {
    seen: BTreeMap<(Option<Opcode>, Outcome), u32>,
    every: u64,
    n: u64,
    kept: Vec<ProvenStep>,
}

impl Sampler {
    fn new(every: u64) -> Self {
        Sampler {
            seen: BTreeMap::new(),
            every,
            n: 0,
            kept: Vec::new(),
        }
    }

    fn offer(&mut self, s: ProvenStep) {
        self.n += 1;
        let count = self.seen.entry((s.op, s.outcome)).or_default();
        *count += 1;
        if *count <= 3 || self.n.is_multiple_of(self.every) {
            self.kept.push(s);
        }
    }
}

struct Bench {
    evm: Evm,
    osp: Osp,
    empty_inbox: Address,
}

impl Bench {
    fn new() -> Self {
        let mut evm = Evm::new();
        let osp = Osp::deploy(&mut evm).expect("the OSP deploys");
        let empty_inbox = Osp::inbox(&mut evm, &[]).unwrap();
        Bench {
            evm,
            osp,
            empty_inbox,
        }
    }

    /// Checks one proven step in Solidity; returns its gas.
    fn check(&mut self, inbox: Address, s: &ProvenStep) -> u64 {
        let r = self
            .osp
            .prove_one_step(&mut self.evm, inbox, s.pre, &s.proof)
            .expect("the call executes");
        assert_eq!(
            r.post,
            Ok(s.post),
            "Solidity disagrees on {:?} ({:?}); proof 0x{}",
            s.op,
            s.outcome,
            alloy_primitives::hex::encode(&s.proof)
        );
        r.gas_used
    }
}

#[test]
fn solidity_agrees_on_every_spec_suite_step() {
    let files = spec_suite_files();
    let mut sampler = Sampler::new(1);
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let mut exec = |m: &mut Machine, h: &mut MemoryHost, limit: u64| {
            prove_steps(m, h, &Vec::<B256>::new(), limit, &mut |s| sampler.offer(s))
        };
        let r = spectest::run_wast_with::<spectest::NoTwin>(&text, None, &mut exec);
        assert!(r.failures.is_empty(), "{:?}", r.failures);
    }
    let mut bench = Bench::new();
    let inbox = bench.empty_inbox;
    for s in &sampler.kept {
        bench.check(inbox, s);
    }
    println!(
        "spec suite: {} of {} steps compared with Solidity ({} opcode/outcome kinds)",
        sampler.kept.len(),
        sampler.n,
        sampler.seen.len()
    );
    assert!(sampler.kept.len() > 5_000);
}

#[test]
fn solidity_agrees_on_random_programs() {
    let mut bench = Bench::new();
    let inbox = bench.empty_inbox;
    let mut sampler = Sampler::new(1);
    for seed in 0..cases(40) as u64 {
        let module = Arc::new(load(&wat(&random_program(5000 + seed, 30))).unwrap());
        let run = module.exported_func("run").unwrap();
        let mut m = Machine::new(module, GlobalState::default());
        let mut host = MemoryHost::default();
        m.run(&mut host, 10).unwrap();
        m.invoke(run, &[]).unwrap();
        prove_steps(&mut m, &mut host, &Vec::<B256>::new(), 100_000, &mut |s| {
            sampler.offer(s)
        })
        .unwrap();
    }
    for s in &sampler.kept {
        bench.check(inbox, s);
    }
    println!(
        "random programs: {} of {} steps compared with Solidity",
        sampler.kept.len(),
        sampler.n
    );
}

#[test]
fn solidity_agrees_on_every_step_of_a_host_guest() {
    let (steps, accs) = host_guest_steps();
    let mut bench = Bench::new();
    let inbox = Osp::inbox(&mut bench.evm, &accs).unwrap();
    let mut gas: BTreeMap<Opcode, u64> = BTreeMap::new();
    for s in &steps {
        let g = bench.check(inbox, s);
        if let Some(op) = s.op {
            let e = gas.entry(op).or_default();
            *e = (*e).max(g);
        }
    }
    println!(
        "host guest: {} steps compared; max gas of host ops: {:?}",
        steps.len(),
        gas.iter()
            .filter(|(op, _)| op.class() == fuse_vm::isa::OpClass::Host)
            .collect::<Vec<_>>()
    );
    // Without the message on L1 the read is rejected by both verifiers alike.
    let read = steps
        .iter()
        .find(|s| s.op == Some(Opcode::ReadInbox))
        .unwrap();
    let short = Osp::inbox(&mut bench.evm, &accs[..2]).unwrap();
    let r = bench
        .osp
        .prove_one_step(&mut bench.evm, short, read.pre, &read.proof)
        .unwrap();
    assert_eq!(r.post, Err("InboxMessageMissing(2)".to_string()));
}

#[test]
fn mutated_proofs_are_judged_alike_by_both_verifiers() {
    let (steps, accs) = host_guest_steps();
    let mut bench = Bench::new();
    let inbox = Osp::inbox(&mut bench.evm, &accs).unwrap();
    let mut seen = BTreeMap::new();
    let samples: Vec<&ProvenStep> = steps
        .iter()
        .filter(|s| seen.insert((s.op, s.outcome), ()).is_none())
        .collect();
    let mut rng = Rng::new(11);
    let (mut tried, mut rejected) = (0u64, 0u64);
    let per_proof = cases(200) as usize;
    for s in &samples {
        for k in 0..per_proof {
            let mut q = s.proof.clone();
            match k % 4 {
                0 | 1 => {
                    let bit = rng.below(q.len() as u64 * 8) as usize;
                    q[bit / 8] ^= 1 << (bit % 8);
                }
                2 => q.truncate(rng.below(q.len() as u64) as usize),
                _ => q.extend((0..1 + rng.below(40)).map(|_| rng.next_u64() as u8)),
            }
            let rust = verify(s.pre, &q, &accs).map_err(|e| format!("{e:?}"));
            let sol = bench
                .osp
                .prove_one_step(&mut bench.evm, inbox, s.pre, &q)
                .unwrap()
                .post;
            assert_eq!(
                sol,
                rust,
                "verifiers disagree on a mutation of {:?}: 0x{}",
                s.op,
                alloy_primitives::hex::encode(&q)
            );
            if let Ok(h) = rust {
                assert_eq!(h, s.post, "a mutated proof verified to another hash");
            } else {
                rejected += 1;
            }
            tried += 1;
        }
    }
    println!(
        "{tried} mutations of {} proofs through both verifiers: {rejected} rejected alike, the rest verified to the true hash",
        samples.len()
    );
    assert!(rejected * 10 >= tried * 9);
}
