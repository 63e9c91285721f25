//! Helpers for tests that run an L1 (feature `test-utils`): the anvil the project's npm
//! packages install, free loopback ports, a rollup configuration with long periods, funded
//! accounts on the embedded chain. Every crate's integration tests share them from here.

use std::path::PathBuf;

use alloy_primitives::{Address, B256, U256};
use fuse_contracts::deploy::RollupConfig;

use crate::EmbeddedL1;
use crate::rollup::RollupL1;

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
pub fn rollup_config(owner: Address) -> RollupConfig {
    let mut c = RollupConfig::new(owner, 412_346, 600, B256::repeat_byte(0x4d), 3_600)
        .with_bond(U256::from(10u128.pow(18)));
    c.inbox.min_deposit = U256::from(1_000);
    c
}

/// A funded account's handle on the same rollup.
pub async fn account(
    l1: &EmbeddedL1,
    rollup: &RollupL1<EmbeddedL1>,
    seed: u8,
) -> RollupL1<EmbeddedL1> {
    let who = Address::repeat_byte(seed);
    l1.fund(who, U256::from(10u128.pow(20))).await.unwrap();
    RollupL1::at(l1.as_account(who), rollup.contracts)
}

pub use fault_proxy::{FaultProxy, Faults, ProxyStats};

/// A JSON-RPC proxy on loopback that misbehaves as public endpoints do.
mod fault_proxy;
