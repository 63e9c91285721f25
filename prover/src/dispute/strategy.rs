//! The move a party makes on its turn, given the current segment and its history: dispute the
//! first sub-interval whose end it disagrees with (it agrees with every earlier point, since
//! the segment starts at a point it agreed with), then bisect it, enter level 2 on it (with
//! a finished machine against a `STUCK` end), or prove its one step (docs/spec/protocol.md,
//! "The moves").

use alloy_primitives::B256;
use anyhow::{Context as _, bail};
use fuse_vm::MAX_STEPS;
use fuse_vm::hash::{initial_machine_hash, stuck_state_hash};

use super::game::Game;
use super::history::History;
use super::segment::{LEVEL_BLOCKS, LEVEL_STEPS, Segment, parts, points};

/// A move on the ChallengeManager; `index` is the disputed sub-interval of the current
/// segment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Move {
    /// `bisect(id, old, index, next)`.
    Bisect {
        /// The sub-segment disputed.
        index: u64,
        /// The mover's hashes of that sub-segment's split points.
        next: Vec<B256>,
    },
    /// `enterLevelTwo(id, old, index, next)`.
    EnterLevelTwo {
        /// The one-block sub-segment disputed.
        index: u64,
        /// The mover's machine hashes at level 2's split points.
        next: Vec<B256>,
    },
    /// `enterLevelTwoFinishing(id, old, index, next, finished)`: against a `STUCK` end, the
    /// machine hashes of a block that finishes in the global state whose hash is `finished`.
    EnterLevelTwoFinishing {
        /// The one-block sub-segment disputed.
        index: u64,
        /// The mover's machine hashes at level 2's split points.
        next: Vec<B256>,
        /// The hash of the global state the block finishes in.
        finished: B256,
    },
    /// `proveOneStep(id, old, index, proof)`; `post` is the hash the prover will compute.
    Prove {
        /// The one-step sub-segment proven.
        index: u64,
        /// The one-step proof (docs/spec/proof-format.md).
        proof: Vec<u8>,
        /// The post-state hash the prover will compute.
        post: B256,
    },
}

impl Move {
    /// The segment this move publishes (a proof publishes none).
    pub fn next_segment(&self, game: &Game) -> Option<Segment> {
        let old = &game.segment;
        match self {
            Move::Bisect { index, next } => {
                let (start, length) = old.interval(*index);
                Some(Segment {
                    level: old.level,
                    start,
                    length,
                    hashes: next.clone(),
                })
            }
            Move::EnterLevelTwo { next, .. } | Move::EnterLevelTwoFinishing { next, .. } => {
                Some(Segment {
                    level: LEVEL_STEPS,
                    start: 0,
                    length: MAX_STEPS,
                    hashes: next.clone(),
                })
            }
            Move::Prove { .. } => None,
        }
    }

    /// The move's name as the ChallengeManager's function.
    pub fn name(&self) -> &'static str {
        match self {
            Move::Bisect { .. } => "bisect",
            Move::EnterLevelTwo { .. } => "enterLevelTwo",
            Move::EnterLevelTwoFinishing { .. } => "enterLevelTwoFinishing",
            Move::Prove { .. } => "proveOneStep",
        }
    }
}

/// What a party can do on its turn.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// A move that the contract accepts.
    /// Make this move.
    Move(Move),
    /// It disputes one step but the true machine goes where its opponent said: it has no move
    /// left and can only wait for its clock to run out (a liar at the bottom).
    Stuck {
        /// The one-step sub-segment it disputes.
        index: u64,
    },
}

/// The move `me` makes on the current segment of `game`.
pub fn decide(game: &Game, me: &mut dyn History) -> anyhow::Result<Decision> {
    let seg = &game.segment;
    let at = seg.points();
    let mine = claims(game, me, &at[1..])?;
    let Some(i) = (0..seg.k() as usize).find(|&i| mine[i] != seg.hashes[i + 1]) else {
        bail!("it agrees with every point of the segment: there is nothing to dispute");
    };
    let index = i as u64;
    let (from, len) = seg.interval(index);
    if len >= 2 {
        let next = claims(game, me, &points(from, len, parts(len, game.degree)))?;
        return Ok(Decision::Move(Move::Bisect { index, next }));
    }
    if seg.level == LEVEL_BLOCKS {
        let steps = points(0, MAX_STEPS, parts(MAX_STEPS, game.degree));
        let next = me.machine_hashes(from, &steps)?;
        let start = initial_machine_hash(game.module_root, seg.hashes[i]);
        if next[0] != start {
            bail!(
                "block {from} starts at machine {} in its history, not at {start} (is the \
                 guest's module root {}?)",
                next[0],
                game.module_root
            );
        }
        // Against a claim that the block cannot finish, only the finished machine disputes.
        if seg.hashes[i + 1] == stuck_state_hash() {
            let finished = me.block_hash(from + 1)?;
            return Ok(Decision::Move(Move::EnterLevelTwoFinishing {
                index,
                next,
                finished,
            }));
        }
        return Ok(Decision::Move(Move::EnterLevelTwo { index, next }));
    }
    let block = game.block.context("a level-2 segment without its block")?;
    let (proof, post) = me.prove(block, from)?;
    if post == seg.hashes[i + 1] {
        return Ok(Decision::Stuck { index });
    }
    Ok(Decision::Move(Move::Prove { index, proof, post }))
}

/// `me`'s claims at `points` of the game's level.
fn claims(game: &Game, me: &mut dyn History, points: &[u64]) -> anyhow::Result<Vec<B256>> {
    match game.segment.level {
        LEVEL_BLOCKS => points.iter().map(|&p| me.block_hash(p)).collect(),
        _ => {
            let block = game.block.context("a level-2 segment without its block")?;
            me.machine_hashes(block, points)
        }
    }
}
