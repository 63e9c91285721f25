//! A full two-level dispute on chain (revm) over real blocks of the committed guest: an honest
//! party and a liar play the ChallengeManager move by move — level 1 over the global states of
//! the disputed range, level 2 over the machine hashes of the one disputed block — and the
//! honest side wins with a real one-step proof (or by the liar's timeout when the liar is left
//! holding an unprovable step). Every hash an honest party posts comes from running the
//! stepping machine, so this checks the whole chain of ties: global-state hashes,
//! `initialMachineHash(moduleRoot, gs)` at the start of a block, `finishedMachineHash(gs)` at
//! its end (MAX_STEPS), the split points, and the OSP at the disputed step.

mod common;

use alloy::signers::local::PrivateKeySigner;
use alloy_primitives::{Address, B256, U256, keccak256};
use alloy_sol_types::{SolCall, SolValue};
use common::{CHAIN_ID, signed};
use fuse_arbos::batch::{self, BatchHeader};
use fuse_arbos::message::{
    Config, Deposit, Header, KIND_BATCH, KIND_CONFIG, KIND_DEPOSIT, message,
};
use fuse_arbos::testing::MemoryEnv;
use fuse_arbos::tx::KIND_TRANSFER;
use fuse_contracts::evm::{Evm, EvmError};
use fuse_contracts::osp::Osp;
use fuse_contracts::rollup::{ChallengeManager, ChallengeResultRecorder};
use fuse_prover::block::{ChainHost, Executor};
use fuse_vm::hash::{finished_machine_hash, global_state_hash};
use fuse_vm::{GlobalState, MAX_STEPS, Status};

const INBOX: [u8; 20] = [0x1b; 20];
const DEGREE: u64 = 4;
const CLOCK: u64 = 3_600;

/// Where a liar departs from the truth.
#[derive(Clone, Copy, Debug)]
enum Lie {
    /// Only the range's end state is wrong; every machine hash it posts inside the disputed
    /// block is real except the last (a level-1 lie).
    EndState,
    /// Its machine diverges at this step of the disputed block.
    Step(u64),
}

/// The disputed range: the real global states after 0..=N blocks from the parent's state,
/// and a host that serves the blocks' inputs.
struct Range {
    ex: Executor,
    host: ChainHost,
    states: Vec<GlobalState>,
}

impl Range {
    fn new() -> Range {
        let ex = Executor::guest().unwrap();
        let mut host = ChainHost::new();
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
        for (i, (kind, data)) in messages.iter().enumerate() {
            let header = Header {
                kind: *kind,
                l1_block_number: 10 + i as u64,
                l1_timestamp: 1_700_000_000 + i as u64,
            };
            host.store().push_message(&message(&header, data));
        }
        // The parent assertion's state is after message 0; the range is messages 1 and 2.
        let mut gs = ex
            .run_machine(&mut host, GlobalState::default())
            .unwrap()
            .global_state;
        let mut states = vec![gs];
        for _ in 1..messages.len() {
            let run = ex.run_machine(&mut host, gs).unwrap();
            assert_eq!(run.status, Status::Finished);
            gs = run.global_state;
            states.push(gs);
        }
        Range { ex, host, states }
    }

    fn blocks(&self) -> u64 {
        self.states.len() as u64 - 1
    }

    /// The machine of block `b` (from state `b`) after `t` steps (it stops changing once
    /// halted, so any `t ≤ MAX_STEPS` is cheap).
    fn machine(&mut self, b: u64, t: u64) -> fuse_vm::Machine {
        let mut m = self.ex.machine(self.states[b as usize]);
        let mut left = t;
        while left > 0 && m.status() == Status::Running {
            left -= m.run(&mut self.host, left).unwrap().max(1).min(left);
        }
        m
    }
}

/// A party: its address and, for a liar, where it lies.
struct Party {
    address: Address,
    lie: Option<Lie>,
}

impl Party {
    /// The wrong end state a liar claims for the range.
    fn fake_end(range: &Range) -> B256 {
        let mut gs = *range.states.last().unwrap();
        gs.state_root.0[0] ^= 1;
        global_state_hash(&gs)
    }

    /// Its claim for the global state after `i` blocks.
    fn level1(&self, range: &Range, i: u64) -> B256 {
        match self.lie {
            Some(_) if i == range.blocks() => Party::fake_end(range),
            _ => global_state_hash(&range.states[i as usize]),
        }
    }

    /// Its claim for the machine hash of block `b` after `t` steps.
    fn level2(&self, range: &mut Range, b: u64, t: u64) -> B256 {
        let last = b + 1 == range.blocks();
        match self.lie {
            Some(Lie::EndState) if last && t == MAX_STEPS => {
                finished_machine_hash(Party::fake_end(range))
            }
            Some(Lie::Step(s)) if last && t >= s => {
                if t == MAX_STEPS {
                    finished_machine_hash(Party::fake_end(range))
                } else {
                    keccak256([b"lie".as_slice(), &t.to_be_bytes()].concat())
                }
            }
            _ => range.machine(b, t).hash(),
        }
    }
}

/// What the ChallengeManager stores of the current segment, and the disputed block once at
/// level 2.
#[derive(Clone, Debug)]
struct Game {
    segment: ChallengeManager::Segment,
    block: u64,
}

fn points(start: u64, length: u64, k: u64) -> Vec<u64> {
    (0..=k).map(|i| start + i * length / k).collect()
}

fn send(evm: &mut Evm, from: Address, to: Address, data: Vec<u8>) -> Result<u64, EvmError> {
    evm.send(from, to, &data, U256::ZERO).map(|o| o.gas_used)
}

/// How a game ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum End {
    /// The honest party proved the disputed step.
    Proof,
    /// The liar was left with a step it could not prove and ran out its clock.
    Timeout,
}

/// Plays challenge `id` to its end; returns how, and the gas each party spent.
fn play(
    evm: &mut Evm,
    cm: Address,
    id: U256,
    range: &mut Range,
    parties: [&Party; 2],
    mut game: Game,
    module_root: B256,
) -> (End, [u64; 2]) {
    let mut gas = [0u64; 2];
    let mut turn = 0; // the challenger moves first
    loop {
        let me = parties[turn];
        let seg = game.segment.clone();
        let level = seg.level;
        let start = seg.start.to::<u64>();
        let length = seg.length.to::<u64>();
        let k = seg.hashes.len() as u64 - 1;
        let at = points(start, length, k);
        // The first sub-interval whose end this party disputes (it agrees with every earlier
        // point, by construction of the game).
        let mine = |range: &mut Range, p: u64| match level {
            1 => me.level1(range, p),
            _ => me.level2(range, game.block, p),
        };
        let index = (0..k as usize)
            .find(|&i| mine(range, at[i + 1]) != seg.hashes[i + 1])
            .expect("a party always disputes something");
        let (from, len) = (at[index], at[index + 1] - at[index]);
        let call = if len >= 2 {
            let k2 = len.min(DEGREE);
            let next: Vec<B256> = points(from, len, k2)
                .into_iter()
                .map(|p| mine(range, p))
                .collect();
            game.segment = ChallengeManager::Segment {
                level,
                start: U256::from(from),
                length: U256::from(len),
                hashes: next.clone(),
            };
            ChallengeManager::bisectCall {
                id,
                old: seg,
                index: U256::from(index),
                next,
            }
            .abi_encode()
        } else if level == 1 {
            game.block = from;
            let next: Vec<B256> = points(0, MAX_STEPS, DEGREE)
                .into_iter()
                .map(|p| me.level2(range, from, p))
                .collect();
            assert_eq!(
                next[0],
                fuse_vm::hash::initial_machine_hash(module_root, seg.hashes[index]),
                "level 2 opens at the block's initial machine"
            );
            game.segment = ChallengeManager::Segment {
                level: 2,
                start: U256::ZERO,
                length: U256::from(MAX_STEPS),
                hashes: next.clone(),
            };
            ChallengeManager::enterLevelTwoCall {
                id,
                old: seg,
                index: U256::from(index),
                next,
            }
            .abi_encode()
        } else {
            let mut m = range.machine(game.block, from);
            let proof = m.prove(&mut range.host).unwrap();
            let call = ChallengeManager::proveOneStepCall {
                id,
                old: seg,
                index: U256::from(index),
                proof: proof.into(),
            }
            .abi_encode();
            if me.lie.is_some() {
                // The liar's claim at this step is false, so the OSP confirms the honest
                // post: it cannot win here, and can only run out its clock.
                let r = send(evm, me.address, cm, call);
                assert!(matches!(r, Err(EvmError::Revert { .. })), "{r:?}");
                evm.set_block(1_000, 1_800_000_000 + 10 * CLOCK);
                let t = ChallengeManager::timeoutCall { id }.abi_encode();
                send(evm, parties[1 - turn].address, cm, t).unwrap();
                return (End::Timeout, gas);
            }
            call
        };
        gas[turn] += send(evm, me.address, cm, call).unwrap();
        if level == 2 && len == 1 {
            return (End::Proof, gas);
        }
        turn = 1 - turn;
    }
}

fn dispute(lie: Lie, liar_is_challenger: bool) -> (Address, End, [u64; 2]) {
    let mut range = Range::new();
    let mut evm = Evm::new();
    evm.set_block(1_000, 1_800_000_000);
    let honest = Party {
        address: Address::repeat_byte(0xaa),
        lie: None,
    };
    let liar = Party {
        address: Address::repeat_byte(0xbb),
        lie: Some(lie),
    };
    for p in [&honest, &liar] {
        evm.fund(p.address, U256::from(10u128.pow(21)));
    }
    let osp = Osp::deploy(&mut evm).unwrap();
    let accs = range.host.store().accumulators().to_vec();
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

    let (challenger, defender) = if liar_is_challenger {
        (&liar, &honest)
    } else {
        (&honest, &liar)
    };
    let module_root = range.ex.module().root;
    let start = global_state_hash(&range.states[0]);
    let end = defender.level1(&range, range.blocks());
    let open = ChallengeResultRecorder::createChallengeCall {
        manager: cm,
        challenger: challenger.address,
        defender: defender.address,
        startStateHash: start,
        endStateHash: end,
        numBlocks: U256::from(range.blocks()),
        moduleRoot: module_root,
    }
    .abi_encode();
    let me = evm.sender;
    send(&mut evm, me, recorder, open).unwrap();
    let game = Game {
        segment: ChallengeManager::Segment {
            level: 1,
            start: U256::ZERO,
            length: U256::from(range.blocks()),
            hashes: vec![start, end],
        },
        block: 0,
    };
    let (end, gas) = play(
        &mut evm,
        cm,
        U256::from(1),
        &mut range,
        [challenger, defender],
        game,
        module_root,
    );
    let out = evm
        .call(
            cm,
            &ChallengeManager::resultCall { id: U256::from(1) }.abi_encode(),
        )
        .unwrap();
    let r = ChallengeManager::resultCall::abi_decode_returns(&out.output).unwrap();
    assert_eq!(r.loser, liar.address);
    (r.winner, end, gas)
}

#[test]
fn the_honest_party_wins_real_two_level_disputes() {
    let honest = Address::repeat_byte(0xaa);
    let mut rows = Vec::new();
    let mut ends = Vec::new();
    for (lie, liar_challenges) in [
        (Lie::EndState, false),
        (Lie::EndState, true),
        (Lie::Step(1), false),
        (Lie::Step(20_000), false),
        (Lie::Step(20_001), true),
        (Lie::Step(1 << 31), false),
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
