//! The committed one-step proof vectors (`test-vectors/osp/`) through the Solidity one-step
//! prover in revm: every vector returns its post-state hash; every rejection is refused by
//! both verifiers with the error its case states (the Rust verifier's error and the Solidity
//! prover's revert data, byte for byte). (cargo checks the Rust verifier on the same files in
//! fuse-prover's tests, forge in `contracts/test/OspVectors.t.sol`.)

use std::path::PathBuf;

use fuse_contracts::evm::{Evm, EvmError};
use fuse_contracts::osp::{Osp, decode_error};
use fuse_prover::osp_vectors::{self, FILES, Rejection};
use fuse_verifier::verify;

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
    let wrong = rejections_against_both_verifiers(&mut evm, &osp, &rejections.rejections);
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    println!(
        "{n} vectors agree in Solidity; {} rejections refused by both verifiers as their cases state",
        rejections.rejections.len()
    );
    assert!(n > 200);
    assert!(rejections.rejections.len() >= 15);
}

/// The check above fails a rejection whose stated error is not what the verifiers answer:
/// here `truncated-header` (a cut proof) restated as `TrailingBytes`.
#[test]
fn a_misstated_rejection_fails_against_both_verifiers() {
    let mut evm = Evm::new();
    let osp = Osp::deploy(&mut evm).unwrap();
    let rejections = osp_vectors::read_rejections(&dir().join(FILES[4])).unwrap();
    let mut r = rejections
        .rejections
        .into_iter()
        .find(|r| r.name == "truncated-header")
        .unwrap();
    assert_eq!(r.error, "ProofTruncated");
    assert!(rejections_against_both_verifiers(&mut evm, &osp, std::slice::from_ref(&r)).is_empty());
    r.error = "TrailingBytes".into();
    r.revert_data = alloy_primitives::keccak256("TrailingBytes()")[..4]
        .to_vec()
        .into();
    let wrong = rejections_against_both_verifiers(&mut evm, &osp, &[r]);
    assert_eq!(wrong.len(), 2, "{wrong:#?}");
    assert!(
        wrong[0].contains("the Rust verifier gives Err(ProofTruncated)"),
        "{}",
        wrong[0]
    );
    assert!(
        wrong[1].contains("the Solidity prover reverts with ProofTruncated"),
        "{}",
        wrong[1]
    );
}

/// Every way the verifiers depart from what each rejection's case states: the Rust verifier's
/// error, the Solidity prover's revert (its data byte for byte, and decoded), and the recorded
/// revert data itself, which must encode the stated error. Empty when both agree with every
/// statement.
fn rejections_against_both_verifiers(
    evm: &mut Evm,
    osp: &Osp,
    rejections: &[Rejection],
) -> Vec<String> {
    let mut wrong = Vec::new();
    for r in rejections {
        let stated = &r.error;
        if decode_error(&r.revert_data) != *stated {
            wrong.push(format!(
                "{}: the recorded revert data decodes to {}, the case states {stated}",
                r.name,
                decode_error(&r.revert_data)
            ));
        }
        match verify(r.pre_hash, &r.proof, &r.context.inbox_accumulators) {
            Err(e) if format!("{e:?}") == *stated => {}
            got => wrong.push(format!(
                "{}: the case states {stated}, the Rust verifier gives {got:?}",
                r.name
            )),
        }
        let inbox = Osp::inbox(evm, &r.context.inbox_accumulators).unwrap();
        let data = Osp::calldata(inbox, r.pre_hash, &r.proof);
        match evm.call(osp.entry, &data) {
            Err(EvmError::Revert { output, .. })
                if output == r.revert_data && decode_error(&output) == *stated => {}
            Err(EvmError::Revert { output, .. }) => wrong.push(format!(
                "{}: the case states {stated}, the Solidity prover reverts with {} (0x{})",
                r.name,
                decode_error(&output),
                alloy_primitives::hex::encode(&output)
            )),
            other => wrong.push(format!(
                "{}: the case states {stated}, the Solidity prover does not revert: {other:?}",
                r.name
            )),
        }
    }
    wrong
}
