//! Reorgs played against the sequencer by someone who did not write its reorg handling, each
//! once a bug, now held:
//!
//! - a transaction dropped after acceptance and sent again has two acceptance numbers; only
//!   the later is pending after a rollback (or a restart), so its first copy cannot make the
//!   second fail on its own nonce;
//! - a reorg that gives back the same messages in other blocks keeps an accepted transfer
//!   that spent a deposit those messages hold (the soft state does not drop what does not
//!   apply until the new chain is re-read as far as the old one was);
//! - a reorg that lands between the follower's check of its last block and its read of the
//!   next range is noticed (the last block is checked again after the read) and undone;
//! - after a rollback, a forced transaction with the bytes of a sequenced one keeps its queue
//!   time, so batches are not held behind it for ever.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use alloy_primitives::{Address, B256, Bytes, U256};
use fuse_arbos::tx::KIND_TRANSFER;
use fuse_l1::rollup::RollupL1;
use fuse_l1::{DevClock, EmbeddedL1, L1, L1Error, L1Head, L1Log, L1Receipt, L1Tx};

use super::DEFAULT_FORCE_HORIZON;
use super::tests::Fixture;
use crate::service::{Service, ServiceConfig, lock};
use crate::store::TxStatus;

/// The fixture's force delay (tests.rs deploys with 600 s).
const FORCE_DELAY: u64 = 600;

async fn follow(f: &Fixture, s: &mut super::Sequencer) {
    f.follow(s).await;
    let now = f.rollup.l1.head().await.unwrap().timestamp;
    s.observe_l1_time(now).unwrap();
    s.flush().unwrap();
}

#[tokio::test]
async fn a_resent_transaction_is_not_rejected_by_its_own_earlier_acceptance_after_a_reorg() {
    let f = Fixture::new().await;
    let mut s = f.open();
    follow(&f, &mut s).await;
    let (a, b) = (f.alice.address(), f.bob.address());
    let q = s
        .submit(&f.tx(&f.alice, KIND_TRANSFER, b, 1, 0).encode(), None)
        .unwrap();
    let p_bytes = f.tx(&f.alice, KIND_TRANSFER, b, 700, 1).encode();
    let p = s.submit(&p_bytes, None).unwrap();
    s.flush().unwrap();
    // Alice's own forced transfer (nonce 0) takes most of her balance once it counts.
    f.rollup
        .force_transaction(f.tx(&f.alice, KIND_TRANSFER, b, 9_500, 0).encode())
        .await
        .unwrap();
    follow(&f, &mut s).await;
    f.rollup
        .l1
        .advance(FORCE_DELAY - DEFAULT_FORCE_HORIZON + 1)
        .await
        .unwrap();
    follow(&f, &mut s).await;
    assert!(matches!(
        s.status(&q).unwrap(),
        Some(TxStatus::Rejected { .. })
    ));
    assert!(matches!(
        s.status(&p).unwrap(),
        Some(TxStatus::Rejected { .. })
    ));
    // A deposit makes P affordable again; the wallet sends the same bytes again.
    f.rollup.deposit(a, U256::from(1_000)).await.unwrap();
    follow(&f, &mut s).await;
    assert_eq!(s.submit(&p_bytes, None).unwrap(), p);
    s.flush().unwrap();
    assert_eq!(s.status(&p).unwrap(), Some(TxStatus::AcceptedInL2));
    assert_eq!(s.pending_count(), 1);

    // A reorg that replaced only blocks without inbox messages: nothing is taken back, yet
    // the pending list is reloaded from the acceptance table.
    let head = f.rollup.l1.head().await.unwrap().number;
    assert_eq!(s.roll_back_to_block(head + 1).unwrap(), 0);
    assert_eq!(
        s.pending_count(),
        1,
        "P is still pending (it will be batched)"
    );
    let after_rollback = s.status(&p).unwrap();

    // P's first acceptance is batched, lands after the forced transfer and runs.
    let hold = s.hold_posting_until();
    let (seq, rec) = s.batch_to_post().unwrap().expect("a batch with P");
    let now = f.rollup.l1.head().await.unwrap().timestamp;
    if hold > now {
        f.rollup.l1.advance(hold - now).await.unwrap();
    }
    let receipt = f.rollup.append_batch(rec.data, seq).await.unwrap();
    s.batch_posted(seq, receipt.tx_hash.0).unwrap();
    follow(&f, &mut s).await;
    assert_eq!(
        s.account(&b.into(), false).unwrap().balance,
        500 + 9_500 + 700,
        "P executed on the chain"
    );
    assert_eq!(
        after_rollback,
        Some(TxStatus::AcceptedInL2),
        "after the rollback P was pending and about to run, yet reported REJECTED"
    );
    assert_eq!(
        s.status(&p).unwrap(),
        Some(TxStatus::Posted { batch: seq }),
        "P executed, yet its status says REJECTED for good"
    );
}

/// A transfer that spends a deposit, accepted and acknowledged after the deposit executed; a
/// reorg moves the deposit's block (the new chain holds the very same messages).
#[tokio::test]
async fn a_reorg_that_gives_back_the_same_messages_keeps_a_transfer_that_spent_a_deposit() {
    let f = Fixture::new().await;
    let mut s = f.open();
    follow(&f, &mut s).await;
    let (a, b) = (f.alice.address(), f.bob.address());
    f.rollup.deposit(b, U256::from(1_000)).await.unwrap();
    follow(&f, &mut s).await;
    let deposit = s.canonical().inbox_position - 1;
    let fork = s.store().message(deposit).unwrap().unwrap().l1_block;
    let t = s
        .submit(&f.tx(&f.bob, KIND_TRANSFER, a, 1_200, 0).encode(), None)
        .unwrap();
    s.flush().unwrap();
    assert_eq!(s.status(&t).unwrap(), Some(TxStatus::AcceptedInL2));

    assert_eq!(s.roll_back_to_block(fork).unwrap(), 1);
    // The follower reads the new chain: the same deposit, in another block.
    follow(&f, &mut s).await;
    assert_eq!(s.canonical().inbox_position, deposit + 1);
    assert_eq!(
        s.status(&t).unwrap(),
        Some(TxStatus::AcceptedInL2),
        "an acknowledged transfer was dropped although the new chain holds the same deposit"
    );
    assert_eq!(s.pending_count(), 1);
}

/// Two embedded chains with the same prefix; `head()` moves the reader from `a` to `b` once
/// armed — a reorg that lands between two of the follower's requests.
#[derive(Clone)]
struct Switch {
    a: EmbeddedL1,
    b: EmbeddedL1,
    /// (armed, on b)
    state: Arc<Mutex<(bool, bool)>>,
}

impl Switch {
    fn now(&self) -> EmbeddedL1 {
        if self.state.lock().unwrap().1 {
            self.b.clone()
        } else {
            self.a.clone()
        }
    }
}

impl L1 for Switch {
    fn signer(&self) -> Address {
        self.a.signer()
    }
    async fn head(&self) -> Result<L1Head, L1Error> {
        {
            let mut st = self.state.lock().unwrap();
            if st.0 {
                st.1 = true;
            }
        }
        self.now().head().await
    }
    async fn block_hash(&self, number: u64) -> Result<Option<B256>, L1Error> {
        self.now().block_hash(number).await
    }
    async fn send(&self, tx: L1Tx) -> Result<L1Receipt, L1Error> {
        self.now().send(tx).await
    }
    async fn call(&self, to: Address, data: Bytes) -> Result<Bytes, L1Error> {
        self.now().call(to, data).await
    }
    async fn logs(&self, address: Address, from: u64, to: u64) -> Result<Vec<L1Log>, L1Error> {
        self.now().logs(address, from, to).await
    }
    async fn balance(&self, who: Address) -> Result<U256, L1Error> {
        self.now().balance(who).await
    }
    async fn nonce(&self, who: Address) -> Result<u64, L1Error> {
        self.now().nonce(who).await
    }
}

async fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..500 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("timed out waiting for {what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reorg_between_the_followers_check_and_its_read_is_noticed_and_undone() {
    // Chain A and chain B: the same deployment and first messages, block for block.
    let fa = Fixture::new().await;
    let fb = Fixture::new().await;
    assert_eq!(fa.rollup.contracts, fb.rollup.contracts);
    let prefix = fa.rollup.l1.head().await.unwrap().number;
    assert_eq!(
        fa.rollup.l1.block_hash(prefix).await.unwrap(),
        fb.rollup.l1.block_hash(prefix).await.unwrap(),
        "the chains share their prefix"
    );
    let (a, b) = (fa.alice.address(), fa.bob.address());
    // A: message 3 is a deposit for Bob in block k.
    fa.rollup.deposit(b, U256::from(1_000)).await.unwrap();
    let k = fa.rollup.l1.head().await.unwrap().number;
    // B replaces block k (another time), then message 3 is a deposit for Alice and message 4
    // one for Bob.
    fb.rollup.l1.advance(10).await.unwrap();
    fb.rollup.deposit(a, U256::from(2_000)).await.unwrap();
    fb.rollup.deposit(b, U256::from(3)).await.unwrap();
    assert_ne!(
        fa.rollup.l1.block_hash(k).await.unwrap(),
        fb.rollup.l1.block_hash(k).await.unwrap()
    );

    let switch = Switch {
        a: fa.rollup.l1.clone(),
        b: fb.rollup.l1.clone(),
        state: Arc::new(Mutex::new((false, false))),
    };
    let config = ServiceConfig {
        confirmations: 0,
        poll_interval: Duration::from_millis(20),
        batch_interval: Duration::from_secs(3_600),
        ..ServiceConfig::default()
    };
    let service = Service::start(
        fa.open(),
        RollupL1::at(switch.clone(), fa.rollup.contracts),
        config,
    );
    let s = service.sequencer.clone();
    wait_for("chain A followed to block k", || {
        let seq = lock(&s);
        seq.canonical().inbox_position == 4
            && seq.followed_blocks().unwrap().last().map(|e| e.0) == Some(k)
    })
    .await;

    // The reorg to B happens right after a round's check of block k (still A's).
    switch.state.lock().unwrap().0 = true;
    wait_for("chain B's message 4 executed", || {
        lock(&s).canonical().inbox_position == 5
    })
    .await;
    // Plenty of rounds to notice the reorg.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let node = lock(&s).canonical();
    drop(service);

    let mut fresh = fb.open();
    fb.follow(&mut fresh).await;
    assert_eq!(fresh.canonical().inbox_position, 5);
    assert_eq!(
        node,
        fresh.canonical(),
        "the node kept chain A's message 3 under chain B's message 4: its state is on no chain"
    );
}

/// The wallet sent its transfer to the sequencer and forced the same bytes (the escape
/// hatch). After a rollback the queue time of the forced copy, whose bytes have a live
/// sequenced record naming no message, must still be found (among the messages), or its due
/// time would become "the horizon from now" and every later batch be held behind it for ever,
/// as the horizon moves with the L1's clock.
#[tokio::test]
async fn after_a_reorg_batches_are_not_held_for_ever_behind_a_forced_twin() {
    let f = Fixture::new().await;
    let mut s = f.open();
    follow(&f, &mut s).await;
    let b = f.bob.address();
    let bytes = f.tx(&f.alice, KIND_TRANSFER, b, 11, 0).encode();
    s.submit(&bytes, None).unwrap();
    s.flush().unwrap();
    f.rollup.force_transaction(bytes).await.unwrap();
    follow(&f, &mut s).await;
    let queued = f.rollup.l1.head().await.unwrap().timestamp;

    // A reorg that replaced only blocks without inbox messages.
    let head = f.rollup.l1.head().await.unwrap().number;
    assert_eq!(s.roll_back_to_block(head + 1).unwrap(), 0);

    f.rollup.l1.advance(FORCE_DELAY + 100).await.unwrap();
    follow(&f, &mut s).await;
    s.submit(&f.tx(&f.alice, KIND_TRANSFER, b, 5, 1).encode(), None)
        .unwrap();
    s.flush().unwrap();
    for _ in 0..3 {
        let now = f.rollup.l1.head().await.unwrap().timestamp;
        let hold = s.hold_posting_until();
        assert!(
            hold <= now,
            "the forced transfer is due since {}, it is {now}, yet the batch is held until {hold}",
            queued + FORCE_DELAY
        );
        f.rollup.l1.advance(1_000).await.unwrap();
        follow(&f, &mut s).await;
    }
}
