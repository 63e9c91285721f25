//! A transfer signed by an Ethereum wallet (alloy's local signer over the EIP-712 typed data)
//! runs in the committed guest — in the stepping machine and in the wasmtime twin — and the
//! same transaction with one byte changed is skipped there: what an ordinary Ethereum wallet
//! signs is what the guest accepts, and nothing else.

use crate::common::{CHAIN_ID, INBOX, sign, wallet};
use fuse_arbos::batch::{self, BatchHeader};
use fuse_arbos::message::{
    Config, Deposit, Header, KIND_BATCH, KIND_CONFIG, KIND_DEPOSIT, message,
};
use fuse_arbos::state::{Account, State};
use fuse_arbos::stf::{self, Skip};
use fuse_arbos::testing::MemoryEnv;
use fuse_arbos::tx::{KIND_TRANSFER, SignedTx};
use fuse_prover::block::{ChainHost, Executor};
use fuse_twin::TwinExit;
use fuse_vm::{GlobalState, MAX_STEPS, Status};

/// The guest's chain: every message runs in the machine and the twin, which must agree.
struct GuestChain {
    ex: Executor,
    host: ChainHost,
    gs: GlobalState,
    now: u64,
}

impl GuestChain {
    fn run(&mut self, kind: u8, data: &[u8]) {
        self.now += 12;
        let h = Header {
            kind,
            l1_block_number: 100 + self.gs.inbox_position,
            l1_timestamp: self.now,
        };
        self.host.store().push_message(&message(&h, data));
        let run = self.ex.run_machine(&mut self.host, self.gs).unwrap();
        assert_eq!(run.status, Status::Finished);
        let twin = self
            .ex
            .run_twin(self.host.clone(), self.gs, MAX_STEPS)
            .unwrap();
        assert_eq!(twin, TwinExit::Finished(run.global_state), "twin = machine");
        self.gs = run.global_state;
    }

    /// An account in the guest's state, read from the preimages the guest itself recorded.
    fn account(&self, address: [u8; 20]) -> Account {
        let mut env = MemoryEnv::new();
        for (h, p) in self.host.store().preimages() {
            env.preimages.insert(h.0, p.to_vec());
        }
        let state = State::load(&mut env, &self.gs.state_root.0)
            .unwrap()
            .expect("configured");
        state.account(&mut env, &address).unwrap()
    }

    fn batch(&mut self, seq: u64, txs: &[SignedTx]) {
        let mut env = MemoryEnv::new();
        let header = BatchHeader {
            seq,
            tx_root: batch::tx_root(&mut env, txs),
            claimed_state_root: [0; 32],
        };
        self.run(KIND_BATCH, &batch::encode_batch(&header, txs));
    }
}

#[test]
fn a_wallet_signed_transfer_runs_in_the_guest_and_one_changed_byte_is_skipped() {
    let mut c = GuestChain {
        ex: Executor::guest().unwrap(),
        host: ChainHost::new(),
        gs: GlobalState::default(),
        now: 1_700_000_000,
    };
    let config = Config {
        chain_id: CHAIN_ID,
        inbox: INBOX,
        force_delay: 3_600,
    };
    c.run(KIND_CONFIG, &config.encode());
    let (alice, bob) = (wallet(1), wallet(2));
    let (a, b) = (alice.address().0.0, bob.address().0.0);
    let deposit = Deposit {
        l1_sender: [0xee; 20],
        to: a,
        amount: 1_000,
    };
    c.run(KIND_DEPOSIT, &deposit.encode());
    assert_eq!(c.account(a).balance, 1_000);

    // Signed as a wallet signs typed data (`eth_signTypedData_v4`): the guest recovers Alice.
    let tx = sign(&alice, KIND_TRANSFER, b, 250, 0);
    c.batch(1, std::slice::from_ref(&tx));
    assert_eq!(
        c.account(a),
        Account {
            balance: 750,
            nonce: 1
        }
    );
    assert_eq!(c.account(b).balance, 250);

    // Every single-byte change of the signed transaction (that still decodes) is skipped:
    // the guest's state root is the one the native STF reaches with the tx skipped.
    let bytes = tx.encode();
    let mut changed = 0;
    for at in 0..bytes.len() {
        let mut t = bytes.clone();
        t[at] ^= 0x01;
        let Ok((bad, [])) = SignedTx::decode(&t) else {
            continue;
        };
        let before = (c.account(a), c.account(b));
        let mut native = native_env(&c);
        native.inbox = message(
            &Header {
                kind: KIND_BATCH,
                l1_block_number: 100 + c.gs.inbox_position,
                l1_timestamp: c.now + 12,
            },
            &{
                let mut e = MemoryEnv::new();
                let h = BatchHeader {
                    seq: 2 + at as u64,
                    tx_root: batch::tx_root(&mut e, std::slice::from_ref(&bad)),
                    claimed_state_root: [0; 32],
                };
                batch::encode_batch(&h, std::slice::from_ref(&bad))
            },
        );
        let (expected, report) = stf::execute_block(&mut native, c.gs).unwrap();
        assert!(
            report.receipts[0].result.is_err(),
            "byte {at}: {:?}",
            report.receipts[0]
        );
        c.batch(2 + at as u64, std::slice::from_ref(&bad));
        assert_eq!(c.gs.state_root.0, expected.state_root, "byte {at}");
        assert_eq!(
            (c.account(a), c.account(b)),
            before,
            "byte {at} moved funds"
        );
        changed += 1;
    }
    assert!(changed > 80, "only {changed} single-byte changes decoded");
    // The untouched transaction again: now a replay (its nonce is spent).
    let mut native = native_env(&c);
    native.inbox = message(
        &Header {
            kind: KIND_BATCH,
            l1_block_number: 0,
            l1_timestamp: 0,
        },
        &{
            let mut e = MemoryEnv::new();
            let h = BatchHeader {
                seq: 1_000,
                tx_root: batch::tx_root(&mut e, std::slice::from_ref(&tx)),
                claimed_state_root: [0; 32],
            };
            batch::encode_batch(&h, std::slice::from_ref(&tx))
        },
    );
    let (_, report) = stf::execute_block(&mut native, c.gs).unwrap();
    assert_eq!(report.receipts[0].result, Err(Skip::WrongNonce));
}

fn native_env(c: &GuestChain) -> MemoryEnv {
    let mut env = crate::common::env();
    for (h, p) in c.host.store().preimages() {
        env.preimages.insert(h.0, p.to_vec());
    }
    env
}
