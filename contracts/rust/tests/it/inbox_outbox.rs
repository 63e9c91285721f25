//! The Inbox and the Outbox against the Rust side of every format that crosses the language line:
//! the Inbox's accumulators equal `fuse_vm::inbox` over the messages `fuse_arbos` defines (header,
//! Config, Deposit, Batch, ForcedTx, Tick); the guest runs those very messages and a `read_inbox`
//! step of it is proven against the real Inbox; and the Outbox pays withdrawals exactly as the
//! native STF appended them (leaf, proof, root), once.

use crate::common::{CHAIN_ID, T0, config_and_deposit, header, recover, signed};
use alloy::signers::local::PrivateKeySigner;
use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::{SolCall, SolInterface};
use fuse_arbos::append_tree::AppendTree;
use fuse_arbos::batch::{self, BatchHeader};
use fuse_arbos::message::{
    Config, Deposit, KIND_BATCH, KIND_CONFIG, KIND_DEPOSIT, KIND_FORCED_TX, KIND_TICK, message,
};
use fuse_arbos::stf::{self, execute_block};
use fuse_arbos::testing::MemoryEnv;
use fuse_arbos::tx::{KIND_TRANSFER, KIND_WITHDRAW};
use fuse_contracts::evm::{Evm, EvmError};
use fuse_contracts::osp::Osp;
use fuse_contracts::rollup::{Bridge, Inbox, InboxConfig, Outbox, OutboxRootsDouble};
use fuse_prover::block::{ChainHost, Executor};
use fuse_vm::isa::Opcode;
use fuse_vm::testing::steps::prove_step;
use fuse_vm::{GlobalState, Status, inbox};

const FORCE_DELAY: u64 = 3_600;

fn bridge(evm: &mut Evm) -> Bridge {
    let owner = evm.sender;
    Bridge::deploy(
        evm,
        InboxConfig {
            owner,
            sequencer: owner,
            chain_id: CHAIN_ID,
            force_delay: FORCE_DELAY,
            min_deposit: U256::from(1_000),
        },
    )
    .expect("the Inbox, the roots double and the Outbox deploy")
}

fn accumulator(evm: &mut Evm, inbox_addr: Address, i: u64) -> B256 {
    let out = evm
        .call(
            inbox_addr,
            &Inbox::accumulatorCall {
                index: U256::from(i),
            }
            .abi_encode(),
        )
        .unwrap();
    Inbox::accumulatorCall::abi_decode_returns(&out.output).unwrap()
}

#[test]
fn inbox_accumulators_equal_the_rust_chain_and_the_guest_reads_them() {
    let mut evm = Evm::new();
    evm.set_block(100, T0);
    let b = bridge(&mut evm);
    let me = evm.sender;
    let alice = PrivateKeySigner::from_bytes(&B256::repeat_byte(7)).unwrap();
    let a: [u8; 20] = alice.address().into();
    // A deposit, a batch, a forced tx and a tick, each in its own L1 block.
    let mut messages = config_and_deposit(&mut evm, b.inbox, me, a, 5_000, FORCE_DELAY);

    evm.set_block(102, T0 + 24);
    let txs = vec![signed(
        &alice,
        b.inbox.into(),
        KIND_TRANSFER,
        [0xb0; 20],
        300,
        0,
    )];
    let h = BatchHeader {
        seq: 1,
        tx_root: batch::tx_root(&mut MemoryEnv::new(), &txs),
        claimed_state_root: [0; 32],
    };
    let data = batch::encode_batch(&h, &txs);
    let call = Inbox::appendBatchCall {
        data: data.clone().into(),
        seq: 1,
    }
    .abi_encode();
    evm.send(me, b.inbox, &call, U256::ZERO).unwrap();
    messages.push(message(&header(KIND_BATCH, 102, T0 + 24), &data));

    evm.set_block(103, T0 + 36);
    let forced = signed(&alice, b.inbox.into(), KIND_WITHDRAW, [0xc0; 20], 100, 1).encode();
    let call = Inbox::forceTransactionCall {
        signedTx: forced.clone().into(),
    }
    .abi_encode();
    evm.send(me, b.inbox, &call, U256::ZERO).unwrap();
    messages.push(message(&header(KIND_FORCED_TX, 103, T0 + 36), &forced));

    evm.set_block(104, T0 + 48);
    evm.send(me, b.inbox, &Inbox::tickCall {}.abi_encode(), U256::ZERO)
        .unwrap();
    messages.push(message(&header(KIND_TICK, 104, T0 + 48), &[]));

    let count = evm
        .call(b.inbox, &Inbox::messageCountCall {}.abi_encode())
        .unwrap();
    let count = Inbox::messageCountCall::abi_decode_returns(&count.output).unwrap();
    assert_eq!(count, U256::from(messages.len()));
    let mut acc = B256::ZERO;
    for (i, m) in messages.iter().enumerate() {
        acc = inbox::append(acc, m);
        assert_eq!(accumulator(&mut evm, b.inbox, i as u64), acc, "message {i}");
    }

    // The guest executes exactly these messages: the deposit credits, the transfer runs.
    let ex = Executor::guest().unwrap();
    let mut host = ChainHost::new();
    for m in &messages {
        host.store().push_message(m);
    }
    let mut gs = GlobalState::default();
    let mut native = MemoryEnv {
        ecrecover: Some(recover),
        ..MemoryEnv::default()
    };
    let mut ngs = stf::GlobalState::default();
    for m in &messages {
        native.inbox = m.clone();
        let (next, report) = execute_block(&mut native, ngs).unwrap();
        assert!(report.receipts.iter().all(|r| r.result.is_ok()));
        ngs = next;
        let run = ex.run_machine(&mut host, gs).unwrap();
        assert_eq!(run.status, Status::Finished);
        gs = run.global_state;
        assert_eq!(gs.state_root.0, ngs.state_root);
    }

    // A read_inbox step of the deposit's block, proven against the real Inbox on L1.
    let start = GlobalState {
        inbox_position: 1,
        ..GlobalState::default()
    };
    let accs = host.store().accumulators().to_vec();
    let mut m = ex.machine(start);
    while ex.module().code[m.pc() as usize].op != Opcode::ReadInbox {
        m.run(&mut host, 1).unwrap();
    }
    let step = prove_step(&mut m, &mut host, &accs).unwrap();
    let osp = Osp::deploy(&mut evm).unwrap();
    let r = osp
        .prove_one_step(&mut evm, b.inbox, step.pre, &step.proof)
        .unwrap();
    assert_eq!(r.post, Ok(step.post), "the OSP reads the real Inbox");
}

#[test]
fn the_outbox_pays_what_the_stf_appended_once() {
    let mut evm = Evm::new();
    evm.set_block(100, T0);
    let b = bridge(&mut evm);
    let me = evm.sender;
    let alice = PrivateKeySigner::from_bytes(&B256::repeat_byte(8)).unwrap();
    let a: [u8; 20] = alice.address().into();
    let (r1, r2) = (Address::repeat_byte(0xd1), Address::repeat_byte(0xd2));

    // L2: configure, credit Alice, and run a batch with two withdrawals and a transfer.
    let mut env = MemoryEnv {
        ecrecover: Some(recover),
        ..MemoryEnv::default()
    };
    let mut gs = stf::GlobalState::default();
    let run = |env: &mut MemoryEnv, gs: &mut stf::GlobalState, kind: u8, data: &[u8]| {
        env.inbox = message(&header(kind, 100, T0), data);
        let (next, report) = execute_block(env, *gs).unwrap();
        *gs = next;
        report
    };
    let config = Config {
        chain_id: CHAIN_ID,
        inbox: b.inbox.into(),
        force_delay: FORCE_DELAY,
    };
    run(&mut env, &mut gs, KIND_CONFIG, &config.encode());
    let deposit = Deposit {
        l1_sender: me.into(),
        to: a,
        amount: 10_000,
    };
    run(&mut env, &mut gs, KIND_DEPOSIT, &deposit.encode());
    let inbox_bytes: [u8; 20] = b.inbox.into();
    let txs = vec![
        signed(&alice, inbox_bytes, KIND_WITHDRAW, r1.into(), 100, 0),
        signed(&alice, inbox_bytes, KIND_TRANSFER, [0xb0; 20], 1, 1),
        signed(&alice, inbox_bytes, KIND_WITHDRAW, r2.into(), 250, 2),
    ];
    let h = BatchHeader {
        seq: 1,
        tx_root: batch::tx_root(&mut env, &txs),
        claimed_state_root: [0; 32],
    };
    let report = run(
        &mut env,
        &mut gs,
        KIND_BATCH,
        &batch::encode_batch(&h, &txs),
    );
    assert_eq!(report.withdrawals.len(), 2);
    let root = gs.outbox_root;
    let tree = AppendTree::outbox(&mut env);

    // L1: the escrow holds the deposit; the root is confirmed (the Rollup's job, a double here).
    let call = Inbox::depositCall { to: a.into() }.abi_encode();
    evm.send(me, b.inbox, &call, U256::from(10_000)).unwrap();
    let confirm = OutboxRootsDouble::setConfirmedCall { root, ok: true }.abi_encode();
    evm.send(me, b.roots, &confirm, U256::ZERO).unwrap();

    let ids = [report.receipts[0].id, report.receipts[2].id];
    for ((&(index, leaf), (to, amount)), id) in report
        .withdrawals
        .iter()
        .zip([(r1, 100u128), (r2, 250)])
        .zip(ids)
    {
        let leaf_call = Outbox::withdrawalLeafCall {
            index,
            l2Sender: a.into(),
            l1Recipient: to,
            amount,
            txId: id.into(),
        };
        let out = evm.call(b.outbox, &leaf_call.abi_encode()).unwrap();
        let sol_leaf = Outbox::withdrawalLeafCall::abi_decode_returns(&out.output).unwrap();
        assert_eq!(sol_leaf.0, leaf, "the leaf of withdrawal {index}");
        let proof = tree.proof(&mut env, &root, index as u32).unwrap();
        let withdraw = Outbox::withdrawCall {
            index,
            l2Sender: a.into(),
            l1Recipient: to,
            amount,
            txId: id.into(),
            outboxRoot: root,
            proof: proof.map(B256::from),
        }
        .abi_encode();
        let before = evm.balance(to);
        evm.send(me, b.outbox, &withdraw, U256::ZERO).unwrap();
        assert_eq!(evm.balance(to) - before, U256::from(amount));
        // The same withdrawal again: refused, nothing paid.
        match evm.send(me, b.outbox, &withdraw, U256::ZERO) {
            Err(EvmError::Revert { output, .. }) => {
                let err = Outbox::OutboxErrors::abi_decode(&output).unwrap();
                assert!(
                    matches!(err, Outbox::OutboxErrors::AlreadySpent(_)),
                    "{err:?}"
                );
            }
            other => panic!("a second withdrawal of {index} did not revert: {other:?}"),
        }
        assert_eq!(evm.balance(to) - before, U256::from(amount));
    }
}
