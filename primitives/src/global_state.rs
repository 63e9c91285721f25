//! The rollup global state: the part of a block's machine that survives the block.

use alloy_primitives::{B256, keccak256};

use crate::tags::TAG_GLOBAL_STATE;

/// What one block reads and writes besides its own memory: the L2 state root, the outbox root,
/// the position of the next inbox message to read, and the L2 block number.
///
/// The guest reads and writes it through host calls (docs/spec/guest-abi.md); L1 sees it only
/// as [`GlobalState::hash`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct GlobalState {
    /// Root of the L2 account tree (and everything else the state transition keeps).
    pub state_root: B256,
    /// Root of the chain-wide withdrawal tree.
    pub outbox_root: B256,
    /// Index of the next inbox message to execute.
    pub inbox_position: u64,
    /// Number of L2 blocks executed so far.
    pub block_number: u64,
}

impl GlobalState {
    /// Number of 32-byte fields, addressed by `get_bytes32` / `set_bytes32`.
    pub const BYTES32_FIELDS: u32 = 2;
    /// Number of u64 fields, addressed by `get_u64` / `set_u64`.
    pub const U64_FIELDS: u32 = 2;

    /// Bytes of [`GlobalState::preimage`].
    pub const PREIMAGE_BYTES: usize = 81;

    /// `0x06 ‖ state_root ‖ outbox_root ‖ inbox_position (u64 BE) ‖ block_number (u64 BE)`:
    /// what [`GlobalState::hash`] hashes.
    pub fn preimage(&self) -> [u8; Self::PREIMAGE_BYTES] {
        let mut buf = [0u8; Self::PREIMAGE_BYTES];
        buf[0] = TAG_GLOBAL_STATE;
        buf[1..33].copy_from_slice(self.state_root.as_slice());
        buf[33..65].copy_from_slice(self.outbox_root.as_slice());
        buf[65..73].copy_from_slice(&self.inbox_position.to_be_bytes());
        buf[73..81].copy_from_slice(&self.block_number.to_be_bytes());
        buf
    }

    /// `keccak256(`[`GlobalState::preimage`]`)`.
    pub fn hash(&self) -> B256 {
        keccak256(self.preimage())
    }

    /// The 32-byte field `index` (0: state root, 1: outbox root).
    pub fn bytes32(&self, index: u32) -> Option<B256> {
        match index {
            0 => Some(self.state_root),
            1 => Some(self.outbox_root),
            _ => None,
        }
    }

    /// Sets the 32-byte field `index`; false if there is no such field.
    pub fn set_bytes32(&mut self, index: u32, value: B256) -> bool {
        match index {
            0 => self.state_root = value,
            1 => self.outbox_root = value,
            _ => return false,
        }
        true
    }

    /// The u64 field `index` (0: inbox position, 1: block number).
    pub fn u64(&self, index: u32) -> Option<u64> {
        match index {
            0 => Some(self.inbox_position),
            1 => Some(self.block_number),
            _ => None,
        }
    }

    /// Sets the u64 field `index`; false if there is no such field.
    pub fn set_u64(&mut self, index: u32, value: u64) -> bool {
        match index {
            0 => self.inbox_position = value,
            1 => self.block_number = value,
            _ => return false,
        }
        true
    }
}
