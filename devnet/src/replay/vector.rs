//! The dispute vector format (docs/spec/dispute-vector.md): a self-contained record of one
//! challenge — the module, the inbox, the disputed range and both claims, every move with its
//! hashes, gas and clock, the one-step proof, and the outcome — as JSON.

use std::path::Path;

use alloy_primitives::{Address, B256, Bytes};
use anyhow::Context as _;
use fuse_vm::GlobalState;
use serde::{Deserialize, Serialize};

/// The version of the format this code reads and writes.
pub const FORMAT: u32 = 1;

/// A side of the challenge.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// The party whose claims are the stepping machine's.
    Honest,
    /// The party that departs from the truth as the vector's `lie` says.
    Liar,
}

impl Side {
    /// The other side.
    pub fn other(self) -> Side {
        match self {
            Side::Honest => Side::Liar,
            Side::Liar => Side::Honest,
        }
    }

    /// `honest` or `liar`.
    pub fn name(self) -> &'static str {
        match self {
            Side::Honest => "honest",
            Side::Liar => "liar",
        }
    }
}

/// A global state as the vector writes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    /// Root of the L2 account tree.
    pub state_root: B256,
    /// Root of the chain-wide withdrawal tree.
    pub outbox_root: B256,
    /// Index of the next inbox message to execute.
    pub inbox_position: u64,
    /// Number of L2 blocks executed so far.
    pub block_number: u64,
    /// Its hash (docs/spec/machine-hash.md), for readers; checked on replay.
    pub hash: B256,
}

impl From<GlobalState> for State {
    fn from(gs: GlobalState) -> State {
        State {
            state_root: gs.state_root,
            outbox_root: gs.outbox_root,
            inbox_position: gs.inbox_position,
            block_number: gs.block_number,
            hash: gs.hash(),
        }
    }
}

impl State {
    /// The claim that a block of the range cannot finish: every field zero, the hash
    /// `STUCK` (docs/spec/protocol.md, "A block that cannot finish").
    pub fn stuck() -> State {
        State {
            state_root: B256::ZERO,
            outbox_root: B256::ZERO,
            inbox_position: 0,
            block_number: 0,
            hash: fuse_vm::hash::stuck_state_hash(),
        }
    }

    /// Whether it is the `STUCK` claim.
    pub fn is_stuck(&self) -> bool {
        *self == State::stuck()
    }

    /// The global state it names.
    pub fn global_state(&self) -> GlobalState {
        GlobalState {
            state_root: self.state_root,
            outbox_root: self.outbox_root,
            inbox_position: self.inbox_position,
            block_number: self.block_number,
        }
    }
}

/// The module the disputed blocks run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModuleRef {
    /// The module root both levels run (docs/spec/machine-hash.md).
    pub root: B256,
    /// The wasm bytes; absent for the committed guest (`test-vectors/guest/`), whose root is
    /// then checked against `root`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wasm: Option<Bytes>,
}

/// The challenge contracts' parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Params {
    /// Bisection degree.
    pub degree: u64,
    /// Each party's clock, in seconds.
    pub clock: u64,
    /// The L1 time the challenge opened (the embedded L1's clock is set to reach it).
    pub opened_at: u64,
}

/// Where the liar departs from the truth (0-based block of the range; step ≥ 1, or none for
/// a lie at level 1 only).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LieRecord {
    /// The block of the range (0-based) where the liar departs.
    pub block: u64,
    /// The step from which its machine hashes are wrong (≥ 1); none: only the block's end.
    pub step: Option<u64>,
    /// Moves the liar makes before it stops answering (none: it plays while it can).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub silent_after: Option<u64>,
}

/// What a one-step proof showed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProofRecord {
    /// The machine step proven (the block's step count before it).
    pub step: u64,
    /// The instruction at that step (`halted` for a halted machine).
    pub opcode: String,
    /// That instruction's class: `control`, `math`, `memory` or `host`.
    pub class: String,
    /// The agreed machine hash before the step.
    pub pre: B256,
    /// The opponent's claimed machine hash after the step.
    pub claimed: B256,
    /// The machine hash after the step that the proof yields.
    pub proven: B256,
    /// The proof bytes (docs/spec/proof-format.md).
    pub proof: Bytes,
}

/// One transaction of the challenge.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoveRecord {
    /// 1 for the first move, counting both parties' moves.
    pub round: u64,
    /// Who sent it.
    pub party: Side,
    /// `bisect`, `enterLevelTwo`, `enterLevelTwoFinishing`, `proveOneStep` or `timeout`.
    pub kind: String,
    /// The level of the segment the move answers (1: blocks, 2: steps; none for a timeout).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<u8>,
    /// That segment's first point (none for a timeout).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<u64>,
    /// Points from `start` to that segment's end (none for a timeout).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length: Option<u64>,
    /// The disputed sub-interval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<u64>,
    /// The hashes it posts (bisect and enterLevelTwo).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hashes: Vec<B256>,
    /// For `proveOneStep`: what the one-step proof showed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proof: Option<ProofRecord>,
    /// For `enterLevelTwoFinishing`: the hash of the global state its block finishes in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished: Option<B256>,
    /// Seconds after the challenge opened that it was mined.
    pub at: u64,
    /// The L1 gas its transaction used.
    pub gas: u64,
    /// The mover's clock after the move (the timed-out party's, for a timeout).
    pub clock_left: u64,
    /// The stored segment hash after the move (zero once the challenge ended).
    pub segment_hash: B256,
}

/// How the challenge ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutcomeRecord {
    /// The side that won.
    pub winner: Side,
    /// `one-step proof` or `timeout`.
    pub reason: String,
}

/// One dispute.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisputeVector {
    /// The format version ([`FORMAT`]); a reader refuses another.
    pub format: u32,
    /// The scenario it records (`fuse-l2 replay --list`).
    pub name: String,
    /// What the dispute shows, with the disputed instruction and step.
    pub description: String,
    /// The module both levels run.
    pub module: ModuleRef,
    /// The challenge contracts' parameters.
    pub params: Params,
    /// Every inbox message from 0, `header ‖ data` as the guest reads it.
    pub inbox: Vec<Bytes>,
    /// The Inbox's accumulator after each message (recomputed and checked on replay).
    pub accumulators: Vec<B256>,
    /// The disputed blocks: inbox positions `from .. to`.
    pub range: (u64, u64),
    /// The agreed state before the range.
    pub start: State,
    /// The state the honest side claims after the range.
    pub honest_claim: State,
    /// The state the liar claims after the range.
    pub liar_claim: State,
    /// Where the liar departs from the truth.
    pub lie: LieRecord,
    /// Who opened the challenge (and moves first).
    pub challenger: Side,
    /// The honest party's account when recorded (a replay may use another).
    pub honest: Address,
    /// The liar's account when recorded (a replay may use another).
    pub liar: Address,
    /// Every transaction of the challenge after its opening, in order.
    pub moves: Vec<MoveRecord>,
    /// How the challenge ended.
    pub outcome: OutcomeRecord,
}

impl DisputeVector {
    /// Reads a vector file.
    pub fn read(path: &Path) -> anyhow::Result<DisputeVector> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let v: DisputeVector = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a dispute vector", path.display()))?;
        anyhow::ensure!(
            v.format == FORMAT,
            "{} has format {}, this build reads {FORMAT}",
            path.display(),
            v.format
        );
        Ok(v)
    }

    /// Its JSON text (pretty, with a final newline).
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("a vector always serializes");
        s.push('\n');
        s
    }

    /// One line on what it holds: `9 moves, honest won by one-step proof`.
    pub fn summary(&self) -> String {
        format!(
            "{} moves, {} won by {}",
            self.moves.len(),
            self.outcome.winner.name(),
            self.outcome.reason
        )
    }

    /// The side whose claim the challenge's opening segment holds.
    pub fn defender(&self) -> Side {
        self.challenger.other()
    }
}
