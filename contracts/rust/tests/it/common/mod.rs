//! Shared by the Rust tests that drive the rollup's formats through the contracts.
#![allow(dead_code)]

pub(crate) mod game;

use alloy::signers::local::PrivateKeySigner;
use fuse_arbos::tx::{Domain, SignedTx};

/// The chain id the tests configure.
pub(crate) const CHAIN_ID: u64 = 412_346;

/// `kind` signed by `key` over its EIP-712 digest for the chain (`CHAIN_ID`, `inbox`), as a
/// wallet signs (`fuse_exec::wallet`).
pub(crate) fn signed(
    key: &PrivateKeySigner,
    inbox: [u8; 20],
    kind: u8,
    to: [u8; 20],
    amount: u128,
    nonce: u64,
) -> SignedTx {
    let domain = Domain {
        chain_id: CHAIN_ID,
        inbox,
    };
    fuse_exec::wallet::sign(key, &domain, kind, to, amount, nonce).expect("a known kind")
}

/// Precompile 0x01 as the EVM runs it (docs/design.md#rule-10).
pub(crate) fn recover(input: &[u8; 128]) -> [u8; 32] {
    fuse_vm::host::ecrecover(input)
}
