//! The validator's figures an operator scrapes (docs/guides/operator.md, "Watch it"), each
//! labelled `validator` with its name (a devnet runs an honest one and a liar in one
//! process), and its heartbeats for the operator's health check. Figures of its state are set
//! once after every poll from what the poll read ([`Validator::publish`]), plus the one L1
//! call they need (its balance); events (moves, challenge ends) are counted where they
//! happen. Nothing is kept unless the process installed a recorder (`fuse-metrics`).

use std::collections::{BTreeMap, BTreeSet};

use alloy_primitives::U256;
use fuse_l1::L1;
use fuse_l1::rollup::{CONFIRMED, PENDING, REJECTED, StakerInfo};
use fuse_metrics::Heartbeat;

use super::health::Health;
use super::store::MoveState;
use super::{Narration, Validator};

/// Gauge: inbox messages its replica has executed in the guest.
pub const EXECUTED_POSITION: &str = "fuse_validator_executed_position";
/// Gauge: the last L1 block whose Inbox messages its replica has read.
pub const FOLLOWED_BLOCK: &str = "fuse_validator_l1_followed_block";
/// Gauge: the inbox position its stake's assertion claims a state after (its latest
/// assertion's `afterInbox`).
pub const ASSERTED_POSITION: &str = "fuse_validator_asserted_position";
/// Gauge, label `status` (`pending`, `confirmed`, `rejected`): assertions in its view of the
/// Rollup, genesis included.
pub const ASSERTIONS: &str = "fuse_validator_assertions";
/// Gauge: challenges it is a party to that have not ended.
pub const OPEN_CHALLENGES: &str = "fuse_validator_open_challenges";
/// Gauge: the least time left on its own clock among its open challenges (NaN when it is in
/// none).
pub const CLOCK_LEFT: &str = "fuse_validator_challenge_clock_left_seconds";
/// Counter: its challenge moves mined.
pub const MOVES_SENT: &str = "fuse_validator_moves_sent_total";
/// Counter: its challenge moves whose sending failed (decided again on a later poll).
pub const MOVES_FAILED: &str = "fuse_validator_moves_failed_total";
/// Counter, label `result` (`won`, `lost`): its challenges that ended.
pub const CHALLENGES_ENDED: &str = "fuse_validator_challenges_ended_total";
/// Gauge: 1 while it has a live bond in the Rollup, else 0.
pub const STAKED: &str = "fuse_validator_staked";
/// Gauge: the bond its stake holds, in wei (0 when unstaked).
pub const BOND: &str = "fuse_validator_bond_wei";
/// Gauge: its account's L1 balance, in wei.
pub const BALANCE: &str = "fuse_validator_balance_wei";
/// Gauge, label `state` (`running`, `waiting`, `halted`): 1 for its health now, 0 for the
/// others (docs/validator.md, "The halted-chain alarm").
pub const HEALTH: &str = "fuse_validator_health";
/// Counter: L1 reorgs that replaced blocks its view of the Rollup had read.
pub const REORGS: &str = "fuse_validator_l1_reorgs_total";
/// Counter: inbox messages its replica took back because a reorg replaced their blocks.
pub const REORGED_MESSAGES: &str = "fuse_validator_reorged_messages_total";
/// Counter, label `kind` (`dispute`, `other`): L1 transactions it sent.
pub const L1_TXS: &str = "fuse_validator_l1_txs_total";
/// Counter, label `kind` (`dispute`, `other`): L1 gas its transactions used.
pub const L1_GAS: &str = "fuse_validator_l1_gas_total";

/// Gives the recorder the help text and unit of each figure above.
pub fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge};
    describe_gauge!(
        EXECUTED_POSITION,
        "Inbox messages the validator's replica has executed in the guest"
    );
    describe_gauge!(
        FOLLOWED_BLOCK,
        "The last L1 block whose Inbox messages the validator's replica has read"
    );
    describe_gauge!(
        ASSERTED_POSITION,
        "The inbox position the validator's latest assertion (its stake's) claims a state after"
    );
    describe_gauge!(
        ASSERTIONS,
        "Assertions in the validator's view of the Rollup by status (pending, confirmed, rejected)"
    );
    describe_gauge!(
        OPEN_CHALLENGES,
        "Challenges the validator is in that have not ended"
    );
    describe_gauge!(
        CLOCK_LEFT,
        Unit::Seconds,
        "The least time left on the validator's clock among its open challenges (NaN: none open)"
    );
    describe_counter!(
        MOVES_SENT,
        "Challenge moves the validator sent and saw mined"
    );
    describe_counter!(MOVES_FAILED, "Challenge moves whose sending failed");
    describe_counter!(
        CHALLENGES_ENDED,
        "Challenges the validator was in that ended, by result"
    );
    describe_gauge!(
        STAKED,
        "1 while the validator has a live bond in the Rollup"
    );
    describe_gauge!(
        BOND,
        "The bond the validator's stake holds, in wei (0: unstaked)"
    );
    describe_gauge!(BALANCE, "The validator account's L1 balance, in wei");
    describe_gauge!(
        HEALTH,
        "1 for the validator's health now (running, waiting, halted), 0 for the others"
    );
    describe_counter!(
        REORGS,
        "L1 reorgs that replaced blocks the validator's view of the Rollup had read"
    );
    describe_counter!(
        REORGED_MESSAGES,
        "Inbox messages the validator's replica took back because a reorg replaced their blocks"
    );
    describe_counter!(
        L1_TXS,
        "L1 transactions the validator sent, by kind (dispute, other)"
    );
    describe_counter!(L1_GAS, "L1 gas the validator's transactions used, by kind");
}

/// A validator's heartbeats, for the operator's health check.
#[derive(Clone, Debug, Default)]
pub struct Beats {
    /// Beats each time the L1 answered a poll's read of the Rollup's events.
    pub l1: Heartbeat,
    /// Beats after each poll that worked.
    pub polls: Heartbeat,
}

/// What the figures keep between polls.
#[derive(Debug, Default)]
pub(crate) struct Watch {
    pub(crate) beats: Beats,
    /// Seconds left on its own clock in each challenge it is in, as last read.
    pub(crate) clocks: BTreeMap<u64, u64>,
    /// Its stake, as last read.
    pub(crate) stake: Option<StakerInfo>,
    /// The L1's head block, as last read.
    pub(crate) head: Option<u64>,
    /// Moves counted as failed: (challenge, index of the move in its record).
    failed: BTreeSet<(u64, usize)>,
    /// The Rollup's bond, read once.
    bond: Option<U256>,
}

/// A wei amount as a Prometheus value (a float: exact up to 2^53 wei, about 0.009 ETH, and to
/// about 16 digits beyond).
fn wei(v: U256) -> f64 {
    v.to_string().parse().unwrap_or(f64::MAX)
}

impl<L: L1 + Clone + 'static> Validator<L> {
    /// Its heartbeats (clones sharing them), for a health check.
    pub fn beats(&self) -> Beats {
        self.watch.beats.clone()
    }

    /// After a failed attempt to play challenge `id`: counts its last move as failed if its
    /// record says it was being sent (the send did not come back mined), once.
    pub(crate) fn note_failed_move(&mut self, id: u64) {
        let Ok(Some(r)) = self.store.get(id) else {
            return;
        };
        let Some(last) = r.moves.len().checked_sub(1) else {
            return;
        };
        if r.moves[last].state == MoveState::Sending && self.watch.failed.insert((id, last)) {
            metrics::counter!(MOVES_FAILED, "validator" => self.config.name.clone()).increment(1);
        }
    }

    /// Counts what `n` says happened.
    pub(crate) fn count(&self, n: &Narration) {
        let name = self.config.name.clone();
        match n {
            Narration::Moved { .. } => {
                metrics::counter!(MOVES_SENT, "validator" => name).increment(1);
            }
            Narration::Ended { won, .. } => {
                let result = if *won { "won" } else { "lost" };
                metrics::counter!(CHALLENGES_ENDED, "validator" => name, "result" => result)
                    .increment(1);
            }
            _ => {}
        }
    }

    /// Sets the figures of its state from what the last poll read, reading its balance (and,
    /// the first time it is staked, the Rollup's bond).
    pub(crate) async fn publish(&mut self) {
        let name = self.config.name.clone();
        let gauge = |figure: &'static str, v: f64| {
            metrics::gauge!(figure, "validator" => name.clone()).set(v);
        };
        let replica = self.replica();
        let (executed, followed, reorged) = (
            replica.executed(),
            replica.followed_block(),
            replica.stats.reorged,
        );
        gauge(EXECUTED_POSITION, executed as f64);
        if let Some(h) = self.watch.head {
            metrics::gauge!(fuse_l1::metrics::HEAD_BLOCK).set(h as f64);
        }
        if let Some(b) = followed {
            gauge(FOLLOWED_BLOCK, b as f64);
        }
        let stake = self.watch.stake.unwrap_or_default();
        if let Some(a) = self.view.assertion(stake.current) {
            gauge(ASSERTED_POSITION, a.after_inbox() as f64);
        }
        gauge(STAKED, if stake.staked { 1.0 } else { 0.0 });
        if stake.staked && self.watch.bond.is_none() {
            match self.rollup.bond().await {
                Ok(b) => self.watch.bond = Some(b),
                Err(e) => tracing::debug!(error = %e, "reading the bond for the metrics"),
            }
        }
        let bond = match (stake.staked, self.watch.bond) {
            (true, Some(b)) => wei(b),
            _ => 0.0,
        };
        gauge(BOND, bond);
        match self.rollup.l1.balance(self.me).await {
            Ok(b) => gauge(BALANCE, wei(b)),
            Err(e) => tracing::debug!(error = %e, "reading the balance for the metrics"),
        }
        for (status, label) in [
            (PENDING, "pending"),
            (CONFIRMED, "confirmed"),
            (REJECTED, "rejected"),
        ] {
            let n = self
                .view
                .assertions
                .values()
                .filter(|a| a.status == status)
                .count();
            metrics::gauge!(ASSERTIONS, "validator" => name.clone(), "status" => label)
                .set(n as f64);
        }
        let open: BTreeSet<u64> = self
            .view
            .challenges
            .iter()
            .filter(|(_, c)| {
                c.ended.is_none() && (c.challenger == self.me || c.defender == self.me)
            })
            .map(|(&id, _)| id)
            .collect();
        self.watch.clocks.retain(|id, _| open.contains(id));
        gauge(OPEN_CHALLENGES, open.len() as f64);
        let least = self
            .watch
            .clocks
            .values()
            .min()
            .map_or(f64::NAN, |&s| s as f64);
        gauge(CLOCK_LEFT, least);
        let state = match self.health {
            Health::Running => "running",
            Health::Waiting { .. } => "waiting",
            Health::Halted { .. } => "halted",
        };
        for s in ["running", "waiting", "halted"] {
            metrics::gauge!(HEALTH, "validator" => name.clone(), "state" => s).set(if s == state {
                1.0
            } else {
                0.0
            });
        }
        let counter = |figure: &'static str, v: u64| {
            metrics::counter!(figure, "validator" => name.clone()).absolute(v);
        };
        counter(REORGS, self.view.reorgs);
        counter(REORGED_MESSAGES, reorged);
        // Present from the start, so that a rate over them is defined before the first one.
        counter(MOVES_SENT, 0);
        counter(MOVES_FAILED, 0);
        let st = self.stats;
        for (kind, txs, gas) in [
            ("dispute", st.dispute_txs, st.dispute_gas),
            ("other", st.other_txs, st.other_gas),
        ] {
            metrics::counter!(L1_TXS, "validator" => name.clone(), "kind" => kind).absolute(txs);
            metrics::counter!(L1_GAS, "validator" => name.clone(), "kind" => kind).absolute(gas);
        }
    }
}
