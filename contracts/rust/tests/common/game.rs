//! A two-level dispute as scripted parties play it on the ChallengeManager over real blocks
//! of the committed guest: every hash an honest party posts comes from running the stepping
//! machine, and a liar departs from the truth at a chosen point ([`Lie`]).

use alloy_primitives::{Address, B256, U256, keccak256};
use alloy_sol_types::SolCall;
use fuse_contracts::evm::{Evm, EvmError};
use fuse_contracts::rollup::ChallengeManager;
use fuse_prover::block::{ChainHost, Executor};
use fuse_vm::hash::{finished_machine_hash, global_state_hash};
use fuse_vm::{GlobalState, MAX_STEPS, Status};

/// Where a liar departs from the truth.
#[derive(Clone, Copy, Debug)]
pub enum Lie {
    /// Only the range's end state is wrong; every machine hash it posts inside the disputed
    /// block is real except the last (a level-1 lie).
    EndState,
    /// Its machine diverges at this step of the disputed block.
    Step(u64),
}

/// The disputed range: the real global states after 0..=N blocks from the parent's state,
/// and a host that serves the blocks' inputs.
pub struct Range {
    pub ex: Executor,
    pub host: ChainHost,
    pub states: Vec<GlobalState>,
}

impl Range {
    /// The range of `messages[1..]`, from the state after message 0 (the parent
    /// assertion's), each message one block of the committed guest.
    pub fn from_messages(messages: &[Vec<u8>]) -> Range {
        let ex = Executor::guest().unwrap();
        let mut host = ChainHost::new();
        for m in messages {
            host.store().push_message(m);
        }
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

    pub fn blocks(&self) -> u64 {
        self.states.len() as u64 - 1
    }

    /// The machine of block `b` (from state `b`) after `t` steps (it stops changing once
    /// halted, so any `t ≤ MAX_STEPS` is cheap).
    pub fn machine(&mut self, b: u64, t: u64) -> fuse_vm::Machine {
        let mut m = self.ex.machine(self.states[b as usize]);
        let mut left = t;
        while left > 0 && m.status() == Status::Running {
            left -= m.run(&mut self.host, left).unwrap().max(1).min(left);
        }
        m
    }
}

/// A party: its address and, for a liar, where it lies.
pub struct Party {
    pub address: Address,
    pub lie: Option<Lie>,
}

impl Party {
    /// The wrong end state a liar claims for the range.
    pub fn fake_end(range: &Range) -> B256 {
        let mut gs = *range.states.last().unwrap();
        gs.state_root.0[0] ^= 1;
        global_state_hash(&gs)
    }

    /// Its claim for the global state after `i` blocks.
    pub fn level1(&self, range: &Range, i: u64) -> B256 {
        match self.lie {
            Some(_) if i == range.blocks() => Party::fake_end(range),
            _ => global_state_hash(&range.states[i as usize]),
        }
    }

    /// Its claim for the machine hash of block `b` after `t` steps.
    pub fn level2(&self, range: &mut Range, b: u64, t: u64) -> B256 {
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
pub struct Game {
    pub segment: ChallengeManager::Segment,
    pub block: u64,
    /// The manager's bisection degree and each party's clock, in seconds.
    pub degree: u64,
    pub clock: u64,
}

impl Game {
    /// The opening segment of a challenge over `range` whose defender claims `end`.
    pub fn open(range: &Range, end: B256, degree: u64, clock: u64) -> Game {
        Game {
            segment: ChallengeManager::Segment {
                level: 1,
                start: U256::ZERO,
                length: U256::from(range.blocks()),
                hashes: vec![global_state_hash(&range.states[0]), end],
            },
            block: 0,
            degree,
            clock,
        }
    }
}

pub fn points(start: u64, length: u64, k: u64) -> Vec<u64> {
    (0..=k).map(|i| start + i * length / k).collect()
}

pub fn send(evm: &mut Evm, from: Address, to: Address, data: Vec<u8>) -> Result<u64, EvmError> {
    evm.send(from, to, &data, U256::ZERO).map(|o| o.gas_used)
}

/// How a game ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// The honest party proved the disputed step.
    Proof,
    /// The liar was left with a step it could not prove and ran out its clock.
    Timeout,
}

/// Plays challenge `id` to its end; returns how, and the gas each party spent.
pub fn play(
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
            let k2 = len.min(game.degree);
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
            let next: Vec<B256> = points(0, MAX_STEPS, game.degree)
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
                let (number, time) = evm.block();
                evm.set_block(number + 1, time + game.clock + 1);
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
