//! fuse-sequencer — the sequencer: its state machine (below), its durable store ([`store`])
//! and the loops that drive it ([`service`]: group commit, the L1 follower, the batch poster,
//! finality). The L2 JSON-RPC API that serves it lives in `fuse-node`.
//!
//! Layer: above the L1 (`fuse-l1`) and native execution (`fuse-exec`). It may not depend on
//! the validator, the node or the tools: the validator shares nothing with the sequencer
//! (docs/validator.md), and the sequencer runs without one.
//!
//! # The state machine
//!
//! The sequencer's state machine (docs/node.md, "The sequencer") is synchronous and free of I/O
//! except its store: the RPC server, the batch poster and the L1 follower drive it.
//!
//! - **Ingress** ([`Sequencer::submit`]): a transaction is decoded, executed at once on the
//!   soft state by the STF's own per-transaction code ([`TxSession`]), and either accepted
//!   (the soft state moves on) or rejected with the reason the STF would skip it — so nothing
//!   enters that the chain would skip. Its signature is recovered there, once; the host keeps
//!   the recovery for every re-execution.
//! - **Durability** (`commit.rs`): acceptances are written in groups, one commit for many,
//!   in the order the groups were taken; a transaction is `ACCEPTED_IN_L2` only once its
//!   group is on disk. The committer loop writes a group outside the sequencer's lock.
//! - **Batches** (`batches.rs`): accepted transactions in acceptance order become `Batch`
//!   messages with consecutive sequence numbers, recorded before they are posted so a retry
//!   after a crash sends the same bytes under the same number.
//! - **The canonical chain** (`follow.rs`): L1 inbox messages are executed by the native STF
//!   in inbox order; the soft state is then rebuilt as that canonical state plus the accepted
//!   transactions not yet in it. A sequenced transaction's final status comes from the
//!   chain's receipt: one the chain skipped is `REJECTED` with the chain's reason.
//! - **Forced transactions ahead** (`forced.rs`): the soft state starts after the forced
//!   transactions that will be due before the next batch lands, so nothing conflicting with
//!   them is accepted, and such a batch is not posted before they are due.

#![forbid(unsafe_code)]

pub mod metrics;
pub mod service;
pub mod store;

mod batches;
mod commit;
mod finality;
mod follow;
mod forced;
mod rejections;
mod reorg;

use std::collections::HashMap;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};

use alloy_primitives::B256;
use fuse_arbos::state::{Account, Corrupt, State};
use fuse_arbos::stf::{GlobalState, Skip, TxSession};
use fuse_arbos::tx::SignedTx;

use crate::store::{Changes, Store, StoreError, TxRecord, TxStatus};
use fuse_exec::env::NodeEnv;

pub use batches::BatchCaps;
pub use commit::{Group, Line, StoreFail, hold};
pub use finality::ClaimError;
pub use forced::DEFAULT_FORCE_HORIZON;
pub use rejections::Rejection;
pub use reorg::ReorgError;

/// Why the sequencer could not go on.
#[derive(Debug, thiserror::Error)]
pub enum SequencerError {
    /// Reading or writing the sequencer's store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A state-tree node the STF needed is missing or malformed: the store is damaged.
    #[error("the L2 state is corrupt (a missing or malformed tree node)")]
    Corrupt,
    /// An L1 reorg could not be undone.
    #[error(transparent)]
    Reorg(#[from] ReorgError),
    /// An L1 message arrived out of inbox order.
    #[error("inbox message {got} arrived, expected {expected}")]
    InboxGap {
        /// The inbox index the canonical chain executes next.
        expected: u64,
        /// The index of the message that arrived instead (beyond `expected`).
        got: u64,
    },
}

impl From<Corrupt> for SequencerError {
    fn from(_: Corrupt) -> Self {
        SequencerError::Corrupt
    }
}

/// An accepted transaction not yet executed by the canonical chain.
#[derive(Clone, Debug)]
struct Pending {
    accepted: u64,
    id: [u8; 32],
    tx: SignedTx,
    encoding: Vec<u8>,
    /// The soft state root right after it (a batch ending here claims it).
    root_after: [u8; 32],
    /// The L1 time its batch may land from: the soft state ran forced transactions before it
    /// that are due then (0 if none).
    not_before: u64,
}

/// The sequencer.
pub struct Sequencer {
    store: Arc<Store>,
    env: NodeEnv,
    /// After every canonical message executed so far.
    canonical: GlobalState,
    /// `canonical` plus `pending`.
    soft: GlobalState,
    pending: Vec<Pending>,
    /// The next acceptance number.
    next_accepted: u64,
    /// Acceptance numbers below this are in a batch.
    batched_upto: u64,
    /// The next batch sequence number.
    next_batch: u64,
    caps: BatchCaps,
    unsaved: Changes,
    /// Ids that join the next group, in acceptance order.
    unsaved_ids: Vec<[u8; 32]>,
    /// Accepted ids whose record may not have landed yet, with the group it joins. Lookups
    /// only.
    undurable: HashMap<[u8; 32], u64>,
    /// Transactions refused at ingress lately, in memory only (rejections.rs).
    rejections: rejections::Recent,
    /// Groups taken so far; a transaction accepted now joins group `taken + 1`.
    taken: u64,
    /// Every group up to this number is on disk (set by whoever writes one).
    landed: Arc<AtomicU64>,
    /// Held from taking a group until it is committed, so groups land in order.
    line: Arc<Mutex<Line>>,
    /// Forced transactions queued by L1 messages this run, until they execute.
    forced: HashMap<[u8; 32], SignedTx>,
    /// The L1 timestamp and the index of the message that queued each of them.
    forced_at: HashMap<[u8; 32], (u64, u64)>,
    /// The L1's latest time seen (its head's timestamp).
    l1_now: u64,
    /// Seconds ahead of `l1_now` that forced transactions count in the soft state.
    force_horizon: u64,
    /// The forced transactions the soft state runs ahead of the canonical chain.
    ahead: forced::ForcedAhead,
    /// After a reorg's rollback, the L1 block the follower had read up to before it: until
    /// the new chain is read that far, an accepted transaction that does not apply is kept,
    /// not dropped (what it spent, a deposit, may come back a few blocks later), and no new
    /// batch is built (reorg.rs).
    recovering: Option<u64>,
}

fn gs_bytes(gs: &GlobalState) -> [u8; 80] {
    let mut b = [0u8; 80];
    b[..32].copy_from_slice(gs.state_root.as_slice());
    b[32..64].copy_from_slice(gs.outbox_root.as_slice());
    b[64..72].copy_from_slice(&gs.inbox_position.to_be_bytes());
    b[72..].copy_from_slice(&gs.block_number.to_be_bytes());
    b
}

fn gs_from(b: &[u8; 80]) -> GlobalState {
    GlobalState {
        state_root: b[..32].try_into().unwrap(),
        outbox_root: b[32..64].try_into().unwrap(),
        inbox_position: u64::from_be_bytes(b[64..72].try_into().unwrap()),
        block_number: u64::from_be_bytes(b[72..].try_into().unwrap()),
    }
}

const META_INCLUDED: &str = "included_upto";
/// The last L1 block whose messages are executed (follow.rs).
const META_SCANNED: &str = "l1_scanned";
const META_NEXT_ACCEPTED: &str = "next_accepted";

impl Sequencer {
    /// Opens the sequencer over `store`, resuming where it stopped: the canonical state at
    /// the last stored message, the accepted transactions not yet canonical re-executed on
    /// it, the next batch number after the last recorded batch.
    pub fn open(store: Store, caps: BatchCaps) -> Result<Sequencer, SequencerError> {
        let mut env = NodeEnv::new();
        for (h, p) in store.preimages()? {
            env.insert_stored(h, p);
        }
        let count = store.message_count()?;
        let canonical = match count {
            0 => GlobalState::default(),
            n => gs_from(&store.state(n)?.ok_or(SequencerError::Corrupt)?),
        };
        let read_u64 = |key: &str| -> Result<u64, StoreError> {
            Ok(store
                .meta(key)?
                .and_then(|v| v.try_into().ok())
                .map_or(0, u64::from_be_bytes))
        };
        let next_accepted = read_u64(META_NEXT_ACCEPTED)?;
        let batches = store.batches_from(0)?;
        let (next_batch, batched_upto) = batches
            .last()
            .map_or((1, 0), |(seq, b)| (seq + 1, b.first + b.count));
        let landed = Arc::new(AtomicU64::new(0));
        let mut s = Sequencer {
            store: Arc::new(store),
            env,
            canonical,
            soft: canonical,
            pending: Vec::new(),
            next_accepted,
            batched_upto,
            next_batch,
            caps,
            unsaved: Changes::default(),
            unsaved_ids: Vec::new(),
            undurable: HashMap::new(),
            rejections: rejections::Recent::default(),
            taken: 0,
            landed: landed.clone(),
            line: Arc::new(Mutex::new(Line::new(landed))),
            forced: HashMap::new(),
            forced_at: HashMap::new(),
            l1_now: 0,
            force_horizon: DEFAULT_FORCE_HORIZON,
            ahead: forced::ForcedAhead::default(),
            recovering: None,
        };
        s.load_pending()?;
        s.rebuild()?;
        Ok(s)
    }

    /// Reads the accepted transactions not yet in the canonical chain from the store, in
    /// acceptance order, as the pending list (the soft state is rebuilt from it). One that
    /// is `REJECTED` (dropped after acceptance) or whose forced copy ran stays out: it must
    /// never run again; so does an acceptance number its record no longer carries (the
    /// transaction was accepted again later, under that one).
    fn load_pending(&mut self) -> Result<(), SequencerError> {
        let included = self
            .store
            .meta(META_INCLUDED)?
            .and_then(|v| v.try_into().ok())
            .map_or(0, u64::from_be_bytes);
        self.pending.clear();
        for (accepted, id) in self.store.accepted_from(included)? {
            let rec = self.store.tx(&id)?.ok_or(SequencerError::Corrupt)?;
            // A transaction dropped after acceptance and sent again has two acceptance
            // numbers; its record is the later one's.
            if rec.accepted != accepted
                || matches!(
                    rec.status,
                    TxStatus::Rejected { .. } | TxStatus::ForcedRan { .. }
                )
            {
                continue;
            }
            let (tx, _) = SignedTx::decode(&rec.encoding).map_err(|_| SequencerError::Corrupt)?;
            self.pending.push(Pending {
                accepted,
                id,
                tx,
                encoding: rec.encoding,
                root_after: [0; 32],
                not_before: 0,
            });
        }
        Ok(())
    }

    /// The soft global state (canonical plus accepted).
    pub fn soft(&self) -> GlobalState {
        self.soft
    }

    /// The canonical global state (after every L1 message executed so far).
    pub fn canonical(&self) -> GlobalState {
        self.canonical
    }

    /// Accepted transactions not yet in the canonical chain.
    pub fn pending_count(&self) -> usize {
        self.pending.len()
    }

    /// The store (read side, for queries).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The host (read side, for proofs).
    pub fn env_mut(&mut self) -> &mut NodeEnv {
        &mut self.env
    }

    /// The account of `address` in the soft or the canonical state.
    pub fn account(&mut self, address: &[u8; 20], soft: bool) -> Result<Account, SequencerError> {
        let gs = if soft { self.soft } else { self.canonical };
        self.account_in(&gs, address)
    }

    /// The account of `address` in global state `gs`.
    pub fn account_in(
        &mut self,
        gs: &GlobalState,
        address: &[u8; 20],
    ) -> Result<Account, SequencerError> {
        match State::load(&mut self.env, &gs.state_root)? {
            None => Ok(Account::default()),
            Some(state) => Ok(state.account(&mut self.env, address)?),
        }
    }

    /// The status of a transaction: durable ones from the store, else one accepted but not
    /// yet flushed (reported as pending: not acknowledged until durable).
    pub fn status(&self, id: &[u8; 32]) -> Result<Option<TxStatus>, SequencerError> {
        Ok(self.store.tx(id)?.map(|r| r.status))
    }

    /// Whether `id` was accepted but its group is not on disk yet (`PENDING`).
    pub fn is_unsaved(&self, id: &[u8; 32]) -> bool {
        matches!(self.undurable.get(id), Some(joins) if *joins > self.durable())
    }

    /// Takes one transaction at ingress: executes it on the soft state and accepts it, or says
    /// why not. `claimed_sender`, if given, must be the recovered one. Acceptance becomes
    /// durable (and may be acknowledged) at the next [`Sequencer::flush`].
    pub fn submit(
        &mut self,
        encoding: &[u8],
        claimed_sender: Option<[u8; 20]>,
    ) -> Result<[u8; 32], (Option<[u8; 32]>, Rejection)> {
        let fail = |r| Err((None, r));
        let Ok((tx, rest)) = SignedTx::decode(encoding) else {
            return fail(Rejection::Malformed("does not decode (docs/spec/tx.md)"));
        };
        if !rest.is_empty() {
            return fail(Rejection::Malformed("trailing bytes after the transaction"));
        }
        // Not through the host: an id is no state, and a refused one must leave no preimage.
        let id = alloy_primitives::keccak256(encoding).0;
        if self.is_unsaved(&id) {
            return Err((
                Some(id),
                Rejection::Known {
                    status: "PENDING".into(),
                },
            ));
        }
        let known = self
            .store
            .tx(&id)
            .map_err(|_| (Some(id), Rejection::Malformed("store unavailable")))?;
        // A rejected transaction may be sent again (its nonce gap may be filled by now).
        if let Some(rec) = known.filter(|r| !matches!(r.status, TxStatus::Rejected { .. })) {
            return Err((
                Some(id),
                Rejection::Known {
                    status: format!("{:?}", rec.status),
                },
            ));
        }
        // What a refused transaction's execution hashed is dropped again with it.
        self.env.begin_trial();
        let outcome = self.try_execute(&tx, encoding, claimed_sender);
        self.env.end_trial(matches!(outcome, Ok((_, Ok(_)))));
        let (sender, result) = match outcome {
            Ok(v) => v,
            Err(_) => return Err((Some(id), Rejection::Malformed("state unavailable"))),
        };
        match result {
            Ok(root) => {
                let accepted = self.next_accepted;
                self.next_accepted += 1;
                self.pending.push(Pending {
                    accepted,
                    id,
                    tx,
                    encoding: encoding.to_vec(),
                    root_after: root.state_root.0,
                    not_before: self.ahead.due,
                });
                self.soft = root;
                self.unsaved.txs.push((
                    id,
                    TxRecord {
                        encoding: encoding.to_vec(),
                        sender,
                        accepted,
                        status: TxStatus::AcceptedInL2,
                    },
                ));
                self.unsaved.accepted.push((accepted, id));
                self.unsaved_ids.push(id);
                self.undurable.insert(id, self.taken + 1);
                self.rejections.forget(&id);
                Ok(id)
            }
            Err(r) => Err((Some(id), r)),
        }
    }

    /// Runs `tx` on the soft state; on success returns the new soft global state (not yet
    /// adopted).
    #[allow(clippy::type_complexity)]
    fn try_execute(
        &mut self,
        tx: &SignedTx,
        encoding: &[u8],
        claimed: Option<[u8; 20]>,
    ) -> Result<([u8; 20], Result<GlobalState, Rejection>), Corrupt> {
        let before = self.soft;
        let Some(mut session) = TxSession::begin(&mut self.env, &before)? else {
            return Ok(([0; 20], Err(Rejection::NotConfigured)));
        };
        let receipt = session.execute(tx, encoding)?;
        let sender = receipt.sender.unwrap_or_default();
        if let (Some(claimed), Some(recovered)) = (claimed, receipt.sender)
            && claimed != recovered
        {
            // Not adopted: the session's state is dropped.
            return Ok((
                sender,
                Err(Rejection::WrongSigner {
                    claimed: format!("{}", alloy_primitives::Address::from(claimed)),
                    recovered: format!("{}", alloy_primitives::Address::from(recovered)),
                }),
            ));
        }
        let skip = match receipt.result {
            Ok(()) => {
                let (state_root, outbox_root, _) = session.finish();
                return Ok((
                    sender,
                    Ok(GlobalState {
                        state_root: state_root.into(),
                        outbox_root: outbox_root.into(),
                        ..before
                    }),
                ));
            }
            Err(skip) => skip,
        };
        drop(session);
        let account = match receipt.sender {
            Some(s) => State::load(&mut self.env, &before.state_root)?
                .map(|st| st.account(&mut self.env, &s))
                .transpose()?
                .unwrap_or_default(),
            None => Account::default(),
        };
        let r = match skip {
            Skip::BadSignature => Rejection::BadSignature,
            Skip::WrongNonce if tx.nonce < account.nonce => Rejection::NonceTooLow {
                got: tx.nonce,
                expected: account.nonce,
            },
            Skip::WrongNonce => Rejection::NonceGap {
                got: tx.nonce,
                expected: account.nonce,
            },
            Skip::ZeroAmount => Rejection::ZeroAmount,
            Skip::InsufficientBalance => Rejection::InsufficientBalance {
                balance: account.balance,
                amount: tx.amount,
            },
            Skip::SelfTransfer => Rejection::SelfTransfer,
            Skip::Overflow => Rejection::Overflow,
            Skip::UnknownKind => Rejection::UnknownKind,
            Skip::OutboxFull => Rejection::OutboxFull,
        };
        Ok((sender, Err(r)))
    }

    /// Re-executes the pending transactions on the canonical state with the forced
    /// transactions ahead run first (forced.rs). One that no longer applies and is not in a
    /// batch yet is dropped and marked rejected, loudly; one already in a batch stays (the
    /// batch is on its way to L1) and the chain's receipt decides its status.
    fn rebuild(&mut self) -> Result<(), SequencerError> {
        let (base, ahead) = self.forced_ahead()?;
        self.rebuild_on(base, ahead)
    }

    /// [`Sequencer::rebuild`] from a base already computed by [`Sequencer::forced_ahead`].
    fn rebuild_on(
        &mut self,
        base: GlobalState,
        ahead: forced::ForcedAhead,
    ) -> Result<(), SequencerError> {
        self.soft = base;
        let due = ahead.due;
        self.ahead = ahead;
        let pending = std::mem::take(&mut self.pending);
        for mut p in pending {
            match self.try_execute(&p.tx, &p.encoding, None)? {
                (_, Ok(gs)) => {
                    self.soft = gs;
                    p.root_after = gs.state_root.0;
                    if p.accepted >= self.batched_upto {
                        p.not_before = due;
                    }
                    self.pending.push(p);
                }
                // Its own forced copy (the same bytes) runs ahead: that copy is the one that
                // executes, and its receipt sets the status (follow.rs).
                (_, Err(_)) if self.ahead.ids.contains(&p.id) => {}
                (_, Err(r)) if self.recovering.is_some() => {
                    tracing::debug!(
                        tx = %B256::from(p.id),
                        reason = %r,
                        "an accepted transaction does not apply while the chain is re-read after a reorg; kept"
                    );
                    self.pending.push(p);
                }
                (_, Err(r)) if p.accepted < self.batched_upto => {
                    tracing::warn!(
                        tx = %B256::from(p.id),
                        reason = %r,
                        "a batched transaction no longer applies; the chain's receipt will tell"
                    );
                    self.pending.push(p);
                }
                (sender, Err(r)) => {
                    tracing::error!(
                        tx = %B256::from(p.id),
                        reason = %r,
                        "an accepted transaction no longer applies after new L1 messages"
                    );
                    crate::metrics::count(crate::metrics::status::REJECTED, 1);
                    self.unsaved.txs.push((
                        p.id,
                        TxRecord {
                            encoding: p.encoding,
                            sender,
                            accepted: p.accepted,
                            status: TxStatus::Rejected {
                                reason: format!("dropped after acceptance: {r}"),
                            },
                        },
                    ));
                }
            }
        }
        Ok(())
    }

    /// Remembers why `id` was refused at ingress, for status queries (in memory only: what
    /// was never accepted costs its sender nothing, so it must cost the node nothing lasting).
    pub fn record_rejection(&mut self, id: [u8; 32], r: &Rejection) {
        if !matches!(r, Rejection::Known { .. }) {
            self.rejections.remember(id, r.to_string());
        }
    }

    /// Why `id` was refused at ingress, if that was lately enough to be remembered.
    pub fn recent_rejection(&self, id: &[u8; 32]) -> Option<&str> {
        self.rejections.reason(id)
    }
}

#[cfg(test)]
mod forced_tests;
#[cfg(test)]
mod reorg_attack_tests;
#[cfg(test)]
mod reorg_tests;
#[cfg(test)]
mod tests;
