//! `fuse-l2 devnet`: a whole rollup in one process (embedded L1, contracts, sequencer, batch
//! poster, validator, JSON-RPC), with funded dev accounts, until Ctrl-C or `--exit-after`;
//! with `--liar`, the dispute story (`story.rs`) instead.

mod story;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use alloy::signers::local::PrivateKeySigner;
use alloy_primitives::{U256, hex, keccak256};

use fuse_contracts::evm::Evm;

use fuse_devnet::devnet::{Devnet, DevnetConfig};
use fuse_l1::EmbeddedClock;
use fuse_sequencer::service::{ServiceConfig, lock};

/// Arguments of `fuse-l2 devnet`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Where the L2 JSON-RPC server listens.
    #[arg(long, env = "FUSE_RPC_ADDR", default_value = "127.0.0.1:8547")]
    pub(crate) rpc_addr: SocketAddr,
    /// Where the embedded L1 is served over Ethereum JSON-RPC (for `fuse-l2 wallet deposit |
    /// claim | force`, cast, any wallet).
    #[arg(long, env = "FUSE_L1_RPC_ADDR", default_value = "127.0.0.1:8545")]
    pub l1_rpc_addr: SocketAddr,
    /// The sequencer's data directory. The devnet's L1 lives in memory and starts empty on
    /// every run, so the directory must be new or empty; by default a fresh temporary one.
    #[arg(long, env = "FUSE_DATA_DIR")]
    pub(crate) data_dir: Option<PathBuf>,
    /// Seconds between batches posted to L1.
    #[arg(long, default_value_t = 2)]
    pub(crate) batch_interval: u64,
    /// Seconds before an unchallenged assertion can be confirmed (and its withdrawals
    /// claimed); each side of a challenge has half of it on its clock. Default 60, or 20
    /// with --liar.
    #[arg(long)]
    pub(crate) challenge_period: Option<u64>,
    /// Seconds a transaction forced through the Inbox waits before anyone may include it.
    #[arg(long, default_value_t = 60)]
    pub(crate) force_delay: u64,
    /// Dev accounts to fund on L1 and L2 (100 ETH each on L2, deposited through the Inbox at
    /// start, and 100 ETH each on L1).
    #[arg(long, default_value_t = 3)]
    pub(crate) accounts: u64,
    /// Stop after this many seconds (default: run until Ctrl-C).
    #[arg(long)]
    pub(crate) exit_after: Option<u64>,
    /// Tell the dispute story: a lying validator joins, Alice transfers and withdraws, the
    /// liar asserts a wrong state for the batch, the honest validator takes it down on L1
    /// (every round narrated), and the withdrawal is paid; then exit. The liar lies about the
    /// first batch at step 20,000 unless a `--lie-…` flag says otherwise.
    #[arg(long)]
    pub(crate) liar: bool,
    #[command(flatten)]
    pub(crate) lie: crate::commands::validator::LieArgs,
}

impl Args {
    fn period(&self) -> u64 {
        self.challenge_period
            .unwrap_or(if self.liar { 20 } else { 60 })
    }
}

/// The `i`-th dev key: `keccak256("fuse-l2 devnet key" ‖ i)`, the same on every run.
pub(crate) fn dev_key(i: u64) -> PrivateKeySigner {
    let seed = keccak256([b"fuse-l2 devnet key".as_slice(), &i.to_be_bytes()].concat());
    PrivateKeySigner::from_bytes(&seed).expect("a keccak output is a valid key")
}

const DEV_DEPOSIT_WEI: u128 = 100_000_000_000_000_000_000;
const DEV_L1_WEI: u128 = 100_000_000_000_000_000_000;

/// Runs the command.
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    tokio::runtime::Runtime::new()?.block_on(run_async(args))
}

async fn run_async(args: Args) -> anyhow::Result<ExitCode> {
    let (data_dir, _temp) = match args.data_dir.clone() {
        Some(dir) => {
            if dir.exists() && std::fs::read_dir(&dir)?.next().is_some() {
                anyhow::bail!(
                    "--data-dir {} is not empty; the devnet's L1 starts empty on every run, so \
                     its sequencer must too (give a new directory, or none for a temporary one)",
                    dir.display()
                );
            }
            (dir, None)
        }
        None => {
            // Removed when the devnet stops.
            let t = tempfile::Builder::new()
                .prefix("fuse-l2-devnet-")
                .tempdir()?;
            (t.path().to_path_buf(), Some(t))
        }
    };
    let lie = match args.liar {
        true => Some(args.lie.story_spec()?),
        false => args.lie.spec()?,
    };
    anyhow::ensure!(
        lie.is_none() || args.accounts >= 2,
        "the story needs two dev accounts (--accounts 2 or more)"
    );
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    eprintln!("fuse-l2 devnet: deploying the rollup on the embedded L1…");
    let spinner = crate::progress::spinner("devnet");
    spinner.set_message("deploying the rollup on the embedded L1");
    let d = Devnet::start(DevnetConfig {
        data_dir: data_dir.clone(),
        rpc_addr: args.rpc_addr,
        clock: EmbeddedClock::System,
        service: ServiceConfig {
            batch_interval: Duration::from_secs(args.batch_interval.max(1)),
            poll_interval: Duration::from_millis(200),
            ..ServiceConfig::default()
        },
        force_delay: args.force_delay,
        challenge_period: args.period(),
        l1_rpc_addr: Some(args.l1_rpc_addr),
        narrate: lie.is_some().then(|| tx.clone()),
    })
    .await?;

    let keys: Vec<PrivateKeySigner> = (0..args.accounts).map(dev_key).collect();
    for (i, k) in keys.iter().enumerate() {
        spinner.set_message(format!("funding dev account {} of {}", i + 1, keys.len()));
        d.l1.fund(k.address(), U256::from(DEV_L1_WEI)).await?;
        d.rollup
            .deposit(k.address(), U256::from(DEV_DEPOSIT_WEI))
            .await?;
    }
    spinner.suspend(|| eprintln!("fuse-l2 devnet: waiting for the deposits to reach L2…"));
    for (i, k) in keys.iter().enumerate() {
        spinner.set_message(format!(
            "waiting for the deposits to reach L2 ({i} of {} there)",
            keys.len()
        ));
        let address: [u8; 20] = k.address().into();
        let mut waited = 0;
        while lock(&d.service.sequencer).account(&address, true)?.balance < DEV_DEPOSIT_WEI {
            waited += 1;
            anyhow::ensure!(waited < 300, "the dev deposits did not reach L2 in 30 s");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    spinner.finish_and_clear();
    print_banner(&d, &keys, &data_dir, &args);
    if let Some(lie) = lie {
        return story::run(&d, &keys, lie, &data_dir, tx, rx).await;
    }

    match args.exit_after {
        Some(s) => tokio::time::sleep(Duration::from_secs(s)).await,
        None => tokio::signal::ctrl_c().await?,
    }
    let s = lock(&d.service.sequencer);
    eprintln!(
        "fuse-l2 devnet: stopping ({} messages executed from L1, {} transactions not yet on L1)",
        s.canonical().inbox_position,
        s.pending_count()
    );
    Ok(ExitCode::SUCCESS)
}

/// What the devnet is and what to type next. Written with `writeln!` and errors ignored: a
/// closed stdout must not kill the devnet.
fn print_banner(d: &Devnet, keys: &[PrivateKeySigner], data_dir: &Path, args: &Args) {
    use std::io::Write as _;
    let i = &d.info;
    let rpc = format!("http://{}", d.rpc_addr);
    let l1 = d
        .l1_rpc_addr
        .map(|a| format!("http://{a}"))
        .unwrap_or_default();
    let mut t = String::new();
    let mut line = |s: String| {
        t.push_str(&s);
        t.push('\n');
    };
    line("fuse-l2 devnet is running".into());
    line(format!("  L2 JSON-RPC       {rpc}  (docs/spec/rpc.md)"));
    line(format!(
        "  L1 JSON-RPC       {l1}  (the embedded L1, chain id {})",
        Evm::CHAIN_ID
    ));
    line(format!("  L2 chain id       {}", i.chain_id));
    line(format!("  Inbox             {}", i.inbox));
    line(format!("  Outbox            {}", i.outbox));
    line(format!("  Rollup            {}", i.rollup));
    line(format!("  ChallengeManager  {}", i.challenge_manager));
    line(format!("  OneStepProver     {}", i.one_step_prover));
    line(format!("  module root       {}", i.module_root));
    line(format!("  data directory    {}", data_dir.display()));
    line("  dev accounts (100 ETH each on L1 and on L2):".into());
    for k in keys {
        line(format!(
            "    {}  key 0x{}",
            k.address(),
            hex::encode(k.to_bytes())
        ));
    }
    if let (Some(a), Some(b)) = (keys.first(), keys.get(1)) {
        let key = format!("0x{}", hex::encode(a.to_bytes()));
        line("next, in another terminal:".into());
        line(format!("  export FUSE_RPC={rpc} FUSE_L1_RPC={l1}"));
        line(format!("  fuse-l2 wallet balance {}", a.address()));
        line(format!(
            "  fuse-l2 wallet transfer --key {key} --to {} --amount 1000000000000000000",
            b.address()
        ));
        line("  fuse-l2 wallet status <tx id printed by transfer>".into());
        line(format!(
            "  fuse-l2 wallet deposit --key {key} --amount 1000000000000000000"
        ));
        line(format!(
            "  fuse-l2 wallet withdraw --key {key} --to {} --amount 1000",
            a.address()
        ));
        line(format!(
            "  fuse-l2 wallet claim --key {key} <withdrawal tx id>   (after the {} s challenge \
             period; `wallet proof <id>` shows when it is final)",
            args.period()
        ));
    }
    line(format!(
        "batches go to the embedded L1 every {} s; Ctrl-C stops.",
        args.batch_interval
    ));
    let _ = std::io::stdout().lock().write_all(t.as_bytes());
}
