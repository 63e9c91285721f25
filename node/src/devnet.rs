//! A whole rollup in one process: the embedded L1 with the contracts deployed, the sequencer
//! with its store, the loops that drive it, and the JSON-RPC server. `fuse-l2 devnet` runs
//! this; the node's integration tests start the same thing.

use std::net::SocketAddr;
use std::path::PathBuf;

use alloy_primitives::{Address, U256};
use fuse_contracts::deploy::{DEFAULT_BOND_WEI, DEFAULT_DEGREE, Deployment, RollupConfig};
use fuse_contracts::rollup::InboxConfig;
use jsonrpsee::server::ServerHandle;

use crate::l1::rollup::RollupL1;
use crate::l1::{EmbeddedClock, EmbeddedL1, L1};
use crate::rpc::{ChainInfo, RpcContext, serve};
use crate::sequencer::{BatchCaps, Sequencer};
use crate::service::{Service, ServiceConfig};
use crate::store::Store;

/// The L2 chain id of the devnet.
pub const DEVNET_CHAIN_ID: u64 = 412_346;

/// How to start a devnet.
#[derive(Clone, Debug)]
pub struct DevnetConfig {
    /// Where the sequencer's store lives.
    pub data_dir: PathBuf,
    /// Where the JSON-RPC server listens (port 0: any free port).
    pub rpc_addr: SocketAddr,
    pub clock: EmbeddedClock,
    pub service: ServiceConfig,
    /// Seconds a forced transaction waits (short on a devnet).
    pub force_delay: u64,
    /// Seconds before an unchallenged assertion can be confirmed.
    pub challenge_period: u64,
}

/// A running devnet; dropping it stops everything.
pub struct Devnet {
    pub l1: EmbeddedL1,
    pub rollup: RollupL1<EmbeddedL1>,
    pub service: Service<EmbeddedL1>,
    pub rpc_addr: SocketAddr,
    pub info: ChainInfo,
    rpc: ServerHandle,
}

impl Drop for Devnet {
    fn drop(&mut self) {
        let _ = self.rpc.stop();
    }
}

impl Devnet {
    /// Deploys the rollup on a fresh embedded L1 and starts the node over it.
    pub async fn start(config: DevnetConfig) -> anyhow::Result<Devnet> {
        let l1 = EmbeddedL1::new(config.clock);
        let owner = l1.signer();
        let module_root = fuse_prover::guest::module().root;
        let rollup = RollupL1::deploy(
            l1.clone(),
            RollupConfig {
                inbox: InboxConfig {
                    owner,
                    sequencer: owner,
                    chain_id: DEVNET_CHAIN_ID,
                    force_delay: config.force_delay,
                    min_deposit: U256::from(1),
                },
                module_root,
                bond: U256::from(DEFAULT_BOND_WEI),
                challenge_period: config.challenge_period,
                escrow: Address::repeat_byte(0xee),
                degree: DEFAULT_DEGREE,
                clock: config.challenge_period,
            },
        )
        .await?;
        let Deployment {
            inbox,
            outbox,
            rollup: rollup_address,
            challenges,
            osp,
        } = rollup.contracts;
        let info = ChainInfo {
            chain_id: DEVNET_CHAIN_ID,
            inbox,
            outbox,
            rollup: rollup_address,
            challenge_manager: challenges,
            one_step_prover: osp,
            module_root,
        };
        let store = Store::open(&config.data_dir)?;
        let sequencer = Sequencer::open(store, BatchCaps::default())?;
        let service = Service::start(sequencer, rollup.clone(), config.service);
        let (rpc_addr, rpc) = serve(
            config.rpc_addr,
            RpcContext {
                sequencer: service.sequencer.clone(),
                durable: service.durable.clone(),
                info: info.clone(),
            },
        )
        .await?;
        Ok(Devnet {
            l1,
            rollup,
            service,
            rpc_addr,
            info,
            rpc,
        })
    }
}
