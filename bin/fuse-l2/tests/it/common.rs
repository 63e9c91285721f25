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

/// The rollup's addresses from a node's `deployment.json` in `dir`.
pub(crate) fn deployment(dir: &Path) -> fuse_contracts::deploy::Deployment {
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("deployment.json")).unwrap()).unwrap();
    let a = |k: &str| v[k].as_str().unwrap().parse().unwrap();
    fuse_contracts::deploy::Deployment {
        inbox: a("inbox"),
        outbox: a("outbox"),
        rollup: a("rollup"),
        challenges: a("challengeManager"),
        osp: a("oneStepProver"),
        block: v["deployedAtBlock"].as_u64().unwrap(),
    }
}

/// A user of a node's L2: its key, its L1 handle on the rollup, the node's JSON-RPC client.
pub(crate) struct User {
    pub(crate) key: alloy::signers::local::PrivateKeySigner,
    pub(crate) l1: fuse_l1::rollup::RollupL1<fuse_l1::RpcL1>,
    pub(crate) rpc: jsonrpsee::http_client::HttpClient,
    domain: fuse_arbos::tx::Domain,
}

impl User {
    /// `key` deposits 1 ETH through the L1 at `l1_url` and waits (up to 60 s) to see it on
    /// the L2 of the node serving `rpc` (412346, the node's default chain id).
    pub(crate) async fn funded(
        key: alloy::signers::local::PrivateKeySigner,
        l1_url: &str,
        contracts: fuse_contracts::deploy::Deployment,
        rpc: &str,
    ) -> User {
        use jsonrpsee::core::client::ClientT;
        let l1 = fuse_l1::rollup::RollupL1::at(
            fuse_l1::RpcL1::connect(l1_url, key.clone()).unwrap(),
            contracts,
        );
        l1.deposit(key.address(), alloy_primitives::U256::from(10u128.pow(18)))
            .await
            .unwrap();
        let rpc = jsonrpsee::http_client::HttpClientBuilder::default()
            .build(format!("http://{rpc}"))
            .unwrap();
        let started = std::time::Instant::now();
        loop {
            let v: serde_json::Value = rpc
                .request("fuse_getAccount", jsonrpsee::rpc_params![key.address()])
                .await
                .unwrap();
            if v["soft"]["balance"] != "0" {
                break;
            }
            assert!(
                started.elapsed() < std::time::Duration::from_secs(60),
                "the deposit did not arrive on L2"
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let domain = fuse_arbos::tx::Domain {
            chain_id: 412_346,
            inbox: contracts.inbox.into(),
        };
        User {
            key,
            l1,
            rpc,
            domain,
        }
    }

    /// Signs a transaction of `kind` and sends it to the node; its id.
    pub(crate) async fn send(&self, kind: u8, to: [u8; 20], amount: u128, nonce: u64) -> String {
        use jsonrpsee::core::client::ClientT;
        let t = fuse_exec::wallet::sign(&self.key, &self.domain, kind, to, amount, nonce).unwrap();
        let v: serde_json::Value = self
            .rpc
            .request(
                "fuse_sendTransaction",
                jsonrpsee::rpc_params![
                    format!("0x{}", alloy_primitives::hex::encode(t.encode())),
                    serde_json::json!({})
                ],
            )
            .await
            .unwrap();
        v["id"].as_str().unwrap().to_string()
    }
}

/// The last `n` lines of each of `files` (under `dir`), for a failure message.
pub(crate) fn tails(dir: &Path, files: &[&str], n: usize) -> String {
    let mut out = String::new();
    for f in files {
        let text = std::fs::read_to_string(dir.join(f)).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        out.push_str(&format!("--- {f} (last {n} lines)\n"));
        for l in &lines[lines.len().saturating_sub(n)..] {
            out.push_str(l);
            out.push('\n');
        }
    }
    out
}
