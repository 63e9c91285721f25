//! `fuse-l2 replay`: replays dispute vectors against freshly deployed contracts and prints
//! every move; `--record SCENARIO` writes a new vector; `--list` names the scenarios.

use std::path::PathBuf;
use std::process::ExitCode;

use alloy::signers::local::PrivateKeySigner;
use anyhow::Context as _;

use fuse_devnet::replay::replay::{Report, replay, short};
use fuse_devnet::replay::scenarios::SCENARIOS;
use fuse_devnet::replay::vector::{DisputeVector, Side};
use fuse_devnet::replay::{record_scenario, replay_embedded};
use fuse_inspect::html::thousands;
use fuse_l1::{L1, RpcL1};

/// Arguments of `fuse-l2 replay`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Vector files to replay (e.g. test-vectors/disputes/*.json).
    pub(crate) files: Vec<PathBuf>,
    /// Replay on this Ethereum JSON-RPC L1 instead of the embedded one (clocks are then not
    /// compared: a live chain's timestamps cannot be set to the recorded ones).
    #[arg(long, requires_all = ["key", "liar_key"])]
    pub l1_rpc: Option<String>,
    /// With --l1-rpc: the key that deploys and plays the honest side.
    #[arg(long)]
    pub(crate) key: Option<String>,
    /// With --l1-rpc: the key that plays the liar.
    #[arg(long)]
    pub(crate) liar_key: Option<String>,
    /// Record scenario SCENARIO (see --list) instead, to --out.
    #[arg(long, value_name = "SCENARIO", conflicts_with = "files")]
    pub(crate) record: Option<String>,
    /// Where --record writes (default: standard output).
    #[arg(long, requires = "record")]
    pub(crate) out: Option<PathBuf>,
    /// List the scenarios --record knows.
    #[arg(long)]
    pub(crate) list: bool,
    /// Also write the dispute viewer's page (one self-contained HTML file): to OUT for one
    /// vector, to OUT/FILE.html for several, named after each vector's file (OUT is then a
    /// directory, made if missing).
    #[arg(long, value_name = "OUT", conflicts_with_all = ["record", "list"])]
    pub(crate) html: Option<PathBuf>,
}

/// Runs the command.
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    tokio::runtime::Runtime::new()?.block_on(run_async(args))
}

fn key(k: &str) -> anyhow::Result<PrivateKeySigner> {
    crate::commands::keys::parse_hex(k, "the key")
}

async fn run_async(args: Args) -> anyhow::Result<ExitCode> {
    if args.list {
        for (name, what) in SCENARIOS {
            println!("{name:<15} {what}");
        }
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(name) = &args.record {
        eprintln!("recording scenario {name}…");
        let v = crate::progress::spin("recording", name, record_scenario(name)).await?;
        match &args.out {
            Some(path) => {
                std::fs::write(path, v.to_json())
                    .with_context(|| format!("writing {}", path.display()))?;
                eprintln!("wrote {} ({})", path.display(), v.summary());
            }
            None => print!("{}", v.to_json()),
        }
        return Ok(ExitCode::SUCCESS);
    }
    anyhow::ensure!(
        !args.files.is_empty(),
        "name vector files to replay, or --record SCENARIO, or --list"
    );
    let mut failed = 0;
    let bar = crate::progress::steps(args.files.len() as u64, "replaying");
    let mut written = std::collections::BTreeSet::new();
    for path in &args.files {
        bar.set_message(path.display().to_string());
        let v = DisputeVector::read(path)?;
        let report = match &args.l1_rpc {
            None => replay_embedded(&v).await?,
            Some(url) => {
                let (k, lk) = (
                    key(args.key.as_deref().unwrap_or_default())?,
                    key(args.liar_key.as_deref().unwrap_or_default())?,
                );
                let honest = RpcL1::connect(url, k)?;
                let liar = RpcL1::connect(url, lk)?;
                honest
                    .head()
                    .await
                    .with_context(|| format!("cannot reach the L1 at {url}"))?;
                replay(&v, &honest.clone(), honest, liar, false).await?
            }
        };
        bar.suspend(|| print!("{}", table(&v, &report)));
        bar.inc(1);
        if !report.passed() {
            failed += 1;
        }
        if let Some(out) = &args.html {
            let page = if args.files.len() == 1 {
                out.clone()
            } else {
                // Named after the file, never after the vector's own `name`: a vector is
                // input, and its name could climb out of OUT (`../x`) or be an absolute path.
                let stem = path
                    .file_stem()
                    .with_context(|| format!("{} names no file", path.display()))?;
                std::fs::create_dir_all(out)
                    .with_context(|| format!("making {}", out.display()))?;
                let page = out.join(stem).with_extension("html");
                anyhow::ensure!(
                    written.insert(page.clone()),
                    "two vectors would both write {}: give them different file names",
                    page.display()
                );
                page
            };
            let view =
                fuse_devnet::replay::view::view(&v, &path.display().to_string(), Some(&report));
            std::fs::write(&page, fuse_inspect::html::render(&view))
                .with_context(|| format!("writing {}", page.display()))?;
            bar.suspend(|| println!("  viewer page: {}", page.display()));
        }
    }
    bar.finish_and_clear();
    if args.files.len() > 1 {
        println!(
            "{} of {} vectors replayed as recorded",
            args.files.len() - failed,
            args.files.len()
        );
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The move-by-move table and the verdict.
pub(crate) fn table(v: &DisputeVector, r: &Report) -> String {
    let mut t = String::new();
    let mut line = |s: String| {
        t.push_str(&s);
        t.push('\n');
    };
    line(format!("{}: {}", v.name, v.description));
    line(format!(
        "  module {} · {} inbox messages · blocks {}..{} · degree {} · clock {} s · {} challenges · lie at block {} {}",
        short(v.module.root),
        v.inbox.len(),
        v.range.0,
        v.range.1,
        v.params.degree,
        v.params.clock,
        v.challenger.name(),
        v.lie.block,
        v.lie
            .step
            .map_or("(level 1 only)".to_string(), |s| format!("step {s}")),
    ));
    for c in &r.checks {
        line(format!(
            "  {} {:<32} {}",
            if c.ok { "✓" } else { "✗" },
            c.what,
            c.detail
        ));
    }
    line(format!(
        "  {:>5}  {:<6}  {:>5}  {:<13}  {:<27}  {:>4}  {:<23}  {:>9}  {:>7}",
        "round", "party", "level", "move", "segment", "part", "hashes", "gas", "clock"
    ));
    for row in &r.rows {
        let m = &row.record;
        let segment = match (m.start, m.length) {
            (Some(s), Some(l)) => format!("[{s}, {}]", s + l),
            _ => "—".into(),
        };
        let hashes = match (&m.proof, m.hashes.first(), m.hashes.last()) {
            (Some(p), _, _) => format!("{} ⇒ {}", short(p.pre), short(p.proven)),
            (None, Some(a), Some(b)) => format!("{} … {}", short(*a), short(*b)),
            _ => "—".into(),
        };
        line(format!(
            "  {:>5}  {:<6}  {:>5}  {:<13}  {:<27}  {:>4}  {:<23}  {:>9}  {:>5} s  {}",
            m.round,
            m.party.name(),
            m.level.map_or("—".into(), |l| l.to_string()),
            m.kind,
            segment,
            m.index.map_or("—".into(), |i| i.to_string()),
            hashes,
            thousands(row.gas),
            row.clock_left,
            if row.mismatches.is_empty() {
                "✓".to_string()
            } else {
                format!("✗ {}", row.mismatches.join("; "))
            }
        ));
        if let Some(p) = &m.proof {
            line(format!(
                "         one-step proof of step {} `{}` ({}), {} bytes: claimed {}, proven {}",
                p.step,
                p.opcode,
                p.class,
                p.proof.len(),
                short(p.claimed),
                short(p.proven)
            ));
        }
    }
    let per = |s: Side| {
        let rows: Vec<_> = r.rows.iter().filter(|x| x.record.party == s).collect();
        (rows.len(), rows.iter().map(|x| x.gas).sum::<u64>())
    };
    let (hn, hg) = per(Side::Honest);
    let (ln, lg) = per(Side::Liar);
    line(format!(
        "  {} — {} won by {}{} (honest {hn} txs, {} gas; liar {ln} txs, {} gas)",
        if r.passed() { "PASS" } else { "FAIL" },
        v.outcome.winner.name(),
        v.outcome.reason,
        if r.outcome_ok {
            ", as recorded"
        } else {
            ", NOT the recorded winner on L1"
        },
        thousands(hg),
        thousands(lg),
    ));
    line(String::new());
    t
}
