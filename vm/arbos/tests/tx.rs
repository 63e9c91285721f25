//! Transactions against an ordinary Ethereum signer: the digest the STF computes is the
//! EIP-712 signing hash alloy computes for the same typed data, a signature made by an alloy
//! local signer recovers to its address, and the malleable or malformed shapes are refused.

use alloy::primitives::{Address, B256, U256, keccak256};
use alloy::signers::{SignerSync, local::PrivateKeySigner};
use alloy::sol_types::{SolStruct, eip712_domain};
use fuse_arbos::env::Env;
use fuse_arbos::testing::MemoryEnv;
use fuse_arbos::tx::{self, Domain, KIND_TRANSFER, KIND_WITHDRAW, SignedTx};

alloy::sol! {
    struct Transfer { address to; uint128 amount; uint64 nonce; }
    struct Withdraw { address l1Recipient; uint128 amount; uint64 nonce; }
}

/// A test host whose ecrecover is the secp256k1 recovery alloy does (what precompile 0x01
/// computes), over the in-memory preimage store.
struct SigningEnv(MemoryEnv);

impl Env for SigningEnv {
    fn keccak(&mut self, data: &[u8]) -> [u8; 32] {
        self.0.keccak(data)
    }
    fn preimage_chunk(&mut self, hash: &[u8; 32], offset: u32) -> ([u8; 32], u32) {
        self.0.preimage_chunk(hash, offset)
    }
    fn inbox_chunk(&mut self, offset: u32) -> ([u8; 32], u32) {
        self.0.inbox_chunk(offset)
    }
    fn ecrecover(&mut self, input: &[u8; 128]) -> [u8; 32] {
        let hash = B256::from_slice(&input[..32]);
        let v = U256::from_be_slice(&input[32..64]);
        let parity = match v.to::<u64>() {
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
}

const CHAIN_ID: u64 = 412_346;
const INBOX: [u8; 20] = [0x1b; 20];

fn env() -> SigningEnv {
    SigningEnv(MemoryEnv::default())
}

fn sign(signer: &PrivateKeySigner, kind: u8, to: [u8; 20], amount: u128, nonce: u64) -> SignedTx {
    let domain = eip712_domain! {
        name: "fuse-l2",
        version: "1",
        chain_id: CHAIN_ID,
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

fn digest(env: &mut SigningEnv, t: &SignedTx) -> [u8; 32] {
    let d = Domain {
        chain_id: CHAIN_ID,
        inbox: INBOX,
    };
    let sep = tx::domain_separator(env, &d);
    tx::digest(env, &sep, t).expect("a known kind")
}

#[test]
fn constants_are_the_hashes_of_their_strings() {
    let k = |s: &str| keccak256(s.as_bytes()).0;
    assert_eq!(
        tx::DOMAIN_TYPEHASH,
        k("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")
    );
    assert_eq!(tx::NAME_HASH, k("fuse-l2"));
    assert_eq!(tx::VERSION_HASH, k("1"));
    assert_eq!(
        tx::TRANSFER_TYPEHASH,
        k("Transfer(address to,uint128 amount,uint64 nonce)")
    );
    assert_eq!(
        tx::WITHDRAW_TYPEHASH,
        k("Withdraw(address l1Recipient,uint128 amount,uint64 nonce)")
    );
}

#[test]
fn an_alloy_signature_recovers_to_its_signer() {
    let signer = PrivateKeySigner::from_bytes(&B256::repeat_byte(0x42)).unwrap();
    for kind in [KIND_TRANSFER, KIND_WITHDRAW] {
        let t = sign(&signer, kind, [7; 20], 1_000_000_007, 3);
        let mut e = env();
        let d = digest(&mut e, &t);
        assert_eq!(
            tx::recover_sender(&mut e, &d, &t),
            Some(signer.address().0.0)
        );
        // The encoding round-trips and stays near the size docs/spec/tx.md gives.
        let bytes = t.encode();
        assert!(bytes.len() < 100, "{} bytes", bytes.len());
        let (back, rest) = SignedTx::decode(&bytes).unwrap();
        assert_eq!((back, rest.len()), (t.clone(), 0));
        // One changed byte of the transaction signs another digest: another sender.
        let mut other = t.clone();
        other.amount += 1;
        let d2 = digest(&mut e, &other);
        assert_ne!(
            tx::recover_sender(&mut e, &d2, &other),
            Some(signer.address().0.0)
        );
    }
}

#[test]
fn malleable_and_malformed_signatures_are_refused() {
    let signer = PrivateKeySigner::from_bytes(&B256::repeat_byte(0x43)).unwrap();
    let t = sign(&signer, KIND_TRANSFER, [9; 20], 5, 0);
    let mut e = env();
    let d = digest(&mut e, &t);
    // The high-s twin (s' = n − s, v flipped) is a valid EVM signature, refused here.
    let n = U256::from_str_radix(
        "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141",
        16,
    )
    .unwrap();
    let mut high = t.clone();
    high.s = (n - U256::from_be_bytes(t.s)).to_be_bytes();
    high.v = 55 - t.v;
    assert_eq!(
        e.ecrecover(&{
            let mut i = [0u8; 128];
            i[..32].copy_from_slice(&d);
            i[63] = high.v;
            i[64..96].copy_from_slice(&high.r);
            i[96..].copy_from_slice(&high.s);
            i
        })[12..],
        signer.address().0.0[..],
        "the EVM accepts high-s"
    );
    assert_eq!(tx::recover_sender(&mut e, &d, &high), None);
    for v in [0u8, 1, 29] {
        let bad = SignedTx { v, ..t.clone() };
        assert_eq!(tx::recover_sender(&mut e, &d, &bad), None, "v = {v}");
    }
    let zero_r = SignedTx {
        r: [0; 32],
        ..t.clone()
    };
    assert_eq!(tx::recover_sender(&mut e, &d, &zero_r), None);
    let unknown = SignedTx {
        kind: 2,
        ..t.clone()
    };
    let sep = tx::domain_separator(
        &mut e,
        &Domain {
            chain_id: CHAIN_ID,
            inbox: INBOX,
        },
    );
    assert_eq!(tx::digest(&mut e, &sep, &unknown), None);
    // Garbage never decodes into a transaction it is not.
    assert!(SignedTx::decode(&[0xff; 3]).is_err());
}

#[test]
fn a_tx_id_does_not_depend_on_the_signature() {
    let mut e = env();
    let sender = [5u8; 20];
    let a = tx::tx_id(&mut e, &[1; 32], &sender);
    assert_eq!(a, tx::tx_id(&mut e, &[1; 32], &sender));
    assert_ne!(a, tx::tx_id(&mut e, &[1; 32], &[6; 20]));
    assert_ne!(a, tx::tx_id(&mut e, &[2; 32], &sender));
}
