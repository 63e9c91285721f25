//! The dispute side of the rollup's contracts over any [`L1`]: stakes, rejections, challenges
//! and their moves (docs/spec/protocol.md), and the Rollup's and the ChallengeManager's events
//! decoded into [`RollupEvent`]s — the only way a validator learns what others did.

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::SolEvent;
use fuse_contracts::rollup::{ChallengeManager, Rollup};
use fuse_prover::dispute::{Move, Segment};
use fuse_vm::GlobalState;

use super::RollupL1;
use crate::l1::{L1, L1Error, L1Log, L1Receipt};

/// An assertion's status as the Rollup stores it.
pub const PENDING: u8 = 1;
pub const CONFIRMED: u8 = 2;
pub const REJECTED: u8 = 3;

pub use fuse_contracts::deploy::MAX_PENDING_DEPTH;

/// What the Rollup stores of a staker.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StakerInfo {
    pub current: u64,
    pub open_challenges: u64,
    /// Open challenges whose opponent its bond holds a refund for.
    pub reserved: u64,
    pub staked: bool,
    pub removed: bool,
}

/// What the ChallengeManager stores of a challenge that a party reads before moving.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChallengeState {
    /// The party to move (zero once ended).
    pub mover: Address,
    /// Each party's budget left now, in seconds.
    pub challenger_left: u64,
    pub defender_left: u64,
    /// The stored hash of the current segment.
    pub segment_hash: B256,
}

/// One event of the Rollup or the ChallengeManager that a validator acts on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RollupEvent {
    AssertionCreated {
        id: u64,
        parent: u64,
        creator: Address,
        state: GlobalState,
        state_hash: B256,
        next_inbox: u64,
        module_root: B256,
    },
    AssertionConfirmed {
        id: u64,
    },
    AssertionRejected {
        id: u64,
    },
    /// A new stake (`Staked`) or a stake moved down (`StakerMoved`): `staker` is on `to`.
    StakeOn {
        staker: Address,
        to: u64,
    },
    StakerRemoved {
        staker: Address,
        assertion: u64,
        winner: Address,
    },
    ChallengeOpened {
        id: u64,
        challenger: Address,
        defender: Address,
        x: u64,
        y: u64,
    },
    SegmentPosted {
        id: u64,
        claimant: Address,
        segment: Segment,
    },
    OneStepProven {
        id: u64,
        prover: Address,
        pre: B256,
        claimed: B256,
        proven: B256,
    },
    /// `reason`: 0 one-step proof, 1 timeout, 2 forfeit.
    ChallengeEnded {
        id: u64,
        winner: Address,
        loser: Address,
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

impl<L: L1> RollupL1<L> {
    /// The Rollup's and the ChallengeManager's events in L1 blocks `from ..= to`: each
    /// contract's in the order emitted, the Rollup's first.
    pub async fn rollup_events(&self, from: u64, to: u64) -> Result<Vec<RollupEvent>, L1Error> {
        let mut out = Vec::new();
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
        let (cm, id, old) = (self.contracts.challenges, U256::from(id), sol_segment(old));
        match m {
            Move::Bisect { index, next } => {
                let index = U256::from(*index);
                let next = next.clone();
                let call = ChallengeManager::bisectCall {
                    id,
                    old,
                    index,
                    next,
                };
                self.send(cm, call, U256::ZERO).await
            }
            Move::EnterLevelTwo { index, next } => {
                let index = U256::from(*index);
                let next = next.clone();
                let call = ChallengeManager::enterLevelTwoCall {
                    id,
                    old,
                    index,
                    next,
                };
                self.send(cm, call, U256::ZERO).await
            }
            Move::EnterLevelTwoFinishing {
                index,
                next,
                finished,
            } => {
                let call = ChallengeManager::enterLevelTwoFinishingCall {
                    id,
                    old,
                    index: U256::from(*index),
                    next: next.clone(),
                    finishedState: *finished,
                };
                self.send(cm, call, U256::ZERO).await
            }
            Move::Prove { index, proof, .. } => {
                let index = U256::from(*index);
                let proof = proof.clone().into();
                let call = ChallengeManager::proveOneStepCall {
                    id,
                    old,
                    index,
                    proof,
                };
                self.send(cm, call, U256::ZERO).await
            }
        }
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

    /// The ChallengeManager's bisection degree.
    pub async fn degree(&self) -> Result<u64, L1Error> {
        let d = self
            .view(self.contracts.challenges, ChallengeManager::degreeCall {})
            .await?;
        Ok(d.saturating_to())
    }
}
