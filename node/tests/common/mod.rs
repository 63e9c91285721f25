//! Shared by the node's integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// The anvil binary the project's npm packages install (`./scripts/test` installs them).
pub fn anvil_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../contracts/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil")
}

/// A TCP port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A rollup configuration for tests that deploy the contracts: `owner` sequences, the
/// periods are long (tests move the clock themselves), the module root is a placeholder.
pub fn rollup_config(owner: alloy_primitives::Address) -> fuse_contracts::deploy::RollupConfig {
    use alloy_primitives::{Address, B256, U256};
    use fuse_contracts::deploy::{DEFAULT_DEGREE, RollupConfig};
    use fuse_contracts::rollup::InboxConfig;
    RollupConfig {
        inbox: InboxConfig {
            owner,
            sequencer: owner,
            chain_id: 412_346,
            force_delay: 600,
            min_deposit: U256::from(1_000),
        },
        module_root: B256::repeat_byte(0x4d),
        bond: U256::from(10u128.pow(18)),
        challenge_period: 3_600,
        escrow: Address::repeat_byte(0xee),
        degree: DEFAULT_DEGREE,
        clock: 1_800,
    }
}
