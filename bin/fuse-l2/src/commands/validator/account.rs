//! `fuse-l2 validator status` and `fuse-l2 validator withdraw`: a validator's account on L1 as
//! an operator needs it — balance, stake and the assertion under it, credits, and every open
//! challenge it is in with both clocks and whose turn it is — and taking out what is free (the
//! stake once its assertion is confirmed and no challenge holds it, and the credits).

use std::path::PathBuf;
use std::process::ExitCode;

use alloy::signers::local::PrivateKeySigner;
use alloy_primitives::{Address, U256};
use anyhow::Context as _;
use fuse_l1::L1;
use fuse_l1::RpcL1;
use fuse_l1::rollup::{CONFIRMED, PENDING, REJECTED, RollupL1};
use fuse_validator::view::RollupView;
use serde_json::{Value, json};

use crate::commands::keys::{self, KeystoreArgs};

/// Arguments of `validator status` and `validator withdraw`.
#[derive(Debug, clap::Args)]
pub(crate) struct AccountArgs {
    /// The L1's JSON-RPC URL.
    #[arg(long, env = "FUSE_L1_RPC", hide_env_values = true)]
    pub(crate) l1_rpc: String,
    /// The validator's L1 key (hex; `withdraw` signs with it, `status` reads its address).
    #[arg(long, env = "FUSE_VALIDATOR_KEY", hide_env_values = true)]
    pub(crate) key: Option<String>,
    #[command(flatten)]
    pub(crate) keystore: KeystoreArgs,
    /// `status` only: the validator's address, instead of a key.
    #[arg(long)]
    pub(crate) address: Option<Address>,
    /// The rollup's addresses from a node's deployment record…
    #[arg(long, conflicts_with = "rpc")]
    pub(crate) deployment: Option<PathBuf>,
    /// …or from a node's L2 JSON-RPC (`fuse_chainInfo`).
    #[arg(long, env = "FUSE_RPC")]
    pub(crate) rpc: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub(crate) json: bool,
}

/// The rollup as `who` sees it, signing with `key`.
async fn open(a: &AccountArgs, key: PrivateKeySigner) -> anyhow::Result<RollupL1<RpcL1>> {
    let contracts = super::contracts(a.deployment.as_deref(), a.rpc.as_deref()).await?;
    let l1 = crate::commands::node::connect(&a.l1_rpc, key, 2_000, fuse_l1::FeePolicy::default())
        .await?;
    Ok(RollupL1::at(l1, contracts))
}

fn status_name(s: u8) -> &'static str {
    match s {
        PENDING => "pending",
        CONFIRMED => "confirmed",
        REJECTED => "rejected",
        _ => "unknown",
    }
}

/// What `status` reports, as JSON (the text form prints the same fields).
async fn report(rollup: &RollupL1<RpcL1>, who: Address) -> anyhow::Result<Value> {
    let head = rollup.l1.head().await?;
    let mut view = RollupView::default();
    view.update(rollup)
        .await
        .context("reading the rollup's events")?;
    let s = rollup.staker_info(who).await?;
    let stake = if s.staked {
        // From the Rollup's storage, not the event index: the same conditions
        // `withdrawStake` checks.
        let status = rollup.assertion(s.current).await?.status;
        json!({
            "assertion": s.current,
            "status": status_name(status),
            "bond": rollup.bond().await?.to_string(),
            "openChallenges": s.open_challenges,
            "withdrawable": status == CONFIRMED && s.open_challenges == 0,
        })
    } else {
        Value::Null
    };
    let mut challenges = Vec::new();
    for (id, c) in &view.challenges {
        if c.ended.is_some() || (c.challenger != who && c.defender != who) {
            continue;
        }
        let st = rollup.challenge_state(*id).await?;
        let (mine, theirs) = if c.challenger == who {
            (st.challenger_left, st.defender_left)
        } else {
            (st.defender_left, st.challenger_left)
        };
        challenges.push(json!({
            "id": id,
            "role": if c.challenger == who { "challenger" } else { "defender" },
            "opponent": if c.challenger == who { c.defender } else { c.challenger },
            "assertions": [c.x, c.y],
            "moves": c.segments.len(),
            "turn": if st.mover == who { "ours" } else { "theirs" },
            "secondsLeft": { "ours": mine, "theirs": theirs },
        }));
    }
    Ok(json!({
        "validator": who,
        "l1Block": head.number,
        "l1Time": head.timestamp,
        "balance": rollup.l1.balance(who).await?.to_string(),
        "stake": stake,
        "removed": s.removed,
        "credits": rollup.credits(who).await?.to_string(),
        "challenges": challenges,
    }))
}

fn print_text(r: &Value) {
    println!(
        "validator {} at L1 block {} (time {})",
        r["validator"], r["l1Block"], r["l1Time"]
    );
    println!("  balance  {} wei", r["balance"].as_str().unwrap_or("?"));
    match &r["stake"] {
        Value::Null => println!("  stake    none"),
        s => println!(
            "  stake    {} wei on assertion {} ({}), in {} open challenge(s){}",
            s["bond"].as_str().unwrap_or("?"),
            s["assertion"],
            s["status"].as_str().unwrap_or("unknown"),
            s["openChallenges"],
            if s["withdrawable"] == true {
                "; withdrawable"
            } else {
                ""
            }
        ),
    }
    println!("  credits  {} wei", r["credits"].as_str().unwrap_or("?"));
    let open = r["challenges"].as_array().map_or(0, Vec::len);
    println!("  open challenges: {open}");
    for c in r["challenges"].as_array().into_iter().flatten() {
        println!(
            "    #{} as {} against {}: {} turn, {} moves, clocks ours {} s / theirs {} s",
            c["id"],
            c["role"].as_str().unwrap_or("?"),
            c["opponent"],
            c["turn"].as_str().unwrap_or("?"),
            c["moves"],
            c["secondsLeft"]["ours"],
            c["secondsLeft"]["theirs"]
        );
    }
}

/// `validator status`.
pub(crate) async fn status(a: AccountArgs) -> anyhow::Result<ExitCode> {
    let (key, who) = match (a.address, a.key.as_deref(), &a.keystore.keystore) {
        // Read-only: the handle's key never signs.
        (Some(addr), None, None) => (PrivateKeySigner::random(), addr),
        (Some(_), _, _) => anyhow::bail!("give --address or a key, not both"),
        (None, hex, _) => {
            let k = keys::load(hex, &a.keystore)?;
            let who = k.address();
            (k, who)
        }
    };
    let rollup = open(&a, key).await?;
    let r = report(&rollup, who).await?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&r)?);
    } else {
        print_text(&r);
    }
    Ok(ExitCode::SUCCESS)
}

/// `validator withdraw`: the stake if it is free, then the credits if there are any.
pub(crate) async fn withdraw(a: AccountArgs) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        a.address.is_none(),
        "withdraw signs: give the key, not --address"
    );
    let key = keys::load(a.key.as_deref(), &a.keystore)?;
    let who = key.address();
    let rollup = open(&a, key).await?;
    let r = report(&rollup, who).await?;
    let mut did = false;
    if r["stake"]["withdrawable"] == true {
        let rc = rollup
            .withdraw_stake()
            .await
            .context("withdrawing the stake")?;
        println!(
            "stake withdrawn ({} wei) in L1 tx {}",
            r["stake"]["bond"].as_str().unwrap_or("?"),
            rc.tx_hash
        );
        did = true;
    } else if !r["stake"].is_null() {
        println!(
            "stake not withdrawable yet: its assertion is {} and {} challenge(s) are open",
            r["stake"]["status"].as_str().unwrap_or("unknown"),
            r["stake"]["openChallenges"]
        );
    }
    let credits: U256 = r["credits"]
        .as_str()
        .unwrap_or("0")
        .parse()
        .unwrap_or_default();
    if credits > U256::ZERO {
        let rc = rollup
            .withdraw_funds()
            .await
            .context("withdrawing the credits")?;
        println!("credits withdrawn ({credits} wei) in L1 tx {}", rc.tx_hash);
        did = true;
    }
    if !did {
        println!("nothing to withdraw");
    }
    Ok(ExitCode::SUCCESS)
}
