//! The committed dispute vectors (test-vectors/disputes/, docs/spec/dispute-vector.md): every
//! one replays on a fresh embedded L1 exactly as recorded; the code still records them byte
//! for byte; they cover each opcode class, an inbox read, a preimage read, keccak, ecrecover,
//! a trap, a level-1-only dispute and a win by timeout; a tampered
//! vector fails its replay with the mismatch named; and two replay on anvil.

use alloy::node_bindings::Anvil;
use alloy::signers::local::PrivateKeySigner;
use alloy_primitives::B256;
use fuse_devnet::replay::replay::replay;
use fuse_devnet::replay::scenarios::SCENARIOS;
use fuse_devnet::replay::vector::{DisputeVector, Side};
use fuse_devnet::replay::{record_scenario, replay_embedded, vectors_dir};
use fuse_l1::RpcL1;

fn committed() -> Vec<DisputeVector> {
    let mut paths: Vec<_> = std::fs::read_dir(vectors_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| DisputeVector::read(p).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_committed_vector_replays_as_recorded() {
    let vectors = committed();
    assert!(vectors.len() >= 10, "{} vectors", vectors.len());
    let mut moves = 0;
    for v in &vectors {
        let r = replay_embedded(v).await.unwrap();
        assert!(
            r.passed(),
            "{}: {:?}\n{:?}",
            v.name,
            r.checks,
            r.rows
                .iter()
                .filter(|x| !x.mismatches.is_empty())
                .collect::<Vec<_>>()
        );
        assert_eq!(v.outcome.winner, Side::Honest, "{}", v.name);
        moves += r.rows.len();
    }
    // What they cover, from the records themselves.
    let proofs: Vec<(String, String)> = vectors
        .iter()
        .flat_map(|v| v.moves.iter().filter_map(|m| m.proof.as_ref()))
        .map(|p| (p.class.clone(), p.opcode.clone()))
        .collect();
    for class in ["control", "math", "memory", "host", "halted"] {
        assert!(
            proofs.iter().any(|(c, _)| c == class),
            "no proof of class {class}: {proofs:?}"
        );
    }
    for op in [
        "host.read_inbox",
        "host.read_preimage",
        "host.keccak256",
        "host.ecrecover",
        "unreachable",
    ] {
        assert!(
            proofs.iter().any(|(_, o)| o == op),
            "no proof of {op}: {proofs:?}"
        );
    }
    assert!(
        vectors.iter().any(|v| v.lie.step.is_none()),
        "no level-1-only dispute"
    );
    assert!(
        vectors.iter().any(|v| v.outcome.reason == "timeout"),
        "no win by timeout"
    );
    println!(
        "{} dispute vectors replayed as recorded ({moves} moves)",
        vectors.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_code_records_every_committed_vector_byte_for_byte() {
    for (name, _) in SCENARIOS {
        let v = record_scenario(name).await.unwrap();
        let path = vectors_dir().join(format!("{name}.json"));
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == v.to_json(),
            "{} differs from what the code records (fuse-l2 vectors disputes --write, then review)",
            path.display()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tampered_vector_fails_its_replay() {
    let v = DisputeVector::read(&vectors_dir().join("math.json")).unwrap();
    // A hash the honest side never posted.
    let mut bad = v.clone();
    let m = bad
        .moves
        .iter_mut()
        .find(|m| m.party == Side::Honest && m.hashes.len() > 2)
        .unwrap();
    m.hashes[1] = B256::repeat_byte(7);
    let r = replay_embedded(&bad).await.unwrap();
    assert!(!r.passed());
    assert!(
        r.checks
            .iter()
            .any(|c| c.what == "honest hashes recomputed" && !c.ok),
        "{:?}",
        r.checks
    );
    // A proof with one byte changed: the Rust verifier and the contract both refuse it.
    let mut bad = v.clone();
    let p = bad.moves.last_mut().unwrap().proof.as_mut().unwrap();
    let mut bytes = p.proof.to_vec();
    bytes[40] ^= 1;
    p.proof = bytes.into();
    let r = replay_embedded(&bad).await.unwrap();
    assert!(!r.passed());
    assert!(
        r.checks
            .iter()
            .any(|c| c.what.starts_with("one-step proof") && !c.ok)
    );
    assert!(
        r.rows
            .last()
            .unwrap()
            .mismatches
            .iter()
            .any(|m| m.contains("failed")),
        "{:?}",
        r.rows.last()
    );
    // A recorded gas figure or winner that L1 does not reproduce.
    let mut bad = v.clone();
    bad.moves[0].gas += 1;
    let r = replay_embedded(&bad).await.unwrap();
    assert!(
        r.rows[0].mismatches.iter().any(|m| m.starts_with("gas")),
        "{:?}",
        r.rows[0]
    );
    let mut bad = v.clone();
    bad.outcome.winner = Side::Liar;
    let r = replay_embedded(&bad).await.unwrap();
    assert!(!r.outcome_ok && !r.passed());
    // What the record says of the proof and of the ending must be what happened.
    let mut bad = v.clone();
    bad.moves.last_mut().unwrap().proof.as_mut().unwrap().opcode = "i64.mul".into();
    let r = replay_embedded(&bad).await.unwrap();
    assert!(
        r.checks
            .iter()
            .any(|c| c.what.starts_with("one-step proof") && !c.ok)
    );
    let mut bad = v.clone();
    bad.outcome.reason = "timeout".into();
    let r = replay_embedded(&bad).await.unwrap();
    assert!(!r.outcome_ok && !r.passed());
    let mut bad = v.clone();
    bad.honest_claim.block_number += 1;
    let r = replay_embedded(&bad).await.unwrap();
    assert!(r.checks.iter().any(|c| c.what == "honest claim" && !c.ok));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vectors_replay_on_anvil() {
    let anvil = Anvil::at(fuse_l1::testing::anvil_path())
        .port(fuse_l1::testing::free_port())
        .try_spawn()
        .expect("anvil starts (./scripts/test installs it)");
    let key = |i: usize| PrivateKeySigner::from(anvil.keys()[i].clone());
    for name in ["ecrecover", "timeout-silent"] {
        let v = DisputeVector::read(&vectors_dir().join(format!("{name}.json"))).unwrap();
        let honest = RpcL1::connect(&anvil.endpoint(), key(0)).unwrap();
        let liar = RpcL1::connect(&anvil.endpoint(), key(1)).unwrap();
        let r = replay(&v, &honest.clone(), honest, liar, false)
            .await
            .unwrap();
        assert!(
            r.passed(),
            "{name} on anvil: {:?}",
            r.rows.iter().map(|x| &x.mismatches).collect::<Vec<_>>()
        );
    }
}
