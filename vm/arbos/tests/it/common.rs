//! Test support: a wallet (alloy local signer, EIP-712 typed data) and an in-memory host
//! whose ecrecover is alloy's secp256k1 recovery (what EVM precompile 0x01 computes).
#![allow(dead_code)]

use alloy::primitives::{Address, B256, U256};
use alloy::signers::{SignerSync, local::PrivateKeySigner};
use alloy::sol_types::{SolStruct, eip712_domain};
use fuse_arbos::testing::MemoryEnv;
use fuse_arbos::tx::{KIND_TRANSFER, SignedTx};

alloy::sol! {
    struct Transfer { address to; uint128 amount; uint64 nonce; }
    struct Withdraw { address l1Recipient; uint128 amount; uint64 nonce; }
}

pub(crate) const CHAIN_ID: u64 = 412_346;
pub(crate) const INBOX: [u8; 20] = [0x1b; 20];

/// Precompile 0x01's semantics through alloy's recovery.
pub(crate) fn recover(input: &[u8; 128]) -> [u8; 32] {
    let hash = B256::from_slice(&input[..32]);
    let parity = match U256::from_be_slice(&input[32..64]).to::<u64>() {
        27 => false,
        28 => true,
        _ => return [0; 32],
    };
    let sig = alloy::primitives::Signature::new(
        U256::from_be_slice(&input[64..96]),
        U256::from_be_slice(&input[96..]),
        parity,
    );
    let mut out = [0u8; 32];
    if let Ok(a) = sig.recover_address_from_prehash(&hash) {
        out[12..].copy_from_slice(a.as_slice());
    }
    out
}

/// An in-memory host with real recovery.
pub(crate) fn env() -> MemoryEnv {
    MemoryEnv {
        ecrecover: Some(recover),
        ..MemoryEnv::default()
    }
}

/// A deterministic wallet.
pub(crate) fn wallet(seed: u8) -> PrivateKeySigner {
    PrivateKeySigner::from_bytes(&B256::repeat_byte(seed)).unwrap()
}

/// `kind`, signed by `signer` for the chain `chain_id`, as an Ethereum wallet would.
pub(crate) fn sign_on(
    signer: &PrivateKeySigner,
    chain_id: u64,
    kind: u8,
    to: [u8; 20],
    amount: u128,
    nonce: u64,
) -> SignedTx {
    let domain = eip712_domain! {
        name: "fuse-l2",
        version: "1",
        chain_id: chain_id,
        verifying_contract: Address::from(INBOX),
    };
    let hash = match kind {
        KIND_TRANSFER => Transfer {
            to: to.into(),
            amount,
            nonce,
        }
        .eip712_signing_hash(&domain),
        _ => Withdraw {
            l1Recipient: to.into(),
            amount,
            nonce,
        }
        .eip712_signing_hash(&domain),
    };
    let sig = signer.sign_hash_sync(&hash).unwrap();
    SignedTx {
        kind,
        to,
        amount,
        nonce,
        r: sig.r().to_be_bytes(),
        s: sig.s().to_be_bytes(),
        v: 27 + sig.v() as u8,
    }
}

/// As [`sign_on`] on this chain.
pub(crate) fn sign(
    signer: &PrivateKeySigner,
    kind: u8,
    to: [u8; 20],
    amount: u128,
    nonce: u64,
) -> SignedTx {
    sign_on(signer, CHAIN_ID, kind, to, amount, nonce)
}
