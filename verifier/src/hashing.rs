//! The hash constructors of the machine hash (mirrors `contracts/src/osp/Hashing.sol`,
//! docs/spec/machine-hash.md), written from the spec for the verifier alone: the machine has
//! its own, and the two meet only in the tests that compare them.

use alloy_primitives::{B256, keccak256};
use fuse_primitives::GlobalState;
use fuse_primitives::tags::{
    TAG_FINISHED, TAG_FRAME, TAG_MACHINE, TAG_MODULE, TAG_STATIC, TAG_VALUE_STACK, TAG_WORLD,
};

/// Concatenates `parts` behind `tag` and hashes them.
fn tagged(tag: u8, parts: &[&[u8]]) -> B256 {
    let mut buf = Vec::with_capacity(1 + parts.iter().map(|p| p.len()).sum::<usize>());
    buf.push(tag);
    for p in parts {
        buf.extend_from_slice(p);
    }
    keccak256(buf)
}

/// `keccak256(0x06 ‖ state_root ‖ outbox_root ‖ inbox_position ‖ block_number)`.
pub fn global_state_hash(gs: &GlobalState) -> B256 {
    keccak256(gs.preimage())
}

/// `keccak256(0x03 ‖ module_hash ‖ gs_hash)`.
pub fn world_hash(module_hash: B256, gs_hash: B256) -> B256 {
    tagged(TAG_WORLD, &[module_hash.as_slice(), gs_hash.as_slice()])
}

/// `keccak256(0x01 ‖ status ‖ pc (u32) ‖ value_stack ‖ locals ‖ frames ‖ world)`.
pub fn machine_hash(
    status: u8,
    pc: u32,
    value_stack: B256,
    locals: B256,
    frames: B256,
    world: B256,
) -> B256 {
    tagged(
        TAG_MACHINE,
        &[
            &[status],
            &pc.to_be_bytes(),
            value_stack.as_slice(),
            locals.as_slice(),
            frames.as_slice(),
            world.as_slice(),
        ],
    )
}

/// `keccak256(0x02 ‖ gs_hash)`: a finished machine is its global state alone.
pub fn finished_machine_hash(gs_hash: B256) -> B256 {
    tagged(TAG_FINISHED, &[gs_hash.as_slice()])
}

/// `keccak256(0x07 ‖ prev ‖ value (u64))`.
pub fn value_stack_push(prev: &B256, value: u64) -> B256 {
    tagged(TAG_VALUE_STACK, &[prev.as_slice(), &value.to_be_bytes()])
}

/// `keccak256(0x08 ‖ prev ‖ depth (u32) ‖ returnPc (u32) ‖ valueStack ‖ localsRoot)`.
pub fn frame_push(
    prev: &B256,
    depth: u32,
    return_pc: u32,
    value_stack: &B256,
    locals_root: &B256,
) -> B256 {
    tagged(
        TAG_FRAME,
        &[
            prev.as_slice(),
            &depth.to_be_bytes(),
            &return_pc.to_be_bytes(),
            value_stack.as_slice(),
            locals_root.as_slice(),
        ],
    )
}

/// `keccak256(0x05 ‖ codeRoot ‖ tableRoot ‖ codeDepth (u8))`.
pub fn static_hash(code_root: B256, table_root: B256, code_depth: u8) -> B256 {
    tagged(
        TAG_STATIC,
        &[code_root.as_slice(), table_root.as_slice(), &[code_depth]],
    )
}

/// `keccak256(0x04 ‖ static ‖ globalsRoot ‖ memoryRoot ‖ memoryPages (u32))`.
pub fn module_hash(static_hash: B256, globals_root: B256, memory_root: B256, pages: u32) -> B256 {
    tagged(
        TAG_MODULE,
        &[
            static_hash.as_slice(),
            globals_root.as_slice(),
            memory_root.as_slice(),
            &pages.to_be_bytes(),
        ],
    )
}
