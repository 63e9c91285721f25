//! The canonical chain: L1 inbox messages executed by the native STF in inbox order, each
//! message one block (docs/spec/state.md). What a block did is recorded — the message, the
//! global state after it, withdrawal leaves with the fields the Outbox needs, which batch of
//! ours it was — and the soft state is rebuilt on the new canonical state. A transaction of
//! ours that the block skipped is `REJECTED` with the chain's reason and logged: a status
//! says what the chain did, not what the sequencer expected.

use std::collections::HashMap;

use fuse_arbos::batch;
use fuse_arbos::message::{KIND_BATCH, KIND_FORCED_TX};
use fuse_arbos::stf::{Skip, execute_block};
use fuse_arbos::tx::{KIND_WITHDRAW, SignedTx};

use super::{META_INCLUDED, META_SCANNED, Sequencer, SequencerError, gs_bytes};
use crate::store::{StoredMessage, TxRecord, TxStatus, WithdrawalRecord};
use fuse_l1::rollup::InboxMessage;

impl Sequencer {
    /// Executes the L1 messages not yet executed (earlier indices are skipped, so feeding
    /// overlapping ranges is harmless), records what they did, rebuilds the soft state and
    /// commits. Returns how many were executed.
    pub fn apply_messages(&mut self, messages: &[InboxMessage]) -> Result<usize, SequencerError> {
        let executed = self.execute_messages(messages)?;
        if executed > 0 {
            self.flush()?;
        }
        Ok(executed)
    }

    /// The last L1 block whose messages are executed and stored, where the follower resumes
    /// after a restart (`None`: from the start).
    pub fn l1_scanned(&self) -> Result<Option<u64>, SequencerError> {
        Ok(self
            .store
            .meta(META_SCANNED)?
            .and_then(|v| v.try_into().ok())
            .map(u64::from_be_bytes))
    }

    /// Records that L1 blocks up to `block` are followed; durable with the same group as the
    /// messages executed from them.
    pub fn record_scanned(&mut self, block: u64) {
        self.unsaved
            .meta
            .push((META_SCANNED, block.to_be_bytes().to_vec()));
    }

    /// [`Sequencer::apply_messages`] without the commit: what they did joins the next group
    /// (the follower commits it outside the sequencer's lock, sequencer/commit.rs).
    pub fn execute_messages(&mut self, messages: &[InboxMessage]) -> Result<usize, SequencerError> {
        let mut executed = 0;
        // Each message's undo record is read against the store (store/undo.rs): what
        // earlier groups wrote lands first.
        if messages
            .last()
            .is_some_and(|m| m.index >= self.canonical.inbox_position)
        {
            self.flush()?;
        }
        let mut written = crate::reorg::Written::default();
        for m in messages {
            let expected = self.canonical.inbox_position;
            if m.index < expected {
                continue;
            }
            if m.index > expected {
                return Err(SequencerError::InboxGap {
                    expected,
                    got: m.index,
                });
            }
            let mark = self.undo_mark();
            self.execute_message(m)?;
            let undo = self.undo_since(&mark, &mut written)?;
            self.unsaved.undo.push((m.index, undo));
            executed += 1;
        }
        if executed > 0 {
            self.rebuild()?;
        }
        Ok(executed)
    }

    fn execute_message(&mut self, m: &InboxMessage) -> Result<(), SequencerError> {
        let bytes = m.bytes();
        self.env.inbox = bytes.clone();
        self.env.canonical = true;
        let executed = execute_block(&mut self.env, self.canonical);
        self.env.canonical = false;
        let (gs, report) = executed?;
        self.canonical = gs;
        self.unsaved.messages.push((
            m.index,
            StoredMessage {
                bytes,
                l1_block: m.l1_block,
                l1_tx: m.l1_tx.0,
            },
        ));
        self.unsaved.states.push((gs.inbox_position, gs_bytes(&gs)));

        // The transactions this block could have run: its batch's, and forced ones queued
        // by earlier messages (recorded when their message was executed).
        let mut batch_txs: Vec<SignedTx> = Vec::new();
        let mut ours = false;
        match m.header.kind {
            KIND_BATCH => {
                if let Some((header, txs)) = batch::decode_batch(&m.data) {
                    batch_txs = txs;
                    ours = self.batch_included(header.seq, m.index)?;
                }
            }
            KIND_FORCED_TX => {
                if let Ok((tx, [])) = SignedTx::decode(&m.data) {
                    let id = alloy_primitives::keccak256(&m.data).0;
                    self.forced.insert(id, tx);
                    self.forced_at.insert(id, (m.header.l1_timestamp, m.index));
                    // Anyone may force any bytes, also ones the sequencer took: a live
                    // sequenced record keeps its status (the receipts will tell what ran).
                    let live = self.latest_record(&id)?.is_some_and(|r| {
                        !matches!(
                            r.status,
                            TxStatus::Rejected { .. } | TxStatus::Forced { .. }
                        )
                    });
                    if !live {
                        self.unsaved.txs.push((
                            id,
                            TxRecord {
                                encoding: m.data.clone(),
                                sender: [0; 20],
                                accepted: u64::MAX,
                                status: TxStatus::Forced { message: m.index },
                            },
                        ));
                    }
                }
            }
            _ => {}
        }
        // Each id hashed once (a lookup per receipt, not a scan: a batch holds thousands).
        let by_id: HashMap<[u8; 32], &SignedTx> = batch_txs
            .iter()
            .map(|t| (alloy_primitives::keccak256(t.encode()).0, t))
            .collect();
        for r in &report.receipts {
            if r.forced {
                let queued = self.forced_at.remove(&r.id).map(|(_, message)| message);
                self.forced_ran(&r.id, r.result, m.index, queued)?;
            } else if let (true, Err(skip)) = (ours, r.result) {
                self.skipped_by_chain(&r.id, skip, m.index)?;
            }
        }
        let mut withdrawals = report.withdrawals.iter();
        for r in report.receipts.iter().filter(|r| r.result.is_ok()) {
            let tx = if r.forced {
                self.find_forced(&r.id)?
            } else {
                by_id.get(&r.id).map(|t| (*t).clone())
            };
            let Some(tx) = tx.filter(|t| t.kind == KIND_WITHDRAW) else {
                continue;
            };
            let &(index, leaf) = withdrawals.next().ok_or(SequencerError::Corrupt)?;
            self.unsaved.withdrawals.push((
                r.id,
                WithdrawalRecord {
                    index,
                    leaf,
                    l2_sender: r.sender.unwrap_or_default(),
                    l1_recipient: tx.to,
                    amount: tx.amount,
                    message: m.index,
                },
            ));
        }
        Ok(())
    }

    /// A forced transaction by id: queued in this run (its record may not be on disk yet) or
    /// recorded by a previous one.
    fn find_forced(&mut self, id: &[u8; 32]) -> Result<Option<SignedTx>, SequencerError> {
        if let Some(tx) = self.forced.remove(id) {
            return Ok(Some(tx));
        }
        let rec = self.store.tx(id)?;
        Ok(rec.and_then(|r| SignedTx::decode(&r.encoding).ok().map(|(t, _)| t)))
    }

    /// A transaction of ours that the chain skipped in inbox message `index`'s block: it never
    /// executed, so it is `REJECTED` with the chain's reason (and never `FINALIZED`).
    fn skipped_by_chain(
        &mut self,
        id: &[u8; 32],
        skip: Skip,
        index: u64,
    ) -> Result<(), SequencerError> {
        let Some(mut rec) = self.latest_record(id)? else {
            return Ok(());
        };
        if matches!(rec.status, TxStatus::ForcedRan { .. }) {
            // Its forced copy (the same bytes) ran first: it executed.
            return Ok(());
        }
        let reason = format!(
            "skipped by the chain in inbox message {index}: {}",
            why(skip)
        );
        tracing::warn!(tx = %alloy_primitives::B256::from(*id), %reason, "a sequenced transaction did not execute");
        rec.status = TxStatus::Rejected { reason };
        crate::metrics::count(crate::metrics::status::REJECTED, 1);
        self.unsaved.txs.push((*id, rec));
        Ok(())
    }

    /// Forced transaction `id` ran in inbox message `index`'s block (queued by message
    /// `queued`, if known). Executed, it is `FORCED` whatever the sequencer said of the same
    /// bytes, and no sequenced copy of it can run any more; skipped, it is `REJECTED` if
    /// nothing else of it can still run.
    fn forced_ran(
        &mut self,
        id: &[u8; 32],
        result: Result<(), Skip>,
        index: u64,
        queued: Option<u64>,
    ) -> Result<(), SequencerError> {
        let Some(mut rec) = self.latest_record(id)? else {
            return Ok(());
        };
        let was_queued_at = match rec.status {
            TxStatus::Forced { message } => Some(message),
            // It ran already (a second copy of the same bytes was forced): nothing changes.
            TxStatus::ForcedRan { .. } => return Ok(()),
            _ => None,
        };
        let pending = self.pending.iter().any(|p| p.id == *id);
        let orphan = rec.status == TxStatus::AcceptedInL2 && !pending;
        match result {
            Ok(()) => {
                rec.status = TxStatus::ForcedRan {
                    message: queued.or(was_queued_at).unwrap_or(index),
                };
                self.pending.retain(|p| p.id != *id);
            }
            Err(skip) if was_queued_at.is_some() || orphan => {
                let reason = format!(
                    "skipped by the chain in inbox message {index}: {}",
                    why(skip)
                );
                rec.status = TxStatus::Rejected { reason };
                crate::metrics::count(crate::metrics::status::REJECTED, 1);
            }
            Err(_) => return Ok(()),
        }
        self.unsaved.txs.push((*id, rec));
        Ok(())
    }

    /// Batch `seq` is inbox message `index`: if it is ours, its transactions are canonical
    /// now and leave the pending list. Returns whether it was ours and seen for the first
    /// time.
    fn batch_included(&mut self, seq: u64, index: u64) -> Result<bool, SequencerError> {
        let Some(mut rec) = self.store.batch(seq)? else {
            tracing::warn!(seq, index, "a batch this node did not build is on L1");
            return Ok(false);
        };
        if rec.message.is_some() {
            return Ok(false);
        }
        rec.message = Some(index);
        // Posted even if the poster crashed before recording it.
        self.mark(&rec, TxStatus::Posted { batch: seq })?;
        let upto = rec.first + rec.count;
        self.pending.retain(|p| p.accepted >= upto);
        self.unsaved.batches.push((seq, rec));
        self.unsaved
            .meta
            .push((META_INCLUDED, upto.to_be_bytes().to_vec()));
        Ok(true)
    }
}

/// The chain's reason for skipping a transaction, as a wallet prints it.
fn why(skip: Skip) -> &'static str {
    match skip {
        Skip::UnknownKind => "unknown transaction kind",
        Skip::BadSignature => "bad signature",
        Skip::WrongNonce => {
            "wrong nonce (another transaction of the sender, such as a forced one, ran first)"
        }
        Skip::ZeroAmount => "zero amount",
        Skip::InsufficientBalance => "insufficient balance when it ran",
        Skip::SelfTransfer => "a transfer to the sender itself",
        Skip::Overflow => "the recipient's balance would overflow",
        Skip::OutboxFull => "the outbox is full",
    }
}
