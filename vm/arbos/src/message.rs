//! Inbox messages (docs/spec/inbox.md): the header the Inbox stamps and the data of each
//! kind. Every byte string has a meaning: what does not parse as its kind is `None`, and the
//! block function turns that into an empty block.

use alloc::vec::Vec;

use crate::env::{Env, Word};

/// Most bytes of a message's data (after the 32-byte header): one constant with the Inbox.
pub const MAX_MESSAGE_BYTES: usize = 131_072;

/// `Config`: message 0, from the Inbox constructor.
pub const KIND_CONFIG: u8 = 0;
/// `Deposit`: ETH locked on L1 for an L2 account.
pub const KIND_DEPOSIT: u8 = 1;
/// `Batch`: the sequencer's compressed transactions.
pub const KIND_BATCH: u8 = 2;
/// `ForcedTx`: one signed transaction, queued for `forceDelay`.
pub const KIND_FORCED_TX: u8 = 3;
/// `Tick`: empty; lets an idle chain drain its forced queue.
pub const KIND_TICK: u8 = 4;

/// The header: `kind ‖ 0 × 7 ‖ l1BlockNumber (u64) ‖ l1Timestamp (u64) ‖ 0 × 8`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// The message kind (any byte; unknown kinds make empty blocks).
    pub kind: u8,
    /// The L1 block the message was appended in.
    pub l1_block_number: u64,
    /// That block's timestamp.
    pub l1_timestamp: u64,
}

impl Header {
    /// Decodes the header word.
    pub fn from_word(w: &[u8; 32]) -> Header {
        Header {
            kind: w[0],
            l1_block_number: u64::from_be_bytes(w[8..16].try_into().unwrap()),
            l1_timestamp: u64::from_be_bytes(w[16..24].try_into().unwrap()),
        }
    }

    /// Encodes it (what the Inbox writes).
    pub fn to_word(&self) -> [u8; 32] {
        let mut w = [0u8; 32];
        w[0] = self.kind;
        w[8..16].copy_from_slice(&self.l1_block_number.to_be_bytes());
        w[16..24].copy_from_slice(&self.l1_timestamp.to_be_bytes());
        w
    }
}

/// Reads the current message's header.
pub fn read_header<E: Env + ?Sized>(env: &mut E) -> Header {
    let mut w = Word::default();
    env.inbox_word(0, &mut w);
    Header::from_word(&w.0)
}

/// A message's data, read word by word straight into the words that hold it (the guest
/// copies nothing: the host writes each word where it stays).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Data {
    words: Vec<Word>,
    len: usize,
}

impl Data {
    /// The bytes.
    pub fn bytes(&self) -> &[u8] {
        // SAFETY: `Word` is `repr(C)` around `[u8; 32]` with size 32 (env.rs checks it), so
        // the words are `32 × words.len() ≥ len` initialized bytes.
        unsafe { core::slice::from_raw_parts(self.words.as_ptr().cast::<u8>(), self.len) }
    }
}

/// Reads the current message's data, or `None` if it is longer than `max` bytes (checked
/// while reading, so an oversized message costs at most `max / 32 + 1` reads and no more
/// memory than `max`).
pub fn read_data<E: Env + ?Sized>(env: &mut E, max: usize) -> Option<Data> {
    let mut data = Data::default();
    let mut offset = 32u32;
    loop {
        data.words.push(Word::default());
        let w = data.words.last_mut()?;
        let n = (env.inbox_word(offset, w) as usize).min(32);
        if data.len + n > max {
            return None;
        }
        data.len += n;
        if n < 32 {
            return Some(data);
        }
        offset = offset.checked_add(32)?;
    }
}

/// The chain's configuration, from message 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// The EIP-712 chain id.
    pub chain_id: u64,
    /// The Inbox: the EIP-712 verifying contract.
    pub inbox: [u8; 20],
    /// Seconds a forced transaction waits before it runs (docs/design.md#rule-6).
    pub force_delay: u64,
}

impl Config {
    /// `chainId (u64) ‖ inbox (20) ‖ forceDelay (u64)`, exactly 36 bytes.
    pub fn decode(data: &[u8]) -> Option<Config> {
        if data.len() != 36 {
            return None;
        }
        Some(Config {
            chain_id: u64::from_be_bytes(data[..8].try_into().ok()?),
            inbox: data[8..28].try_into().ok()?,
            force_delay: u64::from_be_bytes(data[28..36].try_into().ok()?),
        })
    }

    /// The data of a `Config` message.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(36);
        out.extend_from_slice(&self.chain_id.to_be_bytes());
        out.extend_from_slice(&self.inbox);
        out.extend_from_slice(&self.force_delay.to_be_bytes());
        out
    }
}

/// ETH deposited on L1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Deposit {
    /// Who sent it on L1.
    pub l1_sender: [u8; 20],
    /// The L2 account credited.
    pub to: [u8; 20],
    /// Wei.
    pub amount: u128,
}

impl Deposit {
    /// `l1Sender (20) ‖ to (20) ‖ amount (u128)`, exactly 56 bytes.
    pub fn decode(data: &[u8]) -> Option<Deposit> {
        if data.len() != 56 {
            return None;
        }
        Some(Deposit {
            l1_sender: data[..20].try_into().ok()?,
            to: data[20..40].try_into().ok()?,
            amount: u128::from_be_bytes(data[40..56].try_into().ok()?),
        })
    }

    /// The data of a `Deposit` message.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(56);
        out.extend_from_slice(&self.l1_sender);
        out.extend_from_slice(&self.to);
        out.extend_from_slice(&self.amount.to_be_bytes());
        out
    }
}

/// A whole message (header and data) as the Inbox would append it: for tests and the node.
pub fn message(header: &Header, data: &[u8]) -> Vec<u8> {
    let mut m = header.to_word().to_vec();
    m.extend_from_slice(data);
    m
}
