//! Shared by the node's integration tests.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The binary under test.
pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_fuse-l2");

/// A child process, killed (SIGKILL) and reaped when dropped, pass or fail.
pub(crate) struct Killed(pub Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `dir/name`, appended to run after run (read when a test fails).
pub(crate) fn log_file(dir: &Path, name: &str) -> Stdio {
    let f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join(name))
        .unwrap();
    Stdio::from(f)
}

/// Starts `fuse-l2 node` on `l1` with `key`, data in `dir` (its log: `dir/node.log`),
/// serving on `rpc`, with `flags` (pacing, periods), and waits for its banner.
pub(crate) fn start_node(
    l1: &str,
    key: &str,
    dir: &Path,
    rpc: &str,
    deploy: bool,
    flags: &[&str],
) -> Killed {
    std::fs::create_dir_all(dir).unwrap();
    let mut cmd = Command::new(BIN);
    cmd.args(["node", "--l1-rpc", l1, "--key", key, "--rpc-addr", rpc])
        .arg("--data-dir")
        .arg(dir)
        .args(flags)
        .stdout(Stdio::piped())
        .stderr(log_file(dir, "node.log"));
    if deploy {
        cmd.arg("--deploy");
    }
    let mut child = cmd.spawn().unwrap();
    let out = child.stdout.take().unwrap();
    let node = Killed(child);
    let mut lines = BufReader::new(out).lines();
    for line in lines.by_ref() {
        if line.unwrap().starts_with("fuse-l2 node is running") {
            // Keep reading, as a terminal would.
            std::thread::spawn(move || lines.for_each(drop));
            return node;
        }
    }
    panic!(
        "fuse-l2 node exited before it was running (see {})",
        dir.join("node.log").display()
    );
}

/// The anvil binary the project's npm packages install (`./scripts/test` installs them).
pub(crate) fn anvil_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../contracts/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil")
}

/// A TCP port on 127.0.0.1 that was free a moment ago.
pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A rollup configuration for tests that deploy the contracts: `owner` sequences, the
/// periods are long (tests move the clock themselves), the module root is a placeholder.
pub(crate) fn rollup_config(
    owner: alloy_primitives::Address,
) -> fuse_contracts::deploy::RollupConfig {
    use alloy_primitives::{B256, U256};
    use fuse_contracts::deploy::RollupConfig;
    let mut c = RollupConfig::new(owner, 412_346, 600, B256::repeat_byte(0x4d), 3_600)
        .with_bond(U256::from(10u128.pow(18)));
    c.inbox.min_deposit = U256::from(1_000);
    c
}

/// A funded account's handle on the same rollup.
pub(crate) async fn account(
    l1: &fuse_l1::EmbeddedL1,
    rollup: &fuse_l1::rollup::RollupL1<fuse_l1::EmbeddedL1>,
    seed: u8,
) -> fuse_l1::rollup::RollupL1<fuse_l1::EmbeddedL1> {
    let who = alloy_primitives::Address::repeat_byte(seed);
    l1.fund(who, alloy_primitives::U256::from(10u128.pow(20)))
        .await
        .unwrap();
    fuse_l1::rollup::RollupL1::at(l1.as_account(who), rollup.contracts)
}
