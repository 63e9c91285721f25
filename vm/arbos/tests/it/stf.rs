//! The block function natively: configuration, deposits, signed transfers and withdrawals in
//! batches, the forced queue and its delay, the outbox and its proofs; and every kind of
//! hostile input (invalid transactions, batches that fail to decompress, decode or match their
//! tx root, malformed messages, anything before `Config`), each skipped deterministically
//! while the block still ends with a defined global state.

use crate::common::{CHAIN_ID, INBOX, env, sign, sign_on, wallet};
use fuse_arbos::append_tree::{self, AppendTree, OUTBOX_TAG};
use fuse_arbos::batch::{self, BatchHeader, MAX_DECOMPRESSED};
use fuse_arbos::env::Env;
use fuse_arbos::message::{
    Config, Deposit, Header, KIND_BATCH, KIND_CONFIG, KIND_DEPOSIT, KIND_FORCED_TX, KIND_TICK,
    MAX_MESSAGE_BYTES, message,
};
use fuse_arbos::state::{Account, State};
use fuse_arbos::stf::{BlockReport, GlobalState, Skip, execute_block};
use fuse_arbos::testing::MemoryEnv;
use fuse_arbos::tx::{KIND_TRANSFER, KIND_WITHDRAW, SignedTx};

const FORCE_DELAY: u64 = 3_600;

/// A chain: the host, the global state, and the L1 clock of the next message.
struct Chain {
    env: MemoryEnv,
    gs: GlobalState,
    now: u64,
}

impl Chain {
    fn new() -> Chain {
        let mut c = Chain {
            env: env(),
            gs: GlobalState::default(),
            now: 1_700_000_000,
        };
        let config = Config {
            chain_id: CHAIN_ID,
            inbox: INBOX,
            force_delay: FORCE_DELAY,
        };
        c.block(KIND_CONFIG, &config.encode());
        assert_ne!(c.gs.state_root, [0u8; 32], "Config configures the chain");
        c
    }

    fn block(&mut self, kind: u8, data: &[u8]) -> BlockReport {
        let h = Header {
            kind,
            l1_block_number: self.gs.inbox_position + 100,
            l1_timestamp: self.now,
        };
        self.env.inbox = message(&h, data);
        let before = self.gs;
        let (gs, report) = execute_block(&mut self.env, self.gs).expect("an honest host");
        assert_eq!(gs.inbox_position, before.inbox_position + 1);
        assert_eq!(gs.block_number, before.block_number + 1);
        self.gs = gs;
        report
    }

    fn deposit(&mut self, to: [u8; 20], amount: u128) {
        let d = Deposit {
            l1_sender: [0xee; 20],
            to,
            amount,
        };
        self.block(KIND_DEPOSIT, &d.encode());
    }

    /// A batch with the right tx root; returns the report.
    fn batch(&mut self, txs: &[SignedTx]) -> BlockReport {
        let root = batch::tx_root(&mut self.env, txs);
        let h = BatchHeader {
            seq: self.gs.block_number,
            tx_root: root,
            claimed_state_root: [7; 32],
        };
        self.block(KIND_BATCH, &batch::encode_batch(&h, txs))
    }

    fn account(&mut self, a: [u8; 20]) -> Account {
        let s = State::load(&mut self.env, &self.gs.state_root)
            .unwrap()
            .unwrap();
        s.account(&mut self.env, &a).unwrap()
    }
}

fn addr(w: &alloy::signers::local::PrivateKeySigner) -> [u8; 20] {
    w.address().0.0
}

#[test]
fn deposits_transfers_and_withdrawals() {
    let mut c = Chain::new();
    let (alice, bob) = (wallet(1), wallet(2));
    c.deposit(addr(&alice), 1_000);
    assert_eq!(c.account(addr(&alice)).balance, 1_000);
    let r = c.batch(&[
        sign(&alice, KIND_TRANSFER, addr(&bob), 300, 0),
        sign(&alice, KIND_WITHDRAW, [0xaa; 20], 200, 1),
        sign(&bob, KIND_TRANSFER, addr(&alice), 50, 0),
    ]);
    let outcome = r.batch.unwrap();
    assert!(
        outcome.reached.is_some() && !outcome.matched,
        "ran; the claim [7; 32] is wrong"
    );
    assert!(
        r.receipts.iter().all(|x| x.result.is_ok()),
        "{:?}",
        r.receipts
    );
    assert_eq!(
        c.account(addr(&alice)),
        Account {
            balance: 550,
            nonce: 2
        }
    );
    assert_eq!(
        c.account(addr(&bob)),
        Account {
            balance: 250,
            nonce: 1
        }
    );
    // The withdrawal is leaf 0 of the outbox, provable against the global state's root.
    assert_eq!(r.withdrawals.len(), 1);
    let (index, leaf) = r.withdrawals[0];
    let tree = AppendTree::outbox(&mut c.env);
    let proof = tree
        .proof(&mut c.env, &c.gs.outbox_root, index as u32)
        .unwrap();
    let mut env2 = env();
    let root =
        append_tree::root_from_proof(|d| env2.keccak(d), OUTBOX_TAG, index as u32, &leaf, &proof);
    assert_eq!(root, c.gs.outbox_root);
}

#[test]
fn a_batch_records_whether_its_claimed_root_was_reached() {
    let mut c = Chain::new();
    let alice = wallet(3);
    c.deposit(addr(&alice), 10);
    let txs = [sign(&alice, KIND_TRANSFER, [9; 20], 4, 0)];
    let root = batch::tx_root(&mut c.env, &txs);
    let at = |claim: [u8; 32]| {
        let h = BatchHeader {
            seq: 1,
            tx_root: root,
            claimed_state_root: claim,
        };
        batch::encode_batch(&h, &txs)
    };
    // A probe run on a copy learns the root the transactions reach.
    let mut probe = Chain {
        env: c.env.clone(),
        gs: c.gs,
        now: c.now,
    };
    let reached = probe.block(KIND_BATCH, &at([0; 32])).batch.unwrap();
    assert!(!reached.matched);
    let reached = reached.reached.expect("it ran");
    // Claiming it is recorded as a match; the claim is never used otherwise.
    let honest = c.block(KIND_BATCH, &at(reached)).batch.unwrap();
    assert!(honest.matched);
    assert_eq!(honest.reached, Some(reached));
    let s = State::load(&mut c.env, &c.gs.state_root).unwrap().unwrap();
    assert!(s.system.last_batch_root_matched);
    assert_eq!(s.system.last_batch_seq, 1);
    assert_ne!(
        c.gs.state_root, probe.gs.state_root,
        "the match flag is in the state"
    );
}

#[test]
fn forced_transactions_wait_for_the_delay_and_conflict_with_sequenced_twins() {
    let mut c = Chain::new();
    let (alice, bob) = (wallet(4), wallet(5));
    c.deposit(addr(&alice), 100);
    let forced = sign(&alice, KIND_TRANSFER, addr(&bob), 60, 0);
    c.block(KIND_FORCED_TX, &forced.encode());
    assert_eq!(c.account(addr(&bob)).balance, 0, "queued, not run");
    c.now += FORCE_DELAY - 1;
    let r = c.block(KIND_TICK, &[]);
    assert!(r.receipts.is_empty(), "not due yet");
    // The sequencer posts a twin with the same nonce before the delay runs out: it runs.
    let twin = sign(&alice, KIND_TRANSFER, addr(&bob), 30, 0);
    let r = c.batch(&[twin]);
    assert_eq!(r.receipts[0].result, Ok(()));
    c.now += 1;
    let r = c.block(KIND_TICK, &[]);
    assert_eq!(r.receipts.len(), 1);
    assert!(r.receipts[0].forced);
    assert_eq!(r.receipts[0].result, Err(Skip::WrongNonce));
    assert_eq!(c.account(addr(&bob)).balance, 30);
    // A forced tx with a fresh nonce runs once due, before the block's own content.
    let f2 = sign(&alice, KIND_TRANSFER, addr(&bob), 10, 1);
    c.block(KIND_FORCED_TX, &f2.encode());
    c.now += FORCE_DELAY;
    let r = c.batch(&[sign(&alice, KIND_TRANSFER, addr(&bob), 1, 1)]);
    assert_eq!(r.receipts[0].result, Ok(()), "the forced one ran first");
    assert!(r.receipts[0].forced);
    assert_eq!(r.receipts[1].result, Err(Skip::WrongNonce));
    assert_eq!(c.account(addr(&bob)).balance, 40);
}

#[test]
fn every_invalid_transaction_is_skipped_without_a_trace() {
    let mut c = Chain::new();
    let (alice, bob) = (wallet(6), wallet(7));
    c.deposit(addr(&alice), 100);
    c.deposit(addr(&bob), u128::MAX - 5);
    let ok = sign(&alice, KIND_TRANSFER, addr(&bob), 1, 0);
    let mut high_s = ok.clone();
    let n = alloy::primitives::U256::from_str_radix(
        "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141",
        16,
    )
    .unwrap();
    high_s.s = (n - alloy::primitives::U256::from_be_bytes(ok.s)).to_be_bytes();
    high_s.v = 55 - ok.v;
    let mut bad_sig = ok.clone();
    bad_sig.r[5] ^= 1;
    let cases: Vec<(SignedTx, Skip)> = vec![
        (high_s, Skip::BadSignature),
        (
            SignedTx {
                v: 29,
                ..ok.clone()
            },
            Skip::BadSignature,
        ),
        (bad_sig, Skip::WrongNonce),
        (
            sign_on(&alice, CHAIN_ID + 1, KIND_TRANSFER, addr(&bob), 1, 0),
            Skip::WrongNonce,
        ),
        (
            sign(&alice, KIND_TRANSFER, addr(&bob), 1, 5),
            Skip::WrongNonce,
        ),
        (
            sign(&alice, KIND_TRANSFER, addr(&bob), 101, 0),
            Skip::InsufficientBalance,
        ),
        (
            sign(&alice, KIND_TRANSFER, addr(&bob), 0, 0),
            Skip::ZeroAmount,
        ),
        (
            sign(&alice, KIND_TRANSFER, addr(&alice), 1, 0),
            Skip::SelfTransfer,
        ),
        (
            sign(&alice, KIND_TRANSFER, addr(&bob), 10, 0),
            Skip::Overflow,
        ),
        (
            SignedTx {
                kind: 7,
                ..ok.clone()
            },
            Skip::UnknownKind,
        ),
    ];
    let before_alice = c.account(addr(&alice));
    for (t, why) in &cases {
        let r = c.batch(core::slice::from_ref(t));
        assert_eq!(r.receipts.len(), 1);
        // A corrupted signature recovers some other sender with nonce 0 and no balance:
        // skipped for its nonce or balance, never executed as alice.
        let got = r.receipts[0].result;
        if *why == Skip::WrongNonce && got == Err(Skip::InsufficientBalance) {
            continue;
        }
        assert_eq!(got, Err(*why), "{t:?}");
    }
    assert_eq!(c.account(addr(&alice)), before_alice);
    // The replay of an executed transaction.
    c.batch(core::slice::from_ref(&ok));
    let r = c.batch(&[ok]);
    assert_eq!(r.receipts[0].result, Err(Skip::WrongNonce));
}

#[test]
fn hostile_batches_are_skipped_whole() {
    let mut c = Chain::new();
    let alice = wallet(8);
    c.deposit(addr(&alice), 100);
    let t = sign(&alice, KIND_TRANSFER, [1; 20], 5, 0);
    let root = batch::tx_root(&mut c.env, core::slice::from_ref(&t));
    let good = BatchHeader {
        seq: 9,
        tx_root: root,
        claimed_state_root: [0; 32],
    };
    // A wrong tx root.
    let wrong = BatchHeader {
        tx_root: [3; 32],
        ..good
    };
    let mut bodies: Vec<(&str, Vec<u8>)> = vec![
        (
            "wrong tx root",
            batch::encode_batch(&wrong, core::slice::from_ref(&t)),
        ),
        ("garbage", vec![0xab; 300]),
        ("too short", vec![1; 10]),
    ];
    // Does not decompress.
    let mut broken = batch::encode_batch(&good, core::slice::from_ref(&t));
    broken.truncate(broken.len() - 3);
    bodies.push(("truncated block", broken));
    // A decompression bomb: the size prefix claims more than the cap.
    let mut bomb = batch::encode_batch(&good, &[]);
    bomb[72..76].copy_from_slice(&((MAX_DECOMPRESSED as u32) + 1).to_be_bytes());
    bodies.push(("bomb", bomb));
    // A count over the cap, with nothing behind it.
    let mut over = good.seq.to_be_bytes().to_vec();
    over.extend_from_slice(&good.tx_root);
    over.extend_from_slice(&good.claimed_state_root);
    over.extend_from_slice(&batch::compress(&postcard::to_allocvec(&5000u32).unwrap()));
    bodies.push(("count over the cap", over));
    // Trailing bytes after the last transaction.
    let mut payload = batch::encode_payload(core::slice::from_ref(&t));
    payload.push(0);
    let mut trailing = good.seq.to_be_bytes().to_vec();
    trailing.extend_from_slice(&good.tx_root);
    trailing.extend_from_slice(&good.claimed_state_root);
    trailing.extend_from_slice(&batch::compress(&payload));
    bodies.push(("trailing bytes", trailing));
    for (what, data) in bodies {
        let before = c.account(addr(&alice));
        let r = c.block(KIND_BATCH, &data);
        assert_eq!(r.batch.and_then(|b| b.reached), None, "{what}");
        assert!(r.batch.is_some(), "{what}");
        assert!(r.receipts.is_empty(), "{what}");
        assert_eq!(c.account(addr(&alice)), before, "{what}");
    }
    // An oversized message is an empty block.
    let r = c.block(KIND_BATCH, &vec![0; MAX_MESSAGE_BYTES + 1]);
    assert_eq!(r.batch, None);
    // The good batch still runs afterwards.
    let r = c.block(KIND_BATCH, &batch::encode_batch(&good, &[t]));
    assert!(r.batch.unwrap().reached.is_some());
}

#[test]
fn malformed_messages_make_empty_blocks() {
    let mut c = Chain::new();
    let alice = wallet(9);
    c.deposit(addr(&alice), 10);
    for (kind, data) in [
        (KIND_DEPOSIT, vec![1u8; 55]),
        (
            KIND_CONFIG,
            Config {
                chain_id: 1,
                inbox: [0; 20],
                force_delay: 0,
            }
            .encode(),
        ),
        (KIND_FORCED_TX, vec![0xff; 40]),
        (99, vec![1, 2, 3]),
        (KIND_TICK, vec![]),
    ] {
        let before = (c.account(addr(&alice)), c.gs.outbox_root);
        c.block(kind, &data);
        assert_eq!(
            (c.account(addr(&alice)), c.gs.outbox_root),
            before,
            "kind {kind}"
        );
    }
    // The configuration stayed the first one.
    let s = State::load(&mut c.env, &c.gs.state_root).unwrap().unwrap();
    assert_eq!(s.system.config.chain_id, CHAIN_ID);
}

#[test]
fn nothing_happens_before_the_config_message() {
    let mut e = env();
    let h = Header {
        kind: KIND_DEPOSIT,
        l1_block_number: 1,
        l1_timestamp: 1,
    };
    e.inbox = message(
        &h,
        &Deposit {
            l1_sender: [1; 20],
            to: [2; 20],
            amount: 5,
        }
        .encode(),
    );
    let (gs, _) = execute_block(&mut e, GlobalState::default()).unwrap();
    assert_eq!(gs.state_root, [0; 32]);
    assert_eq!((gs.inbox_position, gs.block_number), (1, 1));
    // A Config anywhere but position 0 does not configure the chain either.
    e.inbox = message(
        &Header {
            kind: KIND_CONFIG,
            ..h
        },
        &Config {
            chain_id: 1,
            inbox: [0; 20],
            force_delay: 0,
        }
        .encode(),
    );
    let (gs2, _) = execute_block(&mut e, gs).unwrap();
    assert_eq!(gs2.state_root, [0; 32]);
}
