//! The validator's assertion duties (docs/spec/protocol.md, "Assertions", "Stakes"): confirm
//! the child of the latest confirmed assertion it agrees with once its deadline passes —
//! rejecting, deepest first, the rivals nobody supports any more — then extend its line: stake
//! on an existing child that claims what it computed, or create one; and collect its winnings.

use alloy_primitives::U256;
use fuse_vm::hash::stuck_state_hash;

use super::store::DisputeStore;
use super::{Narration, Validator};
use fuse_l1::L1;
use fuse_l1::rollup::{CONFIRMED, MAX_PENDING_DEPTH, PENDING, StakerInfo};

impl<L: L1 + Clone + 'static> Validator<L> {
    pub(super) async fn assert_and_confirm(&mut self) -> anyhow::Result<()> {
        let info = self.rollup.staker_info(self.me).await?;
        self.watch.stake = Some(info);
        // An honest validator never loses a challenge: if it did, something is wrong with it
        // (its guest, its L1 view), and an operator must look.
        self.findings.stake_lost =
            self.config.lie.is_none() && (info.removed || lost_any(&self.store)?);
        if info.removed {
            // It lost a challenge; its other challenges are being forfeited.
            return Ok(());
        }
        self.confirm().await?;
        if self.retired()? {
            return Ok(());
        }
        // A stake that vanished while a challenge of ours is still unsettled in the store was
        // lost in it (the Rollup forgets a removed staker once its last challenge ends): learn
        // the outcome from the events first rather than bond again.
        // (A record of a challenge no longer on L1 — a reorg removed its opening — is void.)
        if !info.staked
            && self
                .store
                .all()?
                .iter()
                .any(|d| d.outcome.is_none() && self.view.challenges.contains_key(&d.id))
        {
            return Ok(());
        }
        let info = self.catch_up(info).await?;
        self.watch.stake = Some(info);
        self.findings.blocked = self.extend(info).await?;
        self.collect().await
    }

    /// A stake left on a confirmed assertion behind the latest confirmed one (the chain was
    /// confirmed past it on assertions others made) cannot move: stakes move only to a child,
    /// and the confirmed child is no longer pending. Withdraw it once no challenge holds it,
    /// so the next poll stakes again from the latest confirmed assertion.
    async fn catch_up(&mut self, info: StakerInfo) -> anyhow::Result<StakerInfo> {
        if !info.staked || info.open_challenges > 0 {
            return Ok(info);
        }
        let latest = self.rollup.latest_confirmed().await?;
        if info.current == latest || self.rollup.assertion(info.current).await?.status != CONFIRMED
        {
            return Ok(info);
        }
        let receipt = self.rollup.withdraw_stake().await?;
        self.stats.count_other(&receipt);
        self.say(Narration::Unstaked { from: info.current });
        Ok(self.rollup.staker_info(self.me).await?)
    }

    /// A liar that has lost a challenge is out of moves: it posts nothing more.
    fn retired(&self) -> anyhow::Result<bool> {
        Ok(self.config.lie.is_some() && lost_any(&self.store)?)
    }

    /// The pending child of `parent` whose claim it shares, if any.
    fn agreed_child(&self, parent: u64) -> Option<u64> {
        let p = self.view.assertion(parent)?;
        p.children.iter().copied().find(|c| {
            self.view.assertion(*c).is_some_and(|a| {
                a.status == PENDING && self.claim_hash(a.after_inbox()) == Some(a.state_hash)
            })
        })
    }

    async fn confirm(&mut self) -> anyhow::Result<()> {
        let mut latest = self.rollup.latest_confirmed().await?;
        while let Some(child) = self.agreed_child(latest) {
            let now = self.rollup.l1.head().await?.timestamp;
            if now < self.rollup.deadline(latest).await? {
                break;
            }
            let rivals: Vec<u64> = self.view.assertions[&latest]
                .children
                .iter()
                .copied()
                .filter(|&c| c != child && self.view.assertions[&c].status == PENDING)
                .collect();
            for r in rivals {
                self.reject_branch(r, now).await?;
            }
            if self.rollup.assertion(latest).await?.liveChildren != 1 {
                // A staked rival remains: a challenge removes its stakers first.
                break;
            }
            let receipt = self.rollup.confirm(child).await?;
            self.stats.count_other(&receipt);
            let position = self.view.assertions[&child].after_inbox();
            self.say(Narration::Confirmed {
                id: child,
                position,
            });
            latest = child;
        }
        Ok(())
    }

    /// Rejects rival `id` once its family's deadline has passed and no stake is left under
    /// it. Its descendants need no rejection: nothing is ever confirmed under a rejected
    /// assertion.
    async fn reject_branch(&mut self, id: u64, now: u64) -> anyhow::Result<()> {
        let a = self.rollup.assertion(id).await?;
        if a.status != PENDING || a.subtreeStakers != 0 {
            return Ok(());
        }
        if now < self.rollup.deadline(a.parent).await? {
            return Ok(());
        }
        let receipt = self.rollup.reject(id).await?;
        self.stats.count_other(&receipt);
        self.say(Narration::Rejected { id });
        Ok(())
    }

    /// Extends its line: stakes on the child that claims what it computed, or creates one.
    /// Returns the rule that makes it wait, if one does (a closed family, the depth bound).
    async fn extend(&mut self, info: StakerInfo) -> anyhow::Result<Option<&'static str>> {
        if info.staked {
            // A lie given by seed or as "the first batch" is fixed over the ranges of the line
            // before the line is followed (once fixed, the line stops at it).
            let mut at = info.current;
            while let Some(a) = self.view.assertion(at).cloned() {
                if self.replica().executed() >= a.next_inbox {
                    self.resolve_lie(a.after_inbox(), a.next_inbox)?;
                }
                match self.agreed_child(at) {
                    Some(c) => at = c,
                    None => break,
                }
            }
            if !self.agreed_line(info.current).is_empty() {
                return self.follow(info.current).await;
            }
        }
        let tip = if info.staked {
            info.current
        } else {
            self.rollup.latest_confirmed().await?
        };
        let Some(t) = self.view.assertion(tip).cloned() else {
            return Ok(None);
        };
        // A stuck assertion's first child needs another module root than its own; and until
        // the replica re-runs the range in that root's guest there is nothing to claim.
        if t.state_hash == stuck_state_hash()
            && (self.replica().stuck_at().is_some()
                || (t.children.is_empty() && self.rollup.module_root().await? == t.module_root))
        {
            return Ok(Some(
                "a STUCK assertion's children wait for a new module root and its guest",
            ));
        }
        // Below a stuck assertion the range re-runs from where the stuck one's started.
        let from = self.view.assertions[&self.view.start_of(tip)].after_inbox();
        let to = t.next_inbox;
        // A range holding a block that cannot finish is claimed STUCK once its messages are
        // read; otherwise a range is asserted once executed.
        let stuck = self
            .replica()
            .stuck_at()
            .is_some_and(|p| p < to && to <= self.replica().message_count());
        if to <= from || (self.replica().executed() < to && !stuck) {
            return Ok(None);
        }
        // A range of ticks alone is asserted only to reach what follows it — unless someone
        // else asserted it: then it is staked on or rivalled like any other, or a wrong claim
        // over a quiet stretch of chain would go unanswered.
        let executed = self.replica().executed();
        let asserted = t
            .children
            .iter()
            .any(|c| self.view.assertion(*c).is_some_and(|a| a.status == PENDING));
        if !asserted && !stuck && !self.replica().any_substantive(from, executed) {
            return Ok(None);
        }
        if !stuck {
            self.resolve_lie(from, to)?;
        }
        let bond = if info.staked {
            U256::ZERO
        } else {
            self.rollup.bond().await?
        };
        // Two validators with the same claim share one assertion: identical siblings could
        // never be confirmed (every sibling must be rejected first).
        if let Some(c) = self.agreed_child(tip) {
            if !(info.staked && info.current == c) {
                if !self.rollup.family_open(tip).await? {
                    return Ok(Some(
                        "the family of an assertion it agrees with closed before it joined",
                    ));
                }
                let receipt = self.rollup.stake_on(c, bond).await?;
                self.stats.count_other(&receipt);
                self.say(Narration::StakedOn { id: c });
            }
            return Ok(None);
        }
        // A new bond enters only while the latest confirmed assertion's family is open, and
        // no line grows past the Rollup's depth limit: wait for confirmations.
        let latest = self.rollup.latest_confirmed().await?;
        if !info.staked && !self.rollup.family_open(latest).await? {
            return Ok(Some(
                "its new bond waits for the latest confirmed assertion's family to open",
            ));
        }
        if self.view.height(tip) + 1 > self.view.height(latest) + MAX_PENDING_DEPTH {
            return Ok(Some(
                "its line is as deep below the latest confirmed assertion as the Rollup allows",
            ));
        }
        if stuck {
            let (id, receipt) = self.rollup.create_stuck_assertion(tip, bond).await?;
            self.stats.count_other(&receipt);
            self.say(Narration::AssertedStuck {
                id,
                parent: tip,
                position: self.replica().stuck_at().expect("stuck above"),
            });
            return Ok(None);
        }
        let claim = self.claim(to).expect("executed above");
        let (id, receipt) = self.rollup.create_assertion(tip, &claim, bond).await?;
        self.stats.count_other(&receipt);
        let lying = self.replica().state(to) != Some(claim);
        self.say(Narration::Asserted {
            id,
            parent: tip,
            position: to,
            lying,
        });
        Ok(None)
    }

    /// The line of pending assertions it agrees with below `from`, each the child of the one
    /// before (`from` excluded).
    fn agreed_line(&self, from: u64) -> Vec<u64> {
        let mut line = Vec::new();
        let mut at = from;
        while let Some(c) = self.agreed_child(at) {
            line.push(c);
            at = c;
        }
        line
    }

    /// Follows the line of assertions it agrees with that others made below its stake. At
    /// once when it must stand lower — a wrong assertion hangs off the line, or it is about to
    /// extend the line's end itself — and otherwise only once a family on the way is within
    /// half a period of its deadline; then all the way down in one transaction (a stake moves
    /// any number of levels at once). A line made a level at a time to make it pay a move a
    /// level costs it one move per half period.
    async fn follow(&mut self, current: u64) -> anyhow::Result<Option<&'static str>> {
        let line = self.agreed_line(current);
        let deepest = *line.last().expect("a line to follow");
        // The families it passes through: those of `current` and of every assertion on the
        // line but the last.
        let families: Vec<u64> = std::iter::once(current)
            .chain(line[..line.len() - 1].iter().copied())
            .collect();
        let wrong_beside = families.iter().zip(&line).any(|(p, next)| {
            self.view.assertions[p]
                .children
                .iter()
                .any(|c| c != next && self.view.assertion(*c).is_some_and(|a| a.status == PENDING))
        });
        let end = &self.view.assertions[&deepest];
        let executed = self.replica().executed();
        let extends_end = executed >= end.next_inbox
            && (end
                .children
                .iter()
                .any(|c| self.view.assertion(*c).is_some_and(|a| a.status == PENDING))
                || self.replica().any_substantive(end.after_inbox(), executed));
        let mut must = wrong_beside || extends_end;
        if !must {
            if self.period.is_none() {
                self.period = Some(self.rollup.challenge_period().await?);
            }
            let now = self.rollup.l1.head().await?.timestamp;
            let margin = self.period.expect("read above") / 2;
            for p in &families {
                let d = self.rollup.deadline(*p).await?;
                if d != 0 && d <= now + margin {
                    must = true;
                    break;
                }
            }
        }
        if !must {
            return Ok(None);
        }
        for p in &families {
            if !self.rollup.family_open(*p).await? {
                return Ok(Some(
                    "the family of an assertion it agrees with closed before it joined",
                ));
            }
        }
        let receipt = self.rollup.stake_on(deepest, U256::ZERO).await?;
        self.stats.count_other(&receipt);
        self.say(Narration::StakedOn { id: deepest });
        Ok(None)
    }

    /// Withdraws challenge winnings.
    async fn collect(&mut self) -> anyhow::Result<()> {
        let credits = self.rollup.credits(self.me).await?;
        if credits > U256::ZERO {
            let receipt = self.rollup.withdraw_funds().await?;
            self.stats.count_other(&receipt);
            self.say(Narration::Withdrew {
                wei: credits.saturating_to(),
            });
        }
        Ok(())
    }
}

fn lost_any(store: &DisputeStore) -> anyhow::Result<bool> {
    Ok(store
        .all()?
        .iter()
        .any(|d| d.outcome.as_ref().is_some_and(|o| !o.won)))
}
