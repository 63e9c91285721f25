//! `test-vectors/inbox/accumulator.json` (docs/spec/inbox.md, "Vectors"): messages whose
//! lengths straddle every chunk boundary, with their headers, data roots and the accumulator
//! chain over them. This test checks the committed file against `fuse_vm::inbox`, or writes it
//! with `FUSE_WRITE_VECTORS=1`; `contracts/test/InboxVectors.t.sol` checks the Solidity
//! library and the Inbox contract's calldata path against the same file.

use std::path::PathBuf;

use alloy_primitives::{B256, hex};
use fuse_vm::inbox;

/// Whole-message lengths (header included).
const LENGTHS: [usize; 12] = [0, 1, 31, 32, 33, 63, 64, 65, 96, 97, 100, 1000];

fn file() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../test-vectors/inbox/accumulator.json")
}

fn generate() -> String {
    let mut acc = B256::ZERO;
    let mut rows = Vec::new();
    for (i, &len) in LENGTHS.iter().enumerate() {
        // Bytes that differ per message and position, none zero, so padding mistakes show.
        let m: Vec<u8> = (0..len)
            .map(|j| 1 + ((i * 31 + j * 7) % 255) as u8)
            .collect();
        acc = inbox::append(acc, &m);
        rows.push(format!(
            "    {{\"length\": {}, \"message\": \"0x{}\", \"header\": \"{}\", \"data\": \"0x{}\", \
             \"data_root\": \"{}\", \"accumulator\": \"{}\"}}",
            len,
            hex::encode(&m),
            inbox::header(&m),
            hex::encode(inbox::data(&m)),
            inbox::data_root(&m),
            acc
        ));
    }
    format!(
        "{{\n  \"about\": \"docs/spec/inbox.md: message i, its header, data, data root, and the \
         accumulator after it (acc_-1 = 0); written by vm/tests/inbox_vectors.rs\",\n  \
         \"messages\": [\n{}\n  ]\n}}\n",
        rows.join(",\n")
    )
}

#[test]
fn inbox_vectors_are_current() {
    let fresh = generate();
    if std::env::var("FUSE_WRITE_VECTORS").is_ok_and(|v| v == "1") {
        std::fs::write(file(), &fresh).unwrap();
    }
    let committed = std::fs::read_to_string(file())
        .expect("test-vectors/inbox/accumulator.json exists (FUSE_WRITE_VECTORS=1 writes it)");
    assert_eq!(
        committed, fresh,
        "test-vectors/inbox/accumulator.json is stale: rerun with FUSE_WRITE_VECTORS=1"
    );
    println!(
        "inbox vectors: {} messages checked against fuse_vm::inbox",
        LENGTHS.len()
    );
}
