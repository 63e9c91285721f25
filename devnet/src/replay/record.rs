//! Recording a dispute vector: an honest party and a liar play one challenge over a scenario's
//! blocks — every move decided by `fuse_prover::dispute::decide` on the party's history — on
//! freshly deployed challenge contracts on the embedded L1 (manual clock, so gas and clocks
//! are the same on every run), and every move is written down as it lands.

use std::sync::Arc;

use alloy_primitives::{Address, B256, U256};
use anyhow::{Context as _, bail};
use fuse_prover::block::ChainHost;
use fuse_prover::dispute::{Decision, Game, History, Liar, Lie, Move, Truth, decide};
use fuse_vm::{GlobalState, Module, Status};

use super::chain::ChallengeSet;
use super::vector::{
    DisputeVector, FORMAT, LieRecord, ModuleRef, MoveRecord, OutcomeRecord, Params, ProofRecord,
    Side, State,
};
use fuse_l1::{DevClock, EmbeddedClock, EmbeddedL1, L1};

/// The L1 time recording starts at.
pub const T0: u64 = 1_800_000_000;
/// The honest party's account.
pub const HONEST: Address = Address::repeat_byte(0xaa);
/// The lying party's account.
pub const LIAR: Address = Address::repeat_byte(0xbb);

/// Everything a recording needs.
pub struct Setup {
    /// The scenario's name (the vector's `name`).
    pub name: String,
    /// What the dispute shows (the vector's `description`).
    pub description: String,
    /// The module's wasm; `None` for the committed guest.
    pub wasm: Option<Vec<u8>>,
    /// The inbox, message 0 first.
    pub inbox: Vec<Vec<u8>>,
    /// The disputed blocks (inbox positions `from .. to`).
    pub range: (u64, u64),
    /// Where the liar departs from the truth.
    pub lie: LieRecord,
    /// Who opens the challenge (and moves first).
    pub challenger: Side,
    /// The ChallengeManager's bisection degree.
    pub degree: u64,
    /// Each party's clock, in seconds.
    pub clock: u64,
}

/// The module of a setup.
pub fn module_of(wasm: Option<&[u8]>) -> anyhow::Result<Arc<Module>> {
    Ok(match wasm {
        None => fuse_prover::guest::module().clone(),
        Some(w) => Arc::new(fuse_vm::load(w).context("the vector's module does not load")?),
    })
}

/// The honest history of `range` over `inbox`: every block from genesis run in the stepping
/// machine (the guest records the preimages the next block reads), the range cut out. The
/// range's last block may not finish: the history is then stuck there (a trap vector
/// disputes one).
pub fn truth_of(
    module: &Arc<Module>,
    inbox: &[Vec<u8>],
    range: (u64, u64),
) -> anyhow::Result<Truth> {
    let host = ChainHost::new();
    for m in inbox {
        host.store().push_message(m);
    }
    let mut states = vec![GlobalState::default()];
    let mut h = host.clone();
    for b in 0..range.1 {
        let mut m = fuse_vm::Machine::new(module.clone(), states[b as usize]);
        while m.status() == Status::Running && m.steps() < fuse_vm::MAX_STEPS {
            m.run(&mut h, fuse_vm::MAX_STEPS - m.steps())?;
        }
        if m.status() != Status::Finished {
            if b + 1 < range.1 {
                bail!("block {b} ended {:?} before the disputed block", m.status());
            }
            let states = states[range.0 as usize..].to_vec();
            return Ok(Truth::stuck(
                module.clone(),
                host,
                states,
                range.1 - range.0,
            ));
        }
        states.push(*m.global_state());
    }
    let states = states[range.0 as usize..=range.1 as usize].to_vec();
    Ok(Truth::new(module.clone(), host, states))
}

/// The instruction at step `t` of block `b` of `truth`: its mnemonic and class.
pub fn instruction_at(truth: &mut Truth, b: u64, t: u64) -> anyhow::Result<(String, String)> {
    let m = truth.trace(b)?.machine_at(t)?;
    if m.status() != Status::Running {
        return Ok(("halted".into(), "halted".into()));
    }
    let op = m.module().code[m.pc() as usize].op;
    Ok((
        op.mnemonic().into(),
        format!("{:?}", op.class()).to_lowercase(),
    ))
}

/// Plays the challenge of `setup` and writes it down.
pub async fn record(setup: &Setup) -> anyhow::Result<DisputeVector> {
    let module = module_of(setup.wasm.as_deref())?;
    let mut inspect = truth_of(&module, &setup.inbox, setup.range)?;
    let honest_truth = inspect.fork();
    let blocks = setup.range.1 - setup.range.0;
    let lie = match setup.lie.step {
        Some(step) => Lie::Step {
            block: setup.lie.block,
            step,
        },
        None => Lie::State {
            block: setup.lie.block,
        },
    };
    let mut liar: Box<dyn History> = Box::new(Liar::new(inspect.fork(), lie));
    let mut honest: Box<dyn History> = Box::new(honest_truth);
    let start = inspect.states()[0];
    let honest_end = match inspect.stuck_block() {
        Some(_) => State::stuck(),
        None => honest.global_state(blocks)?.into(),
    };
    let liar_end: State = liar.global_state(blocks)?.into();
    let accumulators = inspect.host().store().accumulators().to_vec();

    let l1 = EmbeddedL1::new(EmbeddedClock::Manual(T0));
    for a in [HONEST, LIAR] {
        l1.fund(a, U256::from(10u128.pow(21))).await?;
    }
    let set = ChallengeSet::deploy(&l1, &accumulators, setup.degree, setup.clock).await?;
    let address = |s: Side| if s == Side::Honest { HONEST } else { LIAR };
    let parties = [Side::Honest, Side::Liar].map(|s| set.party(l1.as_account(address(s))));
    let party = |s: Side| &parties[if s == Side::Honest { 0 } else { 1 }];
    let defender = setup.challenger.other();
    let defender_end = if defender == Side::Honest {
        honest_end
    } else {
        liar_end
    };
    let defender_end = defender_end.hash;
    let (id, _) = set
        .open(
            &l1,
            address(setup.challenger),
            address(defender),
            start.hash(),
            defender_end,
            blocks,
            module.root,
        )
        .await?;
    let opened_at = l1.head().await?.timestamp;
    let mut game = Game::open(
        start.hash(),
        defender_end,
        blocks,
        setup.degree,
        module.root,
    );
    let mut moves = Vec::new();
    let mut turn = setup.challenger;
    let mut liar_moves = 0;
    let winner;
    loop {
        let history = if turn == Side::Honest {
            &mut honest
        } else {
            &mut liar
        };
        let silent = turn == Side::Liar && setup.lie.silent_after.is_some_and(|n| liar_moves >= n);
        let decision = if silent {
            None
        } else {
            match decide(&game, history.as_mut())? {
                Decision::Move(m) => Some(m),
                Decision::Stuck { .. } => None,
            }
        };
        let Some(m) = decision else {
            // It cannot (or will not) move: its clock runs out and the other side ends it.
            let state = party(turn).challenge_state(id).await?;
            let left = if turn == setup.challenger {
                state.challenger_left
            } else {
                state.defender_left
            };
            l1.advance(left + 1).await?;
            let r = party(turn.other())
                .timeout(id)
                .await
                .context("timing out")?;
            moves.push(MoveRecord {
                round: moves.len() as u64 + 1,
                party: turn.other(),
                kind: "timeout".into(),
                level: None,
                start: None,
                length: None,
                index: None,
                hashes: Vec::new(),
                proof: None,
                finished: None,
                at: l1.head().await?.timestamp - opened_at,
                gas: r.gas_used,
                clock_left: 0,
                segment_hash: B256::ZERO,
            });
            winner = turn.other();
            break;
        };
        let old = game.segment.clone();
        let r = party(turn)
            .send_move(id, &old, &m)
            .await
            .with_context(|| format!("{} move {}", turn.name(), moves.len() + 1))?;
        if turn == Side::Liar {
            liar_moves += 1;
        }
        let state = party(turn).challenge_state(id).await?;
        let clock_left = if turn == setup.challenger {
            state.challenger_left
        } else {
            state.defender_left
        };
        let finished = match &m {
            Move::EnterLevelTwoFinishing { finished, .. } => Some(*finished),
            _ => None,
        };
        let (index, hashes, proof) = match &m {
            Move::Bisect { index, next }
            | Move::EnterLevelTwo { index, next }
            | Move::EnterLevelTwoFinishing { index, next, .. } => (*index, next.clone(), None),
            Move::Prove { index, proof, post } => {
                let from = old.interval(*index).0;
                let (opcode, class) = instruction_at(&mut inspect, game.block.unwrap_or(0), from)?;
                let p = ProofRecord {
                    step: from,
                    opcode,
                    class,
                    pre: old.hashes[*index as usize],
                    claimed: old.hashes[*index as usize + 1],
                    proven: *post,
                    proof: proof.clone().into(),
                };
                (*index, Vec::new(), Some(p))
            }
        };
        moves.push(MoveRecord {
            round: moves.len() as u64 + 1,
            party: turn,
            kind: m.name().into(),
            level: Some(old.level),
            start: Some(old.start),
            length: Some(old.length),
            index: Some(index),
            hashes,
            proof,
            finished,
            at: l1.head().await?.timestamp - opened_at,
            gas: r.gas_used,
            clock_left,
            segment_hash: if matches!(m, Move::Prove { .. }) {
                B256::ZERO
            } else {
                state.segment_hash
            },
        });
        match m.next_segment(&game) {
            Some(next) => game.advance(next)?,
            None => {
                winner = turn;
                break;
            }
        }
        turn = turn.other();
    }
    let (w, _) = set.result(&l1, id).await?;
    anyhow::ensure!(
        w == address(winner),
        "the contract's winner {w} is not the {}",
        winner.name()
    );
    let reason = match moves.last().map(|m: &MoveRecord| m.kind.as_str()) {
        Some("timeout") => "timeout",
        _ => "one-step proof",
    };
    Ok(DisputeVector {
        format: FORMAT,
        name: setup.name.clone(),
        description: setup.description.clone(),
        module: ModuleRef {
            root: module.root,
            wasm: setup.wasm.clone().map(Into::into),
        },
        params: Params {
            degree: setup.degree,
            clock: setup.clock,
            opened_at,
        },
        inbox: setup.inbox.iter().cloned().map(Into::into).collect(),
        accumulators,
        range: setup.range,
        start: start.into(),
        honest_claim: honest_end,
        liar_claim: liar_end,
        lie: setup.lie,
        challenger: setup.challenger,
        honest: HONEST,
        liar: LIAR,
        moves,
        outcome: OutcomeRecord {
            winner,
            reason: reason.into(),
        },
    })
}
