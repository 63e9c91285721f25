//! A small in-process EVM (revm) at the project's fork, for deploying and calling contracts.
//!
//! It is the L1 of tests and benchmarks: blocks are explicit (`set_block`), nothing touches a
//! network, and every result reports the gas used so callers can measure.

use alloy_primitives::{Address, Bytes, U256};
use revm::{
    Context, ExecuteCommitEvm, ExecuteEvm, MainBuilder, MainContext, MainnetEvm,
    context::{BlockEnv, CfgEnv, TxEnv, result::ExecutionResult},
    database::{CacheDB, EmptyDB},
    handler::MainnetContext,
    state::AccountInfo,
};

pub use revm::primitives::TxKind;

type Ctx = MainnetContext<CacheDB<EmptyDB>>;

/// Why a transaction did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum EvmError {
    /// The transaction was invalid before execution (nonce, balance, gas limit...).
    #[error("transaction rejected: {0}")]
    Invalid(String),
    /// Execution reverted; `output` is the revert data (a custom error or `Error(string)`).
    #[error(
        "reverted (gas used {gas_used}): 0x{}",
        alloy_primitives::hex::encode(output)
    )]
    Revert {
        /// The revert data.
        output: Bytes,
        /// Gas the call used before it reverted.
        gas_used: u64,
    },
    /// Execution halted (out of gas, invalid opcode, stack overflow...).
    #[error("halted: {reason} (gas used {gas_used})")]
    Halt {
        /// Why, as revm says it.
        reason: String,
        /// Gas the call used before it halted.
        gas_used: u64,
    },
    /// A deployment succeeded without returning an address (cannot happen for CREATE).
    #[error("deployment returned no address")]
    NoAddress,
}

/// The outcome of a successful call.
#[derive(Clone, Debug)]
pub struct CallOutcome {
    /// Return data.
    pub output: Bytes,
    /// Total transaction gas (intrinsic and calldata floor included), as a receipt reports it.
    pub gas_used: u64,
    /// Gas spent before the EIP-7623 floor and refunds: intrinsic (base and calldata) plus
    /// execution.
    pub gas_spent: u64,
    /// The EIP-7623 calldata floor of the transaction.
    pub floor_gas: u64,
    /// The events it emitted, in order.
    pub logs: Vec<alloy_primitives::Log>,
}

/// An in-process EVM with one funded sender.
pub struct Evm {
    inner: MainnetEvm<Ctx>,
    /// The account that sends every transaction unless told otherwise.
    pub sender: Address,
}

impl Default for Evm {
    fn default() -> Self {
        Self::new()
    }
}

impl Evm {
    /// A fresh chain at [`crate::spec_id`] with `sender` funded with 10^24 wei.
    pub fn new() -> Self {
        let sender = Address::repeat_byte(0x5e);
        let mut db = CacheDB::new(EmptyDB::new());
        db.insert_account_info(
            sender,
            AccountInfo {
                balance: U256::from(10u128.pow(24)),
                ..Default::default()
            },
        );
        let ctx: Ctx = Context::mainnet()
            .with_db(db)
            .modify_cfg_chained(|cfg: &mut CfgEnv| {
                *cfg = CfgEnv::<revm::primitives::hardfork::SpecId>::default()
                    .with_spec_and_mainnet_gas_params(crate::spec_id());
                cfg.chain_id = Self::CHAIN_ID;
            })
            .modify_block_chained(|b: &mut BlockEnv| {
                b.number = U256::from(1);
                b.timestamp = U256::from(1_700_000_000u64);
                b.gas_limit = Self::BLOCK_GAS_LIMIT;
            });
        Self {
            inner: ctx.build_mainnet(),
            sender,
        }
    }

    /// Gives `who` a balance of `wei`.
    pub fn fund(&mut self, who: Address, wei: U256) {
        let mut info = self.account(who);
        info.balance = wei;
        self.inner
            .ctx
            .journaled_state
            .database
            .insert_account_info(who, info);
    }

    /// The account of `who` as committed (default if it never existed).
    fn account(&self, who: Address) -> AccountInfo {
        self.inner
            .ctx
            .journaled_state
            .database
            .cache
            .accounts
            .get(&who)
            .map(|a| a.info.clone())
            .unwrap_or_default()
    }

    /// The balance of `who`.
    pub fn balance(&mut self, who: Address) -> U256 {
        self.account(who).balance
    }

    /// The runtime code at `who` as committed (what `EXTCODECOPY` reads; empty if none).
    pub fn code(&self, who: Address) -> Bytes {
        let info = self.account(who);
        let contracts = &self.inner.ctx.journaled_state.database.cache.contracts;
        info.code
            .or_else(|| contracts.get(&info.code_hash).cloned())
            .map(|c| c.original_bytes())
            .unwrap_or_default()
    }

    /// Sets the current block number and timestamp.
    pub fn set_block(&mut self, number: u64, timestamp: u64) {
        self.inner.ctx.block.number = U256::from(number);
        self.inner.ctx.block.timestamp = U256::from(timestamp);
    }

    /// The current block number and timestamp.
    pub fn block(&self) -> (u64, u64) {
        let b = &self.inner.ctx.block;
        (b.number.to(), b.timestamp.to())
    }

    /// The next nonce of `who`.
    pub fn nonce(&self, who: Address) -> u64 {
        self.account(who).nonce
    }

    /// The gas limit of the transactions this EVM builds itself (below EIP-7825's cap of
    /// 2^24 per transaction).
    pub const TX_GAS_LIMIT: u64 = 16_000_000;

    /// The chain id of this EVM (anvil's, so wallets configured for a local chain sign for it).
    pub const CHAIN_ID: u64 = 31337;

    /// The gas limit of every block.
    pub const BLOCK_GAS_LIMIT: u64 = 60_000_000;

    fn outcome(result: ExecutionResult) -> Result<(CallOutcome, Option<Address>), EvmError> {
        match result {
            ExecutionResult::Success {
                output, gas, logs, ..
            } => {
                let gas_used = gas.tx_gas_used();
                let address = output.address().copied();
                Ok((
                    CallOutcome {
                        output: output.into_data(),
                        gas_used,
                        gas_spent: gas.total_gas_spent(),
                        floor_gas: gas.floor_gas(),
                        logs,
                    },
                    address,
                ))
            }
            ExecutionResult::Revert { output, gas, .. } => Err(EvmError::Revert {
                output,
                gas_used: gas.tx_gas_used(),
            }),
            ExecutionResult::Halt { reason, gas, .. } => Err(EvmError::Halt {
                reason: format!("{reason:?}"),
                gas_used: gas.tx_gas_used(),
            }),
        }
    }

    /// Deploys `creation_code` (with constructor arguments appended) from the sender.
    pub fn deploy(&mut self, creation_code: &[u8]) -> Result<Address, EvmError> {
        self.deploy_from(self.sender, creation_code).map(|(a, _)| a)
    }

    /// Deploys `creation_code` from `from`, with the outcome (gas, the constructor's events).
    pub fn deploy_from(
        &mut self,
        from: Address,
        creation_code: &[u8],
    ) -> Result<(Address, CallOutcome), EvmError> {
        let (outcome, address) = self.transact(Transact::commit(
            from,
            TxKind::Create,
            creation_code,
            U256::ZERO,
        ))?;
        Ok((address.ok_or(EvmError::NoAddress)?, outcome))
    }

    /// Sends a transaction that changes state.
    pub fn send(
        &mut self,
        from: Address,
        to: Address,
        data: &[u8],
        value: U256,
    ) -> Result<CallOutcome, EvmError> {
        let tx = Transact::commit(from, TxKind::Call(to), data, value);
        Ok(self.transact(tx)?.0)
    }

    /// Runs a call without committing it (like `eth_call`), reporting what it would cost as a
    /// transaction.
    pub fn call(&mut self, to: Address, data: &[u8]) -> Result<CallOutcome, EvmError> {
        let mut tx = Transact::commit(self.sender, TxKind::Call(to), data, U256::ZERO);
        tx.commit = false;
        Ok(self.transact(tx)?.0)
    }

    /// Runs one transaction at the sender's current nonce; committed or not as `tx` says. A
    /// committed revert or halt still spends the nonce, as on a real chain.
    pub fn transact(
        &mut self,
        tx: Transact<'_>,
    ) -> Result<(CallOutcome, Option<Address>), EvmError> {
        let env = TxEnv::builder()
            .caller(tx.from)
            .kind(tx.kind)
            .data(Bytes::copy_from_slice(tx.data))
            .value(tx.value)
            .nonce(self.nonce(tx.from))
            .chain_id(Some(Self::CHAIN_ID))
            .gas_limit(tx.gas_limit)
            .build_fill();
        let invalid = |e| EvmError::Invalid(format!("{e:?}"));
        let result = if tx.commit {
            self.inner.transact_commit(env).map_err(invalid)?
        } else {
            self.inner.transact(env).map_err(invalid)?.result
        };
        Self::outcome(result)
    }
}

/// One transaction for [`Evm::transact`]. Gas is free on this chain (base fee and gas price
/// are zero), so there are no fee fields.
#[derive(Clone, Copy, Debug)]
pub struct Transact<'a> {
    /// The sender.
    pub from: Address,
    /// A call to an address, or a creation.
    pub kind: TxKind,
    /// Calldata, or init code for a creation.
    pub data: &'a [u8],
    /// Wei sent along.
    pub value: U256,
    /// Most gas the transaction may use.
    pub gas_limit: u64,
    /// Keep the state change (a transaction) or drop it (a call, a gas estimate).
    pub commit: bool,
}

impl<'a> Transact<'a> {
    /// A committed transaction at [`Evm::TX_GAS_LIMIT`].
    pub fn commit(from: Address, kind: TxKind, data: &'a [u8], value: U256) -> Transact<'a> {
        Transact {
            from,
            kind,
            data,
            value,
            gas_limit: Evm::TX_GAS_LIMIT,
            commit: true,
        }
    }
}
