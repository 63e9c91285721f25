//! A node over any L1 with the rollup deployed: the sequencer and its store, the loops that
//! drive it (service.rs) and the JSON-RPC server. `Devnet` starts one on the embedded L1;
//! `fuse-l2 node` and the anvil tests start one on a JSON-RPC L1.

use std::net::SocketAddr;
use std::path::PathBuf;

use jsonrpsee::server::ServerHandle;
use tokio::task::JoinHandle;

use crate::ops::{Watched, stall_limit};
use crate::rpc::{ChainInfo, RpcContext, serve};
use fuse_l1::L1;
use fuse_l1::rollup::RollupL1;
use fuse_sequencer::service::{Service, ServiceConfig};
use fuse_sequencer::store::Store;
use fuse_sequencer::{BatchCaps, Sequencer};
use fuse_validator::{Validator, ValidatorConfig};

/// Where a node keeps its state and serves its API, and how its loops pace themselves.
#[derive(Clone, Debug)]
pub struct NodeConfig {
    /// Where the sequencer's store (and the node's validator's records) live.
    pub data_dir: PathBuf,
    /// Where the JSON-RPC server listens (port 0: any free port).
    pub rpc_addr: SocketAddr,
    /// How the sequencer's loops pace themselves.
    pub service: ServiceConfig,
    /// The validator beside the sequencer (`None`: none, another process validates).
    pub validator: Option<ValidatorConfig>,
    /// Where to serve `/metrics` and `/health` (`None`: nowhere; crate::ops).
    pub metrics_addr: Option<SocketAddr>,
}

impl NodeConfig {
    /// A node keeping its state in `data_dir`, serving on `rpc_addr`, with an honest
    /// validator paced like the service.
    pub fn new(data_dir: PathBuf, rpc_addr: SocketAddr, service: ServiceConfig) -> NodeConfig {
        let mut v = ValidatorConfig::honest("validator", data_dir.clone());
        v.poll_interval = service.poll_interval;
        v.confirmations = service.confirmations;
        v.finalized = service.finalized;
        NodeConfig {
            data_dir,
            rpc_addr,
            service,
            validator: Some(v),
            metrics_addr: None,
        }
    }
}

/// A running node; dropping it stops the loops and the server.
pub struct Node<L> {
    /// The rollup's contracts on the L1, used from the node's signing account.
    pub rollup: RollupL1<L>,
    /// The sequencer and the loops that drive it.
    pub service: Service<L>,
    /// Where the JSON-RPC server listens (the port it bound).
    pub rpc_addr: SocketAddr,
    /// What `fuse_chainInfo` answers.
    pub info: ChainInfo,
    /// Where `/metrics` and `/health` are served (the port it bound), if they are.
    pub metrics_addr: Option<SocketAddr>,
    rpc: ServerHandle,
    validator: Option<JoinHandle<()>>,
    metrics: Option<JoinHandle<()>>,
}

impl<L> Drop for Node<L> {
    fn drop(&mut self) {
        let _ = self.rpc.stop();
        if let Some(v) = &self.validator {
            v.abort();
        }
        if let Some(m) = &self.metrics {
            m.abort();
        }
    }
}

impl<L: L1 + Clone + 'static> Node<L> {
    /// Opens the store and starts the node over the deployed `rollup`.
    pub async fn start(rollup: RollupL1<L>, config: NodeConfig) -> anyhow::Result<Node<L>> {
        let c = rollup.contracts;
        let info = ChainInfo {
            chain_id: rollup.chain_id().await?,
            inbox: c.inbox,
            outbox: c.outbox,
            rollup: c.rollup,
            challenge_manager: c.challenges,
            one_step_prover: c.osp,
            module_root: rollup.module_root().await?,
            deployed_at_block: c.block,
        };
        let store = Store::open(&config.data_dir)?;
        let sequencer = Sequencer::open(store, BatchCaps::default())?;
        let poll = config.service.poll_interval;
        let service = Service::start(sequencer, rollup.clone(), config.service);
        let (validator, health, watched_validator) = match config.validator {
            Some(mut v) => {
                let (tx, rx) = tokio::sync::watch::channel(Default::default());
                v.health = Some(tx);
                let mut v = Validator::new(rollup.clone(), v)?;
                let beats = v.beats();
                // Its pages are served with the metrics, and only then kept.
                let board = config.metrics_addr.map(|_| v.board());
                let task = tokio::spawn(v.run());
                (Some(task), Some(rx.clone()), Some((beats.polls, rx, board)))
            }
            None => (None, None, None),
        };
        let (watched_validator, board) = match watched_validator {
            Some((polls, rx, board)) => (Some((polls, rx)), board),
            None => (None, None),
        };
        let (metrics_addr, metrics) = match config.metrics_addr {
            Some(addr) => {
                let watched = Watched {
                    l1: Some(service.beats.l1.clone()),
                    follower: Some(service.beats.follower.clone()),
                    validator: watched_validator,
                    stall: stall_limit(poll),
                    board,
                };
                let (bound, task) = crate::ops::serve(addr, watched).await?;
                (Some(bound), Some(task))
            }
            None => (None, None),
        };
        let (rpc_addr, rpc) = serve(
            config.rpc_addr,
            RpcContext {
                sequencer: service.sequencer.clone(),
                durable: service.durable.clone(),
                wake: service.wake.clone(),
                separator: fuse_arbos::tx::domain_separator(
                    &mut fuse_exec::env::NodeEnv::new(),
                    &fuse_arbos::tx::Domain {
                        chain_id: info.chain_id,
                        inbox: info.inbox.into(),
                    },
                ),
                info: info.clone(),
                validator: health,
            },
        )
        .await?;
        Ok(Node {
            rollup,
            service,
            rpc_addr,
            info,
            metrics_addr,
            rpc,
            validator,
            metrics,
        })
    }
}
