//! A full two-level dispute on chain (revm) over real blocks of the committed guest: an honest
//! party and a liar play the ChallengeManager move by move — level 1 over the global states of
//! the disputed range, level 2 over the machine hashes of the one disputed block — and the
//! honest side wins with a real one-step proof (or by the liar's timeout when the liar is left
//! holding an unprovable step). Every hash an honest party posts comes from running the
//! stepping machine, so this checks the whole chain of ties: global-state hashes,
//! `initialMachineHash(moduleRoot, gs)` at the start of a block, `finishedMachineHash(gs)` at
//! its end (MAX_STEPS), the split points, and the OSP at the disputed step.

use crate::common::game::{End, Party, play, range, send};
use crate::common::{CHAIN_ID, signed};
use alloy::signers::local::PrivateKeySigner;
use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::{SolCall, SolValue};
use fuse_arbos::batch::{self, BatchHeader};
use fuse_arbos::message::{
    Config, Deposit, Header, KIND_BATCH, KIND_CONFIG, KIND_DEPOSIT, message,
};
use fuse_arbos::testing::MemoryEnv;
use fuse_arbos::tx::KIND_TRANSFER;
use fuse_contracts::evm::Evm;
use fuse_contracts::osp::Osp;
use fuse_contracts::rollup::{ChallengeManager, ChallengeResultRecorder};
use fuse_prover::dispute::{Game, History, Lie, Truth};

const INBOX: [u8; 20] = [0x1b; 20];
const DEGREE: u64 = 4;
const CLOCK: u64 = 3_600;

/// The disputed range: messages 1 and 2 (a deposit and a batch of two transfers) from the
/// state after message 0.
fn disputed_range() -> Truth {
    let alice = PrivateKeySigner::from_bytes(&B256::repeat_byte(3)).unwrap();
    let a: [u8; 20] = alice.address().into();
    let txs = vec![
        signed(&alice, INBOX, KIND_TRANSFER, [0xb0; 20], 7, 0),
        signed(&alice, INBOX, KIND_TRANSFER, [0xb1; 20], 9, 1),
    ];
    let h = BatchHeader {
        seq: 1,
        tx_root: batch::tx_root(&mut MemoryEnv::new(), &txs),
        claimed_state_root: [0; 32],
    };
    let config = Config {
        chain_id: CHAIN_ID,
        inbox: INBOX,
        force_delay: 60,
    };
    let deposit = Deposit {
        l1_sender: [0xee; 20],
        to: a,
        amount: 1_000,
    };
    let messages = [
        (KIND_CONFIG, config.encode()),
        (KIND_DEPOSIT, deposit.encode()),
        (KIND_BATCH, batch::encode_batch(&h, &txs)),
    ];
    let messages: Vec<Vec<u8>> = messages
        .iter()
        .enumerate()
        .map(|(i, (kind, data))| {
            let header = Header {
                kind: *kind,
                l1_block_number: 10 + i as u64,
                l1_timestamp: 1_700_000_000 + i as u64,
            };
            message(&header, data)
        })
        .collect();
    range(&messages)
}

fn dispute(lie: Lie, liar_is_challenger: bool) -> (Address, End, [u64; 2]) {
    let range = disputed_range();
    let mut evm = Evm::new();
    evm.set_block(1_000, 1_800_000_000);
    let mut honest = Party::new(Address::repeat_byte(0xaa), &range, None);
    let mut liar = Party::new(Address::repeat_byte(0xbb), &range, Some(lie));
    for p in [&honest, &liar] {
        evm.fund(p.address, U256::from(10u128.pow(21)));
    }
    let osp = Osp::deploy(&mut evm).unwrap();
    let accs = range.host().store().accumulators().to_vec();
    let inbox = Osp::inbox(&mut evm, &accs).unwrap();
    let recorder = evm.deploy(&ChallengeResultRecorder::BYTECODE).unwrap();
    let mut code = ChallengeManager::BYTECODE.to_vec();
    code.extend(
        (
            recorder,
            osp.entry,
            inbox,
            U256::from(DEGREE),
            U256::from(CLOCK),
        )
            .abi_encode_params(),
    );
    let cm = evm.deploy(&code).unwrap();

    let liar_address = liar.address;
    let (challenger, defender) = if liar_is_challenger {
        (&mut liar, &mut honest)
    } else {
        (&mut honest, &mut liar)
    };
    let module_root = range.module().root;
    let blocks = range.blocks();
    let start = range.states()[0].hash();
    let end = defender.history.block_hash(blocks).unwrap();
    let open = ChallengeResultRecorder::createChallengeCall {
        manager: cm,
        challenger: challenger.address,
        defender: defender.address,
        startStateHash: start,
        endStateHash: end,
        numBlocks: U256::from(blocks),
        moduleRoot: module_root,
    }
    .abi_encode();
    let me = evm.sender;
    send(&mut evm, me, recorder, open).unwrap();
    let game = Game::open(start, end, blocks, DEGREE, module_root);
    let (end, gas) = play(
        &mut evm,
        cm,
        U256::from(1),
        [challenger, defender],
        game,
        CLOCK,
    );
    let out = evm
        .call(
            cm,
            &ChallengeManager::resultCall { id: U256::from(1) }.abi_encode(),
        )
        .unwrap();
    let r = ChallengeManager::resultCall::abi_decode_returns(&out.output).unwrap();
    assert_eq!(r.loser, liar_address);
    (r.winner, end, gas)
}

#[test]
fn the_honest_party_wins_real_two_level_disputes() {
    let honest = Address::repeat_byte(0xaa);
    let mut rows = Vec::new();
    let mut ends = Vec::new();
    // The range has two blocks (a deposit, then a batch); the batch block runs ~40,000 steps.
    for (lie, liar_challenges) in [
        (Lie::State { block: 1 }, false),
        (Lie::State { block: 1 }, true),
        (Lie::State { block: 0 }, false),
        (Lie::Step { block: 1, step: 1 }, false),
        (
            Lie::Step {
                block: 1,
                step: 20_000,
            },
            false,
        ),
        (
            Lie::Step {
                block: 1,
                step: 20_001,
            },
            true,
        ),
        (
            Lie::Step {
                block: 0,
                step: 3_000,
            },
            true,
        ),
        (
            Lie::Step {
                block: 1,
                step: 1 << 31,
            },
            false,
        ),
    ] {
        let (winner, end, gas) = dispute(lie, liar_challenges);
        assert_eq!(
            winner, honest,
            "{lie:?}, liar challenges: {liar_challenges}"
        );
        let who = if liar_challenges {
            "liar challenges"
        } else {
            "honest challenges"
        };
        rows.push(format!("{lie:?}/{who}: {end:?} {gas:?}"));
        ends.push(end);
    }
    // Both endings are exercised: a real one-step proof on L1, and a liar stuck at a step.
    assert!(
        ends.contains(&End::Proof) && ends.contains(&End::Timeout),
        "{ends:?}"
    );
    println!(
        "real disputes won by the honest party (gas [challenger, defender]): {}",
        rows.join("; ")
    );
}
