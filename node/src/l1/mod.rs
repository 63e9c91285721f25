//! The L1 as the node sees it: one trait ([`L1`]) with two back ends — [`EmbeddedL1`] (revm in
//! process, with blocks, logs and a clock tests advance; the zero-setup default) and [`RpcL1`]
//! (any Ethereum JSON-RPC endpoint through alloy, signing with a local key; anvil in tests).
//! Everything above it ([`rollup::RollupL1`]: deployment, deposits, batches, the inbox's
//! messages from its events) is written once against the trait, so the same node code runs
//! on both.
//!
//! The trait is deliberately low-level — send a transaction, call, read logs, read the head —
//! so a back end is small and the contract logic is not duplicated per back end.

mod embedded;
pub mod eth_rpc;
pub mod rollup;
mod rpc;

use std::future::Future;

use alloy_primitives::{Address, B256, Bytes, U256};

pub use embedded::{BlockSel, EmbeddedBlock, EmbeddedClock, EmbeddedL1, Mined, RawTxError};
pub use rpc::RpcL1;

/// The latest L1 block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct L1Head {
    pub number: u64,
    pub timestamp: u64,
}

/// One event, where it was emitted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct L1Log {
    pub log: alloy_primitives::Log,
    pub block_number: u64,
    pub tx_hash: B256,
}

/// A mined transaction that succeeded.
#[derive(Clone, Debug)]
pub struct L1Receipt {
    pub tx_hash: B256,
    pub block_number: u64,
    pub gas_used: u64,
    /// The created contract, for a deployment.
    pub contract_address: Option<Address>,
    pub logs: Vec<L1Log>,
}

/// Why an L1 operation failed.
#[derive(Debug, thiserror::Error)]
pub enum L1Error {
    /// The transaction (or call) reverted; `data` is the revert data (a custom error).
    #[error("reverted: {}", rollup::revert_reason(data))]
    Reverted { data: Bytes },
    /// The chain refused the transaction before running it (nonce, funds, gas...).
    #[error("transaction rejected: {0}")]
    Rejected(String),
    /// The endpoint could not be reached or answered nonsense; retrying may help.
    #[error("L1 transport: {0}")]
    Transport(String),
    /// The back end cannot do this (e.g. moving the clock of a real chain).
    #[error("not supported by this L1: {0}")]
    Unsupported(&'static str),
}

impl L1Error {
    /// The revert data, if the failure was a revert.
    pub fn revert_data(&self) -> Option<&Bytes> {
        match self {
            L1Error::Reverted { data } => Some(data),
            _ => None,
        }
    }

    /// Whether retrying the same operation later may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, L1Error::Transport(_))
    }
}

/// What a transaction does: call `to` (or create a contract when `None`) with `data` and
/// `value`.
#[derive(Clone, Debug)]
pub struct L1Tx {
    pub to: Option<Address>,
    pub data: Bytes,
    pub value: U256,
}

/// An L1 chain and an account on it that signs the node's transactions.
pub trait L1: Send + Sync {
    /// The account that sends this handle's transactions.
    fn signer(&self) -> Address;

    /// The latest block.
    fn head(&self) -> impl Future<Output = Result<L1Head, L1Error>> + Send;

    /// Sends a transaction from [`L1::signer`] and waits until it is mined.
    fn send(&self, tx: L1Tx) -> impl Future<Output = Result<L1Receipt, L1Error>> + Send;

    /// Runs a call against the latest block without sending anything.
    fn call(&self, to: Address, data: Bytes)
    -> impl Future<Output = Result<Bytes, L1Error>> + Send;

    /// The events `address` emitted in blocks `from ..= to`, in chain order.
    fn logs(
        &self,
        address: Address,
        from: u64,
        to: u64,
    ) -> impl Future<Output = Result<Vec<L1Log>, L1Error>> + Send;

    /// The balance of `who` at the latest block.
    fn balance(&self, who: Address) -> impl Future<Output = Result<U256, L1Error>> + Send;

    /// The next nonce of `who`.
    fn nonce(&self, who: Address) -> impl Future<Output = Result<u64, L1Error>> + Send;
}

/// A development chain whose clock can be moved (the embedded L1; anvil).
pub trait DevClock: Send + Sync {
    /// Moves time forward by `seconds` and mines a block at the new time.
    fn advance(&self, seconds: u64) -> impl Future<Output = Result<(), L1Error>> + Send;
}
