//! Linear memory in proofs (mirrors `contracts/src/osp/MemoryLib.sol`), shared by the memory
//! and host classes: leaves of the memory tree at the instruction's depth, byte ranges across
//! consecutive leaves, and writes that move the memory root.

use alloy_primitives::B256;

use crate::VerifyError;
use crate::machine::Machine;
use crate::merkle::read_leaf_proof;
use crate::proof::Decoder;
use fuse_primitives::PAGE_SIZE;
use fuse_primitives::tags::TAG_MEMORY;

/// Bytes of a memory of `pages` pages.
pub fn memory_bytes(pages: u32) -> u64 {
    pages as u64 * PAGE_SIZE as u64
}

/// The proven memory leaf `index`.
fn read_memory_leaf(
    d: &mut Decoder,
    mach: &Machine,
    depth: u8,
    index: u64,
) -> Result<B256, VerifyError> {
    Ok(read_leaf_proof(d, TAG_MEMORY, depth, index, mach.memory_root)?.leaf)
}

/// Replaces memory leaf `index` (its old value proven against the current root) with `leaf`.
fn write_memory_leaf(
    d: &mut Decoder,
    mach: &mut Machine,
    depth: u8,
    index: u64,
    leaf: B256,
) -> Result<(), VerifyError> {
    let p = read_leaf_proof(d, TAG_MEMORY, depth, index, mach.memory_root)?;
    mach.memory_root = p.root_with(leaf);
    Ok(())
}

/// `len` bytes at `ptr`, from one leaf proof per touched leaf (none when `len` is 0). The
/// caller has checked that the range lies inside memory.
pub fn read_bytes(
    d: &mut Decoder,
    mach: &Machine,
    depth: u8,
    ptr: u64,
    len: u64,
) -> Result<Vec<u8>, VerifyError> {
    let mut out = Vec::with_capacity(len as usize + 32);
    if len == 0 {
        return Ok(out);
    }
    let (first, last) = (ptr / 32, (ptr + len - 1) / 32);
    for index in first..=last {
        out.extend_from_slice(read_memory_leaf(d, mach, depth, index)?.as_slice());
    }
    let skip = (ptr % 32) as usize;
    Ok(out[skip..skip + len as usize].to_vec())
}

/// The little-endian value of `size` (at most 8) bytes at `ea`, from one leaf proof or two
/// when the access crosses a leaf boundary.
pub fn load(
    d: &mut Decoder,
    mach: &Machine,
    depth: u8,
    ea: u64,
    size: u64,
) -> Result<u64, VerifyError> {
    let bytes = read_bytes(d, mach, depth, ea, size)?;
    let mut raw = [0u8; 8];
    raw[..bytes.len()].copy_from_slice(&bytes);
    Ok(u64::from_le_bytes(raw))
}

/// Writes a 32-byte word at the 32-byte-aligned `ptr`.
pub fn write_word(
    d: &mut Decoder,
    mach: &mut Machine,
    depth: u8,
    ptr: u64,
    word: B256,
) -> Result<(), VerifyError> {
    write_memory_leaf(d, mach, depth, ptr / 32, word)
}

/// Writes `bytes` (at most 8) at `ea`, which may cross into the next leaf: the second leaf's
/// proof is against the root after the first write.
pub fn store(
    d: &mut Decoder,
    mach: &mut Machine,
    depth: u8,
    ea: u64,
    bytes: &[u8],
) -> Result<(), VerifyError> {
    let index = ea / 32;
    let at = (ea % 32) as usize;
    let p = read_leaf_proof(d, TAG_MEMORY, depth, index, mach.memory_root)?;
    let mut leaf = p.leaf;
    let here = bytes.len().min(32 - at);
    leaf[at..at + here].copy_from_slice(&bytes[..here]);
    mach.memory_root = p.root_with(leaf);
    if here < bytes.len() {
        let q = read_leaf_proof(d, TAG_MEMORY, depth, index + 1, mach.memory_root)?;
        let mut next = q.leaf;
        next[..bytes.len() - here].copy_from_slice(&bytes[here..]);
        mach.memory_root = q.root_with(next);
    }
    Ok(())
}
