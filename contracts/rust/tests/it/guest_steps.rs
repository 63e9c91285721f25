//! The committed rollup guest, proven on L1: a real block (a batch of wallet-signed transfers
//! and a withdrawal) runs in the stepping machine, and a sample of its steps — the first two
//! of every opcode and outcome, and every 499th — is proven, checked by the Rust verifier and
//! by the Solidity one-step prover in revm. The OSP vectors cover every opcode in small
//! programs; this covers the code a dispute actually bisects into.

use std::collections::BTreeMap;

use crate::common::CHAIN_ID;
use alloy::signers::local::PrivateKeySigner;
use alloy_primitives::B256;
use fuse_arbos::batch::{self, BatchHeader};
use fuse_arbos::message::{
    Config, Deposit, Header, KIND_BATCH, KIND_CONFIG, KIND_DEPOSIT, message,
};
use fuse_arbos::testing::MemoryEnv;
use fuse_arbos::tx::{KIND_TRANSFER, KIND_WITHDRAW, SignedTx};
use fuse_contracts::evm::Evm;
use fuse_contracts::osp::Osp;
use fuse_prover::block::{ChainHost, Executor};
use fuse_vm::isa::Opcode;
use fuse_vm::testing::steps::{Outcome, prove_step};
use fuse_vm::{GlobalState, Status};

const INBOX: [u8; 20] = [0x1b; 20];

fn signed(key: &PrivateKeySigner, kind: u8, to: [u8; 20], amount: u128, nonce: u64) -> SignedTx {
    crate::common::signed(key, INBOX, kind, to, amount, nonce)
}

#[test]
fn solidity_agrees_on_sampled_steps_of_a_guest_block() {
    let ex = Executor::guest().unwrap();
    let mut host = ChainHost::new();
    let alice = PrivateKeySigner::from_bytes(&B256::repeat_byte(1)).unwrap();
    let bob: [u8; 20] = [0xb0; 20];
    let a: [u8; 20] = alice.address().into();
    let txs = vec![
        signed(&alice, KIND_TRANSFER, bob, 10, 0),
        signed(&alice, KIND_TRANSFER, bob, 20, 1),
        signed(&alice, KIND_WITHDRAW, [0xc0; 20], 30, 2),
        signed(&alice, KIND_TRANSFER, bob, 40, 2), // a replay of nonce 2: skipped
    ];
    let header = BatchHeader {
        seq: 1,
        tx_root: batch::tx_root(&mut MemoryEnv::new(), &txs),
        claimed_state_root: [0; 32],
    };
    let messages = [
        (
            KIND_CONFIG,
            Config {
                chain_id: CHAIN_ID,
                inbox: INBOX,
                force_delay: 60,
            }
            .encode(),
        ),
        (
            KIND_DEPOSIT,
            Deposit {
                l1_sender: [0xee; 20],
                to: a,
                amount: 1_000,
            }
            .encode(),
        ),
        (KIND_BATCH, batch::encode_batch(&header, &txs)),
    ];
    let mut gs = GlobalState::default();
    for (i, (kind, data)) in messages.iter().enumerate() {
        let h = Header {
            kind: *kind,
            l1_block_number: 100 + i as u64,
            l1_timestamp: 1_700_000_000 + 12 * i as u64,
        };
        host.store().push_message(&message(&h, data));
        if i + 1 < messages.len() {
            gs = ex.run_machine(&mut host, gs).unwrap().global_state;
        }
    }
    let accs = host.store().accumulators().to_vec();

    // Step the batch block, proving the sampled steps (Rust verifier inside prove_step).
    let mut m = ex.machine(gs);
    let mut seen: BTreeMap<(Opcode, Outcome), u32> = BTreeMap::new();
    let mut first_seen: BTreeMap<Opcode, u32> = BTreeMap::new();
    let mut proven = Vec::new();
    while m.status() == Status::Running {
        let op = ex.module().code[m.pc() as usize].op;
        let count = first_seen.entry(op).or_default();
        *count += 1;
        if *count <= 2 || m.steps().is_multiple_of(499) {
            let s = prove_step(&mut m, &mut host, &accs).unwrap();
            *seen.entry((op, s.outcome)).or_default() += 1;
            proven.push(s);
        } else {
            m.run(&mut host, 1).unwrap();
        }
    }
    assert_eq!(m.status(), Status::Finished, "the block finishes");
    let host_ops = [
        Opcode::ReadInbox,
        Opcode::ReadPreimage,
        Opcode::Keccak256,
        Opcode::Ecrecover,
        Opcode::GetBytes32,
        Opcode::SetBytes32,
        Opcode::GetU64,
        Opcode::SetU64,
    ];
    for op in host_ops {
        assert!(first_seen.contains_key(&op), "the block never ran {op:?}");
    }

    let mut evm = Evm::new();
    let osp = Osp::deploy(&mut evm).unwrap();
    let inbox = Osp::inbox(&mut evm, &accs).unwrap();
    let mut max_gas = 0;
    for s in &proven {
        let r = osp
            .prove_one_step(&mut evm, inbox, s.pre, &s.proof)
            .unwrap();
        assert_eq!(r.post, Ok(s.post), "Solidity disagrees on {:?}", s.op);
        max_gas = max_gas.max(r.gas_used);
    }
    println!(
        "guest block: {} steps, {} proven and checked in Rust and Solidity ({} opcodes), \
         max {} gas",
        m.steps(),
        proven.len(),
        first_seen.len(),
        max_gas
    );
}
