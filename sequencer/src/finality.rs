//! Finality: once an assertion covering inbox messages `0 .. position` is confirmed on L1, the
//! transactions of our batches among them are `FINALIZED`, the finalized view of accounts is
//! the state at `position`, and withdrawals appended before it can be paid by the Outbox
//! against that state's outbox root.

use alloy_primitives::{Address, B256};
use fuse_arbos::append_tree::AppendTree;
use fuse_arbos::state::Account;
use fuse_arbos::stf::GlobalState;
use fuse_arbos::tx::{KIND_WITHDRAW, SignedTx};

use super::{Sequencer, SequencerError, gs_from};
use crate::store::TxStatus;
use fuse_l1::rollup::WithdrawalClaim;

const META_FINALIZED: &str = "finalized";
const META_FINALIZED_BATCH: &str = "finalized_batch";

/// Why a withdrawal cannot be claimed yet.
#[derive(Debug, thiserror::Error)]
pub enum ClaimError {
    /// The canonical chain has executed no withdrawal with this id, and it is none of ours
    /// still on its way.
    #[error("no withdrawal with this transaction id is on L1 yet")]
    Unknown,
    /// Our sequencer accepted the withdrawal; its batch is not yet executed from L1.
    #[error("not final yet: the withdrawal is {status:?}; its batch is not yet executed from L1")]
    NotExecuted {
        /// The withdrawal's status in our store (accepted, posted or the like).
        status: TxStatus,
    },
    /// The withdrawal is executed, but no confirmed assertion covers its inbox message yet.
    #[error(
        "not final yet: the withdrawal is in inbox message {message}; the latest confirmed \
         assertion covers messages before {finalized}"
    )]
    NotFinal {
        /// The inbox index of the message that executed the withdrawal.
        message: u64,
        /// The inbox position the latest confirmed assertion covers (messages before it).
        finalized: u64,
    },
    /// Reading the store or the state the proof needs failed.
    #[error(transparent)]
    Sequencer(#[from] SequencerError),
}

impl Sequencer {
    /// The canonical global state after messages `0 .. position`, if executed.
    pub fn state_at(&self, position: u64) -> Result<Option<GlobalState>, SequencerError> {
        if position == 0 {
            return Ok(Some(GlobalState::default()));
        }
        Ok(self.store.state(position)?.map(|b| gs_from(&b)))
    }

    /// The latest confirmed assertion this node knows of and the inbox position it covers.
    pub fn finalized(&self) -> Result<Option<(u64, u64)>, SequencerError> {
        Ok(self.store.meta(META_FINALIZED)?.and_then(|v| {
            let v: [u8; 16] = v.try_into().ok()?;
            Some((
                u64::from_be_bytes(v[..8].try_into().unwrap()),
                u64::from_be_bytes(v[8..].try_into().unwrap()),
            ))
        }))
    }

    /// An account in the finalized state (zero before any confirmation).
    pub fn finalized_account(&mut self, address: &[u8; 20]) -> Result<Account, SequencerError> {
        let Some((_, position)) = self.finalized()? else {
            return Ok(Account::default());
        };
        let gs = self.state_at(position)?.ok_or(SequencerError::Corrupt)?;
        self.account_in(&gs, address)
    }

    /// Assertion `assertion`, covering messages before `position`, was confirmed. Returns how
    /// many transactions became `FINALIZED`.
    pub fn finalize(&mut self, assertion: u64, position: u64) -> Result<usize, SequencerError> {
        if self.finalized()?.is_some_and(|(_, p)| p >= position) {
            return Ok(0);
        }
        // The batches' inbox indices recorded by the follower land before they are read.
        self.flush()?;
        let from = self
            .store
            .meta(META_FINALIZED_BATCH)?
            .and_then(|v| v.try_into().ok())
            .map_or(1, u64::from_be_bytes);
        let mut next = from;
        let mut count = 0;
        for (seq, rec) in self.store.batches_from(from)? {
            let Some(message) = rec.message.filter(|&m| m < position) else {
                break;
            };
            count += self.mark(
                &rec,
                TxStatus::Finalized {
                    batch: seq,
                    message,
                },
            )?;
            next = seq + 1;
        }
        let mut v = assertion.to_be_bytes().to_vec();
        v.extend_from_slice(&position.to_be_bytes());
        self.unsaved.meta.push((META_FINALIZED, v));
        self.unsaved
            .meta
            .push((META_FINALIZED_BATCH, next.to_be_bytes().to_vec()));
        // Final messages are never taken back (reorg.rs): their undo records can go.
        self.unsaved.forget_undo_below = Some(position);
        self.flush()?;
        Ok(count)
    }

    /// What `Outbox.withdraw` needs to pay the withdrawal made by transaction `id`, against
    /// the latest confirmed outbox root.
    pub fn withdrawal_claim(&mut self, id: &[u8; 32]) -> Result<WithdrawalClaim, ClaimError> {
        let Some(w) = self.store.withdrawal(id).map_err(SequencerError::from)? else {
            // One we accepted is on its way (a wallet asks right after `POSTED`, before the
            // follower has executed the batch): say so rather than "unknown".
            let ours = self.store.tx(id).map_err(SequencerError::from)?;
            return Err(match ours {
                Some(rec)
                    if !matches!(rec.status, TxStatus::Rejected { .. })
                        && SignedTx::decode(&rec.encoding)
                            .is_ok_and(|(t, _)| t.kind == KIND_WITHDRAW) =>
                {
                    ClaimError::NotExecuted { status: rec.status }
                }
                _ => ClaimError::Unknown,
            });
        };
        let (assertion, position) = self.finalized()?.unwrap_or((0, 0));
        if w.message >= position {
            return Err(ClaimError::NotFinal {
                message: w.message,
                finalized: position,
            });
        }
        let gs = self.state_at(position)?.ok_or(SequencerError::Corrupt)?;
        let index = u32::try_from(w.index).map_err(|_| SequencerError::Corrupt)?;
        let proof = AppendTree::outbox(&mut self.env)
            .proof(&mut self.env, &gs.outbox_root, index)
            .map_err(|_| SequencerError::Corrupt)?;
        Ok(WithdrawalClaim {
            index: w.index,
            l2_sender: Address::from(w.l2_sender),
            l1_recipient: Address::from(w.l1_recipient),
            amount: w.amount,
            tx_id: B256::from(*id),
            outbox_root: B256::from(gs.outbox_root),
            proof: proof.map(B256::from),
            assertion,
        })
    }
}
