//! Shared by the Rust tests that drive the rollup's formats through the contracts.
#![allow(dead_code)]

pub(crate) mod game;

use alloy::signers::SignerSync;
use alloy::signers::local::PrivateKeySigner;
use alloy_primitives::B256;
use fuse_arbos::testing::MemoryEnv;
use fuse_arbos::tx::{self, Domain, SignedTx};

/// The chain id the tests configure.
pub(crate) const CHAIN_ID: u64 = 412_346;

/// `kind` signed by `key` over its EIP-712 digest for the chain (`CHAIN_ID`, `inbox`).
pub(crate) fn signed(
    key: &PrivateKeySigner,
    inbox: [u8; 20],
    kind: u8,
    to: [u8; 20],
    amount: u128,
    nonce: u64,
) -> SignedTx {
    let mut env = MemoryEnv::new();
    let domain = tx::domain_separator(
        &mut env,
        &Domain {
            chain_id: CHAIN_ID,
            inbox,
        },
    );
    let mut t = SignedTx {
        kind,
        to,
        amount,
        nonce,
        r: [0; 32],
        s: [0; 32],
        v: 0,
    };
    let digest = tx::digest(&mut env, &domain, &t).expect("a known kind");
    let sig = key.sign_hash_sync(&B256::from(digest)).expect("signing");
    t.r = sig.r().to_be_bytes();
    t.s = sig.s().to_be_bytes();
    t.v = 27 + sig.v() as u8;
    t
}

/// Precompile 0x01 as the EVM runs it (docs/design.md#rule-10).
pub(crate) fn recover(input: &[u8; 128]) -> [u8; 32] {
    fuse_vm::host::ecrecover(input)
}
