//! Taking canonical messages back after an L1 reorg: what a rolled-back sequencer holds is
//! exactly what it held before it executed them — canonical and soft state, statuses,
//! withdrawals, batches, the pending list — and executing them again gives back exactly what
//! it held after.

use alloy_primitives::{Address, U256};
use fuse_arbos::tx::{KIND_TRANSFER, KIND_WITHDRAW};

use super::tests::Fixture;
use super::{ReorgError, Sequencer, SequencerError};
use crate::store::{BatchRecord, TxStatus, WithdrawalRecord};

/// Everything a user or the poster can see of the sequencer, for `ids`.
#[derive(Debug, PartialEq)]
struct Seen {
    canonical: fuse_arbos::stf::GlobalState,
    soft: fuse_arbos::stf::GlobalState,
    pending: usize,
    messages: u64,
    statuses: Vec<Option<TxStatus>>,
    withdrawals: Vec<Option<WithdrawalRecord>>,
    batches: Vec<(u64, BatchRecord)>,
}

fn seen(s: &Sequencer, ids: &[[u8; 32]]) -> Seen {
    Seen {
        canonical: s.canonical(),
        soft: s.soft(),
        pending: s.pending_count(),
        messages: s.store().message_count().unwrap(),
        statuses: ids.iter().map(|id| s.status(id).unwrap()).collect(),
        withdrawals: ids
            .iter()
            .map(|id| s.store().withdrawal(id).unwrap())
            .collect(),
        batches: s.store().batches_from(0).unwrap(),
    }
}

#[tokio::test]
async fn a_rolled_back_batch_and_deposit_leave_no_trace_and_run_again_the_same() {
    let f = Fixture::new().await;
    let mut s = f.open();
    f.follow(&mut s).await;
    let (a, b) = (f.alice.address(), f.bob.address());
    let recipient = Address::repeat_byte(0xd1);
    let ids = [
        s.submit(&f.tx(&f.alice, KIND_TRANSFER, b, 700, 0).encode(), None)
            .unwrap(),
        s.submit(
            &f.tx(&f.alice, KIND_WITHDRAW, recipient, 2_000, 1).encode(),
            None,
        )
        .unwrap(),
        s.submit(&f.tx(&f.bob, KIND_TRANSFER, a, 200, 0).encode(), None)
            .unwrap(),
    ];
    let (seq, rec) = s.batch_to_post().unwrap().expect("a batch");
    let receipt = f.rollup.append_batch(rec.data.clone(), seq).await.unwrap();
    s.batch_posted(seq, receipt.tx_hash.0).unwrap();
    let before = seen(&s, &ids);
    assert_eq!(before.pending, 3);

    // The batch, then a deposit: two messages the reorg will take back.
    f.rollup.deposit(b, U256::from(1_000)).await.unwrap();
    assert_eq!(f.follow(&mut s).await, 2);
    let after = seen(&s, &ids);
    assert_eq!(after.pending, 0);
    assert_eq!(after.statuses[1], Some(TxStatus::Posted { batch: 1 }));
    assert!(after.withdrawals[1].is_some(), "the withdrawal is recorded");
    let batch_message = after.batches[0].1.message.expect("included");
    let fork = s.store().message(batch_message).unwrap().unwrap().l1_block;

    assert_eq!(s.roll_back_to_block(fork).unwrap(), 2);
    assert_eq!(seen(&s, &ids), before, "exactly as before the messages ran");
    assert_eq!(s.l1_scanned().unwrap(), Some(fork - 1));
    // The same after a restart: the rollback is on disk, not only in memory.
    drop(s);
    let mut s = f.open();
    assert_eq!(seen(&s, &ids), before);

    assert_eq!(f.follow(&mut s).await, 2);
    assert_eq!(
        seen(&s, &ids),
        after,
        "the same messages give the same result"
    );
}

#[tokio::test]
async fn a_reorg_below_the_finalized_position_is_refused_and_changes_nothing() {
    let f = Fixture::new().await;
    let mut s = f.open();
    f.follow(&mut s).await;
    let b = f.bob.address();
    let id = s
        .submit(&f.tx(&f.alice, KIND_TRANSFER, b, 700, 0).encode(), None)
        .unwrap();
    let (seq, rec) = s.batch_to_post().unwrap().expect("a batch");
    let receipt = f.rollup.append_batch(rec.data, seq).await.unwrap();
    s.batch_posted(seq, receipt.tx_hash.0).unwrap();
    f.follow(&mut s).await;
    let position = s.canonical().inbox_position;
    s.finalize(1, position).unwrap();
    let final_seen = seen(&s, &[id]);
    let err = s.roll_back_to_block(0).unwrap_err();
    assert!(
        matches!(
            err,
            SequencerError::Reorg(ReorgError::BelowFinalized { message: 0, .. })
        ),
        "{err}"
    );
    assert_eq!(seen(&s, &[id]), final_seen);
}
