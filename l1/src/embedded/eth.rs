//! What the embedded chain answers to an Ethereum JSON-RPC client ([`crate::l1::eth_rpc`]):
//! blocks, receipts, logs with their positions, calls and gas estimates from any account, and
//! signed raw transactions — decoded (EIP-2718), their signer recovered, checked against this
//! chain (chain id, nonce) and mined in a block of their own under their real hash.
//!
//! Gas is free here (base fee and gas price zero): a signed transaction's fee fields are
//! accepted and not charged, and its receipt reports an effective gas price of zero.

use alloy::consensus::transaction::SignerRecoverable;
use alloy::consensus::{Transaction as _, TxEnvelope};
use alloy::eips::BlockNumberOrTag;
use alloy::eips::eip2718::Decodable2718;
use alloy::rpc::types::{Filter, FilterBlockOption, Log};
use alloy_primitives::{Address, B256, Bytes, U256};
use fuse_contracts::evm::{CallOutcome, Evm, EvmError, Transact, TxKind};

use super::{EmbeddedBlock, EmbeddedL1, Mined};
use crate::L1Error;

/// Which block a request means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockSel {
    /// The head (also what `pending`, `safe` and `finalized` name: every block is final
    /// once mined).
    Latest,
    /// The block at this height (`earliest` is 0).
    Number(u64),
    /// The block with this hash.
    Hash(B256),
}

/// A call or gas estimate: who, what, with which value and gas.
#[derive(Clone, Debug)]
pub(crate) struct Simulation {
    pub from: Address,
    pub kind: TxKind,
    pub data: Bytes,
    pub value: U256,
    pub gas_limit: u64,
}

/// Why a raw transaction was refused before it was mined (nothing changed on the chain).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RawTxError {
    /// The bytes are not one EIP-2718 transaction (or run on after it): the decoder's message.
    #[error("invalid transaction encoding: {0}")]
    Decode(String),
    /// A transaction type the chain does not run, by name (blob, EIP-7702).
    #[error("{0} transactions are not supported by the embedded L1")]
    UnsupportedType(&'static str),
    /// The transaction carries a non-empty access list.
    #[error("access lists are not supported by the embedded L1")]
    AccessList,
    /// Signed for another chain, or without a chain id (pre-EIP-155, replayable anywhere).
    #[error("wrong chain id: the transaction is for {got:?}, this chain is {want}")]
    ChainId {
        /// The chain id the transaction was signed for (`None`: a pre-EIP-155 legacy one).
        got: Option<u64>,
        /// This chain's id, [`Evm::CHAIN_ID`].
        want: u64,
    },
    /// No signer can be recovered from the signature: the recovery error.
    #[error("invalid signature: {0}")]
    Signature(String),
    /// A transaction with this hash is already mined.
    #[error("already known: {0}")]
    AlreadyKnown(B256),
    /// The sender has already used the transaction's nonce.
    #[error("nonce too low: next nonce of {from} is {next}, the transaction has {got}")]
    NonceTooLow {
        /// The recovered sender.
        from: Address,
        /// The sender's next nonce on this chain.
        next: u64,
        /// The nonce the transaction carries.
        got: u64,
    },
    /// The nonce is ahead of the sender's next one; with no mempool it cannot wait its turn.
    #[error(
        "nonce too high: next nonce of {from} is {next}, the transaction has {got} (the \
         embedded L1 has no mempool; send in nonce order)"
    )]
    NonceTooHigh {
        /// The recovered sender.
        from: Address,
        /// The sender's next nonce on this chain.
        next: u64,
        /// The nonce the transaction carries.
        got: u64,
    },
    /// The gas limit is above the per-transaction cap.
    #[error("gas limit {got} is above the per-transaction cap {cap}")]
    GasLimit {
        /// The transaction's gas limit.
        got: u64,
        /// The cap, [`Evm::TX_GAS_LIMIT`] (EIP-7825's 16,000,000).
        cap: u64,
    },
    /// The EVM refused it before running it (e.g. too few funds for its value): its reason.
    #[error("transaction rejected: {0}")]
    Invalid(String),
}

impl EmbeddedL1 {
    /// The block `sel` names, if the chain has it.
    pub async fn block(&self, sel: BlockSel) -> Result<Option<EmbeddedBlock>, L1Error> {
        self.with(move |c| {
            let number = match sel {
                BlockSel::Latest => c.head.number,
                BlockSel::Number(n) => n,
                BlockSel::Hash(h) => *c.block_numbers.get(&h)?,
            };
            usize::try_from(number)
                .ok()
                .and_then(|n| c.blocks.get(n))
                .cloned()
        })
        .await
    }

    /// A mined transaction and the hash of its block.
    pub async fn mined(&self, hash: B256) -> Result<Option<(Mined, B256)>, L1Error> {
        self.with(move |c| {
            let m = c.mined.get(&hash)?.clone();
            let block = c.blocks.get(usize::try_from(m.block_number).ok()?)?.hash;
            Some((m, block))
        })
        .await
    }

    /// The logs `filter` selects, with their block hash, transaction and log index (logs are
    /// numbered within their block, as on Ethereum).
    pub async fn filter_logs(&self, filter: Filter) -> Result<Result<Vec<Log>, String>, L1Error> {
        self.with(move |c| {
            let (from, to) = match filter.block_option {
                FilterBlockOption::AtBlockHash(h) => match c.block_numbers.get(&h) {
                    Some(n) => (*n, *n),
                    None => return Err(format!("unknown block hash {h}")),
                },
                FilterBlockOption::Range {
                    from_block,
                    to_block,
                } => {
                    // Tags name the head (every block is final at once), `earliest` block 0.
                    let number = |b: Option<BlockNumberOrTag>| match b {
                        Some(BlockNumberOrTag::Number(n)) => n,
                        Some(BlockNumberOrTag::Earliest) => 0,
                        _ => c.head.number,
                    };
                    (number(from_block), number(to_block))
                }
            };
            let start = c.logs.partition_point(|l| l.block_number < from);
            let mut out = Vec::new();
            let mut index = 0u64;
            let mut block = u64::MAX;
            for l in c.logs[start..].iter().take_while(|l| l.block_number <= to) {
                if l.block_number != block {
                    block = l.block_number;
                    index = 0;
                }
                if filter.matches(&l.log) {
                    out.push(Log {
                        inner: l.log.clone(),
                        block_hash: usize::try_from(block)
                            .ok()
                            .and_then(|n| c.blocks.get(n))
                            .map(|b| b.hash),
                        block_number: Some(block),
                        block_timestamp: None,
                        transaction_hash: Some(l.tx_hash),
                        transaction_index: Some(0),
                        log_index: Some(index),
                        removed: false,
                    });
                }
                index += 1;
            }
            Ok(out)
        })
        .await
    }

    /// Runs `sim` on the latest state without keeping anything (`eth_call`, `eth_estimateGas`).
    pub(crate) async fn simulate(
        &self,
        sim: Simulation,
    ) -> Result<Result<CallOutcome, EvmError>, L1Error> {
        self.with(move |c| {
            // A simulation runs in the block a transaction sent now would get, so code that
            // reads the clock sees what it will see when mined.
            let (number, timestamp) = c.evm.block();
            c.evm.set_block(number + 1, (timestamp + 1).max(c.now()));
            let out = c
                .evm
                .transact(Transact {
                    from: sim.from,
                    kind: sim.kind,
                    data: &sim.data,
                    value: sim.value,
                    gas_limit: sim.gas_limit,
                    commit: false,
                })
                .map(|(out, _)| out);
            c.evm.set_block(number, timestamp);
            out
        })
        .await
    }

    /// Decodes, checks and mines a signed transaction; its hash once mined (reverted or not —
    /// the receipt tells).
    pub async fn send_raw(&self, raw: Bytes) -> Result<Result<B256, RawTxError>, L1Error> {
        self.with(move |c| {
            let mut buf = raw.as_ref();
            let tx =
                TxEnvelope::decode_2718(&mut buf).map_err(|e| RawTxError::Decode(e.to_string()))?;
            if !buf.is_empty() {
                return Err(RawTxError::Decode(format!(
                    "{} bytes after the transaction",
                    buf.len()
                )));
            }
            match &tx {
                TxEnvelope::Eip4844(_) => return Err(RawTxError::UnsupportedType("blob")),
                TxEnvelope::Eip7702(_) => return Err(RawTxError::UnsupportedType("EIP-7702")),
                _ => {}
            }
            if tx.access_list().is_some_and(|l| !l.0.is_empty()) {
                return Err(RawTxError::AccessList);
            }
            if tx.chain_id() != Some(Evm::CHAIN_ID) {
                return Err(RawTxError::ChainId {
                    got: tx.chain_id(),
                    want: Evm::CHAIN_ID,
                });
            }
            let from = tx
                .recover_signer()
                .map_err(|e| RawTxError::Signature(e.to_string()))?;
            let hash = *tx.tx_hash();
            if c.mined.contains_key(&hash) {
                return Err(RawTxError::AlreadyKnown(hash));
            }
            let next = c.evm.nonce(from);
            let got = tx.nonce();
            if got < next {
                return Err(RawTxError::NonceTooLow { from, next, got });
            }
            if got > next {
                return Err(RawTxError::NonceTooHigh { from, next, got });
            }
            if tx.gas_limit() > Evm::TX_GAS_LIMIT {
                return Err(RawTxError::GasLimit {
                    got: tx.gas_limit(),
                    cap: Evm::TX_GAS_LIMIT,
                });
            }
            let transact = Transact {
                from,
                kind: tx.kind(),
                data: tx.input(),
                value: tx.value(),
                gas_limit: tx.gas_limit(),
                commit: true,
            };
            match c.mine(hash, transact, tx.tx_type() as u8) {
                Ok(_) | Err(L1Error::Reverted { .. }) => Ok(hash),
                // A halt (out of gas, invalid opcode) is mined too, with a failed receipt.
                Err(_) if c.mined.contains_key(&hash) => Ok(hash),
                Err(e) => Err(RawTxError::Invalid(e.to_string())),
            }
        })
        .await
    }
}
