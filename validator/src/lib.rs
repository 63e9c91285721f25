//! fuse-validator — the validator (docs/validator.md): follows the Inbox and executes every message in the
//! guest ([`replica`]), posts and stakes on assertions, confirms them after the challenge
//! period ([`assertions`]), challenges every rival assertion it disagrees with and plays each
//! challenge to its end — both bisection levels and the one-step proof — defending its own
//! assertions the same way ([`challenges`]). Its disputes are recorded in its own store
//! ([`store`]), so a restart resumes them with no move missing or sent twice.
//!
//! A validator given a [`LieSpec`] is the lying validator of tests, demos and dispute
//! vectors: it claims a wrong state from a chosen block on — at level 1 only, or with its
//! machine departing at a chosen step — and defends that claim until it has no move left.
//!
//! The validator shares nothing with the sequencer: it reads L1 only, so it can run in its
//! own process (`fuse-l2 validator`) or beside the sequencer in a node.
//!
//! Layer: above the L1 (`fuse-l1`), the prover and native execution. It may not depend on
//! the sequencer, the node or the tools; the arena and the attacker strategies that play
//! against it live in `fuse-devnet`.
#![forbid(unsafe_code)]

pub mod assertions;
pub mod board;
pub mod challenges;
pub mod health;
pub mod metrics;
mod narration;
pub mod replica;
pub mod store;
pub mod view;

pub use narration::Narration;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use alloy_primitives::{Address, B256};
use fuse_arbos::message::KIND_BATCH;
use fuse_prover::block::Executor;
use fuse_prover::checkpoints::Budget;
use fuse_prover::dispute::{History, Liar, Lie, falsify_with};
use fuse_vm::GlobalState;
use fuse_vm::hash::stuck_state_hash;
use tokio::sync::mpsc;

use fuse_l1::rollup::RollupL1;
use fuse_l1::{L1, L1Receipt};
use health::{Findings, Health};
use replica::Replica;
use store::DisputeStore;
use view::RollupView;

/// The store's key for a lie resolved from a seed or "the first batch".
const META_LIE: &str = "lie";

/// Where a lying validator departs from the truth.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LieSpec {
    /// From the block of inbox message `block`: the state after it and every later one are
    /// wrong; inside it the machine departs at `step` (≥ 1), or — with no step — only the
    /// block's end is wrong (a dispute level 1 narrows and the block's last step settles).
    At {
        /// The inbox index of the first block whose end state it claims wrong.
        block: u64,
        /// The machine step inside that block where its trace departs (`None`: level 1 only).
        step: Option<u64>,
    },
    /// From the first batch in the first range it asserts that holds one, at `step` of that
    /// block (`None`: level 1 only): a liar about the transactions users just sent.
    FirstBatch {
        /// The machine step inside that batch's block where its trace departs (`None`: level 1
        /// only).
        step: Option<u64>,
    },
    /// A block and a step drawn from the seed (`Lie::from_seed`) within the first range it
    /// asserts that holds a batch; the step within the block's real length.
    Seed(u64),
}

/// How a validator runs.
#[derive(Clone, Debug)]
pub struct ValidatorConfig {
    /// Its name in logs and narration.
    pub name: String,
    /// Where its dispute records live.
    pub data_dir: PathBuf,
    /// How often it reads L1.
    pub poll_interval: Duration,
    /// L1 blocks a message waits before it is executed.
    pub confirmations: u64,
    /// Execute messages up to the L1's `finalized` block instead, where the endpoint has one
    /// (`confirmations` deep where it has not).
    pub finalized: bool,
    /// How traces keep machine snapshots.
    pub budget: Budget,
    /// Lie, for tests and demos.
    pub lie: Option<LieSpec>,
    /// Move in a challenge only once at most this many seconds are left on its clock (the
    /// last-second liar of the attack runs).
    pub move_late: Option<u64>,
    /// Where to send what it does (with its name), besides the log.
    pub narrate: Option<mpsc::UnboundedSender<(String, Narration)>>,
    /// Where to publish its health after every poll (the node's RPC, `fuse-l2 validator`).
    pub health: Option<tokio::sync::watch::Sender<Health>>,
}

impl ValidatorConfig {
    /// An honest validator named `name` keeping its records in `data_dir`.
    pub fn honest(name: &str, data_dir: PathBuf) -> ValidatorConfig {
        ValidatorConfig {
            name: name.to_string(),
            data_dir,
            poll_interval: Duration::from_millis(500),
            confirmations: 0,
            finalized: false,
            budget: Budget::default(),
            lie: None,
            move_late: None,
            narrate: None,
            health: None,
        }
    }
}

/// L1 transactions a validator sent and their gas: those of its challenges (opening, moves,
/// timeouts, forfeits) apart from the rest (assertions, stakes, confirmations, withdrawals).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ValidatorStats {
    /// Challenge transactions sent (openings, moves, timeouts, forfeits).
    pub dispute_txs: u64,
    /// L1 gas those challenge transactions used.
    pub dispute_gas: u64,
    /// Other transactions sent (assertions, stakes, confirmations, withdrawals).
    pub other_txs: u64,
    /// L1 gas those other transactions used.
    pub other_gas: u64,
}

impl ValidatorStats {
    fn count_dispute(&mut self, r: &L1Receipt) {
        self.dispute_txs += 1;
        self.dispute_gas += r.gas_used;
    }

    fn count_other(&mut self, r: &L1Receipt) {
        self.other_txs += 1;
        self.other_gas += r.gas_used;
    }
}

/// A validator's state between polls.
pub struct Validator<L> {
    /// The rollup's contracts on L1, used from the validator's signing account.
    pub rollup: RollupL1<L>,
    /// How it runs (its name, lie, pacing).
    pub config: ValidatorConfig,
    me: Address,
    replica: Option<Replica>,
    view: RollupView,
    store: DisputeStore,
    /// Histories of the challenges in play, kept so traces are recorded once.
    histories: BTreeMap<u64, Box<dyn History + Send>>,
    /// The lie, once its block and step are known.
    lie: Option<(u64, Option<u64>)>,
    degree: Option<u64>,
    /// The Rollup's challenge period, read once.
    period: Option<u64>,
    /// What this poll found about its ability to extend the chain, and the health that
    /// follows.
    findings: Findings,
    health: Health,
    /// Messages said once (stuck challenges), so a poll loop does not repeat them.
    said: std::collections::BTreeSet<(u64, u64)>,
    /// Guests it may switch to when a confirmed `STUCK` claim hands the chain to a new
    /// module root (by root).
    next_guests: Vec<Arc<Executor>>,
    /// The L1 transactions it sent and their gas, so far.
    pub stats: ValidatorStats,
    /// What its figures and heartbeats keep between polls (metrics.rs).
    watch: metrics::Watch,
    /// The challenges it follows, as the dispute viewer shows them (board.rs), kept only
    /// once someone took the board to serve it.
    board: board::Board,
    board_wanted: bool,
    /// The ChallengeManager's clock, read once.
    clock: Option<u64>,
}

impl<L: L1 + Clone + 'static> Validator<L> {
    /// What it has read of the rollup on L1 (assertions, challenges), as of its last poll.
    pub fn view(&self) -> &RollupView {
        &self.view
    }

    /// A validator over `rollup`, signing as its L1 handle's account, running the committed
    /// guest.
    pub fn new(rollup: RollupL1<L>, config: ValidatorConfig) -> anyhow::Result<Validator<L>> {
        Self::with_executor(rollup, config, Arc::new(Executor::guest()?))
    }

    /// The same running `executor`'s module (tests run guests built to misbehave).
    pub fn with_executor(
        rollup: RollupL1<L>,
        config: ValidatorConfig,
        executor: Arc<Executor>,
    ) -> anyhow::Result<Validator<L>> {
        let store = DisputeStore::open(&config.data_dir)?;
        let me = rollup.l1.signer();
        let lie = match config.lie {
            Some(LieSpec::At { block, step }) => Some((block, step)),
            // A lie fixed by an earlier run stays where it was, so a restarted liar defends
            // the claims it made.
            Some(_) => store
                .meta(META_LIE)?
                .map(|v| postcard::from_bytes(&v))
                .transpose()?,
            None => None,
        };
        Ok(Validator {
            rollup,
            me,
            replica: Some(Replica::new(executor)),
            view: RollupView::default(),
            store,
            histories: BTreeMap::new(),
            lie,
            degree: None,
            period: None,
            findings: Findings::default(),
            health: Health::Running,
            said: Default::default(),
            next_guests: Vec::new(),
            stats: ValidatorStats::default(),
            watch: metrics::Watch::default(),
            board: board::Board::new(),
            board_wanted: false,
            clock: None,
            config,
        })
    }

    /// Gives it the guests of module roots the chain may move to after a block that cannot
    /// finish: once a `STUCK` claim is confirmed and a family under it runs one of these
    /// roots, it re-runs the stuck range from its start in that guest and goes on.
    pub fn with_next_guests(mut self, guests: Vec<Arc<Executor>>) -> Self {
        self.next_guests = guests;
        self
    }

    /// Its dispute records, by challenge id.
    pub fn records(&self) -> anyhow::Result<Vec<store::DisputeRecord>> {
        self.store.all()
    }

    /// The challenges it follows, for the process's HTTP server to show (a shared handle:
    /// take it before [`Validator::run`]). Until it is taken nothing is kept or read for it.
    pub fn board(&mut self) -> board::Board {
        self.board_wanted = true;
        self.board.clone()
    }

    /// The account it stakes and moves as.
    pub fn address(&self) -> Address {
        self.me
    }

    /// Whether it can still extend the chain, as of its last poll.
    pub fn health(&self) -> &Health {
        &self.health
    }

    /// Runs until the task is dropped, logging and retrying what fails.
    pub async fn run(mut self) {
        loop {
            match self.poll().await {
                Ok(()) => self.watch.beats.polls.beat(),
                Err(e) => {
                    let e = format!("{e:#}");
                    tracing::warn!(validator = %self.config.name, error = %e, "validating (will retry)");
                    self.watch.beats.polls.fail(e);
                }
            }
            self.publish().await;
            self.refresh_board().await;
            tokio::time::sleep(self.config.poll_interval).await;
        }
    }

    /// One round: read L1, execute what arrived, then the duties — moves first, since
    /// clocks run only on the mover's turn.
    pub async fn poll(&mut self) -> anyhow::Result<()> {
        let mut replica = self
            .replica
            .take()
            .expect("the replica is back after every poll");
        let taken_back = replica.stats.reorged;
        let followed = replica
            .follow(
                &self.rollup,
                self.config.confirmations,
                self.config.finalized,
            )
            .await;
        let rewound = replica.stats.reorged != taken_back;
        let (replica, executed) = tokio::task::spawn_blocking(move || {
            let r = replica.execute();
            (replica, r)
        })
        .await?;
        self.replica = Some(replica);
        if self.degree.is_none() {
            self.degree = Some(self.rollup.degree().await?);
        }
        let reorgs = self.view.reorgs;
        if let Err(e) = self.view.update(&self.rollup).await {
            self.watch.beats.l1.fail(format!("{e:#}"));
            return Err(e);
        }
        self.watch.beats.l1.beat();
        if rewound || self.view.reorgs != reorgs {
            // Traces are per challenge id and over the replica's states: a reorg may give an
            // id to another challenge, or change the states.
            self.histories.clear();
        }
        self.findings = Findings::default();
        // Challenges over ranges already executed are played even when following or
        // executing failed this time: their clocks do not wait.
        self.play().await?;
        followed?;
        executed?;
        self.open_challenges().await?;
        self.assert_and_confirm().await?;
        self.recover().await?;
        self.judge_health().await
    }

    /// After a confirmed `STUCK` claim: once the family under it runs a module root it has the
    /// guest of (the first child's, or the one new families get now), re-runs the stuck range
    /// from its start in that guest; the next poll executes and asserts as usual.
    async fn recover(&mut self) -> anyhow::Result<()> {
        if self.replica().stuck_at().is_none() {
            return Ok(());
        }
        let latest = self.rollup.latest_confirmed().await?;
        let Some(s) = self.view.assertion(latest).cloned() else {
            return Ok(());
        };
        if s.state_hash != stuck_state_hash() {
            return Ok(());
        }
        let root = match s.children.first().and_then(|c| self.view.assertion(*c)) {
            Some(child) => child.module_root,
            None => self.rollup.module_root().await?,
        };
        let Some(guest) = self.next_guests.iter().find(|g| g.module().root == root) else {
            return Ok(());
        };
        let from = self.view.assertions[&self.view.start_of(latest)].after_inbox();
        tracing::warn!(
            validator = %self.config.name,
            stuck = latest,
            from,
            %root,
            "re-running the stuck range under the next module root"
        );
        let guest = guest.clone();
        self.replica
            .as_mut()
            .expect("the replica is back after every poll")
            .restart(from, guest)?;
        self.histories.clear();
        Ok(())
    }

    /// Updates its health from this poll's findings, saying every change (a halt as an
    /// error) and publishing it.
    async fn judge_health(&mut self) -> anyhow::Result<()> {
        if let Some(why) = self.replica().stuck() {
            // It claims STUCK and defends that claim like any other; once the claim is
            // confirmed nothing can follow it under this guest: an operator must schedule a
            // new module root.
            let latest = self.rollup.latest_confirmed().await?;
            let stuck_confirmed = self
                .view
                .assertion(latest)
                .is_some_and(|a| a.state_hash == stuck_state_hash());
            if stuck_confirmed {
                self.findings.stuck = Some(format!(
                    "{why}; its STUCK claim #{latest} is confirmed, and the chain goes on only \
                     once a new module root is scheduled and a validator runs that guest"
                ));
            } else {
                self.findings.blocked.get_or_insert(
                    "a block cannot finish: it claims STUCK and defends the claim until it is \
                     confirmed; then the chain needs a new module root",
                );
            }
        }
        if self.period.is_none() {
            self.period = Some(self.rollup.challenge_period().await?);
        }
        let head = self.rollup.l1.head().await?;
        self.watch.head = Some(head.number);
        let now = head.timestamp;
        // The delay bound is one period and a clock (half a period) after a family's first
        // child; waiting on a rule longer than two periods is no longer the protocol at work.
        let limit = 2 * self.period.expect("read above");
        let next = self.health.next(&self.findings, now, limit);
        if next != self.health {
            match &next {
                Health::Halted { reason } => {
                    tracing::error!(validator = %self.config.name, %reason, "it cannot extend the chain")
                }
                Health::Waiting { reason, .. } => {
                    tracing::info!(validator = %self.config.name, %reason, "waiting on a rule")
                }
                Health::Running => tracing::info!(validator = %self.config.name, "running"),
            }
            if let Some(tx) = &self.config.health {
                tx.send_replace(next.clone());
            }
        }
        self.health = next;
        Ok(())
    }

    fn replica(&self) -> &Replica {
        self.replica
            .as_ref()
            .expect("the replica is back after every poll")
    }

    /// What it claims the global state after messages `0 .. position` is: the truth, or for
    /// a liar a wrong state after its lie's block.
    pub fn claim(&self, position: u64) -> Option<GlobalState> {
        let real = self.replica().state(position)?;
        Some(match self.lie {
            Some((block, _)) if position > block => falsify_with(real, self.salt()),
            _ => real,
        })
    }

    /// How a liar falsifies states: from its address, so two liars claim different wrong
    /// states (and challenge each other as well as the truth).
    fn salt(&self) -> u8 {
        self.me.0[19] | 1
    }

    /// The hash of [`Self::claim`] — or `STUCK` for a position past a block that cannot
    /// finish whose messages it has read.
    pub fn claim_hash(&self, position: u64) -> Option<B256> {
        match self.replica().stuck_at() {
            Some(p) if p < position && position <= self.replica().message_count() => {
                Some(stuck_state_hash())
            }
            _ => self.claim(position).map(|gs| gs.hash()),
        }
    }

    /// Its history over the blocks `from .. to`: the truth, or the liar's departing at its
    /// lie when the lie's block is in the range.
    fn history(&self, from: u64, to: u64) -> anyhow::Result<Box<dyn History + Send>> {
        let truth = self.replica().truth(from, to, self.config.budget)?;
        Ok(match self.lie {
            Some((block, step)) if block >= from && block < to => {
                let block = block - from;
                let lie = match step {
                    Some(step) => Lie::Step { block, step },
                    None => Lie::State { block },
                };
                Box::new(Liar::new(truth, lie).with_salt(self.salt()))
            }
            // A lie before the range makes every state of it wrong, including its start —
            // which the opponent's assertion shares, so no challenge over it is possible.
            _ => Box::new(truth),
        })
    }

    /// Fixes a lie given by seed or as "the first batch" inside the range `from .. to`, the
    /// first time it asserts one that holds a batch.
    fn resolve_lie(&mut self, from: u64, to: u64) -> anyhow::Result<()> {
        if self.lie.is_some() {
            return Ok(());
        }
        let Some(first_batch) = self.replica().first_of_kind(from, to, KIND_BATCH) else {
            return Ok(());
        };
        let (block, step) = match self.config.lie {
            Some(LieSpec::FirstBatch { step }) => (first_batch, step),
            Some(LieSpec::Seed(seed)) => {
                // A step within the block's real length, so a machine lie lands where the
                // machine runs.
                let block = from + Lie::from_seed(seed, to - from, 1).block();
                let steps = {
                    let mut truth = self.replica().truth(block, block + 1, self.config.budget)?;
                    truth.trace(0)?.steps()
                };
                match Lie::from_seed(seed, to - from, steps) {
                    Lie::State { .. } => (block, None),
                    Lie::Step { step, .. } => (block, Some(step)),
                }
            }
            _ => return Ok(()),
        };
        tracing::info!(validator = %self.config.name, block, ?step, "lying from this block on");
        let bytes = postcard::to_allocvec(&(block, step)).expect("two integers encode");
        self.store.put_meta(META_LIE, &bytes)?;
        self.lie = Some((block, step));
        Ok(())
    }

    fn say(&self, n: Narration) {
        tracing::info!(validator = %self.config.name, event = ?n, "validator");
        self.count(&n);
        if let Some(tx) = &self.config.narrate {
            let _ = tx.send((self.config.name.clone(), n));
        }
    }
}
