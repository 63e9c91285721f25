//! The rollup's L1 contracts as Rust drives them (`contracts/src/rollup/`): the Inbox (messages,
//! accumulators, the ETH escrow), the Outbox (withdrawals against confirmed outbox roots), the
//! [`Rollup`] (assertions, stakes) and the [`ChallengeManager`] (docs/spec/protocol.md); and two
//! test doubles for testing parts alone: [`OutboxRootsDouble`] (confirmed roots for the Outbox,
//! in [`Bridge`]) and [`ChallengeResultRecorder`] (the Rollup a manager reports to). The whole
//! set is deployed by [`crate::deploy::Deployment`]. Formats: docs/spec/inbox.md,
//! docs/spec/outbox.md.

use alloy_primitives::{Address, U256};
use alloy_sol_types::{SolCall, SolValue};

use crate::evm::{Evm, EvmError};

binding!(inbox, Inbox, "../artifacts/Inbox.json");
binding!(outbox, Outbox, "../artifacts/Outbox.json");
binding!(
    roots_double,
    OutboxRootsDouble,
    "../artifacts/OutboxRootsDouble.json"
);
binding!(
    challenge,
    ChallengeManager,
    "../artifacts/ChallengeManager.json"
);
binding!(
    challenge_recorder,
    ChallengeResultRecorder,
    "../artifacts/ChallengeResultRecorder.json"
);
binding!(rollup_contract, Rollup, "../artifacts/Rollup.json");

/// How an Inbox is configured at deployment (its constructor appends `Config` from it).
#[derive(Clone, Copy, Debug)]
pub struct InboxConfig {
    /// May change the sequencer and set the outbox.
    pub owner: Address,
    /// May append batches.
    pub sequencer: Address,
    /// The L2 chain id (EIP-712 domain).
    pub chain_id: u64,
    /// Seconds a forced transaction waits.
    pub force_delay: u64,
    /// Smallest deposit, in wei.
    pub min_deposit: U256,
}

/// An Inbox and an Outbox wired to each other, with the roots double.
#[derive(Clone, Copy, Debug)]
pub struct Bridge {
    /// The Inbox.
    pub inbox: Address,
    /// The Outbox.
    pub outbox: Address,
    /// The confirmed-roots double the Outbox asks.
    pub roots: Address,
}

impl Bridge {
    /// Deploys the three from `config.owner` (which must be the EVM's sender) and sets the
    /// Inbox's outbox.
    pub fn deploy(evm: &mut Evm, config: InboxConfig) -> Result<Bridge, EvmError> {
        let mut code = Inbox::BYTECODE.to_vec();
        code.extend(
            (
                config.owner,
                config.sequencer,
                config.chain_id,
                config.force_delay,
                config.min_deposit,
            )
                .abi_encode_params(),
        );
        let inbox = evm.deploy(&code)?;
        let roots = evm.deploy(&OutboxRootsDouble::BYTECODE)?;
        let mut code = Outbox::BYTECODE.to_vec();
        code.extend((inbox, roots).abi_encode_params());
        let outbox = evm.deploy(&code)?;
        let set = Inbox::setOutboxCall { outbox_: outbox }.abi_encode();
        evm.send(config.owner, inbox, &set, U256::ZERO)?;
        Ok(Bridge {
            inbox,
            outbox,
            roots,
        })
    }
}
