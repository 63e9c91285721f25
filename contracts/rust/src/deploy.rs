//! The whole L1 side of a rollup deployed in one call, wired as docs/spec/protocol.md
//! ("Deployment") prescribes: the Inbox (which appends the `Config` message), the one-step
//! prover, the ChallengeManager built for a Rollup address predicted from the deployer's
//! nonce, the Rollup (whose constructor checks both links), and the Outbox, which pays against
//! the Rollup's confirmed outbox roots and is the only address the Inbox releases escrow to.
//!
//! [`Deployment::plan`] is the deployment as data (creation codes with their predicted
//! addresses, then the wiring calls), so the in-process EVM ([`Deployment::deploy`]) and a
//! node's L1 back ends all deploy the exact same set.

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::{SolCall, SolValue};

use crate::evm::{Evm, EvmError};
use crate::osp::{OneStepProver, ProverControl, ProverHost, ProverMath, ProverMemory};
use crate::rollup::{ChallengeManager, Inbox, InboxConfig, Outbox, Rollup};

/// Bisection degree when a deployment does not choose one: the cheapest for the honest side's
/// worst case in the cost model (docs/benchmarks.md, `bench dispute-cost`).
pub const DEFAULT_DEGREE: u64 = 16;

/// The gas price the protocol's economics are sized for: 1,000 gwei, above every sustained
/// period of Ethereum mainnet so far (docs/decisions.md, "The bond and the refund").
pub const MAX_GAS_PRICE_WEI: u128 = 1_000_000_000_000;

/// The honest side's worst-case gas for one dispute: opening the challenge against a liar
/// whose line is as deep as the Rollup allows, every move at [`DEFAULT_DEGREE`], the most
/// expensive one-step proof (whose removal of the liar walks that whole line), a forfeit,
/// rejecting the rival and withdrawing the refund, rounded up. A test
/// (`refund_covers_the_worst_honest_dispute`) replays that worst case and fails if it ever
/// grows past this figure.
pub const WORST_HONEST_DISPUTE_GAS: u64 = 1_300_000;

/// Levels a pending assertion may sit below the latest confirmed one
/// (`Rollup.MAX_PENDING_DEPTH`; a test keeps them equal).
pub const MAX_PENDING_DEPTH: u64 = 32;

/// Open challenges one bond holds a refund for (`Rollup.MAX_RESERVED`; a test keeps them
/// equal).
pub const MAX_RESERVED: u128 = 16;

/// The default refund: [`WORST_HONEST_DISPUTE_GAS`] at [`MAX_GAS_PRICE_WEI`] (1.3 ETH), what
/// a lost bond pays the winner of each challenge it refunds.
pub const DEFAULT_REFUND_WEI: u128 = WORST_HONEST_DISPUTE_GAS as u128 * MAX_GAS_PRICE_WEI;

/// The default bond, 32 ETH: the `MAX_RESERVED + 1` refunds a lost bond may owe, plus at least
/// 6.5 refunds more that always go to the escrow, so the attacker loses at least 6.5 times the
/// honest side's worst-case cost for every bond it loses however it routes the refunds
/// (docs/spec/protocol.md, "Guarantees", (d)).
pub const DEFAULT_BOND_WEI: u128 = 32_000_000_000_000_000_000;

// The economics hold for the defaults: the refund pays the budget at the stated price, and a
// bond covers every refund it may owe plus 6.5 refunds that always go to the escrow.
const _: () = assert!(WORST_HONEST_DISPUTE_GAS as u128 * MAX_GAS_PRICE_WEI <= DEFAULT_REFUND_WEI);
const _: () = assert!(
    2 * (MAX_RESERVED + 1) * DEFAULT_REFUND_WEI + 13 * DEFAULT_REFUND_WEI <= 2 * DEFAULT_BOND_WEI
);

/// The shortest module-root delay the Rollup accepts: time for a user to force a withdrawal
/// and see it asserted before a scheduled root applies.
pub const fn min_module_root_delay(force_delay: u64, challenge_period: u64) -> u64 {
    force_delay + 2 * challenge_period
}

/// Everything a deployment is configured with.
#[derive(Clone, Copy, Debug)]
pub struct RollupConfig {
    /// The Inbox's configuration (its owner is also the Rollup's owner).
    pub inbox: InboxConfig,
    /// The guest's module root in force from genesis.
    pub module_root: B256,
    /// The bond, in wei (at least `(MAX_RESERVED + 1) × refund`).
    pub bond: U256,
    /// What a lost bond pays the winner of each challenge it refunds, in wei.
    pub refund: U256,
    /// Seconds rivals and stakes have after a parent's first child; also the earliest
    /// confirmation.
    pub challenge_period: u64,
    /// Seconds a scheduled module root waits (at least [`min_module_root_delay`]).
    pub module_root_delay: u64,
    /// Receives what is left of every lost bond after refunds.
    pub escrow: Address,
    /// Sub-intervals a bisection move posts.
    pub degree: u64,
    /// Each challenge party's time budget, in seconds.
    pub clock: u64,
}

impl RollupConfig {
    /// A deployment with the project's defaults around what varies between deployments:
    /// `owner` owns the contracts and sequences, `period` seconds to challenge with half of it
    /// on each party's clock (so every challenge ends in time), the default bond, refund and
    /// degree, the shortest module-root delay the Rollup accepts, the escrow at `0xee…ee`,
    /// deposits from 1 wei. Fields can be changed after.
    pub fn new(
        owner: Address,
        chain_id: u64,
        force_delay: u64,
        module_root: B256,
        period: u64,
    ) -> RollupConfig {
        RollupConfig {
            inbox: InboxConfig {
                owner,
                sequencer: owner,
                chain_id,
                force_delay,
                min_deposit: U256::from(1),
            },
            module_root,
            bond: U256::from(DEFAULT_BOND_WEI),
            refund: U256::from(DEFAULT_REFUND_WEI),
            challenge_period: period,
            module_root_delay: min_module_root_delay(force_delay, period),
            escrow: Address::repeat_byte(0xee),
            degree: DEFAULT_DEGREE,
            clock: (period / 2).max(1),
        }
    }

    /// The same with a smaller bond (tests and demos that fund many parties): the refund a
    /// twentieth of it, well within the `MAX_RESERVED + 1` refunds a bond must cover.
    pub fn with_bond(mut self, bond: U256) -> RollupConfig {
        self.bond = bond;
        self.refund = bond / U256::from(20);
        self
    }
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
    /// The L1 block the Inbox was created in: the rollup's events are read from here on,
    /// never from block 0 (a provider would refuse, or take minutes). 0 where unknown.
    pub block: u64,
}

/// A deployment as data: the creation transactions in order, each with the address it must
/// get, and the calls that wire them. Pure, so every L1 back end (the in-process [`Evm`], a
/// JSON-RPC chain) runs the same plan: it sends `creations` from `deployer` starting at
/// `nonce`, checks each address, then sends `calls`.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The addresses the set will have.
    pub deployment: Deployment,
    /// `(expected address, creation code with constructor arguments)`, in nonce order.
    pub creations: Vec<(Address, Vec<u8>)>,
    /// `(to, calldata)` sent after the creations, from the owner.
    pub calls: Vec<(Address, Vec<u8>)>,
}

/// Why a deployment failed.
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    /// A transaction failed.
    #[error(transparent)]
    Evm(#[from] EvmError),
    /// A contract landed at another address than planned (the deployer sent something else
    /// in between).
    #[error("contract {index} of the plan landed at {got}, planned {planned}")]
    WrongAddress {
        /// The contract's place in the plan.
        index: usize,
        /// Where the plan put it.
        planned: Address,
        /// Where it landed.
        got: Address,
    },
    /// The deployer is not the owner, which must send the wiring calls.
    #[error("the deployer {deployer} is not the configured owner {owner}")]
    DeployerNotOwner {
        /// The account that sends the deployment.
        deployer: Address,
        /// The owner the configuration names.
        owner: Address,
    },
}

impl Deployment {
    /// The plan of a deployment by `deployer` (which must be `config.inbox.owner`) whose next
    /// nonce is `nonce`.
    pub fn plan(deployer: Address, nonce: u64, config: RollupConfig) -> Plan {
        let c = config.inbox;
        let at = |i: u64| deployer.create(nonce + i);
        let (inbox, control, math, memory, host, osp, challenges, rollup, outbox) = (
            at(0),
            at(1),
            at(2),
            at(3),
            at(4),
            at(5),
            at(6),
            at(7),
            at(8),
        );
        let with = |code: &[u8], args: Vec<u8>| [code, &args].concat();
        let creations = vec![
            (
                inbox,
                with(
                    &Inbox::BYTECODE,
                    (
                        c.owner,
                        c.sequencer,
                        c.chain_id,
                        c.force_delay,
                        c.min_deposit,
                    )
                        .abi_encode_params(),
                ),
            ),
            (control, ProverControl::BYTECODE.to_vec()),
            (math, ProverMath::BYTECODE.to_vec()),
            (memory, ProverMemory::BYTECODE.to_vec()),
            (host, ProverHost::BYTECODE.to_vec()),
            (
                osp,
                with(
                    &OneStepProver::BYTECODE,
                    (control, math, memory, host).abi_encode_params(),
                ),
            ),
            // The manager and the Rollup name each other: the manager is built for the
            // Rollup's address, whose constructor checks the link back.
            (
                challenges,
                with(
                    &ChallengeManager::BYTECODE,
                    (
                        rollup,
                        osp,
                        inbox,
                        U256::from(config.degree),
                        U256::from(config.clock),
                    )
                        .abi_encode_params(),
                ),
            ),
            (
                rollup,
                with(
                    &Rollup::BYTECODE,
                    (
                        inbox,
                        challenges,
                        config.module_root,
                        config.bond,
                        config.refund,
                        U256::from(config.challenge_period),
                        U256::from(config.module_root_delay),
                        config.escrow,
                        c.owner,
                    )
                        .abi_encode_params(),
                ),
            ),
            (
                outbox,
                with(&Outbox::BYTECODE, (inbox, rollup).abi_encode_params()),
            ),
        ];
        let calls = vec![(inbox, Inbox::setOutboxCall { outbox_: outbox }.abi_encode())];
        Plan {
            deployment: Deployment {
                inbox,
                outbox,
                rollup,
                challenges,
                osp,
                block: 0,
            },
            creations,
            calls,
        }
    }

    /// Deploys the set from the EVM's sender, which must be `config.inbox.owner`.
    pub fn deploy(evm: &mut Evm, config: RollupConfig) -> Result<Deployment, DeployError> {
        let deployer = evm.sender;
        if deployer != config.inbox.owner {
            return Err(DeployError::DeployerNotOwner {
                deployer,
                owner: config.inbox.owner,
            });
        }
        let nonce = evm.nonce(deployer);
        let plan = Deployment::plan(deployer, nonce, config);
        for (index, (planned, code)) in plan.creations.iter().enumerate() {
            let got = evm.deploy(code)?;
            if got != *planned {
                return Err(DeployError::WrongAddress {
                    index,
                    planned: *planned,
                    got,
                });
            }
        }
        for (to, data) in &plan.calls {
            evm.send(deployer, *to, data, U256::ZERO)?;
        }
        Ok(plan.deployment)
    }
}
