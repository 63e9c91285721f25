//! Taking canonical messages back after an L1 reorg.
//!
//! Executing an inbox message overwrites records: its batch's transactions become `POSTED`
//! (or `REJECTED` by the chain), forced ones are recorded, withdrawals appear, the batch
//! learns its inbox index. For each message the store keeps what those records were before
//! ([`Undo`]), written in the same transaction as the message itself. A reorg that removed
//! messages is then undone exactly: newest message first, every record it overwrote is put
//! back (or deleted, if it did not exist), and the message and the state after it go. The
//! follower re-reads the new chain from the fork and executes what is there now.
//!
//! Undo records are dropped once their message is finalized (an assertion covering it is
//! confirmed): a reorg that deep would also have undone the confirmation, and the node
//! refuses it rather than guess. The last [`FOLLOWED_KEPT`] followed blocks' hashes are kept
//! to find the fork point.

use redb::{ReadableDatabase, ReadableTable, ReadableTableMetadata, WriteTransaction};
use serde::{Deserialize, Serialize};

use super::{
    BATCHES, BatchRecord, Changes, FOLLOWED, MESSAGES, META, STATES, Store, StoreError, TXS,
    TxRecord, UNDO, WITHDRAWALS, WithdrawalRecord, enc,
};

/// Followed blocks whose hashes are kept. A reorg deeper than this many follower rounds
/// re-reads the chain from the deployment block instead of from the fork.
pub const FOLLOWED_KEPT: u64 = 256;

/// One record a message's execution wrote: as it was before (`None`: there was none) and
/// as the message left it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change<K, V> {
    /// The record's key.
    pub key: K,
    /// Before the message.
    pub before: Option<V>,
    /// After it. A rollback restores `before` only while the record is still this: a later
    /// write (a transaction accepted again, say) is not the message's to undo.
    pub after: V,
}

/// The records one message's execution wrote, with what they were before.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Undo {
    /// Transaction records, by id.
    pub txs: Vec<Change<[u8; 32], TxRecord>>,
    /// Batch records, by sequence number.
    pub batches: Vec<Change<u64, BatchRecord>>,
    /// Withdrawal records, by tx id.
    pub withdrawals: Vec<Change<[u8; 32], WithdrawalRecord>>,
    /// Singletons, by name.
    pub meta: Vec<Change<String, Vec<u8>>>,
}

/// The undo and followed-block parts of a commit.
pub(super) fn write(w: &WriteTransaction, c: &Changes) -> Result<(), StoreError> {
    let mut t = w.open_table(UNDO)?;
    for (k, v) in &c.undo {
        t.insert(k, enc(v).as_slice())?;
    }
    if let Some(below) = c.forget_undo_below {
        t.retain_in(..below, |_, _| false)?;
    }
    let mut t = w.open_table(FOLLOWED)?;
    for (k, v) in &c.followed {
        t.insert(k, v)?;
    }
    // The last FOLLOWED_KEPT rounds, however many blocks each spanned (a catch-up round
    // after a long stop spans thousands).
    let extra = t.len()?.saturating_sub(FOLLOWED_KEPT);
    if extra > 0 {
        let cut = t
            .iter()?
            .nth(usize::try_from(extra).unwrap_or(usize::MAX))
            .transpose()?
            .map(|(k, _)| k.value());
        if let Some(cut) = cut {
            t.retain_in(..cut, |_, _| false)?;
        }
    }
    Ok(())
}

/// A reorg reached messages this store cannot take back.
#[derive(Debug, thiserror::Error)]
#[error(
    "inbox message {index} has no undo record (it is finalized, or was executed by a version \
     that kept none); rebuild this data directory from L1"
)]
pub struct NoUndo {
    /// The message.
    pub index: u64,
}

impl Store {
    /// The followed blocks whose hashes are kept, lowest first.
    pub fn followed(&self) -> Result<Vec<(u64, [u8; 32])>, StoreError> {
        let r = self.db.begin_read()?;
        let t = r.open_table(FOLLOWED)?;
        let mut out = Vec::new();
        for e in t.iter()? {
            let (k, v) = e?;
            out.push((k.value(), v.value()));
        }
        Ok(out)
    }

    /// The first stored message appended in L1 block `block` or later (the message count if
    /// none): messages before it came from blocks a reorg from `block` on leaves alone.
    pub fn first_message_from_block(&self, block: u64) -> Result<u64, StoreError> {
        let r = self.db.begin_read()?;
        let t = r.open_table(MESSAGES)?;
        // Blocks only grow along the inbox: binary search over the indices.
        let (mut lo, mut hi) = (0u64, t.last()?.map_or(0, |(k, _)| k.value() + 1));
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let m: super::StoredMessage = match t.get(mid)? {
                Some(v) => postcard::from_bytes(v.value())?,
                None => {
                    return Err(StoreError::Decode(
                        postcard::Error::DeserializeUnexpectedEnd,
                    ));
                }
            };
            if m.l1_block < block {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        Ok(lo)
    }

    /// Takes back every message from inbox index `from` on, newest first, restoring what each
    /// overwrote, and forgets the followed blocks from `forget_followed_from` on; then writes
    /// `after` — all in one transaction. Fails, changing nothing, if a message in the range
    /// has no undo record.
    pub fn roll_back(
        &self,
        from: u64,
        forget_followed_from: u64,
        after: &Changes,
    ) -> Result<Result<(), NoUndo>, StoreError> {
        let w = self.db.begin_write()?;
        {
            let count = w
                .open_table(MESSAGES)?
                .last()?
                .map_or(0, |(k, _)| k.value() + 1);
            let mut undo = w.open_table(UNDO)?;
            let mut records = Vec::new();
            for index in (from..count).rev() {
                let Some(v) = undo.remove(index)? else {
                    // Dropping `w` without a commit aborts every change made so far.
                    return Ok(Err(NoUndo { index }));
                };
                records.push((index, postcard::from_bytes::<Undo>(v.value())?));
            }
            let mut messages = w.open_table(MESSAGES)?;
            let mut states = w.open_table(STATES)?;
            let mut txs = w.open_table(TXS)?;
            let mut batches = w.open_table(BATCHES)?;
            let mut withdrawals = w.open_table(WITHDRAWALS)?;
            let mut meta = w.open_table(META)?;
            for (index, u) in records {
                messages.remove(index)?;
                states.remove(index + 1)?;
                for c in &u.txs {
                    let now = txs.get(&c.key)?.map(|v| v.value().to_vec());
                    restore(&mut txs, &c.key, now, c)?;
                }
                // A batch's record has two writers: the message that included it (its inbox
                // index, undone here) and the poster (its L1 transaction, which may land
                // after the inclusion and stays: the poster finds out itself whether the
                // transaction is still on L1).
                for c in &u.batches {
                    let now: Option<BatchRecord> = match batches.get(&c.key)? {
                        Some(v) => Some(postcard::from_bytes(v.value())?),
                        None => None,
                    };
                    match (now, &c.before) {
                        (_, None) => {
                            batches.remove(&c.key)?;
                        }
                        (Some(mut now), Some(before)) => {
                            now.message = before.message;
                            batches.insert(&c.key, enc(&now).as_slice())?;
                        }
                        (None, Some(before)) => {
                            batches.insert(&c.key, enc(before).as_slice())?;
                        }
                    }
                }
                for c in &u.withdrawals {
                    let now = withdrawals.get(&c.key)?.map(|v| v.value().to_vec());
                    restore(&mut withdrawals, &c.key, now, c)?;
                }
                for c in &u.meta {
                    let now = meta.get(c.key.as_str())?.map(|v| v.value().to_vec());
                    if now.as_deref() == Some(c.after.as_slice()) {
                        match &c.before {
                            Some(v) => meta.insert(c.key.as_str(), v.as_slice())?,
                            None => meta.remove(c.key.as_str())?,
                        };
                    }
                }
            }
            w.open_table(FOLLOWED)?
                .retain_in(forget_followed_from.., |_, _| false)?;
        }
        super::write(&w, after)?;
        w.commit()?;
        Ok(Ok(()))
    }
}

/// Puts back `c.before` under `key` if the record `now` (encoded) is still what the message
/// left.
fn restore<K, V>(
    table: &mut redb::Table<'_, K, &'static [u8]>,
    key: &K::SelfType<'_>,
    now: Option<Vec<u8>>,
    c: &Change<impl Sized, V>,
) -> Result<(), StoreError>
where
    K: redb::Key + 'static,
    for<'a> K::SelfType<'a>: Clone,
    V: Serialize,
{
    if now.as_deref() != Some(enc(&c.after).as_slice()) {
        return Ok(());
    }
    match &c.before {
        Some(v) => table.insert(key.clone(), enc(v).as_slice())?,
        None => table.remove(key.clone())?,
    };
    Ok(())
}
