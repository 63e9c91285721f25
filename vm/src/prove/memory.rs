//! Witnesses of memory instructions and of host calls' memory accesses: leaves of the
//! memory tree with their paths (docs/spec/proof-format.md).

use alloy_primitives::B256;

use super::Writer;
use crate::isa::{Instruction, Opcode as O};
use crate::machine::Machine;
use crate::merkle::{TAG_MEMORY, node};
use crate::step::memory::{access_size, effective};

/// Writes the leaf proofs of a load or store that does not trap.
pub(super) fn witness(m: &Machine, ins: Instruction, w: &mut Writer) {
    if matches!(ins.op, O::MemorySize | O::MemoryGrow) {
        return;
    }
    let size = access_size(ins.op);
    let is_store = ins.op.is_store();
    let stack = m.stack();
    let addr_at = stack.len().wrapping_sub(if is_store { 2 } else { 1 });
    let Some(&addr) = stack.get(addr_at) else {
        return;
    };
    let Ok(ea) = effective(m.memory.len(), addr, ins.a, size) else {
        return;
    };
    let (first, last) = (ea / 32, (ea + size - 1) / 32);
    let tree = m.cache.memory_tree();
    let path = tree.path(first);
    w.leaf_proof(&tree.leaf(first), &path);
    if last == first {
        return;
    }
    let mut second = tree.path(last);
    if is_store {
        // The verifier checks the second leaf against the root after the first write.
        let value = stack[stack.len() - 1].to_le_bytes();
        let mut leaf = tree.leaf(first);
        let at = ea % 32;
        leaf[at..].copy_from_slice(&value[..32 - at]);
        rewrite_path(first as u64, leaf, &path, last as u64, &mut second);
    }
    w.leaf_proof(&tree.leaf(last), &second);
}

/// Memory reads of host calls: one leaf proof per leaf of `len` bytes at `ptr`.
pub(super) fn read(m: &Machine, ptr: usize, len: usize, w: &mut Writer) {
    if len == 0 {
        return;
    }
    let tree = m.cache.memory_tree();
    for i in ptr / 32..=(ptr + len - 1) / 32 {
        w.leaf_proof(&tree.leaf(i), &tree.path(i));
    }
}

/// The leaf proof of a 32-byte write at the aligned `ptr` (its old value).
pub(super) fn write_word(m: &Machine, ptr: usize, w: &mut Writer) {
    let tree = m.cache.memory_tree();
    w.leaf_proof(&tree.leaf(ptr / 32), &tree.path(ptr / 32));
}

/// Updates `siblings` (the path of leaf `j`) for leaf `i` having become `leaf`: the one
/// sibling of `j`'s path that is an ancestor of `i` is recomputed from `i`'s path.
fn rewrite_path(i: u64, leaf: B256, path_i: &[B256], j: u64, siblings: &mut [B256]) {
    let mut h = leaf;
    for (k, s) in path_i.iter().enumerate() {
        if (j >> k) ^ 1 == i >> k {
            siblings[k] = h;
            return;
        }
        h = if (i >> k) & 1 == 0 {
            node(TAG_MEMORY, &h, s)
        } else {
            node(TAG_MEMORY, s, &h)
        };
    }
}
