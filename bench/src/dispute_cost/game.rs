//! One dispute of the cost model, played through the whole deployed rollup
//! ([`Deployment::deploy`]): 2^10 messages on the real Inbox, a confirmed parent assertion,
//! the honest and the lying rival assertions, the challenge opened on the Rollup and played on
//! the ChallengeManager to the one-step proof (or the liar's timeout), then the aftermath the
//! honest side pays to collect — rejecting the rival and withdrawing its winnings. A second
//! honest staker challenges the liar at the same time, and that challenge is forfeited once the
//! liar is out, so every reachable Rollup function has a measured transaction
//! (`slashRejected` cannot trigger: docs/spec/protocol.md, "What follows from these rules").
//!
//! Hashes are synthetic except where the protocol ties them (module doc of `dispute_cost`).

use alloy_primitives::{Address, B256, U256, keccak256};
use alloy_sol_types::SolCall;
use anyhow::Context as _;
use fuse_contracts::deploy::{DEFAULT_BOND_WEI, Deployment, RollupConfig};
use fuse_contracts::evm::Evm;
use fuse_contracts::rollup::{ChallengeManager, Inbox, Outbox, Rollup};
use fuse_prover::osp_vectors::Vector;
use fuse_vm::hash::{global_state_hash, initial_machine_hash};
use fuse_vm::{GlobalState, MAX_STEPS};

use super::{BLOCKS, CLOCK, LIE_AT_BLOCK, LIE_AT_STEP, MODULE_ROOT};
use fuse_l1::rollup::{MAX_PENDING_DEPTH, move_calldata, sol_global_state};
use fuse_prover::dispute::{Move, Segment};

const PERIOD: u64 = 3_600;
const T0: u64 = 1_700_000_000;
const WITHDRAWN: u128 = 10u128.pow(15);

/// What one dispute cost, per side (0 honest, 1 liar), and the gas of every Rollup and Outbox
/// function it called, by name.
#[derive(Default)]
pub(crate) struct Tally {
    /// L1 transactions of the challenge itself: opening it, the moves, the proof or the
    /// timeout.
    pub txs: [u64; 2],
    pub gas: [u64; 2],
    /// Gas the honest side spends after the challenge to collect: rejecting the rival and
    /// withdrawing its half of the bond.
    pub honest_aftermath: u64,
    pub proof_by_honest: bool,
    pub functions: Vec<(String, u64)>,
}

/// One side's claims: honest, or departing at `LIE_AT_BLOCK` / `LIE_AT_STEP`. Level 1 starts at
/// the parent's real global state and ends at the side's real assertion.
struct Side {
    address: Address,
    liar: bool,
    parent: B256,
    end: B256,
}

impl Side {
    fn level1(&self, i: u64) -> B256 {
        if i == 0 {
            return self.parent;
        }
        if i == BLOCKS {
            return self.end;
        }
        let tag: &[u8] = if self.liar && i >= LIE_AT_BLOCK {
            b"liar-1"
        } else {
            b"true-1"
        };
        keccak256([tag, &i.to_be_bytes()].concat())
    }

    fn level2(&self, start: B256, proof: &Vector, t: u64) -> B256 {
        if t == 0 {
            return initial_machine_hash(MODULE_ROOT, start);
        }
        if self.liar && t >= LIE_AT_STEP {
            return keccak256([b"liar-2".as_slice(), &t.to_be_bytes()].concat());
        }
        // The honest machine passes through the worst proof's pre- and post-state at the
        // disputed step.
        if t == LIE_AT_STEP - 1 {
            return proof.pre_hash;
        }
        if t == LIE_AT_STEP {
            return proof.post_hash;
        }
        keccak256([b"true-2".as_slice(), &t.to_be_bytes()].concat())
    }
}

fn points(start: u64, length: u64, k: u64) -> Vec<u64> {
    (0..=k).map(|i| start + i * length / k).collect()
}

/// An [`Evm`] with the rollup deployed, recording each named transaction's gas.
struct Chain {
    evm: Evm,
    functions: Vec<(String, u64)>,
}

impl Chain {
    fn send(
        &mut self,
        name: &str,
        from: Address,
        to: Address,
        data: Vec<u8>,
        value: U256,
    ) -> anyhow::Result<(u64, alloy_primitives::Bytes)> {
        let out = self
            .evm
            .send(from, to, &data, value)
            .with_context(|| format!("{name} reverted"))?;
        if !self.functions.iter().any(|(n, _)| n == name) {
            self.functions.push((name.to_string(), out.gas_used));
        }
        Ok((out.gas_used, out.output))
    }

    fn view<C: SolCall>(&mut self, to: Address, call: C) -> anyhow::Result<C::Return> {
        let out = self.evm.call(to, &call.abi_encode())?;
        Ok(C::abi_decode_returns(&out.output)?)
    }

    /// Appends a tick to `inbox` from `from`, `seconds` after the last block.
    fn tick(&mut self, from: Address, inbox: Address, seconds: u64) -> anyhow::Result<()> {
        self.later(seconds);
        let call = Inbox::tickCall {}.abi_encode();
        self.send("Inbox.tick", from, inbox, call, U256::ZERO)?;
        Ok(())
    }

    fn later(&mut self, seconds: u64) {
        let (n, t) = self.evm.block();
        self.evm.set_block(n + 1, t + seconds);
    }
}

/// Plays one dispute at `degree` with the honest side as challenger or defender.
pub(crate) fn dispute(
    degree: u64,
    honest_challenges: bool,
    proof: &Vector,
) -> anyhow::Result<Tally> {
    let mut evm = Evm::new();
    evm.set_block(100, T0);
    let owner = evm.sender;
    let escrow = Address::repeat_byte(0xee);
    let bond = U256::from(DEFAULT_BOND_WEI);
    let d = Deployment::deploy(
        &mut evm,
        RollupConfig {
            escrow,
            degree,
            clock: CLOCK,
            ..RollupConfig::new(owner, 412_346, 3_600, MODULE_ROOT, PERIOD)
        },
    )?;
    let mut c = Chain {
        evm,
        functions: Vec::new(),
    };
    let (honest, liar, honest2) = (
        Address::repeat_byte(0xaa),
        Address::repeat_byte(0xbb),
        Address::repeat_byte(0xab),
    );
    for a in [honest, liar, honest2] {
        c.evm.fund(a, U256::from(10u128.pow(20)));
    }

    // The disputed range: a deposit and BLOCKS - 1 ticks after the Config message.
    let deposit = Inbox::depositCall { to: honest }.abi_encode();
    c.send(
        "Inbox.deposit",
        owner,
        d.inbox,
        deposit,
        U256::from(WITHDRAWN),
    )?;
    for _ in 1..BLOCKS {
        c.tick(owner, d.inbox, 12)?;
    }

    // The honest side's outbox root holds one withdrawal; its root comes from the Outbox's
    // own leaf and proof functions (any sibling path defines a tree that holds the leaf).
    let recipient = Address::repeat_byte(0xd1);
    let siblings = [B256::repeat_byte(0x51); 32];
    let leaf = c.view(
        d.outbox,
        Outbox::withdrawalLeafCall {
            index: 0,
            l2Sender: honest,
            l1Recipient: recipient,
            amount: WITHDRAWN,
            txId: B256::repeat_byte(0x1d),
        },
    )?;
    let outbox_root = c.view(
        d.outbox,
        Outbox::rootFromProofCall {
            index: 0,
            leaf,
            proof: siblings,
        },
    )?;

    let parent = GlobalState {
        state_root: B256::repeat_byte(0x01),
        outbox_root: B256::ZERO,
        inbox_position: 1,
        block_number: 1,
    };
    let truth = GlobalState {
        state_root: B256::repeat_byte(0x02),
        outbox_root,
        inbox_position: 1 + BLOCKS,
        block_number: 1 + BLOCKS,
    };
    let lie = GlobalState {
        state_root: B256::repeat_byte(0x03),
        ..truth
    };
    let create = |parent_id: u64, gs: &GlobalState| {
        Rollup::createAssertionCall {
            parentId: U256::from(parent_id),
            afterState: sol_global_state(gs),
        }
        .abi_encode()
    };
    c.later(12);
    c.send(
        "Rollup.createAssertion (new bond)",
        honest,
        d.rollup,
        create(0, &parent),
        bond,
    )?;
    c.later(PERIOD);
    let confirm = |id: u64| Rollup::confirmCall { id: U256::from(id) }.abi_encode();
    c.send("Rollup.confirm", owner, d.rollup, confirm(1), U256::ZERO)?;
    c.later(12);
    c.send(
        "Rollup.createAssertion (stake moved)",
        honest,
        d.rollup,
        create(1, &truth),
        U256::ZERO,
    )?;
    c.send(
        "Rollup.createAssertion (new bond)",
        liar,
        d.rollup,
        create(1, &lie),
        bond,
    )?;
    // The liar's worst line for the honest side: its stake moved as deep below the rival as
    // the Rollup allows, so opening the challenge and removing the liar walk every level.
    let mut tip = 3u64;
    for level in 2..=MAX_PENDING_DEPTH {
        c.tick(owner, d.inbox, 12)?;
        let next = c
            .view(
                d.rollup,
                Rollup::getAssertionCall {
                    id: U256::from(tip),
                },
            )?
            .nextInbox;
        let deeper = GlobalState {
            state_root: keccak256(level.to_be_bytes()),
            inbox_position: next,
            block_number: next,
            ..lie
        };
        let (_, out) = c.send(
            "Rollup.createAssertion (stake moved)",
            liar,
            d.rollup,
            create(tip, &deeper),
            U256::ZERO,
        )?;
        tip = Rollup::createAssertionCall::abi_decode_returns(&out)?.to();
    }
    let stake = Rollup::stakeOnCall { id: U256::from(2) }.abi_encode();
    c.send("Rollup.stakeOn", honest2, d.rollup, stake, bond)?;

    let h = Side {
        address: honest,
        liar: false,
        parent: global_state_hash(&parent),
        end: global_state_hash(&truth),
    };
    let l = Side {
        address: liar,
        liar: true,
        parent: h.parent,
        end: global_state_hash(&lie),
    };
    let mut tally = Tally::default();
    // Index 0 of `sides` moves first (the challenger); `who` maps it to the tally's side.
    let (sides, who) = if honest_challenges {
        ([&h, &l], [0, 1])
    } else {
        ([&l, &h], [1, 0])
    };
    let open = |defender: Address| Rollup::createChallengeCall { defender }.abi_encode();
    let (gas, out) = c.send(
        "Rollup.createChallenge",
        sides[0].address,
        d.rollup,
        open(sides[1].address),
        U256::ZERO,
    )?;
    let id = Rollup::createChallengeCall::abi_decode_returns(&out)?;
    tally.txs[who[0]] += 1;
    tally.gas[who[0]] += gas;
    // The second honest staker challenges the liar too; forfeited once the liar is out.
    let (_, out) = c.send(
        "Rollup.createChallenge",
        honest2,
        d.rollup,
        open(liar),
        U256::ZERO,
    )?;
    let second = Rollup::createChallengeCall::abi_decode_returns(&out)?;

    let mut seg = Segment {
        level: 1,
        start: 0,
        length: BLOCKS,
        hashes: vec![h.parent, sides[1].end],
    };
    let mut block_start = B256::ZERO;
    for turn in (0..2).cycle() {
        let side = sides[turn];
        let (level, s, len) = (seg.level, seg.start, seg.length);
        let k = seg.hashes.len() as u64 - 1;
        let at = points(s, len, k);
        let claim = |p: u64| match level {
            1 => side.level1(p),
            _ => side.level2(block_start, proof, p),
        };
        let index = (0..k as usize)
            .find(|&i| claim(at[i + 1]) != seg.hashes[i + 1])
            .context("a side always disputes something")?;
        let (from, ilen) = (at[index], at[index + 1] - at[index]);
        let old = seg.clone();
        let (name, call) = if ilen >= 2 {
            let next: Vec<B256> = points(from, ilen, ilen.min(degree))
                .into_iter()
                .map(claim)
                .collect();
            seg = Segment {
                level,
                start: from,
                length: ilen,
                hashes: next.clone(),
            };
            let index = index as u64;
            let call = move_calldata(id, &old, &Move::Bisect { index, next });
            ("ChallengeManager.bisect", call)
        } else if level == 1 {
            block_start = old.hashes[index];
            let next: Vec<B256> = points(0, MAX_STEPS, degree)
                .into_iter()
                .map(|p| side.level2(block_start, proof, p))
                .collect();
            seg = Segment {
                level: 2,
                start: 0,
                length: MAX_STEPS,
                hashes: next.clone(),
            };
            let index = index as u64;
            let call = move_calldata(id, &old, &Move::EnterLevelTwo { index, next });
            ("ChallengeManager.enterLevelTwo", call)
        } else if side.liar {
            // The liar cannot prove its false step: the honest side claims the win once the
            // liar's clock has run out.
            c.later(CLOCK + 1);
            let call = ChallengeManager::timeoutCall { id }.abi_encode();
            let (gas, _) = c.send(
                "ChallengeManager.timeout",
                honest,
                d.challenges,
                call,
                U256::ZERO,
            )?;
            tally.txs[0] += 1;
            tally.gas[0] += gas;
            break;
        } else {
            let prove = Move::Prove {
                index: index as u64,
                proof: proof.proof.to_vec(),
                post: proof.post_hash,
            };
            let (gas, _) = c.send(
                "ChallengeManager.proveOneStep (worst proof)",
                honest,
                d.challenges,
                move_calldata(id, &old, &prove),
                U256::ZERO,
            )?;
            tally.txs[0] += 1;
            tally.gas[0] += gas;
            tally.proof_by_honest = true;
            break;
        };
        let (gas, _) = c
            .send(name, side.address, d.challenges, call, U256::ZERO)
            .with_context(|| format!("a level-{level} move at degree {degree}"))?;
        tally.txs[who[turn]] += 1;
        tally.gas[who[turn]] += gas;
    }
    let winner = c
        .view(d.challenges, ChallengeManager::resultCall { id })?
        .winner;
    anyhow::ensure!(winner == honest, "the honest side lost at degree {degree}");

    // The aftermath: the liar's other challenge is forfeited; past the children's deadline
    // the unsupported rival falls, the honest assertion is confirmed and the honest side
    // collects.
    let deadline = c.view(
        d.rollup,
        Rollup::deadlineCall {
            parentId: U256::from(1),
        },
    )?;
    let (n, t) = c.evm.block();
    c.evm.set_block(n + 1, t.max(deadline.to::<u64>()));
    let forfeit = Rollup::forfeitChallengeCall {
        challengeId: second,
    }
    .abi_encode();
    c.send(
        "Rollup.forfeitChallenge",
        honest2,
        d.rollup,
        forfeit,
        U256::ZERO,
    )?;
    let reject = Rollup::rejectCall { id: U256::from(3) }.abi_encode();
    let (gas, _) = c.send("Rollup.reject", honest, d.rollup, reject, U256::ZERO)?;
    tally.honest_aftermath += gas;
    c.send("Rollup.confirm", owner, d.rollup, confirm(2), U256::ZERO)?;
    let funds = Rollup::withdrawFundsCall {}.abi_encode();
    let (gas, _) = c.send("Rollup.withdrawFunds", honest, d.rollup, funds, U256::ZERO)?;
    tally.honest_aftermath += gas;
    let stake = Rollup::withdrawStakeCall {}.abi_encode();
    c.send(
        "Rollup.withdrawStake",
        honest,
        d.rollup,
        stake.clone(),
        U256::ZERO,
    )?;
    c.send("Rollup.withdrawStake", honest2, d.rollup, stake, U256::ZERO)?;
    let withdraw = Outbox::withdrawCall {
        index: 0,
        l2Sender: honest,
        l1Recipient: recipient,
        amount: WITHDRAWN,
        txId: B256::repeat_byte(0x1d),
        outboxRoot: outbox_root,
        proof: siblings,
    }
    .abi_encode();
    c.send("Outbox.withdraw", owner, d.outbox, withdraw, U256::ZERO)?;
    anyhow::ensure!(
        c.evm.balance(recipient) == U256::from(WITHDRAWN),
        "the withdrawal paid"
    );

    // The owners' functions, last so they change nothing measured above.
    let set = Rollup::scheduleModuleRootCall {
        next: B256::repeat_byte(0x4e),
    }
    .abi_encode();
    c.send(
        "Rollup.scheduleModuleRoot",
        owner,
        d.rollup,
        set,
        U256::ZERO,
    )?;
    let set = Inbox::setSequencerCall { next: honest2 }.abi_encode();
    c.send("Inbox.setSequencer", owner, d.inbox, set, U256::ZERO)?;
    let next = Rollup::transferOwnershipCall { next: escrow }.abi_encode();
    c.send(
        "Rollup.transferOwnership",
        owner,
        d.rollup,
        next,
        U256::ZERO,
    )?;
    let next = Inbox::transferOwnershipCall { next: escrow }.abi_encode();
    c.send("Inbox.transferOwnership", owner, d.inbox, next, U256::ZERO)?;
    tally.functions = c.functions;
    Ok(tally)
}
