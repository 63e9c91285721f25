//! `fuse-l2 node`: the node (sequencer, batch poster, honest validator, JSON-RPC) against an
//! Ethereum JSON-RPC L1. `--deploy` deploys a fresh rollup first and records its addresses in
//! `<data-dir>/deployment.json`; later starts read them from there.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use alloy::signers::local::PrivateKeySigner;
use alloy_primitives::Address;
use anyhow::Context as _;
use fuse_contracts::deploy::{Deployment, RollupConfig};
use serde::{Deserialize, Serialize};

use fuse_l1::rollup::RollupL1;
use fuse_l1::{L1, RpcL1, RpcLimits};
use fuse_node::node::{Node, NodeConfig};
use fuse_sequencer::service::ServiceConfig;

/// Arguments of `fuse-l2 node`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The L1's JSON-RPC URL.
    #[arg(long, env = "FUSE_L1_RPC", hide_env_values = true)]
    pub l1_rpc: String,
    /// The node's L1 key (hex): it posts batches and assertions and pays their gas. Give it in
    /// the environment or as --keystore: a command-line argument is visible in `ps`.
    #[arg(long, env = "FUSE_L1_KEY", hide_env_values = true)]
    pub(crate) key: Option<String>,
    #[command(flatten)]
    pub(crate) keystore: crate::commands::keys::KeystoreArgs,
    /// The node's data directory.
    #[arg(long, env = "FUSE_DATA_DIR")]
    pub(crate) data_dir: PathBuf,
    /// Where the L2 JSON-RPC server listens.
    #[arg(long, env = "FUSE_RPC_ADDR", default_value = "127.0.0.1:8547")]
    pub(crate) rpc_addr: SocketAddr,
    /// Deploy a fresh rollup (the key becomes its owner and sequencer) instead of using the
    /// one recorded in the data directory.
    #[arg(long)]
    pub(crate) deploy: bool,
    /// With --deploy: the L2 chain id.
    #[arg(long, default_value_t = 412_346)]
    pub(crate) chain_id: u64,
    /// With --deploy: seconds before an unchallenged assertion can be confirmed.
    #[arg(long, default_value_t = 3_600)]
    pub(crate) challenge_period: u64,
    /// With --deploy: seconds a forced transaction waits.
    #[arg(long, default_value_t = 3_600)]
    pub(crate) force_delay: u64,
    /// L1 blocks a message waits before it is executed. Default: up to the endpoint's
    /// `finalized` block (64 blocks deep where it has none; a deeper reorg is detected and
    /// undone), or 0 on a development chain (chain id 31337 or 1337: anvil, hardhat, the
    /// devnet's L1).
    #[arg(long)]
    pub(crate) confirmations: Option<u64>,
    /// L1 blocks per `eth_getLogs` request to start with; halved whenever the endpoint
    /// refuses a range (public providers cap it, commonly at 10,000 or 2,000 blocks).
    #[arg(long, env = "FUSE_L1_LOG_BLOCKS", default_value_t = 2_000)]
    pub(crate) l1_log_blocks: u64,
    #[command(flatten)]
    pub(crate) fees: crate::commands::fees::FeeArgs,
    /// Milliseconds between batches.
    #[arg(long, default_value_t = 2_000)]
    pub(crate) batch_interval_ms: u64,
    /// Milliseconds between looks at L1. Default: 4,000 on a public chain (about three
    /// requests a look: a faster pace exhausts a provider's free tier in hours), 500 on a
    /// development chain.
    #[arg(long)]
    pub(crate) poll_ms: Option<u64>,
    /// Serve Prometheus metrics (`GET /metrics`), a health check (`GET /health`) and the
    /// challenges its validator follows (`GET /challenges`, a dispute viewer page each) on
    /// this address, e.g. 127.0.0.1:9100 (docs/guides/operator.md, "Watch it"). Off by
    /// default.
    #[arg(long, env = "FUSE_METRICS_ADDR")]
    pub(crate) metrics_addr: Option<SocketAddr>,
}

/// `<data-dir>/deployment.json`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Recorded {
    inbox: Address,
    outbox: Address,
    rollup: Address,
    challenge_manager: Address,
    one_step_prover: Address,
    /// The L1 block the Inbox was created in (records written before it was kept say 0).
    #[serde(default)]
    deployed_at_block: u64,
}

impl Recorded {
    /// The addresses as the contracts' handles take them.
    pub(crate) fn deployment(&self) -> Deployment {
        Deployment {
            inbox: self.inbox,
            outbox: self.outbox,
            rollup: self.rollup,
            challenges: self.challenge_manager,
            osp: self.one_step_prover,
            block: self.deployed_at_block,
        }
    }
}

/// Refuses to start a validator (alone, or the node's) whose account cannot pay its bond
/// (unless it is staked already) and one worst-case honest dispute at the fee ceiling, or
/// without one at the protocol's stated maximum gas price: it would stake, meet a challenge,
/// and lose it for want of gas (docs/guides/operator.md).
pub(crate) async fn can_afford_a_dispute(
    rollup: &RollupL1<fuse_l1::RpcL1>,
    ceiling: Option<u128>,
) -> anyhow::Result<()> {
    use alloy_primitives::U256;
    use fuse_contracts::deploy::{MAX_GAS_PRICE_WEI, WORST_HONEST_DISPUTE_GAS};
    use fuse_l1::L1;
    let me = rollup.l1.signer();
    let staked = rollup.staker_info(me).await?.staked;
    let bond = if staked {
        U256::ZERO
    } else {
        rollup.bond().await?
    };
    let price = ceiling.unwrap_or(MAX_GAS_PRICE_WEI);
    let dispute = U256::from(u128::from(WORST_HONEST_DISPUTE_GAS).saturating_mul(price));
    let needed = bond.saturating_add(dispute);
    let balance = rollup.l1.balance(me).await?;
    anyhow::ensure!(
        balance >= needed,
        "the account {me} holds {balance} wei and needs {needed}: the bond ({bond} wei{}) \
         plus one worst-case dispute ({WORST_HONEST_DISPUTE_GAS} gas at {} gwei, {}). \
         Fund the account first",
        if staked { ", already staked" } else { "" },
        price / 1_000_000_000,
        if ceiling.is_some() {
            "the fee ceiling"
        } else {
            "the protocol's gas budget"
        }
    );
    Ok(())
}

/// Confirmations on a public chain when none are given: Ethereum's finalized depth.
const PUBLIC_CHAIN_CONFIRMATIONS: u64 = 64;

/// Chain ids of development chains (anvil and hardhat, geth's dev mode), where blocks are
/// mined on demand and never reorganised: waiting for confirmations there would wait forever.
const DEV_CHAIN_IDS: [u64; 2] = [31_337, 1_337];

/// The pace of a look at L1 on a public chain when none is given, in milliseconds.
const PUBLIC_CHAIN_POLL_MS: u64 = 4_000;

/// Where the followers stop on L1 and how often they look.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Pace {
    /// Blocks deep a message must be (where the `finalized` tag is not followed or missing).
    pub(crate) confirmations: u64,
    /// Follow the endpoint's `finalized` block.
    pub(crate) finalized: bool,
    /// Between looks at L1.
    pub(crate) poll: Duration,
}

/// How deep a message must be, and how often L1 is looked at: each as given, or the default
/// for `l1`'s chain — a development chain: 0 blocks, 500 ms; any other: the endpoint's
/// `finalized` block if it answers the tag (else 64 blocks), 4 s.
pub(crate) async fn chain_defaults(
    l1: &RpcL1,
    confirmations: Option<u64>,
    poll_ms: Option<u64>,
) -> anyhow::Result<Pace> {
    let id = l1.chain_id().await?;
    let dev = DEV_CHAIN_IDS.contains(&id);
    let depth = confirmations.unwrap_or(if dev { 0 } else { PUBLIC_CHAIN_CONFIRMATIONS });
    let finalized = confirmations.is_none() && !dev && l1.finalized_block().await?.is_some();
    let poll = poll_ms.unwrap_or(if dev { 500 } else { PUBLIC_CHAIN_POLL_MS });
    let stop = if finalized {
        format!("up to the L1's finalized block ({depth} blocks deep if it stops answering)")
    } else {
        format!("{depth} blocks deep")
    };
    eprintln!(
        "fuse-l2: L1 chain {id}: executing messages {stop} (--confirmations), looking every \
         {poll} ms (--poll-ms)"
    );
    Ok(Pace {
        confirmations: depth,
        finalized,
        poll: Duration::from_millis(poll.max(10)),
    })
}

/// A JSON-RPC L1 signing with `key`, reading logs `log_blocks` blocks at a time at most,
/// paying by `fees`, checked to answer.
pub(crate) async fn connect(
    url: &str,
    key: PrivateKeySigner,
    log_blocks: u64,
    fees: fuse_l1::FeePolicy,
) -> anyhow::Result<RpcL1> {
    let limits = RpcLimits {
        log_blocks,
        ..RpcLimits::default()
    };
    let l1 = RpcL1::connect_with(url, key, limits)?.with_fees(fees);
    l1.head()
        .await
        .with_context(|| format!("cannot reach the L1 at {}", fuse_l1::redact_url(url)))?;
    Ok(l1)
}

/// Runs the command.
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    tokio::runtime::Runtime::new()?.block_on(run_async(args))
}

async fn run_async(args: Args) -> anyhow::Result<ExitCode> {
    let key = crate::commands::keys::load(args.key.as_deref(), &args.keystore)?;
    let fees = args.fees.policy();
    let l1 = connect(&args.l1_rpc, key, args.l1_log_blocks, fees).await?;
    let pace = chain_defaults(&l1, args.confirmations, args.poll_ms).await?;
    let owner = l1.signer();
    std::fs::create_dir_all(&args.data_dir)?;
    let record = args.data_dir.join("deployment.json");
    let rollup = if args.deploy {
        anyhow::ensure!(
            !record.exists(),
            "{} exists: this data directory belongs to a deployed rollup (drop --deploy)",
            record.display()
        );
        eprintln!(
            "fuse-l2 node: deploying the rollup on {}…",
            fuse_l1::redact_url(&args.l1_rpc)
        );
        // A transaction per contract, each waited for: minutes on a public chain.
        let deploy = RollupL1::deploy(
            l1,
            RollupConfig {
                escrow: owner,
                ..RollupConfig::new(
                    owner,
                    args.chain_id,
                    args.force_delay,
                    fuse_prover::guest::module().root,
                    args.challenge_period,
                )
            },
        );
        let rollup = crate::progress::spin("node", "deploying the rollup on L1", deploy).await?;
        let c = rollup.contracts;
        let r = Recorded {
            inbox: c.inbox,
            outbox: c.outbox,
            rollup: c.rollup,
            challenge_manager: c.challenges,
            one_step_prover: c.osp,
            deployed_at_block: c.block,
        };
        // Written whole or not at all: a crash must not leave half a record.
        let tmp = record.with_extension("json.tmp");
        std::fs::write(&tmp, serde_json::to_vec_pretty(&r)?)?;
        std::fs::rename(&tmp, &record)?;
        rollup
    } else {
        let r: Recorded = serde_json::from_slice(&std::fs::read(&record).with_context(|| {
            format!(
                "no {} (start once with --deploy, or copy a deployment record there)",
                record.display()
            )
        })?)
        .with_context(|| format!("{} does not parse", record.display()))?;
        RollupL1::at(l1, r.deployment())
    };
    // The node runs an honest validator with its key.
    can_afford_a_dispute(&rollup, fees.max_fee_per_gas).await?;
    let node = Node::start(
        rollup,
        NodeConfig {
            metrics_addr: args.metrics_addr,
            ..NodeConfig::new(
                args.data_dir.clone(),
                args.rpc_addr,
                ServiceConfig {
                    confirmations: pace.confirmations,
                    finalized: pace.finalized,
                    poll_interval: pace.poll,
                    batch_interval: Duration::from_millis(args.batch_interval_ms.max(10)),
                    ..ServiceConfig::default()
                },
            )
        },
    )
    .await?;
    let i = &node.info;
    // Written without `println!`: a closed stdout (a supervisor that stopped reading) must not
    // bring the node down.
    let mut banner = format!(
        "fuse-l2 node is running\n  L2 JSON-RPC  http://{}\n  L1           {}\n  chain id     {}\n  \
         Inbox        {}\n  Rollup       {}\n  Outbox       {}\n  data         {}\n",
        node.rpc_addr,
        fuse_l1::redact_url(&args.l1_rpc),
        i.chain_id,
        i.inbox,
        i.rollup,
        i.outbox,
        args.data_dir.display()
    );
    if let Some(m) = node.metrics_addr {
        banner.push_str(&format!("  metrics      http://{m}/metrics and /health\n  challenges   http://{m}/challenges (a dispute viewer page each)\n"));
    }
    let mut out = std::io::stdout();
    let _ = out.write_all(banner.as_bytes()).and_then(|()| out.flush());
    tokio::signal::ctrl_c().await?;
    eprintln!("fuse-l2 node: stopping");
    Ok(ExitCode::SUCCESS)
}
