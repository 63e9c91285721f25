//! An in-memory [`Env`] for tests and native tools: keccak through `alloy-primitives`, every
//! keccak input recorded as a preimage (as every real host must, docs/design.md#rule-8), and
//! counters so tests can check how many preimages an operation reads.
//!
//! Not a consensus host by itself: [`Env::ecrecover`] answers "recovery failed" (zeros) unless
//! the user plugs in a recovery function (the node plugs revm's precompile, tests alloy's
//! recovery). Compiled only for tests and with the `std` feature, never into the guest.
#![cfg(any(test, feature = "std"))]

extern crate std;

use alloc::vec::Vec;
use core::hash::{BuildHasherDefault, Hasher};
use std::collections::HashMap;

use crate::env::{Buf, Env, MAX_PREIMAGE, Word, fill_words};

/// An ecrecover implementation: precompile 0x01's input to its output.
pub type Recover = fn(&[u8; 128]) -> [u8; 32];

/// A host that keeps preimages in a map and the current inbox message in a buffer.
#[derive(Debug, Default, Clone)]
pub struct MemoryEnv {
    /// Every keccak input seen so far, by its hash. A hash map (lookups only, never iterated
    /// into anything hashed) keyed by the hash's own first bytes: the native STF's speed is
    /// mostly this store's.
    pub preimages: HashMap<[u8; 32], Vec<u8>, BuildHasherDefault<KeyHasher>>,
    /// The current inbox message, served by [`Env::inbox_chunk`].
    pub inbox: Vec<u8>,
    /// Calls to [`Env::keccak`].
    pub keccaks: u64,
    /// Calls to [`Env::preimage`]: whole-preimage reads, which is what "preimage reads"
    /// means in tests.
    pub preimage_reads: u64,
    /// 32-byte words fetched by [`Env::preimage`] (one host call each in the guest).
    pub chunk_reads: u64,
    /// What [`Env::ecrecover`] runs; `None` answers "recovery failed".
    pub ecrecover: Option<Recover>,
}

impl MemoryEnv {
    /// An empty host.
    pub fn new() -> Self {
        Self::default()
    }

    /// Zeroes the three counters (preimages stay).
    pub fn reset_counters(&mut self) {
        self.keccaks = 0;
        self.preimage_reads = 0;
        self.chunk_reads = 0;
    }
}

impl Env for MemoryEnv {
    /// Panics when `data` is longer than [`MAX_PREIMAGE`]: a real host rejects such a call
    /// (the guest errors), so a test that gets here has found a format that breaks the keccak
    /// bound (docs/design.md#rule-9).
    fn keccak(&mut self, data: &[u8]) -> [u8; 32] {
        assert!(
            data.len() <= MAX_PREIMAGE,
            "keccak input of {} bytes exceeds MAX_PREIMAGE",
            data.len()
        );
        self.keccaks += 1;
        let hash = alloy_primitives::keccak256(data).0;
        self.preimages.entry(hash).or_insert_with(|| data.to_vec());
        hash
    }

    /// An unknown hash reads as an empty preimage (a real host cannot be asked for one,
    /// docs/design.md#rule-8); callers see it as a malformed node.
    fn preimage(&mut self, hash: &[u8; 32], out: &mut [Word]) -> usize {
        self.preimage_reads += 1;
        let data = self.preimages.get(hash).map_or(&[][..], |v| &v[..]);
        let n = fill_words(data, out);
        self.chunk_reads += (n / 32 + 1).min(out.len()) as u64;
        n
    }

    fn inbox_word(&mut self, offset: u32, out: &mut Word) -> u32 {
        let rest = self.inbox.get(offset as usize..).unwrap_or_default();
        fill_words(rest, core::slice::from_mut(out)) as u32
    }

    /// The plugged-in recovery, or zeros ("recovery failed") without one.
    fn ecrecover(&mut self, input: &Buf<4>) -> [u8; 32] {
        let bytes: &[u8; 128] = input.bytes().try_into().expect("4 words");
        self.ecrecover.map_or([0; 32], |f| f(bytes))
    }
}

/// Hashes a keccak output by its first 8 bytes: they are already uniform, so hashing them
/// again would only cost time.
#[derive(Debug, Default, Clone, Copy)]
pub struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // An array key arrives as its length (`write_usize`) and then its bytes; fold in
        // whatever comes so any key type still works, fast for 32-byte hashes.
        for chunk in bytes.chunks(8) {
            let mut w = [0u8; 8];
            w[..chunk.len()].copy_from_slice(chunk);
            self.0 = self.0.rotate_left(5) ^ u64::from_le_bytes(w);
        }
    }

    fn write_usize(&mut self, _: usize) {}
}

/// The multiplier of randomized test case counts (`FUSE_TEST_SCALE`, default 1): one parser
/// for every crate, [`fuse_primitives::testing::scale`].
pub fn test_scale() -> u64 {
    fuse_primitives::testing::scale().into()
}

/// A small deterministic generator (splitmix64) for reproducible randomized tests.
#[derive(Debug, Clone)]
pub struct TestRng(u64);

impl TestRng {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`; the slight modulo bias does not matter for tests).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// Fills `out` with random bytes.
    pub fn fill(&mut self, out: &mut [u8]) {
        for chunk in out.chunks_mut(8) {
            let bytes = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }

    /// An array of random bytes.
    pub fn bytes<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        self.fill(&mut out);
        out
    }
}
