//! `fuse-l2 devnet --liar`: the whole dispute story in one process, narrated. Over the running
//! devnet (embedded L1, sequencer, honest validator) a lying validator with its own L1 account
//! and bond joins; Alice transfers to Bob and withdraws to L1; the batch is posted; the liar
//! asserts a wrong state for it; the honest validator challenges (or is challenged), and the two
//! play every round of both levels to a one-step proof on L1 or the liar's timeout; the liar is
//! slashed, its assertion rejected, the honest one confirmed; the transactions become
//! `FINALIZED` and Alice's withdrawal is paid by the Outbox on L1.
//!
//! The story checks what it tells: the honest side losing a challenge, a withdrawal paid twice
//! (or its second claim refused for another reason than a spent leaf), or a liar whose bond is
//! not gone on L1 (read from the Rollup's state and events, not assumed) ends it with an error,
//! so `fuse-l2 devnet --liar` exits non-zero.

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
use fuse_devnet::devnet::Devnet;
use fuse_exec::wallet::sign;
use fuse_l1::L1;
use fuse_l1::rollup::{RollupL1, WithdrawalClaim};
use fuse_validator::{LieSpec, Narration, Validator, ValidatorConfig};

/// What a validator did, with its name.
type Named = (String, Narration);

/// The story gives up after this long.
const STORY_LIMIT: Duration = Duration::from_secs(180);

/// Plays the story on `d`; `keys` are the funded dev accounts (Alice and Bob are the first
/// two), `rx` receives what both validators do, `tx` is where the liar reports.
pub(crate) async fn run(
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
    // What the liar holds on L1 before it bonds: its bond must leave this for good.
    let liar_funded = d.l1.balance(liar_address).await?;
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
            say(&who, describe(&n));
            if let Narration::Ended { id, won, reason } = &n {
                match (who == "liar", won) {
                    (true, false) => liar_lost = true,
                    (true, true) | (false, false) => {
                        liar_task.abort();
                        bail!(
                            "the honest side lost challenge #{id} ({reason}): the liar's wrong \
                             state would stand"
                        );
                    }
                    (false, true) => {}
                }
            }
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
        let final_ = ["transfer", "withdrawal"]
            .iter()
            .all(|l| statuses.get(*l).map(String::as_str) == Some("FINALIZED"));
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
    anyhow::ensure!(
        after - before == U256::from(5 * 10u128.pow(17)),
        "the claim paid {}",
        after - before
    );
    let again = alice_l1.withdraw(&claim).await;
    let after_again = alice_l1.l1.balance(alice.address()).await?;
    match again {
        Ok(r) => {
            say("alice", "claims it again: PAID TWICE (a bug)".to_string());
            bail!(
                "Alice's withdrawal was paid twice: the second claim succeeded in L1 tx {}",
                r.tx_hash
            );
        }
        // The Outbox's own refusal: the leaf is spent.
        Err(e) if e.revert_data().is_some() && e.to_string().contains("AlreadySpent") => {
            say("alice", format!("claims it again: refused ({e})"));
        }
        Err(e) => bail!("the second claim failed for another reason than a spent leaf: {e}"),
    }
    anyhow::ensure!(
        after_again == after,
        "the refused second claim moved Alice's L1 balance from {after} to {after_again}"
    );

    let bond = d.rollup.bond().await?;
    let slash = slashed(d, liar_address, liar_funded, bond).await?;
    println!(
        "\nthe story in figures ({:.1} s):",
        t0.elapsed().as_secs_f64()
    );
    for (who, (moves, g)) in &gas {
        println!("  {who:<9} {moves} challenge moves, {g} gas");
    }
    println!(
        "  the liar's bond of {bond} wei was slashed: {} wei to the honest validator, {} wei to \
         the escrow; the liar ends {} wei poorer on L1, with no stake and no credit left",
        slash.to_honest, slash.to_escrow, slash.liar_lost
    );
    println!("  transfer and withdrawal FINALIZED; the withdrawal paid on L1 once");
    Ok(ExitCode::SUCCESS)
}

/// Where the liar's bond went, from the L1's state and the Rollup's events.
struct Slash {
    to_honest: U256,
    to_escrow: U256,
    liar_lost: U256,
}

/// Checks on L1 that the liar lost its bond to the honest validator and the escrow: the Rollup
/// removed its stake for the honest validator's win, no challenge was lost by the honest
/// validator, the liar holds no stake and no credit there, it is at least `bond` poorer than
/// `liar_funded` (its balance before it bonded), and the Rollup credited exactly `bond` to
/// the honest validator and the escrow between them.
async fn slashed(
    d: &Devnet,
    liar: Address,
    liar_funded: U256,
    bond: U256,
) -> anyhow::Result<Slash> {
    use alloy_sol_types::SolEvent as _;
    use fuse_contracts::rollup::Rollup;
    let honest = d.rollup.l1.signer();
    let escrow = d.rollup.escrow().await?;
    let head = d.l1.head().await?.number;
    let (mut removed, mut honest_lost) = (false, false);
    let (mut to_honest, mut to_escrow) = (U256::ZERO, U256::ZERO);
    for l in d.l1.logs(d.rollup.contracts.rollup, 0, head).await? {
        if let Ok(e) = Rollup::StakerRemoved::decode_log(&l.log) {
            anyhow::ensure!(
                e.staker != honest,
                "the honest validator's stake was removed (won by {})",
                e.winner
            );
            removed |= e.staker == liar && e.winner == honest;
        } else if let Ok(e) = Rollup::ChallengeCompleted::decode_log(&l.log) {
            honest_lost |= e.loser == honest;
        } else if let Ok(e) = Rollup::ChallengeForfeited::decode_log(&l.log) {
            honest_lost |= e.loser == honest;
        } else if let Ok(e) = Rollup::Credited::decode_log(&l.log) {
            if e.account == honest {
                to_honest += e.amount;
            } else if e.account == escrow {
                to_escrow += e.amount;
            }
        }
    }
    anyhow::ensure!(!honest_lost, "the honest validator lost a challenge on L1");
    anyhow::ensure!(
        removed,
        "the Rollup never removed the liar's stake for the honest validator"
    );
    let stake = d.rollup.staker_info(liar).await?;
    anyhow::ensure!(
        !stake.staked && !stake.removed && stake.open_challenges == 0,
        "the Rollup still holds the liar's stake: {stake:?}"
    );
    let credit = d.rollup.credits(liar).await?;
    anyhow::ensure!(credit.is_zero(), "the liar has {credit} wei to withdraw");
    let now = d.l1.balance(liar).await?;
    let liar_lost = liar_funded.saturating_sub(now);
    anyhow::ensure!(
        liar_lost >= bond,
        "the liar is only {liar_lost} wei poorer on L1, less than its bond of {bond}: it was not slashed"
    );
    anyhow::ensure!(
        to_honest + to_escrow == bond && !to_honest.is_zero() && !to_escrow.is_zero(),
        "the Rollup credited {to_honest} wei to the honest validator and {to_escrow} wei to the \
         escrow, not the liar's bond of {bond} between them"
    );
    Ok(Slash {
        to_honest,
        to_escrow,
        liar_lost,
    })
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
