//! The sequencer against real L1 messages (the embedded L1 with the deployed contracts):
//! ingress decisions with their reasons, group-commit durability, batches that post and
//! become canonical, the soft state rebuilt under new deposits, withdrawals recorded, and a
//! restart that resumes with nothing lost that was acknowledged.

use alloy::signers::local::PrivateKeySigner;
use alloy_primitives::{Address, B256, U256};
use fuse_arbos::tx::{Domain, KIND_TRANSFER, KIND_WITHDRAW, SignedTx};
use fuse_contracts::deploy::RollupConfig;

use super::{BatchCaps, ClaimError, Rejection, Sequencer};
use crate::store::{Store, TxStatus};
use fuse_exec::wallet::sign;
use fuse_l1::rollup::RollupL1;
use fuse_l1::{EmbeddedClock, EmbeddedL1, L1};

const CHAIN_ID: u64 = 412_346;

pub(super) struct Fixture {
    pub(super) dir: tempfile::TempDir,
    pub(super) rollup: RollupL1<EmbeddedL1>,
    pub(super) alice: PrivateKeySigner,
    pub(super) bob: PrivateKeySigner,
    pub(super) domain: Domain,
}

impl Fixture {
    /// A deployed rollup with deposits for Alice (10,000 wei) and Bob (500).
    pub(super) async fn new() -> Fixture {
        let l1 = EmbeddedL1::new(EmbeddedClock::Manual(1_700_000_000));
        let owner = l1.signer();
        let config = RollupConfig::new(owner, CHAIN_ID, 600, B256::repeat_byte(0x4d), 3_600)
            .with_bond(U256::from(10u128.pow(18)));
        let rollup = RollupL1::deploy(l1, config).await.unwrap();
        let alice = PrivateKeySigner::from_bytes(&B256::repeat_byte(0xa1)).unwrap();
        let bob = PrivateKeySigner::from_bytes(&B256::repeat_byte(0xb0)).unwrap();
        rollup
            .deposit(alice.address(), U256::from(10_000))
            .await
            .unwrap();
        rollup
            .deposit(bob.address(), U256::from(500))
            .await
            .unwrap();
        let domain = Domain {
            chain_id: CHAIN_ID,
            inbox: rollup.contracts.inbox.into(),
        };
        Fixture {
            dir: tempfile::tempdir().unwrap(),
            rollup,
            alice,
            bob,
            domain,
        }
    }

    pub(super) fn open(&self) -> Sequencer {
        Sequencer::open(Store::open(self.dir.path()).unwrap(), BatchCaps::default()).unwrap()
    }

    /// Feeds the sequencer every L1 message so far.
    pub(super) async fn follow(&self, s: &mut Sequencer) -> usize {
        let head = self.rollup.l1.head().await.unwrap();
        let messages = self.rollup.messages(0, head.number).await.unwrap();
        s.apply_messages(&messages).unwrap()
    }

    pub(super) fn tx(
        &self,
        key: &PrivateKeySigner,
        kind: u8,
        to: Address,
        amount: u128,
        nonce: u64,
    ) -> SignedTx {
        sign(key, &self.domain, kind, to.into(), amount, nonce).unwrap()
    }
}

fn reject(s: &mut Sequencer, t: &SignedTx, from: Option<Address>) -> Rejection {
    s.submit(&t.encode(), from.map(Into::into))
        .expect_err("a rejection")
        .1
}

#[tokio::test]
async fn ingress_accepts_valid_transactions_and_names_every_rejection() {
    let f = Fixture::new().await;
    let mut s = f.open();
    let early = f.tx(&f.alice, KIND_TRANSFER, f.bob.address(), 1, 0);
    assert_eq!(reject(&mut s, &early, None), Rejection::NotConfigured);
    assert_eq!(f.follow(&mut s).await, 3, "config and two deposits");

    let a = f.alice.address();
    let b = f.bob.address();
    let t0 = f.tx(&f.alice, KIND_TRANSFER, b, 1_000, 0);
    let id = s.submit(&t0.encode(), Some(a.into())).unwrap();
    // Acknowledged only once durable.
    assert!(s.is_unsaved(&id));
    assert_eq!(s.status(&id).unwrap(), None);
    assert_eq!(s.flush().unwrap(), vec![id]);
    assert_eq!(s.status(&id).unwrap(), Some(TxStatus::AcceptedInL2));
    assert_eq!(s.account(&a.into(), true).unwrap().balance, 9_000);
    assert_eq!(s.account(&a.into(), false).unwrap().balance, 10_000);
    assert_eq!(s.account(&b.into(), true).unwrap().balance, 1_500);

    let mut garbage = t0.encode();
    garbage.truncate(40);
    assert!(matches!(
        s.submit(&garbage, None).unwrap_err().1,
        Rejection::Malformed(_)
    ));
    let mut trailing = t0.encode();
    trailing.push(0);
    assert!(matches!(
        s.submit(&trailing, None).unwrap_err().1,
        Rejection::Malformed(_)
    ));
    assert!(matches!(reject(&mut s, &t0, None), Rejection::Known { .. }));
    let mut bad = f.tx(&f.alice, KIND_TRANSFER, b, 5, 1);
    bad.v = 29;
    assert_eq!(reject(&mut s, &bad, None), Rejection::BadSignature);
    // Signed for another chain: it recovers to someone else.
    let other = Domain {
        chain_id: CHAIN_ID + 1,
        ..f.domain
    };
    let foreign = sign(&f.alice, &other, KIND_TRANSFER, b.into(), 5, 1).unwrap();
    assert!(matches!(
        reject(&mut s, &foreign, Some(a)),
        Rejection::WrongSigner { .. }
    ));
    let replay = f.tx(&f.alice, KIND_TRANSFER, b, 2, 0);
    assert_eq!(
        reject(&mut s, &replay, None),
        Rejection::NonceTooLow {
            got: 0,
            expected: 1
        }
    );
    let gap = f.tx(&f.alice, KIND_TRANSFER, b, 2, 5);
    assert_eq!(
        reject(&mut s, &gap, None),
        Rejection::NonceGap {
            got: 5,
            expected: 1
        }
    );
    let zero = f.tx(&f.alice, KIND_TRANSFER, b, 0, 1);
    assert_eq!(reject(&mut s, &zero, None), Rejection::ZeroAmount);
    let much = f.tx(&f.alice, KIND_WITHDRAW, b, 9_001, 1);
    assert_eq!(
        reject(&mut s, &much, None),
        Rejection::InsufficientBalance {
            balance: 9_000,
            amount: 9_001
        }
    );
    let selfie = f.tx(&f.alice, KIND_TRANSFER, a, 1, 1);
    assert_eq!(reject(&mut s, &selfie, None), Rejection::SelfTransfer);
    // None of that moved anything.
    assert_eq!(s.account(&a.into(), true).unwrap().balance, 9_000);
    assert_eq!(s.pending_count(), 1);
    // The gap, once filled, is accepted on a second try.
    let t1 = f.tx(&f.alice, KIND_TRANSFER, b, 10, 1);
    s.submit(&t1.encode(), None).unwrap();
    for n in 2..5 {
        s.submit(&f.tx(&f.alice, KIND_TRANSFER, b, 10, n).encode(), None)
            .unwrap();
    }
    s.submit(&gap.encode(), None).unwrap();
    assert_eq!(s.flush().unwrap().len(), 5);
}

#[tokio::test]
async fn batches_post_once_and_become_canonical_with_their_withdrawals() {
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
        s.submit(&f.tx(&f.bob, KIND_TRANSFER, a, 1_200, 0).encode(), None)
            .unwrap(),
    ];
    let soft_root = s.soft().state_root;
    let (seq, rec) = s.batch_to_post().unwrap().expect("a batch");
    assert_eq!((seq, rec.count), (1, 3));
    assert_eq!(s.status(&ids[2]).unwrap(), Some(TxStatus::AcceptedInL2));
    assert!(
        s.batch_to_post().unwrap().is_some_and(|(q, _)| q == 1),
        "not posted yet: again"
    );
    let receipt = f.rollup.append_batch(rec.data.clone(), seq).await.unwrap();
    s.batch_posted(seq, receipt.tx_hash.0).unwrap();
    assert!(s.batch_to_post().unwrap().is_none(), "nothing left");
    for id in &ids {
        assert_eq!(s.status(id).unwrap(), Some(TxStatus::Posted { batch: 1 }));
    }
    // A retried post of the same batch is refused by the Inbox.
    assert!(f.rollup.append_batch(rec.data, seq).await.is_err());
    // Asked before the follower executed the batch: on its way, not unknown; a transfer has
    // no withdrawal at all.
    assert!(matches!(
        s.withdrawal_claim(&ids[1]),
        Err(ClaimError::NotExecuted {
            status: TxStatus::Posted { batch: 1 }
        })
    ));
    assert!(matches!(
        s.withdrawal_claim(&ids[0]),
        Err(ClaimError::Unknown)
    ));

    assert_eq!(f.follow(&mut s).await, 1);
    assert_eq!(s.pending_count(), 0);
    assert_eq!(s.canonical(), s.soft());
    assert_eq!(
        s.account(&a.into(), false).unwrap().balance,
        10_000 - 700 - 2_000 + 1_200
    );
    assert_eq!(
        s.account(&b.into(), false).unwrap().balance,
        500 + 700 - 1_200
    );
    assert_ne!(soft_root, [0; 32]);
    let w = s
        .store()
        .withdrawal(&ids[1])
        .unwrap()
        .expect("the withdrawal");
    assert_eq!(
        (w.index, w.amount, w.l1_recipient),
        (0, 2_000, recipient.into())
    );
    assert_eq!(w.l2_sender, <[u8; 20]>::from(a));
    assert_eq!(s.store().batch(1).unwrap().unwrap().message, Some(3));

    // Claimable once an assertion past the batch's message is confirmed, with a proof the
    // Outbox's own function accepts.
    assert!(matches!(
        s.withdrawal_claim(&ids[1]),
        Err(ClaimError::NotFinal {
            message: 3,
            finalized: 0
        })
    ));
    assert_eq!(s.finalize(7, 4).unwrap(), 3);
    assert_eq!(
        s.status(&ids[0]).unwrap(),
        Some(TxStatus::Finalized {
            batch: 1,
            message: 3
        })
    );
    let claim = s.withdrawal_claim(&ids[1]).unwrap();
    assert_eq!((claim.assertion, claim.amount), (7, 2_000));
    let root = fuse_arbos::append_tree::root_from_proof(
        |d| alloy_primitives::keccak256(d).0,
        fuse_arbos::append_tree::OUTBOX_TAG,
        claim.index as u32,
        &w.leaf,
        &claim.proof.map(|p| p.0),
    );
    assert_eq!(B256::from(root), claim.outbox_root);
    assert_eq!(
        s.finalized_account(&a.into()).unwrap().balance,
        10_000 - 700 - 2_000 + 1_200
    );
    assert!(matches!(
        s.withdrawal_claim(&ids[0]),
        Err(ClaimError::Unknown)
    ));
}

#[tokio::test]
async fn new_deposits_rebuild_the_soft_state_and_keep_accepted_transactions() {
    let f = Fixture::new().await;
    let mut s = f.open();
    f.follow(&mut s).await;
    let b = f.bob.address();
    // Bob spends everything he has, then a deposit lands before the batch.
    s.submit(
        &f.tx(&f.bob, KIND_TRANSFER, f.alice.address(), 500, 0)
            .encode(),
        None,
    )
    .unwrap();
    f.rollup.deposit(b, U256::from(42)).await.unwrap();
    assert_eq!(f.follow(&mut s).await, 1);
    assert_eq!(s.pending_count(), 1, "still accepted");
    assert_eq!(s.account(&b.into(), true).unwrap().balance, 42);
    assert_eq!(s.account(&b.into(), false).unwrap().balance, 542);
}

#[tokio::test]
async fn a_restart_keeps_what_was_acknowledged_and_reposts_the_same_batch() {
    let f = Fixture::new().await;
    let mut s = f.open();
    f.follow(&mut s).await;
    let b = f.bob.address();
    let acked: Vec<[u8; 32]> = (0..3)
        .map(|n| {
            s.submit(
                &f.tx(&f.alice, KIND_TRANSFER, b, 1 + n as u128, n).encode(),
                None,
            )
            .unwrap()
        })
        .collect();
    assert_eq!(s.flush().unwrap(), acked);
    let (seq, rec) = s.batch_to_post().unwrap().unwrap();
    let lost = s
        .submit(&f.tx(&f.alice, KIND_TRANSFER, b, 9, 3).encode(), None)
        .unwrap();
    let soft = s.soft();
    drop(s); // a crash: the unflushed acceptance was never acknowledged

    let mut s = f.open();
    assert_eq!(s.pending_count(), 3);
    assert_ne!(s.soft(), soft, "the unacknowledged tx is gone");
    assert_eq!(s.status(&lost).unwrap(), None);
    for id in &acked {
        assert_eq!(s.status(id).unwrap(), Some(TxStatus::AcceptedInL2));
    }
    let (seq2, rec2) = s.batch_to_post().unwrap().unwrap();
    assert_eq!(
        (seq2, &rec2.data),
        (seq, &rec.data),
        "the same batch, byte for byte"
    );
    f.rollup.append_batch(rec2.data, seq2).await.unwrap();
    // Crash again before recording the post: the follower sees it on L1.
    drop(s);
    let mut s = f.open();
    f.follow(&mut s).await;
    assert!(s.batch_to_post().unwrap().is_none());
    assert_eq!(s.pending_count(), 0);
    for id in &acked {
        assert_eq!(s.status(id).unwrap(), Some(TxStatus::Posted { batch: 1 }));
    }
    assert_eq!(s.account(&b.into(), false).unwrap().balance, 506);
    // Reopened without following: the canonical state is read from stored preimages only.
    // Its nodes were first hashed by speculative (soft) execution, which keeps them in memory
    // only; canonical execution hashing them again is what must have persisted them.
    drop(s);
    let mut s = f.open();
    assert_eq!(s.account(&b.into(), false).unwrap().balance, 506);
    assert_eq!(
        s.account(&f.alice.address().into(), false).unwrap().nonce,
        3
    );
    // The follower resumes where it stopped rather than rescanning L1 from block 0.
    assert_eq!(s.l1_scanned().unwrap(), None);
    s.record_scanned(42);
    s.flush().unwrap();
    drop(s);
    assert_eq!(f.open().l1_scanned().unwrap(), Some(42));
}

/// The committer writes a group outside the sequencer's lock while ingress goes on; a flush
/// the sequencer makes meanwhile (say before a batch) waits for that group, so groups land in
/// the order taken, and a waiter's ticket is released only by the group its transaction is in.
#[tokio::test]
async fn groups_land_in_the_order_taken_while_ingress_goes_on() {
    use std::sync::{Arc, Mutex};

    use super::hold;

    let f = Fixture::new().await;
    let mut s = f.open();
    f.follow(&mut s).await;
    let b = f.bob.address();
    let first = s
        .submit(&f.tx(&f.alice, KIND_TRANSFER, b, 10, 0).encode(), None)
        .unwrap();
    let ticket_first = s.taken();
    let (line, store) = s.commit_handles();
    let mut held = hold(&line);
    let group = s.take_group(&mut held).expect("a group");
    assert_eq!(group.ids(), [first]);

    // While the group is being written (line held, sequencer free), ingress goes on.
    let second = s
        .submit(&f.tx(&f.alice, KIND_TRANSFER, b, 20, 1).encode(), None)
        .unwrap();
    let ticket_second = s.taken();
    assert_eq!(
        ticket_second,
        ticket_first + 1,
        "the second joins the next group"
    );
    assert!(s.is_unsaved(&first) && s.is_unsaved(&second));
    assert_eq!(s.status(&first).unwrap(), None, "not on disk yet");

    // The sequencer's own flush waits for the line.
    let shared = Arc::new(Mutex::new(s));
    let flusher = {
        let shared = shared.clone();
        std::thread::spawn(move || shared.lock().unwrap().flush().unwrap())
    };
    std::thread::sleep(std::time::Duration::from_millis(100));
    assert!(
        !flusher.is_finished(),
        "the flush waits for the group on the line"
    );
    let group = Sequencer::write_group(&store, &mut held, group).expect("written");
    drop(held);
    assert_eq!(flusher.join().unwrap(), vec![second]);
    let mut s = Arc::into_inner(shared).unwrap().into_inner().unwrap();
    assert_eq!(s.durable(), ticket_second + 1);
    s.group_landed(&group);
    assert_eq!(s.durable(), ticket_second + 1, "never goes back");
    assert!(s.durable() > ticket_first && s.durable() > ticket_second);
    for id in [first, second] {
        assert!(!s.is_unsaved(&id));
        assert_eq!(s.status(&id).unwrap(), Some(TxStatus::AcceptedInL2));
    }
}

/// The follower records a batch's inbox index in a group that may not be written yet when the
/// poster records the batch's L1 transaction: neither may overwrite the other (both read
/// the record and write it whole).
#[tokio::test]
async fn a_batch_keeps_both_its_l1_tx_and_its_inbox_index_whoever_writes_last() {
    let f = Fixture::new().await;
    let mut s = f.open();
    f.follow(&mut s).await;
    s.submit(
        &f.tx(&f.alice, KIND_TRANSFER, f.bob.address(), 5, 0)
            .encode(),
        None,
    )
    .unwrap();
    let (seq, rec) = s.batch_to_post().unwrap().expect("a batch");
    let receipt = f.rollup.append_batch(rec.data, seq).await.unwrap();
    // The follower executes the batch's message; its records are not written yet.
    let head = f.rollup.l1.head().await.unwrap();
    let messages = f.rollup.messages(0, head.number).await.unwrap();
    assert_eq!(s.execute_messages(&messages).unwrap(), 1);
    // Then the poster records the post.
    s.batch_posted(seq, receipt.tx_hash.0).unwrap();
    s.flush().unwrap();
    let stored = s.store().batch(seq).unwrap().unwrap();
    assert_eq!(stored.l1_tx, Some(receipt.tx_hash.0));
    assert_eq!(stored.message, Some(messages.len() as u64 - 1));
}

#[tokio::test]
async fn a_refused_transaction_is_answered_not_stored() {
    let f = Fixture::new().await;
    let mut s = f.open();
    f.follow(&mut s).await;
    s.flush().unwrap();
    let b = f.bob.address();
    // Well-encoded, garbage signatures: free for the sender, so free for the node.
    let held = s.env_mut().sizes().0;
    let mut ids = Vec::new();
    for n in 0..(super::rejections::REMEMBERED_REJECTIONS as u64 + 100) {
        let mut bad = f.tx(&f.alice, KIND_TRANSFER, b, 1, n);
        bad.r = B256::from(U256::from(n + 1)).0;
        let bytes = bad.encode();
        let (id, r) = s.submit(&bytes, None).unwrap_err();
        let id = id.expect("decoded, so it has an id");
        s.record_rejection(id, &r);
        ids.push(id);
    }
    assert!(!s.has_unsaved(), "nothing to write");
    assert_eq!(
        s.env_mut().sizes().0,
        held,
        "no preimage kept in memory either"
    );
    assert_eq!(s.store().tx(&ids[0]).unwrap(), None);
    let last = ids.last().unwrap();
    assert_eq!(s.store().tx(last).unwrap(), None);
    // The latest are answered from memory, the oldest forgotten (the window is bounded).
    assert!(s.recent_rejection(last).is_some());
    assert_eq!(s.recent_rejection(&ids[0]), None);
    // The same bytes refused, then accepted once their nonce gap is filled: the refusal is
    // forgotten.
    let gap = f.tx(&f.alice, KIND_TRANSFER, b, 1, 1).encode();
    let (id, r) = s.submit(&gap, None).unwrap_err();
    s.record_rejection(id.unwrap(), &r);
    assert!(s.recent_rejection(&id.unwrap()).is_some());
    s.submit(&f.tx(&f.alice, KIND_TRANSFER, b, 1, 0).encode(), None)
        .unwrap();
    assert_eq!(s.submit(&gap, None).unwrap(), id.unwrap());
    assert_eq!(s.recent_rejection(&id.unwrap()), None);
}
