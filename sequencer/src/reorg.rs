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

use std::collections::HashMap;
use std::hash::Hash;

use fuse_arbos::stf::GlobalState;

use super::{META_SCANNED, Sequencer, SequencerError, gs_from};
use crate::store::{Change, Changes, StoreError, Undo};

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

/// For each key written at `mark` or later (once, in first-write order): its value before —
/// the latest earlier unsaved write, else the stored one — and its last value since. Then
/// records the new writes in `written`.
fn befores<K: Copy + Eq + Hash, V: Clone>(
    entries: &[(K, V)],
    mark: usize,
    written: &mut HashMap<K, usize>,
    stored: impl Fn(&K) -> Result<Option<V>, StoreError>,
) -> Result<Vec<Change<K, V>>, StoreError> {
    let mut last: HashMap<K, usize> = HashMap::new();
    let mut order = Vec::new();
    for (i, (k, _)) in entries.iter().enumerate().skip(mark) {
        if last.insert(*k, i).is_none() {
            order.push(*k);
        }
    }
    let mut out = Vec::with_capacity(order.len());
    for k in order {
        let before = match written.get(&k) {
            Some(&i) => Some(entries[i].1.clone()),
            None => stored(&k)?,
        };
        out.push(Change {
            key: k,
            before,
            after: entries[last[&k]].1.clone(),
        });
    }
    written.extend(last);
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
            .map(|c| Change {
                key: c.key.to_string(),
                before: c.before,
                after: c.after,
            })
            .collect(),
        })
    }

    /// The L1 block of the last finalized message, if any is finalized: no reorg may reach
    /// below it.
    pub fn final_block(&self) -> Result<Option<u64>, SequencerError> {
        let Some((_, position)) = self.finalized()? else {
            return Ok(None);
        };
        let Some(last) = position.checked_sub(1) else {
            return Ok(None);
        };
        Ok(self.store.message(last)?.map(|m| m.l1_block))
    }

    /// The last L1 blocks the follower read up to, with their hashes then, lowest first.
    pub fn followed_blocks(&self) -> Result<Vec<(u64, [u8; 32])>, SequencerError> {
        Ok(self.store.followed()?)
    }

    /// Records that the follower read up to L1 block `block`, whose hash was `hash`;
    /// durable with the same group as the messages executed from it. Once that reaches the
    /// block read before a reorg's rollback, the soft state is rebuilt as usual again.
    pub fn record_followed(&mut self, block: u64, hash: [u8; 32]) -> Result<(), SequencerError> {
        self.record_scanned(block);
        self.unsaved.followed.push((block, hash));
        if self.recovering.is_some_and(|b| block >= b) {
            self.recovering = None;
            self.rebuild()?;
        }
        Ok(())
    }

    /// Whether the follower is re-reading the chain after a reorg's rollback (no new batch
    /// is built meanwhile).
    pub fn recovering(&self) -> bool {
        self.recovering.is_some()
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
        let read_up_to = self.l1_scanned()?;
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
        // when the new chain's messages run; those queued before stay known (one that ran
        // in a taken-back message and is queued again is found among the messages,
        // forced.rs).
        self.forced_at.retain(|_, &mut (_, queued)| queued < from);
        let kept = &self.forced_at;
        self.forced.retain(|id, _| kept.contains_key(id));
        if count > from {
            // Never followed (a test feeding messages by hand): until the follower's first
            // round.
            self.recovering = Some(self.recovering.unwrap_or(0).max(read_up_to.unwrap_or(0)));
        }
        self.load_pending()?;
        self.rebuild()?;
        self.flush()?;
        Ok(count - from)
    }
}
