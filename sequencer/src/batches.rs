//! Batches: accepted transactions, in acceptance order, as `Batch` messages with consecutive
//! sequence numbers (docs/spec/inbox.md, "The header and the message kinds"; the `txRoot`
//! in docs/spec/tx.md). A batch is recorded durably before it is posted and never rebuilt,
//! so after a crash the poster sends the same bytes under the same number, and the Inbox's
//! sequence check makes a second landing impossible.

use std::collections::HashMap;

use fuse_arbos::batch::{self, BatchHeader, MAX_BATCH_TXS};
use fuse_arbos::message::MAX_MESSAGE_BYTES;
use fuse_arbos::tx::SignedTx;

use super::{Sequencer, SequencerError};
use crate::store::{BatchRecord, TxRecord, TxStatus};

/// How large a batch may grow.
#[derive(Clone, Copy, Debug)]
pub struct BatchCaps {
    /// Most transactions in one batch (at most `MAX_BATCH_TXS`); the message size cap
    /// (`MAX_MESSAGE_BYTES`) may stop it earlier.
    pub max_txs: usize,
}

impl Default for BatchCaps {
    fn default() -> Self {
        BatchCaps {
            max_txs: MAX_BATCH_TXS as usize,
        }
    }
}

impl Sequencer {
    /// Accepted transactions not in any batch yet.
    pub fn unbatched(&self) -> usize {
        self.pending
            .iter()
            .filter(|p| p.accepted >= self.batched_upto)
            .count()
    }

    /// The batch to post next: the oldest recorded one that is neither known to be posted
    /// nor seen on L1, else a new one over the accepted transactions not yet batched
    /// (flushed and recorded first), else `None`.
    pub fn batch_to_post(&mut self) -> Result<Option<(u64, BatchRecord)>, SequencerError> {
        // Everything recorded lands first (groups may be written outside the lock), so the
        // stored batches read below are current and the accepted transactions durable.
        self.flush()?;
        for (seq, rec) in self.store.batches_from(0)? {
            if rec.l1_tx.is_none() && rec.message.is_none() {
                return Ok(Some((seq, rec)));
            }
        }
        if self.recovering.is_some() {
            // After a reorg's rollback the soft state may skip transactions the re-read chain
            // will make valid again: no new batch until it is re-read.
            return Ok(None);
        }
        let txs: Vec<(u64, SignedTx, [u8; 32])> = self
            .pending
            .iter()
            .filter(|p| p.accepted >= self.batched_upto)
            .take(self.caps.max_txs.min(MAX_BATCH_TXS as usize))
            .map(|p| (p.accepted, p.tx.clone(), p.root_after))
            .collect();
        if txs.is_empty() {
            return Ok(None);
        }
        let seq = self.next_batch;
        let mut n = txs.len();
        let data = loop {
            let signed: Vec<SignedTx> = txs[..n].iter().map(|t| t.1.clone()).collect();
            let header = BatchHeader {
                seq,
                tx_root: batch::tx_root(&mut self.env, &signed),
                claimed_state_root: txs[n - 1].2,
            };
            let data = batch::encode_batch(&header, &signed);
            if data.len() <= MAX_MESSAGE_BYTES || n == 1 {
                break data;
            }
            // Signatures do not compress: shrink until the message fits.
            n = n * 3 / 4;
        };
        // The acceptance numbers it spans: a transaction dropped after acceptance leaves a gap
        // (its record says `REJECTED`, and `mark` leaves it so).
        let rec = BatchRecord {
            first: txs[0].0,
            count: txs[n - 1].0 + 1 - txs[0].0,
            data,
            l1_tx: None,
            message: None,
        };
        self.unsaved.batches.push((seq, rec.clone()));
        // The record is taken: if this write fails it stays on the commit line and goes with
        // the next group, so the numbering moves on either way (a failed flush must not make
        // the next call build the same number again over a record already posted).
        self.next_batch = seq + 1;
        self.batched_upto = rec.first + rec.count;
        self.flush()?;
        Ok(Some((seq, rec)))
    }

    /// The batches known to be posted whose inbox messages the follower has not seen yet,
    /// oldest first: those the Inbox does not hold either were reorged out.
    pub fn posted_unseen(&mut self) -> Result<Vec<u64>, SequencerError> {
        self.flush()?;
        Ok(self
            .store
            .batches_from(0)?
            .into_iter()
            .filter(|(_, b)| b.l1_tx.is_some() && b.message.is_none())
            .map(|(seq, _)| seq)
            .collect())
    }

    /// Batch `seq`'s L1 transaction is gone (a reorg): it is to be posted again, with the
    /// same bytes and number. Nothing changes if the follower has seen it meanwhile.
    pub fn batch_vanished(&mut self, seq: u64) -> Result<(), SequencerError> {
        self.flush()?;
        let Some(mut rec) = self.store.batch(seq)? else {
            return Err(SequencerError::Corrupt);
        };
        if rec.message.is_some() {
            return Ok(());
        }
        rec.l1_tx = None;
        self.unsaved.batches.push((seq, rec));
        self.flush()?;
        Ok(())
    }

    /// Batch `seq` was appended to L1 by transaction `l1_tx`: its transactions are `POSTED`.
    pub fn batch_posted(&mut self, seq: u64, l1_tx: [u8; 32]) -> Result<(), SequencerError> {
        // The follower may have recorded this batch's inbox index in a group not yet written:
        // land it before reading, or this record would overwrite it.
        self.flush()?;
        let Some(mut rec) = self.store.batch(seq)? else {
            return Err(SequencerError::Corrupt);
        };
        rec.l1_tx = Some(l1_tx);
        self.mark(&rec, TxStatus::Posted { batch: seq })?;
        self.unsaved.batches.push((seq, rec));
        self.flush()?;
        Ok(())
    }

    /// Sets the status of every transaction of `rec` but those already `REJECTED` (dropped
    /// after acceptance, or skipped by the chain) or `FORCED` (its forced copy ran): nothing
    /// later undoes either. Returns how many it set.
    pub(super) fn mark(
        &mut self,
        rec: &BatchRecord,
        status: TxStatus,
    ) -> Result<usize, SequencerError> {
        let unsaved = self.unsaved_index();
        let mut marked = Vec::new();
        let mut entered = 0;
        for (_, id) in self.store.accepted_range(rec.first, rec.count)? {
            if let Some(mut t) = self.latest_in(&unsaved, &id)?
                && !matches!(
                    t.status,
                    TxStatus::Rejected { .. }
                        | TxStatus::Forced { .. }
                        | TxStatus::ForcedRan { .. }
                )
            {
                // Counted on entering the status: the follower marks a batch `POSTED` again
                // when it sees it on L1.
                if std::mem::discriminant(&t.status) != std::mem::discriminant(&status) {
                    entered += 1;
                }
                t.status = status.clone();
                marked.push((id, t));
            }
        }
        let figure = match status {
            TxStatus::Posted { .. } => Some(crate::metrics::status::POSTED),
            TxStatus::Finalized { .. } => Some(crate::metrics::status::FINALIZED),
            _ => None,
        };
        if let Some(figure) = figure {
            crate::metrics::count(figure, entered);
        }
        let n = marked.len();
        self.unsaved.txs.extend(marked);
        Ok(n)
    }
}

impl Sequencer {
    /// The latest unsaved write of each id: it wins over the stored record, as it will on
    /// disk (a later write of the same id replaces an earlier one in the map).
    fn unsaved_index(&self) -> HashMap<[u8; 32], &TxRecord> {
        self.unsaved.txs.iter().map(|(k, t)| (*k, t)).collect()
    }

    /// A transaction's record as the next commit will leave it: its write in `unsaved`
    /// ([`Self::unsaved_index`]), else the stored one.
    fn latest_in(
        &self,
        unsaved: &HashMap<[u8; 32], &TxRecord>,
        id: &[u8; 32],
    ) -> Result<Option<TxRecord>, SequencerError> {
        match unsaved.get(id) {
            Some(t) => Ok(Some((*t).clone())),
            None => Ok(self.store.tx(id)?),
        }
    }

    /// One transaction's record as the next commit will leave it.
    pub(super) fn latest_record(&self, id: &[u8; 32]) -> Result<Option<TxRecord>, SequencerError> {
        self.latest_in(&self.unsaved_index(), id)
    }
}
