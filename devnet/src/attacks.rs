//! Attacker strategies played against the real honest validator, in lockstep on the embedded
//! L1 (docs/spec/protocol.md, "Rules and the attacks they stop"; `fuse-l2 bench attacks`).
//! A fresh rollup with the project's default economics, a batch of real traffic, one honest
//! [`Validator`], and an attacker with `bonds` funded addresses playing one [`Attack`]. Each
//! round the attacker acts first (so it front-runs whatever the honest validator sends that
//! round), then the honest validator polls, then the clock moves as in [`crate::arena`].
//!
//! A run ends when the honest assertion covering the traffic is confirmed and no challenge is
//! open, and reports what the targets are stated in: the honest assertion's delay from its
//! family's first child, the honest side's L1 transactions and gas, what the honest side was
//! refunded and what the attacker lost ([`Report`]).

use std::sync::Arc;

use alloy_primitives::{Address, U256};
use anyhow::{Context as _, bail};
use fuse_contracts::deploy::{MAX_GAS_PRICE_WEI, RollupConfig};
use fuse_prover::block::Executor;
use fuse_prover::dispute::falsify_with;
use fuse_vm::GlobalState;

use crate::arena::{ARENA_CHAIN_ID, IDLE_STEP, post_traffic};
use fuse_l1::rollup::{MAX_PENDING_DEPTH, PENDING, RollupL1};
use fuse_l1::{DevClock, EmbeddedClock, EmbeddedL1, L1, L1Error};
use fuse_validator::replica::Replica;
use fuse_validator::view::RollupView;
use fuse_validator::{LieSpec, Validator, ValidatorConfig, ValidatorStats};

/// The challenge period of attack runs (the clock is half of it).
pub const PERIOD: u64 = 3_600;
/// The honest validator's latency in a run: a round moves the clock at most `IDLE_STEP`.
pub const LATENCY: u64 = IDLE_STEP;
/// Honest moves in the longest game at the default degree (level 1 over a few blocks, eight
/// level-2 bisections and the proof), plus opening it, the timeout, the rejection and the
/// confirmation.
const HONEST_ROUNDS: u64 = 20;
const TRANSFERS: usize = 4;
const MAX_ROUNDS: usize = 2_000;

/// One strategy of the attacker.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Attack {
    /// No attacker: the honest side's own cost, the baseline.
    None,
    /// Asserts the correct child of every honest assertion before any message follows it.
    DeadEnd,
    /// A liar's rival, then in the family's last seconds a line of Sybil bonds under it and
    /// the liar moving down: deadlines born inside the rival.
    DeadlineRolling,
    /// Every bond challenges the honest staker, the first bond again and again.
    ManyChallenges,
    /// Sybils stand on the honest assertion; the liar challenges them first and loses to
    /// them, so its bond's winnings go to the attacker's own addresses.
    SybilOnHonest,
    /// The liars move their stakes one level down every round, ahead of the honest
    /// validator's `createChallenge`.
    FrontRunChallenge,
    /// Lying validators that play every move, each at the last second of their clock.
    LastSecondLiar,
}

impl Attack {
    /// Every strategy, the baseline first.
    pub const ALL: [Attack; 7] = [
        Attack::None,
        Attack::DeadEnd,
        Attack::DeadlineRolling,
        Attack::ManyChallenges,
        Attack::SybilOnHonest,
        Attack::FrontRunChallenge,
        Attack::LastSecondLiar,
    ];
}

/// What one run showed.
#[derive(Clone, Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// The strategy played.
    pub attack: Attack,
    /// The attacker's bonds (one funded account each).
    pub bonds: usize,
    /// Seconds from the first child of the family the traffic is asserted in to the honest
    /// assertion's confirmation.
    pub delay: u64,
    /// The bound `delay` must stay within, in seconds: `T + C` plus the honest side's latency.
    pub bound: u64,
    /// The honest validator's L1 transactions (all of them).
    pub honest_txs: u64,
    /// The L1 gas those transactions used.
    pub honest_gas: u64,
    /// Wei the honest side gained (refunds; gas is free on the embedded L1).
    pub honest_refunds: U256,
    /// Whether the honest side ended with less than it started with (its stake lost).
    pub honest_lost: bool,
    /// Wei the attacker's addresses lost, all together: bonds, and gas at the stated price
    /// (its lying validators' included).
    pub attacker_loss: U256,
    /// Challenges opened.
    pub challenges: usize,
    /// Whether the honest side won every challenge it was in.
    pub honest_won_all: bool,
    /// Attempts a rule refused (late stakes, second challenges of a pair).
    pub refused: usize,
    /// Rounds played until the honest assertion was confirmed and no challenge was open.
    pub rounds: usize,
}

impl Report {
    /// Wei of the honest side's gas beyond the baseline run's, at the stated gas price.
    pub fn honest_cost(&self, baseline_gas: u64) -> U256 {
        U256::from(self.honest_gas.saturating_sub(baseline_gas)) * U256::from(MAX_GAS_PRICE_WEI)
    }
}

/// The attacker's state across rounds.
struct Attacker {
    attack: Attack,
    accounts: Vec<RollupL1<EmbeddedL1>>,
    view: RollupView,
    replica: Replica,
    /// The lying validators of [`Attack::LastSecondLiar`].
    liars: Vec<Validator<EmbeddedL1>>,
    honest: Address,
    refused: usize,
    /// Gas of the attacker's transactions that landed.
    gas: u64,
    done_opening: bool,
}

/// The gas a landed transaction used.
trait Spent {
    fn gas(&self) -> u64;
}

impl Spent for fuse_l1::L1Receipt {
    fn gas(&self) -> u64 {
        self.gas_used
    }
}

impl<T> Spent for (T, fuse_l1::L1Receipt) {
    fn gas(&self) -> u64 {
        self.1.gas_used
    }
}

/// Plays `attack` with `bonds` attacker bonds; `dir` holds the validators' stores.
pub async fn play(attack: Attack, bonds: usize, dir: &std::path::Path) -> anyhow::Result<Report> {
    let l1 = EmbeddedL1::new(EmbeddedClock::Manual(1_800_000_000));
    let owner = l1.signer();
    let executor = Arc::new(Executor::guest()?);
    let config = RollupConfig::new(owner, ARENA_CHAIN_ID, 600, executor.module().root, PERIOD);
    let clock = config.clock;
    let rollup = RollupL1::deploy(l1.clone(), config).await?;
    let target = post_traffic(&rollup, TRANSFERS).await?;
    let funded = async |seed: u8| -> Result<RollupL1<EmbeddedL1>, L1Error> {
        let who = Address::repeat_byte(seed);
        l1.fund(who, U256::from(10u128.pow(21))).await?;
        Ok(RollupL1::at(l1.as_account(who), rollup.contracts))
    };
    let honest_l1 = funded(0x11).await?;
    let honest_address = honest_l1.l1.signer();
    let mut honest = Validator::with_executor(
        honest_l1,
        ValidatorConfig::honest("honest", dir.join("honest")),
        executor.clone(),
    )?;
    let mut accounts = Vec::new();
    for i in 0..bonds {
        accounts.push(funded(0xa0 + i as u8).await?);
    }
    let mut liars = Vec::new();
    if attack == Attack::LastSecondLiar {
        for (i, a) in accounts.drain(..).enumerate() {
            let mut c = ValidatorConfig::honest(&format!("liar{i}"), dir.join(format!("liar{i}")));
            c.lie = Some(LieSpec::FirstBatch {
                step: Some(20_000 + 1_000 * i as u64),
            });
            c.move_late = Some(2 * LATENCY);
            liars.push(Validator::with_executor(a, c, executor.clone())?);
        }
    }
    let watched: Vec<Address> = accounts
        .iter()
        .map(|a| a.l1.signer())
        .chain(liars.iter().map(|v| v.address()))
        .collect();
    let mut before = Vec::new();
    for a in watched.iter().chain([&honest_address]) {
        before.push(l1.balance(*a).await?);
    }
    let mut attacker = Attacker {
        attack,
        accounts,
        view: RollupView::default(),
        replica: Replica::new(executor),
        liars,
        honest: honest_address,
        refused: 0,
        gas: 0,
        done_opening: false,
    };

    let mut rounds = 0;
    let mut confirmed_at = None;
    while rounds < MAX_ROUNDS {
        rounds += 1;
        let start = l1.head().await?.number;
        attacker
            .act(&rollup, target)
            .await
            .context("the attacker")?;
        honest.poll().await.context("the honest validator")?;
        let latest = rollup.latest_confirmed().await?;
        let covered = rollup.assertion(latest).await?.afterInbox;
        if covered >= target && confirmed_at.is_none() {
            confirmed_at = Some((latest, l1.head().await?.timestamp));
        }
        let open = honest.view().challenges.values().any(|c| c.ended.is_none());
        if confirmed_at.is_some() && !open {
            break;
        }
        let sent = l1.head().await?.number > start;
        l1.advance(if sent { 1 } else { IDLE_STEP }).await?;
    }
    let Some((confirmed, at)) = confirmed_at else {
        bail!("{attack:?} with {bonds} bonds: not resolved after {MAX_ROUNDS} rounds");
    };
    let family = rollup.assertion(confirmed).await?.parent;
    let first_child = rollup.deadline(family).await? - PERIOD;
    // Let the honest validator collect what it is owed.
    honest.poll().await?;

    let mut after = Vec::new();
    for a in watched.iter().chain([&honest_address]) {
        let staked = rollup.staker_info(*a).await?;
        let held = if staked.staked {
            rollup.bond().await?
        } else {
            U256::ZERO
        };
        after.push(l1.balance(*a).await? + held + rollup.credits(*a).await?);
    }
    let n = watched.len();
    let attacker_gas = attacker.gas
        + attacker
            .liars
            .iter()
            .map(|v| v.stats.dispute_gas + v.stats.other_gas)
            .sum::<u64>();
    let attacker_loss = (0..n).fold(U256::ZERO, |acc, i| {
        acc + before[i].saturating_sub(after[i])
    }) + U256::from(attacker_gas) * U256::from(MAX_GAS_PRICE_WEI);
    let ValidatorStats {
        dispute_txs,
        dispute_gas,
        other_txs,
        other_gas,
    } = honest.stats;
    let ended: Vec<_> = honest
        .view()
        .challenges
        .values()
        .filter_map(|c| c.ended)
        .collect();
    let mine = |w: &Address, l: &Address| *w == honest_address || *l == honest_address;
    Ok(Report {
        attack,
        bonds,
        delay: at - first_child,
        bound: PERIOD + clock + HONEST_ROUNDS * LATENCY,
        honest_txs: dispute_txs + other_txs,
        honest_gas: dispute_gas + other_gas,
        honest_refunds: after[n].saturating_sub(before[n]),
        honest_lost: after[n] < before[n],
        attacker_loss,
        challenges: honest.view().challenges.len(),
        honest_won_all: ended
            .iter()
            .filter(|(w, l, _)| mine(w, l))
            .all(|(w, _, _)| *w == honest_address),
        refused: attacker.refused,
        rounds,
    })
}

impl Attacker {
    /// One round of the strategy.
    async fn act(&mut self, rollup: &RollupL1<EmbeddedL1>, target: u64) -> anyhow::Result<()> {
        self.view.update(rollup).await?;
        self.replica.follow(rollup, 0, false).await?;
        self.replica.execute()?;
        for v in &mut self.liars {
            v.poll().await?;
        }
        let now = rollup.l1.head().await?.timestamp;
        // The family the traffic is asserted in: the honest line's assertion whose children
        // end at or past the traffic.
        let Some((parent, honest_child)) = self.attacked_family(target) else {
            return Ok(());
        };
        let deadline = rollup.deadline(parent).await?;
        let last_seconds = deadline != 0 && now + 4 * IDLE_STEP >= deadline && now < deadline;
        match self.attack {
            Attack::None | Attack::LastSecondLiar => {}
            Attack::DeadEnd => self.dead_end().await?,
            Attack::DeadlineRolling => {
                if !self.done_opening {
                    self.rival(0, parent).await?;
                    self.done_opening = true;
                }
                if last_seconds {
                    self.roll(parent).await?;
                }
                self.late_attempts(parent, now, deadline).await?;
            }
            Attack::ManyChallenges => {
                if !self.done_opening {
                    for i in 0..self.accounts.len() {
                        self.rival(i, parent).await?;
                    }
                    self.done_opening = true;
                }
                for i in 0..self.accounts.len() {
                    let tries = if i == 0 { self.accounts.len() } else { 1 };
                    for _ in 0..tries {
                        self.challenge(i, self.honest).await?;
                    }
                }
            }
            Attack::SybilOnHonest => {
                if let (false, Some(h)) = (self.done_opening, honest_child) {
                    self.rival(0, parent).await?;
                    let bond = rollup.bond().await?;
                    for i in 1..self.accounts.len() {
                        let a = self.accounts[i].clone();
                        self.send(a.stake_on(h, bond)).await;
                    }
                    for i in 1..self.accounts.len() {
                        let sybil = self.accounts[i].l1.signer();
                        self.challenge(0, sybil).await?;
                    }
                    self.done_opening = true;
                }
                // The Sybils claim the liar's timeouts in their games: the liar's bond's
                // winnings go to the attacker's own addresses.
                self.timeouts_among_own(rollup).await?;
            }
            Attack::FrontRunChallenge => {
                if !self.done_opening {
                    for i in 0..self.accounts.len() {
                        self.rival(i, parent).await?;
                    }
                    self.done_opening = true;
                }
                for i in 0..self.accounts.len() {
                    self.move_down(i).await?;
                }
            }
        }
        Ok(())
    }

    /// The honest line's assertion whose children cover the traffic, and its honest child.
    fn attacked_family(&self, target: u64) -> Option<(u64, Option<u64>)> {
        let (&parent, _) = self.view.assertions.iter().find(|(_, a)| {
            a.after_inbox() < target
                && a.next_inbox >= target
                && (a.parent == 0
                    || a.state.is_none()
                    || self.is_true(a.after_inbox(), a.state_hash))
        })?;
        let p = &self.view.assertions[&parent];
        let honest = p.children.iter().copied().find(|c| {
            let a = &self.view.assertions[c];
            self.is_true(a.after_inbox(), a.state_hash)
        });
        Some((parent, honest))
    }

    fn is_true(&self, position: u64, hash: alloy_primitives::B256) -> bool {
        self.replica.state(position).map(|s| s.hash()) == Some(hash)
    }

    /// A wrong state after `position`, one per account.
    fn lie(&self, i: usize, position: u64) -> Option<GlobalState> {
        self.replica
            .state(position)
            .map(|s| falsify_with(s, (i as u8).wrapping_mul(2) | 1))
    }

    async fn send<T: Spent>(&mut self, tx: impl Future<Output = Result<T, L1Error>>) -> bool {
        match tx.await {
            Ok(r) => {
                self.gas += r.gas();
                true
            }
            Err(L1Error::Reverted { .. }) => {
                self.refused += 1;
                false
            }
            Err(e) => {
                tracing::warn!(error = %e, "attacker transaction");
                false
            }
        }
    }

    /// Account `i` asserts a wrong rival under `parent` (or stakes on one with its claim).
    async fn rival(&mut self, i: usize, parent: u64) -> anyhow::Result<()> {
        let a = &self.view.assertions[&parent];
        let Some(gs) = self.lie(i, a.next_inbox) else {
            return Ok(());
        };
        let bond = self.bond_for(i).await?;
        let a = self.accounts[i].clone();
        self.send(a.create_assertion(parent, &gs, bond)).await;
        Ok(())
    }

    async fn bond_for(&self, i: usize) -> anyhow::Result<U256> {
        let a = &self.accounts[i];
        Ok(if a.staker_info(a.l1.signer()).await?.staked {
            U256::ZERO
        } else {
            a.bond().await?
        })
    }

    /// Account `i` challenges `defender` (refusals counted).
    async fn challenge(&mut self, i: usize, defender: Address) -> anyhow::Result<()> {
        let a = self.accounts[i].clone();
        self.send(a.create_challenge(defender)).await;
        Ok(())
    }

    /// Account `i` moves its stake one level down its (wrong) line, appending the message
    /// the child's range needs.
    async fn move_down(&mut self, i: usize) -> anyhow::Result<()> {
        let a = self.accounts[i].clone();
        let me = a.staker_info(a.l1.signer()).await?;
        if !me.staked {
            return Ok(());
        }
        let tip = self.view.assertions.get(&me.current).cloned();
        let Some(tip) = tip.filter(|t| t.status == PENDING) else {
            return Ok(());
        };
        let latest = a.latest_confirmed().await?;
        if self.view.height(me.current) + 1 > self.view.height(latest) + MAX_PENDING_DEPTH {
            return Ok(());
        }
        if a.message_count().await? < tip.next_inbox {
            self.send(a.tick()).await;
            self.replica.follow(&a, 0, false).await?;
            self.replica.execute()?;
        }
        let Some(gs) = self.lie(i, tip.next_inbox) else {
            return Ok(());
        };
        self.send(a.create_assertion(me.current, &gs, U256::ZERO))
            .await;
        self.view.update(&a).await?;
        Ok(())
    }

    /// Deadline rolling in the family's last seconds: the liar moves down (a deadline born
    /// inside its rival) and every other bond joins the line below it.
    async fn roll(&mut self, parent: u64) -> anyhow::Result<()> {
        self.move_down(0).await?;
        for i in 1..self.accounts.len() {
            let a = self.accounts[i].clone();
            if a.staker_info(a.l1.signer()).await?.staked {
                continue;
            }
            // The deepest wrong assertion under the liar's rival.
            let tip = self.deepest_wrong_under(parent);
            let Some(tip) = tip else { continue };
            let next = self.view.assertions[&tip].next_inbox;
            if a.message_count().await? < next {
                self.send(a.tick()).await;
                self.replica.follow(&a, 0, false).await?;
                self.replica.execute()?;
            }
            let Some(gs) = self.lie(i, next) else {
                continue;
            };
            let bond = a.bond().await?;
            self.send(a.create_assertion(tip, &gs, bond)).await;
            self.view.update(&a).await?;
        }
        Ok(())
    }

    /// After the deadline: a fresh bond tries to join the wrong line (the rule refuses it).
    async fn late_attempts(&mut self, parent: u64, now: u64, deadline: u64) -> anyhow::Result<()> {
        if deadline == 0 || now < deadline || now > deadline + 3 * IDLE_STEP {
            return Ok(());
        }
        let Some(tip) = self.deepest_wrong_under(parent) else {
            return Ok(());
        };
        for i in 0..self.accounts.len() {
            let a = self.accounts[i].clone();
            if a.staker_info(a.l1.signer()).await?.staked {
                continue;
            }
            let bond = a.bond().await?;
            self.send(a.stake_on(tip, bond)).await;
        }
        Ok(())
    }

    fn deepest_wrong_under(&self, parent: u64) -> Option<u64> {
        let mut best: Option<u64> = None;
        for (&id, a) in &self.view.assertions {
            if a.status != PENDING || self.is_true(a.after_inbox(), a.state_hash) {
                continue;
            }
            if self.view.depth(id, parent).is_some_and(|d| d > 0)
                && best.is_none_or(|b| self.view.height(id) > self.view.height(b))
            {
                best = Some(id);
            }
        }
        best
    }

    /// Asserts the correct child of every pending honest-line assertion that has none,
    /// appending the message its range needs (the dead end the rule closes).
    async fn dead_end(&mut self) -> anyhow::Result<()> {
        let pending: Vec<u64> = self
            .view
            .assertions
            .iter()
            .filter(|(_, a)| a.status == PENDING && a.children.is_empty())
            .filter(|(_, a)| self.is_true(a.after_inbox(), a.state_hash))
            .map(|(&id, _)| id)
            .collect();
        for (k, x) in pending.into_iter().enumerate() {
            let i = k % self.accounts.len();
            let a = self.accounts[i].clone();
            let next = self.view.assertions[&x].next_inbox;
            if a.message_count().await? < next {
                self.send(a.tick()).await;
                self.replica.follow(&a, 0, false).await?;
                self.replica.execute()?;
            }
            let Some(gs) = self.replica.state(next) else {
                continue;
            };
            let me = a.staker_info(a.l1.signer()).await?;
            // A new bond, or its stake moved down when it already stands on `x`.
            let bond = match (me.staked, me.current == x) {
                (false, _) => a.bond().await?,
                (true, true) => U256::ZERO,
                (true, false) => continue,
            };
            self.send(a.create_assertion(x, &gs, bond)).await;
        }
        Ok(())
    }

    /// Calls `timeout` on every game between two attacker addresses that has run out.
    async fn timeouts_among_own(&mut self, rollup: &RollupL1<EmbeddedL1>) -> anyhow::Result<()> {
        let own: Vec<Address> = self.accounts.iter().map(|a| a.l1.signer()).collect();
        let ids: Vec<u64> = self
            .view
            .challenges
            .iter()
            .filter(|(_, c)| c.ended.is_none())
            .filter(|(_, c)| own.contains(&c.challenger) && own.contains(&c.defender))
            .map(|(&id, _)| id)
            .collect();
        for id in ids {
            let s = rollup.challenge_state(id).await?;
            let out = if s.mover == self.view.challenges[&id].challenger {
                s.challenger_left
            } else {
                s.defender_left
            };
            if s.mover != Address::ZERO && out == 0 {
                let a = self.accounts[0].clone();
                self.send(a.timeout(id)).await;
            }
        }
        Ok(())
    }
}
