//! What the validator knows of the Rollup and the ChallengeManager, built from their events
//! ([`RollupEvent`]) read incrementally: every assertion with its claim, its children and its
//! status, every staker ever seen, and every challenge with the segments published so far.
//! Live counters (stakes per assertion, clocks) are read from the contracts when a decision
//! needs them; the events say what exists and what was claimed.

use std::collections::{BTreeMap, BTreeSet};

use alloy_primitives::{Address, B256};
use fuse_prover::dispute::Segment;
use fuse_vm::GlobalState;

use fuse_l1::L1;
use fuse_l1::reorg::{Check, Followed};
use fuse_l1::rollup::{CONFIRMED, PENDING, REJECTED, RollupEvent, RollupL1};

/// One assertion as created.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssertionInfo {
    /// The assertion it extends (0 for genesis itself).
    pub parent: u64,
    /// Levels below genesis.
    pub height: u64,
    /// The account that created it and staked on it (zero for genesis).
    pub creator: Address,
    /// The claimed global state and its hash (`None` for genesis, whose state is all zero
    /// and whose hash is read from the Rollup).
    pub state: Option<GlobalState>,
    /// The claim as the Rollup stores it: `gsHash(state)`, or `STUCK`.
    pub state_hash: B256,
    /// Inbox position its children end at.
    pub next_inbox: u64,
    /// The module root its range runs under (its family's).
    pub module_root: B256,
    /// [`PENDING`], [`CONFIRMED`] or [`REJECTED`].
    pub status: u8,
    /// The assertions created under it, in creation order.
    pub children: Vec<u64>,
}

impl AssertionInfo {
    /// The inbox position its claim ends at.
    pub fn after_inbox(&self) -> u64 {
        self.state.map_or(0, |s| s.inbox_position)
    }
}

/// One challenge as opened and played so far.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChallengeInfo {
    /// The staker who opened it; it moves first.
    pub challenger: Address,
    /// The staker whose line is disputed.
    pub defender: Address,
    /// The defender's assertion, whose block range the game is over.
    pub x: u64,
    /// The challenger's rival assertion, `x`'s sibling.
    pub y: u64,
    /// Every segment published, the opening one first, with its claimant.
    pub segments: Vec<(Address, Segment)>,
    /// `(winner, loser, reason)` once ended.
    pub ended: Option<(Address, Address, u8)>,
}

/// The index.
#[derive(Debug, Default)]
pub struct RollupView {
    /// The first L1 block not read yet.
    next_block: u64,
    /// Each read that found events: its block range and the events, kept so a reorg can be
    /// undone by replaying the reads before it.
    reads: Vec<(u64, u64, Vec<RollupEvent>)>,
    /// The last block of recent reads, to notice a reorg.
    followed: Followed,
    /// Reorgs that replaced blocks it had read, so far.
    pub reorgs: u64,
    /// Every assertion seen, genesis included, by id.
    pub assertions: BTreeMap<u64, AssertionInfo>,
    /// Every account ever seen staking (creating an assertion or staking on one).
    pub stakers: BTreeSet<Address>,
    /// Every challenge seen, by the ChallengeManager's id.
    pub challenges: BTreeMap<u64, ChallengeInfo>,
}

impl RollupView {
    /// Reads the events since the last call. Genesis (created by the constructor, with no
    /// event) is read from the Rollup the first time.
    pub async fn update<L: L1>(
        &mut self,
        rollup: &RollupL1<L>,
    ) -> anyhow::Result<Vec<RollupEvent>> {
        if self.assertions.is_empty() {
            let g = rollup.assertion(0).await?;
            self.assertions.insert(
                0,
                AssertionInfo {
                    parent: 0,
                    height: 0,
                    creator: Address::ZERO,
                    state: None,
                    state_hash: g.afterStateHash,
                    next_inbox: g.nextInbox,
                    module_root: g.moduleRoot,
                    status: CONFIRMED,
                    children: Vec::new(),
                },
            );
        }
        match self.followed.check(&rollup.l1).await? {
            Check::Same => {}
            Check::Wait => return Ok(Vec::new()),
            Check::Fork(fork) => {
                tracing::warn!(
                    fork_block = fork,
                    "an L1 reorg replaced blocks the rollup's events were read from; reading again"
                );
                self.rewind(fork);
            }
        }
        let head = rollup.l1.head().await?.number;
        if head < self.next_block {
            return Ok(Vec::new());
        }
        // As the sequencer's follower does: the head's hash before and after its events.
        let before = rollup.l1.block_hash(head).await?;
        let events = rollup.rollup_events(self.next_block, head).await?;
        let after = rollup.l1.block_hash(head).await?;
        let (Some(hash), true) = (after, before == after) else {
            anyhow::bail!("L1 block {head} changed while the rollup's events were read");
        };
        anyhow::ensure!(
            self.followed.still_there(&rollup.l1).await?,
            "the last L1 block read was replaced while the next were read; reading again"
        );
        for e in &events {
            self.apply(e);
        }
        if !events.is_empty() {
            self.reads.push((self.next_block, head, events.clone()));
        }
        self.followed.push(head, hash);
        self.next_block = head + 1;
        Ok(events)
    }

    /// Forgets what was read from L1 block `fork` on (a reorg replaced those blocks): the
    /// index is rebuilt from the reads before, and the next update reads from there.
    fn rewind(&mut self, fork: u64) {
        self.reorgs += 1;
        let keep = self.reads.iter().take_while(|r| r.1 < fork).count();
        // A read that spans the fork is read again whole: its events carry no block.
        let from = self.reads.get(keep).map_or(fork, |r| r.0.min(fork));
        self.reads.truncate(keep);
        self.next_block = self.next_block.min(from);
        self.stakers.clear();
        self.challenges.clear();
        self.assertions.retain(|&id, _| id == 0);
        if let Some(genesis) = self.assertions.get_mut(&0) {
            genesis.children.clear();
        }
        let reads = std::mem::take(&mut self.reads);
        for (_, _, events) in &reads {
            for e in events {
                self.apply(e);
            }
        }
        self.reads = reads;
    }

    fn apply(&mut self, e: &RollupEvent) {
        match e.clone() {
            RollupEvent::AssertionCreated {
                id,
                parent,
                creator,
                state,
                state_hash,
                next_inbox,
                module_root,
            } => {
                let height = self.assertions.get(&parent).map_or(0, |p| p.height + 1);
                self.assertions.insert(
                    id,
                    AssertionInfo {
                        parent,
                        height,
                        creator,
                        state: Some(state),
                        state_hash,
                        next_inbox,
                        module_root,
                        status: PENDING,
                        children: Vec::new(),
                    },
                );
                if let Some(p) = self.assertions.get_mut(&parent) {
                    p.children.push(id);
                }
                self.stakers.insert(creator);
            }
            RollupEvent::AssertionConfirmed { id } => self.set_status(id, CONFIRMED),
            RollupEvent::AssertionRejected { id } => self.set_status(id, REJECTED),
            RollupEvent::StakeOn { staker, .. } => {
                self.stakers.insert(staker);
            }
            RollupEvent::StakerRemoved { .. } => {}
            RollupEvent::ChallengeOpened {
                id,
                challenger,
                defender,
                x,
                y,
            } => {
                let c = self.challenge(id);
                (c.challenger, c.defender, c.x, c.y) = (challenger, defender, x, y);
            }
            RollupEvent::SegmentPosted {
                id,
                claimant,
                segment,
            } => self.challenge(id).segments.push((claimant, segment)),
            RollupEvent::OneStepProven { .. } => {}
            RollupEvent::ChallengeEnded {
                id,
                winner,
                loser,
                reason,
            } => self.challenge(id).ended = Some((winner, loser, reason)),
        }
    }

    /// The ChallengeManager's events for a challenge come before the Rollup's
    /// `ChallengeOpened` in the same transaction, so either may create the entry.
    fn challenge(&mut self, id: u64) -> &mut ChallengeInfo {
        self.challenges.entry(id).or_insert_with(|| ChallengeInfo {
            challenger: Address::ZERO,
            defender: Address::ZERO,
            x: 0,
            y: 0,
            segments: Vec::new(),
            ended: None,
        })
    }

    fn set_status(&mut self, id: u64, status: u8) {
        if let Some(a) = self.assertions.get_mut(&id) {
            a.status = status;
        }
    }

    /// Levels below genesis of assertion `id` (0 if unseen).
    pub fn height(&self, id: u64) -> u64 {
        self.assertions.get(&id).map_or(0, |a| a.height)
    }

    /// Assertion `id`, if seen.
    pub fn assertion(&self, id: u64) -> Option<&AssertionInfo> {
        self.assertions.get(&id)
    }

    /// The assertion whose state the children of `id` start from, as the Rollup's
    /// `startOf`: `id`, or for an assertion claiming `STUCK` the start of its own range.
    pub fn start_of(&self, id: u64) -> u64 {
        let stuck = fuse_vm::hash::stuck_state_hash();
        let mut at = id;
        while let Some(a) = self.assertions.get(&at) {
            if a.state_hash != stuck || at == 0 {
                break;
            }
            at = a.parent;
        }
        at
    }

    /// How many parents up from `from` assertion `ancestor` is (`Some(0)` for itself), if it
    /// is an ancestor at all.
    pub fn depth(&self, from: u64, ancestor: u64) -> Option<u64> {
        let mut id = from;
        let mut depth = 0;
        loop {
            if id == ancestor {
                return Some(depth);
            }
            let a = self.assertions.get(&id)?;
            if id == 0 || a.parent >= id {
                return None;
            }
            id = a.parent;
            depth += 1;
        }
    }
}
