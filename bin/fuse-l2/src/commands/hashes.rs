//! `fuse-l2 hashes`: the machine hashes at both ends of a block, cross-checked on the EVM.

use std::process::ExitCode;

use alloy_primitives::B256;
use alloy_sol_types::SolCall;
use anyhow::{Context, bail};
use fuse_contracts::{MachineHashes, evm::Evm};
use fuse_vm::{GlobalState, hash};

/// Arguments of `fuse-l2 hashes`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Module root of the guest (32 bytes, hex).
    #[arg(long, default_value_t = B256::ZERO)]
    pub(crate) module_root: B256,
    /// L2 state root of the global state (32 bytes, hex).
    #[arg(long, default_value_t = B256::ZERO)]
    pub(crate) state_root: B256,
    /// Outbox root of the global state (32 bytes, hex).
    #[arg(long, default_value_t = B256::ZERO)]
    pub(crate) outbox_root: B256,
    /// Inbox position of the global state.
    #[arg(long, default_value_t = 0)]
    pub(crate) inbox_position: u64,
    /// L2 block number of the global state.
    #[arg(long, default_value_t = 0)]
    pub(crate) block_number: u64,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub(crate) json: bool,
}

/// Computes the hashes in Rust, deploys `MachineHashes` into an in-process EVM at the
/// project's fork, asks it for the same hashes, and fails if any differs.
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let gs = GlobalState {
        state_root: args.state_root,
        outbox_root: args.outbox_root,
        inbox_position: args.inbox_position,
        block_number: args.block_number,
    };
    let gs_hash = gs.hash();
    let initial = hash::initial_machine_hash(args.module_root, gs_hash);
    let finished = hash::finished_machine_hash(gs_hash);

    let mut evm = Evm::new();
    let at = evm
        .deploy(&MachineHashes::BYTECODE)
        .context("deploying MachineHashes")?;
    let mut ask = |data: Vec<u8>| -> anyhow::Result<(B256, u64)> {
        let out = evm.call(at, &data)?;
        if out.output.len() < 32 {
            bail!("short return data from MachineHashes");
        }
        Ok((B256::from_slice(&out.output[..32]), out.gas_used))
    };
    let sol_gs = fuse_contracts::Hashing::GlobalState {
        stateRoot: gs.state_root,
        outboxRoot: gs.outbox_root,
        inboxPosition: gs.inbox_position,
        blockNumber: gs.block_number,
    };
    let (l1_gs, gas_gs) = ask(MachineHashes::globalStateHashCall { gs: sol_gs }.abi_encode())?;
    let (l1_initial, gas_initial) = ask(MachineHashes::initialMachineHashCall {
        moduleRoot: args.module_root,
        gsHash: gs_hash,
    }
    .abi_encode())?;
    let (l1_finished, gas_finished) =
        ask(MachineHashes::finishedMachineHashCall { gsHash: gs_hash }.abi_encode())?;
    let agree = l1_gs == gs_hash && l1_initial == initial && l1_finished == finished;

    if args.json {
        println!(
            "{}",
            serde_json::json!({
                "evmFork": fuse_contracts::EVM_FORK,
                "globalStateHash": gs_hash,
                "initialMachineHash": initial,
                "finishedMachineHash": finished,
                "l1": { "globalStateHash": l1_gs, "initialMachineHash": l1_initial, "finishedMachineHash": l1_finished },
                "gas": { "globalStateHash": gas_gs, "initialMachineHash": gas_initial, "finishedMachineHash": gas_finished },
                "agree": agree,
            })
        );
    } else {
        println!("global state: {gs:?}");
        println!("EVM fork:     {}", fuse_contracts::EVM_FORK);
        for (what, rust, l1, gas) in [
            ("global-state hash", gs_hash, l1_gs, gas_gs),
            ("initial machine hash", initial, l1_initial, gas_initial),
            ("finished machine hash", finished, l1_finished, gas_finished),
        ] {
            println!("{what:<22} Rust {rust}");
            println!("{:<22} L1   {l1}  ({gas} gas as a transaction)", "");
        }
        println!(
            "{}",
            if agree {
                "Rust and the L1 contract agree."
            } else {
                "MISMATCH between Rust and the L1 contract."
            }
        );
    }
    Ok(if agree {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
