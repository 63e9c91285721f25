// SPDX-License-Identifier: MIT
pragma solidity ^0.8.37;

// Generated from verifier/src/lib.rs (`VerifyError`) by fuse-verifier
// (verifier/src/solidity.rs); do not edit — run, from the repository root,
//     FUSE_WRITE_SOLIDITY=1 cargo test -p fuse-verifier --test it solidity
// to write it again (without the variable the same test checks that it is up to date;
// docs/spec/isa.md#adding-an-opcode).
//
// The reasons a one-step proof is rejected (docs/spec/proof-format.md, "Result and
// errors"). The Rust verifier has a `VerifyError` variant of the same name for each. A
// rejected proof proves nothing: none of these means "the step failed" (that is a trap, a
// machine status).

/// A read ran past the end of the proof.
error ProofTruncated();
/// Bytes were left after the step's witness.
error TrailingBytes();
/// The header's status byte is not 0, 1 or 2.
error BadStatus(uint8 status);
/// The header does not hash to the pre-state hash.
error WrongPreState();
/// A leaf and its siblings do not give the root they must; `tag` names the tree.
error BadMerkleProof(uint8 tag);
/// The instruction leaf holds no opcode of docs/spec/isa.md.
error UnknownOpcode(uint16 op);
/// The instruction leaf has non-zero padding.
error BadInstruction();
/// The instruction pops more values than the proof revealed.
error StackUnderflow();
/// The frame witness does not hash to the header's `frames`.
error BadFrame();
/// A preimage is longer than 256 bytes or does not hash to the requested hash.
error BadPreimage();
/// The inbox has no message at the position the machine reads.
error InboxMessageMissing(uint64 position);
