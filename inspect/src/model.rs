//! What the dispute viewer shows, as data: one [`DisputeView`] per page, built from a dispute
//! vector (`fuse_devnet::replay::view`) or from a live challenge a node follows, and embedded
//! in the page as JSON that the page's script draws from (docs/guides/researcher.md,
//! "Seeing a dispute").
//!
//! Every number a browser could misread is a string: JavaScript numbers hold 53 bits, and
//! machine values are 64. Counts, steps (< 2^33), seconds and gas stay numbers.

use alloy_primitives::B256;
use serde::Serialize;

use crate::step::StepView;

/// One page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DisputeView {
    /// A short name: the vector's scenario, or `challenge 3`.
    pub title: String,
    /// What the dispute shows.
    pub description: String,
    /// Where it comes from (a vector file, or the node and the L1 block it had read).
    pub source: String,
    /// The module root both levels run.
    pub module_root: B256,
    /// The ChallengeManager's bisection degree.
    pub degree: u64,
    /// Each party's clock at the opening, in seconds.
    pub clock: u64,
    /// The disputed blocks: inbox positions `from .. to`.
    pub range: (u64, u64),
    /// The two parties: the challenger (it moves first) at 0, the defender at 1.
    pub parties: [PartyView; 2],
    /// Every move after the opening, in order.
    pub moves: Vec<MoveView>,
    /// Both clocks over time, from the opening (`t = 0`): exact for a vector, sampled as
    /// the node saw them for a live challenge.
    pub clocks: Vec<ClockPoint>,
    /// Gas of each party's moves, challenger first (moves whose gas is unknown left out).
    pub gas_total: [u64; 2],
    /// How it ended; `None` while open.
    pub outcome: Option<OutcomeView>,
    /// The one-step proof that ended it, decoded; `None` if none was sent.
    pub proof: Option<ProofView>,
    /// The machine just before the disputed step (the step debugger's view), when known.
    pub disputed_step: Option<DisputedStep>,
    /// What the page could not know, said on it (e.g. an opponent's gas in a live view).
    pub notes: Vec<String>,
    /// Whether the challenge is still being played (the page then says so).
    pub live: bool,
}

/// A party.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PartyView {
    /// `honest` or `liar` in a vector; in a live view `this node` or the short address.
    pub name: String,
    /// `challenger` or `defender`.
    pub role: String,
    /// Its L1 account, as a checksummed hex string.
    pub address: String,
}

/// One transaction of the challenge.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MoveView {
    /// 1 for the first move after the opening.
    pub round: u64,
    /// The mover: 0 the challenger, 1 the defender.
    pub party: usize,
    /// `bisect`, `enterLevelTwo`, `enterLevelTwoFinishing`, `proveOneStep` or `timeout`.
    pub kind: String,
    /// The level of the segment it answers: 1 blocks, 2 steps of one block (`None` for a
    /// timeout).
    pub level: Option<u8>,
    /// That segment's first point.
    pub start: Option<u64>,
    /// Its length in points (blocks at level 1, steps at level 2).
    pub length: Option<u64>,
    /// How many parts that segment is cut into (1 for the opening segment, whatever its
    /// length), when known.
    pub parts: Option<u64>,
    /// The sub-interval the mover disputes, by index.
    pub index: Option<u64>,
    /// That sub-interval as `[from, to]` points of the same level.
    pub part: Option<(u64, u64)>,
    /// How many hashes the move posted.
    pub hashes: usize,
    /// Seconds after the opening that it was mined, when known.
    pub at: Option<u64>,
    /// Its L1 gas, when known.
    pub gas: Option<u64>,
    /// The mover's clock after it (the timed-out party's, for a timeout), when known.
    pub clock_left: Option<u64>,
    /// A replay's verdict on it: empty when it matched the record, else what differed.
    pub mismatch: Option<String>,
}

/// Both clocks at one time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ClockPoint {
    /// Seconds after the opening.
    pub t: u64,
    /// Seconds left, challenger first.
    pub left: [u64; 2],
}

/// How a challenge ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OutcomeView {
    /// The winner: 0 the challenger, 1 the defender.
    pub winner: usize,
    /// `one-step proof`, `timeout` or `forfeit`.
    pub reason: String,
}

/// A one-step proof, decoded by the verifier (docs/spec/proof-format.md).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProofView {
    /// The block of the range (0-based) it is a step of.
    pub block: u64,
    /// The machine step proven (steps before it).
    pub step: u64,
    /// The proof's length in bytes.
    pub bytes: usize,
    /// The proof's parts in order, with their sizes: header, instruction path, witness.
    pub parts: Vec<ProofPart>,
    /// The instruction it executes (`None` for a halted or errored machine).
    pub instruction: Option<InstructionView>,
    /// The agreed machine hash before the step.
    pub pre: B256,
    /// The machine hash the opponent claimed after it.
    pub claimed: B256,
    /// The machine hash the proof yields.
    pub proven: B256,
    /// The machine as the proof's header reveals it.
    pub pre_state: MachineView,
    /// The machine after the step as the verifier computed it (`None` when it halted).
    pub post_state: Option<MachineView>,
    /// Values the step read: the stack values the header reveals (exactly those it pops)
    /// and the leaves it proved.
    pub read: Vec<SlotView>,
    /// Values the step wrote: the stack's revealed top after it (what it pushed) and the
    /// header fields it changed.
    pub written: Vec<SlotView>,
    /// The Merkle paths it carried.
    pub paths: Vec<PathView>,
    /// Why a verifier rejected it, if it did (a committed vector's proof never is).
    pub rejected: Option<String>,
}

/// One part of a proof's bytes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProofPart {
    /// What the bytes are.
    pub what: String,
    /// How many.
    pub bytes: usize,
}

/// An instruction of the flat code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InstructionView {
    /// Its mnemonic (`i32.add`).
    pub opcode: String,
    /// Its class: `control`, `math`, `memory` or `host`.
    pub class: String,
    /// Its pc in the flat code.
    pub pc: u32,
    /// The immediate operands, as the ISA names them (docs/spec/isa.md).
    pub a: u32,
    /// The second immediate.
    pub b: String,
    /// The function whose code holds it.
    pub function: Option<FunctionView>,
}

/// A function of the module.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FunctionView {
    /// Its index in the module's function index space.
    pub index: u32,
    /// Its name from the name map, if the module has one.
    pub name: Option<String>,
}

/// The machine as a proof reveals it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MachineView {
    /// `running`, `finished` or `errored`.
    pub status: String,
    /// The next instruction's pc.
    pub pc: u32,
    /// The revealed values of the value stack, deepest first (hex).
    pub stack: Vec<String>,
    /// The hash of the values below them.
    pub stack_rest: B256,
    /// The current frame's locals root.
    pub locals: B256,
    /// The saved-frames hash.
    pub frames: B256,
    /// The memory root.
    pub memory_root: B256,
    /// Memory pages.
    pub memory_pages: u32,
    /// The globals root.
    pub globals_root: B256,
    /// The rollup global state: state root, outbox root, inbox position, block number.
    pub global_state: GlobalStateView,
}

/// The rollup's global state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GlobalStateView {
    /// The L2 account tree's root.
    pub state_root: B256,
    /// The withdrawal tree's root.
    pub outbox_root: B256,
    /// The next inbox message to execute.
    pub inbox_position: u64,
    /// L2 blocks executed so far.
    pub block_number: u64,
}

/// A value the step read or wrote.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SlotView {
    /// Where it lives (`stack[top]`, `memory leaf 1234`, `pc`).
    pub what: String,
    /// The value (hex), or `before → after` for a changed field.
    pub value: String,
}

/// A Merkle path a proof carried.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PathView {
    /// The tree: `code`, `memory`, `locals`, `globals`, `table`, `inbox data`.
    pub tree: String,
    /// The leaf's index.
    pub index: u64,
    /// Siblings carried (the tree's depth).
    pub depth: u8,
    /// The leaf as proven (hex).
    pub leaf: B256,
    /// Bytes of the proof it took: the leaf and its siblings.
    pub bytes: usize,
}

/// The machine at the disputed step and one step later, from the stepping machine (what
/// `fuse-l2 trace` prints).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DisputedStep {
    /// The machine before the disputed instruction.
    pub before: StepView,
    /// The machine after it.
    pub after: StepView,
    /// What changed between the two.
    pub diff: Vec<crate::step::Change>,
}
