//! The node's host for the native state transition ([`Env`]): preimages in memory (every
//! keccak input is kept, docs/design.md#rule-8) and, for the store's next commit, the ones
//! canonical execution produced that are not on disk yet — speculative (soft-state) execution's preimages stay in
//! memory only: the soft state is rebuilt from the canonical one after a restart, and
//! persisting its intermediate trie nodes was most of a group commit's write (docs/node.md,
//! "Preimages"), the current inbox message, and ecrecover through the same precompile code the EVM
//! runs (`fuse_vm::host::ecrecover`) behind a cache the sequencer fills at ingress — so a
//! transaction's signature is recovered once when it arrives, not again each time the soft
//! state is rebuilt.

use std::collections::{HashMap, HashSet};
use std::hash::BuildHasherDefault;

use fuse_arbos::env::{Buf, Env, MAX_PREIMAGE, Word, fill_words};
use fuse_arbos::testing::KeyHasher;

/// Recoveries kept before the cache starts over (a miss only costs a recovery).
const RECOVERY_CACHE: usize = 1 << 18;

type Map<V> = HashMap<[u8; 32], V, BuildHasherDefault<KeyHasher>>;

/// Preimages, the inbox message being executed, and the recovery cache.
#[derive(Default)]
pub struct NodeEnv {
    preimages: Map<Vec<u8>>,
    /// Hashes whose preimages the store has not persisted yet (from canonical execution).
    fresh: Vec<[u8; 32]>,
    /// Hashes first computed by speculative execution and not (yet) by canonical execution:
    /// in memory only. Lookups only.
    soft_only: HashSet<[u8; 32], BuildHasherDefault<KeyHasher>>,
    /// Whether the STF runs canonically now (an L1 message), so its preimages are persisted.
    pub canonical: bool,
    /// While a transaction is tried at ingress: the preimages it added, to drop again if it
    /// is refused (a refusal must leave nothing behind: docs/decisions.md).
    trial: Option<Vec<[u8; 32]>>,
    /// The message [`Env::inbox_word`] serves.
    pub inbox: Vec<u8>,
    recovered: HashMap<[u8; 128], [u8; 32]>,
}

impl NodeEnv {
    /// An empty host.
    pub fn new() -> NodeEnv {
        NodeEnv::default()
    }

    /// Loads a preimage read back from the store (not fresh: it is on disk already).
    pub fn insert_stored(&mut self, hash: [u8; 32], preimage: Vec<u8>) {
        self.preimages.insert(hash, preimage);
    }

    /// The preimages created since the last call, for the store to persist.
    pub fn take_fresh(&mut self) -> Vec<crate::Preimage> {
        std::mem::take(&mut self.fresh)
            .into_iter()
            .filter_map(|h| self.preimages.get(&h).map(|p| (h, p.clone())))
            .collect()
    }

    /// The preimage of `hash`, if known.
    pub fn get(&self, hash: &[u8; 32]) -> Option<&[u8]> {
        self.preimages.get(hash).map(|v| &v[..])
    }

    /// Starts recording the preimages speculative execution adds ([`NodeEnv::end_trial`]).
    pub fn begin_trial(&mut self) {
        self.trial = Some(Vec::new());
    }

    /// Stops recording; if `keep` is false, drops every preimage added since
    /// [`NodeEnv::begin_trial`] (a refused transaction's: nothing else has used them).
    pub fn end_trial(&mut self, keep: bool) {
        let Some(added) = self.trial.take() else {
            return;
        };
        if keep {
            return;
        }
        for hash in added {
            if self.soft_only.remove(&hash) {
                self.preimages.remove(&hash);
            }
        }
    }

    /// Preimages held in memory, and recoveries remembered.
    pub fn sizes(&self) -> (usize, usize) {
        (self.preimages.len(), self.recovered.len())
    }

    /// Forgets a recovery remembered for a transaction that was then refused.
    pub fn forget_recovery(&mut self, input: &[u8; 128]) {
        self.recovered.remove(input);
    }

    /// Remembers a recovery done elsewhere ([`recover_ahead`]).
    pub fn remember(&mut self, (input, output): Recovery) {
        if self.recovered.len() >= RECOVERY_CACHE {
            self.recovered.clear();
        }
        self.recovered.insert(input, output);
    }

    /// Precompile 0x01 on `input`, remembered for the next [`Env::ecrecover`] of the same
    /// input.
    pub fn recover_now(&mut self, input: &[u8; 128]) -> [u8; 32] {
        if let Some(out) = self.recovered.get(input) {
            return *out;
        }
        let out = fuse_vm::host::ecrecover(input);
        if self.recovered.len() >= RECOVERY_CACHE {
            self.recovered.clear();
        }
        self.recovered.insert(*input, out);
        out
    }
}

/// A recovery done ahead of the sequencer's lock: the precompile's input and output.
pub type Recovery = ([u8; 128], [u8; 32]);

/// Recovers the signer of a signed transaction (its encoding) for the chain whose EIP-712
/// domain separator is `separator`, the way the STF will — outside the sequencer's lock, so
/// ingress on two cores recovers in parallel. The sequencer's host then remembers the result
/// ([`NodeEnv::remember`]) and the STF finds it done. A transaction that does not decode, or a
/// wrong domain, only means the STF recovers itself: the cache holds true results only.
pub fn recover_ahead(encoding: &[u8], separator: &[u8; 32]) -> Option<Recovery> {
    let (tx, _) = fuse_arbos::tx::SignedTx::decode(encoding).ok()?;
    let mut env = NodeEnv::new();
    let digest = fuse_arbos::tx::digest(&mut env, separator, &tx)?;
    fuse_arbos::tx::recover_sender(&mut env, &digest, &tx);
    env.recovered.into_iter().next()
}

impl Env for NodeEnv {
    /// Inputs over [`MAX_PREIMAGE`] are a bug in the STF (docs/design.md#rule-9), never user
    /// input: the guest would error on them, so the node refuses to go on rather than diverge.
    fn keccak(&mut self, data: &[u8]) -> [u8; 32] {
        assert!(data.len() <= MAX_PREIMAGE, "keccak input over MAX_PREIMAGE");
        let hash = alloy_primitives::keccak256(data).0;
        match self.preimages.entry(hash) {
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(data.to_vec());
                if self.canonical {
                    self.fresh.push(hash);
                } else {
                    self.soft_only.insert(hash);
                    if let Some(added) = &mut self.trial {
                        added.push(hash);
                    }
                }
            }
            // Computed speculatively first, canonically now: it must reach the store.
            std::collections::hash_map::Entry::Occupied(_) => {
                if self.canonical && self.soft_only.remove(&hash) {
                    self.fresh.push(hash);
                }
            }
        }
        hash
    }

    fn preimage(&mut self, hash: &[u8; 32], out: &mut [Word]) -> usize {
        let data = self.preimages.get(hash).map_or(&[][..], |v| &v[..]);
        fill_words(data, out)
    }

    fn inbox_word(&mut self, offset: u32, out: &mut Word) -> u32 {
        let rest = self.inbox.get(offset as usize..).unwrap_or_default();
        fill_words(rest, core::slice::from_mut(out)) as u32
    }

    fn ecrecover(&mut self, input: &Buf<4>) -> [u8; 32] {
        let bytes: &[u8; 128] = input.bytes().try_into().expect("4 words");
        self.recover_now(bytes)
    }
}

#[cfg(test)]
mod tests {
    use alloy::signers::local::PrivateKeySigner;
    use alloy_primitives::B256;
    use fuse_arbos::tx::{self, Domain, KIND_TRANSFER};

    use super::{NodeEnv, recover_ahead};
    use crate::wallet::sign;

    #[test]
    fn a_recovery_done_ahead_is_the_one_the_stf_makes() {
        let key = PrivateKeySigner::from_bytes(&B256::repeat_byte(0x11)).unwrap();
        let domain = Domain {
            chain_id: 412_346,
            inbox: [0x22; 20],
        };
        let t = sign(&key, &domain, KIND_TRANSFER, [0x33; 20], 5, 0).unwrap();
        let separator = tx::domain_separator(&mut NodeEnv::new(), &domain);
        let (input, output) = recover_ahead(&t.encode(), &separator).expect("recovered");
        assert_eq!(&output[12..], key.address().as_slice());
        // The STF's own path through a host that remembered it gets the same sender without
        // recovering (an empty cache would recover; the entry is what it reads).
        let mut env = NodeEnv::new();
        env.remember((input, output));
        let digest = tx::digest(&mut env, &separator, &t).unwrap();
        assert_eq!(
            tx::recover_sender(&mut env, &digest, &t),
            Some(key.address().into())
        );
        assert_eq!(env.recovered.len(), 1, "no second entry: the input matched");
        // Garbage and a wrong domain recover nothing useful, and nothing wrong.
        assert!(recover_ahead(&[1, 2, 3], &separator).is_none());
        let (_, other) = recover_ahead(&t.encode(), &[0; 32]).unwrap();
        assert_ne!(&other[12..], key.address().as_slice());
    }
}
