//! The Solidity files generated from the Rust definitions (verifier/src/solidity.rs) are the
//! committed ones, byte for byte. With `FUSE_WRITE_SOLIDITY=1` the test writes them instead:
//!
//! ```text
//! FUSE_WRITE_SOLIDITY=1 cargo test -p fuse-verifier --test it solidity
//! ```

use std::path::{Path, PathBuf};

use alloy_primitives::keccak256;
use fuse_primitives::isa::Opcode;
use fuse_verifier::VerifyError;
use fuse_verifier::solidity::{self, CHECK_COMMAND, WRITE_COMMAND};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the verifier crate lives in the repository")
        .to_path_buf()
}

/// Where `generated` first differs from `committed`, as a line number and both lines.
fn first_difference(committed: &str, generated: &str) -> String {
    let mut c = committed.lines();
    let mut g = generated.lines();
    for n in 1.. {
        match (c.next(), g.next()) {
            (Some(a), Some(b)) if a == b => continue,
            (None, None) => return "only in line endings or the final newline".into(),
            (a, b) => {
                return format!(
                    "line {n}: committed {:?}, generated {:?}",
                    a.unwrap_or("<end of file>"),
                    b.unwrap_or("<end of file>")
                );
            }
        }
    }
    unreachable!()
}

#[test]
fn generated_solidity_is_committed() {
    let write = std::env::var("FUSE_WRITE_SOLIDITY").is_ok_and(|v| v == "1");
    let mut stale = Vec::new();
    for file in solidity::generated_files() {
        let path = repo_root().join(file.path);
        let committed = std::fs::read_to_string(&path).ok();
        if committed.as_deref() == Some(file.text.as_str()) {
            continue;
        }
        if write {
            std::fs::write(&path, &file.text)
                .unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
            eprintln!("wrote {}", file.path);
            continue;
        }
        stale.push(match committed {
            None => format!("{} is missing", file.path),
            Some(c) => format!(
                "{} is not what the Rust definitions generate ({})",
                file.path,
                first_difference(&c, &file.text)
            ),
        });
    }
    assert!(
        stale.is_empty(),
        "{}\nThe generated Solidity files are stale or were edited by hand. Regenerate them from \
         the repository root with\n    {WRITE_COMMAND}\nthen rebuild the contract artifacts \
         (cd contracts && node scripts/artifacts.js) and check again with\n    {CHECK_COMMAND}",
        stale.join("\n")
    );
}

#[test]
fn opcode_names_follow_the_rule() {
    for (op, name) in [
        (Opcode::Unreachable, "UNREACHABLE"),
        (Opcode::BrIfZero, "BR_IF_ZERO"),
        (Opcode::LocalGet, "LOCAL_GET"),
        (Opcode::I32Add, "I32_ADD"),
        (Opcode::I32LtS, "I32_LT_S"),
        (Opcode::I64ExtendI32S, "I64_EXTEND_I32_S"),
        (Opcode::I32Extend8S, "I32_EXTEND8_S"),
        (Opcode::I64Load32U, "I64_LOAD32_U"),
        (Opcode::I32WrapI64, "I32_WRAP_I64"),
        (Opcode::ReadInbox, "READ_INBOX"),
        (Opcode::Keccak256, "KECCAK256"),
        (Opcode::GetBytes32, "GET_BYTES32"),
    ] {
        assert_eq!(solidity::opcode_constant(op), name);
    }
    let mut names: Vec<String> = Opcode::ALL
        .iter()
        .map(|&op| solidity::opcode_constant(op))
        .collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), Opcode::ALL.len(), "two opcodes share a name");
    // Every class holds one high byte, numbered from 0 without a gap.
    assert_eq!(solidity::classes().len(), 4);
}

#[test]
fn revert_data_is_the_custom_error_abi_encoded() {
    let selector = |sig: &str| keccak256(sig.as_bytes())[..4].to_vec();
    assert_eq!(
        VerifyError::ProofTruncated.revert_data().to_vec(),
        selector("ProofTruncated()")
    );
    let mut bad_merkle = selector("BadMerkleProof(uint8)");
    bad_merkle.extend_from_slice(&[0; 31]);
    bad_merkle.push(0x13);
    assert_eq!(
        VerifyError::BadMerkleProof(0x13).revert_data().to_vec(),
        bad_merkle
    );
    let mut missing = selector("InboxMessageMissing(uint64)");
    missing.extend_from_slice(&[0; 24]);
    missing.extend_from_slice(&u64::MAX.to_be_bytes());
    assert_eq!(
        VerifyError::InboxMessageMissing(u64::MAX)
            .revert_data()
            .to_vec(),
        missing
    );
    // Every variant has its own entry and selector.
    let mut selectors: Vec<[u8; 4]> = VerifyError::SOLIDITY.iter().map(|e| e.selector()).collect();
    selectors.sort();
    selectors.dedup();
    assert_eq!(selectors.len(), VerifyError::SOLIDITY.len());
    assert_eq!(
        VerifyError::UnknownOpcode(0x0400)
            .solidity_error()
            .signature(),
        "UnknownOpcode(uint16)"
    );
    assert_eq!(VerifyError::BadStatus(3).solidity_arg(), Some(3));
    assert_eq!(VerifyError::BadFrame.solidity_arg(), None);
}
