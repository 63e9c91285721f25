//! Tree paths in proofs (mirrors `contracts/src/osp/MerkleLib.sol`): a leaf and its siblings
//! checked against a root, the root after the leaf is replaced, and the locals root a call
//! builds from its parameters.

use alloy_primitives::B256;

use super::VerifyError;
use super::proof::Decoder;
use crate::merkle::{TAG_LOCALS, node, pack_leaf};
pub use crate::merkle::{root_from_proof, zero as zero_hash};
pub use crate::module::tree_depth;

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
    use crate::merkle::{Tree, pack_values};

    #[test]
    fn locals_root_matches_the_machine_tree() {
        for n in [0usize, 1, 3, 4, 5, 9, 17, 40] {
            let values: Vec<u64> = (0..n as u64).map(|i| i * 7 + 1).collect();
            for total in [n, n + 3, n + 20] {
                let depth = crate::module::locals_depth(total as u32);
                let mut all = values.clone();
                all.resize(total, 0);
                let tree = Tree::new(TAG_LOCALS, depth, pack_values(&all)).clean_root();
                assert_eq!(Some(build_locals_root(&values, depth)), tree, "{n}/{total}");
            }
        }
    }
}
