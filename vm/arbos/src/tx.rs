//! Transactions (docs/spec/tx.md): the signed encoding, the EIP-712 digest an Ethereum wallet
//! signs, the sender behind a signature, and the transaction id.
//!
//! Every hash goes through [`Env::keccak`] (the guest's keccak precompile) and the sender
//! through [`Env::ecrecover`] (the EVM's precompile 0x01), so the guest computes them in a
//! handful of steps and the one-step prover checks them with the EVM's own code.

use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use crate::env::{Buf, Env, Word};

/// `kind` of a transfer.
pub const KIND_TRANSFER: u8 = 0;
/// `kind` of a withdrawal.
pub const KIND_WITHDRAW: u8 = 1;

/// `keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")`.
pub const DOMAIN_TYPEHASH: [u8; 32] =
    hex32("8b73c3c69bb8fe3d512ecc4cf759cc79239f7b179b0ffacaa9a75d522b39400f");
/// `keccak256("fuse-l2")`.
pub const NAME_HASH: [u8; 32] =
    hex32("33fc9a09a7aad74e265d80af80e3d27c79a6ad75ec72458feb54206621208bb4");
/// `keccak256("1")`.
pub const VERSION_HASH: [u8; 32] =
    hex32("c89efdaa54c0f20c7adf612882df0950f5a951637e0307cdcb4c672f298b8bc6");
/// `keccak256("Transfer(address to,uint128 amount,uint64 nonce)")`.
pub const TRANSFER_TYPEHASH: [u8; 32] =
    hex32("f190908d5ed4d2084f4c8d59d51b3a3d399c0f9849019e11e0960780725a77dc");
/// `keccak256("Withdraw(address l1Recipient,uint128 amount,uint64 nonce)")`.
pub const WITHDRAW_TYPEHASH: [u8; 32] =
    hex32("01999544310366b89af97bc75d7a01b016dae8187605a90b0606893e4e6968e1");

/// secp256k1's group order halved: a signature with a larger `s` is the high-s twin of a
/// valid one and is rejected, so one signer has one signature shape (docs/design.md#rule-10).
const HALF_N: [u8; 32] = hex32("7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0");

/// 32 bytes from 64 hex digits, at compile time.
const fn hex32(s: &str) -> [u8; 32] {
    const fn nibble(c: u8) -> u8 {
        match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            _ => panic!("not a lowercase hex digit"),
        }
    }
    let b = s.as_bytes();
    assert!(b.len() == 64);
    let mut out = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        out[i] = nibble(b[2 * i]) << 4 | nibble(b[2 * i + 1]);
        i += 1;
    }
    out
}

/// A signed transaction as batches and forced transactions carry it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedTx {
    /// [`KIND_TRANSFER`] or [`KIND_WITHDRAW`].
    pub kind: u8,
    /// The L2 recipient of a transfer, the L1 recipient of a withdrawal.
    pub to: [u8; 20],
    /// Wei.
    pub amount: u128,
    /// The sender's nonce it spends.
    pub nonce: u64,
    /// Signature `r`.
    pub r: [u8; 32],
    /// Signature `s`.
    pub s: [u8; 32],
    /// Signature `v` (27 or 28).
    pub v: u8,
}

/// Bytes of the shortest LEB128 varint of `v` (postcard's integer encoding): 7 bits a byte.
fn varint_len(v: u128) -> usize {
    (128 - v.leading_zeros() as usize).div_ceil(7).max(1)
}

/// Why bytes are not one signed transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecodeError;

impl SignedTx {
    /// Its encoding (postcard).
    pub fn encode(&self) -> Vec<u8> {
        postcard::to_allocvec(self).expect("a struct of integers and arrays always encodes")
    }

    /// Decodes one transaction from the front of `bytes`; returns it and the rest. Only the
    /// canonical encoding decodes (an overlong varint would give one transaction two ids).
    pub fn decode(bytes: &[u8]) -> Result<(SignedTx, &[u8]), DecodeError> {
        let (tx, rest): (SignedTx, &[u8]) =
            postcard::take_from_bytes(bytes).map_err(|_| DecodeError)?;
        // The only freedom postcard leaves in this struct is the length of the two varints
        // (arrays and u8s are raw bytes), and a varint of its minimal length is unique. So
        // the bytes are canonical exactly when they are as long as the canonical encoding:
        // a length comparison instead of re-encoding (which cost the guest ~3k steps a tx).
        if bytes.len() - rest.len() != tx.encoded_len() {
            return Err(DecodeError);
        }
        Ok((tx, rest))
    }

    /// Bytes of its canonical encoding: kind, to, varint amount, varint nonce, r, s, v.
    pub fn encoded_len(&self) -> usize {
        1 + 20 + varint_len(self.amount) + varint_len(self.nonce as u128) + 32 + 32 + 1
    }
}

/// The EIP-712 domain: the chain id and the Inbox (verifying contract) from `Config`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Domain {
    /// Chain id.
    pub chain_id: u64,
    /// The Inbox's address.
    pub inbox: [u8; 20],
}

/// A word holding `v` right-aligned (an ABI-encoded uint).
fn word(v: u128) -> [u8; 32] {
    let mut w = [0u8; 32];
    w[16..].copy_from_slice(&v.to_be_bytes());
    w
}

/// A word holding an address right-aligned.
fn address_word(a: &[u8; 20]) -> [u8; 32] {
    let mut w = [0u8; 32];
    w[12..].copy_from_slice(a);
    w
}

/// `hashStruct(EIP712Domain)`.
pub fn domain_separator<E: Env + ?Sized>(env: &mut E, d: &Domain) -> [u8; 32] {
    let buf = Buf([
        Word(DOMAIN_TYPEHASH),
        Word(NAME_HASH),
        Word(VERSION_HASH),
        Word(word(d.chain_id as u128)),
        Word(address_word(&d.inbox)),
    ]);
    env.keccak(buf.bytes())
}

/// `hashStruct` of the transaction's typed data; `None` for an unknown kind.
pub fn struct_hash<E: Env + ?Sized>(env: &mut E, tx: &SignedTx) -> Option<[u8; 32]> {
    let typehash = match tx.kind {
        KIND_TRANSFER => TRANSFER_TYPEHASH,
        KIND_WITHDRAW => WITHDRAW_TYPEHASH,
        _ => return None,
    };
    let buf = Buf([
        Word(typehash),
        Word(address_word(&tx.to)),
        Word(word(tx.amount)),
        Word(word(tx.nonce as u128)),
    ]);
    Some(env.keccak(buf.bytes()))
}

/// The digest the sender signed: `keccak256(0x19 ‖ 0x01 ‖ domainSeparator ‖ hashStruct)`.
pub fn digest<E: Env + ?Sized>(
    env: &mut E,
    domain_separator: &[u8; 32],
    tx: &SignedTx,
) -> Option<[u8; 32]> {
    let s = struct_hash(env, tx)?;
    let mut words = Buf::<3>::new();
    let buf = words.bytes_mut();
    buf[0] = 0x19;
    buf[1] = 0x01;
    buf[2..34].copy_from_slice(domain_separator);
    buf[34..66].copy_from_slice(&s);
    Some(env.keccak(&words.bytes()[..66]))
}

/// The signer of `digest`, or `None` if `v ∉ {27, 28}`, `s` is high, or recovery fails.
pub fn recover_sender<E: Env + ?Sized>(
    env: &mut E,
    digest: &[u8; 32],
    tx: &SignedTx,
) -> Option<[u8; 20]> {
    if tx.v != 27 && tx.v != 28 || tx.s > HALF_N {
        return None;
    }
    let mut v = Word::default();
    v.0[31] = tx.v;
    let input = Buf([Word(*digest), v, Word(tx.r), Word(tx.s)]);
    let out = env.ecrecover(&input);
    let mut sender = [0u8; 20];
    sender.copy_from_slice(&out[12..]);
    (sender != [0u8; 20]).then_some(sender)
}

/// `keccak256(encoding)` of an encoding already at hand (a batch's payload, a queue entry):
/// the same id as [`tx_id`] without encoding again.
pub fn id_of_encoding<E: Env + ?Sized>(env: &mut E, encoding: &[u8]) -> [u8; 32] {
    env.keccak(encoding)
}

/// `keccak256(encoding)`: defined for any transaction, valid or not, so a batch commits to
/// all of them; not malleable because only low-s signatures with `v ∈ {27, 28}` execute and
/// only the canonical encoding decodes (docs/design.md#rule-10).
pub fn tx_id<E: Env + ?Sized>(env: &mut E, tx: &SignedTx) -> [u8; 32] {
    env.keccak(&tx.encode())
}
