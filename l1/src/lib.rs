//! fuse-l1 — the L1 as fuse-l2 sees it: one trait ([`L1`]) with two back ends — [`EmbeddedL1`] (revm in
//! process, with blocks, logs and a clock tests advance; the zero-setup default) and [`RpcL1`]
//! (any Ethereum JSON-RPC endpoint through alloy, signing with a local key; anvil in tests).
//! Everything above it ([`rollup::RollupL1`]: deployment, deposits, batches, the inbox's
//! messages from its events) is written once against the trait, so the same node code runs
//! on both.
//!
//! The trait is deliberately low-level — send a transaction, call, read logs, read the head —
//! so a back end is small and the contract logic is not duplicated per back end.
//!
//! - [`eth_rpc`]: the embedded chain served over Ethereum JSON-RPC (the devnet's L1), behind
//!   `fuse-serve`'s front.
//! - [`metrics`]: the L1 figures an operator scrapes (RPC faults by kind, the head).
//! - [`reorg`]: noticing that the L1 replaced blocks a follower read, and where it forked.
//! - [`rollup`]: the rollup's contracts over the trait; [`rollup::move_calldata`] is the one
//!   encoder of every ChallengeManager move.
//!
//! It may depend on the primitives, the STF's message formats, the dispute types of
//! `fuse-prover`, the contract bindings and `fuse-serve` — never on the sequencer, the
//! validator or the node above it (`fuse-checks` holds the arrows).
#![forbid(unsafe_code)]

mod embedded;
pub mod eth_rpc;
pub mod metrics;
pub mod reorg;
pub mod rollup;
mod rpc;
#[cfg(feature = "test-utils")]
pub mod testing;

use std::future::Future;

use alloy_primitives::{Address, B256, Bytes, U256};

pub use embedded::{BlockSel, EmbeddedBlock, EmbeddedClock, EmbeddedL1, Mined, RawTxError};
pub use rpc::{
    FaultPolicy, FeePolicy, RpcL1, RpcLimits, SendStats, install_tls_provider, is_range_refusal,
    redact_url,
};

/// The latest L1 block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct L1Head {
    /// Its height: blocks since genesis (block 0).
    pub number: u64,
    /// Its `block.timestamp`, Unix seconds: the time the Rollup's deadlines and the
    /// ChallengeManager's clocks are measured against.
    pub timestamp: u64,
}

/// One event, where it was emitted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct L1Log {
    /// The event itself: the emitting contract's address, its topics and its data.
    pub log: alloy_primitives::Log,
    /// The L1 block it was emitted in.
    pub block_number: u64,
    /// The hash of the transaction that emitted it.
    pub tx_hash: B256,
}

/// A mined transaction that succeeded.
#[derive(Clone, Debug)]
pub struct L1Receipt {
    /// The transaction's hash (on the embedded L1, `keccak256(sender ‖ nonce)` for an
    /// unsigned send).
    pub tx_hash: B256,
    /// The L1 block it was mined in.
    pub block_number: u64,
    /// Gas the transaction spent.
    pub gas_used: u64,
    /// The created contract, for a deployment.
    pub contract_address: Option<Address>,
    /// The events it emitted, in emission order.
    pub logs: Vec<L1Log>,
}

/// Why an L1 operation failed.
#[derive(Debug, thiserror::Error)]
pub enum L1Error {
    /// The transaction (or call) reverted; `data` is the revert data (a custom error).
    #[error("reverted: {}", rollup::revert_reason(data))]
    Reverted {
        /// The ABI-encoded custom error (or `Error(string)`); [`rollup::revert_reason`]
        /// names it.
        data: Bytes,
    },
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
    /// The account called, or `None` to create a contract.
    pub to: Option<Address>,
    /// The calldata, or for a creation the contract's init code (constructor arguments
    /// appended).
    pub data: Bytes,
    /// Wei sent with the transaction.
    pub value: U256,
    /// Whether it must be mined soon (a challenge move whose clock runs low): a back end
    /// with a fee market tips more and replaces it sooner.
    pub urgent: bool,
}

/// An L1 chain and an account on it that signs the node's transactions.
pub trait L1: Send + Sync {
    /// The account that sends this handle's transactions.
    fn signer(&self) -> Address;

    /// The latest block.
    fn head(&self) -> impl Future<Output = Result<L1Head, L1Error>> + Send;

    /// The hash of block `number` on the chain the endpoint follows now, or `None` if its
    /// chain is not that long (yet, or any more). Compared with a hash read earlier, it tells
    /// whether a reorg replaced the block.
    fn block_hash(&self, number: u64)
    -> impl Future<Output = Result<Option<B256>, L1Error>> + Send;

    /// Sends a transaction from [`L1::signer`] and waits until it is mined.
    fn send(&self, tx: L1Tx) -> impl Future<Output = Result<L1Receipt, L1Error>> + Send;

    /// Runs a call against the latest block without sending anything.
    fn call(&self, to: Address, data: Bytes)
    -> impl Future<Output = Result<Bytes, L1Error>> + Send;

    /// [`L1::call`] against block `block` (a safe point, below which a reorg is not
    /// expected). A back end that cannot reorganise may answer from its latest block.
    fn call_at(
        &self,
        to: Address,
        data: Bytes,
        block: u64,
    ) -> impl Future<Output = Result<Bytes, L1Error>> + Send {
        let _ = block;
        self.call(to, data)
    }

    /// The events `address` emitted in blocks `from ..= to`, in chain order.
    fn logs(
        &self,
        address: Address,
        from: u64,
        to: u64,
    ) -> impl Future<Output = Result<Vec<L1Log>, L1Error>> + Send;

    /// The endpoint's `finalized` block (Ethereum's consensus will not revert it), or `None`
    /// where the chain has no such tag (a development chain, an old client).
    fn finalized_block(&self) -> impl Future<Output = Result<Option<u64>, L1Error>> + Send {
        async { Ok(None) }
    }

    /// `Some((base_fee, ceiling))` when the operator's fee ceiling per gas is below the L1's
    /// base fee now: a transaction sent now waits until the base fee falls. `None` when
    /// there is no ceiling, or it is above the base fee.
    fn fee_blocked(&self) -> impl Future<Output = Result<Option<(u128, u128)>, L1Error>> + Send {
        async { Ok(None) }
    }

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
