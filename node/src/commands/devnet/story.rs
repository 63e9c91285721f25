//! `fuse-l2 devnet --liar`: the whole dispute story in one process, narrated. Over the running
//! devnet (embedded L1, sequencer, honest validator) a lying validator with its own L1 account
//! and bond joins; Alice transfers to Bob and withdraws to L1; the batch is posted; the liar
//! asserts a wrong state for it; the honest validator challenges (or is challenged), and the two
//! play every round of both levels to a one-step proof on L1 or the liar's timeout; the liar is
//! slashed, its assertion rejected, the honest one confirmed; the transactions become
//! `FINALIZED` and Alice's withdrawal is paid by the Outbox on L1.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use alloy::signers::local::PrivateKeySigner;
use alloy_primitives::{Address, U256, hex};
use anyhow::{Context as _, bail};
use fuse_arbos::tx::{Domain, KIND_TRANSFER, KIND_WITHDRAW};
use jsonrpsee::core::client::ClientT;
use jsonrpsee::http_client::{HttpClient, HttpClientBuilder};
use jsonrpsee::rpc_params;
use serde_json::{Value, json};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};

use super::dev_key;
use crate::commands::validator::describe;
use crate::devnet::Devnet;
use crate::l1::L1;
use crate::l1::rollup::{RollupL1, WithdrawalClaim};
use crate::validator::{LieSpec, Narration, Validator, ValidatorConfig};
use crate::wallet::sign;

/// What a validator did, with its name.
type Named = (String, Narration);

/// The story gives up after this long.
const STORY_LIMIT: Duration = Duration::from_secs(180);

/// Plays the story on `d`; `keys` are the funded dev accounts (Alice and Bob are the first
/// two), `rx` receives what both validators do, `tx` is where the liar reports.
pub async fn run(
    d: &Devnet,
    keys: &[PrivateKeySigner],
    lie: LieSpec,
    data_dir: &Path,
    tx: UnboundedSender<Named>,
    mut rx: UnboundedReceiver<Named>,
) -> anyhow::Result<ExitCode> {
    let t0 = Instant::now();
    let say = |who: &str, what: String| {
        println!("[{:>5.1} s] {who:<9} {what}", t0.elapsed().as_secs_f64());
    };
    let (alice, bob) = (&keys[0], &keys[1]);

    // The liar: its own account, bond and records.
    let liar_key = dev_key(u64::MAX);
    d.l1.fund(liar_key.address(), U256::from(100u128 * 10u128.pow(18)))
        .await?;
    let mut config = ValidatorConfig::honest("liar", data_dir.join("liar"));
    config.poll_interval = Duration::from_millis(200);
    config.lie = Some(lie);
    config.narrate = Some(tx);
    let liar_rollup = RollupL1::at(d.l1.as_account(liar_key.address()), d.rollup.contracts);
    let liar = Validator::new(liar_rollup, config)?;
    let liar_address = liar.address();
    let liar_task = tokio::spawn(liar.run());
    say(
        "story",
        format!(
            "a lying validator {liar_address} joins ({lie:?}); the honest validator is {}",
            d.rollup.l1.signer()
        ),
    );

    let c = HttpClientBuilder::default()
        .request_timeout(Duration::from_secs(30))
        .build(format!("http://{}", d.rpc_addr))?;
    let domain = Domain {
        chain_id: d.info.chain_id,
        inbox: d.info.inbox.into(),
    };
    let transfer = send(
        &c,
        alice,
        &domain,
        KIND_TRANSFER,
        bob.address(),
        10u128.pow(18),
        0,
    )
    .await?;
    say(
        "alice",
        format!("sends 1 ETH to Bob: tx {transfer} is PENDING"),
    );
    let withdrawal = send(
        &c,
        alice,
        &domain,
        KIND_WITHDRAW,
        alice.address(),
        5 * 10u128.pow(17),
        1,
    )
    .await?;
    say(
        "alice",
        format!("withdraws 0.5 ETH to her L1 address: tx {withdrawal} is PENDING"),
    );

    let mut statuses: BTreeMap<String, String> = BTreeMap::new();
    let mut gas: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    let mut liar_lost = false;
    let mut last_beat = Instant::now();
    loop {
        if t0.elapsed() > STORY_LIMIT {
            liar_task.abort();
            bail!("the story did not end within {} s", STORY_LIMIT.as_secs());
        }
        while let Ok((who, n)) = rx.try_recv() {
            if let Narration::Moved { gas: g, .. } = &n {
                let e = gas.entry(who.clone()).or_default();
                e.0 += 1;
                e.1 += g;
            }
            if let Narration::Ended { won: false, .. } = &n
                && who == "liar"
            {
                liar_lost = true;
            }
            say(&who, describe(&n));
        }
        for (label, id) in [("transfer", &transfer), ("withdrawal", &withdrawal)] {
            let v: Value = c
                .request("fuse_getTransactionStatus", rpc_params![id])
                .await?;
            let s = v["status"].as_str().unwrap_or("?").to_string();
            if statuses.get(label) != Some(&s) {
                let detail = match (v.get("batch"), v.get("l1Tx")) {
                    (Some(b), Some(t)) => format!(" (batch {b}, L1 tx {t})"),
                    _ => String::new(),
                };
                say("sequencer", format!("{label} is {s}{detail}"));
                statuses.insert(label.to_string(), s);
            }
        }
        let final_ = statuses.get("withdrawal").map(String::as_str) == Some("FINALIZED");
        if final_ && liar_lost {
            break;
        }
        if last_beat.elapsed() > Duration::from_secs(5) {
            last_beat = Instant::now();
            let waiting = if liar_lost {
                "the honest assertion's challenge period"
            } else {
                "the dispute"
            };
            say("story", format!("… waiting for {waiting}"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    liar_task.abort();

    // Alice claims her withdrawal on L1 with the proof against the confirmed outbox root.
    let claim: WithdrawalClaim = c
        .request("fuse_getWithdrawalProof", rpc_params![&withdrawal])
        .await
        .context("fetching the withdrawal proof")?;
    let alice_l1 = RollupL1::at(d.l1.as_account(alice.address()), d.rollup.contracts);
    let before = alice_l1.l1.balance(alice.address()).await?;
    let receipt = alice_l1.withdraw(&claim).await?;
    let after = alice_l1.l1.balance(alice.address()).await?;
    say(
        "alice",
        format!(
            "claims the withdrawal on L1 (Outbox, proof against assertion #{}'s outbox root): \
             +{} wei, L1 tx {}",
            claim.assertion,
            after - before,
            receipt.tx_hash
        ),
    );
    let again = alice_l1.withdraw(&claim).await;
    say(
        "alice",
        format!(
            "claims it again: {}",
            match again {
                Ok(_) => "PAID TWICE (a bug)".to_string(),
                Err(e) => format!("refused ({e})"),
            }
        ),
    );
    anyhow::ensure!(
        after - before == U256::from(5 * 10u128.pow(17)),
        "the claim paid {}",
        after - before
    );

    let liar_stake = d.rollup.staker_info(liar_address).await?;
    anyhow::ensure!(
        !liar_stake.staked,
        "the liar still has a stake: {liar_stake:?}"
    );
    let bond = d.rollup.bond().await?;
    println!(
        "\nthe story in figures ({:.1} s):",
        t0.elapsed().as_secs_f64()
    );
    for (who, (moves, g)) in &gas {
        println!("  {who:<9} {moves} challenge moves, {g} gas");
    }
    println!(
        "  the liar's bond of {bond} wei was slashed: half to the honest validator, half to the escrow"
    );
    println!("  transfer and withdrawal FINALIZED; the withdrawal paid on L1 once");
    Ok(ExitCode::SUCCESS)
}

/// Sends a signed transaction to the devnet's sequencer; returns its id.
async fn send(
    c: &HttpClient,
    key: &PrivateKeySigner,
    domain: &Domain,
    kind: u8,
    to: Address,
    amount: u128,
    nonce: u64,
) -> anyhow::Result<String> {
    let t = sign(key, domain, kind, to.into(), amount, nonce).context("signing")?;
    let v: Value = c
        .request(
            "fuse_sendTransaction",
            rpc_params![
                format!("0x{}", hex::encode(t.encode())),
                json!({ "from": key.address() })
            ],
        )
        .await?;
    Ok(v["id"].as_str().context("no id in the answer")?.to_string())
}
