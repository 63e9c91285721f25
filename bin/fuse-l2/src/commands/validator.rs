//! `fuse-l2 validator`: a validator alone (no sequencer) against an Ethereum JSON-RPC L1 with
//! the rollup deployed — it follows the Inbox, asserts, confirms and fights challenges. With a
//! `--lie-…` flag it is the lying validator of demos and tests: it posts and defends a wrong
//! claim from a chosen block on. `validator status` and `validator withdraw` are the
//! operator's view of its account (`validator/account.rs`).

mod account;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use fuse_contracts::deploy::Deployment;
use fuse_prover::block::Executor;
use jsonrpsee::core::client::ClientT;
use jsonrpsee::http_client::HttpClientBuilder;
use jsonrpsee::rpc_params;

use fuse_l1::rollup::RollupL1;
use fuse_node::rpc::ChainInfo;
use fuse_validator::health::Health;
use fuse_validator::{LieSpec, Narration, Validator, ValidatorConfig};

/// Where a validator lies (none of them: it is honest).
#[derive(Clone, Debug, Default, clap::Args)]
pub(crate) struct LieArgs {
    /// Lie from the block of this inbox message on: the state after it, and every later one,
    /// is wrong.
    #[arg(long, conflicts_with_all = ["lie_first_batch", "lie_seed"])]
    pub(crate) lie_at_block: Option<u64>,
    /// Lie from the first batch in the first range it asserts that holds one.
    #[arg(long, conflicts_with = "lie_seed")]
    pub(crate) lie_first_batch: bool,
    /// With --lie-at-block or --lie-first-batch: the machine departs at this step of that
    /// block (level 2). Without it only the block's end is wrong (a level-1 lie).
    #[arg(long)]
    pub(crate) lie_at_step: Option<u64>,
    /// Lie at a block and a step drawn from this seed, within the first range it asserts that
    /// holds a batch.
    #[arg(long)]
    pub(crate) lie_seed: Option<u64>,
}

impl LieArgs {
    /// The lie of the devnet's story: the flags', where a step alone means a step of the
    /// story's batch, and with no flag the batch at step 20,000.
    pub(crate) fn story_spec(&self) -> anyhow::Result<LieSpec> {
        let mut flags = self.clone();
        if flags.lie_at_block.is_none() && flags.lie_seed.is_none() {
            flags.lie_first_batch |= flags.lie_at_step.is_some();
        }
        Ok(flags
            .spec()?
            .unwrap_or(LieSpec::FirstBatch { step: Some(20_000) }))
    }

    /// The lie these flags name, if any.
    pub(crate) fn spec(&self) -> anyhow::Result<Option<LieSpec>> {
        let step = self.lie_at_step;
        anyhow::ensure!(
            step.is_none() || self.lie_at_block.is_some() || self.lie_first_batch,
            "--lie-at-step needs --lie-at-block or --lie-first-batch"
        );
        anyhow::ensure!(
            step != Some(0),
            "--lie-at-step starts at 1 (step 0 is the block's start, which both sides share)"
        );
        Ok(
            match (self.lie_at_block, self.lie_first_batch, self.lie_seed) {
                (Some(block), _, _) => Some(LieSpec::At { block, step }),
                (None, true, _) => Some(LieSpec::FirstBatch { step }),
                (None, false, Some(seed)) => Some(LieSpec::Seed(seed)),
                (None, false, None) => None,
            },
        )
    }
}

/// What to do with a validator's account instead of running one.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum Action {
    /// Balance, stake and its assertion, credits, and every open challenge with both clocks
    /// and whose turn it is.
    Status(account::AccountArgs),
    /// Take out what is free: the stake once its assertion is confirmed and no challenge
    /// holds it, and the credits (refunds, winnings).
    Withdraw(account::AccountArgs),
}

/// Arguments of `fuse-l2 validator`.
#[derive(Debug, clap::Args)]
#[command(subcommand_negates_reqs = true)]
pub(crate) struct Args {
    /// Instead of running the validator: look at or withdraw from its account.
    #[command(subcommand)]
    pub(crate) action: Option<Action>,
    /// The L1's JSON-RPC URL.
    #[arg(long, env = "FUSE_L1_RPC", required = true, hide_env_values = true)]
    pub(crate) l1_rpc: Option<String>,
    /// The validator's L1 key (hex): it stakes the bond and pays for its moves. Give it in the
    /// environment or as --keystore: a command-line argument is visible in `ps`.
    #[arg(long, env = "FUSE_VALIDATOR_KEY", hide_env_values = true)]
    pub(crate) key: Option<String>,
    #[command(flatten)]
    pub(crate) keystore: crate::commands::keys::KeystoreArgs,
    /// Where its dispute records live.
    #[arg(long, env = "FUSE_DATA_DIR", required = true)]
    pub(crate) data_dir: Option<PathBuf>,
    /// The rollup's addresses from a node's deployment record (`<node data dir>/
    /// deployment.json`)…
    #[arg(long, conflicts_with = "rpc")]
    pub(crate) deployment: Option<PathBuf>,
    /// …or from a node's L2 JSON-RPC (`fuse_chainInfo`), e.g. the devnet's.
    #[arg(long, env = "FUSE_RPC")]
    pub(crate) rpc: Option<String>,
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
    /// Milliseconds between looks at L1. Default: 4,000 on a public chain (about three
    /// requests a look: a faster pace exhausts a provider's free tier in hours), 500 on a
    /// development chain.
    #[arg(long)]
    pub(crate) poll_ms: Option<u64>,
    /// Serve Prometheus metrics (`GET /metrics`), a health check (`GET /health`) and the
    /// challenges it follows (`GET /challenges`, a dispute viewer page each) on this address,
    /// e.g. 127.0.0.1:9101 (docs/guides/operator.md, "Watch it"). Off by default.
    #[arg(long, env = "FUSE_METRICS_ADDR")]
    pub(crate) metrics_addr: Option<std::net::SocketAddr>,
    /// The wasm of a guest the chain may move to after a block that cannot finish
    /// (repeatable): once a STUCK claim is confirmed and the family under it runs this
    /// guest's module root, the validator re-runs the stuck range in it and goes on, instead
    /// of exiting halted.
    #[arg(long = "next-guest", value_name = "WASM")]
    pub(crate) next_guests: Vec<PathBuf>,
    #[command(flatten)]
    pub(crate) lie: LieArgs,
}

/// Runs the command until interrupted.
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    tokio::runtime::Runtime::new()?.block_on(run_async(args))
}

/// The rollup's contracts, from a deployment record or a node's `fuse_chainInfo`.
pub(crate) async fn contracts(
    deployment: Option<&std::path::Path>,
    rpc: Option<&str>,
) -> anyhow::Result<Deployment> {
    if let Some(path) = deployment {
        let r: crate::commands::node::Recorded = serde_json::from_slice(
            &std::fs::read(path).with_context(|| format!("reading {}", path.display()))?,
        )
        .with_context(|| format!("{} does not parse", path.display()))?;
        return Ok(r.deployment());
    }
    let url =
        rpc.context("name the rollup: --deployment FILE or --rpc URL (a node's L2 JSON-RPC)")?;
    let c = HttpClientBuilder::default()
        .request_timeout(Duration::from_secs(30))
        .build(url)
        .with_context(|| format!("bad --rpc URL {url:?}"))?;
    let i: ChainInfo = c
        .request("fuse_chainInfo", rpc_params![])
        .await
        .with_context(|| format!("asking {url} for fuse_chainInfo"))?;
    Ok(i.deployment())
}

async fn run_async(mut args: Args) -> anyhow::Result<ExitCode> {
    match args.action.take() {
        Some(Action::Status(a)) => return account::status(a).await,
        Some(Action::Withdraw(a)) => return account::withdraw(a).await,
        None => {}
    }
    // Required by clap when no subcommand is given.
    let l1_rpc = args.l1_rpc.clone().context("--l1-rpc")?;
    let data_dir = args.data_dir.clone().context("--data-dir")?;
    let lie = args.lie.spec()?;
    let key = crate::commands::keys::load(args.key.as_deref(), &args.keystore)?;
    let fees = args.fees.policy();
    let l1 = crate::commands::node::connect(&l1_rpc, key, args.l1_log_blocks, fees).await?;
    let pace = crate::commands::node::chain_defaults(&l1, args.confirmations, args.poll_ms).await?;
    let rollup = RollupL1::at(
        l1,
        contracts(args.deployment.as_deref(), args.rpc.as_deref()).await?,
    );
    crate::commands::node::can_afford_a_dispute(&rollup, fees.max_fee_per_gas).await?;
    let mut next = Vec::new();
    for path in &args.next_guests {
        let wasm = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let guest = Executor::new(&wasm)
            .with_context(|| format!("{} is not a guest this machine runs", path.display()))?;
        next.push(std::sync::Arc::new(guest));
    }
    let theirs = rollup.module_root().await?;
    let ours = fuse_prover::guest::module().root;
    anyhow::ensure!(
        theirs == ours || next.iter().any(|g| g.module().root == theirs),
        "the rollup runs module {theirs}, this binary's guest is {ours} (and no --next-guest \
         has it): it cannot validate that chain"
    );
    let waits_for_next = !next.is_empty();
    let name = if lie.is_some() { "liar" } else { "validator" };
    let mut config = ValidatorConfig::honest(name, data_dir.clone());
    config.poll_interval = pace.poll;
    config.confirmations = pace.confirmations;
    config.finalized = pace.finalized;
    config.lie = lie;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    config.narrate = Some(tx);
    let (health_tx, mut health) = tokio::sync::watch::channel(Health::default());
    config.health = Some(health_tx);
    let mut v = Validator::new(rollup, config)?.with_next_guests(next);
    eprintln!(
        "fuse-l2 validator {} ({}) on {}{}",
        v.address(),
        name,
        fuse_l1::redact_url(&l1_rpc),
        lie.map(|l| format!(", lying: {l:?}")).unwrap_or_default()
    );
    if let Some(addr) = args.metrics_addr {
        let beats = v.beats();
        let watched = fuse_node::ops::Watched {
            l1: Some(beats.l1),
            follower: None,
            validator: Some((beats.polls, health.clone())),
            stall: fuse_node::ops::stall_limit(pace.poll),
            board: Some(v.board()),
        };
        let (bound, _) = fuse_node::ops::serve(addr, watched).await?;
        eprintln!(
            "fuse-l2 validator: metrics on http://{bound}/metrics and /health, its challenges on http://{bound}/challenges"
        );
    }
    let task = tokio::spawn(v.run());
    let code = loop {
        tokio::select! {
            n = rx.recv() => match n {
                Some((_, n)) => println!("{}", describe(&n)),
                None => break ExitCode::SUCCESS,
            },
            Ok(()) = health.changed() => {
                if let Health::Halted { reason } = &*health.borrow() {
                    eprintln!("fuse-l2 validator: HALTED — it cannot extend the chain: {reason}");
                    // With a next guest the halt may be the wait for its module root.
                    if !waits_for_next {
                        break ExitCode::from(EXIT_HALTED);
                    }
                }
            }
            _ = tokio::signal::ctrl_c() => break ExitCode::SUCCESS,
        }
    };
    task.abort();
    eprintln!("fuse-l2 validator: stopping");
    Ok(code)
}

/// The exit code of `fuse-l2 validator` when it cannot extend the chain (docs/validator.md,
/// "The halted-chain alarm").
pub(crate) const EXIT_HALTED: u8 = 3;

/// One line for a [`Narration`].
pub(crate) fn describe(n: &Narration) -> String {
    match n {
        Narration::Asserted {
            id,
            parent,
            position,
            lying,
        } => format!(
            "asserted #{id} (after #{parent}) over messages up to {position}{}",
            if *lying { " — a wrong state" } else { "" }
        ),
        Narration::AssertedStuck {
            id,
            parent,
            position,
        } => format!(
            "asserted #{id} (after #{parent}): block {position} cannot finish (STUCK); the \
             chain goes on only under a new module root"
        ),
        Narration::StakedOn { id } => format!("staked on #{id} (it claims what we computed)"),
        Narration::Unstaked { from } => {
            format!("took the bond back from #{from} (the chain was confirmed past it)")
        }
        Narration::Confirmed { id, position } => {
            format!("confirmed #{id}: messages before {position} are final")
        }
        Narration::Rejected { id } => format!("rejected #{id} (nobody stands behind it)"),
        Narration::ChallengeOpened {
            id,
            x,
            y,
            opponent,
            blocks,
        } => {
            format!("challenge {id}: #{x} against #{y} over {blocks} block(s), opponent {opponent}")
        }
        Narration::Moved {
            id,
            name,
            level,
            start,
            length,
            index,
            gas,
            clock_left,
        } => format!(
            "challenge {id}: {name} on level {level}, segment [{start}, {}] part {index} — {gas} gas, {clock_left} s left",
            start + length
        ),
        Narration::OutOfMoves { id, step } => format!(
            "challenge {id}: no move left — step {step} goes where the opponent said; waiting for the clock"
        ),
        Narration::TimedOut { id, loser } => {
            format!("challenge {id}: {loser} ran out of time")
        }
        Narration::Forfeited { id } => {
            format!("challenge {id}: forfeited (the opponent lost elsewhere)")
        }
        Narration::Ended { id, won, reason } => format!(
            "challenge {id}: {} by {reason}",
            if *won { "won" } else { "lost" }
        ),
        Narration::Withdrew { wei } => format!("withdrew {wei} wei of winnings"),
    }
}
