//! Shared by the binary's integration tests: the binary, its child processes and their logs.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::Path;
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
    // The key in the environment, as an operator gives it (an argument shows in `ps`).
    cmd.args(["node", "--l1-rpc", l1, "--rpc-addr", rpc])
        .env("FUSE_L1_KEY", key)
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

pub(crate) use fuse_l1::testing::{anvil_path, free_port};
