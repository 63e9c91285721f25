//! A [`TxSession`] (the sequencer's soft execution) is the batch, one transaction at a time:
//! over random mixes of valid transfers and withdrawals, replays, wrong nonces, overdrafts,
//! self-transfers, bad signatures and zero amounts, the session's receipts, state root and
//! outbox root equal those of the same transactions in a `Batch` message on the same state.

use crate::common::{CHAIN_ID, INBOX, env, sign, wallet};
use fuse_arbos::batch::{self, BatchHeader};
use fuse_arbos::message::{
    Config, Deposit, Header, KIND_BATCH, KIND_CONFIG, KIND_DEPOSIT, message,
};
use fuse_arbos::stf::{GlobalState, TxSession, execute_block};
use fuse_arbos::testing::{MemoryEnv, TestRng, test_scale};
use fuse_arbos::tx::{KIND_TRANSFER, KIND_WITHDRAW, SignedTx};

fn run(env: &mut MemoryEnv, gs: GlobalState, kind: u8, data: &[u8]) -> GlobalState {
    env.inbox = message(
        &Header {
            kind,
            l1_block_number: 10,
            l1_timestamp: 1_700_000_000,
        },
        data,
    );
    execute_block(env, gs).unwrap().0
}

#[test]
fn a_session_executes_exactly_what_a_batch_does() {
    let wallets: Vec<_> = (1..=4).map(wallet).collect();
    let mut rng = TestRng::new(0x5e55);
    let rounds = 12 * test_scale();
    let mut compared = 0;
    for _ in 0..rounds {
        let mut env = env();
        let config = Config {
            chain_id: CHAIN_ID,
            inbox: INBOX,
            force_delay: 60,
        };
        let mut gs = run(
            &mut env,
            GlobalState::default(),
            KIND_CONFIG,
            &config.encode(),
        );
        for w in &wallets {
            let d = Deposit {
                l1_sender: [0xee; 20],
                to: w.address().into(),
                amount: 1_000,
            };
            gs = run(&mut env, gs, KIND_DEPOSIT, &d.encode());
        }
        let mut nonces = [0u64; 4];
        let mut txs: Vec<SignedTx> = Vec::new();
        for _ in 0..(1 + rng.below(24)) {
            let i = rng.below(4) as usize;
            let kind = if rng.below(4) == 0 {
                KIND_WITHDRAW
            } else {
                KIND_TRANSFER
            };
            let to = if rng.below(8) == 0 {
                wallets[i].address().into()
            } else {
                wallets[rng.below(4) as usize].address().into()
            };
            let amount = [0, 1, 7, 300, 999, 1_000, 5_000][rng.below(7) as usize];
            let nonce = match rng.below(6) {
                0 => nonces[i].saturating_sub(1),
                1 => nonces[i] + 1,
                _ => nonces[i],
            };
            let mut t = sign(&wallets[i], kind, to, amount, nonce);
            if rng.below(10) == 0 {
                t.s[31] ^= 1;
            }
            nonces[i] = nonces[i].max(nonce + 1);
            txs.push(t);
        }

        // The batch.
        let mut batch_env = env.clone();
        let h = BatchHeader {
            seq: 1,
            tx_root: batch::tx_root(&mut batch_env, &txs),
            claimed_state_root: [0; 32],
        };
        batch_env.inbox = message(
            &Header {
                kind: KIND_BATCH,
                l1_block_number: 11,
                l1_timestamp: 1_700_000_012,
            },
            &batch::encode_batch(&h, &txs),
        );
        let (after, report) = execute_block(&mut batch_env, gs).unwrap();
        let outcome = report.batch.expect("a batch outcome");

        // The session.
        let mut s = TxSession::begin(&mut env, &gs)
            .unwrap()
            .expect("configured");
        for t in &txs {
            let r = s.execute(t, &t.encode()).unwrap();
            assert_eq!(Some(&r), s.receipts().last());
        }
        assert_eq!(s.withdrawals(), &report.withdrawals[..]);
        let (root, outbox, receipts) = s.finish();
        assert_eq!(receipts, report.receipts);
        assert_eq!(Some(root), outcome.reached);
        assert_eq!(outbox, after.outbox_root);
        compared += txs.len();
    }
    println!("session vs batch: {rounds} rounds, {compared} transactions agree");
}

#[test]
fn no_session_before_the_chain_is_configured() {
    let mut env = env();
    assert!(
        TxSession::begin(&mut env, &GlobalState::default())
            .unwrap()
            .is_none()
    );
}
