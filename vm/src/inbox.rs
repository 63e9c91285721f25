//! The inbox accumulator (docs/spec/inbox.md): how L1 commits to every message, so a one-step
//! proof of an inbox read carries one 32-byte chunk and its path, never the whole message.
//!
//! Mirrors `contracts/src/osp/InboxAccumulator.sol`.

use alloy_primitives::B256;

use crate::merkle::{self, Tree};
use crate::module::tree_depth;

pub use fuse_primitives::INBOX_HEADER_BYTES as HEADER_BYTES;
pub use fuse_primitives::tags::{TAG_ACCUMULATOR, TAG_DATA};

/// `keccak256(0x20 ‖ prev ‖ length (u64) ‖ header ‖ data_root)`, 105 bytes.
pub fn accumulate(prev: B256, length: u64, header: B256, data_root: B256) -> B256 {
    let mut buf = [0u8; 105];
    buf[0] = TAG_ACCUMULATOR;
    buf[1..33].copy_from_slice(prev.as_slice());
    buf[33..41].copy_from_slice(&length.to_be_bytes());
    buf[41..73].copy_from_slice(header.as_slice());
    buf[73..105].copy_from_slice(data_root.as_slice());
    crate::hash::keccak(&buf)
}

/// A message's header: its first 32 bytes, zero-padded.
pub fn header(message: &[u8]) -> B256 {
    let mut h = [0u8; 32];
    let n = message.len().min(HEADER_BYTES);
    h[..n].copy_from_slice(&message[..n]);
    B256::from(h)
}

/// A message's data: everything after the header.
pub fn data(message: &[u8]) -> &[u8] {
    message.get(HEADER_BYTES..).unwrap_or(&[])
}

/// Depth of the data tree of a message of `length` bytes.
pub fn data_depth(length: u64) -> u8 {
    tree_depth(length.saturating_sub(HEADER_BYTES as u64).div_ceil(32))
}

/// The data tree of `message` (tag 0x15; its depth follows from the message's length).
pub fn data_tree(message: &[u8]) -> Tree {
    Tree::new(
        TAG_DATA,
        data_depth(message.len() as u64),
        merkle::chunk_leaves(data(message)),
    )
}

/// The root of `message`'s data tree.
pub fn data_root(message: &[u8]) -> B256 {
    data_tree(message).root()
}

/// The accumulator after appending `message` to a chain whose last accumulator is `prev`.
pub fn append(prev: B256, message: &[u8]) -> B256 {
    accumulate(
        prev,
        message.len() as u64,
        header(message),
        data_root(message),
    )
}

/// The accumulators of a whole inbox, message 0 first.
pub fn accumulators<'a>(messages: impl IntoIterator<Item = &'a [u8]>) -> Vec<B256> {
    let mut prev = B256::ZERO;
    messages
        .into_iter()
        .map(|m| {
            prev = append(prev, m);
            prev
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_tree_depth_follows_length() {
        assert_eq!(data_depth(0), 0);
        assert_eq!(data_depth(32), 0);
        assert_eq!(data_depth(33), 0);
        assert_eq!(data_depth(64), 0);
        assert_eq!(data_depth(65), 1);
        assert_eq!(data_depth(32 + 32 * 5), 3);
        assert_eq!(data_root(&[7u8; 20]), B256::ZERO);
        let one = [9u8; 40];
        let mut leaf = [0u8; 32];
        leaf[..8].copy_from_slice(&[9u8; 8]);
        assert_eq!(data_root(&one), B256::from(leaf));
    }

    #[test]
    fn chain_links_every_message() {
        let msgs: Vec<Vec<u8>> = vec![vec![1; 10], vec![2; 100], vec![]];
        let accs = accumulators(msgs.iter().map(Vec::as_slice));
        assert_eq!(accs.len(), 3);
        assert_eq!(accs[0], append(B256::ZERO, &msgs[0]));
        assert_eq!(accs[2], append(accs[1], &msgs[2]));
        assert_ne!(accs[1], append(B256::ZERO, &msgs[1]));
    }
}
