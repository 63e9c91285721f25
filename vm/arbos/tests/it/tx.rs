//! Transactions against an ordinary Ethereum signer: the digest the STF computes is the
//! EIP-712 signing hash alloy computes for the same typed data, a signature made by an alloy
//! local signer recovers to its address, and the malleable or malformed shapes are refused.

use alloy::primitives::{B256, U256, keccak256};
use alloy::signers::local::PrivateKeySigner;
use fuse_arbos::env::{Buf, Env};
use fuse_arbos::testing::MemoryEnv;
use fuse_arbos::tx::{self, Domain, KIND_TRANSFER, KIND_WITHDRAW, SignedTx};

use crate::common::{CHAIN_ID, INBOX, sign};

fn env() -> MemoryEnv {
    crate::common::env()
}

fn digest(env: &mut MemoryEnv, t: &SignedTx) -> [u8; 32] {
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
            let mut i = Buf::<4>::new();
            let b = i.bytes_mut();
            b[..32].copy_from_slice(&d);
            b[63] = high.v;
            b[64..96].copy_from_slice(&high.r);
            b[96..].copy_from_slice(&high.s);
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
fn a_tx_id_is_the_hash_of_the_canonical_encoding() {
    let signer = PrivateKeySigner::from_bytes(&B256::repeat_byte(0x44)).unwrap();
    let t = sign(&signer, KIND_WITHDRAW, [3; 20], 77, 9);
    let mut e = env();
    assert_eq!(tx::tx_id(&mut e, &t), keccak256(t.encode()).0);
    let other = SignedTx {
        nonce: 10,
        ..t.clone()
    };
    assert_ne!(tx::tx_id(&mut e, &t), tx::tx_id(&mut e, &other));
    // An overlong varint (the nonce 9 as two bytes) is not the canonical encoding: refused.
    let bytes = t.encode();
    let at = 1 + 20 + 1; // kind, to, amount 77 (one varint byte); the nonce follows
    assert_eq!(bytes[at], 9);
    let mut overlong = bytes[..at].to_vec();
    overlong.extend_from_slice(&[0x89, 0x00]);
    overlong.extend_from_slice(&bytes[at + 1..]);
    assert!(SignedTx::decode(&overlong).is_err());
}

#[test]
fn encoded_len_is_the_canonical_length_at_every_varint_boundary() {
    // `decode` decides canonicity by length, so the computed length must be exact wherever a
    // varint gains a byte.
    let amounts = [
        0u128,
        1,
        127,
        128,
        16_383,
        16_384,
        u64::MAX as u128,
        u128::MAX,
    ];
    let nonces = [0u64, 127, 128, 1 << 35, u64::MAX - 1, u64::MAX];
    for &amount in &amounts {
        for &nonce in &nonces {
            let t = SignedTx {
                kind: KIND_TRANSFER,
                to: [7; 20],
                amount,
                nonce,
                r: [1; 32],
                s: [2; 32],
                v: 27,
            };
            let bytes = t.encode();
            assert_eq!(
                t.encoded_len(),
                bytes.len(),
                "amount {amount}, nonce {nonce}"
            );
            assert_eq!(SignedTx::decode(&bytes), Ok((t.clone(), &[][..])));
            // Every overlong form of the nonce (a 0x80 continuation and a 0x00 end added)
            // decodes to the same value with one byte more: refused.
            // kind (1) ‖ to (20) ‖ amount ‖ nonce ‖ r, s (64) ‖ v (1)
            let amount_len = t.encoded_len() - 86 - varint_len_of(nonce);
            let at = 21 + amount_len;
            let mut back = bytes[at..].to_vec();
            back.truncate(varint_len_of(nonce));
            assert_eq!(postcard_u64(&back), nonce, "the nonce's varint is at {at}");
            let mut overlong = bytes[..at].to_vec();
            let mut nonce_bytes = bytes[at..at + varint_len_of(nonce)].to_vec();
            *nonce_bytes.last_mut().unwrap() |= 0x80;
            nonce_bytes.push(0);
            overlong.extend_from_slice(&nonce_bytes);
            overlong.extend_from_slice(&bytes[at + varint_len_of(nonce)..]);
            assert!(
                SignedTx::decode(&overlong).is_err(),
                "overlong nonce {nonce}"
            );
        }
    }
}

fn varint_len_of(v: u64) -> usize {
    (64 - v.leading_zeros() as usize).div_ceil(7).max(1)
}

/// Decodes a LEB128 varint (postcard's integers).
fn postcard_u64(bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .enumerate()
        .fold(0, |v, (i, b)| v | (((b & 0x7f) as u64) << (7 * i)))
}

#[test]
fn a_tx_is_proven_in_its_batch_by_id() {
    // Every index of batches of 1..=9 transactions: the proof leads to the batch's tx root,
    // and not for another id, another index, or a changed sibling.
    let mut e = MemoryEnv::new();
    let keccak = |d: &[u8]| keccak256(d).0;
    for count in 1..=9u8 {
        let txs: Vec<SignedTx> = (0..count)
            .map(|i| SignedTx {
                kind: KIND_TRANSFER,
                to: [i; 20],
                amount: 1 + i as u128,
                nonce: i as u64,
                r: [1; 32],
                s: [2; 32],
                v: 27,
            })
            .collect();
        let root = fuse_arbos::batch::tx_root(&mut e, &txs);
        let ids: Vec<[u8; 32]> = txs.iter().map(|t| tx::tx_id(&mut e, t)).collect();
        for (i, id) in ids.iter().enumerate() {
            let proof = fuse_arbos::batch::tx_proof(&mut e, &ids, i).unwrap();
            assert_eq!(
                proof.len(),
                (count as usize).next_power_of_two().trailing_zeros() as usize
            );
            let root_of = |id: &[u8; 32], i: usize, p: &[[u8; 32]]| {
                fuse_arbos::batch::root_from_tx_proof(keccak, id, i, p)
            };
            assert_eq!(root_of(id, i, &proof), root, "count {count}, index {i}");
            assert_ne!(root_of(&[9; 32], i, &proof), root);
            if count > 1 {
                assert_ne!(root_of(id, i ^ 1, &proof), root);
                let mut bad = proof.clone();
                bad[0][0] ^= 1;
                assert_ne!(root_of(id, i, &bad), root);
            }
        }
        assert!(fuse_arbos::batch::tx_proof(&mut e, &ids, ids.len()).is_none());
    }
}
