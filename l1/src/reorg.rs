//! Noticing that the L1 replaced blocks a follower has read, and finding where.
//!
//! A follower remembers the hash of the last block of each round it read ([`Followed`]).
//! Before the next round it asks the endpoint for the hash at that height again
//! ([`check`]): the same hash means nothing it read was replaced; another hash means a reorg
//! reached at least that deep, and [`last_kept`] finds the newest remembered block the chain
//! still has (binary search: a chain that kept a block kept every block before it). The
//! follower then takes back what it read from the blocks after it and reads them again.
//!
//! An endpoint whose chain is shorter than the remembered height ([`Tip::Missing`]) is
//! waited for rather than trusted: a node behind a load balancer may lag by a block or two,
//! and a real reorg to a shorter chain shows up as a changed hash once the chain grows back.

use std::collections::VecDeque;

use alloy_primitives::B256;

use super::{L1, L1Error};

/// The last block a follower may read now: the endpoint's `finalized` block when `finalized`
/// and the endpoint has one (never past `head`), else `head − confirmations`; `None` while
/// the chain is shorter than that.
pub async fn safe_block<L: L1>(
    l1: &L,
    head: u64,
    confirmations: u64,
    finalized: bool,
) -> Result<Option<u64>, L1Error> {
    if finalized && let Some(f) = l1.finalized_block().await? {
        return Ok(Some(f.min(head)));
    }
    Ok(head.checked_sub(confirmations))
}

/// Rounds whose last block a [`Followed`] keeps. A reorg deeper than this many rounds is
/// still recovered, from the follower's start instead of from the fork.
pub const KEPT: usize = 256;

/// What the L1 has now at a height a follower read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tip {
    /// The same block: nothing read was replaced.
    Same,
    /// No block at that height (yet): wait, the endpoint may lag.
    Missing,
    /// Another block: a reorg replaced it.
    Replaced,
}

/// Whether block `number` is still the one with `hash`.
pub async fn check<L: L1>(l1: &L, number: u64, hash: B256) -> Result<Tip, L1Error> {
    Ok(match l1.block_hash(number).await? {
        None => Tip::Missing,
        Some(h) if h == hash => Tip::Same,
        Some(_) => Tip::Replaced,
    })
}

/// The newest of `followed` (lowest first, each with the hash read then) that the L1 still
/// has, or `None` if it has none of them.
pub async fn last_kept<L: L1>(l1: &L, followed: &[(u64, B256)]) -> Result<Option<u64>, L1Error> {
    // Invariant: every entry below `lo` is kept; every entry from `hi` on is not.
    let (mut lo, mut hi) = (0, followed.len());
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let (number, hash) = followed[mid];
        if check(l1, number, hash).await? == Tip::Same {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    Ok(lo.checked_sub(1).map(|i| followed[i].0))
}

/// The last block of each of a follower's recent rounds, with its hash then.
#[derive(Clone, Debug, Default)]
pub struct Followed {
    blocks: VecDeque<(u64, B256)>,
}

impl Followed {
    /// Remembers that a round read up to block `number`, whose hash was `hash`.
    pub fn push(&mut self, number: u64, hash: B256) {
        if self.blocks.back().is_some_and(|&(n, _)| n >= number) {
            return;
        }
        self.blocks.push_back((number, hash));
        if self.blocks.len() > KEPT {
            self.blocks.pop_front();
        }
    }

    /// The last block read, if any.
    pub fn last(&self) -> Option<(u64, B256)> {
        self.blocks.back().copied()
    }

    /// Forgets every block from `number` on (a reorg replaced them).
    pub fn forget_from(&mut self, number: u64) {
        while self.blocks.back().is_some_and(|&(n, _)| n >= number) {
            self.blocks.pop_back();
        }
    }

    /// Every block remembered, lowest first.
    pub fn entries(&self) -> Vec<(u64, B256)> {
        self.blocks.iter().copied().collect()
    }

    /// Asks the L1 whether the last block read is still there: [`Check::Fork`] if a reorg
    /// replaced it (the blocks from the fork on are forgotten here and must be read again),
    /// [`Check::Wait`] if the endpoint's chain is not that long.
    pub async fn check<L: L1>(&mut self, l1: &L) -> Result<Check, L1Error> {
        let Some((number, hash)) = self.last() else {
            return Ok(Check::Same);
        };
        match check(l1, number, hash).await? {
            Tip::Same => return Ok(Check::Same),
            Tip::Missing => return Ok(Check::Wait),
            Tip::Replaced => {}
        }
        let kept = last_kept(l1, &self.entries()).await?;
        if kept == Some(number) {
            return Err(L1Error::Transport(format!(
                "the endpoint answers block {number} with two hashes (backends on different \
                 chains?)"
            )));
        }
        let fork = kept.map_or(0, |b| b + 1);
        self.forget_from(fork);
        Ok(Check::Fork(fork))
    }

    /// Whether the last block read is still the one read: after reading the next range,
    /// this says the range continues it (a reorg between [`Followed::check`] and the read
    /// would otherwise go unnoticed).
    pub async fn still_there<L: L1>(&self, l1: &L) -> Result<bool, L1Error> {
        match self.last() {
            None => Ok(true),
            Some((number, hash)) => Ok(check(l1, number, hash).await? == Tip::Same),
        }
    }
}

/// What [`Followed::check`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    /// Nothing read was replaced: read on.
    Same,
    /// The endpoint's chain is shorter than what was read (it lags, or a reorg shortened
    /// it): read nothing this time.
    Wait,
    /// A reorg replaced blocks read: take back what came from this block on and read again.
    Fork(u64),
}
