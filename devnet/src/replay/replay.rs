//! Replaying a dispute vector: first checked off-chain against the code (the module root, the
//! accumulators recomputed from the inbox, the claims and every honest hash recomputed by the
//! stepping machine, the one-step proof verified by the Rust verifier), then replayed move by
//! move on freshly deployed contracts on an L1 — each move at its recorded time, its gas, the
//! mover's clock and the stored segment hash compared with the record — to the recorded
//! outcome.

use alloy_primitives::{Address, B256};
use anyhow::Context as _;
use fuse_prover::dispute::{Game, History, Liar, Lie, Move};
use fuse_verifier::verify;

use super::chain::ChallengeSet;
use super::record::{instruction_at, module_of, truth_of};
use super::vector::{DisputeVector, MoveRecord, Side};
use fuse_l1::{DevClock, L1};

/// One check and what it found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    /// What was checked (`module root`, `honest claim`, ...).
    pub what: String,
    /// Whether it matched.
    pub ok: bool,
    /// The value found, for the reader.
    pub detail: String,
}

/// One replayed move.
#[derive(Clone, Debug)]
pub struct Row {
    /// The move as recorded.
    pub record: MoveRecord,
    /// The gas its transaction used on the L1 (0 if it failed).
    pub gas: u64,
    /// The mover's clock after it on the L1, in seconds.
    pub clock_left: u64,
    /// The stored segment hash after it on the L1 (zero once the challenge ended).
    pub segment_hash: B256,
    /// Empty when everything matched the record.
    pub mismatches: Vec<String>,
}

/// A whole replay.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// The off-chain checks, in the order made.
    pub checks: Vec<Check>,
    /// Every move replayed on the L1, in order.
    pub rows: Vec<Row>,
    /// The winner on L1.
    pub winner: Option<Address>,
    /// Whether the winner and how the challenge ended are the recorded ones.
    pub outcome_ok: bool,
}

impl Report {
    /// Whether every check, every move and the outcome matched.
    pub fn passed(&self) -> bool {
        self.outcome_ok
            && self.checks.iter().all(|c| c.ok)
            && self.rows.iter().all(|r| r.mismatches.is_empty())
    }

    fn check(&mut self, what: &str, ok: bool, detail: String) {
        self.checks.push(Check {
            what: what.into(),
            ok,
            detail,
        });
    }
}

/// The checks that need no L1.
pub fn check_offline(v: &DisputeVector, report: &mut Report) -> anyhow::Result<()> {
    let module = module_of(v.module.wasm.as_ref().map(|w| w.as_ref()))?;
    report.check(
        "module root",
        module.root == v.module.root,
        format!("{} (recorded {})", module.root, v.module.root),
    );
    let inbox: Vec<Vec<u8>> = v.inbox.iter().map(|m| m.to_vec()).collect();
    let accs = fuse_vm::inbox::accumulators(inbox.iter().map(Vec::as_slice));
    report.check(
        "inbox accumulators",
        accs == v.accumulators,
        format!("{} messages", inbox.len()),
    );
    let mut truth = truth_of(&module, &inbox, v.range)?;
    let blocks = v.range.1 - v.range.0;
    let start = truth.global_state(0)?;
    let end = truth.block_hash(blocks)?;
    let stuck = truth.stuck_block().is_some();
    report.check(
        "start state",
        start.hash() == v.start.hash && v.start.global_state().hash() == v.start.hash,
        format!("{}", start.hash()),
    );
    let honest_claim_ok = if stuck {
        v.honest_claim.is_stuck()
    } else {
        end == v.honest_claim.hash && v.honest_claim.global_state().hash() == end
    };
    report.check(
        "honest claim",
        honest_claim_ok,
        if stuck {
            format!("block {} of the range cannot finish: STUCK", blocks - 1)
        } else {
            format!("the stepping machine ends the range at {end}")
        },
    );
    // A level-1 liar claims the state after the range with its state root's last bit flipped
    // (past a block that cannot finish: the state before it, one message on per block).
    let mut level1_liar = Liar::new(truth.fork(), Lie::State { block: v.lie.block });
    let liar_end = level1_liar.global_state(blocks)?.hash();
    report.check(
        "liar claim",
        v.liar_claim.hash != v.honest_claim.hash
            && v.liar_claim.global_state().hash() == v.liar_claim.hash
            && (v.lie.step.is_some() || liar_end == v.liar_claim.hash),
        format!("{}", v.liar_claim.hash),
    );
    // Every hash the honest side posted is the machine's.
    let mut game = opening(v);
    let mut honest_hashes = 0;
    let mut wrong = Vec::new();
    for m in &v.moves {
        let Some(mv) = to_move(m) else { break };
        if m.party == Side::Honest && !m.hashes.is_empty() {
            let next = mv.next_segment(&game).context("a posted segment")?;
            let points = next.points();
            let ours = match next.level {
                1 => points
                    .iter()
                    .map(|&p| truth.block_hash(p))
                    .collect::<anyhow::Result<Vec<_>>>()?,
                _ => {
                    let b = match mv {
                        Move::EnterLevelTwo { index, .. }
                        | Move::EnterLevelTwoFinishing { index, .. } => {
                            game.segment.interval(index).0
                        }
                        _ => game.block.context("level 2 without a block")?,
                    };
                    truth.machine_hashes(b, &points)?
                }
            };
            honest_hashes += ours.len();
            if ours != m.hashes {
                wrong.push(m.round);
            }
        }
        if let Some(p) = &m.proof {
            let post = verify(p.pre, &p.proof, &v.accumulators);
            // What the record says of the proof is what the game and the machine say.
            let index = m.index.unwrap_or(u64::MAX) as usize;
            let seg = &game.segment;
            let at = seg.interval(index as u64).0;
            let block = game.block.context("a proof outside level 2")?;
            let (opcode, class) = instruction_at(&mut truth, block, at)?;
            let described = seg.hashes.get(index) == Some(&p.pre)
                && seg.hashes.get(index + 1) == Some(&p.claimed)
                && p.step == at
                && p.opcode == opcode
                && p.class == class;
            report.check(
                "one-step proof (Rust verifier)",
                described && post.as_ref().ok() == Some(&p.proven) && p.proven != p.claimed,
                format!(
                    "step {} `{}` ({}): {} -> {}, claimed {}",
                    p.step,
                    p.opcode,
                    p.class,
                    short(p.pre),
                    short(p.proven),
                    short(p.claimed)
                ),
            );
        }
        match mv.next_segment(&game) {
            Some(next) => game.advance(next)?,
            None => break,
        }
    }
    report.check(
        "honest hashes recomputed",
        wrong.is_empty(),
        if wrong.is_empty() {
            format!("{honest_hashes} hashes equal the stepping machine's")
        } else {
            format!("rounds {wrong:?} differ from the stepping machine")
        },
    );
    Ok(())
}

/// The game as the challenge opens: the whole range, from the agreed state to the
/// defender's claim.
fn opening(v: &DisputeVector) -> Game {
    Game::open(
        v.start.hash,
        claim_of(v, v.defender()),
        v.range.1 - v.range.0,
        v.params.degree,
        v.module.root,
    )
}

/// The end state `side` claims.
fn claim_of(v: &DisputeVector, side: Side) -> B256 {
    match side {
        Side::Honest => v.honest_claim.hash,
        Side::Liar => v.liar_claim.hash,
    }
}

/// The move a record names (`None` for a timeout).
pub fn to_move(m: &MoveRecord) -> Option<Move> {
    let index = m.index?;
    Some(match m.kind.as_str() {
        "bisect" => Move::Bisect {
            index,
            next: m.hashes.clone(),
        },
        "enterLevelTwo" => Move::EnterLevelTwo {
            index,
            next: m.hashes.clone(),
        },
        "enterLevelTwoFinishing" => Move::EnterLevelTwoFinishing {
            index,
            next: m.hashes.clone(),
            finished: m.finished?,
        },
        "proveOneStep" => {
            let p = m.proof.as_ref()?;
            Move::Prove {
                index,
                proof: p.proof.to_vec(),
                post: p.proven,
            }
        }
        _ => return None,
    })
}

/// A hash as `0x1234…abcd`.
pub fn short(h: B256) -> String {
    let s = h.to_string();
    format!("{}…{}", &s[..6], &s[s.len() - 4..])
}

/// Replays `v` on an L1: `deployer` deploys and opens, `honest` and `liar` move. `exact_time`:
/// the L1's clock can be set to each recorded time (a dev chain whose blocks are one second
/// apart, as the embedded L1's manual clock), so clocks are compared too.
pub async fn replay<L: L1 + DevClock + Clone + 'static>(
    v: &DisputeVector,
    deployer: &L,
    honest: L,
    liar: L,
    exact_time: bool,
) -> anyhow::Result<Report> {
    let mut report = Report::default();
    check_offline(v, &mut report)?;

    let set =
        ChallengeSet::deploy(deployer, &v.accumulators, v.params.degree, v.params.clock).await?;
    let (h, l) = (honest.signer(), liar.signer());
    let parties = [set.party(honest), set.party(liar)];
    let party = |s: Side| &parties[if s == Side::Honest { 0 } else { 1 }];
    let address = |s: Side| if s == Side::Honest { h } else { l };
    let blocks = v.range.1 - v.range.0;
    if exact_time {
        let head = deployer.head().await?.timestamp;
        // The opening lands one second after the head.
        if v.params.opened_at > head + 1 {
            deployer.advance(v.params.opened_at - head - 1).await?;
        }
    }
    let (id, _) = set
        .open(
            deployer,
            address(v.challenger),
            address(v.defender()),
            v.start.hash,
            claim_of(v, v.defender()),
            blocks,
            v.module.root,
        )
        .await?;
    let opened = deployer.head().await?.timestamp;
    if exact_time && opened != v.params.opened_at {
        report.check(
            "opening time",
            false,
            format!("opened at {opened}, recorded {}", v.params.opened_at),
        );
    }
    let mut game = opening(v);
    for m in &v.moves {
        let mut mismatches = Vec::new();
        if exact_time {
            let target = opened + m.at;
            let head = deployer.head().await?.timestamp;
            if target > head + 1 {
                deployer.advance(target - head - 1).await?;
            } else if target < head + 1 {
                mismatches.push(format!("the L1 is past the recorded time {target}"));
            }
        }
        let p = party(m.party);
        let receipt = match to_move(m) {
            Some(mv) => {
                let r = p.send_move(id, &game.segment, &mv).await;
                if let Some(next) = mv.next_segment(&game) {
                    game.advance(next)?;
                }
                r
            }
            None => {
                if !exact_time {
                    // Run out the clock of the party on turn (a dev chain's clock moves on
                    // request; the recorded time cannot be set exactly).
                    let st = p.challenge_state(id).await?;
                    let left = if st.mover == address(v.challenger) {
                        st.challenger_left
                    } else {
                        st.defender_left
                    };
                    deployer.advance(left + 1).await?;
                }
                p.timeout(id).await
            }
        };
        let receipt = match receipt {
            Ok(r) => r,
            Err(e) => {
                mismatches.push(format!("the move failed: {e}"));
                report.rows.push(Row {
                    record: m.clone(),
                    gas: 0,
                    clock_left: 0,
                    segment_hash: B256::ZERO,
                    mismatches,
                });
                break;
            }
        };
        let state = p.challenge_state(id).await?;
        let clock_left = if m.party == v.challenger {
            state.challenger_left
        } else {
            state.defender_left
        };
        let terminal = m.kind == "proveOneStep" || m.kind == "timeout";
        let segment_hash = if terminal {
            B256::ZERO
        } else {
            state.segment_hash
        };
        if receipt.gas_used != m.gas {
            mismatches.push(format!("gas {} (recorded {})", receipt.gas_used, m.gas));
        }
        if segment_hash != m.segment_hash {
            mismatches.push(format!(
                "segment {} (recorded {})",
                short(segment_hash),
                short(m.segment_hash)
            ));
        }
        if exact_time && !terminal && clock_left != m.clock_left {
            mismatches.push(format!("clock {clock_left} s (recorded {})", m.clock_left));
        }
        report.rows.push(Row {
            record: m.clone(),
            gas: receipt.gas_used,
            clock_left,
            segment_hash,
            mismatches,
        });
    }
    let (winner, _) = set.result(deployer, id).await?;
    report.winner = Some(winner);
    // How it ended on L1: by the last transaction that went through.
    let ended_by = match report.rows.last() {
        // A move that failed is recorded with no gas.
        Some(r) if r.gas > 0 && r.record.kind == "timeout" => "timeout",
        Some(r) if r.gas > 0 && r.record.kind == "proveOneStep" => "one-step proof",
        _ => "nothing",
    };
    report.outcome_ok = winner == address(v.outcome.winner) && ended_by == v.outcome.reason;
    Ok(report)
}
