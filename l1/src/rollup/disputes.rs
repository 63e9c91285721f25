//! The dispute side of the rollup's contracts over any [`L1`]: stakes, rejections, challenges
//! and their moves (docs/spec/protocol.md), and the Rollup's and the ChallengeManager's events
//! decoded into [`RollupEvent`]s — the only way a validator learns what others did.

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::{SolCall, SolEvent};
use fuse_contracts::rollup::{ChallengeManager, Rollup};
use fuse_primitives::GlobalState;
use fuse_prover::dispute::{Move, Segment};

use super::RollupL1;
use crate::{L1, L1Error, L1Log, L1Receipt, L1Tx};

// An assertion's status as the Rollup stores it (`AssertionStatus`, RollupTypes.sol; 0 is
// `None`, an id never created).
/// `AssertionStatus.Pending`: created, neither confirmed nor rejected yet.
pub const PENDING: u8 = 1;
/// `AssertionStatus.Confirmed`: its claimed state is final and its outbox root payable.
pub const CONFIRMED: u8 = 2;
/// `AssertionStatus.Rejected`: out of the tree for good; nothing under it is ever confirmed.
pub const REJECTED: u8 = 3;

pub use fuse_contracts::deploy::MAX_PENDING_DEPTH;

/// What the Rollup stores of a staker.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StakerInfo {
    /// The assertion its bond supports (once removed, the one it was on when it lost).
    pub current: u64,
    /// Challenges it is a party to that have not ended.
    pub open_challenges: u64,
    /// Open challenges whose opponent its bond holds a refund for.
    pub reserved: u64,
    /// Whether it has a live bond on `current`.
    pub staked: bool,
    /// Whether it lost its bond in a challenge while others were still open: it cannot
    /// stake again until those end.
    pub removed: bool,
}

/// What the ChallengeManager stores of a challenge that a party reads before moving.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChallengeState {
    /// The party to move (zero once ended).
    pub mover: Address,
    /// Seconds left on the challenger's clock now (the time since the last move already
    /// deducted on its turn; zero once ended).
    pub challenger_left: u64,
    /// Seconds left on the defender's clock now (the time since the last move already
    /// deducted on its turn; zero once ended).
    pub defender_left: u64,
    /// The stored hash of the current segment.
    pub segment_hash: B256,
}

/// One event of the Rollup or the ChallengeManager that a validator acts on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RollupEvent {
    /// `Rollup.AssertionCreated`: a new assertion claims a state after its parent's range.
    AssertionCreated {
        /// The new assertion's id (genesis is 0).
        id: u64,
        /// The assertion it extends.
        parent: u64,
        /// The account that created it, staked on it by the same call (zero for genesis).
        creator: Address,
        /// The claimed global state (all zero but the inbox position for a `STUCK` claim).
        state: GlobalState,
        /// The claim as the Rollup stores it: `gsHash(state)`, or `STUCK` for a claim that
        /// a block of the range cannot finish.
        state_hash: B256,
        /// The inbox position its own children's range ends at: the message count at its
        /// creation, at least one past `state.inbox_position`.
        next_inbox: u64,
        /// The module root its range runs under (its family's).
        module_root: B256,
    },
    /// `Rollup.AssertionConfirmed`: an assertion became the latest confirmed one.
    AssertionConfirmed {
        /// The confirmed assertion; its outbox root is now payable.
        id: u64,
    },
    /// `Rollup.AssertionRejected`: an assertion left the tree for good.
    AssertionRejected {
        /// The rejected assertion.
        id: u64,
    },
    /// A new stake (`Staked`) or a stake moved down (`StakerMoved`): `staker` is on `to`.
    StakeOn {
        /// The account whose bond it is.
        staker: Address,
        /// The assertion the stake now supports.
        to: u64,
    },
    /// `Rollup.StakerRemoved`: a staker lost a challenge and with it its bond.
    StakerRemoved {
        /// The account that lost its stake.
        staker: Address,
        /// The assertion its stake was on when it lost.
        assertion: u64,
        /// The winner of the challenge that removed it.
        winner: Address,
    },
    /// `Rollup.ChallengeOpened`: `challenger` disputes the line `defender` is staked on.
    ChallengeOpened {
        /// The ChallengeManager's id of the new challenge (from 1).
        id: u64,
        /// The staker who opened it; it moves first.
        challenger: Address,
        /// The staker whose line is disputed; its side claims the opening segment.
        defender: Address,
        /// The rival on the defender's line, whose block range the game is over.
        x: u64,
        /// The rival on the challenger's line, `x`'s sibling.
        y: u64,
    },
    /// `ChallengeManager.SegmentPosted`: a challenge's new current segment, the one the
    /// next move resubmits.
    SegmentPosted {
        /// The challenge.
        id: u64,
        /// The party claiming it: the defender for the opening segment, otherwise the party
        /// that just moved.
        claimant: Address,
        /// The claimed hashes at the split points of its interval (level 1: global-state
        /// hashes after blocks; level 2: machine hashes after steps of one block).
        segment: Segment,
    },
    /// `ChallengeManager.OneStepProven`: a one-step proof refuted the claimed step, ending
    /// the challenge.
    OneStepProven {
        /// The challenge it settled.
        id: u64,
        /// The party that proved it, and so won.
        prover: Address,
        /// The machine hash the disputed step starts from.
        pre: B256,
        /// The machine hash the opponent claimed after the step.
        claimed: B256,
        /// The machine hash the OneStepProver computed after the step.
        proven: B256,
    },
    /// `ChallengeManager.ChallengeEnded`: a challenge is over; nothing can move in it again.
    ChallengeEnded {
        /// The challenge that ended.
        id: u64,
        /// The party that won.
        winner: Address,
        /// The party that lost; the Rollup removes its stake unless a loss elsewhere already
        /// did (always so for a forfeit).
        loser: Address,
        /// How it ended: 0 one-step proof, 1 timeout, 2 forfeit ([`end_reason`] names it).
        reason: u8,
    },
}

/// How a challenge ended, as `ChallengeEnded.reason` says it.
pub fn end_reason(reason: u8) -> &'static str {
    match reason {
        0 => "one-step proof",
        1 => "timeout",
        2 => "forfeit",
        _ => "unknown",
    }
}

fn id(v: U256) -> u64 {
    v.saturating_to()
}

/// The events of `log`, if it is one a validator acts on.
fn decode(log: &L1Log) -> Option<RollupEvent> {
    let l = &log.log;
    let topic = *l.topics().first()?;
    Some(match topic {
        t if t == Rollup::AssertionCreated::SIGNATURE_HASH => {
            let e = Rollup::AssertionCreated::decode_log(l).ok()?;
            RollupEvent::AssertionCreated {
                id: id(e.id),
                parent: id(e.parentId),
                creator: e.creator,
                state: GlobalState {
                    state_root: e.afterState.stateRoot,
                    outbox_root: e.afterState.outboxRoot,
                    inbox_position: e.afterState.inboxPosition,
                    block_number: e.afterState.blockNumber,
                },
                state_hash: e.afterStateHash,
                next_inbox: id(e.nextInbox),
                module_root: e.moduleRoot,
            }
        }
        t if t == Rollup::AssertionConfirmed::SIGNATURE_HASH => {
            let e = Rollup::AssertionConfirmed::decode_log(l).ok()?;
            RollupEvent::AssertionConfirmed { id: id(e.id) }
        }
        t if t == Rollup::AssertionRejected::SIGNATURE_HASH => {
            let e = Rollup::AssertionRejected::decode_log(l).ok()?;
            RollupEvent::AssertionRejected { id: id(e.id) }
        }
        t if t == Rollup::Staked::SIGNATURE_HASH => {
            let e = Rollup::Staked::decode_log(l).ok()?;
            RollupEvent::StakeOn {
                staker: e.staker,
                to: id(e.assertionId),
            }
        }
        t if t == Rollup::StakerMoved::SIGNATURE_HASH => {
            let e = Rollup::StakerMoved::decode_log(l).ok()?;
            RollupEvent::StakeOn {
                staker: e.staker,
                to: id(e.to),
            }
        }
        t if t == Rollup::StakerRemoved::SIGNATURE_HASH => {
            let e = Rollup::StakerRemoved::decode_log(l).ok()?;
            RollupEvent::StakerRemoved {
                staker: e.staker,
                assertion: id(e.assertionId),
                winner: e.winner,
            }
        }
        t if t == Rollup::ChallengeOpened::SIGNATURE_HASH => {
            let e = Rollup::ChallengeOpened::decode_log(l).ok()?;
            RollupEvent::ChallengeOpened {
                id: id(e.challengeId),
                challenger: e.challenger,
                defender: e.defender,
                x: id(e.x),
                y: id(e.y),
            }
        }
        t if t == ChallengeManager::SegmentPosted::SIGNATURE_HASH => {
            let e = ChallengeManager::SegmentPosted::decode_log(l).ok()?;
            RollupEvent::SegmentPosted {
                id: id(e.id),
                claimant: e.claimant,
                segment: Segment {
                    level: e.level,
                    start: id(e.start),
                    length: id(e.length),
                    hashes: e.hashes.clone(),
                },
            }
        }
        t if t == ChallengeManager::OneStepProven::SIGNATURE_HASH => {
            let e = ChallengeManager::OneStepProven::decode_log(l).ok()?;
            RollupEvent::OneStepProven {
                id: id(e.id),
                prover: e.prover,
                pre: e.preHash,
                claimed: e.claimedPostHash,
                proven: e.provenPostHash,
            }
        }
        t if t == ChallengeManager::ChallengeEnded::SIGNATURE_HASH => {
            let e = ChallengeManager::ChallengeEnded::decode_log(l).ok()?;
            RollupEvent::ChallengeEnded {
                id: id(e.id),
                winner: e.winner,
                loser: e.loser,
                reason: e.reason,
            }
        }
        _ => return None,
    })
}

/// A segment as the ChallengeManager's ABI carries it.
pub fn sol_segment(s: &Segment) -> ChallengeManager::Segment {
    ChallengeManager::Segment {
        level: s.level,
        start: U256::from(s.start),
        length: U256::from(s.length),
        hashes: s.hashes.clone(),
    }
}

/// The ChallengeManager calldata of move `m` on challenge `id` whose current segment is
/// `old`: the one encoder of every move, which the validator, the contract tests and the cost
/// benchmark all send.
pub fn move_calldata(id: U256, old: &Segment, m: &Move) -> Vec<u8> {
    let old = sol_segment(old);
    match m {
        Move::Bisect { index, next } => ChallengeManager::bisectCall {
            id,
            old,
            index: U256::from(*index),
            next: next.clone(),
        }
        .abi_encode(),
        Move::EnterLevelTwo { index, next } => ChallengeManager::enterLevelTwoCall {
            id,
            old,
            index: U256::from(*index),
            next: next.clone(),
        }
        .abi_encode(),
        Move::EnterLevelTwoFinishing {
            index,
            next,
            finished,
        } => ChallengeManager::enterLevelTwoFinishingCall {
            id,
            old,
            index: U256::from(*index),
            next: next.clone(),
            finishedState: *finished,
        }
        .abi_encode(),
        Move::Prove { index, proof, .. } => ChallengeManager::proveOneStepCall {
            id,
            old,
            index: U256::from(*index),
            proof: proof.clone().into(),
        }
        .abi_encode(),
    }
}

impl<L: L1> RollupL1<L> {
    /// The Rollup's and the ChallengeManager's events in L1 blocks `from ..= to` (none before
    /// the deployment block): each contract's in the order emitted, the Rollup's first.
    pub async fn rollup_events(&self, from: u64, to: u64) -> Result<Vec<RollupEvent>, L1Error> {
        let from = from.max(self.contracts.block);
        let mut out = Vec::new();
        if from > to {
            return Ok(out);
        }
        for address in [self.contracts.rollup, self.contracts.challenges] {
            let logs = self.l1.logs(address, from, to).await?;
            out.extend(logs.iter().filter_map(decode));
        }
        Ok(out)
    }

    /// Stakes on pending assertion `id` (a new bond of `bond`, or the stake moved down with
    /// `bond` zero).
    pub async fn stake_on(&self, id: u64, bond: U256) -> Result<L1Receipt, L1Error> {
        let call = Rollup::stakeOnCall { id: U256::from(id) };
        self.send(self.contracts.rollup, call, bond).await
    }

    /// Whether `parent`'s family still takes rivals and stakes (no child yet, or before its
    /// deadline, by the L1's latest block).
    pub async fn family_open(&self, parent: u64) -> Result<bool, L1Error> {
        let deadline = self.deadline(parent).await?;
        Ok(deadline == 0 || self.l1.head().await?.timestamp < deadline)
    }

    /// Rejects assertion `id`.
    pub async fn reject(&self, id: u64) -> Result<L1Receipt, L1Error> {
        let call = Rollup::rejectCall { id: U256::from(id) };
        self.send(self.contracts.rollup, call, U256::ZERO).await
    }

    /// What the Rollup stores of `who`.
    pub async fn staker_info(&self, who: Address) -> Result<StakerInfo, L1Error> {
        let s = self
            .view(self.contracts.rollup, Rollup::stakersCall(who))
            .await?;
        Ok(StakerInfo {
            current: s.current,
            open_challenges: s.openChallenges.into(),
            reserved: s.reserved.into(),
            staked: s.staked,
            removed: s.removed,
        })
    }

    /// Takes the sender's bond back (its assertion is confirmed, it is in no challenge).
    pub async fn withdraw_stake(&self) -> Result<L1Receipt, L1Error> {
        self.send(
            self.contracts.rollup,
            Rollup::withdrawStakeCall {},
            U256::ZERO,
        )
        .await
    }

    /// `who`'s withdrawable credits (challenge winnings).
    pub async fn credits(&self, who: Address) -> Result<U256, L1Error> {
        self.view(self.contracts.rollup, Rollup::creditsCall(who))
            .await
    }

    /// Pays the sender its credits.
    pub async fn withdraw_funds(&self) -> Result<L1Receipt, L1Error> {
        self.send(
            self.contracts.rollup,
            Rollup::withdrawFundsCall {},
            U256::ZERO,
        )
        .await
    }

    /// The rivals a challenge from `challenger` against `defender` would be over: `(x, y)`,
    /// `x` on the defender's line (reverts if their lines do not part).
    pub async fn rivals(
        &self,
        challenger: Address,
        defender: Address,
    ) -> Result<(u64, u64), L1Error> {
        let r = self
            .view(
                self.contracts.rollup,
                Rollup::rivalsCall {
                    challenger,
                    defender,
                },
            )
            .await?;
        Ok((id(r.x), id(r.y)))
    }

    /// The open challenge between `a` and `b`, if any.
    pub async fn challenge_between(&self, a: Address, b: Address) -> Result<Option<u64>, L1Error> {
        let c = self
            .view(self.contracts.rollup, Rollup::challengeBetweenCall { a, b })
            .await?;
        Ok((c != U256::ZERO).then(|| id(c)))
    }

    /// Opens a challenge against `defender`: the Rollup finds where their lines part and
    /// the game is over the defender's rival's range. Returns the challenge id.
    pub async fn create_challenge(&self, defender: Address) -> Result<(u64, L1Receipt), L1Error> {
        let call = Rollup::createChallengeCall { defender };
        let receipt = self.send(self.contracts.rollup, call, U256::ZERO).await?;
        let opened = receipt
            .logs
            .iter()
            .filter(|l| l.log.address == self.contracts.rollup)
            .find_map(|l| Rollup::ChallengeOpened::decode_log(&l.log).ok())
            .map(|e| id(e.challengeId))
            .ok_or_else(|| {
                L1Error::Transport("createChallenge emitted no ChallengeOpened".into())
            })?;
        Ok((opened, receipt))
    }

    /// Ends challenge `id` whose other party was removed elsewhere.
    pub async fn forfeit_challenge(&self, id: u64) -> Result<L1Receipt, L1Error> {
        let call = Rollup::forfeitChallengeCall {
            challengeId: U256::from(id),
        };
        self.send(self.contracts.rollup, call, U256::ZERO).await
    }

    /// Sends move `m` on challenge `id` whose current segment is `old`.
    pub async fn send_move(&self, id: u64, old: &Segment, m: &Move) -> Result<L1Receipt, L1Error> {
        self.send_move_with(id, old, m, false).await
    }

    /// [`RollupL1::send_move`], `urgent` when the mover's clock runs low: a back end with a
    /// fee market then tips more and replaces it sooner.
    pub async fn send_move_with(
        &self,
        id: u64,
        old: &Segment,
        m: &Move,
        urgent: bool,
    ) -> Result<L1Receipt, L1Error> {
        self.l1
            .send(L1Tx {
                to: Some(self.contracts.challenges),
                data: move_calldata(U256::from(id), old, m).into(),
                value: U256::ZERO,
                urgent,
            })
            .await
    }

    /// Ends challenge `id` whose party to move has used up its clock.
    pub async fn timeout(&self, id: u64) -> Result<L1Receipt, L1Error> {
        let call = ChallengeManager::timeoutCall { id: U256::from(id) };
        self.send(self.contracts.challenges, call, U256::ZERO).await
    }

    /// The mover, the clocks left and the segment hash of challenge `id`.
    pub async fn challenge_state(&self, id: u64) -> Result<ChallengeState, L1Error> {
        let cm = self.contracts.challenges;
        let idu = U256::from(id);
        let mover = self
            .view(cm, ChallengeManager::moverCall { id: idu })
            .await?;
        let left = self
            .view(cm, ChallengeManager::remainingTimeCall { id: idu })
            .await?;
        let c = self
            .view(cm, ChallengeManager::getChallengeCall { id: idu })
            .await?;
        Ok(ChallengeState {
            mover,
            challenger_left: left.challengerLeft.saturating_to(),
            defender_left: left.defenderLeft.saturating_to(),
            segment_hash: c.segmentHash,
        })
    }

    /// Each party's clock in a new challenge, in seconds (the ChallengeManager's `clock`).
    pub async fn challenge_clock(&self) -> Result<u64, L1Error> {
        let c = self
            .view(self.contracts.challenges, ChallengeManager::clockCall {})
            .await?;
        Ok(c.saturating_to())
    }

    /// The ChallengeManager's bisection degree.
    pub async fn degree(&self) -> Result<u64, L1Error> {
        let d = self
            .view(self.contracts.challenges, ChallengeManager::degreeCall {})
            .await?;
        Ok(d.saturating_to())
    }
}
