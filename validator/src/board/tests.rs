//! The board's pages and clock samples.
use super::*;

fn live() -> Live {
    Live {
        id: 1,
        info: ChallengeInfo {
            challenger: Address::repeat_byte(1),
            defender: Address::repeat_byte(2),
            x: 1,
            y: 2,
            segments: Vec::new(),
            ended: None,
        },
        record: None,
        module_root: B256::ZERO,
        range: (1, 4),
        samples: Vec::new(),
        first_seen: 100,
        me: Address::repeat_byte(1),
        degree: 16,
        clock: 1800,
        read_to: 0,
    }
}

#[test]
fn samples_keep_the_corners_of_the_clock_curves() {
    let mut l = live();
    // The challenger's turn: its clock drains, the defender's stands.
    l.sample(100, 1800, 1800);
    l.sample(110, 1790, 1800);
    l.sample(120, 1780, 1800);
    l.sample(130, 1770, 1800);
    // The defender's turn.
    l.sample(140, 1770, 1790);
    l.sample(150, 1770, 1780);
    assert_eq!(
        l.samples,
        vec![(100, 1800, 1800), (130, 1770, 1800), (150, 1770, 1780)]
    );
    // A sample from the past (an L1 reorg took the head back) replaces what came after.
    l.sample(120, 1780, 1800);
    assert_eq!(l.samples, vec![(100, 1800, 1800), (120, 1780, 1800)]);
}

/// Its own moves are found by the hash of the segment they answered, not by the interval:
/// at the opening and at the first bisection of a range of several blocks, both parties
/// answer `[0, N]`.
#[test]
fn own_moves_are_matched_by_segment_hash_and_the_opening_is_one_part() {
    use crate::store::{DisputeRecord, MoveRecord, Role};
    use fuse_prover::dispute::Segment;
    let (challenger, defender) = (Address::repeat_byte(1), Address::repeat_byte(2));
    let seg = |level, start, length, n: usize| Segment {
        level,
        start,
        length,
        hashes: (0..n).map(|i| B256::repeat_byte(i as u8 + 1)).collect(),
    };
    let opening = seg(1, 0, 3, 2);
    let mut l = live();
    l.info.segments = vec![
        (defender, opening.clone()),
        (challenger, seg(1, 0, 3, 4)),
        (defender, seg(2, 0, 1 << 32, 17)),
    ];
    l.record = Some(DisputeRecord {
        id: 1,
        role: Role::Challenger,
        opponent: defender.0.0,
        x: 1,
        y: 2,
        range: (1, 4),
        moves: vec![MoveRecord {
            name: "bisect".into(),
            level: 1,
            start: 0,
            length: 3,
            segment_hash: opening.hash().0,
            index: 0,
            state: MoveState::Mined {
                l1_tx: [0; 32],
                gas: 47_626,
            },
            clock_left: 1799,
        }],
        outcome: None,
    });
    let v = live_view(&l);
    assert_eq!(v.moves.len(), 2);
    assert_eq!((v.moves[0].party, v.moves[0].parts), (0, Some(1)));
    assert_eq!(
        v.moves[0].part,
        Some((0, 3)),
        "the opening is disputed whole"
    );
    assert_eq!(v.moves[0].gas, Some(47_626));
    assert_eq!(v.moves[0].clock_left, Some(1799));
    assert_eq!(v.moves[1].kind, "enterLevelTwo");
    assert_eq!((v.moves[1].party, v.moves[1].parts), (1, Some(3)));
    assert_eq!((v.moves[1].gas, v.moves[1].clock_left), (None, None));
    assert_eq!(v.gas_total, [47_626, 0], "its gas counted once");
}

#[test]
fn only_an_unchanged_ended_challenge_is_settled() {
    let board = Board::new();
    let mut l = live();
    board.update(1, || l.clone(), |_| {});
    assert!(!board.settled(1, &l.info), "open");
    l.info.ended = Some((l.info.challenger, l.info.defender, 0));
    board.update(1, || unreachable!(), |e| e.info = l.info.clone());
    assert!(board.settled(1, &l.info));
    let mut reorged = l.info.clone();
    reorged.ended = None;
    assert!(!board.settled(1, &reorged), "a reorg undid its end");
    assert!(!board.settled(2, &l.info), "not on the board");
}

#[test]
fn samples_are_thinned_not_grown_without_bound() {
    let mut l = live();
    for t in 0..(4 * MAX_SAMPLES as u64) {
        // The turn changes at every sample, so none merges.
        l.sample(t, 10_000 - t.div_ceil(2), 10_000 - t / 2);
    }
    assert!(l.samples.len() <= MAX_SAMPLES);
    assert_eq!(l.samples.last().unwrap().0, 4 * MAX_SAMPLES as u64 - 1);
}
