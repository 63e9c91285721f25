//! Domain tags and hash constructors of the machine hash (docs/spec/machine-hash.md).
//!
//! Mirrors `contracts/src/osp/Hashing.sol` function for function. Every hashed structure
//! starts with a one-byte domain tag. Integers are big-endian in every hash.

use std::sync::atomic::{AtomicU64, Ordering};

use alloy_primitives::{B256, keccak256};

use crate::GlobalState;

static KECCAK_CALLS: AtomicU64 = AtomicU64::new(0);

/// keccak256 for every hash of the machine state; counts calls so benchmarks can report
/// permutations per step (every state preimage is at most 135 bytes: one permutation).
#[inline]
pub fn keccak(data: &[u8]) -> B256 {
    KECCAK_CALLS.fetch_add(1, Ordering::Relaxed);
    keccak256(data)
}

/// Machine-state keccak calls made by this process so far.
pub fn keccak_calls() -> u64 {
    KECCAK_CALLS.load(Ordering::Relaxed)
}

pub use fuse_primitives::tags::{
    STATUS_ERRORED, STATUS_RUNNING, TAG_FINISHED, TAG_GLOBAL_STATE, TAG_MACHINE, TAG_STUCK,
    TAG_WORLD,
};

/// The level-1 value of every point at or after a block that cannot finish (errored, or
/// still running after `MAX_STEPS`): `keccak256(0x09)`. One tagged byte, so no global state
/// (81 bytes under tag 0x06) hashes to it; absorbing in the game (docs/spec/protocol.md,
/// "A block that cannot finish").
pub fn stuck_state_hash() -> B256 {
    keccak256([TAG_STUCK])
}

/// The hash of an empty value stack, an empty frame stack and an empty locals tree.
pub const EMPTY: B256 = B256::ZERO;

/// `keccak256(0x06 ‖ state_root ‖ outbox_root ‖ inbox_position ‖ block_number)`, 81 bytes.
pub fn global_state_hash(gs: &GlobalState) -> B256 {
    keccak(&gs.preimage())
}

/// `keccak256(0x03 ‖ module_hash ‖ gs_hash)`, 65 bytes.
pub fn world_hash(module_hash: B256, gs_hash: B256) -> B256 {
    let mut buf = [0u8; 65];
    buf[0] = TAG_WORLD;
    buf[1..33].copy_from_slice(module_hash.as_slice());
    buf[33..65].copy_from_slice(gs_hash.as_slice());
    keccak(&buf)
}

/// The hash of a running or errored machine:
/// `keccak256(0x01 ‖ status ‖ pc (u32) ‖ value_stack ‖ locals ‖ frames ‖ world)`, 134 bytes,
/// so it costs one keccak permutation.
pub fn machine_hash(
    status: u8,
    pc: u32,
    value_stack: B256,
    locals: B256,
    frames: B256,
    world: B256,
) -> B256 {
    let mut buf = [0u8; 134];
    buf[0] = TAG_MACHINE;
    buf[1] = status;
    buf[2..6].copy_from_slice(&pc.to_be_bytes());
    buf[6..38].copy_from_slice(value_stack.as_slice());
    buf[38..70].copy_from_slice(locals.as_slice());
    buf[70..102].copy_from_slice(frames.as_slice());
    buf[102..134].copy_from_slice(world.as_slice());
    keccak(&buf)
}

/// A finished machine hashes from its global state alone: `keccak256(0x02 ‖ gs_hash)`.
pub fn finished_machine_hash(gs_hash: B256) -> B256 {
    let mut buf = [0u8; 33];
    buf[0] = TAG_FINISHED;
    buf[1..33].copy_from_slice(gs_hash.as_slice());
    keccak(&buf)
}

/// The machine at the synthetic entry (pc 0) of the module whose root is `module_root`,
/// about to run one block from the global state whose hash is `gs_hash`.
pub fn initial_machine_hash(module_root: B256, gs_hash: B256) -> B256 {
    machine_hash(
        STATUS_RUNNING,
        0,
        EMPTY,
        EMPTY,
        EMPTY,
        world_hash(module_root, gs_hash),
    )
}
