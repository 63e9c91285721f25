//! Two parties playing a challenge on the ChallengeManager (revm) with fuse-prover's dispute
//! logic over real blocks of the committed guest: every move comes from
//! `fuse_prover::dispute::decide` on the party's history (the stepping machine's, or a liar's
//! departing at a chosen point), and after every move the segment the contract stores is
//! checked against `Segment::hash` — so Rust and Solidity agree on every segment played.

use alloy_primitives::{Address, U256};
use alloy_sol_types::SolCall;
use fuse_contracts::evm::{Evm, EvmError};
use fuse_contracts::rollup::ChallengeManager;
use fuse_prover::block::{ChainHost, Executor};
use fuse_prover::dispute::{Decision, Game, History, Liar, Lie, Move, Segment, Truth, decide};
use fuse_vm::GlobalState;

/// The range of `messages[1..]`, from the state after message 0 (the parent assertion's),
/// each message one block of the committed guest, executed by the stepping machine.
pub(crate) fn range(messages: &[Vec<u8>]) -> Truth {
    let ex = Executor::guest().unwrap();
    let mut host = ChainHost::new();
    for m in messages {
        host.store().push_message(m);
    }
    let start = ex
        .run_machine(&mut host, GlobalState::default())
        .unwrap()
        .global_state;
    Truth::execute(ex.module().clone(), host, start, messages.len() as u64 - 1).unwrap()
}

/// A party: its address and its claims.
pub(crate) struct Party {
    pub address: Address,
    pub history: Box<dyn History>,
}

impl Party {
    /// A party over `range` (its own traces), lying at `lie` if given.
    pub(crate) fn new(address: Address, range: &Truth, lie: Option<Lie>) -> Party {
        let truth = Truth::new(
            range.module().clone(),
            range.host().clone(),
            range.states().to_vec(),
        );
        let history: Box<dyn History> = match lie {
            Some(lie) => Box::new(Liar::new(truth, lie)),
            None => Box::new(truth),
        };
        Party { address, history }
    }
}

/// The calldata of `m` on challenge `id` whose current segment is `old`: the validator's own
/// encoder, so these tests send exactly what a validator sends.
pub(crate) fn encode(id: U256, old: &Segment, m: &Move) -> Vec<u8> {
    fuse_l1::rollup::move_calldata(id, old, m)
}

pub(crate) fn send(
    evm: &mut Evm,
    from: Address,
    to: Address,
    data: Vec<u8>,
) -> Result<u64, EvmError> {
    evm.send(from, to, &data, U256::ZERO).map(|o| o.gas_used)
}

/// How a game ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum End {
    /// The honest party proved the disputed step.
    Proof,
    /// The liar was left with a step it could not prove and ran out its clock.
    Timeout,
}

/// Plays challenge `id` (parties: challenger, defender) to its end; returns how, and the gas
/// each party spent.
pub(crate) fn play(
    evm: &mut Evm,
    cm: Address,
    id: U256,
    parties: [&mut Party; 2],
    mut game: Game,
    clock: u64,
) -> (End, [u64; 2]) {
    let mut gas = [0u64; 2];
    let mut turn = 0; // the challenger moves first
    let [challenger, defender] = parties;
    let mut parties = [challenger, defender];
    loop {
        let stored = ChallengeManager::getChallengeCall { id }.abi_encode();
        let stored = evm.call(cm, &stored).unwrap();
        let stored =
            ChallengeManager::getChallengeCall::abi_decode_returns(&stored.output).unwrap();
        assert_eq!(
            stored.segmentHash,
            game.segment.hash(),
            "Segment::hash agrees with the contract"
        );
        let me = &mut parties[turn];
        match decide(&game, me.history.as_mut()).unwrap() {
            Decision::Move(m) => {
                gas[turn] += send(evm, me.address, cm, encode(id, &game.segment, &m)).unwrap();
                match m.next_segment(&game) {
                    Some(next) => game.advance(next).unwrap(),
                    None => return (End::Proof, gas),
                }
            }
            Decision::Stuck { index } => {
                // The true machine goes where the opponent said: a proof would confirm the
                // opponent's claim, so the contract refuses it and the liar can only run out
                // its clock.
                let block = game.block.unwrap();
                let (from, _) = game.segment.interval(index);
                let (proof, _) = me.history.prove(block, from).unwrap();
                let m = Move::Prove {
                    index,
                    proof,
                    post: Default::default(),
                };
                let r = send(evm, me.address, cm, encode(id, &game.segment, &m));
                assert!(matches!(r, Err(EvmError::Revert { .. })), "{r:?}");
                let (number, time) = evm.block();
                evm.set_block(number + 1, time + clock + 1);
                let t = ChallengeManager::timeoutCall { id }.abi_encode();
                let other = parties[1 - turn].address;
                send(evm, other, cm, t).unwrap();
                return (End::Timeout, gas);
            }
        }
        turn = 1 - turn;
    }
}
