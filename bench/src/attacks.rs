//! `fuse-l2 bench attacks`: every attacker strategy of `validator::attacks` against the real
//! honest validator, with 1, 4 and 16 attacker bonds (docs/benchmarks.md). For each: the
//! honest assertion's delay from its family's first child against the bound (`T + C` plus
//! the honest side's latency), the honest side's L1 transactions and gas, what it was
//! refunded, what the attacker lost, and the resource ratio — the attacker's loss over the
//! honest side's gas beyond the no-attack baseline, priced at the stated maximum gas price.
//! It measures and reports; the test command plays the same strategies and asserts.

use alloy_primitives::U256;
use serde_json::{Value, json};

use fuse_devnet::attacks::{Attack, Report, play};

use super::progress::Progress;

/// Arguments of `fuse-l2 bench attacks`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Attacker bond counts to play each strategy with.
    #[arg(long, value_delimiter = ',', default_values_t = vec![1, 4, 16])]
    pub bonds: Vec<usize>,
    /// Only these strategies (default: all).
    #[arg(long, value_delimiter = ',')]
    pub attacks: Vec<Attack>,
}

/// Wei as ETH with three decimals, for the table.
fn eth(wei: U256) -> String {
    let milli: u128 = (wei / U256::from(10u128.pow(15))).saturating_to();
    format!("{}.{:03}", milli / 1000, milli % 1000)
}

/// The attacker's loss over the honest side's extra cost (`None` if it cost nothing).
pub fn ratio(r: &Report, baseline_gas: u64) -> Option<f64> {
    let cost = r.honest_cost(baseline_gas);
    (cost > U256::ZERO).then(|| {
        let loss: u128 = r.attacker_loss.saturating_to();
        let cost: u128 = cost.saturating_to();
        loss as f64 / cost as f64
    })
}

/// Plays the no-attack baseline and every chosen strategy at each bond count, and prints the
/// table (or the JSON object).
pub fn run(args: Args) -> anyhow::Result<()> {
    let attacks: Vec<Attack> = if args.attacks.is_empty() {
        Attack::ALL.to_vec()
    } else {
        args.attacks.clone()
    };
    tokio::runtime::Runtime::new()?.block_on(async {
        let dir = tempfile::tempdir()?;
        let played: Vec<Attack> = attacks
            .iter()
            .copied()
            .filter(|a| *a != Attack::None)
            .collect();
        let p = Progress::new("attacks", 1 + (played.len() * args.bonds.len()) as u64);
        p.stage("the honest validator alone");
        let baseline = play(Attack::None, 0, &dir.path().join("baseline")).await?;
        let mut rows = Vec::new();
        for a in &played {
            for &n in &args.bonds {
                let path = dir.path().join(format!("{a:?}-{n}"));
                let what = format!("{a:?} with {n} bond(s)");
                if args.json {
                    p.stage(what);
                } else {
                    p.announce(what);
                }
                rows.push(play(*a, n, &path).await?);
            }
        }
        drop(p);
        let row = |r: &Report| -> Value {
            let cost = r.honest_cost(baseline.honest_gas);
            json!({
                "report": r,
                "honestCostWei": cost.to_string(),
                "ratio": ratio(r, baseline.honest_gas),
                "repaid": r.honest_refunds >= cost,
                "withinBound": r.delay <= r.bound,
            })
        };
        let out = json!({
            "machine": super::machine_info(),
            "baseline": baseline,
            "runs": rows.iter().map(row).collect::<Vec<_>>(),
        });
        if args.json {
            println!("{}", serde_json::to_string_pretty(&out)?);
            return Ok(());
        }
        println!(
            "bench attacks: the honest validator alone needs {} L1 txs, {} gas; T + C + latency = {} s",
            baseline.honest_txs, baseline.honest_gas, baseline.bound
        );
        println!(
            "{:<20} {:>5} {:>9} {:>7} {:>10} {:>11} {:>10} {:>10} {:>7} {:>7}",
            "attack", "bonds", "delay s", "txs", "gas", "extra ETH*", "refunded", "att. loss", "ratio", "won"
        );
        for r in &rows {
            let cost = r.honest_cost(baseline.honest_gas);
            println!(
                "{:<20} {:>5} {:>9} {:>7} {:>10} {:>11} {:>10} {:>10} {:>7} {:>7}",
                format!("{:?}", r.attack),
                r.bonds,
                r.delay,
                r.honest_txs,
                r.honest_gas,
                eth(cost),
                eth(r.honest_refunds),
                eth(r.attacker_loss),
                ratio(r, baseline.honest_gas).map_or("-".into(), |x| format!("{x:.1}")),
                r.honest_won_all
            );
        }
        println!("* the honest side's gas beyond the baseline, at 1,000 gwei");
        Ok(())
    })
}
