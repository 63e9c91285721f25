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
//! [`Env::keccak`] (docs/design.md#rule-8), so one `get` or `set` costs O(depth) host calls.

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
    /// with room to spare (`NODE_WORDS` words, well inside the keccak bound of
    /// docs/design.md#rule-9); panics (at compile time when used in a `const`) if the tags are
    /// equal, since the first byte is what tells a leaf from an inner node.
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
mod tests;
