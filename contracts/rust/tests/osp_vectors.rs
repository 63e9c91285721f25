//! The committed one-step proof vectors (`test-vectors/osp/`) through the Solidity one-step
//! prover in revm: every vector returns its post-state hash, every rejection reverts with
//! exactly its custom error. (cargo checks the Rust verifier on the same files in
//! fuse-prover's tests, forge in `contracts/test/OspVectors.t.sol`.)

use std::path::PathBuf;

use fuse_contracts::evm::Evm;
use fuse_contracts::osp::Osp;
use fuse_prover::osp_vectors::{self, FILES};

fn dir() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../test-vectors/osp"
    ))
}

#[test]
fn solidity_agrees_with_every_vector() {
    let mut evm = Evm::new();
    let osp = Osp::deploy(&mut evm).unwrap();
    let mut n = 0;
    for file in &FILES[..4] {
        for v in osp_vectors::read_vectors(&dir().join(file))
            .unwrap()
            .vectors
        {
            let inbox = Osp::inbox(&mut evm, &v.context.inbox_accumulators).unwrap();
            let r = osp
                .prove_one_step(&mut evm, inbox, v.pre_hash, &v.proof)
                .unwrap();
            assert_eq!(r.post, Ok(v.post_hash), "{file}: {}", v.name);
            n += 1;
        }
    }
    let rejections = osp_vectors::read_rejections(&dir().join(FILES[4])).unwrap();
    for r in &rejections.rejections {
        let inbox = Osp::inbox(&mut evm, &r.context.inbox_accumulators).unwrap();
        let data = Osp::calldata(inbox, r.pre_hash, &r.proof);
        match evm.call(osp.entry, &data) {
            Err(fuse_contracts::evm::EvmError::Revert { output, .. }) => {
                assert_eq!(output, r.revert_data, "{}", r.name)
            }
            other => panic!("{}: expected a revert, got {other:?}", r.name),
        }
    }
    println!(
        "{n} vectors and {} rejections agree in Solidity",
        rejections.rejections.len()
    );
    assert!(n > 200);
}
