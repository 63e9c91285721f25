//! Inbox scenarios: a chain's messages built in process (the `Config` message, deposits,
//! batches of wallet-signed transfers and withdrawals, ticks) with the headers an Inbox on L1
//! would give them, for dispute tests, dispute vectors and benchmarks that need real blocks
//! of the guest without a sequencer.
//!
//! Signing is EIP-712 over the chain's domain (docs/spec/tx.md) with k256, as a wallet signs;
//! keys are derived from a one-byte seed so a scenario is the same on every machine.

use std::collections::BTreeMap;

use fuse_arbos::batch::{self, BatchHeader};
use fuse_arbos::message::{
    Config, Deposit, Header, KIND_BATCH, KIND_CONFIG, KIND_DEPOSIT, KIND_TICK, message,
};
use fuse_arbos::testing::MemoryEnv;
use fuse_arbos::tx::{self, Domain, KIND_TRANSFER, KIND_WITHDRAW, SignedTx};
use k256::ecdsa::SigningKey;

/// Seconds between two messages' L1 timestamps.
const SECONDS_PER_MESSAGE: u64 = 12;

/// A wallet of a scenario: a secp256k1 key and its Ethereum address.
#[derive(Clone, Debug)]
pub struct Wallet {
    key: SigningKey,
    /// The key's Ethereum address.
    pub address: [u8; 20],
}

impl Wallet {
    /// The wallet whose private key is 32 bytes of `seed` (`seed ≠ 0`).
    pub fn from_seed(seed: u8) -> Wallet {
        let key = SigningKey::from_slice(&[seed; 32]).expect("a non-zero seed is a valid key");
        let point = key.verifying_key().to_encoded_point(false);
        let hash = alloy_primitives::keccak256(&point.as_bytes()[1..]);
        let mut address = [0u8; 20];
        address.copy_from_slice(&hash[12..]);
        Wallet { key, address }
    }
}

/// A chain's inbox under construction, message 0 its `Config`.
#[derive(Clone, Debug)]
pub struct Scenario {
    domain: Domain,
    messages: Vec<Vec<u8>>,
    nonces: BTreeMap<[u8; 20], u64>,
    next_seq: u64,
    l1_block: u64,
    l1_timestamp: u64,
}

impl Scenario {
    /// A chain with id `chain_id` whose Inbox is at `inbox`, forced transactions delayed by
    /// `force_delay` seconds; its first message is `Config` at L1 block 1 and `start_time`.
    pub fn new(chain_id: u64, inbox: [u8; 20], force_delay: u64, start_time: u64) -> Scenario {
        let mut s = Scenario {
            domain: Domain { chain_id, inbox },
            messages: Vec::new(),
            nonces: BTreeMap::new(),
            next_seq: 0,
            l1_block: 0,
            l1_timestamp: start_time,
        };
        let config = Config {
            chain_id,
            inbox,
            force_delay,
        };
        s.push(KIND_CONFIG, &config.encode());
        s
    }

    /// The messages so far, each `header ‖ data` as the guest reads it.
    pub fn messages(&self) -> &[Vec<u8>] {
        &self.messages
    }

    /// Appends a deposit of `amount` wei to `to` from an L1 account.
    pub fn deposit(&mut self, to: [u8; 20], amount: u128) {
        let d = Deposit {
            l1_sender: [0xde; 20],
            to,
            amount,
        };
        self.push(KIND_DEPOSIT, &d.encode());
    }

    /// Appends an empty message.
    pub fn tick(&mut self) {
        self.push(KIND_TICK, &[]);
    }

    /// A transfer of `amount` from `from` to `to`, signed with `from`'s next nonce.
    pub fn transfer(&mut self, from: &Wallet, to: [u8; 20], amount: u128) -> SignedTx {
        self.sign(from, KIND_TRANSFER, to, amount)
    }

    /// A withdrawal of `amount` from `from` to the L1 address `to`, with its next nonce.
    pub fn withdraw(&mut self, from: &Wallet, to: [u8; 20], amount: u128) -> SignedTx {
        self.sign(from, KIND_WITHDRAW, to, amount)
    }

    /// Appends a batch of `txs` under the next sequence number.
    pub fn batch(&mut self, txs: &[SignedTx]) {
        let mut env = MemoryEnv::new();
        let header = BatchHeader {
            seq: self.next_seq,
            tx_root: batch::tx_root(&mut env, txs),
            claimed_state_root: [0; 32],
        };
        self.next_seq += 1;
        self.push(KIND_BATCH, &batch::encode_batch(&header, txs));
    }

    /// Appends a message of any kind with raw data (garbage included): the STF must skip
    /// what it cannot decode.
    pub fn raw(&mut self, kind: u8, data: &[u8]) {
        self.push(kind, data);
    }

    fn sign(&mut self, from: &Wallet, kind: u8, to: [u8; 20], amount: u128) -> SignedTx {
        let nonce = self.nonces.entry(from.address).or_default();
        let mut t = SignedTx {
            kind,
            to,
            amount,
            nonce: *nonce,
            r: [0; 32],
            s: [0; 32],
            v: 0,
        };
        *nonce += 1;
        let mut env = MemoryEnv::new();
        let separator = tx::domain_separator(&mut env, &self.domain);
        let digest = tx::digest(&mut env, &separator, &t).expect("a known kind");
        let (sig, id) = from
            .key
            .sign_prehash_recoverable(&digest)
            .expect("a 32-byte digest signs");
        // k256 signs low-s already; Ethereum's v is 27 + the parity of R's y.
        let (r, s) = sig.split_bytes();
        t.r.copy_from_slice(&r);
        t.s.copy_from_slice(&s);
        t.v = 27 + id.to_byte();
        t
    }

    fn push(&mut self, kind: u8, data: &[u8]) {
        self.l1_block += 1;
        self.l1_timestamp += SECONDS_PER_MESSAGE;
        let header = Header {
            kind,
            l1_block_number: self.l1_block,
            l1_timestamp: self.l1_timestamp,
        };
        self.messages.push(message(&header, data));
    }
}
