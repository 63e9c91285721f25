//! A whole rollup in one process: the embedded L1 with the contracts deployed and a [`Node`]
//! over it (the sequencer with its store, the loops, the JSON-RPC server). `fuse-l2 devnet`
//! runs this; the node's integration tests start the same thing.

use std::net::SocketAddr;
use std::path::PathBuf;

use fuse_contracts::deploy::RollupConfig;

use anyhow::Context as _;
use jsonrpsee::server::ServerHandle;
use tokio::sync::mpsc::UnboundedSender;

use fuse_l1::eth_rpc;
use fuse_l1::rollup::RollupL1;
use fuse_l1::{DevClock, EmbeddedClock, EmbeddedL1, L1};
use fuse_node::node::{Node, NodeConfig};
use fuse_sequencer::service::ServiceConfig;
use fuse_validator::Narration;

/// The L2 chain id of the devnet.
pub const DEVNET_CHAIN_ID: u64 = 412_346;

/// How to start a devnet.
#[derive(Clone, Debug)]
pub struct DevnetConfig {
    /// Where the sequencer's store lives.
    pub data_dir: PathBuf,
    /// Where the JSON-RPC server listens (port 0: any free port).
    pub rpc_addr: SocketAddr,
    /// Where the embedded L1's block timestamps come from (the system clock also makes it
    /// mine a block every idle second).
    pub clock: EmbeddedClock,
    /// How the node's sequencer loops pace themselves.
    pub service: ServiceConfig,
    /// Seconds a forced transaction waits (short on a devnet).
    pub force_delay: u64,
    /// Seconds before an unchallenged assertion can be confirmed.
    pub challenge_period: u64,
    /// Where the embedded L1 is served over Ethereum JSON-RPC (port 0: any free port), for
    /// wallets in other processes; `None` keeps it in process only.
    pub l1_rpc_addr: Option<SocketAddr>,
    /// Where the node's validator reports what it does (the devnet's dispute story).
    pub narrate: Option<UnboundedSender<(String, Narration)>>,
}

/// A running devnet: the embedded L1 and a node over it; dropping it stops everything.
pub struct Devnet {
    /// The embedded L1 the rollup is deployed on.
    pub l1: EmbeddedL1,
    /// The node (sequencer, RPC server and validator) over it.
    pub node: Node<EmbeddedL1>,
    /// Where the embedded L1's JSON-RPC endpoint listens, if it is served.
    pub l1_rpc_addr: Option<SocketAddr>,
    l1_rpc: Option<ServerHandle>,
    blocks: Option<tokio::task::JoinHandle<()>>,
}

impl Drop for Devnet {
    fn drop(&mut self) {
        if let Some(h) = &self.l1_rpc {
            let _ = h.stop();
        }
        if let Some(b) = &self.blocks {
            b.abort();
        }
    }
}

/// Mines an empty block whenever a second has passed without one, as a real chain keeps
/// producing blocks: deadlines and clocks on L1 are block timestamps, which would otherwise
/// stand still on an idle devnet (no assertion could ever be confirmed).
async fn produce_blocks(l1: EmbeddedL1) {
    loop {
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        match l1.head().await {
            Ok(h) if h.timestamp < now => {
                if let Err(e) = l1.advance(1).await {
                    tracing::warn!(error = %e, "mining an empty block");
                }
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "reading the L1 head"),
        }
    }
}

impl std::ops::Deref for Devnet {
    type Target = Node<EmbeddedL1>;
    fn deref(&self) -> &Node<EmbeddedL1> {
        &self.node
    }
}

impl Devnet {
    /// Deploys the rollup on a fresh embedded L1 and starts the node over it.
    pub async fn start(config: DevnetConfig) -> anyhow::Result<Devnet> {
        let l1 = EmbeddedL1::new(config.clock);
        let owner = l1.signer();
        let rollup = RollupL1::deploy(
            l1.clone(),
            RollupConfig::new(
                owner,
                DEVNET_CHAIN_ID,
                config.force_delay,
                fuse_prover::guest::module().root,
                config.challenge_period,
            ),
        )
        .await?;
        let mut node_config = NodeConfig::new(config.data_dir, config.rpc_addr, config.service);
        if let Some(v) = node_config.validator.as_mut() {
            v.narrate = config.narrate;
        }
        let node = Node::start(rollup, node_config).await?;
        let (l1_rpc_addr, l1_rpc) = match config.l1_rpc_addr {
            Some(addr) => {
                let (bound, handle) = eth_rpc::serve(l1.clone(), addr)
                    .await
                    .with_context(|| format!("serving the embedded L1 on {addr}"))?;
                (Some(bound), Some(handle))
            }
            None => (None, None),
        };
        let blocks = (config.clock == EmbeddedClock::System)
            .then(|| tokio::spawn(produce_blocks(l1.clone())));
        Ok(Devnet {
            l1,
            node,
            l1_rpc_addr,
            l1_rpc,
            blocks,
        })
    }
}
