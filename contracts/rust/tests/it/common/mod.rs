//! Shared by the Rust tests that drive the rollup's formats through the contracts.
#![allow(dead_code)]

pub(crate) mod game;

use alloy::signers::local::PrivateKeySigner;
use alloy_primitives::{Address, U256};
use alloy_sol_types::SolCall;
use fuse_arbos::message::{Config, Deposit, Header, KIND_CONFIG, KIND_DEPOSIT, message};
use fuse_arbos::tx::{Domain, SignedTx};
use fuse_contracts::evm::Evm;
use fuse_contracts::rollup::Inbox;

/// The L1 time of the block the Inbox's Config message is stamped with (block 100).
pub(crate) const T0: u64 = 1_700_000_000;

/// A message header as the Inbox stamps it.
pub(crate) fn header(kind: u8, block: u64, time: u64) -> Header {
    Header {
        kind,
        l1_block_number: block,
        l1_timestamp: time,
    }
}

/// The chain's first messages as the STF reads them: the Config the Inbox wrote at its
/// creation (block 100, `T0`), then a deposit of `amount` wei to `to` that `sender` sends
/// through `inbox` in block 101 (`T0 + 12`).
pub(crate) fn config_and_deposit(
    evm: &mut Evm,
    inbox: Address,
    sender: Address,
    to: [u8; 20],
    amount: u64,
    force_delay: u64,
) -> Vec<Vec<u8>> {
    let config = Config {
        chain_id: CHAIN_ID,
        inbox: inbox.into(),
        force_delay,
    };
    let mut messages = vec![message(&header(KIND_CONFIG, 100, T0), &config.encode())];
    evm.set_block(101, T0 + 12);
    let call = Inbox::depositCall { to: to.into() }.abi_encode();
    evm.send(sender, inbox, &call, U256::from(amount)).unwrap();
    let deposit = Deposit {
        l1_sender: sender.into(),
        to,
        amount: amount.into(),
    };
    messages.push(message(
        &header(KIND_DEPOSIT, 101, T0 + 12),
        &deposit.encode(),
    ));
    messages
}

/// The chain id the tests configure.
pub(crate) const CHAIN_ID: u64 = 412_346;

/// `kind` signed by `key` over its EIP-712 digest for the chain (`CHAIN_ID`, `inbox`), as a
/// wallet signs (`fuse_exec::wallet`).
pub(crate) fn signed(
    key: &PrivateKeySigner,
    inbox: [u8; 20],
    kind: u8,
    to: [u8; 20],
    amount: u128,
    nonce: u64,
) -> SignedTx {
    let domain = Domain {
        chain_id: CHAIN_ID,
        inbox,
    };
    fuse_exec::wallet::sign(key, &domain, kind, to, amount, nonce).expect("a known kind")
}

/// Precompile 0x01 as the EVM runs it (docs/design.md#rule-10).
pub(crate) fn recover(input: &[u8; 128]) -> [u8; 32] {
    fuse_vm::host::ecrecover(input)
}
