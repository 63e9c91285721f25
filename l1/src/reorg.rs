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

    /// Asks the L1 whether the last block read is still there. `Ok(None)`: it is (or the
    /// endpoint lags; wait). `Ok(Some(fork))`: a reorg replaced it, and every block from
    /// `fork` on must be read again (blocks before it are the ones the follower read); the
    /// blocks from `fork` on are forgotten here.
    pub async fn reorged<L: L1>(&mut self, l1: &L) -> Result<Option<u64>, L1Error> {
        let Some((number, hash)) = self.last() else {
            return Ok(None);
        };
        if check(l1, number, hash).await? != Tip::Replaced {
            return Ok(None);
        }
        let fork = last_kept(l1, &self.entries()).await?.map_or(0, |b| b + 1);
        self.forget_from(fork);
        Ok(Some(fork))
    }
}
