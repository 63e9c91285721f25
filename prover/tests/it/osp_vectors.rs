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
