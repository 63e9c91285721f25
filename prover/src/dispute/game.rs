//! A challenge as a party follows it: the current segment and, once at level 2, which block
//! of the range it is about. Both parties and a replay keep one and advance it by every
//! segment the ChallengeManager publishes (`SegmentPosted`).

use alloy_primitives::B256;
use anyhow::{bail, ensure};
use fuse_vm::hash::initial_machine_hash;

use super::segment::{LEVEL_BLOCKS, LEVEL_STEPS, Segment};

/// The state of one challenge.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Game {
    /// The last segment published: what the next move resubmits.
    pub segment: Segment,
    /// The disputed block (0-based in the range), once at level 2.
    pub block: Option<u64>,
    /// The manager's bisection degree.
    pub degree: u64,
    /// The module root level 2 runs (the assertion's).
    pub module_root: B256,
}

impl Game {
    /// A challenge just opened over `blocks` blocks from `start` to the defender's `end`.
    pub fn open(start: B256, end: B256, blocks: u64, degree: u64, module_root: B256) -> Game {
        Game {
            segment: Segment::opening(start, end, blocks),
            block: None,
            degree,
            module_root,
        }
    }

    /// Takes the next published segment. A level-2 segment after a level-1 one tells which
    /// block was disputed: the one-block interval whose start state gives its first machine
    /// hash (global states carry their inbox position, so at most one matches).
    pub fn advance(&mut self, next: Segment) -> anyhow::Result<()> {
        match (self.segment.level, next.level) {
            (LEVEL_BLOCKS, LEVEL_STEPS) => {
                let old = &self.segment;
                let first = next.hashes.first().copied().unwrap_or_default();
                let block = (0..old.k())
                    .find(|&i| {
                        old.interval(i).1 == 1
                            && initial_machine_hash(self.module_root, old.hashes[i as usize])
                                == first
                    })
                    .map(|i| old.interval(i).0);
                let Some(block) = block else {
                    bail!("a level-2 segment that starts at no one-block interval of the last one");
                };
                self.block = Some(block);
            }
            (a, b) => ensure!(a == b, "a segment of level {b} after one of level {a}"),
        }
        ensure!(
            next.hashes.len() >= 2,
            "a segment with {} hashes",
            next.hashes.len()
        );
        self.segment = next;
        Ok(())
    }
}
