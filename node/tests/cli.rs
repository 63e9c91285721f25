//! The README's main job from the outside: `fuse-l2 devnet` starts and says what to do next,
//! and the wallet commands it prints work against it from another process — a transfer is
//! accepted and posted to L1, the recipient's balance shows it, a bad transaction fails with
//! the sequencer's reason and a non-zero exit. Every command answers `--help`.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_fuse-l2");

/// Kills the devnet when the test ends, pass or fail.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wallet(args: &[&str]) -> (bool, String) {
    let out = Command::new(BIN).arg("wallet").args(args).output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn devnet_and_wallet_from_another_process() {
    let port = common::free_port();
    let addr = format!("127.0.0.1:{port}");
    let rpc = format!("http://{addr}");
    let mut child = Command::new(BIN)
        .args(["devnet", "--rpc-addr", &addr, "--batch-interval", "1"])
        .args(["--exit-after", "120"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let _guard = Killed(child);
    let mut keys = Vec::new();
    let mut lines = BufReader::new(stdout).lines();
    let mut banner = String::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        banner.push_str(&line);
        banner.push('\n');
        if let Some((address, key)) = line.trim().split_once("  key ") {
            keys.push((address.to_string(), key.to_string()));
        }
        if line.starts_with("batches go to the embedded L1") {
            break;
        }
    }
    assert!(banner.contains("fuse-l2 devnet is running"), "{banner}");
    assert!(banner.contains("next, in another terminal"), "{banner}");
    assert!(banner.contains(&rpc), "{banner}");
    assert_eq!(keys.len(), 3, "{banner}");

    let (ok, out) = wallet(&[
        "transfer", "--key", &keys[0].1, "--to", &keys[1].0, "--amount", "12345", "--rpc", &rpc,
    ]);
    assert!(ok, "{out}");
    assert!(
        out.contains("ACCEPTED_IN_L2") && out.contains("POSTED in batch"),
        "{out}"
    );
    let (ok, out) = wallet(&["balance", &keys[1].0, "--rpc", &rpc]);
    assert!(ok, "{out}");
    assert!(out.contains("100000000000000012345"), "{out}");
    let (ok, out) = wallet(&[
        "transfer", "--key", &keys[0].1, "--to", &keys[1].0, "--amount", "1", "--nonce", "9",
        "--rpc", &rpc,
    ]);
    assert!(!ok, "{out}");
    assert!(out.contains("nonce gap"), "{out}");
    let (ok, out) = wallet(&["status", "0x12", "--rpc", &rpc]);
    assert!(!ok && out.contains("expected 32 bytes"), "{out}");
}

#[test]
fn every_command_answers_help() {
    let commands: &[&[&str]] = &[
        &[],
        &["devnet"],
        &["wallet"],
        &["wallet", "transfer"],
        &["wallet", "withdraw"],
        &["wallet", "status"],
        &["wallet", "balance"],
        &["wast"],
        &["hashes"],
        &["guest"],
        &["guest", "build"],
        &["vectors"],
        &["bench"],
    ];
    for c in commands {
        let out = Command::new(BIN).args(*c).arg("--help").output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{c:?} --help failed");
        assert!(text.contains("Usage:"), "{c:?}: {text}");
    }
}
