//! `fuse-l2 bench dispute-cost`: the L1 cost model, what each party pays in gas. Gas of every
//! external function of the Inbox, Rollup, ChallengeManager and Outbox (appendBatch per KB
//! included), and, for a dispute over 2^10 blocks with `MAX_STEPS` steps in the disputed block
//! played through the deployed rollup, the L1 transactions and gas of each party for bisection
//! degrees 2, 4, 16 and 64, with the most expensive one-step proof there is (the worst guest-sized
//! proof of `bench osp`); and the refund and bond (docs/design.md#rule-7) checked against the worst
//! honest dispute. Exact figures at the project's fork, from revm; it measures and reports.
//!
//! The dispute's hashes are synthetic (a liar departs from an honest sequence at block 700 and
//! at a step past 2^31), except where the protocol ties them: level 1 runs from the parent
//! assertion's global state to each rival's, level 2 opens at the real `initialMachineHash`,
//! and the disputed step is the worst proof's real pre- and post-state.
//! Which party must settle the last step depends on the parity of the moves, so each degree is
//! played twice — the honest side as challenger and as defender — and both are reported.

mod game;

use alloy_primitives::{B256, U256};
use alloy_sol_types::SolCall;
use anyhow::Context as _;
use fuse_contracts::deploy::{
    DEFAULT_BOND_WEI, DEFAULT_DEGREE, DEFAULT_REFUND_WEI, MAX_GAS_PRICE_WEI, MAX_RESERVED,
    WORST_HONEST_DISPUTE_GAS,
};
use fuse_contracts::evm::{Evm, EvmError};
use fuse_contracts::osp::Osp;
use fuse_contracts::rollup::{Bridge, Inbox, InboxConfig};
use fuse_prover::osp_vectors::{Vector, cases, run_case};
use fuse_vm::MAX_STEPS;
use serde_json::{Value, json};

use super::progress::Progress;

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
const CLOCK: u64 = 1_800;
const MODULE_ROOT: B256 = B256::repeat_byte(0x4d);

/// The most expensive one-step proof of the vector set at guest size, and its gas. Every case
/// must prove in Solidity to the post-state the Rust machine proved: a case where the two
/// verifiers disagree is an error, never left out of the search.
fn worst_proof(evm: &mut Evm, osp: &Osp) -> anyhow::Result<(Vector, u64)> {
    let vectors = cases()
        .into_iter()
        .map(|c| run_case(&super::osp::guest_sized(&c)));
    worst_of(evm, osp, vectors)
}

/// [`worst_proof`] over `vectors` (each proven by the Rust machine).
fn worst_of(
    evm: &mut Evm,
    osp: &Osp,
    vectors: impl IntoIterator<Item = anyhow::Result<Vector>>,
) -> anyhow::Result<(Vector, u64)> {
    let mut worst: Option<(Vector, u64)> = None;
    for v in vectors {
        let v = v?;
        let inbox = Osp::inbox(evm, &v.context.inbox_accumulators)?;
        let r = osp.prove_one_step(evm, inbox, v.pre_hash, &v.proof)?;
        anyhow::ensure!(
            r.post == Ok(v.post_hash),
            "{}: the Solidity one-step prover gives {:?}, the Rust machine proved {}",
            v.name,
            r.post,
            v.post_hash
        );
        if worst.as_ref().is_none_or(|(_, g)| r.gas_used > *g) {
            worst = Some((v, r.gas_used));
        }
    }
    worst.context("no vector proves")
}

/// Gas of the Inbox entry points that carry data (the Rollup and Outbox come from the dispute).
fn bridge_costs() -> anyhow::Result<serde_json::Map<String, Value>> {
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
    Ok(rows)
}

/// The honest side's whole cost of one dispute: the challenge (opening it if it challenges,
/// its moves, the proof or the timeout) plus collecting afterwards.
fn honest_total(t: &game::Tally) -> u64 {
    t.gas[0] + t.honest_aftermath
}

/// The bisection degrees compared.
const DEGREES: [u64; 4] = [2, 4, 16, 64];

/// Runs the benchmark.
pub fn run(args: Args) -> anyhow::Result<()> {
    let mut evm = Evm::new();
    let osp = Osp::deploy(&mut evm)?;
    let p = Progress::new("dispute-cost", 1 + DEGREES.len() as u64);
    p.announce("finding the most expensive one-step proof (guest-sized)");
    let (proof, proof_gas) = worst_proof(&mut evm, &osp)?;
    let bridge = bridge_costs()?;
    let mut degrees = Vec::new();
    let mut functions = serde_json::Map::new();
    let mut worst_default = 0;
    for degree in DEGREES {
        p.announce(format_args!("degree {degree}"));
        let mut row = json!({ "degree": degree });
        for (key, honest_challenges) in [("honestChallenges", true), ("honestDefends", false)] {
            let t = game::dispute(degree, honest_challenges, &proof)?;
            row[key] = json!({
                "honest": { "txs": t.txs[0], "gas": t.gas[0] },
                "liar": { "txs": t.txs[1], "gas": t.gas[1] },
                "honestAftermathGas": t.honest_aftermath,
                "honestTotalGas": honest_total(&t),
                "endsBy": if t.proof_by_honest { "honest one-step proof" } else { "liar's timeout" },
            });
            if degree == DEFAULT_DEGREE {
                worst_default = worst_default.max(honest_total(&t));
                // Both roles together call every function (a proof ends one, a timeout the
                // other); the Inbox's calls that set the dispute up are in `bridge` already.
                for (name, gas) in &t.functions {
                    if !bridge.contains_key(name) && !functions.contains_key(name) {
                        functions.insert(name.clone(), json!(gas));
                    }
                }
            }
        }
        degrees.push(row);
    }
    drop(p);
    let bond = json!({
        "maxGasPriceWei": MAX_GAS_PRICE_WEI.to_string(),
        "worstHonestDisputeGas": worst_default,
        "budgetedGas": WORST_HONEST_DISPUTE_GAS,
        "requiredRefundWei": (worst_default as u128 * MAX_GAS_PRICE_WEI).to_string(),
        "defaultRefundWei": DEFAULT_REFUND_WEI.to_string(),
        "maxReserved": MAX_RESERVED,
        "defaultBondWei": DEFAULT_BOND_WEI.to_string(),
    });
    let out = json!({
        "machine": super::machine_info(),
        "fork": fuse_contracts::EVM_FORK,
        "blocks": BLOCKS,
        "maxSteps": MAX_STEPS,
        "worstProof": { "name": proof.name, "opcode": proof.opcode, "bytes": proof.proof.len(), "gas": proof_gas },
        "bridge": bridge,
        "rollup": functions,
        "disputes": degrees,
        "bond": bond,
    });
    if args.json {
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    println!(
        "L1 gas at {} (whole transactions)",
        fuse_contracts::EVM_FORK
    );
    for key in ["bridge", "rollup"] {
        for (name, gas) in out[key].as_object().into_iter().flatten() {
            println!("{gas:>12}  {name}");
        }
    }
    println!(
        "\nworst one-step proof: {} ({} bytes) {} gas",
        out["worstProof"]["name"].as_str().unwrap_or(""),
        out["worstProof"]["bytes"],
        out["worstProof"]["gas"]
    );
    println!(
        "\ndispute over {BLOCKS} blocks and 2^32 steps through the Rollup: txs / gas of the challenge per party (+ the honest side's gas to collect afterwards), for each role of the honest side"
    );
    println!(
        "{:>6} {:>30} {:>20} {:>30} {:>20}",
        "degree", "honest (challenges)", "liar (defends)", "honest (defends)", "liar (challenges)"
    );
    for d in out["disputes"].as_array().into_iter().flatten() {
        let cell = |v: &Value| format!("{} / {}", v["txs"], v["gas"]);
        let honest = |v: &Value| format!("{} (+{})", cell(&v["honest"]), v["honestAftermathGas"]);
        println!(
            "{:>6} {:>30} {:>20} {:>30} {:>20}",
            d["degree"].to_string(),
            honest(&d["honestChallenges"]),
            cell(&d["honestChallenges"]["liar"]),
            honest(&d["honestDefends"]),
            cell(&d["honestDefends"]["liar"])
        );
    }
    println!(
        "\nrefund: worst honest dispute at degree {DEFAULT_DEGREE} {worst_default} gas (budget {WORST_HONEST_DISPUTE_GAS}); \
         x {} gwei = {} wei; default refund {} wei; default bond {} wei ({} refunds, {} reservable)",
        MAX_GAS_PRICE_WEI / 1_000_000_000,
        worst_default as u128 * MAX_GAS_PRICE_WEI,
        DEFAULT_REFUND_WEI,
        DEFAULT_BOND_WEI,
        DEFAULT_BOND_WEI / DEFAULT_REFUND_WEI,
        MAX_RESERVED
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The honest side's worst dispute at `degree` over both roles, in gas.
    fn worst_honest_dispute(degree: u64, proof: &Vector) -> anyhow::Result<u64> {
        let a = game::dispute(degree, true, proof)?;
        let b = game::dispute(degree, false, proof)?;
        Ok(honest_total(&a).max(honest_total(&b)))
    }

    /// The economics on the deployed contracts (docs/spec/protocol.md, "Economics"): the
    /// honest side's worst dispute (a liar as deep as the Rollup allows, the worst one-step
    /// proof, either role, the rival's rejection and the refund's withdrawal) stays within the
    /// gas budget, which the default refund pays at the stated maximum gas price and the
    /// default bond covers with room to spare (both checked where they are defined).
    #[test]
    fn refund_covers_the_worst_honest_dispute() {
        let mut evm = Evm::new();
        let osp = Osp::deploy(&mut evm).unwrap();
        let (proof, _) = worst_proof(&mut evm, &osp).unwrap();
        let worst = worst_honest_dispute(DEFAULT_DEGREE, &proof).unwrap();
        println!("worst honest dispute at degree {DEFAULT_DEGREE}: {worst} gas");
        assert!(worst <= WORST_HONEST_DISPUTE_GAS, "{worst} gas");
        // The refund and the bond follow from the budget at compile time (fuse_contracts::deploy).
    }

    /// A vector on which the Solidity prover and the Rust machine disagree stops the search
    /// (and so the benchmark and the test above) with an error naming it.
    #[test]
    fn a_disagreement_between_the_verifiers_is_an_error() {
        let mut evm = Evm::new();
        let osp = Osp::deploy(&mut evm).unwrap();
        let honest = run_case(&cases()[0]).unwrap();
        let mut wrong = run_case(&cases()[1]).unwrap();
        wrong.post_hash.0[31] ^= 1;
        let e = worst_of(&mut evm, &osp, [Ok(honest.clone()), Ok(wrong.clone())])
            .expect_err("a disagreement must not be skipped");
        let e = format!("{e:#}");
        assert!(
            e.contains(&wrong.name) && e.contains("the Rust machine proved"),
            "{e}"
        );
        let (best, _) = worst_of(&mut evm, &osp, [Ok(honest.clone())]).unwrap();
        assert_eq!(best.name, honest.name);
    }
}
