//! The host interface: what the machine asks of the world outside it (docs/spec/guest-abi.md).
//!
//! The machine takes its inbox and preimages from a [`Host`], so tests and the node plug their
//! own sources. Input the host cannot supply is a [`HostError`] to the caller, never a machine
//! status. The precompiles (`keccak256`, `ecrecover`) are computed by the machine itself,
//! identically for every host; the host is only told each keccak input, so it can keep it as
//! a preimage (docs/design.md#rule-8).

use alloy_primitives::B256;
use std::collections::BTreeMap;

use crate::error::HostError;

pub use fuse_primitives::MAX_PREIMAGE;

/// The world outside the machine.
pub trait Host {
    /// The inbox message at `position`, whole (the machine copies 32 bytes at a time).
    fn inbox_message(&mut self, position: u64) -> Result<&[u8], HostError>;
    /// The preimage of `hash` under keccak256.
    fn preimage(&mut self, hash: B256) -> Result<&[u8], HostError>;
    /// Told every input of the keccak precompile, with its hash, so the host can serve it as
    /// a preimage later.
    fn record_preimage(&mut self, hash: B256, preimage: &[u8]);

    /// The inbox accumulator after message `position` (docs/spec/inbox.md), which a proof of
    /// an inbox read needs for `position − 1`. The default chains every message from 0; a
    /// host that stores the accumulators (the node) answers directly.
    fn inbox_accumulator(&mut self, position: u64) -> Result<B256, HostError> {
        let mut acc = B256::ZERO;
        for i in 0..=position {
            acc = crate::inbox::append(acc, self.inbox_message(i)?);
        }
        Ok(acc)
    }
}

/// A host backed by memory: messages by position, preimages by hash. Used by tests, the
/// spec-test runner and benchmarks.
#[derive(Clone, Debug, Default)]
pub struct MemoryHost {
    /// Inbox messages by position.
    pub messages: BTreeMap<u64, Vec<u8>>,
    /// Known preimages.
    pub preimages: BTreeMap<B256, Vec<u8>>,
}

impl Host for MemoryHost {
    fn inbox_message(&mut self, position: u64) -> Result<&[u8], HostError> {
        self.messages
            .get(&position)
            .map(Vec::as_slice)
            .ok_or(HostError::MissingMessage(position))
    }

    fn preimage(&mut self, hash: B256) -> Result<&[u8], HostError> {
        self.preimages
            .get(&hash)
            .map(Vec::as_slice)
            .ok_or(HostError::MissingPreimage(hash))
    }

    fn record_preimage(&mut self, hash: B256, preimage: &[u8]) {
        self.preimages
            .entry(hash)
            .or_insert_with(|| preimage.to_vec());
    }
}

/// Runs precompile 0x01 exactly as the EVM does (revm's implementation, docs/design.md#rule-10):
/// `input` is `hash ‖ v ‖ r ‖ s` (4 × 32 bytes); the result is the signer's address
/// left-padded to 32 bytes, or 32 zero bytes when recovery fails.
pub fn ecrecover(input: &[u8; 128]) -> [u8; 32] {
    let mut out = [0u8; 32];
    if let Ok(result) = revm::precompile::secp256k1::ec_recover_run(input, u64::MAX)
        && result.bytes.len() == 32
    {
        out.copy_from_slice(&result.bytes);
    }
    out
}

/// Checks that `len` bytes at `ptr` are 32-byte aligned and inside a memory of `memory_len`
/// bytes; returns the offset. Shared by the machine and the twin so both trap alike.
pub fn span(memory_len: usize, ptr: u64, len: usize) -> Result<usize, crate::Trap> {
    let p = ptr as u32 as usize;
    if !p.is_multiple_of(32) {
        return Err(crate::Trap::BadHostCall);
    }
    if p as u64 + len as u64 > memory_len as u64 {
        return Err(crate::Trap::OutOfBoundsMemory);
    }
    Ok(p)
}

/// The 32 bytes of `data` at `offset` (zero-padded past its end) and how many are real:
/// what `read_inbox` and `read_preimage` write and return.
pub fn chunk(data: &[u8], offset: u64) -> ([u8; 32], u64) {
    let mut out = [0u8; 32];
    let Some(rest) = data.get(offset as usize..) else {
        return (out, 0);
    };
    let n = rest.len().min(32);
    out[..n].copy_from_slice(&rest[..n]);
    (out, n as u64)
}
