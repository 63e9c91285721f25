//! A dispute vector as the dispute viewer shows it (`fuse_inspect::model::DisputeView`):
//! every move with its segment and the part it disputed, both clocks over time (exact: a
//! party's clock drains only on its turn, so the points at the moves are the whole curve), gas,
//! the outcome, the one-step proof decoded by the verifier, and the machine at the disputed
//! step from the stepping machine.

use alloy_primitives::B256;
use anyhow::Context as _;
use fuse_inspect::chain::Chain;
use fuse_inspect::model::{
    ClockPoint, DisputeView, DisputedStep, MoveView, OutcomeView, PartyView,
};
use fuse_inspect::proof::proof_view;
use fuse_inspect::step::{Functions, MEMORY_SHOWN, StepView, diff, touched_address};
use fuse_prover::dispute::segment::split;

use super::replay::Report;
use super::vector::{DisputeVector, MoveRecord, Side};

/// The party index of `side` in a view: the challenger is 0.
fn party(v: &DisputeVector, side: Side) -> usize {
    usize::from(side != v.challenger)
}

/// How many parts the segment each move answers is cut into: the opening segment one
/// (docs/spec/protocol.md: `k = 1` whatever its length), every later one as many as the
/// hashes the move before posted, less one.
fn answered_parts(v: &DisputeVector) -> Vec<Option<u64>> {
    let mut out = vec![Some(1)];
    out.extend(
        v.moves
            .iter()
            .map(|m| (m.hashes.len() as u64).checked_sub(1).filter(|&k| k > 0)),
    );
    out.truncate(v.moves.len());
    out
}

/// The sub-interval `[from, to]` a move disputed in the segment it answered, cut into `k`
/// parts (`None` for a crafted vector whose numbers do not fit).
fn part_of(m: &MoveRecord, k: Option<u64>) -> Option<(u64, u64)> {
    let (start, length, index, k) = (m.start?, m.length?, m.index?, k?);
    if index >= k {
        return None;
    }
    let from = start.checked_add(split(length, k, index))?;
    let to = start.checked_add(split(length, k, index + 1))?;
    Some((from, to))
}

/// The block of the range (0-based) the second level ran on: the part the move entering it
/// chose.
pub fn disputed_block(v: &DisputeVector) -> Option<u64> {
    v.moves
        .iter()
        .zip(answered_parts(v))
        .find(|(m, _)| m.kind.starts_with("enterLevelTwo"))
        .and_then(|(m, k)| part_of(m, k))
        .map(|(from, _)| from)
}

/// Both clocks after each move, from the opening: the mover's clock is what it had left when
/// its move was mined (it drained since the move before), the other's is unchanged. A
/// timeout records the timed-out party's clock. The move that ends the challenge by a proof
/// records zero (the manager zeroes an ended challenge's clocks), so its mover's clock is
/// what its turn took from it, as the manager would have charged.
fn clocks(v: &DisputeVector) -> Vec<ClockPoint> {
    let mut left = [v.params.clock; 2];
    let mut out = vec![ClockPoint { t: 0, left }];
    let mut turn_began = 0;
    for m in &v.moves {
        if m.kind == "timeout" {
            left[party(v, m.party.other())] = m.clock_left;
        } else if m.kind == "proveOneStep" {
            let p = party(v, m.party);
            left[p] = left[p].saturating_sub(m.at.saturating_sub(turn_began));
        } else {
            left[party(v, m.party)] = m.clock_left;
        }
        turn_began = m.at;
        out.push(ClockPoint { t: m.at, left });
    }
    out
}

/// The page of vector `v` read from `source`, with a replay's verdict on each move if given.
pub fn view(v: &DisputeVector, source: &str, report: Option<&Report>) -> DisputeView {
    let degree = v.params.degree;
    let side_name = |s: Side| s.name().to_string();
    let address = |s: Side| match s {
        Side::Honest => v.honest.to_checksum(None),
        Side::Liar => v.liar.to_checksum(None),
    };
    let parties = [v.challenger, v.challenger.other()].map(|s| PartyView {
        name: side_name(s),
        role: if s == v.challenger {
            "challenger".into()
        } else {
            "defender".into()
        },
        address: address(s),
    });
    let mut gas_total = [0u64; 2];
    let clocks = clocks(v);
    let parts = answered_parts(v);
    let moves: Vec<MoveView> = v
        .moves
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let p = party(v, m.party);
            gas_total[p] = gas_total[p].saturating_add(m.gas);
            let mismatch = report
                .and_then(|r| r.rows.get(i))
                .map(|row| row.mismatches.join("; "))
                .filter(|s| !s.is_empty());
            MoveView {
                round: m.round,
                party: party(v, m.party),
                kind: m.kind.clone(),
                level: m.level,
                start: m.start,
                length: m.length,
                parts: parts[i],
                index: m.index,
                part: part_of(m, parts[i]),
                hashes: m.hashes.len(),
                at: Some(m.at),
                gas: Some(m.gas),
                // The proof's own record is zero (an ended challenge has no clocks); the page
                // shows what the proof's turn left, as the curve does.
                clock_left: Some(if m.kind == "proveOneStep" {
                    clocks[i + 1].left[p]
                } else {
                    m.clock_left
                }),
                mismatch,
            }
        })
        .collect();
    let mut notes = Vec::new();
    let (proof, disputed_step) = match proof_and_step(v) {
        Ok(p) => p,
        Err(e) => {
            notes.push(format!("the disputed step could not be shown: {e:#}"));
            (None, None)
        }
    };
    if v.moves.iter().all(|m| m.proof.is_none()) {
        notes.push(format!(
            "no one-step proof was sent: the challenge ended by {}",
            v.outcome.reason
        ));
    }
    if let Some(r) = report.filter(|r| !r.passed()) {
        let failed: Vec<&str> = r
            .checks
            .iter()
            .filter(|c| !c.ok)
            .map(|c| c.what.as_str())
            .collect();
        notes.insert(
            0,
            format!(
                "this replay did NOT reproduce the record{}: the outcome, gas and clocks shown are \
                 the record's, unconfirmed",
                if failed.is_empty() {
                    String::new()
                } else {
                    format!(" (failed: {})", failed.join(", "))
                }
            ),
        );
    }
    let verdict = match report {
        None => String::new(),
        Some(r) if r.passed() => {
            "; replayed on an L1: every move, gas figure, clock and the outcome as recorded".into()
        }
        Some(_) => "; replayed on an L1: NOT as recorded (see the moves)".into(),
    };
    DisputeView {
        title: v.name.clone(),
        description: v.description.clone(),
        source: format!("dispute vector {source}{verdict}"),
        module_root: v.module.root,
        degree,
        clock: v.params.clock,
        range: v.range,
        parties,
        moves,
        clocks,
        gas_total,
        outcome: Some(OutcomeView {
            winner: party(v, v.outcome.winner),
            reason: v.outcome.reason.clone(),
        }),
        proof,
        disputed_step,
        notes,
        live: false,
    }
}

type ProofAndStep = (Option<fuse_inspect::model::ProofView>, Option<DisputedStep>);

/// The one-step proof decoded and the machine at its step, if the vector has a proof.
fn proof_and_step(v: &DisputeVector) -> anyhow::Result<ProofAndStep> {
    let Some(p) = v.moves.iter().find_map(|m| m.proof.as_ref()) else {
        return Ok((None, None));
    };
    let block = disputed_block(v).unwrap_or(v.lie.block);
    let mut chain = Chain::new(
        v.module.wasm.as_ref().map(|w| w.as_ref()),
        v.inbox.iter().map(|m| m.as_ref()),
    )?;
    let names = v
        .module
        .wasm
        .is_none()
        .then(fuse_prover::names::committed)
        .flatten();
    let module = chain.module().clone();
    let fns = Functions::new(&module, names);
    let accumulators: Vec<B256> = v.accumulators.clone();
    let proof = proof_view(
        block,
        p.step,
        &p.proof,
        p.pre,
        p.claimed,
        &accumulators,
        &fns,
    );
    let position = v
        .range
        .0
        .checked_add(block)
        .context("the disputed block is past any inbox")?;
    let trace = chain.trace(position, &mut |_, _| {})?;
    let mut before = trace.machine_at(p.step.min(fuse_vm::MAX_STEPS))?;
    let mut after = trace.machine_at(p.step.saturating_add(1).min(fuse_vm::MAX_STEPS))?;
    let changes = diff(&before, &after, &fns);
    // Memory at the address the disputed instruction touches, before and after it.
    let memory = touched_address(&before).map(|a| (a, MEMORY_SHOWN));
    let step = DisputedStep {
        before: StepView::of(&mut before, &fns, memory),
        after: StepView::of(&mut after, &fns, memory),
        diff: changes,
    };
    Ok((Some(proof), Some(step)))
}
