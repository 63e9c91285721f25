//! What a node shows of the challenges it follows while they are played: the dispute viewer's
//! page per challenge (`fuse_inspect`), built from what the validator knows — the segments
//! each party posted (its view of the ChallengeManager's events), its own moves with their gas
//! and clocks (its dispute record), and both clocks as it sampled them each poll.
//!
//! The validator writes the [`Board`] after each poll; the process's HTTP server reads it
//! (`/challenges`, `/challenges/ID`). A live page knows less than a vector's: an opponent's gas
//! and the exact time of each move are not in the events, and a one-step proof's bytes are in
//! the transaction, not in an event. The page says so in its notes.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use alloy_primitives::{Address, B256};
use fuse_inspect::model::{ClockPoint, DisputeView, MoveView, OutcomeView, PartyView};
use fuse_prover::dispute::segment::{LEVEL_BLOCKS, split};

use crate::store::{DisputeRecord, MoveState};
use crate::view::ChallengeInfo;

/// Most clock samples kept per challenge; older ones are thinned, every other one dropped.
const MAX_SAMPLES: usize = 512;

/// One challenge as the validator last saw it.
#[derive(Clone, Debug)]
pub struct Live {
    /// The challenge's id.
    pub id: u64,
    /// What the events said.
    pub info: ChallengeInfo,
    /// This validator's record of it, if it is a party.
    pub record: Option<DisputeRecord>,
    /// The module root the range runs under.
    pub module_root: B256,
    /// The inbox positions the disputed range runs between.
    pub range: (u64, u64),
    /// `(L1 time, challenger's seconds left, defender's seconds left)`, as sampled.
    pub samples: Vec<(u64, u64, u64)>,
    /// The L1 time of the first sample (the page's time 0).
    pub first_seen: u64,
    /// The validator's own account.
    pub me: Address,
    /// The ChallengeManager's degree and clock.
    pub degree: u64,
    /// Each party's clock at the opening.
    pub clock: u64,
    /// The L1 block the validator had read up to.
    pub read_to: u64,
}

impl Live {
    /// Adds a clock sample at L1 time `t`. A sample on the same turn as the two before it
    /// replaces the last (the clocks move in straight lines within a turn), so the samples
    /// stay the curve's corners; one earlier than the last drops the later ones.
    pub fn sample(&mut self, t: u64, challenger_left: u64, defender_left: u64) {
        let s = (t, challenger_left, defender_left);
        // An earlier time than the last sample's: a reorg took the head back, and what was
        // sampled after it may never have been.
        while self.samples.last().is_some_and(|l| l.0 >= t) {
            self.samples.pop();
        }
        if self.samples.len() >= 2 {
            let (a, b) = (
                self.samples[self.samples.len() - 2],
                self.samples[self.samples.len() - 1],
            );
            let same_turn = |x: (u64, u64, u64), y: (u64, u64, u64)| {
                (x.1 == y.1) == (b.1 == s.1) && (x.2 == y.2) == (b.2 == s.2)
            };
            if same_turn(a, b) {
                *self.samples.last_mut().expect("two samples") = s;
                return;
            }
        }
        if self.samples.len() >= MAX_SAMPLES {
            let mut i = 0;
            self.samples.retain(|_| {
                i += 1;
                i % 2 == 1
            });
        }
        self.samples.push(s);
    }
}

/// The challenges a validator follows, shared with the process's HTTP server.
#[derive(Clone, Debug, Default)]
pub struct Board(Arc<Mutex<BTreeMap<u64, Live>>>);

impl Board {
    /// A new, empty board.
    pub fn new() -> Board {
        Board::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, Live>> {
        // Every write is one insertion or one update of a value: a poisoned lock still holds
        // a consistent map.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Updates challenge `id` with `f`, creating it with `new` if absent.
    pub fn update(&self, id: u64, new: impl FnOnce() -> Live, f: impl FnOnce(&mut Live)) {
        let mut map = self.lock();
        f(map.entry(id).or_insert_with(new));
    }

    /// Forgets challenge `id` (a reorg took it back).
    pub fn remove(&self, id: u64) {
        self.lock().remove(&id);
    }

    /// Whether challenge `id` is on the board ended, as `info` still says it is, with its
    /// record (if any) settled too: nothing about it can change until a reorg does.
    pub fn settled(&self, id: u64, info: &ChallengeInfo) -> bool {
        self.lock().get(&id).is_some_and(|l| {
            l.info == *info
                && info.ended.is_some()
                && l.record.as_ref().is_none_or(|r| r.outcome.is_some())
        })
    }

    /// The ids on the board, with whether each is still open.
    pub fn list(&self) -> Vec<(u64, bool)> {
        self.lock()
            .values()
            .map(|l| (l.id, l.info.ended.is_none()))
            .collect()
    }

    /// The page model of challenge `id`.
    pub fn view(&self, id: u64) -> Option<DisputeView> {
        self.lock().get(&id).map(live_view)
    }

    /// What the HTTP server answers under `/challenges`: the index (`/challenges`), a
    /// challenge's viewer page (`/challenges/ID`) or its model as JSON
    /// (`/challenges/ID.json`); `None` for any other path (404).
    pub fn page(&self, path: &str) -> Option<fuse_metrics::Page> {
        let rest = path.strip_prefix("/challenges")?;
        if rest.is_empty() || rest == "/" {
            return Some(fuse_metrics::Page {
                content_type: "text/html; charset=utf-8",
                body: index_page(&self.list()),
            });
        }
        let rest = rest.strip_prefix('/')?;
        let (id, json) = match rest.strip_suffix(".json") {
            Some(id) => (id, true),
            None => (rest, false),
        };
        let view = self.view(id.parse().ok()?)?;
        Some(if json {
            fuse_metrics::Page {
                content_type: "application/json",
                body: serde_json::to_string(&view).expect("a view always serializes"),
            }
        } else {
            fuse_metrics::Page {
                content_type: "text/html; charset=utf-8",
                body: fuse_inspect::html::render(&view),
            }
        })
    }
}

/// The list of challenges, open ones first, each linking to its page.
fn index_page(list: &[(u64, bool)]) -> String {
    let mut rows = String::new();
    for open in [true, false] {
        for (id, _) in list.iter().filter(|(_, o)| *o == open) {
            rows.push_str(&format!(
                "<li><a href=\"/challenges/{id}\">challenge {id}</a> — {}</li>\n",
                if open { "open" } else { "ended" }
            ));
        }
    }
    if rows.is_empty() {
        rows.push_str("<li>none seen yet</li>\n");
    }
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>challenges</title>\
         <style>body{{font-family:system-ui,sans-serif;margin:2em}}</style></head>\
         <body><h1>Challenges this node follows</h1><ul>\n{rows}</ul></body></html>\n"
    )
}

fn short(a: Address) -> String {
    let s = a.to_checksum(None);
    format!("{}…{}", &s[..6], &s[s.len() - 4..])
}

/// The page of one live challenge.
pub fn live_view(l: &Live) -> DisputeView {
    let c = &l.info;
    let party_of = |a: Address| usize::from(a != c.challenger);
    let name = |a: Address| {
        if a == l.me {
            format!("this node ({})", short(a))
        } else {
            short(a)
        }
    };
    let parties =
        [(c.challenger, "challenger"), (c.defender, "defender")].map(|(a, role)| PartyView {
            name: name(a),
            role: role.into(),
            address: a.to_checksum(None),
        });
    // This validator's moves, by the hash of the segment they answered (the key a restart
    // reconciles them by: the same interval can be answered twice, at the opening and by the
    // first bisection of a range of several blocks).
    let mine: BTreeMap<[u8; 32], &crate::store::MoveRecord> = l
        .record
        .iter()
        .flat_map(|r| &r.moves)
        .filter(|m| !matches!(m.state, MoveState::Dropped))
        .map(|m| (m.segment_hash, m))
        .collect();
    let gas_of = |m: &crate::store::MoveRecord| match m.state {
        MoveState::Mined { gas, .. } => Some(gas),
        _ => None,
    };
    let stuck = fuse_vm::hash::stuck_state_hash();
    let mut moves = Vec::new();
    let mut gas_total = [0u64; 2];
    for (round, pair) in c.segments.windows(2).enumerate() {
        let ((_, answered), (mover, posted)) = (&pair[0], &pair[1]);
        let own = mine.get(&answered.hash().0);
        let k = (answered.hashes.len() as u64).saturating_sub(1).max(1);
        let index = own.map(|m| m.index).or_else(|| {
            // A bisection's new segment is the part it disputed.
            (posted.level == answered.level)
                .then(|| {
                    (0..k).find(|&i| {
                        answered
                            .start
                            .checked_add(split(answered.length, k, i))
                            .is_some_and(|a| a == posted.start)
                    })
                })
                .flatten()
        });
        let part = index.filter(|&i| i < k).and_then(|i| {
            Some((
                answered.start.checked_add(split(answered.length, k, i))?,
                answered
                    .start
                    .checked_add(split(answered.length, k, i + 1))?,
            ))
        });
        let kind = if answered.level == LEVEL_BLOCKS && posted.level != LEVEL_BLOCKS {
            // Into a block its claimant says cannot finish: the mover shows it finishes.
            let claimed_end = index.and_then(|i| answered.hashes.get(i as usize + 1));
            if claimed_end == Some(&stuck) {
                "enterLevelTwoFinishing"
            } else {
                "enterLevelTwo"
            }
        } else {
            "bisect"
        };
        let p = party_of(*mover);
        let gas = own.and_then(|m| gas_of(m));
        gas_total[p] = gas_total[p].saturating_add(gas.unwrap_or(0));
        moves.push(MoveView {
            round: round as u64 + 1,
            party: p,
            kind: kind.into(),
            level: Some(answered.level),
            start: Some(answered.start),
            length: Some(answered.length),
            parts: Some(k),
            index,
            part,
            hashes: posted.hashes.len(),
            at: None,
            gas,
            clock_left: own.map(|m| m.clock_left),
            mismatch: None,
        });
    }
    let outcome = c.ended.map(|(winner, _, reason)| OutcomeView {
        winner: party_of(winner),
        reason: fuse_l1::rollup::end_reason(reason).into(),
    });
    if let (Some((winner, _, reason)), Some((_, last))) = (c.ended, c.segments.last()) {
        let kind = match reason {
            0 => "proveOneStep",
            1 => "timeout",
            _ => "forfeit",
        };
        // A proof is the prover's (the winner's) move; a timeout may be sent by anyone, and
        // is shown on the winner's side, whose clock did not run out.
        let own = l
            .record
            .iter()
            .flat_map(|r| &r.moves)
            .rev()
            .find(|m| m.name == kind && !matches!(m.state, MoveState::Dropped));
        let gas = own.and_then(gas_of);
        let p = party_of(winner);
        gas_total[p] = gas_total[p].saturating_add(gas.unwrap_or(0));
        moves.push(MoveView {
            round: moves.len() as u64 + 1,
            party: p,
            kind: kind.into(),
            level: (reason == 0).then_some(last.level),
            start: (reason == 0).then_some(last.start),
            length: (reason == 0).then_some(last.length),
            parts: None,
            index: None,
            part: None,
            hashes: 0,
            at: None,
            gas,
            clock_left: (reason == 1).then_some(0),
            mismatch: None,
        });
    }
    let clocks = l
        .samples
        .iter()
        .map(|&(t, a, b)| ClockPoint {
            t: t.saturating_sub(l.first_seen),
            left: [a, b],
        })
        .collect();
    DisputeView {
        title: format!("challenge {}", l.id),
        description: format!(
            "assertion {} (defender) against assertion {} (challenger) over inbox positions {}..{}",
            c.x, c.y, l.range.0, l.range.1
        ),
        source: format!(
            "live: this node's validator, L1 read to block {}",
            l.read_to
        ),
        module_root: l.module_root,
        degree: l.degree,
        clock: l.clock,
        range: l.range,
        parties,
        moves,
        clocks,
        gas_total,
        outcome,
        proof: None,
        disputed_step: None,
        notes: vec![
            "times are as this node sampled the clocks (time 0 is its first look at the challenge); a move's own time is not in the events".into(),
            "gas and clocks are known for this node's moves only; the opponent's are not in the events".into(),
            "a one-step proof's bytes travel in its transaction, not in an event: the vectors' pages (`fuse-l2 replay --html`) decode them".into(),
        ],
        live: c.ended.is_none(),
    }
}

/// Most challenges on the board: the newest ids (the view keeps every one it has seen).
const MAX_ON_BOARD: usize = 256;
/// Most open challenges whose clocks one refresh samples (its own first): each costs L1 calls,
/// and anyone with a bond can open challenges among themselves.
const MAX_SAMPLED: usize = 16;

impl<L: fuse_l1::L1 + Clone + 'static> crate::Validator<L> {
    /// Brings the board up to date with the view, if anyone asked for the board: the newest
    /// challenges it knows, and a clock sample for the open ones (its own first, at most
    /// [`MAX_SAMPLED`]). Called after each poll's duties, never before them, so the pages cost
    /// the game nothing; a failure leaves a page as it was (it is a window on the game, never
    /// part of it).
    pub(crate) async fn refresh_board(&mut self) {
        if !self.board_wanted {
            return;
        }
        if let Err(e) = self.try_refresh_board().await {
            tracing::debug!(validator = %self.config.name, error = %e, "updating the challenges' pages");
        }
    }

    async fn try_refresh_board(&mut self) -> anyhow::Result<()> {
        let shown: Vec<u64> = self
            .view
            .challenges
            .keys()
            .rev()
            .take(MAX_ON_BOARD)
            .copied()
            .collect();
        for (id, _) in self.board.list() {
            if !shown.contains(&id) {
                self.board.remove(id);
            }
        }
        if shown.is_empty() {
            return Ok(());
        }
        if self.clock.is_none() {
            self.clock = Some(self.rollup.challenge_clock().await?);
        }
        let head = self.rollup.l1.head().await?;
        let (degree, clock) = (self.degree.unwrap_or(1), self.clock.unwrap_or(0));
        let me = self.me;
        let mut open: Vec<u64> = shown
            .iter()
            .copied()
            .filter(|id| self.view.challenges[id].ended.is_none())
            .collect();
        open.sort_by_key(|id| {
            let c = &self.view.challenges[id];
            (c.challenger != me && c.defender != me, *id)
        });
        open.truncate(MAX_SAMPLED);
        for id in shown {
            let info = self.view.challenges[&id].clone();
            // An ended challenge's page is final: no store read for it on every poll.
            if self.board.settled(id, &info) {
                continue;
            }
            let range = self.range_of(&info).unwrap_or_default();
            let module_root = self
                .view
                .assertion(info.x)
                .map(|a| a.module_root)
                .unwrap_or_default();
            let record = self.store.get(id).unwrap_or_else(|e| {
                tracing::debug!(challenge = id, error = %e, "reading its record for its page");
                None
            });
            let state = if open.contains(&id) {
                match self.rollup.challenge_state(id).await {
                    // An ended challenge reads as all zero: not a sample of its clocks.
                    Ok(s) if s.mover != Address::ZERO => Some(s),
                    Ok(_) => None,
                    Err(e) => {
                        tracing::debug!(challenge = id, error = %e, "sampling its clocks for its page");
                        None
                    }
                }
            } else {
                None
            };
            let fresh = info.clone();
            self.board.update(
                id,
                move || Live {
                    id,
                    info: fresh,
                    record: None,
                    module_root,
                    range,
                    samples: Vec::new(),
                    first_seen: head.timestamp,
                    me,
                    degree,
                    clock,
                    read_to: head.number,
                },
                |l| {
                    if (l.info.x, l.info.y) != (info.x, info.y) {
                        // A reorg gave the id to another challenge: its clocks start again.
                        l.samples.clear();
                        l.first_seen = head.timestamp;
                    }
                    l.info = info;
                    l.record = record;
                    l.range = range;
                    l.module_root = module_root;
                    l.read_to = head.number;
                    if let Some(s) = state {
                        l.sample(head.timestamp, s.challenger_left, s.defender_left);
                    }
                },
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
