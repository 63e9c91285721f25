//! The append-only Merkle tree of depth 32: the chain-wide outbox
//! (docs/design.md#rule-12, docs/spec/outbox.md), and later the forced-tx queue.
//!
//! Leaves are 32-byte values at indices `0 .. 2^32`; an absent leaf is 32 zero bytes. A node
//! at height `h` (leaves at 0, the root at 32) is `keccak(tag ‖ left ‖ right)` (65 bytes), so
//! an all-zero subtree of height `h` hashes to `z_h`: `z_0 = 0`, `z_{h+1} = keccak(tag ‖ z_h ‖
//! z_h)`. The STF keeps only the root (the caller keeps the leaf count) and walks down from it,
//! reading the preimages of nodes it hashed itself (docs/design.md#rule-8) and never reading a
//! `z_h`, whose children it knows. Index bits are taken from bit 31 (at the root) down to bit 0
//! (above the leaf); bit 0 of a node's index picks the right child.

use core::fmt;

use crate::env::{Buf, Env, pair_preimage};

/// Height of the tree: `2^DEPTH` leaves.
pub const DEPTH: usize = 32;

/// Inner-node tag of the outbox.
pub const OUTBOX_TAG: u8 = 0x31;

/// A Merkle proof: the siblings of the path from a leaf to the root, bottom-up
/// (`siblings[h]` is the sibling of the path's node at height `h`).
pub type Proof = [[u8; 32]; DEPTH];

/// Why an append-tree operation could not complete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppendTreeError {
    /// The tree already holds `2^32` leaves.
    Full,
    /// The preimage of `node` is not `tag ‖ left ‖ right`. Cannot happen for roots the STF
    /// made; reported instead of a panic so the STF stays total.
    Corrupt {
        /// The hash whose preimage is malformed.
        node: [u8; 32],
    },
}

impl fmt::Display for AppendTreeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AppendTreeError::Full => f.write_str("append tree full (2^32 leaves)"),
            AppendTreeError::Corrupt { node } => {
                f.write_str("corrupt append-tree node 0x")?;
                node.iter().try_for_each(|b| write!(f, "{b:02x}"))
            }
        }
    }
}

impl core::error::Error for AppendTreeError {}

/// `keccak(tag ‖ left ‖ right)` through any keccak.
fn node_hash(
    keccak: &mut impl FnMut(&[u8]) -> [u8; 32],
    tag: u8,
    left: &[u8; 32],
    right: &[u8; 32],
) -> [u8; 32] {
    keccak(&pair_preimage(tag, left, right).bytes()[..65])
}

/// The root of the depth-32 tree whose leaf `index` is `leaf` and whose path siblings are
/// `siblings` (bottom-up): what the L1 Outbox computes to check a withdrawal proof. Pure: pass
/// any keccak256, e.g. `|d| env.keccak(d)`.
pub fn root_from_proof(
    mut keccak: impl FnMut(&[u8]) -> [u8; 32],
    tag: u8,
    index: u32,
    leaf: &[u8; 32],
    siblings: &Proof,
) -> [u8; 32] {
    let mut node = *leaf;
    for (h, sibling) in siblings.iter().enumerate() {
        node = if (index >> h) & 1 == 1 {
            node_hash(&mut keccak, tag, sibling, &node)
        } else {
            node_hash(&mut keccak, tag, &node, sibling)
        };
    }
    node
}

/// An append tree's configuration with its zero-subtree hashes, computed once per use (each
/// costs a keccak).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppendTree {
    tag: u8,
    /// `zeros[h] = z_h`.
    zeros: [[u8; 32]; DEPTH + 1],
}

impl AppendTree {
    /// The tree with inner tag `tag`; computes `z_1 ..= z_32` (32 keccaks).
    pub fn new<E: Env + ?Sized>(env: &mut E, tag: u8) -> Self {
        let mut zeros = [[0u8; 32]; DEPTH + 1];
        for h in 0..DEPTH {
            zeros[h + 1] = node_hash(&mut |d| env.keccak(d), tag, &zeros[h], &zeros[h]);
        }
        Self { tag, zeros }
    }

    /// The outbox tree (tag `0x31`).
    pub fn outbox<E: Env + ?Sized>(env: &mut E) -> Self {
        Self::new(env, OUTBOX_TAG)
    }

    /// The inner-node tag.
    pub fn tag(&self) -> u8 {
        self.tag
    }

    /// `z_height`, the hash of an all-zero subtree (`height ≤ 32`).
    pub fn zero(&self, height: usize) -> [u8; 32] {
        self.zeros[height]
    }

    /// The root of the tree with no leaves, `z_32`.
    pub fn empty_root(&self) -> [u8; 32] {
        self.zeros[DEPTH]
    }

    /// The children of `node`, the node at `height ≥ 1`: those of `z_height` are known, any
    /// other node is read back (one preimage read).
    fn children<E: Env + ?Sized>(
        &self,
        env: &mut E,
        node: &[u8; 32],
        height: usize,
    ) -> Result<([u8; 32], [u8; 32]), AppendTreeError> {
        if *node == self.zeros[height] {
            return Ok((self.zeros[height - 1], self.zeros[height - 1]));
        }
        let mut words = Buf::<3>::new();
        let len = env.preimage(node, &mut words.0);
        let buf = words.bytes();
        if len != 65 || buf[0] != self.tag {
            return Err(AppendTreeError::Corrupt { node: *node });
        }
        let mut left = [0u8; 32];
        let mut right = [0u8; 32];
        left.copy_from_slice(&buf[1..33]);
        right.copy_from_slice(&buf[33..65]);
        Ok((left, right))
    }

    /// Walks from `root` to leaf `index`: the leaf and its proof. At most 32 preimage reads,
    /// fewer where the path enters an empty subtree.
    fn walk<E: Env + ?Sized>(
        &self,
        env: &mut E,
        root: &[u8; 32],
        index: u32,
    ) -> Result<([u8; 32], Proof), AppendTreeError> {
        let mut siblings = [[0u8; 32]; DEPTH];
        let mut node = *root;
        for h in (1..=DEPTH).rev() {
            let (left, right) = self.children(env, &node, h)?;
            // The child at height h-1 is chosen by index bit h-1.
            if (index >> (h - 1)) & 1 == 1 {
                siblings[h - 1] = left;
                node = right;
            } else {
                siblings[h - 1] = right;
                node = left;
            }
        }
        Ok((node, siblings))
    }

    /// The root after putting `leaf` at index `count`, the number of leaves so far (the
    /// caller keeps it). Fails with [`AppendTreeError::Full`] if `count ≥ 2^32`. Costs up to
    /// 32 preimage reads and exactly 32 keccaks.
    pub fn append<E: Env + ?Sized>(
        &self,
        env: &mut E,
        root: &[u8; 32],
        count: u64,
        leaf: &[u8; 32],
    ) -> Result<[u8; 32], AppendTreeError> {
        let index = u32::try_from(count).map_err(|_| AppendTreeError::Full)?;
        let (_, siblings) = self.walk(env, root, index)?;
        // Rehashing with env.keccak records every new node, so later walks can read them.
        Ok(root_from_proof(
            |d| env.keccak(d),
            self.tag,
            index,
            leaf,
            &siblings,
        ))
    }

    /// The leaf at `index` (zeros if absent).
    pub fn get<E: Env + ?Sized>(
        &self,
        env: &mut E,
        root: &[u8; 32],
        index: u32,
    ) -> Result<[u8; 32], AppendTreeError> {
        self.walk(env, root, index).map(|(leaf, _)| leaf)
    }

    /// The proof of leaf `index` against `root`, checked by [`root_from_proof`].
    pub fn proof<E: Env + ?Sized>(
        &self,
        env: &mut E,
        root: &[u8; 32],
        index: u32,
    ) -> Result<Proof, AppendTreeError> {
        self.walk(env, root, index).map(|(_, siblings)| siblings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{MemoryEnv, TestRng, test_scale};
    use alloc::vec;
    use alloc::vec::Vec;
    use alloy_primitives::keccak256;

    fn k(d: &[u8]) -> [u8; 32] {
        keccak256(d).0
    }

    /// The depth-32 root computed level by level over all leaves, with `z_h` for the missing
    /// right halves: a model independent of the walk.
    fn naive_root(tag: u8, leaves: &[[u8; 32]]) -> [u8; 32] {
        let mut zero = [0u8; 32];
        let mut level: Vec<[u8; 32]> = leaves.to_vec();
        for _ in 0..DEPTH {
            if level.len() % 2 == 1 {
                level.push(zero);
            }
            level = level
                .chunks(2)
                .map(|p| node_hash(&mut k, tag, &p[0], &p[1]))
                .collect();
            zero = node_hash(&mut k, tag, &zero, &zero);
        }
        // No leaves at all: the empty tree.
        level.first().copied().unwrap_or(zero)
    }

    #[test]
    fn zero_hashes_and_empty_root() {
        let mut env = MemoryEnv::new();
        let tree = AppendTree::outbox(&mut env);
        assert_eq!(env.keccaks, 32);
        let mut z = [0u8; 32];
        for h in 0..=DEPTH {
            assert_eq!(tree.zero(h), z, "z_{h}");
            let mut pre = vec![0x31];
            pre.extend_from_slice(&z);
            pre.extend_from_slice(&z);
            z = k(&pre);
        }
        assert_eq!(tree.empty_root(), naive_root(0x31, &[]));
        // Pinned: the Outbox contract and docs/spec/outbox.md quote this vector.
        assert_eq!(
            alloy_primitives::hex::encode(tree.empty_root()),
            "8bed07d479db91ab738637eb8512c1f407082437f561baa7ac136ed05d85f6ca"
        );
        let root = tree.empty_root();
        env.reset_counters();
        for index in [0, 1, 12345, u32::MAX] {
            assert_eq!(tree.get(&mut env, &root, index).unwrap(), [0; 32]);
        }
        assert_eq!(env.preimage_reads, 0, "an empty tree is never read");
    }

    #[test]
    fn append_get_and_prove_every_index() {
        let mut env = MemoryEnv::new();
        let tree = AppendTree::outbox(&mut env);
        let mut rng = TestRng::new(11);
        let n = 40 * test_scale();
        let mut leaves: Vec<[u8; 32]> = Vec::new();
        let mut root = tree.empty_root();
        for count in 0..n {
            let leaf = rng.bytes();
            root = tree.append(&mut env, &root, count, &leaf).unwrap();
            leaves.push(leaf);
            if count < 18 {
                assert_eq!(root, naive_root(0x31, &leaves), "{} leaves", count + 1);
            }
            // Every index, present or just past the end.
            for (i, want) in leaves.iter().chain([&[0u8; 32]]).enumerate() {
                let present = i < leaves.len();
                let i = i as u32;
                assert_eq!(tree.get(&mut env, &root, i).unwrap(), *want);
                let proof = tree.proof(&mut env, &root, i).unwrap();
                assert_eq!(root_from_proof(k, 0x31, i, want, &proof), root);
                if present {
                    // The proof binds the index and the leaf.
                    assert_ne!(root_from_proof(k, 0x31, i ^ 1, want, &proof), root);
                    assert_ne!(root_from_proof(k, 0x31, i, &[0xee; 32], &proof), root);
                }
            }
        }
        assert_eq!(root, naive_root(0x31, &leaves));
    }

    #[test]
    fn append_bounds() {
        let mut env = MemoryEnv::new();
        let tree = AppendTree::outbox(&mut env);
        let root = tree.empty_root();
        let leaf = [5u8; 32];
        assert_eq!(
            tree.append(&mut env, &root, 1 << 32, &leaf),
            Err(AppendTreeError::Full)
        );
        assert_eq!(
            tree.append(&mut env, &root, u64::MAX, &leaf),
            Err(AppendTreeError::Full)
        );
        // The last slot is usable.
        let last = u32::MAX;
        let root = tree.append(&mut env, &root, last.into(), &leaf).unwrap();
        assert_eq!(tree.get(&mut env, &root, last).unwrap(), leaf);
        assert_eq!(tree.get(&mut env, &root, 0).unwrap(), [0; 32]);
        let proof = tree.proof(&mut env, &root, last).unwrap();
        assert_eq!(
            root_from_proof(|d| env.keccak(d), 0x31, last, &leaf, &proof),
            root
        );
        // The tag is part of every node, so trees with other tags never share nodes.
        let other = AppendTree::new(&mut env, 0x32);
        assert_ne!(other.empty_root(), tree.empty_root());
    }

    #[test]
    fn append_reads_only_nonempty_nodes() {
        let mut env = MemoryEnv::new();
        let tree = AppendTree::outbox(&mut env);
        let mut root = tree.empty_root();
        for count in 0..300u64 {
            env.reset_counters();
            root = tree.append(&mut env, &root, count, &[1; 32]).unwrap();
            assert_eq!(env.keccaks, 32);
            // The node at height h on the path to `count` holds an earlier leaf iff
            // count mod 2^h ≠ 0, i.e. h > trailing_zeros(count); only those are read.
            let reads = 32 - u64::from(count.trailing_zeros().min(32));
            assert_eq!(env.preimage_reads, reads, "append at {count}");
        }
    }

    #[test]
    fn corrupt_preimages_are_errors_not_panics() {
        let mut env = MemoryEnv::new();
        let tree = AppendTree::outbox(&mut env);
        let z31 = tree.zero(31);
        let garbage = env.keccak(b"not a node");
        let mut bad = vec![
            (garbage, 0u32),
            ([0xff; 32], 0),               // never hashed: reads as empty
            (env.keccak(&[0x31; 64]), 0),  // one byte short
            (env.keccak(&[0x31; 66]), 0),  // one byte long
            (env.keccak(&[0x51; 65]), 0),  // a trie node
            (env.keccak(&[0x31; 256]), 0), // the longest preimage there is
        ];
        // A well-formed root whose left child is garbage: only the left half fails.
        let root = node_hash(&mut |d| env.keccak(d), 0x31, &garbage, &z31);
        bad.push((root, 0));
        for (root, index) in bad {
            let corrupt = |r| matches!(r, Err(AppendTreeError::Corrupt { .. }));
            assert!(corrupt(tree.get(&mut env, &root, index).map(|_| ())));
            assert!(corrupt(tree.proof(&mut env, &root, index).map(|_| ())));
            assert!(corrupt(
                tree.append(&mut env, &root, index.into(), &[1; 32])
                    .map(|_| ())
            ));
        }
        assert_eq!(tree.get(&mut env, &root, 1 << 31).unwrap(), [0; 32]);
    }
}
