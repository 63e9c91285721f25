//! The named dispute scenarios `fuse-l2 replay --record` knows, and that the committed vectors
//! in `test-vectors/disputes/` are recorded from. Each places the disputed step where it
//! shows one thing: an instruction of each class, each host call, a trap, a halted machine, a
//! lie at level 1 only, and both ways of winning by timeout.
//!
//! Who must prove is fixed by the game's parity: with degree 16 and `MAX_STEPS = 2^32` level 2
//! takes an `enterLevelTwo` and seven bisections, so over a range of one block the challenger
//! faces the last one-step interval and over a range of three the defender does. A scenario
//! that wants the honest side to prove its step makes it that party.

use fuse_arbos::message::KIND_TICK;
use fuse_prover::dispute::Truth;
use fuse_prover::scenario::{Scenario, Wallet};
use fuse_vm::isa::{OpClass, Opcode};
use fuse_vm::{Machine, Status};

use super::record::{Setup, instruction_at, module_of, truth_of};
use super::vector::{LieRecord, Side};

/// Bisection degree of every recorded scenario.
pub const DEGREE: u64 = 16;
/// Each party's clock in every recorded scenario, in seconds.
pub const CLOCK: u64 = 1_800;

/// Every scenario's name and what it shows.
pub const SCENARIOS: &[(&str, &str)] = &[
    (
        "control",
        "the disputed step is a control instruction (a call) inside a batch block",
    ),
    (
        "math",
        "the disputed step is an integer instruction (i32.add) inside a batch block",
    ),
    (
        "memory",
        "the disputed step is a memory store inside a batch block",
    ),
    (
        "inbox-read",
        "the disputed step reads a 32-byte chunk of the inbox message (host.read_inbox)",
    ),
    (
        "preimage-read",
        "the disputed step reads a state-trie node by its hash (host.read_preimage)",
    ),
    ("keccak", "the disputed step is the keccak256 precompile"),
    (
        "ecrecover",
        "the disputed step is the ecrecover precompile recovering a transfer's signer",
    ),
    (
        "trap",
        "a block of a small module traps (unreachable): the honest side claims STUCK, the liar that it ran on",
    ),
    (
        "stuck-defended",
        "the liar challenges a STUCK claim over a trapping block with a finished machine (enterLevelTwoFinishing)",
    ),
    (
        "halted",
        "the liar claims a finished block's machine still changes, far past its end",
    ),
    (
        "level-1",
        "the liar's states are wrong but its machine hashes true until the block's end",
    ),
    (
        "timeout-silent",
        "the liar stops answering mid-bisection; the honest side wins by timeout",
    ),
    (
        "timeout-stuck",
        "the liar reaches the bottom with no valid proof and runs out its clock",
    ),
];

/// The guest chain every guest scenario disputes: `Config`, two deposits and a batch of two
/// transfers and a withdrawal (messages 0–3), then a tick.
fn guest_inbox() -> Vec<Vec<u8>> {
    let (alice, bob) = (Wallet::from_seed(0xa1), Wallet::from_seed(0xb0));
    let mut s = Scenario::new(412_346, [0x1b; 20], 600, 1_800_000_000);
    s.deposit(alice.address, 10u128.pow(18));
    s.deposit(bob.address, 10u128.pow(17));
    let txs = vec![
        s.transfer(&alice, bob.address, 25 * 10u128.pow(15)),
        s.transfer(&bob, alice.address, 10u128.pow(15)),
        s.withdraw(&alice, alice.address, 10u128.pow(16)),
    ];
    s.batch(&txs);
    s.tick();
    s.messages().to_vec()
}

/// The first step at or after `from` of block `b` whose instruction satisfies `want`.
fn find_step(
    truth: &mut Truth,
    b: u64,
    from: u64,
    want: impl Fn(Opcode) -> bool,
) -> anyhow::Result<u64> {
    let mut m: Machine = truth.trace(b)?.machine_at(from)?;
    let mut host = truth.host().clone();
    while m.status() == Status::Running {
        if want(m.module().code[m.pc() as usize].op) {
            return Ok(m.steps());
        }
        m.step(&mut host)?;
    }
    anyhow::bail!("block {b} has no such instruction after step {from}")
}

/// A one-block setup (the honest side challenges and so proves) whose liar departs right
/// after the first step from `from` on whose instruction satisfies `want`; `place` ends the
/// description.
fn at_instruction(
    name: &str,
    wasm: Option<Vec<u8>>,
    inbox: Vec<Vec<u8>>,
    range: (u64, u64),
    from: u64,
    want: impl Fn(Opcode) -> bool,
    place: &str,
) -> anyhow::Result<Setup> {
    let module = module_of(wasm.as_deref())?;
    let mut truth = truth_of(&module, &inbox, range)?;
    let t = find_step(&mut truth, 0, from, want)?;
    let (op, _) = instruction_at(&mut truth, 0, t)?;
    Ok(Setup {
        name: name.into(),
        description: format!("{} (`{op}` at step {t}{place})", describe(name)),
        wasm,
        inbox,
        range,
        lie: LieRecord {
            block: 0,
            step: Some(t + 1),
            silent_after: None,
        },
        challenger: Side::Honest,
        degree: DEGREE,
        clock: CLOCK,
    })
}

/// The batch block alone (range 3..4), disputed at an instruction satisfying `want`.
fn batch_step(name: &str, from: u64, want: impl Fn(Opcode) -> bool) -> anyhow::Result<Setup> {
    at_instruction(
        name,
        None,
        guest_inbox(),
        (3, 4),
        from,
        want,
        " of the batch block",
    )
}

/// A setup disputing the three blocks of the guest chain after `Config` (two deposits and the
/// batch), the liar departing in `block` at `step` (none: level 1 only).
fn guest_range(
    name: &str,
    block: u64,
    step: Option<u64>,
    silent_after: Option<u64>,
    challenger: Side,
) -> Setup {
    Setup {
        name: name.into(),
        description: describe(name).into(),
        wasm: None,
        inbox: guest_inbox(),
        range: (1, 4),
        lie: LieRecord {
            block,
            step,
            silent_after,
        },
        challenger,
        degree: DEGREE,
        clock: CLOCK,
    }
}

fn describe(name: &str) -> &'static str {
    SCENARIOS
        .iter()
        .find(|(n, _)| *n == name)
        .map_or("", |(_, d)| d)
}

/// A module that counts down from 100 and then traps.
const TRAP_WAT: &str = r#"(module
  (func (export "fuse_entry") (local i32)
    (local.set 0 (i32.const 100))
    (loop $l
      (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
      (br_if $l (local.get 0)))
    unreachable))"#;

/// The setup of scenario `name`.
pub fn setup(name: &str) -> anyhow::Result<Setup> {
    let is = |want: Opcode| move |o: Opcode| o == want;
    match name {
        "control" => batch_step(name, 10_000, is(Opcode::Call)),
        "math" => batch_step(name, 10_000, is(Opcode::I32Add)),
        "memory" => batch_step(name, 10_000, |o| {
            o.class() == OpClass::Memory && o.mnemonic().contains("store")
        }),
        "inbox-read" => batch_step(name, 0, is(Opcode::ReadInbox)),
        "preimage-read" => batch_step(name, 0, is(Opcode::ReadPreimage)),
        "keccak" => batch_step(name, 0, is(Opcode::Keccak256)),
        "ecrecover" => batch_step(name, 0, is(Opcode::Ecrecover)),
        "trap" | "stuck-defended" => {
            let wasm = fuse_vm::testing::programs::try_wat(TRAP_WAT).map_err(anyhow::Error::msg)?;
            // The module reads nothing; one message gives the range its block.
            let inbox = vec![vec![KIND_TICK]];
            let mut s = at_instruction(
                name,
                Some(wasm),
                inbox,
                (0, 1),
                0,
                is(Opcode::Unreachable),
                "",
            )?;
            if name == "stuck-defended" {
                s.challenger = Side::Liar;
            }
            Ok(s)
        }
        // Three blocks: the defender faces the last step, so the liar challenges where the
        // honest side should prove, and the honest side where the liar should be stuck.
        "halted" => Ok(guest_range(name, 2, Some(1 << 31), None, Side::Liar)),
        "level-1" => Ok(guest_range(name, 1, None, None, Side::Liar)),
        "timeout-silent" => Ok(guest_range(name, 2, Some(5_000), Some(3), Side::Honest)),
        "timeout-stuck" => Ok(guest_range(name, 2, Some(5_000), None, Side::Honest)),
        other => anyhow::bail!(
            "no scenario {other:?}; the scenarios are: {}",
            SCENARIOS
                .iter()
                .map(|(n, _)| *n)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}
