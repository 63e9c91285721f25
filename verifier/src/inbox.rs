//! The inbox accumulator a `read_inbox` proof checks a message against (mirrors
//! `contracts/src/osp/InboxAccumulator.sol`, docs/spec/inbox.md).

use alloy_primitives::{B256, keccak256};
use fuse_primitives::INBOX_HEADER_BYTES;
use fuse_primitives::tags::TAG_ACCUMULATOR;

use crate::merkle::tree_depth;

/// `keccak256(0x20 ‖ prev ‖ length (u64) ‖ header ‖ dataRoot)`.
pub fn accumulate(prev: B256, length: u64, header: B256, data_root: B256) -> B256 {
    let mut buf = Vec::with_capacity(105);
    buf.push(TAG_ACCUMULATOR);
    buf.extend_from_slice(prev.as_slice());
    buf.extend_from_slice(&length.to_be_bytes());
    buf.extend_from_slice(header.as_slice());
    buf.extend_from_slice(data_root.as_slice());
    keccak256(buf)
}

/// Depth of the data tree of a message of `length` bytes: one 32-byte leaf per started word
/// after the header.
pub fn data_depth(length: u64) -> u8 {
    let data = length.saturating_sub(INBOX_HEADER_BYTES as u64);
    tree_depth(data.div_ceil(32))
}
