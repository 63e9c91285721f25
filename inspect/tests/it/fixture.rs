//! Dispute views to draw, built by hand: a finished two-level dispute (a bisect at level 1,
//! `enterLevelTwo`, level 2 down to 16 steps, a one-step proof of an `i32.load` and the
//! disputed step), the same game still being played, and one ended by a timeout.

use alloy_primitives::{B256, keccak256};
use fuse_inspect::model::{
    ClockPoint, DisputeView, DisputedStep, FunctionView, GlobalStateView, InstructionView,
    MachineView, MoveView, OutcomeView, PartyView, PathView, ProofPart, ProofView, SlotView,
};
use fuse_inspect::step::{CallView, Change, MemoryView, StepView};

/// The ChallengeManager's degree in the fixtures.
pub(crate) const DEGREE: u64 = 16;
/// Each party's clock at the opening.
pub(crate) const CLOCK: u64 = 3600;
/// Level 2's segment: every step of one block.
pub(crate) const MAX_STEPS: u64 = 1 << 32;
/// The function the disputed instruction is in.
pub(crate) const FUNCTION: &str = "fuse_arbos::state::Account::balance";
/// The disputed instruction.
pub(crate) const OPCODE: &str = "i32.load";

/// A hash that looks like one, named for what it stands for.
pub(crate) fn hash(label: &str) -> B256 {
    keccak256(label.as_bytes())
}

/// One move of the game as the fixtures plan it; the segments follow from the picks.
struct Plan {
    kind: &'static str,
    index: u64,
    at: u64,
    gas: u64,
}

fn plan() -> Vec<Plan> {
    let p = |kind, index, at, gas| Plan {
        kind,
        index,
        at,
        gas,
    };
    vec![
        p("bisect", 5, 40, 71_234),
        p("bisect", 2, 95, 69_876),
        p("enterLevelTwo", 0, 130, 64_075),
        p("bisect", 0, 610, 68_090),
        p("bisect", 3, 640, 68_102),
        p("bisect", 1, 1_300, 68_114),
        p("bisect", 14, 1_325, 68_096),
        p("bisect", 0, 1_900, 68_120),
        p("bisect", 9, 1_930, 68_108),
        p("bisect", 11, 2_500, 68_099),
        p("proveOneStep", 2, 2_520, 210_946),
    ]
}

/// The moves of the planned game (the challenger moves first, then they alternate), with
/// both clocks sampled at the opening and after every move.
fn game() -> (Vec<MoveView>, Vec<ClockPoint>) {
    let (mut level, mut start, mut length) = (1u8, 0u64, 64u64);
    let mut left = [CLOCK, CLOCK];
    let mut last = 0;
    let mut clocks = vec![ClockPoint { t: 0, left }];
    let mut moves = Vec::new();
    for (i, p) in plan().into_iter().enumerate() {
        let party = i % 2;
        left[party] -= p.at - last;
        last = p.at;
        clocks.push(ClockPoint { t: p.at, left });
        let n = DEGREE.min(length);
        let cell = length / n;
        let part = (start + p.index * cell, start + (p.index + 1) * cell);
        let hashes = match p.kind {
            "enterLevelTwo" => DEGREE as usize + 1,
            "proveOneStep" => 0,
            _ => (DEGREE.min(cell) + 1) as usize,
        };
        moves.push(MoveView {
            round: i as u64 + 1,
            party,
            kind: p.kind.into(),
            level: Some(level),
            start: Some(start),
            length: Some(length),
            parts: Some(n),
            index: Some(p.index),
            part: Some(part),
            hashes,
            at: Some(p.at),
            gas: Some(p.gas),
            clock_left: Some(left[party]),
            mismatch: (i == 7).then(|| "gas 68,120, recorded 68,118".to_string()),
        });
        if p.kind == "enterLevelTwo" {
            (level, start, length) = (2, 0, MAX_STEPS);
        } else {
            (start, length) = (part.0, part.1 - part.0);
        }
    }
    (moves, clocks)
}

fn parties() -> [PartyView; 2] {
    [
        PartyView {
            name: "honest".into(),
            role: "challenger".into(),
            address: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8".into(),
        },
        PartyView {
            name: "liar".into(),
            role: "defender".into(),
            address: "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC".into(),
        },
    ]
}

fn global_state(after: bool) -> GlobalStateView {
    GlobalStateView {
        state_root: hash("state root"),
        outbox_root: hash("outbox root"),
        inbox_position: 122,
        block_number: 121 + u64::from(after),
    }
}

fn function() -> Option<FunctionView> {
    Some(FunctionView {
        index: 212,
        name: Some(FUNCTION.into()),
    })
}

fn instruction(pc: u32, opcode: &str, class: &str, a: u32, b: &str) -> InstructionView {
    InstructionView {
        opcode: opcode.into(),
        class: class.into(),
        pc,
        a,
        b: b.into(),
        function: function(),
    }
}

fn machine(pc: u32, top: &str) -> MachineView {
    MachineView {
        status: "running".into(),
        pc,
        stack: vec![top.into()],
        stack_rest: hash("stack rest"),
        locals: hash("locals"),
        frames: hash("frames"),
        memory_root: hash("memory root"),
        memory_pages: 17,
        globals_root: hash("globals root"),
        global_state: global_state(false),
    }
}

fn proof(step: u64) -> ProofView {
    let paths = vec![
        PathView {
            tree: "code".into(),
            index: 41_327,
            depth: 16,
            leaf: hash("code leaf"),
            bytes: 32 * 17,
        },
        PathView {
            tree: "memory".into(),
            index: 2_051,
            depth: 19,
            leaf: hash("memory leaf"),
            bytes: 32 * 20,
        },
    ];
    ProofView {
        block: 22,
        step,
        bytes: 388 + 556 + 648,
        parts: vec![
            ProofPart {
                what: "header (machine)".into(),
                bytes: 388,
            },
            ProofPart {
                what: "instruction and code path".into(),
                bytes: 556,
            },
            ProofPart {
                what: "witness".into(),
                bytes: 648,
            },
        ],
        instruction: Some(instruction(41_327, OPCODE, "memory", 16, "2")),
        pre: hash("pre"),
        claimed: hash("claimed by the liar"),
        proven: hash("proven"),
        pre_state: machine(41_327, "0x10030"),
        post_state: Some(machine(41_328, "0x2a")),
        read: vec![
            SlotView {
                what: "stack[top-0]".into(),
                value: "0x10030".into(),
            },
            SlotView {
                what: "memory leaf 2051".into(),
                value: hash("memory leaf").to_string(),
            },
        ],
        written: vec![SlotView {
            what: "stack[top-0]".into(),
            value: "0x2a".into(),
        }],
        paths,
        rejected: None,
    }
}

fn step_view(step: u64, after: bool) -> StepView {
    let pc = 41_327 + u32::from(after);
    let calls = [
        (pc, FUNCTION),
        (39_001, "fuse_arbos::exec::apply_transfer"),
        (31_010, "fuse_arbos::block::run"),
    ];
    StepView {
        step,
        status: "running".into(),
        hash: if after { hash("proven") } else { hash("pre") },
        instruction: Some(if after {
            instruction(pc, "i64.extend_i32_u", "math", 0, "0")
        } else {
            instruction(pc, OPCODE, "memory", 16, "2")
        }),
        stack_depth: 5,
        stack_top: [
            if after { "0x2a" } else { "0x10030" },
            "0x1",
            "0x0",
            "0x7fff",
            "0x2",
        ]
        .map(String::from)
        .to_vec(),
        locals: [
            "0x10030",
            "0x0",
            "0x1",
            "0xdeadbeef",
            "0x0",
            "0xffffffffffffffff",
        ]
        .map(String::from)
        .to_vec(),
        locals_count: 6,
        call_stack: calls
            .iter()
            .enumerate()
            .map(|(i, &(pc, name))| CallView {
                function: Some(FunctionView {
                    index: 212 - 40 * i as u32,
                    name: Some(name.into()),
                }),
                pc,
            })
            .collect(),
        memory: Some(MemoryView {
            address: 0x10040,
            bytes: format!("2a000000{}", "00".repeat(28)),
        }),
        memory_pages: 17,
        global_state: global_state(false),
    }
}

fn disputed_step(step: u64) -> DisputedStep {
    let change = |what: &str, before: String, after: String| Change {
        what: what.into(),
        before,
        after,
    };
    DisputedStep {
        before: step_view(step, false),
        after: step_view(step + 1, true),
        diff: vec![
            change("steps", step.to_string(), (step + 1).to_string()),
            change(
                "pc",
                format!("41327 ({FUNCTION})"),
                format!("41328 ({FUNCTION})"),
            ),
            change("stack above depth 4", "[0x10030]".into(), "[0x2a]".into()),
        ],
    }
}

fn gas_total(moves: &[MoveView]) -> [u64; 2] {
    let mut total = [0, 0];
    for m in moves {
        total[m.party] += m.gas.unwrap_or(0);
    }
    total
}

/// The finished dispute: the honest challenger wins by a one-step proof.
pub(crate) fn finished() -> DisputeView {
    let (moves, clocks) = game();
    let last = moves.last().expect("the game has moves");
    let step = last.part.expect("the proof's part").0;
    DisputeView {
        title: "load-balance".into(),
        description: "The liar asserts a wrong result for a memory load inside an account-balance \
                      read: the honest challenger bisects 64 blocks down to one, then that block's \
                      2³² steps down to one instruction, and proves it on L1."
            .into(),
        source: "test-vectors/disputes/load-balance.json".into(),
        module_root: hash("module root"),
        degree: DEGREE,
        clock: CLOCK,
        range: (100, 164),
        parties: parties(),
        gas_total: gas_total(&moves),
        moves,
        clocks,
        outcome: Some(OutcomeView {
            winner: 0,
            reason: "one-step proof".into(),
        }),
        proof: Some(proof(step)),
        disputed_step: Some(disputed_step(step)),
        notes: vec![
            "Times, gas and clocks are the vector's record, replayed on fresh contracts.".into(),
            "Round 8's gas differs from the record by two: the replay's verdict says so.".into(),
        ],
        live: false,
    }
}

/// The same game seen live by the challenger's node after six moves: the opponent's gas
/// unknown, no outcome, no proof yet.
pub(crate) fn live() -> DisputeView {
    let mut view = finished();
    view.title = "challenge 3".into();
    view.source = "node 127.0.0.1:8547, L1 block 1,204".into();
    view.moves.truncate(6);
    for m in &mut view.moves {
        m.mismatch = None;
        if m.party == 1 {
            m.gas = None;
        }
    }
    view.clocks.truncate(7);
    let last = *view.clocks.last().expect("samples");
    view.clocks.push(ClockPoint {
        t: last.t + 200,
        left: [last.left[0] - 200, last.left[1]],
    });
    view.gas_total = gas_total(&view.moves);
    view.outcome = None;
    view.proof = None;
    view.disputed_step = None;
    view.notes = vec!["The opponent's gas is unknown to this node.".into()];
    view.live = true;
    view
}

/// The game abandoned by the liar after five moves: its clock runs out and the challenger
/// ends the challenge by a timeout.
pub(crate) fn timed_out() -> DisputeView {
    let mut view = finished();
    view.title = "abandoned".into();
    view.moves.truncate(5);
    view.clocks.truncate(6);
    let last = *view.clocks.last().expect("samples");
    let out = last.t + last.left[1];
    view.clocks.push(ClockPoint {
        t: out,
        left: [last.left[0], 0],
    });
    view.clocks.push(ClockPoint {
        t: out + 5,
        left: [last.left[0], 0],
    });
    view.moves.push(MoveView {
        round: 6,
        party: 0,
        kind: "timeout".into(),
        level: None,
        start: None,
        length: None,
        parts: None,
        index: None,
        part: None,
        hashes: 0,
        at: Some(out + 5),
        gas: Some(52_000),
        clock_left: Some(0),
        mismatch: None,
    });
    view.gas_total = gas_total(&view.moves);
    view.outcome = Some(OutcomeView {
        winner: 0,
        reason: "timeout".into(),
    });
    view.proof = None;
    view.disputed_step = None;
    view.notes.clear();
    view
}
