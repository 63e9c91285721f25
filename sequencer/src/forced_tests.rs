//! Forced transactions against the sequencer's statuses: a due forced transaction takes its
//! nonce before ingress does, a batch that lands after one is due cannot make a skipped
//! transaction `FINALIZED`, and random interleavings of forcing, ingress, batch posting, L1
//! time and inclusion never make a status lie (checked against an independent replay of the
//! inbox by the STF).

use std::collections::{HashMap, HashSet};

use fuse_arbos::stf::{GlobalState, execute_block};
use fuse_arbos::tx::KIND_TRANSFER;

use super::Rejection;
use super::tests::Fixture;
use crate::store::TxStatus;
use fuse_exec::env::NodeEnv;
use fuse_l1::{DevClock, L1};

/// The fixture's force delay (tests.rs deploys with 600 s).
const FORCE_DELAY: u64 = 600;

async fn now(f: &Fixture) -> u64 {
    f.rollup.l1.head().await.unwrap().timestamp
}

/// Follows L1 and tells the sequencer the time, as the follower does.
async fn follow(f: &Fixture, s: &mut super::Sequencer) {
    f.follow(s).await;
    s.observe_l1_time(now(f).await).unwrap();
    s.flush().unwrap();
}

/// A deployed rollup and a sequencer that has followed its first messages.
async fn started() -> (Fixture, super::Sequencer) {
    let f = Fixture::new().await;
    let mut s = f.open();
    follow(&f, &mut s).await;
    (f, s)
}

/// Takes the next batch, appends it to L1 now and records it posted; returns its number.
async fn post_next(f: &Fixture, s: &mut super::Sequencer) -> u64 {
    let (seq, rec) = s.batch_to_post().unwrap().expect("a batch");
    let receipt = f.rollup.append_batch(rec.data, seq).await.unwrap();
    s.batch_posted(seq, receipt.tx_hash.0).unwrap();
    seq
}

#[tokio::test]
async fn a_due_forced_transaction_takes_its_nonce_before_ingress() {
    let (f, mut s) = started().await;
    let (a, b) = (f.alice.address(), f.bob.address());
    let forced = f.tx(&f.alice, KIND_TRANSFER, b, 100, 0);
    f.rollup.force_transaction(forced.encode()).await.unwrap();
    follow(&f, &mut s).await;

    // Not due before a batch could land: accepted on the state without it.
    let early = s
        .submit(&f.tx(&f.alice, KIND_TRANSFER, b, 7, 0).encode(), None)
        .unwrap();
    s.flush().unwrap();
    assert_eq!(s.status(&early).unwrap(), Some(TxStatus::AcceptedInL2));

    // Within the horizon of its due time: the soft state runs it first, the accepted twin
    // (not in a batch yet) is dropped with the reason, and its nonce is refused.
    f.rollup
        .l1
        .advance(FORCE_DELAY - super::DEFAULT_FORCE_HORIZON + 1)
        .await
        .unwrap();
    follow(&f, &mut s).await;
    match s.status(&early).unwrap() {
        Some(TxStatus::Rejected { reason }) => {
            assert!(reason.contains("nonce 0 already used"), "{reason}")
        }
        other => panic!("the twin should be rejected, got {other:?}"),
    }
    let twin = f.tx(&f.alice, KIND_TRANSFER, b, 9, 0).encode();
    assert!(matches!(
        s.submit(&twin, None),
        Err((
            _,
            Rejection::NonceTooLow {
                got: 0,
                expected: 1
            }
        ))
    ));
    let next = s
        .submit(&f.tx(&f.alice, KIND_TRANSFER, b, 9, 1).encode(), None)
        .unwrap();
    s.flush().unwrap();

    // Its batch is held until the forced transaction is due, then lands after it.
    let hold = s.hold_posting_until();
    assert!(hold > now(&f).await, "held: {hold}");
    f.rollup.l1.advance(hold - now(&f).await).await.unwrap();
    post_next(&f, &mut s).await;
    follow(&f, &mut s).await;
    let position = s.canonical().inbox_position;
    assert_eq!(s.finalize(1, position).unwrap(), 1);
    assert!(matches!(
        s.status(&next).unwrap(),
        Some(TxStatus::Finalized { .. })
    ));
    assert_eq!(
        s.account(&a.into(), false).unwrap().balance,
        10_000 - 100 - 9
    );
    assert_eq!(s.account(&b.into(), false).unwrap().balance, 500 + 109);
}

#[tokio::test]
async fn a_sequenced_transaction_the_chain_skips_is_rejected_never_finalized() {
    let (f, mut s) = started().await;
    let b = f.bob.address();
    f.rollup
        .force_transaction(f.tx(&f.alice, KIND_TRANSFER, b, 100, 0).encode())
        .await
        .unwrap();
    follow(&f, &mut s).await;
    let twin = s
        .submit(&f.tx(&f.alice, KIND_TRANSFER, b, 7, 0).encode(), None)
        .unwrap();
    let (seq, rec) = s.batch_to_post().unwrap().expect("a batch");
    // The batch lands only after the forced transaction is due (a slow L1, a stuck post):
    // the block runs the forced one first and skips the twin.
    f.rollup.l1.advance(FORCE_DELAY + 5).await.unwrap();
    let receipt = f.rollup.append_batch(rec.data, seq).await.unwrap();
    s.batch_posted(seq, receipt.tx_hash.0).unwrap();
    assert_eq!(
        s.status(&twin).unwrap(),
        Some(TxStatus::Posted { batch: seq })
    );
    follow(&f, &mut s).await;
    let rejected = |s: &super::Sequencer| match s.status(&twin).unwrap() {
        Some(TxStatus::Rejected { reason }) => reason,
        other => panic!("expected REJECTED, got {other:?}"),
    };
    assert!(rejected(&s).contains("wrong nonce"), "{}", rejected(&s));
    let position = s.canonical().inbox_position;
    assert_eq!(
        s.finalize(1, position).unwrap(),
        0,
        "nothing of ours executed"
    );
    assert!(rejected(&s).starts_with("skipped by the chain"));
    assert_eq!(s.pending_count(), 0);
}

#[tokio::test]
async fn the_same_bytes_forced_and_sequenced_end_forced_when_the_forced_copy_runs() {
    let (f, mut s) = started().await;
    let (a, b) = (f.alice.address(), f.bob.address());
    let bytes = f.tx(&f.alice, KIND_TRANSFER, b, 11, 0).encode();
    let id = s.submit(&bytes, None).unwrap();
    s.flush().unwrap();
    // The wallet also uses the escape hatch with the same signed bytes; its batch is late.
    f.rollup.force_transaction(bytes.clone()).await.unwrap();
    follow(&f, &mut s).await;
    assert_eq!(
        s.status(&id).unwrap(),
        Some(TxStatus::AcceptedInL2),
        "still the sequencer's"
    );
    let (seq, rec) = s.batch_to_post().unwrap().expect("a batch");
    f.rollup.l1.advance(FORCE_DELAY + 5).await.unwrap();
    follow(&f, &mut s).await;
    let receipt = f.rollup.append_batch(rec.data, seq).await.unwrap();
    s.batch_posted(seq, receipt.tx_hash.0).unwrap();
    follow(&f, &mut s).await;
    // The forced copy ran first; the batched copy was skipped: it executed once, and says so.
    assert!(
        matches!(s.status(&id).unwrap(), Some(TxStatus::ForcedRan { .. })),
        "{:?}",
        s.status(&id).unwrap()
    );
    let position = s.canonical().inbox_position;
    assert_eq!(s.finalize(1, position).unwrap(), 0);
    assert!(matches!(
        s.status(&id).unwrap(),
        Some(TxStatus::ForcedRan { .. })
    ));
    assert_eq!(s.account(&a.into(), false).unwrap().balance, 10_000 - 11);
    assert_eq!(s.account(&b.into(), false).unwrap().balance, 500 + 11);
}

#[tokio::test]
async fn forcing_the_bytes_of_a_finalized_transaction_changes_nothing() {
    let (f, mut s) = started().await;
    let bytes = f
        .tx(&f.alice, KIND_TRANSFER, f.bob.address(), 11, 0)
        .encode();
    let id = s.submit(&bytes, None).unwrap();
    post_next(&f, &mut s).await;
    follow(&f, &mut s).await;
    let position = s.canonical().inbox_position;
    assert_eq!(s.finalize(1, position).unwrap(), 1);
    let finalized = s.status(&id).unwrap();
    assert!(matches!(finalized, Some(TxStatus::Finalized { .. })));
    // Anyone replays the public bytes through the Inbox; the chain skips them (nonce used).
    f.rollup.force_transaction(bytes).await.unwrap();
    follow(&f, &mut s).await;
    f.rollup.l1.advance(FORCE_DELAY + 5).await.unwrap();
    f.rollup.tick().await.unwrap();
    follow(&f, &mut s).await;
    assert_eq!(s.status(&id).unwrap(), finalized);
}

#[tokio::test]
async fn a_forced_transaction_the_chain_skips_is_rejected() {
    let (f, mut s) = started().await;
    // Nonce 5: a gap, so the chain skips it when it comes due.
    let bytes = f
        .tx(&f.alice, KIND_TRANSFER, f.bob.address(), 11, 5)
        .encode();
    f.rollup.force_transaction(bytes.clone()).await.unwrap();
    follow(&f, &mut s).await;
    let id = alloy_primitives::keccak256(&bytes).0;
    assert!(matches!(
        s.status(&id).unwrap(),
        Some(TxStatus::Forced { .. })
    ));
    f.rollup.l1.advance(FORCE_DELAY + 5).await.unwrap();
    f.rollup.tick().await.unwrap();
    follow(&f, &mut s).await;
    match s.status(&id).unwrap() {
        Some(TxStatus::Rejected { reason }) => assert!(reason.contains("wrong nonce"), "{reason}"),
        other => panic!("expected REJECTED, got {other:?}"),
    }
}

/// A small deterministic generator (splitmix64): the interleavings are reproducible by seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Every transaction the inbox's blocks executed, replayed from scratch by the STF on a
/// fresh host (nothing of the sequencer's own bookkeeping).
async fn executed_by_the_chain(f: &Fixture) -> (HashSet<[u8; 32]>, GlobalState) {
    let head = f.rollup.l1.head().await.unwrap();
    let mut env = NodeEnv::new();
    let mut gs = GlobalState::default();
    let mut executed = HashSet::new();
    for m in f.rollup.messages(0, head.number).await.unwrap() {
        env.inbox = m.bytes();
        env.canonical = true;
        let (next, report) = execute_block(&mut env, gs).unwrap();
        gs = next;
        executed.extend(
            report
                .receipts
                .iter()
                .filter(|r| r.result.is_ok())
                .map(|r| r.id),
        );
    }
    (executed, gs)
}

/// One random interleaving: forced transactions (some conflicting with sequenced ones), ingress
/// at the soft nonce or a stale one, L1 time moving by up to 400 s, batches taken and
/// posted at different times (sometimes late, past the hold), ticks, and the follower. Then
/// everything drains and is finalized. Returns how many acknowledged transactions ended
/// `FINALIZED`, dropped after acceptance, skipped by the chain, and executed through a forced
/// copy of the same bytes (`FORCED`).
async fn interleaving(seed: u64) -> [usize; 4] {
    let f = Fixture::new().await;
    let mut s = f.open();
    let mut rng = Rng(seed);
    follow(&f, &mut s).await;
    let keys = [f.alice.clone(), f.bob.clone()];
    let mut acknowledged: Vec<[u8; 32]> = Vec::new();
    let mut sent: Vec<Vec<u8>> = Vec::new();
    let mut taken: Option<(u64, Vec<u8>)> = None;
    for _ in 0..60 {
        let who = rng.below(2) as usize;
        let (key, to) = (&keys[who], keys[1 - who].address());
        let canonical_nonce = s.account(&key.address().into(), false).unwrap().nonce;
        let soft_nonce = s.account(&key.address().into(), true).unwrap().nonce;
        let amount = 1 + rng.below(40) as u128;
        let held_until = s.hold_posting_until();
        match rng.below(9) {
            0 => {
                // A new transaction, or the very bytes of one the sequencer took (a wallet
                // using the escape hatch, or anyone replaying public bytes).
                let bytes = match rng.below(3) {
                    0 if !sent.is_empty() => sent[rng.below(sent.len() as u64) as usize].clone(),
                    _ => {
                        let nonce = canonical_nonce + rng.below(3);
                        f.tx(key, KIND_TRANSFER, to, amount, nonce).encode()
                    }
                };
                f.rollup.force_transaction(bytes).await.unwrap();
            }
            1 | 2 => {
                let nonce = if rng.below(3) == 0 {
                    canonical_nonce
                } else {
                    soft_nonce
                };
                let tx = f.tx(key, KIND_TRANSFER, to, amount, nonce);
                if let Ok(id) = s.submit(&tx.encode(), None) {
                    s.flush().unwrap();
                    acknowledged.push(id);
                    sent.push(tx.encode());
                }
            }
            3 => f.rollup.l1.advance(rng.below(400)).await.unwrap(),
            4 => follow(&f, &mut s).await,
            // The node's poster takes a batch only once the hold has passed.
            5 if taken.is_none() && held_until <= now(&f).await => {
                taken = s.batch_to_post().unwrap().map(|(seq, r)| (seq, r.data));
            }
            6 => {
                if let Some((seq, data)) = taken.take() {
                    let receipt = f.rollup.append_batch(data, seq).await.unwrap();
                    s.batch_posted(seq, receipt.tx_hash.0).unwrap();
                }
            }
            7 => {
                f.rollup.tick().await.unwrap();
            }
            _ => {}
        }
    }
    // Drain: every batch posted (the taken one first), every forced transaction due and run.
    if let Some((seq, data)) = taken.take() {
        let receipt = f.rollup.append_batch(data, seq).await.unwrap();
        s.batch_posted(seq, receipt.tx_hash.0).unwrap();
    }
    for _ in 0..4 {
        f.rollup.l1.advance(FORCE_DELAY).await.unwrap();
        f.rollup.tick().await.unwrap();
        follow(&f, &mut s).await;
        while let Some((seq, rec)) = s.batch_to_post().unwrap() {
            let receipt = f.rollup.append_batch(rec.data, seq).await.unwrap();
            s.batch_posted(seq, receipt.tx_hash.0).unwrap();
        }
        follow(&f, &mut s).await;
    }
    assert_eq!(s.pending_count(), 0, "seed {seed}: everything drained");
    let position = s.canonical().inbox_position;
    s.finalize(1, position).unwrap();

    let (executed, replayed) = executed_by_the_chain(&f).await;
    assert_eq!(
        replayed,
        s.canonical(),
        "seed {seed}: the node's canonical state"
    );
    let mut ends: HashMap<&str, usize> = HashMap::new();
    for id in &acknowledged {
        match s.status(id).unwrap() {
            Some(TxStatus::Finalized { .. }) => {
                assert!(
                    executed.contains(id),
                    "seed {seed}: FINALIZED but never executed"
                );
                *ends.entry("finalized").or_default() += 1;
            }
            Some(TxStatus::ForcedRan { .. }) => {
                assert!(
                    executed.contains(id),
                    "seed {seed}: FORCED (its forced copy ran) but never executed"
                );
                *ends.entry("forced").or_default() += 1;
            }
            Some(TxStatus::Rejected { reason }) => {
                assert!(
                    !executed.contains(id),
                    "seed {seed}: REJECTED ({reason}) but executed"
                );
                let how = if reason.starts_with("skipped by the chain") {
                    "skipped"
                } else {
                    assert!(reason.starts_with("dropped after acceptance"), "{reason}");
                    "dropped"
                };
                *ends.entry(how).or_default() += 1;
            }
            other => panic!("seed {seed}: an acknowledged transaction ended {other:?}"),
        }
    }
    let count = |k| ends.get(k).copied().unwrap_or(0);
    [
        count("finalized"),
        count("dropped"),
        count("skipped"),
        count("forced"),
    ]
}

#[tokio::test]
async fn no_status_lies_under_random_interleavings_of_forcing_ingress_and_posting() {
    let mut ends = [0; 4];
    for seed in 0..16 {
        for (total, n) in ends.iter_mut().zip(interleaving(seed).await) {
            *total += n;
        }
    }
    // Every ending was reached (a generator that never conflicts proves little).
    let [finalized, dropped, skipped, forced] = ends;
    assert!(
        finalized > 0 && dropped > 0 && skipped > 0 && forced > 0,
        "{finalized} finalized, {dropped} dropped after acceptance, {skipped} skipped by the \
         chain, {forced} executed through their forced copy"
    );
}
