//! The validator's challenge duties (docs/spec/protocol.md, "Challenges"): open a challenge
//! against every staker of a rival assertion it disagrees with (one per opponent, so several
//! liars are fought at once, each on its own clock), then play every challenge it is in —
//! as challenger or defender — on its turn, time out an opponent whose clock has run out, and
//! forfeit the challenges of an opponent removed elsewhere.
//!
//! The game is rebuilt from the ChallengeManager's `SegmentPosted` events and checked against
//! the stored segment hash before every move, so a move is sent only on its turn over the
//! current segment: a restart can neither repeat a move that landed nor skip one that did not.

use alloy_primitives::Address;
use anyhow::Context as _;
use fuse_prover::dispute::{Decision, Game, Move, decide};

use super::store::{DisputeRecord, MoveRecord, MoveState, Outcome, Role};
use super::view::ChallengeInfo;
use super::{Narration, Validator};
use fuse_l1::rollup::{PENDING, end_reason};
use fuse_l1::{L1, L1Error};

/// A move sent with this little (seconds) left on the mover's clock is urgent: tipped more and
/// replaced sooner (l1/src/rpc/send.rs). An hour is many Ethereum blocks, yet small beside
/// a clock of days.
const URGENT_CLOCK_SECS: u64 = 3_600;

impl<L: L1 + Clone + 'static> Validator<L> {
    /// Opens a challenge against each staker of each pending assertion whose parent it agrees
    /// with and whose claim it does not, from its own rival.
    pub(super) async fn open_challenges(&mut self) -> anyhow::Result<()> {
        let me = self.rollup.staker_info(self.me).await?;
        if !me.staked {
            return Ok(());
        }
        let ours = self.replica().module_root();
        let wrong: Vec<u64> = self
            .view
            .assertions
            .iter()
            .filter(|(_, a)| a.status == PENDING)
            .filter(|(_, a)| {
                let p = &self.view.assertions[&a.parent];
                let agree_parent =
                    a.parent == 0 || self.claim_hash(p.after_inbox()) == Some(p.state_hash);
                let mine = self.claim_hash(a.after_inbox());
                agree_parent && mine.is_some() && mine != Some(a.state_hash)
            })
            .map(|(&id, _)| id)
            .collect();
        for x in wrong {
            let a = self.view.assertions[&x].clone();
            // Our rival: the sibling on the line our stake supports.
            let rival = self.view.assertions[&a.parent]
                .children
                .iter()
                .copied()
                .find_map(|y| (y != x).then(|| self.view.depth(me.current, y).map(|d| (y, d)))?);
            let Some((y, _)) = rival else {
                continue;
            };
            if a.module_root != ours {
                self.findings.unreachable_lie = Some(format!(
                    "assertion {x} is wrong but runs module {}, not its guest's {ours}: it \
                     cannot be challenged from here",
                    a.module_root
                ));
                continue;
            }
            let stakers: Vec<Address> = self
                .view
                .stakers
                .iter()
                .copied()
                .filter(|&s| s != self.me)
                .collect();
            for s in stakers {
                let info = self.rollup.staker_info(s).await?;
                if !info.staked || self.view.depth(info.current, x).is_none() {
                    continue;
                }
                if self.in_challenge_with(s) {
                    continue;
                }
                // The Rollup finds the fork itself; ask it first, so a line that moved since
                // the view was read costs no failed transaction.
                match self.rollup.rivals(self.me, s).await {
                    Ok((rx, ry)) if rx == x && ry == y => {}
                    Ok(_) | Err(L1Error::Reverted { .. }) => continue,
                    Err(e) => return Err(e.into()),
                }
                let (id, receipt) = self.rollup.create_challenge(s).await?;
                self.stats.count_dispute(&receipt);
                // Seen in the view next poll; until then, do not open a second one.
                let info = ChallengeInfo {
                    challenger: self.me,
                    defender: s,
                    x,
                    y,
                    segments: Vec::new(),
                    ended: None,
                };
                self.view.challenges.insert(id, info.clone());
                self.new_record(id, &info)?;
            }
        }
        Ok(())
    }

    /// Whether an open challenge already pits it against `other`, in either role (the Rollup
    /// allows one per pair of stakers).
    fn in_challenge_with(&self, other: Address) -> bool {
        self.view.challenges.values().any(|c| {
            c.ended.is_none()
                && ((c.challenger == self.me && c.defender == other)
                    || (c.challenger == other && c.defender == self.me))
        })
    }

    /// Moves in every open challenge it is in, on its turn.
    pub(super) async fn play(&mut self) -> anyhow::Result<()> {
        let ids: Vec<u64> = self
            .view
            .challenges
            .iter()
            .filter(|(_, c)| c.challenger == self.me || c.defender == self.me)
            .map(|(&id, _)| id)
            .collect();
        for id in ids {
            if let Err(e) = self.play_one(id).await {
                tracing::warn!(validator = %self.config.name, challenge = id, error = %format!("{e:#}"), "challenge move (will retry)");
                self.note_failed_move(id);
            }
        }
        Ok(())
    }

    async fn play_one(&mut self, id: u64) -> anyhow::Result<()> {
        let c = self.view.challenges[&id].clone();
        let mut record = match self.store.get(id)? {
            // The same id over other assertions, or the same ids over other claims: a reorg
            // replaced the challenge the record was about (ids are handed out in order, so
            // the new one took its number).
            Some(r) if (r.x, r.y, r.range) != (c.x, c.y, self.range_of(&c)?) => {
                tracing::warn!(validator = %self.config.name, challenge = id, "an L1 reorg replaced this challenge; starting its record again");
                self.histories.remove(&id);
                self.new_record(id, &c)?
            }
            Some(r) => r,
            None => self.new_record(id, &c)?,
        };
        if record.outcome.is_some() && c.ended.is_none() {
            // Its end was on blocks a reorg replaced: the game goes on.
            tracing::warn!(validator = %self.config.name, challenge = id, "an L1 reorg undid this challenge's end; playing on");
            record.outcome = None;
            self.store.put(&record)?;
        }
        if record.outcome.is_some() {
            return Ok(());
        }
        if c.ended.is_some() {
            // A last move in flight at a stop (the proof) is settled before the outcome.
            let current = match c.segments.last() {
                Some(_) => self.game(&c)?.segment.hash().0,
                None => [0; 32],
            };
            self.reconcile(&mut record, &c, current)?;
        }
        if let Some((winner, _, reason)) = c.ended {
            record.outcome = Some(Outcome {
                won: winner == self.me,
                reason: end_reason(reason).to_string(),
            });
            self.store.put(&record)?;
            self.histories.remove(&id);
            self.say(Narration::Ended {
                id,
                won: winner == self.me,
                reason: end_reason(reason),
            });
            return Ok(());
        }
        if c.segments.is_empty() {
            return Ok(());
        }
        let state = self.rollup.challenge_state(id).await?;
        let game = self.game(&c)?;
        let current = game.segment.hash();
        self.reconcile(&mut record, &c, current.0)?;
        if state.mover == Address::ZERO || current != state.segment_hash {
            // Ended, or events not read up to the last move yet.
            return Ok(());
        }
        let (opponent, role) = if c.challenger == self.me {
            (c.defender, Role::Challenger)
        } else {
            (c.challenger, Role::Defender)
        };
        let (mine_left, theirs_left) = match role {
            Role::Challenger => (state.challenger_left, state.defender_left),
            Role::Defender => (state.defender_left, state.challenger_left),
        };
        self.watch.clocks.insert(id, mine_left);
        if self.rollup.staker_info(opponent).await?.removed {
            let receipt = self.rollup.forfeit_challenge(id).await?;
            self.stats.count_dispute(&receipt);
            self.say(Narration::Forfeited { id });
            return Ok(());
        }
        if state.mover != self.me {
            if theirs_left == 0 {
                match self.rollup.timeout(id).await {
                    Ok(receipt) => {
                        self.stats.count_dispute(&receipt);
                        self.say(Narration::TimedOut {
                            id,
                            loser: opponent,
                        })
                    }
                    // Exactly at the budget a move is still allowed: next poll.
                    Err(L1Error::Reverted { .. }) => {}
                    Err(e) => return Err(e.into()),
                }
            }
            return Ok(());
        }
        if self
            .config
            .move_late
            .is_some_and(|margin| mine_left > margin)
        {
            return Ok(());
        }
        if mine_left < 2 * self.config.poll_interval.as_secs().max(1) {
            tracing::warn!(validator = %self.config.name, challenge = id, seconds_left = mine_left, "our clock is nearly out");
        }
        // Told on every poll of our turn, while there is still time to raise the ceiling.
        // A failed read is no reason to skip the move: the warning waits for the next poll.
        if let Ok(Some((base_fee, ceiling))) = self.rollup.l1.fee_blocked().await {
            tracing::error!(
                validator = %self.config.name,
                challenge = id,
                seconds_left = mine_left,
                base_fee,
                ceiling,
                "the L1 base fee is above our fee ceiling: our move cannot be mined until it \
                 falls, and our clock runs; raise --max-fee-gwei or the clock may run out"
            );
        }
        let mut history = match self.histories.remove(&id) {
            Some(h) => h,
            None => self.history(record.range.0, record.range.1)?,
        };
        let g = game.clone();
        let (decision, history) = tokio::task::spawn_blocking(move || {
            let d = decide(&g, history.as_mut());
            (d, history)
        })
        .await?;
        self.histories.insert(id, history);
        let decision = decision.with_context(|| format!("deciding a move in challenge {id}"))?;
        let m = match decision {
            Decision::Move(m) => m,
            Decision::Stuck { index } => {
                let step = game.segment.interval(index).0;
                if self.said.insert((id, step)) {
                    self.say(Narration::OutOfMoves { id, step });
                }
                return Ok(());
            }
        };
        let (index, name) = match &m {
            Move::Bisect { index, .. }
            | Move::EnterLevelTwo { index, .. }
            | Move::EnterLevelTwoFinishing { index, .. }
            | Move::Prove { index, .. } => (*index, m.name()),
        };
        let seg = &game.segment;
        record.moves.push(MoveRecord {
            name: name.to_string(),
            level: seg.level,
            start: seg.start,
            length: seg.length,
            segment_hash: current.0,
            index,
            state: MoveState::Sending,
            clock_left: mine_left,
        });
        self.store.put(&record)?;
        let urgent = mine_left <= URGENT_CLOCK_SECS;
        let receipt = self.rollup.send_move_with(id, seg, &m, urgent).await?;
        self.stats.count_dispute(&receipt);
        let last = record.moves.last_mut().expect("pushed above");
        last.state = MoveState::Mined {
            l1_tx: receipt.tx_hash.0,
            gas: receipt.gas_used,
        };
        self.store.put(&record)?;
        self.say(Narration::Moved {
            id,
            name,
            level: seg.level,
            start: seg.start,
            length: seg.length,
            index,
            gas: receipt.gas_used,
            clock_left: mine_left,
        });
        Ok(())
    }

    /// The record of a challenge it is in: one it just opened, one opened against it, or one
    /// it opened before a stop lost the record.
    /// The inbox positions challenge `c`'s range runs between, from the view.
    pub(crate) fn range_of(&self, c: &ChallengeInfo) -> anyhow::Result<(u64, u64)> {
        let x = self
            .view
            .assertion(c.x)
            .context("the challenged assertion is unknown")?;
        let start = self
            .view
            .assertion(self.view.start_of(x.parent))
            .context("its parent is unknown")?;
        // Below a stuck parent the range starts where the parent's own range started.
        Ok((start.after_inbox(), x.after_inbox()))
    }

    fn new_record(&mut self, id: u64, c: &ChallengeInfo) -> anyhow::Result<DisputeRecord> {
        let (role, opponent) = if c.challenger == self.me {
            (Role::Challenger, c.defender)
        } else {
            (Role::Defender, c.challenger)
        };
        let record = DisputeRecord {
            id,
            role,
            opponent: opponent.into(),
            x: c.x,
            y: c.y,
            range: self.range_of(c)?,
            moves: Vec::new(),
            outcome: None,
        };
        self.store.put(&record)?;
        self.say(Narration::ChallengeOpened {
            id,
            x: c.x,
            y: c.y,
            opponent,
            blocks: record.range.1 - record.range.0,
        });
        Ok(record)
    }

    /// Settles moves recorded as being sent when the process stopped: a bisection whose
    /// segment is no longer current landed (only its answer was lost), one whose segment still
    /// is never did and is decided again; a proof landed if the challenge ended with this
    /// validator winning by proof.
    fn reconcile(
        &self,
        record: &mut DisputeRecord,
        c: &ChallengeInfo,
        current: [u8; 32],
    ) -> anyhow::Result<()> {
        let mut changed = false;
        let proved = c
            .ended
            .is_some_and(|(winner, _, reason)| winner == self.me && reason == 0);
        for m in record
            .moves
            .iter_mut()
            .filter(|m| m.state == MoveState::Sending)
        {
            let landed = if m.name == "proveOneStep" {
                proved
            } else {
                m.segment_hash != current
            };
            m.state = if landed {
                MoveState::LandedAnswerLost
            } else {
                MoveState::Dropped
            };
            tracing::info!(validator = %self.config.name, challenge = record.id, state = ?m.state, "a move in flight at the last stop");
            changed = true;
        }
        if changed {
            self.store.put(record)?;
        }
        Ok(())
    }

    /// The game as published: the opening segment, then every move's.
    fn game(&self, c: &ChallengeInfo) -> anyhow::Result<Game> {
        let x = self
            .view
            .assertion(c.x)
            .context("the challenged assertion is unknown")?;
        let mut game = Game {
            segment: c.segments[0].1.clone(),
            block: None,
            degree: self.degree.context("the degree is read before playing")?,
            module_root: x.module_root,
        };
        for (_, s) in &c.segments[1..] {
            game.advance(s.clone())?;
        }
        Ok(game)
    }
}
