//! Signing L2 transactions as a wallet does: the EIP-712 digest of docs/spec/tx.md over the
//! chain's domain (chain id and Inbox address), signed with a local key, low-s and `v ∈ {27,
//! 28}`. The wallet commands, the load generator and the tests all sign here.

use alloy::signers::SignerSync;
use alloy::signers::local::PrivateKeySigner;
use alloy_primitives::B256;
use fuse_arbos::tx::{self, Domain, SignedTx};

use crate::env::NodeEnv;

/// `kind` (transfer or withdraw) of `amount` to `to` with `nonce`, signed by `key` for the
/// chain `domain`. `None` for an unknown kind.
pub fn sign(
    key: &PrivateKeySigner,
    domain: &Domain,
    kind: u8,
    to: [u8; 20],
    amount: u128,
    nonce: u64,
) -> Option<SignedTx> {
    let mut env = NodeEnv::new();
    let separator = tx::domain_separator(&mut env, domain);
    let mut t = SignedTx {
        kind,
        to,
        amount,
        nonce,
        r: [0; 32],
        s: [0; 32],
        v: 0,
    };
    let digest = tx::digest(&mut env, &separator, &t)?;
    let sig = key.sign_hash_sync(&B256::from(digest)).ok()?;
    t.r = sig.r().to_be_bytes();
    t.s = sig.s().to_be_bytes();
    t.v = 27 + sig.v() as u8;
    Some(t)
}
