//! Fixed-depth binary Merkle trees with 32-byte leaves, domain-separated inner nodes, and
//! cached layers so a changed leaf costs one path of hashes (docs/spec/machine-hash.md).
//!
//! `node = keccak256(tag ‖ left ‖ right)`; leaves are raw 32-byte values; an absent leaf is
//! zero, so an all-zero subtree of height k has the precomputed hash `zero(tag, k)`. The depth
//! of every tree is bound by the code or the module, never chosen by a proof.

use std::sync::OnceLock;

use alloy_primitives::B256;

pub use fuse_primitives::MAX_TREE_DEPTH as MAX_DEPTH;
pub use fuse_primitives::tags::{TAG_CODE, TAG_GLOBALS, TAG_LOCALS, TAG_MEMORY, TAG_TABLE};

/// `keccak256(tag ‖ left ‖ right)`.
#[inline]
pub fn node(tag: u8, left: &B256, right: &B256) -> B256 {
    let mut buf = [0u8; 65];
    buf[0] = tag;
    buf[1..33].copy_from_slice(left.as_slice());
    buf[33..65].copy_from_slice(right.as_slice());
    crate::hash::keccak(&buf)
}

/// The hash of an all-zero subtree of height `height` under `tag`.
pub fn zero(tag: u8, height: usize) -> B256 {
    static TABLES: [OnceLock<Vec<B256>>; 6] = [
        OnceLock::new(),
        OnceLock::new(),
        OnceLock::new(),
        OnceLock::new(),
        OnceLock::new(),
        OnceLock::new(),
    ];
    let slot = (tag as usize).wrapping_sub(TAG_MEMORY as usize);
    // Checked before the table is filled: an unknown tag must not fill another tag's table.
    assert!(slot < 6, "unknown tree tag {tag:#x}");
    let table = TABLES[slot].get_or_init(|| {
        let mut z = vec![B256::ZERO];
        for k in 1..=MAX_DEPTH {
            let prev = z[k - 1];
            z.push(node(tag, &prev, &prev));
        }
        z
    });
    table[height]
}

/// A Merkle tree of fixed `depth` whose leaves past `layers[0].len()` are zero.
#[derive(Clone, Debug)]
pub struct Tree {
    tag: u8,
    depth: usize,
    /// `layers[k][i]` is node i at height k; layer 0 holds the leaves.
    layers: Vec<Vec<B256>>,
    dirty: Vec<usize>,
}

impl Tree {
    /// A tree over `leaves` (padded with zero leaves to 2^depth).
    pub fn new(tag: u8, depth: u8, leaves: Vec<B256>) -> Self {
        let depth = depth as usize;
        assert!(depth <= MAX_DEPTH && (leaves.len() as u128) <= (1u128 << depth));
        let mut layers = vec![leaves];
        for k in 1..=depth {
            let below = &layers[k - 1];
            let mut layer = Vec::with_capacity(below.len().div_ceil(2));
            let z = zero(tag, k - 1);
            let zk = zero(tag, k);
            for pair in below.chunks(2) {
                let l = pair[0];
                let r = pair.get(1).copied().unwrap_or(z);
                layer.push(if l == z && r == z {
                    zk
                } else {
                    node(tag, &l, &r)
                });
            }
            layers.push(layer);
        }
        Tree {
            tag,
            depth,
            layers,
            dirty: Vec::new(),
        }
    }

    /// The tree's depth.
    pub fn depth(&self) -> u8 {
        self.depth as u8
    }

    /// Number of stored leaves (the rest are zero).
    pub fn len(&self) -> usize {
        self.layers[0].len()
    }

    /// Whether no leaf is stored.
    pub fn is_empty(&self) -> bool {
        self.layers[0].is_empty()
    }

    /// Leaf `i` (zero past the stored ones).
    pub fn leaf(&self, i: usize) -> B256 {
        self.layers[0].get(i).copied().unwrap_or(B256::ZERO)
    }

    /// Sets leaf `i`; the path is rehashed by the next [`Tree::root`] / [`Tree::update`].
    pub fn set_leaf(&mut self, i: usize, value: B256) {
        debug_assert!((i as u128) < (1u128 << self.depth));
        if i >= self.layers[0].len() {
            self.grow_to(i + 1);
        }
        self.layers[0][i] = value;
        self.dirty.push(i);
    }

    /// Stores zero leaves up to `len` leaves (the root does not change).
    pub fn grow_to(&mut self, len: usize) {
        for k in 0..=self.depth {
            let want = len.div_ceil(1 << k);
            let z = zero(self.tag, k);
            if self.layers[k].len() < want {
                self.layers[k].resize(want, z);
            }
        }
    }

    /// Rehashes the paths of every leaf set since the last update.
    pub fn update(&mut self) {
        if self.dirty.is_empty() {
            return;
        }
        let mut idx = std::mem::take(&mut self.dirty);
        idx.sort_unstable();
        idx.dedup();
        for k in 1..=self.depth {
            for i in idx.iter_mut() {
                *i >>= 1;
            }
            idx.dedup();
            let z = zero(self.tag, k - 1);
            for &p in &idx {
                let (below, above) = self.layers.split_at_mut(k);
                let below = &below[k - 1];
                let l = below[2 * p];
                let r = below.get(2 * p + 1).copied().unwrap_or(z);
                above[0][p] = node(self.tag, &l, &r);
            }
        }
        self.dirty = idx;
        self.dirty.clear();
    }

    /// The root (after rehashing dirty paths).
    pub fn root(&mut self) -> B256 {
        self.update();
        self.layers[self.depth]
            .first()
            .copied()
            .unwrap_or_else(|| zero(self.tag, self.depth))
    }

    /// The root without rehashing; only valid when nothing is dirty.
    pub fn clean_root(&self) -> Option<B256> {
        self.dirty.is_empty().then(|| {
            self.layers[self.depth]
                .first()
                .copied()
                .unwrap_or_else(|| zero(self.tag, self.depth))
        })
    }

    /// The siblings of leaf `i`, bottom-up (after rehashing dirty paths).
    pub fn proof(&mut self, i: usize) -> Vec<B256> {
        self.update();
        self.path(i)
    }

    /// The siblings of leaf `i`, bottom-up, of a tree with no dirty leaves.
    pub fn path(&self, i: usize) -> Vec<B256> {
        debug_assert!(self.dirty.is_empty(), "path of a tree with dirty leaves");
        (0..self.depth)
            .map(|k| {
                let sibling = (i >> k) ^ 1;
                self.layers[k]
                    .get(sibling)
                    .copied()
                    .unwrap_or_else(|| zero(self.tag, k))
            })
            .collect()
    }
}

/// Recomputes a root from a leaf, its index and its siblings (bottom-up).
pub fn root_from_proof(tag: u8, mut index: u64, leaf: B256, siblings: &[B256]) -> B256 {
    let mut h = leaf;
    for s in siblings {
        h = if index & 1 == 0 {
            node(tag, &h, s)
        } else {
            node(tag, s, &h)
        };
        index >>= 1;
    }
    h
}

/// One leaf of up to four 64-bit values, each big-endian, zero-padded.
pub fn pack_leaf(values: &[u64]) -> B256 {
    let mut leaf = [0u8; 32];
    for (j, v) in values.iter().take(4).enumerate() {
        leaf[8 * j..8 * j + 8].copy_from_slice(&v.to_be_bytes());
    }
    B256::from(leaf)
}

/// Packs 64-bit values four to a leaf (locals and globals).
pub fn pack_values(values: &[u64]) -> Vec<B256> {
    values.chunks(4).map(pack_leaf).collect()
}

/// Cuts bytes into 32-byte leaves (the last one zero-padded).
pub fn chunk_leaves(bytes: &[u8]) -> Vec<B256> {
    bytes
        .chunks(32)
        .map(|c| {
            let mut leaf = [0u8; 32];
            leaf[..c.len()].copy_from_slice(c);
            B256::from(leaf)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive_root(tag: u8, depth: usize, leaves: &[B256]) -> B256 {
        let mut layer: Vec<B256> = (0..1usize << depth)
            .map(|i| leaves.get(i).copied().unwrap_or_default())
            .collect();
        while layer.len() > 1 {
            layer = layer.chunks(2).map(|p| node(tag, &p[0], &p[1])).collect();
        }
        layer[0]
    }

    #[test]
    fn tree_matches_naive_and_updates_incrementally() {
        let leaves: Vec<B256> = (0..5u8).map(|i| B256::repeat_byte(i + 1)).collect();
        let mut t = Tree::new(TAG_MEMORY, 4, leaves.clone());
        assert_eq!(t.root(), naive_root(TAG_MEMORY, 4, &leaves));
        let mut l2 = leaves.clone();
        l2[3] = B256::repeat_byte(9);
        l2.resize(11, B256::ZERO);
        l2[10] = B256::repeat_byte(7);
        t.set_leaf(3, l2[3]);
        t.set_leaf(10, l2[10]);
        assert_eq!(t.root(), naive_root(TAG_MEMORY, 4, &l2));
        for i in [0usize, 3, 10, 15] {
            let p = t.proof(i);
            assert_eq!(
                root_from_proof(
                    TAG_MEMORY,
                    i as u64,
                    l2.get(i).copied().unwrap_or_default(),
                    &p
                ),
                t.root()
            );
        }
        let empty = Tree::new(TAG_CODE, 3, vec![]).clean_root().unwrap();
        assert_eq!(empty, zero(TAG_CODE, 3));
        assert_eq!(
            Tree::new(TAG_LOCALS, 0, vec![B256::repeat_byte(4)])
                .clean_root()
                .unwrap(),
            B256::repeat_byte(4)
        );
    }
}
