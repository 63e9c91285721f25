//! Tree paths in proofs (mirrors `contracts/src/osp/MerkleLib.sol`): a leaf and its siblings
//! checked against a root, the root after the leaf is replaced, and the locals root a call
//! builds from its parameters.

use alloy_primitives::{B256, keccak256};
use fuse_primitives::tags::TAG_LOCALS;

use crate::VerifyError;
use crate::proof::Decoder;

/// `keccak256(tag ‖ left ‖ right)`: an inner node.
pub fn node(tag: u8, left: &B256, right: &B256) -> B256 {
    let mut buf = [0u8; 65];
    buf[0] = tag;
    buf[1..33].copy_from_slice(left.as_slice());
    buf[33..65].copy_from_slice(right.as_slice());
    keccak256(buf)
}

/// The root of an all-zero subtree of `height` under `tag`.
pub fn zero_hash(tag: u8, height: usize) -> B256 {
    let mut h = B256::ZERO;
    for _ in 0..height {
        h = node(tag, &h, &h);
    }
    h
}

/// The root that `leaf` at `index` gives with `siblings` (bottom-up); bit k of `index` says
/// whether the path is the right child at height k.
pub fn root_from_proof(tag: u8, index: u64, leaf: B256, siblings: &[B256]) -> B256 {
    let mut h = leaf;
    for (k, s) in siblings.iter().enumerate() {
        let right = k < 64 && (index >> k) & 1 == 1;
        h = if right {
            node(tag, s, &h)
        } else {
            node(tag, &h, s)
        };
    }
    h
}

/// `ceil(log2(n))`, 0 for `n ≤ 1`: the depth of a tree with `n` leaves.
pub fn tree_depth(n: u64) -> u8 {
    let mut d = 0u8;
    while d < 64 && (1u64 << d) < n {
        d += 1;
    }
    d
}

/// Depth of the locals tree of a frame with `num_locals` locals, four to a leaf.
pub fn locals_depth(num_locals: u32) -> u8 {
    tree_depth((num_locals as u64).div_ceil(4))
}

/// One leaf of up to four 64-bit values, each big-endian, zero-padded.
pub fn pack_leaf(values: &[u64]) -> B256 {
    let mut leaf = B256::ZERO;
    for (slot, v) in values.iter().take(4).enumerate() {
        leaf = with_leaf_slot(&leaf, slot, *v);
    }
    leaf
}

/// A leaf proven against a root: what a write needs to recompute the root.
#[derive(Clone, Debug)]
pub struct LeafProof {
    /// The tree's tag.
    pub tag: u8,
    /// The leaf's index.
    pub index: u64,
    /// The leaf as proven.
    pub leaf: B256,
    /// Its siblings, bottom-up.
    pub siblings: Vec<B256>,
}

impl LeafProof {
    /// The root of the tree with this leaf replaced by `leaf`.
    pub fn root_with(&self, leaf: B256) -> B256 {
        root_from_proof(self.tag, self.index, leaf, &self.siblings)
    }
}

/// Reads `leaf ‖ siblings (depth)` for leaf `index` of the tree tagged `tag` and checks it
/// against `root` (`BadMerkleProof(tag)` otherwise).
pub fn read_leaf_proof(
    d: &mut Decoder,
    tag: u8,
    depth: u8,
    index: u64,
    root: B256,
) -> Result<LeafProof, VerifyError> {
    let offset = d.position();
    let leaf = d.read_bytes32()?;
    let mut siblings = Vec::with_capacity(depth as usize);
    for _ in 0..depth {
        siblings.push(d.read_bytes32()?);
    }
    // An index the depth cannot hold would alias another leaf; the step semantics never ask
    // for one, so reaching here means the proof and the state disagree.
    if depth < 64 && index >> depth != 0 {
        return Err(VerifyError::BadMerkleProof(tag));
    }
    let p = LeafProof {
        tag,
        index,
        leaf,
        siblings,
    };
    if p.root_with(leaf) != root {
        return Err(VerifyError::BadMerkleProof(tag));
    }
    d.note_path(crate::proof::PathRead {
        tag,
        index,
        depth,
        leaf,
        offset,
    });
    Ok(p)
}

/// The u64 in slot `slot` (0..4) of a locals or globals leaf.
pub fn leaf_slot(leaf: &B256, slot: usize) -> u64 {
    u64::from_be_bytes(leaf[8 * slot..8 * slot + 8].try_into().unwrap())
}

/// `leaf` with slot `slot` set to `value`.
pub fn with_leaf_slot(leaf: &B256, slot: usize, value: u64) -> B256 {
    let mut out = *leaf;
    out[8 * slot..8 * slot + 8].copy_from_slice(&value.to_be_bytes());
    out
}

/// The root of a locals tree of `depth` whose first locals are `values` and the rest zero.
pub fn build_locals_root(values: &[u64], depth: u8) -> B256 {
    let mut layer: Vec<B256> = values.chunks(4).map(pack_leaf).collect();
    for k in 0..depth as usize {
        let z = zero_hash(TAG_LOCALS, k);
        if layer.is_empty() {
            return zero_hash(TAG_LOCALS, depth as usize);
        }
        layer = layer
            .chunks(2)
            .map(|p| node(TAG_LOCALS, &p[0], p.get(1).unwrap_or(&z)))
            .collect();
    }
    layer.first().copied().unwrap_or(B256::ZERO)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The locals root of `values` padded with zeros to a tree of `depth`, built the naive way.
    fn naive_locals_root(values: &[u64], depth: u8) -> B256 {
        let mut layer: Vec<B256> = (0..1usize << depth)
            .map(|i| {
                pack_leaf(
                    values
                        .get(4 * i..)
                        .map_or(&[][..], |v| &v[..v.len().min(4)]),
                )
            })
            .collect();
        while layer.len() > 1 {
            layer = layer
                .chunks(2)
                .map(|p| node(TAG_LOCALS, &p[0], &p[1]))
                .collect();
        }
        layer[0]
    }

    #[test]
    fn locals_root_matches_a_naive_tree() {
        for n in [0usize, 1, 3, 4, 5, 9, 17, 40] {
            let values: Vec<u64> = (0..n as u64).map(|i| i * 7 + 1).collect();
            for total in [n, n + 3, n + 20] {
                let depth = locals_depth(total as u32);
                assert_eq!(
                    build_locals_root(&values, depth),
                    naive_locals_root(&values, depth),
                    "{n}/{total}"
                );
            }
        }
    }

    #[test]
    fn tree_depth_is_ceil_log2() {
        for (n, d) in [
            (0, 0),
            (1, 0),
            (2, 1),
            (3, 2),
            (4, 2),
            (5, 3),
            (1 << 20, 20),
        ] {
            assert_eq!(tree_depth(n), d, "{n}");
        }
        assert_eq!(tree_depth(u64::MAX), 64);
    }
}
