//! The committed one-step proof vectors (`test-vectors/osp/`) are exactly what the code
//! generates (`FUSE_WRITE_VECTORS=1` rewrites them), cover every opcode of docs/spec/isa.md,
//! and verify in the Rust verifier; every rejection is rejected with the error its case states
//! (the Solidity prover is held to the same statement in `contracts/rust/tests/osp_vectors.rs`).

use std::collections::BTreeSet;
use std::path::PathBuf;

use fuse_prover::osp_vectors::{self, FILES};
use fuse_verifier::verify;
use fuse_vm::isa::Opcode;

fn dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../test-vectors/osp"))
}

#[test]
fn committed_vectors_match_the_code() {
    if std::env::var("FUSE_WRITE_VECTORS").is_ok_and(|v| v == "1") {
        osp_vectors::write(&dir()).unwrap();
    }
    osp_vectors::check(&dir()).unwrap();
}

#[test]
fn vectors_cover_every_opcode_and_verify() {
    let mut ops = BTreeSet::new();
    let mut n = 0;
    for file in &FILES[..4] {
        for v in osp_vectors::read_vectors(&dir().join(file))
            .unwrap()
            .vectors
        {
            let post = verify(v.pre_hash, &v.proof, &v.context.inbox_accumulators);
            assert_eq!(post, Ok(v.post_hash), "{file}: {}", v.name);
            ops.insert(v.opcode.clone());
            n += 1;
        }
    }
    let missing: Vec<_> = Opcode::ALL
        .iter()
        .filter(|o| !ops.contains(o.mnemonic()))
        .collect();
    assert!(missing.is_empty(), "no vector for {missing:?}");
    for status in ["finished", "errored"] {
        assert!(ops.contains(status), "no vector of a {status} machine");
    }
    let rejections = osp_vectors::read_rejections(&dir().join(FILES[4])).unwrap();
    for r in &rejections.rejections {
        let got = verify(r.pre_hash, &r.proof, &r.context.inbox_accumulators);
        assert_eq!(
            got.map_err(|e| format!("{e:?}")),
            Err(r.error.clone()),
            "{}: the Rust verifier against the error its case states ({})",
            r.name,
            r.change
        );
    }
    println!(
        "{n} vectors over {} opcodes and {} rejections verified",
        Opcode::ALL.len(),
        rejections.rejections.len()
    );
}

/// `explain` is `verify` with what it read kept: on every committed vector it gives the same
/// hash, a machine after the step that hashes to it (unless the step finished the block), the
/// instruction's code path first, and parts that add up to the proof; on every rejection it
/// rejects alike.
#[test]
fn explain_agrees_with_verify_on_every_vector() {
    use fuse_primitives::tags::TAG_CODE;
    use fuse_verifier::explain;
    use fuse_verifier::machine::{STATUS_FINISHED, hash_machine};
    for file in &FILES[..4] {
        for v in osp_vectors::read_vectors(&dir().join(file))
            .unwrap()
            .vectors
        {
            let ctx = &v.context.inbox_accumulators;
            let e = explain(v.pre_hash, &v.proof, ctx).unwrap();
            assert_eq!(e.post_hash, v.post_hash, "{}", v.name);
            assert_eq!(hash_machine(&e.pre), v.pre_hash, "{}", v.name);
            if let Some(post) = &e.post
                && post.status != STATUS_FINISHED
            {
                assert_eq!(hash_machine(post), e.post_hash, "{}", v.name);
            }
            assert!(
                e.header_bytes + e.instruction_bytes <= v.proof.len(),
                "{}",
                v.name
            );
            if e.instruction.is_some() {
                assert_eq!(e.paths[0].tag, TAG_CODE, "{}", v.name);
                assert_eq!(e.paths[0].offset, e.header_bytes, "{}", v.name);
            }
            for p in &e.paths {
                assert!(
                    p.offset + 32 * (1 + p.depth as usize) <= v.proof.len(),
                    "{}",
                    v.name
                );
            }
        }
    }
    let rejections = osp_vectors::read_rejections(&dir().join(FILES[4])).unwrap();
    for r in &rejections.rejections {
        let ctx = &r.context.inbox_accumulators;
        assert_eq!(
            explain(r.pre_hash, &r.proof, ctx).map(|e| e.post_hash),
            verify(r.pre_hash, &r.proof, ctx),
            "{}",
            r.name
        );
        assert!(verify(r.pre_hash, &r.proof, ctx).is_err(), "{}", r.name);
    }
}
