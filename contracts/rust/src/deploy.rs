//! The whole L1 side of a rollup deployed in one call, wired as docs/spec/protocol.md
//! ("Deployment") prescribes: the Inbox (which appends the `Config` message), the one-step
//! prover, the ChallengeManager built for a Rollup address predicted from the deployer's
//! nonce, the Rollup (whose constructor checks both links), and the Outbox, which pays against
//! the Rollup's confirmed outbox roots and is the only address the Inbox releases escrow to.
//!
//! Tests, benchmarks and the embedded L1 all deploy through [`Deployment::deploy`], so they
//! run the exact set a real chain would.

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::{SolCall, SolValue};

use crate::evm::{Evm, EvmError};
use crate::osp::Osp;
use crate::rollup::{ChallengeManager, Inbox, InboxConfig, Outbox, Rollup};

/// Bisection degree when a deployment does not choose one: the cheapest for the honest side's
/// worst case in the cost model (docs/benchmarks.md, `bench dispute-cost`).
pub const DEFAULT_DEGREE: u64 = 16;

/// The gas price the bond is sized for (rule 7): 1,000 gwei, above every sustained period of
/// Ethereum mainnet so far. Above it, an honest party's dispute costs could exceed half a
/// bond; docs/decisions.md, "The bond", derives [`DEFAULT_BOND`] from it.
pub const MAX_GAS_PRICE_WEI: u128 = 1_000_000_000_000;

/// The worst honest dispute's gas the bond covers: the most expensive honest side of
/// `bench dispute-cost` at [`DEFAULT_DEGREE`] (all moves and the worst one-step proof), plus
/// opening the challenge and the assertion and confirmation transactions around it, rounded
/// up. A test (`bond_covers_twice_the_worst_honest_dispute`) replays that worst case and
/// fails if it ever grows past this figure.
pub const WORST_HONEST_DISPUTE_GAS: u64 = 1_000_000;

/// The default bond: at least twice [`WORST_HONEST_DISPUTE_GAS`] at [`MAX_GAS_PRICE_WEI`]
/// (2 × 10^6 gas × 1,000 gwei = 2 ETH), so winning half a loser's bond always repays the
/// winner's dispute.
pub const DEFAULT_BOND_WEI: u128 = 2_000_000_000_000_000_000;

/// Everything a deployment is configured with.
#[derive(Clone, Copy, Debug)]
pub struct RollupConfig {
    /// The Inbox's configuration (its owner is also the Rollup's owner).
    pub inbox: InboxConfig,
    /// The guest's module root in force from genesis.
    pub module_root: B256,
    /// The bond, in wei.
    pub bond: U256,
    /// Seconds rivals have after a parent's first child; also the earliest confirmation.
    pub challenge_period: u64,
    /// Receives the slashed half of every lost bond.
    pub escrow: Address,
    /// Sub-intervals a bisection move posts.
    pub degree: u64,
    /// Each challenge party's time budget, in seconds.
    pub clock: u64,
}

/// The addresses of a deployed rollup.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Deployment {
    /// The Inbox (messages, accumulators, the ETH escrow).
    pub inbox: Address,
    /// The Outbox (withdrawals against confirmed roots).
    pub outbox: Address,
    /// The Rollup (assertions, stakes).
    pub rollup: Address,
    /// The ChallengeManager.
    pub challenges: Address,
    /// The one-step prover's entry.
    pub osp: Address,
}

impl Deployment {
    /// Deploys the set from the EVM's sender, which must be `config.inbox.owner` (it sets the
    /// Inbox's outbox).
    pub fn deploy(evm: &mut Evm, config: RollupConfig) -> Result<Deployment, EvmError> {
        let c = config.inbox;
        let mut code = Inbox::BYTECODE.to_vec();
        code.extend(
            (
                c.owner,
                c.sequencer,
                c.chain_id,
                c.force_delay,
                c.min_deposit,
            )
                .abi_encode_params(),
        );
        let inbox = evm.deploy(&code)?;
        let osp = Osp::deploy(evm)?.entry;

        // The manager needs the Rollup's address and the Rollup checks the manager's: the
        // Rollup is the deployment right after the manager's.
        let predicted = evm.predicted_address(evm.sender, 1);
        let mut code = ChallengeManager::BYTECODE.to_vec();
        code.extend(
            (
                predicted,
                osp,
                inbox,
                U256::from(config.degree),
                U256::from(config.clock),
            )
                .abi_encode_params(),
        );
        let challenges = evm.deploy(&code)?;
        let mut code = Rollup::BYTECODE.to_vec();
        code.extend(
            (
                inbox,
                challenges,
                config.module_root,
                config.bond,
                U256::from(config.challenge_period),
                config.escrow,
                c.owner,
            )
                .abi_encode_params(),
        );
        let rollup = evm.deploy(&code)?;
        debug_assert_eq!(rollup, predicted);

        let mut code = Outbox::BYTECODE.to_vec();
        code.extend((inbox, rollup).abi_encode_params());
        let outbox = evm.deploy(&code)?;
        let set = Inbox::setOutboxCall { outbox_: outbox }.abi_encode();
        evm.send(c.owner, inbox, &set, U256::ZERO)?;
        Ok(Deployment {
            inbox,
            outbox,
            rollup,
            challenges,
            osp,
        })
    }
}
