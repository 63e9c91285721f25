//! An operator's day on a hostile L1, from the outside: `fuse-l2 node` (sequencer and its
//! validator), a separate honest `fuse-l2 validator` and a lying one, all three talking to
//! anvil through the fault proxy (dropped connections, 429s, 503s, delays, cut answers,
//! refused log ranges), while the test reorganises the L1 (`anvil_reorg`) and spikes its
//! base fee. Users deposit, transfer and withdraw over the node's JSON-RPC throughout. In the
//! end: the liar has lost its challenges, every acknowledged transaction is `FINALIZED` and
//! in exactly one batch on L1, the withdrawal is paid once, and the node's and the
//! validators' metrics told each part of it — the faults by kind, the reorgs, the fees
//! paid, the moves, the won and lost challenges, the finalized transactions.

use crate::common::{BIN, Killed, log_file};
use crate::common::{User, deployment};
use crate::metrics::{Scrape, scrape, try_scrape};

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use alloy::node_bindings::Anvil;
use alloy::providers::{Provider, ProviderBuilder};
use alloy::signers::local::PrivateKeySigner;
use alloy_primitives::{U256, hex, keccak256};
use fuse_arbos::batch::decode_batch;
use fuse_arbos::message::KIND_BATCH;
use fuse_arbos::tx::{KIND_TRANSFER, KIND_WITHDRAW};
use fuse_l1::rollup::{RollupL1, WithdrawalClaim};
use fuse_l1::testing::{FaultProxy, Faults};
use fuse_l1::{DevClock as _, L1 as _, RpcL1};
use jsonrpsee::core::client::ClientT;
use jsonrpsee::rpc_params;
use serde_json::Value;

const GWEI: f64 = 1e9;
/// The base fee of the spiked block.
const SPIKE: u128 = 40_000_000_000;

/// Every series of `name` whose labels contain `label`, summed.
fn sum(m: &Scrape, name: &str, label: &str) -> f64 {
    m.0.iter()
        .filter(|(k, _)| k.starts_with(&format!("{name}{{")) && k.contains(label))
        .map(|(_, v)| *v)
        .filter(|v| v.is_finite())
        .sum()
}

fn validator(url: &str, key: &str, dir: &Path, deployment: &Path, flags: &[&str]) -> Command {
    std::fs::create_dir_all(dir).unwrap();
    let mut cmd = Command::new(BIN);
    cmd.args(["validator", "--l1-rpc", url])
        .env("FUSE_VALIDATOR_KEY", key)
        .arg("--deployment")
        .arg(deployment)
        .arg("--data-dir")
        .arg(dir)
        .args(["--poll-ms", "200", "--replace-after-s", "2"])
        .args(flags)
        .stdout(Stdio::null());
    cmd
}

/// The last lines of the processes' logs, for a failure message.
fn tails(dir: &Path) -> String {
    crate::common::tails(dir, &["node/node.log", "honest.log", "liar.log"], 25)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_and_a_separate_validator_beat_a_liar_on_a_faulty_reorging_fee_spiking_l1() {
    fuse_l1::install_tls_provider();
    // A block a second, as a chain makes them whatever is sent: a transaction waiting for
    // its price (after the spike) is mined once it has one, not when the next one arrives.
    let anvil = Anvil::at(crate::common::anvil_path())
        .port(crate::common::free_port())
        .block_time(1)
        .try_spawn()
        .expect("anvil starts (./scripts/test installs it)");
    let dev = ProviderBuilder::new().connect_http(anvil.endpoint_url());
    let upstream: SocketAddr = format!("127.0.0.1:{}", anvil.port()).parse().unwrap();
    let proxy = FaultProxy::start(
        upstream,
        Faults {
            drop_every: 37,
            rate_limit_every: 23,
            unavailable_every: 41,
            truncate_every: 43,
            delay_every: 11,
            delay: Duration::from_millis(20),
            max_log_blocks: Some(64),
        },
    )
    .await;
    let url = proxy.url();
    let key = |i: usize| PrivateKeySigner::from(anvil.keys()[i].clone());
    let hex_key = |i: usize| format!("0x{}", hex::encode(key(i).to_bytes()));
    let dir = tempfile::tempdir().unwrap();
    let node_dir = dir.path().join("node");
    let rpc = format!("127.0.0.1:{}", crate::common::free_port());
    let addr = || -> SocketAddr {
        format!("127.0.0.1:{}", crate::common::free_port())
            .parse()
            .unwrap()
    };
    let (node_metrics, honest_metrics, liar_metrics) = (addr(), addr(), addr());
    let node_metrics_flag = node_metrics.to_string();
    let _node = crate::common::start_node(
        &url,
        &hex_key(0),
        &node_dir,
        &rpc,
        true,
        &[
            "--batch-interval-ms",
            "200",
            "--poll-ms",
            "200",
            "--challenge-period",
            "90",
            "--replace-after-s",
            "2",
            "--metrics-addr",
            &node_metrics_flag,
        ],
    );
    let record = node_dir.join("deployment.json");
    let _honest = Killed(
        validator(&url, &hex_key(3), &dir.path().join("honest"), &record, &[])
            .env("FUSE_METRICS_ADDR", honest_metrics.to_string())
            .stderr(log_file(dir.path(), "honest.log"))
            .spawn()
            .unwrap(),
    );
    let _liar = Killed(
        validator(
            &url,
            &hex_key(1),
            &dir.path().join("liar"),
            &record,
            &["--lie-first-batch", "--lie-at-step", "5000"],
        )
        .env("FUSE_METRICS_ADDR", liar_metrics.to_string())
        .stderr(log_file(dir.path(), "liar.log"))
        .spawn()
        .unwrap(),
    );

    // The user, straight to anvil: a deposit, then transfers and a withdrawal on L2.
    let contracts = deployment(&node_dir);
    let started = Instant::now();
    let user = User::funded(key(2), &anvil.endpoint(), contracts, &rpc).await;
    let c = &user.rpc;
    let status = async |id: &str| -> String {
        let v: Value = c
            .request("fuse_getTransactionStatus", rpc_params![id])
            .await
            .unwrap();
        v["status"].as_str().unwrap().to_string()
    };
    // The deposit sinks below the reorgs to come (anvil's reorg drops the transactions of
    // the blocks it replaces: a deposit in them would be gone, and with it every transfer).
    for _ in 0..5 {
        let _: Value = dev.raw_request("evm_mine".into(), ()).await.unwrap();
    }
    let mut acknowledged = Vec::new();
    for nonce in 0..6 {
        acknowledged.push(user.send(KIND_TRANSFER, [0x77; 20], 1_000, nonce).await);
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    let withdrawal_amount = 10u128.pow(15);
    let withdrawal = user
        .send(
            KIND_WITHDRAW,
            user.key.address().into(),
            withdrawal_amount,
            6,
        )
        .await;
    acknowledged.push(withdrawal.clone());

    // Play the day: reorg once the first batch is on L1 and again during the dispute, spike
    // the base fee once, and move the clock past challenge periods once the game allows.
    let me = r#"validator="validator""#;
    let (mut reorgs, mut spiked, mut last_advance) = (0, false, Instant::now());
    let (mut opened, mut fee_after_spike) = (false, 0.0f64);
    let mut node_last;
    let mut phase = (0, false, false);
    loop {
        assert!(
            started.elapsed() < Duration::from_secs(240),
            "the day did not end: reorgs {reorgs}, opened {opened}\n{}",
            tails(dir.path())
        );
        let (m, _, _, _) = tokio::task::block_in_place(|| scrape(node_metrics));
        let open = sum(&m, "fuse_validator_open_challenges", me);
        opened |= open >= 1.0;
        if spiked {
            fee_after_spike =
                fee_after_spike.max(m.get("fuse_l1_last_max_fee_wei", &[]).unwrap_or(0.0));
        }
        let posted = status(&acknowledged[0]).await != "ACCEPTED_IN_L2";
        if (reorgs == 0 && posted) || (reorgs == 1 && open >= 1.0) {
            let _: Value = dev
                .raw_request("anvil_reorg".into(), (2u64, Vec::<Value>::new()))
                .await
                .unwrap();
            reorgs += 1;
            println!(
                "{:.1} s: L1 reorg {reorgs}",
                started.elapsed().as_secs_f64()
            );
        }
        if reorgs >= 1 && !spiked {
            let _: Value = dev
                .raw_request(
                    "anvil_setNextBlockBaseFeePerGas".into(),
                    (format!("{SPIKE:#x}"),),
                )
                .await
                .unwrap();
            let _: Value = dev.raw_request("evm_mine".into(), ()).await.unwrap();
            spiked = true;
        }
        let mut finalized = 0;
        for id in &acknowledged {
            if status(id).await == "FINALIZED" {
                finalized += 1;
            }
        }
        // The liar may still be starting (it compiles the guest and reads the chain through
        // the faulty proxy, on a busy machine): until its metrics answer, it has lost nothing
        // and counts as in a challenge, so no time is moved. A liar that never comes up ends
        // the day by the deadline above, with the logs.
        let liar = tokio::task::block_in_place(|| try_scrape(liar_metrics))
            .ok()
            .map(|(m, ..)| m);
        let liar_lost = liar.as_ref().map_or(0.0, |l| {
            sum(
                l,
                "fuse_validator_challenges_ended_total",
                "result=\"lost\"",
            )
        });
        // Open anywhere: the liar's count covers its games with both honest validators.
        let any_open = open
            + liar
                .as_ref()
                .map_or(1.0, |l| sum(l, "fuse_validator_open_challenges", ""));
        node_last = m;
        if (finalized, liar_lost >= 1.0, opened) != phase {
            phase = (finalized, liar_lost >= 1.0, opened);
            println!(
                "{:.1} s: {finalized} finalized, liar lost {}, a challenge opened {opened}",
                started.elapsed().as_secs_f64(),
                phase.1
            );
        }
        if finalized == acknowledged.len() && liar_lost >= 1.0 && reorgs == 2 {
            break;
        }
        // Past the dispute (or before any), L1 time moves on so assertions become
        // confirmable and the liar's rival can be rejected; anvil's clock moves only so.
        if reorgs == 2 && any_open == 0.0 && last_advance.elapsed() > Duration::from_secs(2) {
            user.l1.l1.advance(91).await.unwrap();
            last_advance = Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    println!(
        "the day took {:.1} s; the proxy: {:?}",
        started.elapsed().as_secs_f64(),
        proxy.stats
    );

    // Every acknowledged transaction is in exactly one batch on L1.
    let direct = RpcL1::connect(&anvil.endpoint(), key(0)).unwrap();
    let head = direct.head().await.unwrap().number;
    let on_l1 = RollupL1::at(direct.clone(), contracts)
        .messages(0, head)
        .await
        .unwrap();
    let mut count: HashMap<String, usize> = HashMap::new();
    for m in on_l1.iter().filter(|m| m.header.kind == KIND_BATCH) {
        let (_, txs) = decode_batch(&m.data).expect("the node's batches decode");
        for t in txs {
            *count
                .entry(format!("0x{}", hex::encode(keccak256(t.encode()))))
                .or_default() += 1;
        }
    }
    for id in &acknowledged {
        assert_eq!(count.get(id), Some(&1), "{id} on L1 once");
    }

    // The withdrawal is paid once, to the user's L1 address.
    let claim: WithdrawalClaim = c
        .request("fuse_getWithdrawalProof", rpc_params![&withdrawal])
        .await
        .unwrap();
    let payer = RollupL1::at(direct.clone(), contracts);
    let before = direct.balance(user.key.address()).await.unwrap();
    payer.withdraw(&claim).await.unwrap();
    assert_eq!(
        direct.balance(user.key.address()).await.unwrap(),
        before + U256::from(withdrawal_amount)
    );
    assert!(payer.withdraw(&claim).await.is_err(), "paid twice");

    // The story in the figures.
    let m = &node_last;
    let faults: f64 = ["rate_limited", "server_error", "transport", "range_refused"]
        .iter()
        .map(|k| sum(m, "fuse_l1_rpc_errors_total", &format!("kind=\"{k}\"")))
        .sum();
    assert!(faults > 0.0, "the node counted no L1 fault");
    assert!(
        m.get("fuse_sequencer_txs_total", &[r#"status="finalized""#])
            >= Some(acknowledged.len() as f64)
    );
    assert!(
        fee_after_spike >= SPIKE as f64,
        "after a {} gwei block the node offered at most {} gwei",
        SPIKE as f64 / GWEI,
        fee_after_spike / GWEI
    );
    assert!(m.get("fuse_l1_txs_sent_total", &[]) > Some(0.0));
    let (honest, honest_text, _, _) = tokio::task::block_in_place(|| scrape(honest_metrics));
    // A reorg is seen by whichever follower had read the replaced blocks: the sequencer's
    // (it reads up to the head each round), or a validator's view of the rollup's events.
    let reorgs_seen = m.get("fuse_sequencer_l1_reorgs_total", &[]).unwrap_or(0.0)
        + sum(m, "fuse_validator_l1_reorgs_total", "")
        + sum(&honest, "fuse_validator_l1_reorgs_total", "");
    assert!(reorgs_seen >= 1.0, "no process counted a reorg");
    assert!(
        sum(&honest, "fuse_validator_moves_sent_total", "") >= 1.0,
        "{honest_text}"
    );
    let won = sum(m, "fuse_validator_challenges_ended_total", "result=\"won\"")
        + sum(
            &honest,
            "fuse_validator_challenges_ended_total",
            "result=\"won\"",
        );
    assert!(won >= 1.0, "no honest validator counted a win");
    let (liar, liar_text, _, _) = tokio::task::block_in_place(|| scrape(liar_metrics));
    assert!(
        sum(
            &liar,
            "fuse_validator_challenges_ended_total",
            "result=\"lost\""
        ) >= 1.0,
        "{liar_text}"
    );
    assert_eq!(
        sum(
            &liar,
            "fuse_validator_challenges_ended_total",
            "result=\"won\""
        ),
        0.0
    );
}
