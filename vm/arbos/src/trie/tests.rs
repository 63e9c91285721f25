//! The trie against a model (a map and the definition computed over a whole set), hand-computed
//! roots, preimage reads per lookup, and corrupt preimages.
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
