//! The compact binary Merkle trie: the account state (docs/spec/state.md), generic over the
//! key and value lengths so other keyed state can reuse it.
//!
//! Keys are read as bits, the most significant bit of byte 0 first. The hash of a subtree
//! holding the key set `S` below a prefix of length `d` is:
//! - `S` empty: [`EMPTY`] (32 zero bytes);
//! - `S = {k}`: the leaf `keccak(leafTag ‖ k ‖ value(k))`, whatever `d` is (compact: no chain
//!   of single-child nodes down to a lone key);
//! - `|S| ≥ 2`: the inner node `keccak(innerTag ‖ left ‖ right)` (65 bytes) of the subtrees
//!   of the keys whose bit `d` is 0 (left) and 1 (right).
//!
//! So an inner node exists exactly for every prefix shared by at least two keys, its depth is
//! the number of inner nodes above it, and the root depends only on the key/value set. The
//! STF reads nodes back only through [`Env::preimage`] of hashes it computed with
//! [`Env::keccak`] (rule 8), so one `get` or `set` costs O(depth) host calls.

use alloc::vec::Vec;
use core::fmt;

use crate::env::{Buf, Env, MAX_PREIMAGE, Word, keccak_pair};

/// The hash of an empty trie or subtree.
pub const EMPTY: [u8; 32] = [0; 32];

/// Leaf tag of the account trie.
pub const ACCOUNT_LEAF_TAG: u8 = 0x50;
/// Inner-node tag of the account trie.
pub const ACCOUNT_INNER_TAG: u8 = 0x51;

/// The account trie: key = the 20-byte address, value = balance (u128 BE) ‖ nonce (u64 BE).
pub type AccountTrie = Trie<20, 24>;

/// The account trie's configuration (tags `0x50` / `0x51`).
pub const ACCOUNTS: AccountTrie = Trie::new(ACCOUNT_LEAF_TAG, ACCOUNT_INNER_TAG);

/// Why a trie operation could not complete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrieError {
    /// The preimage of `node` is neither a leaf nor an inner node of this trie, or the node
    /// sits where no trie the STF built can have it. Cannot happen for roots the STF made; it
    /// is reported instead of a panic so the STF stays total.
    Corrupt {
        /// The hash whose preimage is malformed or misplaced.
        node: [u8; 32],
    },
}

impl fmt::Display for TrieError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrieError::Corrupt { node } => {
                f.write_str("corrupt trie node 0x")?;
                node.iter().try_for_each(|b| write!(f, "{b:02x}"))
            }
        }
    }
}

impl core::error::Error for TrieError {}

/// Bytes of an inner-node preimage: tag ‖ left ‖ right.
const INNER_LEN: usize = 65;
/// Words of the buffer a node is built and read in: both node kinds fit with room to spare,
/// so a longer preimage reads as the wrong length (`Trie::new` checks leaves fit).
const NODE_WORDS: usize = 3;

/// A trie configuration: `K`-byte keys, `V`-byte values and the two domain tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trie<const K: usize, const V: usize> {
    leaf_tag: u8,
    inner_tag: u8,
}

/// Bit `i` of `key`, most significant bit of byte 0 first.
fn bit(key: &[u8], i: usize) -> bool {
    (key[i / 8] >> (7 - i % 8)) & 1 == 1
}

/// The index of the first bit where `a` and `b` differ, if any.
fn first_diff_bit(a: &[u8], b: &[u8]) -> Option<usize> {
    a.iter()
        .zip(b)
        .position(|(x, y)| x != y)
        .map(|i| i * 8 + (a[i] ^ b[i]).leading_zeros() as usize)
}

impl<const K: usize, const V: usize> Trie<K, V> {
    /// Bytes of a leaf preimage: tag ‖ key ‖ value.
    const LEAF_LEN: usize = 1 + K + V;
    /// Key bits, hence the most inner nodes on a path.
    const BITS: usize = 8 * K;

    /// A trie with the given tags. Fails to compile if a leaf would not fit the node buffer
    /// with room to spare (`NODE_WORDS` words, well inside rule 9's keccak bound); panics (at compile time when used in a `const`) if the tags are equal, since
    /// the first byte is what tells a leaf from an inner node.
    pub const fn new(leaf_tag: u8, inner_tag: u8) -> Self {
        const {
            assert!(
                K > 0 && 1 + K + V < 32 * NODE_WORDS && 32 * NODE_WORDS <= MAX_PREIMAGE,
                "trie leaf does not fit the node buffer"
            )
        };
        assert!(leaf_tag != inner_tag, "trie tags must differ");
        Self {
            leaf_tag,
            inner_tag,
        }
    }

    /// `keccak(leafTag ‖ key ‖ value)`, recorded by the host.
    pub fn leaf_hash<E: Env + ?Sized>(
        &self,
        env: &mut E,
        key: &[u8; K],
        value: &[u8; V],
    ) -> [u8; 32] {
        // Written once, not zeroed first (see `env::pair_preimage`).
        let mut words = core::mem::MaybeUninit::<Buf<NODE_WORDS>>::uninit();
        let p = words.as_mut_ptr().cast::<u8>();
        // SAFETY: all `32 × NODE_WORDS` bytes are written before the buffer is read
        // (`LEAF_LEN < 32 × NODE_WORDS`, checked in `new`); the sources do not overlap it.
        let words = unsafe {
            p.write(self.leaf_tag);
            core::ptr::copy_nonoverlapping(key.as_ptr(), p.add(1), K);
            core::ptr::copy_nonoverlapping(value.as_ptr(), p.add(1 + K), V);
            core::ptr::write_bytes(p.add(Self::LEAF_LEN), 0, 32 * NODE_WORDS - Self::LEAF_LEN);
            words.assume_init()
        };
        env.keccak(&words.bytes()[..Self::LEAF_LEN])
    }

    /// `keccak(innerTag ‖ left ‖ right)`, recorded by the host.
    pub fn inner_hash<E: Env + ?Sized>(
        &self,
        env: &mut E,
        left: &[u8; 32],
        right: &[u8; 32],
    ) -> [u8; 32] {
        keccak_pair(env, self.inner_tag, left, right)
    }

    /// The root of the trie holding exactly `entries`, built bottom-up from the definition
    /// (module docs): one keccak per node, none for nodes a key-by-key build would discard.
    /// For genesis states and benchmarks with many accounts; the STF itself only uses
    /// [`Trie::set`]. `entries` must be sorted by key with no key twice (panics otherwise).
    pub fn build<E: Env + ?Sized>(&self, env: &mut E, entries: &[([u8; K], [u8; V])]) -> [u8; 32] {
        assert!(
            entries.windows(2).all(|w| w[0].0 < w[1].0),
            "trie entries must be sorted with unique keys"
        );
        self.build_below(env, entries, 0)
    }

    fn build_below<E: Env + ?Sized>(
        &self,
        env: &mut E,
        entries: &[([u8; K], [u8; V])],
        depth: usize,
    ) -> [u8; 32] {
        match entries {
            [] => EMPTY,
            [(k, v)] => self.leaf_hash(env, k, v),
            _ => {
                // Sorted keys with a common prefix of `depth` bits: bit `depth` splits them.
                let split = entries.partition_point(|(k, _)| !bit(k, depth));
                let left = self.build_below(env, &entries[..split], depth + 1);
                let right = self.build_below(env, &entries[split..], depth + 1);
                self.inner_hash(env, &left, &right)
            }
        }
    }

    /// Reads the node `hash` (not [`EMPTY`]) into `words` (one preimage read) and says which
    /// kind it is; [`leaf_of`] and [`children_of`] view its parts in place. The guest pays a
    /// step per 8 bytes copied, so a node is not copied out of the buffer it was read into.
    /// `words` is scratch, reused along a path so it is zeroed once per walk, not per node.
    fn read<E: Env + ?Sized>(
        &self,
        env: &mut E,
        hash: &[u8; 32],
        words: &mut Buf<NODE_WORDS>,
    ) -> Result<Kind, TrieError> {
        // Room for the larger node kind and one word more, so a longer preimage reads as a
        // wrong length.
        let len = env.preimage(hash, &mut words.0);
        let tag = words.0[0].0[0];
        // The tag and the exact length must agree, so a preimage from another structure (or
        // garbage) is never read as a node of this one.
        if len == Self::LEAF_LEN && tag == self.leaf_tag {
            Ok(Kind::Leaf)
        } else if len == INNER_LEN && tag == self.inner_tag {
            Ok(Kind::Inner)
        } else {
            Err(TrieError::Corrupt { node: *hash })
        }
    }

    /// The value stored under `key` in the trie `root`, or `None`. Reads one preimage per
    /// node on the path (at most `8K + 1`).
    pub fn get<E: Env + ?Sized>(
        &self,
        env: &mut E,
        root: &[u8; 32],
        key: &[u8; K],
    ) -> Result<Option<[u8; V]>, TrieError> {
        let mut node = *root;
        let mut depth = 0;
        let mut words = Buf::new();
        loop {
            if node == EMPTY {
                return Ok(None);
            }
            match self.read(env, &node, &mut words)? {
                Kind::Leaf => {
                    let (k, v) = leaf_of::<K, V>(&words);
                    return Ok((k == key).then_some(*v));
                }
                Kind::Inner => {
                    // An inner node below the last key bit has nothing to branch on; bounding
                    // the depth also bounds the loop whatever the preimages say.
                    if depth == Self::BITS {
                        return Err(TrieError::Corrupt { node });
                    }
                    let (left, right) = children_of(&words);
                    node = if bit(key, depth) { *right } else { *left };
                    depth += 1;
                }
            }
        }
    }

    /// The root of the trie `root` with `key` set to `value` (inserted or updated). Reads
    /// the nodes on the key's path once and hashes only the nodes that change.
    pub fn set<E: Env + ?Sized>(
        &self,
        env: &mut E,
        root: &[u8; 32],
        key: &[u8; K],
        value: &[u8; V],
    ) -> Result<[u8; 32], TrieError> {
        let (_, path) = self.locate(env, root, key)?;
        self.set_at(env, &path, value)
    }

    /// The value under `key` (like [`Trie::get`]) and the key's path in `root`, from which
    /// [`Trie::set_at`] writes the key without reading the path again: a read-then-write
    /// (an account debited) walks the trie once.
    pub fn locate<E: Env + ?Sized>(
        &self,
        env: &mut E,
        root: &[u8; 32],
        key: &[u8; K],
    ) -> Result<(Option<[u8; V]>, Path<K, V>), TrieError> {
        // siblings[d]: the child of the inner node at depth d that the path does not take.
        // Sized for the deepest path up front: growing it would copy it. Kept in locals until
        // the end, where the path is assembled once (the guest pays for every move).
        let mut siblings: Vec<[u8; 32]> = Vec::with_capacity(Self::BITS);
        // A word, so the guest hands the hash to the host where it lies.
        let mut node_word = Word(*root);
        let node = &mut node_word.0;
        let mut words = Buf::new();
        let mut end = End::Empty;
        let mut found = None;
        while *node != EMPTY {
            if let Kind::Leaf = self.read(env, node, &mut words)? {
                let (k, v) = leaf_of::<K, V>(&words);
                if k == key {
                    found = Some(*v);
                }
                end = End::Leaf {
                    node: *node,
                    key: *k,
                    value: *v,
                };
                break;
            }
            let depth = siblings.len();
            if depth == Self::BITS {
                return Err(TrieError::Corrupt { node: *node });
            }
            let b = words.bytes();
            let (take, other) = if bit(key, depth) { (33, 1) } else { (1, 33) };
            siblings.push(b[other..other + 32].try_into().expect("32 bytes"));
            node.copy_from_slice(&b[take..take + 32]);
        }
        let path = Path {
            root: *root,
            key: *key,
            siblings,
            end,
        };
        Ok((found, path))
    }

    /// The root of `path.root` with `path.key` set to `value`: the second half of
    /// [`Trie::set`], valid only on the trie the path was located in (`path.root`).
    pub fn set_at<E: Env + ?Sized>(
        &self,
        env: &mut E,
        path: &Path<K, V>,
        value: &[u8; V],
    ) -> Result<[u8; 32], TrieError> {
        let key = &path.key;
        let mut subtree = match &path.end {
            // An empty slot: the key is alone in this subtree, so it is its leaf.
            End::Empty => self.leaf_hash(env, key, value),
            End::Leaf {
                key: k, value: v, ..
            } if k == key => {
                if v == value {
                    // Nothing changes; spare the rehash of the whole path.
                    return Ok(path.root);
                }
                self.leaf_hash(env, key, value)
            }
            End::Leaf { node, key: k, .. } => {
                let depth = path.siblings.len();
                // `k != key`, so they differ somewhere; a leaf off the key's path (a
                // difference above this depth) cannot be in a trie the STF built.
                let split = match first_diff_bit(k, key) {
                    Some(split) if split >= depth => split,
                    _ => return Err(TrieError::Corrupt { node: *node }),
                };
                // Both leaves hang from the inner node at the first differing bit...
                let new_leaf = self.leaf_hash(env, key, value);
                let mut sub = if bit(key, split) {
                    self.inner_hash(env, node, &new_leaf)
                } else {
                    self.inner_hash(env, &new_leaf, node)
                };
                // ...under one inner node per shared prefix bit from this depth on, each
                // with an empty other side.
                for d in (depth..split).rev() {
                    sub = if bit(key, d) {
                        self.inner_hash(env, &EMPTY, &sub)
                    } else {
                        self.inner_hash(env, &sub, &EMPTY)
                    };
                }
                sub
            }
        };
        // Rehash the path back up to the root.
        for (d, sibling) in path.siblings.iter().enumerate().rev() {
            subtree = if bit(key, d) {
                self.inner_hash(env, sibling, &subtree)
            } else {
                self.inner_hash(env, &subtree, sibling)
            };
        }
        Ok(subtree)
    }
}

/// A key's path in one trie ([`Trie::locate`]): what [`Trie::set_at`] needs to write it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Path<const K: usize, const V: usize> {
    /// The trie it was located in.
    pub root: [u8; 32],
    /// The key.
    pub key: [u8; K],
    /// The siblings of the inner nodes on the path, top down.
    siblings: Vec<[u8; 32]>,
    /// Where the path ends.
    end: End<K, V>,
}

/// Where a key's path ends.
#[derive(Debug, Clone, PartialEq, Eq)]
enum End<const K: usize, const V: usize> {
    /// At an empty subtree.
    Empty,
    /// At a leaf (the key's own, or another key's sharing the prefix).
    Leaf {
        node: [u8; 32],
        key: [u8; K],
        value: [u8; V],
    },
}

/// A node's kind, its bytes left in the read buffer.
enum Kind {
    Leaf,
    Inner,
}

/// The key and value of a leaf read into `words` (`tag ‖ key ‖ value`).
fn leaf_of<const K: usize, const V: usize>(words: &Buf<NODE_WORDS>) -> (&[u8; K], &[u8; V]) {
    let b = words.bytes();
    let key = b[1..1 + K].try_into().expect("K bytes");
    let value = b[1 + K..1 + K + V].try_into().expect("V bytes");
    (key, value)
}

/// The children of an inner node read into `words` (`tag ‖ left ‖ right`).
fn children_of(words: &Buf<NODE_WORDS>) -> (&[u8; 32], &[u8; 32]) {
    let b = words.bytes();
    let left = b[1..33].try_into().expect("32 bytes");
    let right = b[33..65].try_into().expect("32 bytes");
    (left, right)
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use crate::testing::{MemoryEnv, TestRng, test_scale};
    use alloc::collections::BTreeMap;
    use alloc::vec;
    use alloy_primitives::keccak256;

    /// The root straight from the definition (module docs), over the whole set at once: an
    /// independent model of the shape that `set` builds incrementally.
    fn reference_root<const K: usize, const V: usize>(
        trie: &Trie<K, V>,
        env: &mut MemoryEnv,
        set: &[([u8; K], [u8; V])],
        depth: usize,
    ) -> [u8; 32] {
        match set {
            [] => EMPTY,
            [(k, v)] => trie.leaf_hash(env, k, v),
            _ => {
                let (l, r): (Vec<_>, Vec<_>) = set.iter().partition(|(k, _)| !bit(k, depth));
                let left = reference_root(trie, env, &l, depth + 1);
                let right = reference_root(trie, env, &r, depth + 1);
                trie.inner_hash(env, &left, &right)
            }
        }
    }

    /// Random inserts and updates against a BTreeMap model on a trie with `K`-byte keys whose
    /// bytes are drawn from `alphabet` values (a small alphabet forces long shared prefixes).
    fn model_check<const K: usize, const V: usize>(seed: u64, cases: u64, alphabet: u64) {
        let trie = Trie::<K, V>::new(0x50, 0x51);
        let mut rng = TestRng::new(seed);
        for case in 0..cases {
            let mut env = MemoryEnv::new();
            let mut model: BTreeMap<[u8; K], [u8; V]> = BTreeMap::new();
            let mut root = EMPTY;
            let ops = 1 + rng.below(120);
            for _ in 0..ops {
                let key = if !model.is_empty() && rng.below(3) == 0 {
                    // Update an existing key.
                    *model
                        .keys()
                        .nth(rng.below(model.len() as u64) as usize)
                        .unwrap()
                } else {
                    core::array::from_fn(|_| rng.below(alphabet) as u8)
                };
                let value: [u8; V] = rng.bytes();
                root = trie.set(&mut env, &root, &key, &value).unwrap();
                model.insert(key, value);
                assert_eq!(trie.get(&mut env, &root, &key).unwrap(), Some(value));
            }
            for (k, v) in &model {
                assert_eq!(
                    trie.get(&mut env, &root, k).unwrap(),
                    Some(*v),
                    "case {case}"
                );
            }
            for _ in 0..20 {
                let key: [u8; K] = core::array::from_fn(|_| rng.below(alphabet) as u8);
                assert_eq!(
                    trie.get(&mut env, &root, &key).unwrap(),
                    model.get(&key).copied()
                );
                // `locate` reads the same value, and writing on its path is `set`.
                let (found, path) = trie.locate(&mut env, &root, &key).unwrap();
                assert_eq!(found, model.get(&key).copied());
                let value: [u8; V] = rng.bytes();
                assert_eq!(
                    trie.set_at(&mut env, &path, &value).unwrap(),
                    trie.set(&mut env, &root, &key, &value).unwrap()
                );
            }
            let set: Vec<_> = model.into_iter().collect();
            assert_eq!(
                root,
                reference_root(&trie, &mut env, &set, 0),
                "case {case}"
            );
        }
    }

    #[test]
    fn random_ops_agree_with_model() {
        let scale = test_scale();
        model_check::<20, 24>(1, 20 * scale, 256);
        // Two-byte keys over a 4-value alphabet: deep shared prefixes, splits at the last bit.
        model_check::<2, 3>(2, 40 * scale, 4);
        model_check::<1, 1>(3, 40 * scale, 256);
    }

    #[test]
    fn root_is_independent_of_insertion_order() {
        let mut rng = TestRng::new(7);
        for _ in 0..5 * test_scale() {
            let n = 1 + rng.below(200) as usize;
            let mut pairs: Vec<([u8; 20], [u8; 24])> = (0..n)
                .map(|_| {
                    let mut key: [u8; 20] = rng.bytes();
                    // Some keys share long prefixes.
                    if rng.below(2) == 0 {
                        key[..10].fill(0xab);
                    }
                    (key, rng.bytes())
                })
                .collect();
            pairs.sort();
            pairs.dedup_by_key(|p| p.0);
            let mut env = MemoryEnv::new();
            let insert_all = |env: &mut MemoryEnv, pairs: &[([u8; 20], [u8; 24])]| {
                pairs.iter().fold(EMPTY, |root, (k, v)| {
                    ACCOUNTS.set(env, &root, k, v).unwrap()
                })
            };
            let forward = insert_all(&mut env, &pairs);
            pairs.reverse();
            let backward = insert_all(&mut env, &pairs);
            // A shuffle, and values first written wrong then corrected (updates).
            for i in (1..pairs.len()).rev() {
                pairs.swap(i, rng.below(i as u64 + 1) as usize);
            }
            let mut root = EMPTY;
            for (k, _) in &pairs {
                root = ACCOUNTS.set(&mut env, &root, k, &[0xee; 24]).unwrap();
            }
            for (k, v) in &pairs {
                root = ACCOUNTS.set(&mut env, &root, k, v).unwrap();
            }
            assert_eq!(forward, backward);
            assert_eq!(forward, root);
            pairs.sort();
            assert_eq!(
                ACCOUNTS.build(&mut env, &pairs),
                root,
                "bulk build = key by key"
            );
        }
    }

    fn leaf_preimage(key: &[u8; 20], value: &[u8; 24]) -> Vec<u8> {
        let mut p = vec![0x50];
        p.extend_from_slice(key);
        p.extend_from_slice(value);
        assert_eq!(p.len(), 45);
        p
    }

    fn inner(left: &[u8; 32], right: &[u8; 32]) -> [u8; 32] {
        let mut p = vec![0x51];
        p.extend_from_slice(left);
        p.extend_from_slice(right);
        assert_eq!(p.len(), 65);
        keccak256(&p).0
    }

    #[test]
    fn hand_computed_roots() {
        let mut env = MemoryEnv::new();
        let (va, vb) = ([1u8; 24], [2u8; 24]);

        // Two keys differing at bit 0: one inner node over the two leaves.
        let (a, b) = ([0x00; 20], [0x80; 20]);
        let (la, lb) = (
            keccak256(leaf_preimage(&a, &va)).0,
            keccak256(leaf_preimage(&b, &vb)).0,
        );
        let root = ACCOUNTS.set(&mut env, &EMPTY, &b, &vb).unwrap();
        assert_eq!(root, lb, "a lone key is its leaf, at the root");
        let root = ACCOUNTS.set(&mut env, &root, &a, &va).unwrap();
        assert_eq!(root, inner(&la, &lb));

        // Two keys sharing the 3 bits 101, differing at bit 3 (0xa0 = 1010.., 0xb0 = 1011..):
        // root = I(0, I(I(0, I(La, Lb)), 0)).
        let (mut a, mut b) = ([0x11; 20], [0x11; 20]);
        (a[0], b[0]) = (0xa0, 0xb0);
        let (la, lb) = (
            keccak256(leaf_preimage(&a, &va)).0,
            keccak256(leaf_preimage(&b, &vb)).0,
        );
        let expected = inner(&EMPTY, &inner(&inner(&EMPTY, &inner(&la, &lb)), &EMPTY));
        let root = ACCOUNTS.set(&mut env, &EMPTY, &a, &va).unwrap();
        let root = ACCOUNTS.set(&mut env, &root, &b, &vb).unwrap();
        assert_eq!(root, expected);
        assert_eq!(ACCOUNTS.get(&mut env, &root, &a).unwrap(), Some(va));
        assert_eq!(ACCOUNTS.get(&mut env, &root, &b).unwrap(), Some(vb));
        // Same first bits as `a` down to the split, but a different tail: absent.
        let mut c = a;
        c[19] = 0;
        assert_eq!(ACCOUNTS.get(&mut env, &root, &c).unwrap(), None);
        // A key off the shared prefix stops at an empty child.
        assert_eq!(ACCOUNTS.get(&mut env, &root, &[0u8; 20]).unwrap(), None);
        // Rewriting a value to itself leaves the root as is.
        assert_eq!(ACCOUNTS.set(&mut env, &root, &a, &va).unwrap(), root);
        assert_ne!(ACCOUNTS.set(&mut env, &root, &a, &vb).unwrap(), root);
    }

    /// Builds a trie of `n` random accounts and returns (max, total) preimage reads of a
    /// `get` over all of them.
    fn reads_per_get(n: usize) -> (u64, u64) {
        let mut env = MemoryEnv::new();
        let mut rng = TestRng::new(n as u64);
        let keys: Vec<[u8; 20]> = (0..n).map(|_| rng.bytes()).collect();
        let mut root = EMPTY;
        for k in &keys {
            root = ACCOUNTS.set(&mut env, &root, k, &[7; 24]).unwrap();
        }
        let (mut max, mut total) = (0, 0);
        for k in &keys {
            env.reset_counters();
            assert_eq!(ACCOUNTS.get(&mut env, &root, k).unwrap(), Some([7; 24]));
            max = max.max(env.preimage_reads);
            total += env.preimage_reads;
        }
        (max, total)
    }

    #[test]
    fn get_reads_logarithmically_many_preimages() {
        let (max, total) = reads_per_get(1000);
        std::println!("1,000 keys: max {max} reads per get, {total} in all");
        // log2(1000) ≈ 10; a random trie's deepest leaf is about 2·log2(n).
        assert!(max <= 40, "max reads {max}");
        assert!(total <= 16 * 1000, "mean reads {}", total / 1000);
    }

    /// The same measurement at 100,000 keys (~12 s, ~290 MB). Not in CI: a deep run, started
    /// by hand with `cargo test -p fuse-arbos -- --ignored` (README, "Test suite").
    #[test]
    #[ignore = "deep run: cargo test -p fuse-arbos -- --ignored"]
    fn get_reads_at_100k_keys() {
        let (max, total) = reads_per_get(100_000);
        std::println!("100,000 keys: max {max} reads per get, {total} in all");
        assert!(max <= 60, "max reads {max}");
    }

    #[test]
    fn corrupt_preimages_are_errors_not_panics() {
        let mut env = MemoryEnv::new();
        let value = [1; 24];
        let good = ACCOUNTS.set(&mut env, &EMPTY, &[0x43; 20], &value).unwrap();
        let left = [0x42; 20]; // bit 0 is 0
        let right = [0xc2; 20]; // bit 0 is 1
        let mut bad: Vec<([u8; 32], Vec<[u8; 20]>)> = [
            env.keccak(b"garbage"),
            [0xff; 32], // a hash the host has never seen (reads as an empty preimage)
            env.keccak(&[0x50; 44]), // leaf tag, one byte short
            env.keccak(&[0x51; 66]), // inner tag, one byte long
            env.keccak(&[0x31; 65]), // an append-tree node
            env.keccak(&[0x52; 45]), // a leaf-sized preimage with another tag
            env.keccak(&[0x51; 256]), // the longest preimage there is
        ]
        .into_iter()
        .map(|root| (root, vec![left, right]))
        .collect();
        // An inner node with a garbage child: only the walk into that child fails.
        let garbage = env.keccak(&[9; 3]);
        bad.push((ACCOUNTS.inner_hash(&mut env, &garbage, &good), vec![left]));
        bad.push((ACCOUNTS.inner_hash(&mut env, &good, &garbage), vec![right]));
        for (root, keys) in &bad {
            for k in keys {
                let got = ACCOUNTS.get(&mut env, root, k);
                assert!(matches!(got, Err(TrieError::Corrupt { .. })), "{got:?}");
                let set = ACCOUNTS.set(&mut env, root, k, &value);
                assert!(matches!(set, Err(TrieError::Corrupt { .. })), "{set:?}");
            }
        }
        // A leaf hanging off its key's path (its key disagrees with the bit above it).
        let misplaced = ACCOUNTS.inner_hash(&mut env, &good, &EMPTY); // 0x43 = 0.. sits left: fine
        assert!(ACCOUNTS.set(&mut env, &misplaced, &left, &value).is_ok());
        let misplaced = ACCOUNTS.inner_hash(&mut env, &EMPTY, &good); // ...but not right
        let err = ACCOUNTS
            .set(&mut env, &misplaced, &right, &value)
            .unwrap_err();
        assert_eq!(err, TrieError::Corrupt { node: good });
        // A chain of inner nodes deeper than the key has bits.
        let small = Trie::<1, 1>::new(0x50, 0x51);
        let mut chain = small.leaf_hash(&mut env, &[0], &[0]);
        for _ in 0..9 {
            chain = small.inner_hash(&mut env, &chain, &EMPTY);
        }
        assert!(small.get(&mut env, &chain, &[0]).is_err());
        assert!(small.set(&mut env, &chain, &[0], &[1]).is_err());
    }
}
