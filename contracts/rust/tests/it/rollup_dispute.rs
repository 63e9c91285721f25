//! A full two-level dispute on chain (revm), end to end through the real Rollup, ChallengeManager,
//! one-step prover, Inbox and Outbox as [`Deployment::deploy`] wires them. Real L1 messages (a
//! deposit and a batch appended to the Inbox) are real blocks of the committed guest; an honest
//! validator and a liar stake rival assertions over them; the challenge is played move by move down
//! to a one-step proof (or the liar's timeout); then the liar is slashed (the refund to the winner,
//! the rest to the escrow), its assertion rejected, the honest one confirmed, both stakes settled,
//! and a withdrawal from the disputed batch paid on L1 against the confirmed root, once.

use crate::common::game::{End, Party, play, range};
use crate::common::{CHAIN_ID, T0, config_and_deposit, header, recover, signed};
use alloy::signers::local::PrivateKeySigner;
use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::{SolCall, SolInterface};
use fuse_arbos::append_tree::AppendTree;
use fuse_arbos::batch::{self, BatchHeader};
use fuse_arbos::message::{KIND_BATCH, message};
use fuse_arbos::stf::{self, execute_block};
use fuse_arbos::testing::MemoryEnv;
use fuse_arbos::tx::{KIND_TRANSFER, KIND_WITHDRAW};
use fuse_contracts::deploy::{
    DEFAULT_BOND_WEI, DEFAULT_DEGREE, DEFAULT_REFUND_WEI, Deployment, RollupConfig,
};
use fuse_contracts::evm::{Evm, EvmError};
use fuse_contracts::rollup::rollup_contract::Hashing;
use fuse_contracts::rollup::{ChallengeManager, Inbox, Outbox, Rollup};
use fuse_prover::block::Executor;
use fuse_prover::dispute::liar::falsify;
use fuse_prover::dispute::{Game, History, Lie};
use fuse_vm::GlobalState;

const PERIOD: u64 = 3_600;
const CLOCK: u64 = 1_800;
const FORCE_DELAY: u64 = 600;
/// `AssertionStatus` values (RollupTypes.sol; the ABI carries the enum as `uint8`).
const CONFIRMED: u8 = 2;
const REJECTED: u8 = 3;

fn sol(gs: &GlobalState) -> Hashing::GlobalState {
    Hashing::GlobalState {
        stateRoot: gs.state_root,
        outboxRoot: gs.outbox_root,
        inboxPosition: gs.inbox_position,
        blockNumber: gs.block_number,
    }
}

fn view<C: SolCall>(evm: &mut Evm, to: Address, call: C) -> C::Return {
    let out = evm.call(to, &call.abi_encode()).expect("a view call");
    C::abi_decode_returns(&out.output).expect("its return data")
}

fn rollup_error(r: Result<fuse_contracts::evm::CallOutcome, EvmError>) -> Rollup::RollupErrors {
    match r {
        Err(EvmError::Revert { output, .. }) => {
            Rollup::RollupErrors::abi_decode(&output).expect("a Rollup error")
        }
        other => panic!("expected a revert, got {other:?}"),
    }
}

/// What a scenario leaves behind for the test to check.
struct Outcome {
    end: End,
    gas: [u64; 2],
}

/// Plays one whole scenario: `lie` is where the liar departs; `honest_challenges` says who
/// opens the challenge.
fn scenario(lie: Lie, honest_challenges: bool) -> Outcome {
    let mut evm = Evm::new();
    evm.set_block(100, T0);
    let owner = evm.sender;
    let honest_address = Address::repeat_byte(0xaa);
    let liar_address = Address::repeat_byte(0xbb);
    let escrow = Address::repeat_byte(0xee);
    let bond = U256::from(DEFAULT_BOND_WEI);
    let refund = U256::from(DEFAULT_REFUND_WEI);
    for p in [honest_address, liar_address] {
        evm.fund(p, U256::from(10u128.pow(20)));
    }
    let module_root = Executor::guest().unwrap().module().root;
    let d = Deployment::deploy(&mut evm, {
        let mut c = RollupConfig {
            escrow,
            clock: CLOCK,
            ..RollupConfig::new(owner, CHAIN_ID, FORCE_DELAY, module_root, PERIOD)
        };
        c.inbox.min_deposit = U256::from(1_000);
        c
    })
    .expect("the rollup deploys");

    // L1: a deposit for Alice and a batch with a transfer and a withdrawal, each in its own
    // block, as the Inbox stamps them.
    let alice = PrivateKeySigner::from_bytes(&B256::repeat_byte(0x11)).unwrap();
    let a: [u8; 20] = alice.address().into();
    let recipient = Address::repeat_byte(0xd1);
    let inbox: [u8; 20] = d.inbox.into();
    let mut messages = config_and_deposit(&mut evm, d.inbox, owner, a, 50_000, FORCE_DELAY);
    evm.set_block(102, T0 + 24);
    let txs = vec![
        signed(&alice, inbox, KIND_TRANSFER, [0xb0; 20], 300, 0),
        signed(&alice, inbox, KIND_WITHDRAW, recipient.into(), 20_000, 1),
    ];
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
    evm.send(owner, d.inbox, &call, U256::ZERO).unwrap();
    messages.push(message(&header(KIND_BATCH, 102, T0 + 24), &data));

    // L2: the machine's states over the range, checked against the Inbox's accumulators
    // (so these are the messages on L1) and against the native STF (which keeps the
    // withdrawal tree the proof comes from).
    let range = range(&messages);
    let mut honest = Party::new(honest_address, &range, None);
    let mut liar = Party::new(liar_address, &range, Some(lie));
    for (i, acc) in range.host().store().accumulators().iter().enumerate() {
        let on_l1 = view(
            &mut evm,
            d.inbox,
            Inbox::accumulatorCall {
                index: U256::from(i),
            },
        );
        assert_eq!(on_l1, *acc, "accumulator {i}");
    }
    let mut env = MemoryEnv {
        ecrecover: Some(recover),
        ..MemoryEnv::default()
    };
    let mut native = stf::GlobalState::default();
    let mut withdrawals = Vec::new();
    for (i, m) in messages.iter().enumerate() {
        env.inbox = m.clone();
        let (next, report) = execute_block(&mut env, native).unwrap();
        native = next;
        assert_eq!(native, range.states()[i], "block {i}");
        // The batch's second tx is the withdrawal.
        for &(index, leaf) in &report.withdrawals {
            withdrawals.push((index, leaf, report.receipts[1].id));
        }
    }
    assert_eq!(withdrawals.len(), 1, "the batch's one withdrawal");
    let truth = *range.states().last().unwrap();

    // Assertion 1 covers message 0 (genesis recorded a count of 1); it is confirmed after
    // the period, and its children cover messages 1 and 2.
    let create = |parent: u64, gs: &GlobalState| {
        Rollup::createAssertionCall {
            parentId: U256::from(parent),
            afterState: sol(gs),
        }
        .abi_encode()
    };
    evm.set_block(103, T0 + 36);
    evm.send(
        honest.address,
        d.rollup,
        &create(0, &range.states()[0]),
        bond,
    )
    .unwrap();
    evm.set_block(104, T0 + 36 + PERIOD);
    let confirm = |id: u64| Rollup::confirmCall { id: U256::from(id) }.abi_encode();
    evm.send(owner, d.rollup, &confirm(1), U256::ZERO).unwrap();

    // The rivals: the honest stake moves down to 2; the liar bonds 3.
    evm.set_block(105, T0 + 48 + PERIOD);
    let children_at = T0 + 48 + PERIOD;
    evm.send(honest.address, d.rollup, &create(1, &truth), U256::ZERO)
        .unwrap();
    let fake = liar.history.global_state(range.blocks()).unwrap();
    assert_eq!(
        fake,
        falsify(truth),
        "the liar's claim departs from the truth"
    );
    evm.send(liar.address, d.rollup, &create(1, &fake), bond)
        .unwrap();

    let (challenger, defender) = if honest_challenges {
        (&mut honest, &mut liar)
    } else {
        (&mut liar, &mut honest)
    };
    let open = Rollup::createChallengeCall {
        defender: defender.address,
    };
    let out = evm
        .send(challenger.address, d.rollup, &open.abi_encode(), U256::ZERO)
        .unwrap();
    let id = Rollup::createChallengeCall::abi_decode_returns(&out.output).unwrap();

    let start = range.states()[0].hash();
    let blocks = range.blocks();
    let end = defender.history.block_hash(blocks).unwrap();
    let game = Game::open(start, end, blocks, DEFAULT_DEGREE, module_root);
    let (end, gas) = play(
        &mut evm,
        d.challenges,
        id,
        [challenger, defender],
        game,
        CLOCK,
    );
    let r = view(&mut evm, d.challenges, ChallengeManager::resultCall { id });
    assert_eq!((r.winner, r.loser), (honest_address, liar_address));

    // Slashing: the liar is out, the refund credited to the winner, the rest of the bond to
    // the escrow.
    let s = view(&mut evm, d.rollup, Rollup::stakersCall(liar_address));
    assert!(!s.staked, "the liar's stake is removed");
    let credit = |evm: &mut Evm, who| view(evm, d.rollup, Rollup::creditsCall(who));
    assert_eq!(credit(&mut evm, honest_address), refund);
    assert_eq!(credit(&mut evm, escrow), bond - refund);
    assert_eq!(credit(&mut evm, liar_address), U256::ZERO);

    // Final states: the rival cannot be confirmed while the liar's assertion lives; once
    // past the deadline the unsupported liar's assertion is rejected and the honest one
    // confirmed.
    let (number, time) = evm.block();
    evm.set_block(number + 1, time.max(children_at + PERIOD));
    let e = rollup_error(evm.send(owner, d.rollup, &confirm(2), U256::ZERO));
    assert!(matches!(e, Rollup::RollupErrors::HasLiveRival(_)), "{e:?}");
    let reject = Rollup::rejectCall { id: U256::from(3) }.abi_encode();
    evm.send(owner, d.rollup, &reject, U256::ZERO).unwrap();
    evm.send(owner, d.rollup, &confirm(2), U256::ZERO).unwrap();
    let status = |evm: &mut Evm, id: u64| {
        view(
            evm,
            d.rollup,
            Rollup::getAssertionCall { id: U256::from(id) },
        )
        .status
    };
    assert_eq!(status(&mut evm, 2), CONFIRMED);
    assert_eq!(status(&mut evm, 3), REJECTED);
    assert_eq!(
        view(&mut evm, d.rollup, Rollup::latestConfirmedCall {}),
        U256::from(2)
    );

    // Stakes settle: the honest bond and its winnings come back; the liar has nothing.
    let before = evm.balance(honest_address);
    let w = Rollup::withdrawStakeCall {}.abi_encode();
    evm.send(honest_address, d.rollup, &w, U256::ZERO).unwrap();
    let f = Rollup::withdrawFundsCall {}.abi_encode();
    evm.send(honest_address, d.rollup, &f, U256::ZERO).unwrap();
    assert_eq!(evm.balance(honest_address) - before, bond + refund);
    let e = rollup_error(evm.send(liar_address, d.rollup, &w, U256::ZERO));
    assert!(matches!(e, Rollup::RollupErrors::NotStaked(_)), "{e:?}");
    evm.send(escrow, d.rollup, &f, U256::ZERO).unwrap();
    assert_eq!(evm.balance(escrow), bond - refund);

    // The batch's withdrawal pays on L1 against the confirmed root, once.
    let (index, leaf, tx_id) = withdrawals[0];
    let tree = AppendTree::outbox(&mut env);
    let proof = tree
        .proof(&mut env, &native.outbox_root, index as u32)
        .unwrap();
    let withdraw = Outbox::withdrawCall {
        index,
        l2Sender: a.into(),
        l1Recipient: recipient,
        amount: 20_000,
        txId: tx_id.into(),
        outboxRoot: truth.outbox_root,
        proof: proof.map(B256::from),
    }
    .abi_encode();
    let leaf_on_l1 = view(
        &mut evm,
        d.outbox,
        Outbox::withdrawalLeafCall {
            index,
            l2Sender: a.into(),
            l1Recipient: recipient,
            amount: 20_000,
            txId: tx_id.into(),
        },
    );
    assert_eq!(leaf_on_l1, leaf);
    evm.send(owner, d.outbox, &withdraw, U256::ZERO).unwrap();
    assert_eq!(evm.balance(recipient), U256::from(20_000));
    assert!(evm.send(owner, d.outbox, &withdraw, U256::ZERO).is_err());
    assert_eq!(evm.balance(recipient), U256::from(20_000));
    Outcome { end, gas }
}

#[test]
fn a_full_dispute_through_the_rollup_slashes_the_liar_and_confirms_the_truth() {
    let mut rows = Vec::new();
    for (lie, honest_challenges) in [
        (
            Lie::Step {
                block: 1,
                step: 5_000,
            },
            true,
        ),
        (Lie::State { block: 1 }, false),
    ] {
        let o = scenario(lie, honest_challenges);
        rows.push(format!(
            "{lie:?} (honest {}): {:?}, gas [challenger, defender] {:?}",
            if honest_challenges {
                "challenges"
            } else {
                "defends"
            },
            o.end,
            o.gas
        ));
    }
    println!("disputes through the Rollup: {}", rows.join("; "));
}

/// The protocol constants the Rust side uses are the deployed Rollup's.
#[test]
fn protocol_constants_match_the_rollup() {
    let mut evm = Evm::new();
    let owner = evm.sender;
    let d = Deployment::deploy(
        &mut evm,
        RollupConfig::new(owner, CHAIN_ID, FORCE_DELAY, B256::repeat_byte(1), PERIOD),
    )
    .unwrap();
    let depth = view(&mut evm, d.rollup, Rollup::MAX_PENDING_DEPTHCall {});
    assert_eq!(depth, U256::from(fuse_contracts::deploy::MAX_PENDING_DEPTH));
    let reserved = view(&mut evm, d.rollup, Rollup::MAX_RESERVEDCall {});
    assert_eq!(reserved, U256::from(fuse_contracts::deploy::MAX_RESERVED));
}
