//! What an operator watches, from the outside, during a real dispute: `fuse-l2 node
//! --metrics-addr` (sequencer and honest validator) and `fuse-l2 validator --lie-first-batch
//! --metrics-addr --log-format json` (the liar, its own process), against anvil. `/metrics` is
//! scraped all along, and its figures must move as the game does: the honest validator's open
//! challenges go to 1 and back to 0, its clock is reported while the challenge is open, its
//! moves are counted, the liar's assertion ends rejected and the honest one confirmed, the
//! sequencer's transactions and batches are counted; `/health` answers healthy throughout;
//! the liar's log lines are JSON; the node serves the challenge's dispute viewer page while it
//! is played and after (`/challenges`). No figure is timed: the loop ends when the game has (the
//! test moves anvil's clock past the deadline once the challenge is over).

use crate::common::{BIN, Killed, User, deployment, log_file};

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use alloy::node_bindings::Anvil;
use alloy::signers::local::PrivateKeySigner;
use alloy_primitives::hex;
use fuse_arbos::tx::KIND_TRANSFER;
use fuse_l1::DevClock as _;
use serde_json::{Value, json};

/// The figures of one scrape: `name{labels}` (labels sorted) → value.
#[derive(Debug, Default)]
pub(crate) struct Scrape(pub(crate) BTreeMap<String, f64>);

impl Scrape {
    pub(crate) fn parse(text: &str) -> Scrape {
        let mut out = BTreeMap::new();
        for l in text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
        {
            let (series, value) = l.rsplit_once(' ').expect("a series and its value");
            let (name, labels) = match series.split_once('{') {
                Some((n, rest)) => {
                    let mut labels: Vec<&str> = rest.trim_end_matches('}').split(',').collect();
                    labels.sort();
                    (n, labels.join(","))
                }
                None => (series, String::new()),
            };
            let value: f64 = value.parse().unwrap_or_else(|e| panic!("{e}: {l}"));
            out.insert(format!("{name}{{{labels}}}"), value);
        }
        Scrape(out)
    }

    /// The value of `name` with exactly `labels` (`k="v"` each).
    pub(crate) fn get(&self, name: &str, labels: &[&str]) -> Option<f64> {
        let mut labels = labels.to_vec();
        labels.sort();
        self.0
            .get(&format!("{name}{{{}}}", labels.join(",")))
            .copied()
    }
}

/// `/metrics` and `/health` of the server on `addr`: (the figures, the health's status code
/// and body).
pub(crate) fn scrape(addr: SocketAddr) -> (Scrape, String, u16, Value) {
    try_scrape(addr).expect("/metrics and /health answer")
}

/// [`scrape`], with a server that does not answer an error rather than a panic (the caller
/// shows the process's log with it).
pub(crate) fn try_scrape(addr: SocketAddr) -> std::io::Result<(Scrape, String, u16, Value)> {
    let (code, text) = fuse_metrics::get(addr, "/metrics")?;
    assert_eq!(code, 200, "{text}");
    let (health, body) = fuse_metrics::get(addr, "/health")?;
    let body = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"));
    Ok((Scrape::parse(&text), text, health, body))
}

/// The last lines of the processes' logs, for a failure message.
fn tails(dir: &Path) -> String {
    crate::common::tails(dir, &["node/node.log", "liar.log"], 30)
}

/// What the scrapes saw of the honest validator over the dispute.
#[derive(Debug, Default)]
struct Seen {
    /// Open challenges went to 1.
    opened: bool,
    /// Its clock was reported (a number) while the challenge was open.
    clock_while_open: Option<f64>,
    /// Moves sent, at each scrape where the count changed.
    moves: Vec<f64>,
    /// Most pending assertions at once.
    most_pending: f64,
    /// Scrapes of `/health`, and those that were healthy.
    health: (usize, usize),
    /// The test moved the L1's clock past the family's deadline.
    deadline_passed: bool,
    /// The challenge's live page model (`/challenges/ID.json`) with the most moves seen while
    /// it was open.
    live_page: Option<Value>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_follow_a_dispute_and_health_answers() {
    let anvil = Anvil::at(crate::common::anvil_path())
        .port(crate::common::free_port())
        .try_spawn()
        .expect("anvil starts (./scripts/test installs it)");
    let url = anvil.endpoint();
    let key = |i: usize| PrivateKeySigner::from(anvil.keys()[i].clone());
    let hex_key = |i: usize| format!("0x{}", hex::encode(key(i).to_bytes()));
    let dir = tempfile::tempdir().unwrap();
    let (node_dir, liar_dir) = (dir.path().join("node"), dir.path().join("liar"));
    let rpc = format!("127.0.0.1:{}", crate::common::free_port());
    let node_metrics: SocketAddr = format!("127.0.0.1:{}", crate::common::free_port())
        .parse()
        .unwrap();
    let liar_metrics: SocketAddr = format!("127.0.0.1:{}", crate::common::free_port())
        .parse()
        .unwrap();
    // A 30 s challenge period: 15 s on each side's clock, anvil's clock being the wall clock.
    let metrics_flag = node_metrics.to_string();
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
            "30",
            "--metrics-addr",
            &metrics_flag,
        ],
    );
    std::fs::create_dir_all(&liar_dir).unwrap();
    let _liar = Killed(
        Command::new(BIN)
            .args(["--log-format", "json", "validator", "--l1-rpc", &url])
            .env("FUSE_VALIDATOR_KEY", hex_key(1))
            .arg("--deployment")
            .arg(node_dir.join("deployment.json"))
            .arg("--data-dir")
            .arg(&liar_dir)
            .args([
                "--lie-first-batch",
                "--lie-at-step",
                "5000",
                "--poll-ms",
                "200",
            ])
            .env("FUSE_METRICS_ADDR", liar_metrics.to_string())
            .stdout(Stdio::null())
            .stderr(log_file(dir.path(), "liar.log"))
            .spawn()
            .unwrap(),
    );

    // A deposit and a transfer: the batch the liar lies about.
    let user = User::funded(key(2), &url, deployment(&node_dir), &rpc).await;
    user.send(KIND_TRANSFER, [0x77; 20], 1_000, 0).await;

    // Scrape the node until the game is over as the figures tell it: a challenge opened and
    // closed, the liar's assertion rejected.
    let me = r#"validator="validator""#;
    let mut seen = Seen::default();
    let started = Instant::now();
    let (last, text) = loop {
        assert!(
            started.elapsed() < Duration::from_secs(150),
            "the dispute did not show in the figures: {seen:?}\n{}",
            tails(dir.path())
        );
        let (m, text, code, health) = tokio::task::block_in_place(|| scrape(node_metrics));
        seen.health.0 += 1;
        if code == 200 && health["healthy"] == true {
            seen.health.1 += 1;
        } else {
            // Only a slow machine's stall: said, never failed on (the verdict is unit-tested).
            println!("/health {code}: {health}");
        }
        let open = m.get("fuse_validator_open_challenges", &[me]);
        let clock = m.get("fuse_validator_challenge_clock_left_seconds", &[me]);
        if open == Some(1.0) {
            seen.opened = true;
            let (code, body) = tokio::task::block_in_place(|| {
                fuse_metrics::get(node_metrics, "/challenges/1.json").expect("/challenges answers")
            });
            if code == 200 {
                let page: Value = serde_json::from_str(&body).unwrap();
                let moves = |p: &Value| p["moves"].as_array().map_or(0, Vec::len);
                if seen
                    .live_page
                    .as_ref()
                    .is_none_or(|l| moves(&page) > moves(l))
                {
                    seen.live_page = Some(page);
                }
            }
            if let Some(c) = clock.filter(|c| c.is_finite()) {
                seen.clock_while_open = Some(c);
            }
        }
        let moves = m
            .get("fuse_validator_moves_sent_total", &[me])
            .unwrap_or(0.0);
        if seen.moves.last() != Some(&moves) {
            seen.moves.push(moves);
        }
        let pending = m.get("fuse_validator_assertions", &[me, r#"status="pending""#]);
        seen.most_pending = seen.most_pending.max(pending.unwrap_or(0.0));
        let rejected = m.get("fuse_validator_assertions", &[me, r#"status="rejected""#]);
        if seen.opened && open == Some(0.0) {
            if rejected >= Some(1.0) {
                break (m, text);
            }
            // The challenge is over; the rival can be rejected once its family's deadline
            // has passed in L1 time, and anvil mines (and moves its clock) only on demand.
            if !seen.deadline_passed {
                user.l1.l1.advance(31).await.unwrap();
                seen.deadline_passed = true;
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    println!(
        "the dispute in the figures, {:.1} s: {seen:?}",
        started.elapsed().as_secs_f64()
    );

    // The game as the node's figures told it.
    let clock = seen
        .clock_while_open
        .expect("a clock while the challenge was open");
    assert!((0.0..=15.0).contains(&clock), "{clock}");
    assert!(
        seen.moves.windows(2).all(|w| w[0] < w[1])
            && seen.moves.len() >= 2
            && seen.moves.last() >= Some(&3.0),
        "moves sent must rise as the game goes: {:?}",
        seen.moves
    );
    assert!(seen.most_pending >= 2.0, "both rivals pending: {seen:?}");
    let get = |name: &str, labels: &[&str]| {
        last.get(name, labels)
            .unwrap_or_else(|| panic!("no {name}{labels:?} in\n{text}"))
    };
    assert!(
        last.get("fuse_validator_challenge_clock_left_seconds", &[me])
            .is_some_and(f64::is_nan),
        "no clock once no challenge is open"
    );
    assert_eq!(
        get(
            "fuse_validator_challenges_ended_total",
            &[me, r#"result="won""#]
        ),
        1.0
    );
    assert_eq!(get("fuse_validator_moves_failed_total", &[me]), 0.0);
    assert!(get("fuse_validator_assertions", &[me, r#"status="confirmed""#]) >= 1.0);
    assert_eq!(get("fuse_validator_staked", &[me]), 1.0);
    assert!(get("fuse_validator_bond_wei", &[me]) > 0.0);
    assert!(get("fuse_validator_balance_wei", &[me]) > 0.0);
    assert_eq!(
        get("fuse_validator_health", &[me, r#"state="halted""#]),
        0.0
    );
    let executed = get("fuse_validator_executed_position", &[me]);
    assert!(get("fuse_validator_asserted_position", &[me]) >= 1.0);
    assert!(get("fuse_validator_l1_txs_total", &[me, r#"kind="dispute""#]) >= 3.0);
    // The sequencer beside it.
    assert!(get("fuse_sequencer_inbox_position", &[]) >= 1.0 && executed >= 1.0);
    assert!(get("fuse_sequencer_l1_followed_block", &[]) > 0.0);
    assert!(get("fuse_l1_head_block", &[]) >= get("fuse_sequencer_l1_followed_block", &[]));
    assert!(get("fuse_sequencer_txs_total", &[r#"status="accepted""#]) >= 1.0);
    assert!(get("fuse_sequencer_txs_total", &[r#"status="posted""#]) >= 1.0);
    assert!(get("fuse_sequencer_batches_posted_total", &[]) >= 1.0);
    assert!(get("fuse_sequencer_batch_bytes_total", &[]) > 0.0);
    assert!(
        text.contains("# HELP fuse_validator_open_challenges "),
        "{text}"
    );
    assert!(
        text.contains("# TYPE fuse_sequencer_txs_total counter"),
        "{text}"
    );
    assert_eq!(seen.health.1, seen.health.0, "/health: {:?}", seen.health);

    // The challenge as the node's dispute viewer showed it while it was played, and after.
    let live = seen
        .live_page
        .take()
        .expect("/challenges/1.json while open");
    assert_eq!(live["live"], json!(true), "{live}");
    assert!(!live["moves"].as_array().unwrap().is_empty(), "{live}");
    assert!(!live["clocks"].as_array().unwrap().is_empty(), "{live}");
    assert!(
        live["parties"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"].as_str().unwrap().starts_with("this node")),
        "{live}"
    );
    let (code, index) =
        tokio::task::block_in_place(|| fuse_metrics::get(node_metrics, "/challenges").unwrap());
    assert_eq!(code, 200);
    assert!(
        index.contains("href=\"/challenges/1\"") && index.contains("ended"),
        "{index}"
    );
    let (code, page) =
        tokio::task::block_in_place(|| fuse_metrics::get(node_metrics, "/challenges/1").unwrap());
    assert_eq!(code, 200);
    assert!(
        page.to_ascii_lowercase().starts_with("<!doctype html>") && page.contains("dispute-data"),
        "{page}"
    );
    let (_, ended) = tokio::task::block_in_place(|| {
        fuse_metrics::get(node_metrics, "/challenges/1.json").unwrap()
    });
    let ended: Value = serde_json::from_str(&ended).unwrap();
    assert_eq!(ended["live"], json!(false), "{ended}");
    let reason = ended["outcome"]["reason"].as_str().unwrap();
    assert!(["one-step proof", "timeout"].contains(&reason), "{ended}");
    let winner = ended["outcome"]["winner"].as_u64().unwrap() as usize;
    assert!(
        ended["parties"][winner]["name"]
            .as_str()
            .unwrap()
            .starts_with("this node"),
        "the honest node won: {ended}"
    );
    assert_eq!(
        tokio::task::block_in_place(|| fuse_metrics::get(node_metrics, "/challenges/99").unwrap())
            .0,
        404
    );

    // The liar's own process: its side of the game, its health, and its logs in JSON.
    let (liar, liar_text, code, health) = tokio::task::block_in_place(|| scrape(liar_metrics));
    let them = r#"validator="liar""#;
    assert!(
        liar.get("fuse_validator_moves_sent_total", &[them]) >= Some(1.0),
        "{liar_text}"
    );
    assert_eq!(
        liar.get(
            "fuse_validator_challenges_ended_total",
            &[them, r#"result="lost""#]
        ),
        Some(1.0),
        "{liar_text}"
    );
    assert!(
        liar.get("fuse_sequencer_inbox_position", &[]).is_none(),
        "a validator alone"
    );
    assert!(
        liar.get("fuse_l1_head_block", &[]) > Some(0.0),
        "{liar_text}"
    );
    assert_eq!((code, &health["healthy"]), (200, &json!(true)), "{health}");
    assert!(health["checks"]["l1"]["ok"] == true && health["checks"].get("follower").is_none());
    let log = std::fs::read_to_string(dir.path().join("liar.log")).unwrap();
    let mut json_lines = 0;
    for l in log.lines().filter(|l| !l.starts_with("fuse-l2")) {
        let v: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"));
        assert!(v["fields"].is_object() && v["level"].is_string(), "{l}");
        json_lines += 1;
    }
    assert!(json_lines > 0, "{log}");
}
