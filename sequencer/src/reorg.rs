//! Surviving L1 reorgs on the canonical side (docs/node.md, "L1 reorgs").
//!
//! The follower executes messages only below a safe point, so a reorg shallower than the
//! confirmation depth never reaches the node. One that reaches deeper is detected by the
//! follower (the hash of the last block it followed changed, `fuse_l1::reorg`) and undone
//! here: every message from the first one in a replaced block on is taken back with the
//! records it overwrote (store/undo.rs), the canonical state is the one before it, and the
//! accepted transactions of batches that are no longer on L1 are pending again — the soft
//! state is rebuilt on the rolled-back canonical state. The follower then re-reads the new
//! chain from the fork and executes what is there; the poster sends again any batch the
//! Inbox no longer holds, under the same sequence number.

use std::collections::{HashMap, HashSet};
use std::hash::Hash;

use fuse_arbos::stf::GlobalState;

use super::{META_SCANNED, Sequencer, SequencerError, gs_from};
use crate::store::{Changes, StoreError, Undo};

/// How far each part of the unsaved changes reached before a message was executed.
pub(crate) struct UndoMark {
    txs: usize,
    batches: usize,
    withdrawals: usize,
    meta: usize,
}

/// Where the latest unsaved write of each key is, for the messages executed so far in one
/// call (the unsaved changes are flushed before it, so every earlier write is on disk).
#[derive(Default)]
pub(crate) struct Written {
    txs: HashMap<[u8; 32], usize>,
    batches: HashMap<u64, usize>,
    withdrawals: HashMap<[u8; 32], usize>,
    meta: HashMap<&'static str, usize>,
}

/// For each key written at `mark` or later (once, in first-write order), its value before:
/// the latest earlier unsaved write, else the stored one. Then records the new writes in
/// `written`.
fn befores<K: Copy + Eq + Hash, V: Clone>(
    entries: &[(K, V)],
    mark: usize,
    written: &mut HashMap<K, usize>,
    stored: impl Fn(&K) -> Result<Option<V>, StoreError>,
) -> Result<Vec<(K, Option<V>)>, StoreError> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for (k, _) in &entries[mark..] {
        if !seen.insert(*k) {
            continue;
        }
        let before = match written.get(k) {
            Some(&i) => Some(entries[i].1.clone()),
            None => stored(k)?,
        };
        out.push((*k, before));
    }
    for (i, (k, _)) in entries.iter().enumerate().skip(mark) {
        written.insert(*k, i);
    }
    Ok(out)
}

/// Why a reorg could not be undone.
#[derive(Debug, thiserror::Error)]
pub enum ReorgError {
    /// It replaced L1 blocks holding messages an assertion confirmed as final: the
    /// confirmation itself was on a replaced block, which no honest chain of this protocol
    /// should see. The node stops following rather than guess.
    #[error(
        "an L1 reorg from block {fork_block} replaced inbox message {message}, below the \
         finalized position {finalized}; refusing to undo finalized transactions"
    )]
    BelowFinalized {
        /// The first replaced block.
        fork_block: u64,
        /// The first message in it.
        message: u64,
        /// Messages below this are final.
        finalized: u64,
    },
    /// A message in the range has no undo record.
    #[error(transparent)]
    NoUndo(#[from] crate::store::NoUndo),
}

impl Sequencer {
    pub(crate) fn undo_mark(&self) -> UndoMark {
        UndoMark {
            txs: self.unsaved.txs.len(),
            batches: self.unsaved.batches.len(),
            withdrawals: self.unsaved.withdrawals.len(),
            meta: self.unsaved.meta.len(),
        }
    }

    /// What the message executed since `mark` overwrote, as it was before.
    pub(crate) fn undo_since(
        &self,
        mark: &UndoMark,
        written: &mut Written,
    ) -> Result<Undo, SequencerError> {
        let store = &self.store;
        Ok(Undo {
            txs: befores(&self.unsaved.txs, mark.txs, &mut written.txs, |id| {
                store.tx(id)
            })?,
            batches: befores(
                &self.unsaved.batches,
                mark.batches,
                &mut written.batches,
                |seq| store.batch(*seq),
            )?,
            withdrawals: befores(
                &self.unsaved.withdrawals,
                mark.withdrawals,
                &mut written.withdrawals,
                |id| store.withdrawal(id),
            )?,
            meta: befores(&self.unsaved.meta, mark.meta, &mut written.meta, |k| {
                store.meta(k)
            })?
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
        })
    }

    /// The last L1 blocks the follower read up to, with their hashes then, lowest first.
    pub fn followed_blocks(&self) -> Result<Vec<(u64, [u8; 32])>, SequencerError> {
        Ok(self.store.followed()?)
    }

    /// Records that the follower read up to L1 block `block`, whose hash was `hash`;
    /// durable with the same group as the messages executed from it.
    pub fn record_followed(&mut self, block: u64, hash: [u8; 32]) {
        self.record_scanned(block);
        self.unsaved.followed.push((block, hash));
    }

    /// Takes back every canonical message appended in L1 block `fork_block` or later (a
    /// reorg replaced those blocks) and rebuilds the soft state on the canonical state before
    /// them; the follower resumes reading at `fork_block`. Returns how many messages were
    /// taken back. Changes nothing if it fails.
    pub fn roll_back_to_block(&mut self, fork_block: u64) -> Result<u64, SequencerError> {
        // What is recorded lands first, so the undo records below are the whole story.
        self.flush()?;
        let from = self.store.first_message_from_block(fork_block)?;
        let count = self.store.message_count()?;
        if let Some((_, finalized)) = self.finalized()?
            && from < finalized
        {
            return Err(ReorgError::BelowFinalized {
                fork_block,
                message: from,
                finalized,
            }
            .into());
        }
        let mut after = Changes::default();
        // Block 0 is genesis, which never holds an Inbox message: "scanned up to 0" reads
        // from the start.
        after.meta.push((
            META_SCANNED,
            fork_block.saturating_sub(1).to_be_bytes().to_vec(),
        ));
        self.store
            .roll_back(from, fork_block, &after)?
            .map_err(ReorgError::from)?;
        self.canonical = match from {
            0 => GlobalState::default(),
            n => gs_from(&self.store.state(n)?.ok_or(SequencerError::Corrupt)?),
        };
        // Forced transactions queued by the taken-back messages are queued again (or not)
        // when the new chain's messages run; earlier ones are found in the store.
        self.forced.clear();
        self.forced_at.clear();
        self.load_pending()?;
        self.rebuild()?;
        self.flush()?;
        Ok(count - from)
    }
}
