//! What the forced queue will do before the next batch lands (docs/node.md, "Forced
//! transactions and the soft state").
//!
//! The STF runs every queued forced transaction that is due at the start of a block, before
//! the block's own content (docs/spec/state.md). A forced transaction queued on L1 is not in
//! the canonical state's accounts until a later message's block runs it, yet it will run
//! before any batch that lands after it is due. So the soft state starts from the canonical
//! state with the forced transactions due by `l1_now + force_horizon` already run — exactly
//! as the STF runs them, by executing an empty `Tick` block at that time — and a transaction
//! that would conflict with one of them (its nonce, its balance) is refused at ingress.
//!
//! A batch holding transactions accepted on that assumption is not posted before the last
//! of those forced transactions is due, so the chain runs them in the order the soft state
//! did. What remains (a batch that lands later than the horizon, a forced message the
//! follower has not seen yet) is settled by the chain's receipts: a sequenced transaction
//! the chain skipped ends `REJECTED` with the chain's reason, never `FINALIZED`
//! (follow.rs).

use fuse_arbos::message::{Header, KIND_FORCED_TX, KIND_TICK};
use fuse_arbos::state::State;
use fuse_arbos::stf::{GlobalState, execute_block};

use super::{Sequencer, SequencerError};
use crate::store::TxStatus;

/// How far ahead (seconds of L1 time) the soft state counts forced transactions by default:
/// a batch interval and two Ethereum slots, the time a batch posted now needs to land.
pub const DEFAULT_FORCE_HORIZON: u64 = 30;

/// The forced transactions the soft state runs ahead of the canonical chain.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct ForcedAhead {
    /// Their ids, in the order they run.
    pub ids: Vec<[u8; 32]>,
    /// When the last of them is due (0 if none): a batch built on them lands no earlier.
    pub due: u64,
}

impl Sequencer {
    /// Counts forced transactions due within `seconds` of the L1's time in the soft state
    /// (default [`DEFAULT_FORCE_HORIZON`]).
    pub fn set_force_horizon(&mut self, seconds: u64) {
        self.force_horizon = seconds;
    }

    /// The L1's time now (its head's timestamp). If it makes another forced transaction
    /// count in the soft state, the soft state is rebuilt (an accepted transaction not yet
    /// batched that conflicts with it is dropped and `REJECTED` with the reason).
    pub fn observe_l1_time(&mut self, now: u64) -> Result<(), SequencerError> {
        if now <= self.l1_now {
            return Ok(());
        }
        self.l1_now = now;
        let (base, ahead) = self.forced_ahead()?;
        if ahead != self.ahead {
            self.rebuild_on(base, ahead)?;
        }
        Ok(())
    }

    /// The L1 time before which the next batch must not be posted (0: post now): the due
    /// time of the forced transactions the soft state ran before its transactions.
    pub fn hold_posting_until(&self) -> u64 {
        self.pending
            .iter()
            .filter(|p| p.accepted >= self.batched_upto)
            .map(|p| p.not_before)
            .max()
            .unwrap_or(0)
    }

    /// The state the next block's content starts from, as far as the sequencer can tell: the
    /// canonical state after the forced transactions due by `l1_now + force_horizon`.
    pub(super) fn forced_ahead(&mut self) -> Result<(GlobalState, ForcedAhead), SequencerError> {
        let canonical = self.canonical;
        let none = (canonical, ForcedAhead::default());
        let Some(state) = State::load(&mut self.env, &canonical.state_root)? else {
            return Ok(none);
        };
        let system = state.system;
        if system.forced_head >= system.forced_tail {
            return Ok(none);
        }
        let horizon = self.l1_now.saturating_add(self.force_horizon);
        let tick = Header {
            kind: KIND_TICK,
            l1_block_number: 0,
            l1_timestamp: horizon,
        };
        self.env.inbox = tick.to_word().to_vec();
        let (after, report) = execute_block(&mut self.env, canonical)?;
        let ids: Vec<[u8; 32]> = report
            .receipts
            .iter()
            .filter(|r| r.forced)
            .map(|r| r.id)
            .collect();
        let Some(last) = ids.last() else {
            return Ok(none);
        };
        let delay = system.config.force_delay;
        // Not found within the delay: queued earlier, so due already.
        let due = self
            .queued_at(last, delay)?
            .map_or(self.l1_now, |t| t.saturating_add(delay));
        let soft = GlobalState {
            state_root: after.state_root,
            outbox_root: after.outbox_root,
            ..canonical
        };
        Ok((soft, ForcedAhead { ids, due }))
    }

    /// The L1 timestamp of the message that queued forced transaction `id`: seen this run,
    /// or read back from its record and message, or found among the messages of the last
    /// `delay` seconds (its bytes may belong to a sequenced record, which names no message,
    /// after a restart or a reorg's rollback). `None` if it was queued earlier than that.
    fn queued_at(&self, id: &[u8; 32], delay: u64) -> Result<Option<u64>, SequencerError> {
        if let Some(&(t, _)) = self.forced_at.get(id) {
            return Ok(Some(t));
        }
        if let Some(TxStatus::Forced { message }) = self.store.tx(id)?.map(|r| r.status) {
            return Ok(self
                .store
                .message(message)?
                .and_then(|m| forced_header(&m.bytes))
                .map(|h| h.l1_timestamp));
        }
        for index in (0..self.canonical.inbox_position).rev() {
            let Some(m) = self.store.message(index)? else {
                break;
            };
            let Some(word) = m.bytes.get(..32).and_then(|w| <[u8; 32]>::try_from(w).ok()) else {
                continue;
            };
            let h = Header::from_word(&word);
            if h.l1_timestamp.saturating_add(delay) < self.l1_now {
                break;
            }
            if h.kind == KIND_FORCED_TX && alloy_primitives::keccak256(&m.bytes[32..]).0 == *id {
                return Ok(Some(h.l1_timestamp));
            }
        }
        Ok(None)
    }
}

/// The header of a `ForcedTx` message's bytes, if they are one.
fn forced_header(bytes: &[u8]) -> Option<Header> {
    let word: [u8; 32] = bytes.get(..32)?.try_into().ok()?;
    let header = Header::from_word(&word);
    (header.kind == KIND_FORCED_TX).then_some(header)
}
