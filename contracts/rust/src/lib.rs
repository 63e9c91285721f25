//! fuse-contracts — the fuse-l2 L1 contracts as Rust sees them.
//!
//! Typed bindings (alloy `sol!`) and the creation and runtime bytecode of every contract under
//! `contracts/src/`, read from the committed artifacts in `contracts/artifacts/` (written by
//! `node contracts/scripts/artifacts.js`; nothing in the workspace compiles Solidity). Also the
//! project's one EVM fork ([`EVM_FORK`], read from `contracts/foundry.toml`) and a small
//! in-process EVM ([`evm::Evm`], revm) to deploy and call the contracts in tests, benchmarks
//! and the embedded L1.
//!
//! Main items: [`MachineHashes`], [`osp::Osp`] (the one-step prover deployed in revm),
//! [`deploy::Deployment`] (the whole L1 side of a rollup, wired), [`rollup::Bridge`] (the Inbox
//! and the Outbox over a roots double),
//! [`evm::Evm`], [`evm_fork`], [`spec_id`], [`artifacts`].
#![forbid(unsafe_code)]

/// A module per artifact with its `sol!` binding, re-exported: each ABI carries the structs it
/// shares with others (`Hashing.GlobalState`, the machine types), which one `sol!` over
/// several artifacts would define twice.
macro_rules! binding {
    ($module:ident, $name:ident, $path:literal) => {
        #[allow(missing_docs)]
        pub mod $module {
            alloy_sol_types::sol!(
                #[sol(all_derives)]
                $name,
                $path
            );
        }
        pub use $module::$name;
    };
}

pub mod deploy;
pub mod evm;
mod fork;
pub mod osp;
pub mod rollup;

pub use fork::{EVM_FORK, evm_fork, spec_id};

alloy_sol_types::sol!(
    #[sol(all_derives)]
    MachineHashes,
    "../artifacts/MachineHashes.json"
);

/// One committed artifact: its contract name and bytecode.
#[derive(Clone, Debug)]
pub struct Artifact {
    /// Contract name, equal to the artifact's file stem.
    pub name: &'static str,
    /// Creation (deployment) bytecode.
    pub bytecode: alloy_primitives::Bytes,
    /// Runtime bytecode, as it sits on chain after deployment.
    pub deployed_bytecode: alloy_primitives::Bytes,
}

/// Every committed artifact, one per deployable contract in `contracts/src/`. A test checks
/// that this list and `contracts/artifacts/` name the same contracts.
pub fn artifacts() -> Vec<Artifact> {
    macro_rules! artifact {
        ($name:literal, $path:path) => {{
            use $path as c;
            Artifact {
                name: $name,
                bytecode: c::BYTECODE.clone(),
                deployed_bytecode: c::DEPLOYED_BYTECODE.clone(),
            }
        }};
    }
    vec![
        artifact!("MachineHashes", MachineHashes),
        artifact!("OneStepProver", osp::OneStepProver),
        artifact!("ProverControl", osp::ProverControl),
        artifact!("ProverMath", osp::ProverMath),
        artifact!("ProverMemory", osp::ProverMemory),
        artifact!("ProverHost", osp::ProverHost),
        artifact!("InboxDouble", osp::InboxDouble),
        artifact!("Inbox", rollup::Inbox),
        artifact!("Outbox", rollup::Outbox),
        artifact!("OutboxRootsDouble", rollup::OutboxRootsDouble),
        artifact!("ChallengeManager", rollup::ChallengeManager),
        artifact!("Rollup", rollup::Rollup),
        artifact!("ChallengeResultRecorder", rollup::ChallengeResultRecorder),
    ]
}
