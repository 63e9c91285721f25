//! `fuse-l2 trace`: the step debugger. The machine at any step of any block — of a dispute
//! vector's inbox, or of a live chain's read from L1 — with the instruction, its function by
//! name, the value stack's top, the locals, memory at an address and the call stack; `--diff A
//! B` shows what changed between two steps.

use std::path::PathBuf;
use std::process::ExitCode;

use alloy::signers::local::PrivateKeySigner;
use anyhow::{Context as _, bail, ensure};
use fuse_devnet::replay::vector::DisputeVector;
use fuse_devnet::replay::view::disputed_block;
use fuse_inspect::chain::Chain;
use fuse_inspect::step::{Change, Functions, MEMORY_SHOWN, StepView, diff};
use fuse_l1::rollup::RollupL1;
use fuse_l1::{L1, RpcL1};

/// Arguments of `fuse-l2 trace`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// A dispute vector (test-vectors/disputes/*.json): its inbox and module are the chain.
    /// Without --block and --step: its disputed block and step.
    #[arg(required_unless_present = "l1_rpc")]
    pub(crate) vector: Option<PathBuf>,
    /// Read the chain's inbox from this Ethereum JSON-RPC L1 instead (with --deployment or
    /// --rpc naming the rollup).
    #[arg(long, conflicts_with = "vector")]
    pub(crate) l1_rpc: Option<String>,
    /// With --l1-rpc: the deployment record a node wrote (`<data dir>/deployment.json`).
    #[arg(long, requires = "l1_rpc")]
    pub(crate) deployment: Option<PathBuf>,
    /// With --l1-rpc: a node's L2 JSON-RPC, asked for the rollup's contracts.
    #[arg(long, requires = "l1_rpc")]
    pub(crate) rpc: Option<String>,
    /// The block: an inbox position (every message is one block).
    #[arg(long)]
    pub(crate) block: Option<u64>,
    /// The step of the block to show (steps run before it).
    #[arg(long, conflicts_with = "diff")]
    pub(crate) step: Option<u64>,
    /// Show what changed from step A to step B instead.
    #[arg(long, num_args = 2, value_names = ["A", "B"])]
    pub(crate) diff: Option<Vec<u64>>,
    /// Memory to show: ADDR or ADDR:LEN (decimal or 0x-hex); by default the bytes the next
    /// instruction loads or stores.
    #[arg(long)]
    pub(crate) memory: Option<String>,
    /// Print JSON (the viewer's step view) instead of text.
    #[arg(long)]
    pub(crate) json: bool,
}

/// Runs the command.
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let memory = args.memory.as_deref().map(parse_memory).transpose()?;
    let (mut chain, default_block, default_step) = match &args.vector {
        Some(path) => vector_chain(path)?,
        None => (l1_chain(&args)?, None, None),
    };
    let block = args
        .block
        .or(default_block)
        .context("name the block: --block N (an inbox position)")?;
    let bar = crate::progress::bar(block, "running the blocks before it");
    chain.start_of(block, &mut |done, _| bar.set_position(done))?;
    bar.finish_and_clear();
    let spinner = crate::progress::spinner("tracing");
    spinner.set_message(format!(
        "block {block} in the stepping machine, with checkpoints"
    ));
    let trace = chain.trace(block, &mut |_, _| {})?;
    spinner.finish_and_clear();
    let names = chain_names(&chain);
    let module = chain.module().clone();
    let fns = Functions::new(&module, names);
    let header = format!(
        "block {block} · {} steps · {}",
        trace.steps(),
        fuse_inspect::step::status_name(trace.status())
    );
    if let Some(ab) = &args.diff {
        let (a, b) = (ab[0], ab[1]);
        let (ma, mb) = (machine_at(&trace, a)?, machine_at(&trace, b)?);
        let changes = diff(&ma, &mb, &fns);
        if args.json {
            println!("{}", serde_json::to_string_pretty(&changes)?);
        } else {
            println!("{header}\nfrom step {a} to step {b}:");
            print!("{}", diff_text(&changes));
        }
        return Ok(ExitCode::SUCCESS);
    }
    let step = args.step.or(default_step).unwrap_or(0);
    let mut m = machine_at(&trace, step)?;
    let view = StepView::of(&mut m, &fns, memory);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&view)?);
    } else {
        println!("{header}");
        print!("{}", step_text(&view));
    }
    Ok(ExitCode::SUCCESS)
}

fn machine_at(trace: &fuse_prover::checkpoints::Trace, t: u64) -> anyhow::Result<fuse_vm::Machine> {
    ensure!(
        t <= fuse_vm::MAX_STEPS,
        "step {t} is past the machine's bound of {} steps",
        fuse_vm::MAX_STEPS
    );
    if t > trace.steps() {
        eprintln!(
            "note: the block halts after {} steps; step {t} shows the halted machine",
            trace.steps()
        );
    }
    Ok(trace.machine_at(t)?)
}

/// The committed guest's names, for a chain that runs it.
fn chain_names(chain: &Chain) -> Option<&'static fuse_prover::names::NameMap> {
    (chain.module().root == fuse_prover::guest::module().root)
        .then(fuse_prover::names::committed)
        .flatten()
}

/// A vector's chain, its disputed block (an inbox position) and the step its proof proved.
fn vector_chain(path: &std::path::Path) -> anyhow::Result<(Chain, Option<u64>, Option<u64>)> {
    let v = DisputeVector::read(path)?;
    let chain = Chain::new(
        v.module.wasm.as_ref().map(|w| w.as_ref()),
        v.inbox.iter().map(|m| m.as_ref()),
    )?;
    ensure!(
        chain.module().root == v.module.root,
        "{} names module root {}, but its module loads as {}",
        path.display(),
        v.module.root,
        chain.module().root
    );
    let block = disputed_block(&v)
        .unwrap_or(v.lie.block)
        .checked_add(v.range.0)
        .with_context(|| format!("{}: its disputed block is past any inbox", path.display()))?;
    let step = v
        .moves
        .iter()
        .find_map(|m| m.proof.as_ref().map(|p| p.step))
        .or(v.lie.step.map(|s| s.saturating_sub(1)));
    Ok((chain, Some(block), step))
}

/// A live chain: every inbox message read from L1.
fn l1_chain(args: &Args) -> anyhow::Result<Chain> {
    let url = args.l1_rpc.as_deref().context("--l1-rpc")?;
    tokio::runtime::Runtime::new()?.block_on(async {
        let contracts =
            crate::commands::validator::contracts(args.deployment.as_deref(), args.rpc.as_deref())
                .await?;
        // Reading only: the key signs nothing.
        let l1 = RpcL1::connect(url, PrivateKeySigner::random())?;
        let head = l1
            .head()
            .await
            .with_context(|| format!("cannot reach the L1 at {}", fuse_l1::redact_url(url)))?;
        let rollup = RollupL1::at(l1, contracts);
        let root = rollup.module_root().await?;
        let guest = fuse_prover::guest::module().root;
        ensure!(
            root == guest,
            "the rollup runs module root {root}, this build's guest is {guest}: trace runs the \
             committed guest only (for another module, record a vector with its wasm)"
        );
        let spinner = crate::progress::spinner("reading the inbox from L1");
        let messages = rollup.messages(0, head.number).await?;
        spinner.finish_and_clear();
        for (i, m) in messages.iter().enumerate() {
            if m.index != i as u64 {
                bail!("the Inbox's events skip from message {i} to {}", m.index);
            }
        }
        let bytes: Vec<Vec<u8>> = messages.iter().map(|m| m.bytes()).collect();
        Chain::new(None, bytes.iter().map(Vec::as_slice))
    })
}

fn parse_number(s: &str) -> anyhow::Result<u32> {
    let s = s.trim();
    let n = match s.strip_prefix("0x") {
        Some(h) => u32::from_str_radix(h, 16),
        None => s.parse(),
    };
    n.with_context(|| format!("{s:?} is not a 32-bit address or length"))
}

/// `ADDR` or `ADDR:LEN`.
fn parse_memory(s: &str) -> anyhow::Result<(u32, u32)> {
    Ok(match s.split_once(':') {
        Some((a, l)) => (parse_number(a)?, parse_number(l)?.min(4096)),
        None => (parse_number(s)?, MEMORY_SHOWN),
    })
}

/// The step view as text, one field a line.
pub(crate) fn step_text(v: &StepView) -> String {
    let mut t = String::new();
    let mut line = |k: &str, val: String| t.push_str(&format!("  {k:<13}{val}\n"));
    line(
        "step",
        format!("{} · {} · hash {}", v.step, v.status, v.hash),
    );
    let fname = |f: &Option<fuse_inspect::model::FunctionView>| match f {
        Some(f) => format!("#{} {}", f.index, f.name.as_deref().unwrap_or("(no name)")),
        None => "(the entry)".into(),
    };
    if let Some(i) = &v.instruction {
        line(
            "instruction",
            format!(
                "pc {} · {} ({}) · a {} · b {}",
                i.pc, i.opcode, i.class, i.a, i.b
            ),
        );
        line("function", fname(&i.function));
    }
    for (n, c) in v.call_stack.iter().enumerate() {
        let k = if n == 0 { "call stack" } else { "" };
        let at = if n == 0 { "at pc" } else { "returns to pc" };
        line(k, format!("{} {at} {}", fname(&c.function), c.pc));
    }
    line(
        "stack",
        format!(
            "{} values; top first: {}",
            v.stack_depth,
            if v.stack_top.is_empty() {
                "—".into()
            } else {
                v.stack_top.join(", ")
            }
        ),
    );
    let locals: Vec<String> = v
        .locals
        .iter()
        .enumerate()
        .map(|(i, x)| format!("{i}: {x}"))
        .collect();
    line(
        "locals",
        format!(
            "{}{}",
            if locals.is_empty() {
                "—".into()
            } else {
                locals.join(", ")
            },
            if v.locals_count > v.locals.len() {
                format!(" (of {})", v.locals_count)
            } else {
                String::new()
            }
        ),
    );
    if let Some(m) = &v.memory {
        line("memory", format!("{:#x}: {}", m.address, spaced(&m.bytes)));
    }
    line("memory size", format!("{} pages", v.memory_pages));
    let g = &v.global_state;
    line(
        "global state",
        format!(
            "inbox position {} · block {} · state root {} · outbox root {}",
            g.inbox_position, g.block_number, g.state_root, g.outbox_root
        ),
    );
    t
}

/// Hex bytes in groups of four.
fn spaced(hex: &str) -> String {
    hex.as_bytes()
        .chunks(8)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A diff as text, one change a line.
pub(crate) fn diff_text(changes: &[Change]) -> String {
    if changes.is_empty() {
        return "  nothing changed\n".into();
    }
    changes
        .iter()
        .map(|c| format!("  {:<28} {} → {}\n", c.what, c.before, c.after))
        .collect()
}
