//! Checkpoints (prover/src/checkpoints.rs): the hash and the proof at any step of a real guest
//! block, taken from the nearest snapshot, equal a run from the block's start — with the
//! snapshots thinned several times while recording, so the bound and the doubling are
//! exercised too. Also: a scenario's signed transfers are ones the STF accepts.

use fuse_arbos::stf;
use fuse_arbos::testing::MemoryEnv;
use fuse_prover::block::{ChainHost, Executor};
use fuse_prover::checkpoints::{Budget, Trace};
use fuse_prover::scenario::{Scenario, Wallet};
use fuse_verifier::verify;
use fuse_vm::{GlobalState, MAX_STEPS, Status};

const CHAIN_ID: u64 = 412_346;

/// A chain of config, a deposit and a batch of `transfers` transfers; returns the host
/// (messages, and the preimages the machine recorded) and the state before the batch.
fn chain(transfers: usize) -> (Executor, ChainHost, GlobalState, Vec<u8>) {
    let alice = Wallet::from_seed(7);
    let bob = Wallet::from_seed(8);
    let mut s = Scenario::new(CHAIN_ID, [0x1b; 20], 3_600, 1_800_000_000);
    s.deposit(alice.address, 1_000_000);
    let txs: Vec<_> = (0..transfers)
        .map(|i| s.transfer(&alice, bob.address, 10 + i as u128))
        .collect();
    s.batch(&txs);
    let ex = Executor::guest().unwrap();
    let host = ChainHost::new();
    for m in s.messages() {
        host.store().push_message(m);
    }
    let mut gs = GlobalState::default();
    let mut h = host.clone();
    for _ in 0..2 {
        gs = ex.run_machine(&mut h, gs).unwrap().global_state;
    }
    let batch = s.messages()[2].clone();
    (ex, host, gs, batch)
}

#[test]
fn scenario_transfers_are_accepted_by_the_stf() {
    let (_, host, gs, batch) = chain(3);
    let mut env = MemoryEnv {
        ecrecover: Some(crate::common::recover),
        ..MemoryEnv::default()
    };
    for (h, p) in host.store().preimages() {
        env.preimages.insert(h.0, p.to_vec());
    }
    env.inbox = batch;
    let (_, report) = stf::execute_block(&mut env, gs).unwrap();
    assert_eq!(report.receipts.len(), 3);
    for r in &report.receipts {
        assert!(r.result.is_ok(), "{r:?}");
    }
}

#[test]
fn hashes_and_proofs_from_checkpoints_equal_a_run_from_the_start() {
    let (ex, host, gs, _) = chain(2);
    let budget = Budget {
        max_snapshots: 4,
        first_interval: 1 << 10,
    };
    let trace = Trace::record(ex.module().clone(), host.clone(), gs, budget).unwrap();
    let run = ex.run_machine(&mut host.clone(), gs).unwrap();
    assert_eq!(trace.status(), Status::Finished);
    assert_eq!(trace.steps(), run.steps);
    assert_eq!(trace.global_state(), run.global_state);
    let steps = trace.steps();
    let (kept, interval) = trace.snapshots();
    assert!(kept <= 4, "{kept} snapshots kept, budget 4");
    // Thinned at least twice for a block of tens of thousands of steps, and still spaced
    // close enough that the snapshots reach the end.
    assert!(
        interval >= 1 << 12,
        "interval {interval} after {steps} steps"
    );
    assert!(
        interval * 4 >= steps,
        "interval {interval}, {kept} kept, {steps} steps"
    );

    // Points around every snapshot boundary, the end, past it, and spread pseudo-randomly.
    let mut points = vec![0, 1, interval - 1, interval, interval + 1, 2 * interval + 7];
    points.extend([steps - 1, steps, steps + 1, steps + 1_000, MAX_STEPS]);
    let mut x = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..24 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        points.push(x % steps);
    }
    points.sort_unstable();
    points.dedup();

    // The reference: one machine from the block's start, hashed at each point.
    let mut m = ex.machine(gs);
    let mut h = host.clone();
    let mut expected = Vec::new();
    for &p in &points {
        while m.status() == Status::Running && m.steps() < p {
            m.run(&mut h, p - m.steps()).unwrap();
        }
        expected.push(m.hash());
    }
    assert_eq!(trace.hashes_at(&points).unwrap(), expected);
    for (&p, &e) in points.iter().zip(&expected) {
        assert_eq!(trace.hash_at(p).unwrap(), e, "step {p}");
    }
    // Out of order, as a bisection round may ask.
    let reversed: Vec<u64> = points.iter().rev().copied().collect();
    let mut back = expected.clone();
    back.reverse();
    assert_eq!(trace.hashes_at(&reversed).unwrap(), back);

    // Proofs at snapshot boundaries, inside an interval and at the halted end verify from
    // the hash at t to the hash at t + 1.
    let accumulators = host.store().accumulators().to_vec();
    for t in [
        0,
        interval - 1,
        interval,
        3 * interval + 5,
        steps - 1,
        steps,
    ] {
        let (proof, post) = trace.prove_at(t).unwrap();
        let pre = trace.hash_at(t).unwrap();
        assert_eq!(post, trace.hash_at(t + 1).unwrap(), "step {t}");
        assert_eq!(
            verify(pre, &proof, &accumulators).unwrap(),
            post,
            "step {t}"
        );
    }
}
