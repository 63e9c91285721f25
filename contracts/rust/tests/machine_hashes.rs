//! Deploys the compiled `MachineHashes` into revm and checks it against `fuse_vm::hash`:
//! the first thing that crosses the language line, on random inputs.

use alloy_primitives::{B256, U256};
use alloy_sol_types::SolCall;
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

#[test]
fn deployed_code_matches_the_committed_runtime_bytecode() {
    let mut evm = Evm::new();
    let at = evm.deploy(&MachineHashes::BYTECODE).expect("deploys");
    let probe = MachineHashes::finishedMachineHashCall { gsHash: B256::ZERO }.abi_encode();
    let out = evm.call(at, &probe).expect("call succeeds");
    assert!(
        out.gas_used > 21_000,
        "a transaction costs at least its intrinsic gas"
    );
    // Sending value to a pure contract without a receive function must revert.
    let from = evm.sender;
    assert!(evm.send(from, at, &[], U256::from(1)).is_err());
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
