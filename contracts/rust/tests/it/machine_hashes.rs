//! Deploys the compiled `MachineHashes` into revm and checks it against `fuse_vm::hash`:
//! the first thing that crosses the language line, on random inputs.

use std::collections::BTreeSet;

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::SolCall;
use fuse_contracts::deploy::{Deployment, RollupConfig};
use fuse_contracts::osp::InboxDouble;
use fuse_contracts::rollup::{ChallengeResultRecorder, OutboxRootsDouble};
use fuse_contracts::{MachineHashes, evm::Evm};
use fuse_vm::{GlobalState, hash};
use proptest::prelude::*;

fn call_b256(evm: &mut Evm, at: alloy_primitives::Address, data: Vec<u8>) -> B256 {
    let out = evm.call(at, &data).expect("call succeeds").output;
    B256::from_slice(&out[..32])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(fuse_vm::testing::cases(32)))]

    #[test]
    fn solidity_constructors_match_rust(
        state_root in any::<[u8; 32]>(),
        outbox_root in any::<[u8; 32]>(),
        inbox_position in any::<u64>(),
        block_number in any::<u64>(),
        module_root in any::<[u8; 32]>(),
    ) {
        let mut evm = Evm::new();
        let at = evm.deploy(&MachineHashes::BYTECODE).expect("deploys");
        let gs = GlobalState {
            state_root: state_root.into(),
            outbox_root: outbox_root.into(),
            inbox_position,
            block_number,
        };
        let sol_gs = fuse_contracts::Hashing::GlobalState {
            stateRoot: gs.state_root,
            outboxRoot: gs.outbox_root,
            inboxPosition: gs.inbox_position,
            blockNumber: gs.block_number,
        };
        let gs_hash = call_b256(&mut evm, at, MachineHashes::globalStateHashCall { gs: sol_gs }.abi_encode());
        prop_assert_eq!(gs_hash, gs.hash());
        let fin = call_b256(&mut evm, at, MachineHashes::finishedMachineHashCall { gsHash: gs_hash }.abi_encode());
        prop_assert_eq!(fin, hash::finished_machine_hash(gs_hash));
        let init = call_b256(
            &mut evm,
            at,
            MachineHashes::initialMachineHashCall { moduleRoot: module_root.into(), gsHash: gs_hash }.abi_encode(),
        );
        prop_assert_eq!(init, hash::initial_machine_hash(module_root.into(), gs_hash));
    }
}

/// An immutable's name and the 32-byte word its value fills in.
type Immutable = (&'static str, B256);

/// Checks `deployed` (the code the EVM holds at a contract's address) against `committed` (its
/// artifact's runtime bytecode) byte for byte, except the 32-byte words the compiler leaves
/// zero for the contract's immutables: a byte may differ only inside such a zero word of the
/// artifact whose deployed word is one of `immutables` (the values its constructor was given),
/// and every non-zero immutable must be found. Returns the words masked.
fn compare_runtime(
    name: &str,
    deployed: &[u8],
    committed: &[u8],
    immutables: &[Immutable],
) -> Result<usize, String> {
    if deployed.len() != committed.len() {
        return Err(format!(
            "{name}: {} bytes deployed, {} in the artifact",
            deployed.len(),
            committed.len()
        ));
    }
    let (mut i, mut masked, mut found) = (0, 0, BTreeSet::new());
    while i < deployed.len() {
        if deployed[i] == committed[i] {
            i += 1;
            continue;
        }
        // The placeholder word holding byte `i` starts at most 31 bytes before it.
        let word = (i.saturating_sub(31)..=i)
            .filter(|s| s + 32 <= deployed.len())
            .find_map(|s| {
                let zero = committed[s..s + 32].iter().all(|b| *b == 0);
                let value = immutables
                    .iter()
                    .find(|(_, v)| deployed[s..s + 32] == v[..]);
                zero.then_some(value).flatten().map(|(n, _)| (s, *n))
            });
        let Some((start, immutable)) = word else {
            return Err(format!(
                "{name}: byte {i} is 0x{:02x} deployed, 0x{:02x} in the artifact, and no immutable \
                 placeholder explains it",
                deployed[i], committed[i]
            ));
        };
        found.insert(immutable);
        masked += 1;
        i = start + 32;
    }
    for (n, v) in immutables {
        if *v != B256::ZERO && !found.contains(n) {
            return Err(format!(
                "{name}: immutable {n} ({v}) is nowhere in the deployed code"
            ));
        }
    }
    Ok(masked)
}

/// Every committed artifact deployed as the project deploys it (the whole rollup through
/// `Deployment`, the doubles and `MachineHashes` alone): the EVM's code at each address is the
/// artifact's runtime bytecode, with only the immutables' placeholders filled in.
#[test]
fn deployed_code_matches_the_committed_runtime_bytecode() {
    let mut evm = Evm::new();
    let mut config = RollupConfig::new(evm.sender, 412_346, 3_600, B256::repeat_byte(0x4d), 1_800);
    // Distinct, non-trivial values, so each immutable's word is recognisable.
    config.inbox.min_deposit = U256::from(1_000_003);
    let plan = Deployment::plan(evm.sender, evm.nonce(evm.sender), config);
    let d = Deployment::deploy(&mut evm, config).expect("the rollup deploys");
    assert_eq!(d, plan.deployment);
    let at = |i: usize| plan.creations[i].0;
    let (control, math, memory, host) = (at(1), at(2), at(3), at(4));
    let word = |a: Address| B256::left_padding_from(a.as_slice());
    let num = |n: u64| B256::from(U256::from(n));
    let c = config;
    let mut deployed: Vec<(&str, Address, Vec<Immutable>)> = vec![
        (
            "Inbox",
            d.inbox,
            vec![
                ("chainId", num(c.inbox.chain_id)),
                ("forceDelay", num(c.inbox.force_delay)),
                ("minDeposit", B256::from(c.inbox.min_deposit)),
            ],
        ),
        ("ProverControl", control, vec![]),
        ("ProverMath", math, vec![]),
        ("ProverMemory", memory, vec![]),
        ("ProverHost", host, vec![]),
        (
            "OneStepProver",
            d.osp,
            vec![
                ("proverControl", word(control)),
                ("proverMath", word(math)),
                ("proverMemory", word(memory)),
                ("proverHost", word(host)),
            ],
        ),
        (
            "ChallengeManager",
            d.challenges,
            vec![
                ("rollup", word(d.rollup)),
                ("osp", word(d.osp)),
                ("inbox", word(d.inbox)),
                ("degree", num(c.degree)),
                ("clock", num(c.clock)),
            ],
        ),
        (
            "Rollup",
            d.rollup,
            vec![
                ("inbox", word(d.inbox)),
                ("challenges", word(d.challenges)),
                ("bond", B256::from(c.bond)),
                ("refund", B256::from(c.refund)),
                ("challengePeriod", num(c.challenge_period)),
                ("moduleRootDelay", num(c.module_root_delay)),
                ("escrow", word(c.escrow)),
            ],
        ),
        (
            "Outbox",
            d.outbox,
            vec![("inbox", word(d.inbox)), ("roots", word(d.rollup))],
        ),
    ];
    for (name, code) in [
        ("MachineHashes", &MachineHashes::BYTECODE),
        ("InboxDouble", &InboxDouble::BYTECODE),
        ("OutboxRootsDouble", &OutboxRootsDouble::BYTECODE),
        (
            "ChallengeResultRecorder",
            &ChallengeResultRecorder::BYTECODE,
        ),
    ] {
        let at = evm.deploy(code).expect("deploys");
        deployed.push((name, at, vec![]));
    }
    let artifacts = fuse_contracts::artifacts();
    let mut names: Vec<&str> = deployed.iter().map(|(n, ..)| *n).collect();
    names.sort();
    let mut all: Vec<&str> = artifacts.iter().map(|a| a.name).collect();
    all.sort();
    assert_eq!(names, all, "every artifact is deployed and compared");
    let mut failures = Vec::new();
    for (name, at, immutables) in &deployed {
        let artifact = artifacts.iter().find(|a| a.name == *name).unwrap();
        let code = evm.code(*at);
        assert!(!code.is_empty(), "{name}: no code at {at}");
        match compare_runtime(name, &code, &artifact.deployed_bytecode, immutables) {
            Ok(masked) => println!(
                "{name}: {} bytes, the artifact's but for {masked} immutable words filled in",
                code.len()
            ),
            Err(e) => failures.push(e),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Sending value to a pure contract without a receive function must revert.
    let from = evm.sender;
    let hashes = deployed[deployed.len() - 4].1;
    assert!(evm.send(from, hashes, &[], U256::from(1)).is_err());
}

#[test]
fn artifacts_list_matches_the_artifacts_folder() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../artifacts");
    let mut on_disk: Vec<String> = std::fs::read_dir(dir)
        .expect("contracts/artifacts exists")
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            name.strip_suffix(".json").map(str::to_owned)
        })
        .collect();
    on_disk.sort();
    let mut bound: Vec<String> = fuse_contracts::artifacts()
        .iter()
        .map(|a| a.name.to_owned())
        .collect();
    bound.sort();
    assert_eq!(
        on_disk, bound,
        "every artifact needs a binding in fuse-contracts (and vice versa)"
    );
    for a in fuse_contracts::artifacts() {
        assert!(
            !a.bytecode.is_empty() && !a.deployed_bytecode.is_empty(),
            "{} has no code",
            a.name
        );
    }
}
