//! A validator killed with SIGKILL in the middle of a dispute, then restarted on the same data
//! directory, still wins it, with no move lost or repeated, as processes against anvil:
//! `fuse-l2 node` (sequencer and honest validator) and `fuse-l2 validator --lie-first-batch`
//! (the liar, its own process). Once the honest validator has made two moves, the node is
//! killed and started again; the honest side must win, and the ChallengeManager's events must
//! show every segment it posted exactly once. Read from L1, not from the node.

use crate::common::{BIN, Killed, User, deployment, log_file};

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use alloy::node_bindings::Anvil;
use alloy::signers::local::PrivateKeySigner;
use alloy_primitives::hex;
use fuse_arbos::tx::KIND_TRANSFER;
use fuse_l1::rollup::{RollupEvent, RollupL1};
use fuse_l1::{L1, RpcL1};
use fuse_validator::store::{DisputeStore, MoveState};

/// `fuse-l2 node` on `l1` (a 60 s challenge period: 30 s on each side's clock).
fn node(l1: &str, key: &str, dir: &Path, rpc: &str, deploy: bool) -> Killed {
    let flags = [
        "--batch-interval-ms",
        "200",
        "--poll-ms",
        "400",
        "--challenge-period",
        "60",
    ];
    crate::common::start_node(l1, key, dir, rpc, deploy, &flags)
}

/// The last lines of the processes' logs, for a failure message.
fn tails(dir: &Path) -> String {
    crate::common::tails(dir, &["node/node.log", "liar.log"], 40)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_validator_killed_mid_dispute_restarts_and_wins() {
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
    let mut honest_node = Some(node(&url, &hex_key(0), &node_dir, &rpc, true));
    let honest = key(0).address();
    let liar_address = key(1).address();
    std::fs::create_dir_all(&liar_dir).unwrap();
    PrivateKeySigner::encrypt_keystore(
        &liar_dir,
        &mut rand::thread_rng(),
        key(1).to_bytes(),
        "liar's password",
        Some("key.json"),
    )
    .unwrap();
    let liar_keystore = liar_dir.join("key.json");
    let _liar = Killed(
        Command::new(BIN)
            // The liar's key from an encrypted keystore, its password in the environment.
            .args(["validator", "--l1-rpc", &url, "--keystore"])
            .arg(&liar_keystore)
            .env("FUSE_KEYSTORE_PASSWORD", "liar's password")
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
            .stdout(Stdio::null())
            .stderr(log_file(dir.path(), "liar.log"))
            .spawn()
            .unwrap(),
    );

    // A user deposits from L1 and sends a transfer: the batch the liar lies about.
    let contracts = deployment(&node_dir);
    let user = User::funded(key(2), &url, contracts, &rpc).await;
    user.send(KIND_TRANSFER, [0x77; 20], 1_000, 0).await;

    // Watch L1 and kill the node after two honest moves. Anvil's clock is the wall clock,
    // never moved by the test: each side has 30 s on its clock (half the period), so a liar
    // stuck at the bottom times out in real time, and the honest side's clock pays for the
    // restart as it would in production.
    let watcher = RollupL1::at(RpcL1::connect(&url, key(3)).unwrap(), contracts);
    let mut killed_at = None;
    let started = Instant::now();
    let (winner, posted) = loop {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the dispute did not end in 120 s\n{}",
            tails(dir.path())
        );
        let head = watcher.l1.head().await.unwrap().number;
        let events = watcher.rollup_events(0, head).await.unwrap();
        // Its moves on L1: every segment it posted after a challenge's opening one, and its
        // proofs.
        let mut opened = BTreeSet::new();
        let honest_moves: Vec<_> = events
            .iter()
            .filter_map(|e| match e {
                RollupEvent::SegmentPosted {
                    id,
                    claimant,
                    segment,
                } => {
                    let opening = opened.insert(*id);
                    (!opening && *claimant == honest).then(|| (*id, segment.hash()))
                }
                RollupEvent::OneStepProven {
                    id, prover, pre, ..
                } if *prover == honest => Some((*id, *pre)),
                _ => None,
            })
            .collect();
        let ended = events.iter().find_map(|e| match e {
            RollupEvent::ChallengeEnded { winner, loser, .. } if *loser == liar_address => {
                Some(*winner)
            }
            _ => None,
        });
        if let Some(w) = ended {
            break (w, honest_moves);
        }
        if killed_at.is_none() && honest_moves.len() >= 2 {
            drop(honest_node.take());
            killed_at = Some(honest_moves.len());
            tokio::time::sleep(Duration::from_millis(500)).await;
            honest_node = Some(node(&url, &hex_key(0), &node_dir, &rpc, false));
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    assert_eq!(winner, honest, "\n{}", tails(dir.path()));
    let killed_at = killed_at.expect("the node was killed mid-dispute");
    assert!(
        posted.len() > killed_at,
        "no honest move after the restart: {posted:?}"
    );
    let distinct: BTreeSet<_> = posted.iter().collect();
    assert_eq!(
        distinct.len(),
        posted.len(),
        "a segment posted twice: {posted:?}"
    );

    // Its own record agrees: every move it decided is on L1, none left in flight (a few polls
    // first, so it has seen the end).
    tokio::time::sleep(Duration::from_secs(2)).await;
    drop(honest_node.take());
    let store = DisputeStore::open(&node_dir).unwrap();
    let records = store.all().unwrap();
    let won: Vec<_> = records
        .iter()
        .filter(|r| r.outcome.as_ref().is_some_and(|o| o.won))
        .collect();
    assert!(!won.is_empty(), "{records:?}");
    // ...and exactly the moves L1 shows: none repeated (a mined transaction each, all
    // distinct), none missing.
    let moves: Vec<_> = records.iter().flat_map(|r| &r.moves).collect();
    assert!(
        moves.iter().all(|m| m.state != MoveState::Sending),
        "{records:?}"
    );
    let landed = moves
        .iter()
        .filter(|m| {
            matches!(
                m.state,
                MoveState::Mined { .. } | MoveState::LandedAnswerLost
            )
        })
        .count();
    assert_eq!(
        landed,
        posted.len(),
        "the store's moves {records:?}\nL1's {posted:?}"
    );
    let txs: Vec<_> = moves
        .iter()
        .filter_map(|m| match m.state {
            MoveState::Mined { l1_tx, .. } => Some(l1_tx),
            _ => None,
        })
        .collect();
    assert_eq!(
        txs.iter().collect::<BTreeSet<_>>().len(),
        txs.len(),
        "{records:?}"
    );
    println!(
        "killed after {killed_at} honest moves, restarted, won: {} honest moves on L1, none twice, each in its store",
        posted.len()
    );
}
