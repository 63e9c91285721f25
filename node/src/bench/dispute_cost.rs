//! `fuse-l2 bench dispute-cost`: the L1 cost model (contracts issue, point 6). Gas of the
//! Inbox, Outbox and ChallengeManager entry points (appendBatch per KB included), and, for a
//! dispute over 2^10 blocks with `MAX_STEPS` steps in the disputed block, the L1 transactions
//! and gas of each party for bisection degrees 2, 4, 16 and 64, with the most expensive
//! one-step proof there is (the worst guest-sized proof of `bench osp`). Exact figures at the
//! project's fork, from revm; it measures and reports, it asserts nothing.
//!
//! The dispute's hashes are synthetic (a liar departs from an honest sequence at block 700 and
//! at a step past 2^31), except where the protocol ties them: level 2 opens at the real
//! `initialMachineHash`, and the disputed step is the worst proof's real pre- and post-state.
//! Which party must settle the last step depends on the parity of the moves, so each degree is
//! played twice — the honest side as challenger and as defender — and both are reported.

use alloy_primitives::{Address, B256, U256, keccak256};
use alloy_sol_types::{SolCall, SolValue};
use anyhow::Context as _;
use fuse_contracts::evm::{Evm, EvmError};
use fuse_contracts::osp::Osp;
use fuse_contracts::rollup::{
    Bridge, ChallengeManager, ChallengeResultRecorder, Inbox, InboxConfig,
};
use fuse_prover::osp_vectors::{Vector, cases, run_case};
use fuse_vm::MAX_STEPS;
use fuse_vm::hash::initial_machine_hash;
use serde_json::{Value, json};

/// Arguments of `fuse-l2 bench dispute-cost`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print one JSON object instead of tables.
    #[arg(long)]
    pub json: bool,
}

const BLOCKS: u64 = 1 << 10;
const LIE_AT_BLOCK: u64 = 700;
const LIE_AT_STEP: u64 = (1 << 31) + 12_345;
const CLOCK: u64 = 3_600;
const MODULE_ROOT: B256 = B256::repeat_byte(0x4d);

/// The most expensive one-step proof of the vector set at guest size, and its gas.
fn worst_proof(evm: &mut Evm, osp: &Osp) -> anyhow::Result<(Vector, u64)> {
    let mut worst: Option<(Vector, u64)> = None;
    for case in cases() {
        let v = run_case(&super::osp::guest_sized(&case))?;
        let inbox = Osp::inbox(evm, &v.context.inbox_accumulators)?;
        let r = osp.prove_one_step(evm, inbox, v.pre_hash, &v.proof)?;
        if r.post != Ok(v.post_hash) {
            continue;
        }
        if worst.as_ref().is_none_or(|(_, g)| r.gas_used > *g) {
            worst = Some((v, r.gas_used));
        }
    }
    worst.context("no vector proves")
}

/// One side's claims: honest, or departing at `LIE_AT_BLOCK` / `LIE_AT_STEP`.
struct Side {
    address: Address,
    liar: bool,
}

impl Side {
    fn level1(&self, i: u64) -> B256 {
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
        match t {
            _ if t == LIE_AT_STEP - 1 => proof.pre_hash,
            _ if t == LIE_AT_STEP => proof.post_hash,
            _ => keccak256([b"true-2".as_slice(), &t.to_be_bytes()].concat()),
        }
    }
}

fn points(start: u64, length: u64, k: u64) -> Vec<u64> {
    (0..=k).map(|i| start + i * length / k).collect()
}

/// What one dispute cost.
#[derive(Default)]
struct Tally {
    txs: [u64; 2],
    gas: [u64; 2],
    proof_by_honest: bool,
}

/// Plays one dispute at `degree` with the honest side as challenger or defender.
fn dispute(degree: u64, honest_challenges: bool, proof: &Vector) -> anyhow::Result<Tally> {
    let mut evm = Evm::new();
    let osp = Osp::deploy(&mut evm)?;
    let inbox = Osp::inbox(&mut evm, &proof.context.inbox_accumulators)?;
    let recorder = evm.deploy(&ChallengeResultRecorder::BYTECODE)?;
    let mut code = ChallengeManager::BYTECODE.to_vec();
    code.extend(
        (
            recorder,
            osp.entry,
            inbox,
            U256::from(degree),
            U256::from(CLOCK),
        )
            .abi_encode_params(),
    );
    let cm = evm.deploy(&code)?;
    let honest = Side {
        address: Address::repeat_byte(0xaa),
        liar: false,
    };
    let liar = Side {
        address: Address::repeat_byte(0xbb),
        liar: true,
    };
    for s in [&honest, &liar] {
        evm.fund(s.address, U256::from(10u128.pow(21)));
    }
    let sides = if honest_challenges {
        [&honest, &liar]
    } else {
        [&liar, &honest]
    };
    let (start, end) = (sides[1].level1(0), sides[1].level1(BLOCKS));
    let open = ChallengeResultRecorder::createChallengeCall {
        manager: cm,
        challenger: sides[0].address,
        defender: sides[1].address,
        startStateHash: start,
        endStateHash: end,
        numBlocks: U256::from(BLOCKS),
        moduleRoot: MODULE_ROOT,
    };
    let me = evm.sender;
    evm.send(me, recorder, &open.abi_encode(), U256::ZERO)?;
    let id = U256::from(1);
    let mut seg = ChallengeManager::Segment {
        level: 1,
        start: U256::ZERO,
        length: U256::from(BLOCKS),
        hashes: vec![start, end],
    };
    let mut block_start = B256::ZERO;
    let mut tally = Tally::default();
    for turn in (0..2).cycle() {
        let side = sides[turn];
        let (level, s, len) = (seg.level, seg.start.to::<u64>(), seg.length.to::<u64>());
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
        let call = if ilen >= 2 {
            let next: Vec<B256> = points(from, ilen, ilen.min(degree))
                .into_iter()
                .map(claim)
                .collect();
            seg = ChallengeManager::Segment {
                level,
                start: U256::from(from),
                length: U256::from(ilen),
                hashes: next.clone(),
            };
            let index = U256::from(index);
            ChallengeManager::bisectCall {
                id,
                old,
                index,
                next,
            }
            .abi_encode()
        } else if level == 1 {
            block_start = old.hashes[index];
            let next: Vec<B256> = points(0, MAX_STEPS, degree)
                .into_iter()
                .map(|p| side.level2(block_start, proof, p))
                .collect();
            seg = ChallengeManager::Segment {
                level: 2,
                start: U256::ZERO,
                length: U256::from(MAX_STEPS),
                hashes: next.clone(),
            };
            let index = U256::from(index);
            ChallengeManager::enterLevelTwoCall {
                id,
                old,
                index,
                next,
            }
            .abi_encode()
        } else if side.liar {
            // The liar cannot prove its false step; the honest side wins on its clock.
            return Ok(tally);
        } else {
            let call = ChallengeManager::proveOneStepCall {
                id,
                old,
                index: U256::from(index),
                proof: proof.proof.clone(),
            };
            let out = evm.send(side.address, cm, &call.abi_encode(), U256::ZERO)?;
            tally.txs[turn] += 1;
            tally.gas[turn] += out.gas_used;
            tally.proof_by_honest = true;
            return Ok(tally);
        };
        let out = evm
            .send(side.address, cm, &call, U256::ZERO)
            .with_context(|| format!("a level-{level} move at degree {degree}"))?;
        tally.txs[turn] += 1;
        tally.gas[turn] += out.gas_used;
    }
    unreachable!("the cycle only ends by returning")
}

/// Gas of the Inbox and Outbox entry points.
fn bridge_costs() -> anyhow::Result<Value> {
    let mut evm = Evm::new();
    let me = evm.sender;
    let b = Bridge::deploy(
        &mut evm,
        InboxConfig {
            owner: me,
            sequencer: me,
            chain_id: 412_346,
            force_delay: 3_600,
            min_deposit: U256::from(1),
        },
    )?;
    let mut rows = serde_json::Map::new();
    let mut send =
        |evm: &mut Evm, name: String, data: Vec<u8>, value: u64| -> Result<(), EvmError> {
            let out = evm.send(me, b.inbox, &data, U256::from(value))?;
            rows.insert(name, json!(out.gas_used));
            Ok(())
        };
    let deposit = Inbox::depositCall { to: me }.abi_encode();
    send(&mut evm, "Inbox.deposit".into(), deposit, 1_000)?;
    for (seq, kb) in [1u64, 16, 64, 128].into_iter().enumerate() {
        // Compressed batches look random: every byte non-zero, as the calldata floor sees it.
        let mut data: Vec<u8> = (0..kb * 1024).map(|i| 1 + (i * 131 % 251) as u8).collect();
        data[..8].copy_from_slice(&(seq as u64 + 1).to_be_bytes());
        let call = Inbox::appendBatchCall {
            data: data.into(),
            seq: seq as u64 + 1,
        };
        send(
            &mut evm,
            format!("Inbox.appendBatch {kb} KB"),
            call.abi_encode(),
            0,
        )?;
    }
    let forced = Inbox::forceTransactionCall {
        signedTx: vec![7u8; 87].into(),
    };
    send(
        &mut evm,
        "Inbox.forceTransaction (87 B)".into(),
        forced.abi_encode(),
        0,
    )?;
    send(
        &mut evm,
        "Inbox.tick".into(),
        Inbox::tickCall {}.abi_encode(),
        0,
    )?;
    Ok(Value::Object(rows))
}

/// Runs the benchmark.
pub fn run(args: Args) -> anyhow::Result<()> {
    let mut evm = Evm::new();
    let osp = Osp::deploy(&mut evm)?;
    eprintln!("bench dispute-cost: finding the most expensive one-step proof (guest-sized)…");
    let (proof, proof_gas) = worst_proof(&mut evm, &osp)?;
    let mut degrees = Vec::new();
    for degree in [2u64, 4, 16, 64] {
        eprintln!("bench dispute-cost: degree {degree}…");
        let mut row = json!({ "degree": degree });
        for (key, honest_challenges) in [("honestChallenges", true), ("honestDefends", false)] {
            let t = dispute(degree, honest_challenges, &proof)?;
            let (h, l) = if honest_challenges { (0, 1) } else { (1, 0) };
            row[key] = json!({
                "honest": { "txs": t.txs[h], "gas": t.gas[h] },
                "liar": { "txs": t.txs[l], "gas": t.gas[l] },
                "endsBy": if t.proof_by_honest { "honest one-step proof" } else { "liar's timeout" },
            });
        }
        degrees.push(row);
    }
    let out = json!({
        "machine": super::machine_info(),
        "fork": fuse_contracts::EVM_FORK,
        "blocks": BLOCKS,
        "maxSteps": MAX_STEPS,
        "worstProof": { "name": proof.name, "opcode": proof.opcode, "bytes": proof.proof.len(), "gas": proof_gas },
        "bridge": bridge_costs()?,
        "disputes": degrees,
    });
    if args.json {
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    println!(
        "L1 gas at {} (whole transactions)",
        fuse_contracts::EVM_FORK
    );
    for (name, gas) in out["bridge"].as_object().into_iter().flatten() {
        println!("{gas:>12}  {name}");
    }
    println!(
        "\nworst one-step proof: {} ({} bytes) {} gas",
        out["worstProof"]["name"].as_str().unwrap_or(""),
        out["worstProof"]["bytes"],
        out["worstProof"]["gas"]
    );
    println!(
        "\ndispute over {BLOCKS} blocks and 2^32 steps: txs / gas per party, for each role of the honest side"
    );
    println!(
        "{:>6} {:>24} {:>24} {:>24} {:>24}",
        "degree", "honest (challenges)", "liar (defends)", "honest (defends)", "liar (challenges)"
    );
    for d in out["disputes"].as_array().into_iter().flatten() {
        let cell = |v: &Value| format!("{} / {}", v["txs"], v["gas"]);
        println!(
            "{:>6} {:>24} {:>24} {:>24} {:>24}",
            d["degree"].to_string(),
            cell(&d["honestChallenges"]["honest"]),
            cell(&d["honestChallenges"]["liar"]),
            cell(&d["honestDefends"]["honest"]),
            cell(&d["honestDefends"]["liar"])
        );
    }
    Ok(())
}
