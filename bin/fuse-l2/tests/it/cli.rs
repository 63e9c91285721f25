//! The binary from the outside: `fuse-l2 devnet` starts and says what to do next, and the
//! wallet commands it prints work against it from another process — a transfer is accepted
//! and posted to L1, the recipient's balance shows it, a bad transaction fails with the
//! sequencer's reason and a non-zero exit; `fuse-l2 node` on anvil with the wallet's L1
//! commands (deposit, withdraw, proof, claim, force); the node from a config file, and
//! `--print-config`. Every command answers `--help`.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use crate::common::{BIN, Killed};

fn wallet(args: &[&str]) -> (bool, String) {
    let out = Command::new(BIN).arg("wallet").args(args).output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// A `fuse-l2 devnet` child (killed when dropped) and what its banner said.
pub(crate) struct Devnet {
    _child: Killed,
    /// Its L2 JSON-RPC URL.
    pub(crate) rpc: String,
    /// Its embedded L1's JSON-RPC URL.
    pub(crate) l1_url: String,
    banner: String,
    /// (address, key) of each dev account.
    keys: Vec<(String, String)>,
}

/// Starts `fuse-l2 devnet` on free ports and reads its banner up to its last line; the rest of
/// its output is drained so it never blocks on a full pipe.
pub(crate) fn start_devnet() -> Devnet {
    let addr = format!("127.0.0.1:{}", crate::common::free_port());
    let mut child = Command::new(BIN)
        .args([
            "devnet",
            "--rpc-addr",
            &addr,
            "--l1-rpc-addr",
            "127.0.0.1:0",
        ])
        .args(["--batch-interval", "1", "--exit-after", "300"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let child = Killed(child);
    let (mut keys, mut l1_url, mut banner) = (Vec::new(), String::new(), String::new());
    let mut lines = BufReader::new(stdout).lines();
    for line in lines.by_ref() {
        let line = line.unwrap();
        banner.push_str(&line);
        banner.push('\n');
        if let Some((address, key)) = line.trim().split_once("  key ") {
            keys.push((address.to_string(), key.to_string()));
        }
        if let Some(rest) = line.trim().strip_prefix("L1 JSON-RPC") {
            l1_url = rest
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_string();
        }
        if line.starts_with("batches go to the embedded L1") {
            break;
        }
    }
    std::thread::spawn(move || lines.for_each(drop));
    Devnet {
        _child: child,
        rpc: format!("http://{addr}"),
        l1_url,
        banner,
        keys,
    }
}

#[test]
fn devnet_and_wallet_from_another_process() {
    let Devnet {
        _child: _guard,
        rpc,
        banner,
        keys,
        ..
    } = start_devnet();
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
        &["wallet", "proof"],
        &["wallet", "deposit"],
        &["wallet", "claim"],
        &["wallet", "force"],
        &["node"],
        &["validator"],
        &["validator", "status"],
        &["validator", "withdraw"],
        &["wast"],
        &["replay"],
        &["trace"],
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

/// `validator status` reads an account's standing from L1 (text and JSON) and `validator
/// withdraw` takes nothing from an account that has nothing, saying so; a bad address or a
/// missing rollup is a clear error.
#[test]
fn validator_status_and_withdraw_on_the_devnet() {
    let d = start_devnet();
    let run = |args: &[&str]| {
        let out = Command::new(BIN)
            .arg("validator")
            .args(args)
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success(), text)
    };
    let who = &d.keys[0].0;
    let base = ["--l1-rpc", &d.l1_url, "--rpc", &d.rpc];
    let (ok, out) = run(&[&["status"][..], &base, &["--address", who, "--json"]].concat());
    assert!(ok, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v["validator"].as_str().unwrap().to_lowercase(),
        who.to_lowercase()
    );
    assert!(v["l1Block"].as_u64().unwrap() > 0, "{v}");
    assert!(
        v["balance"].as_str().unwrap().parse::<u128>().is_ok(),
        "{v}"
    );
    assert!(v["stake"].is_null(), "a wallet account has no stake: {v}");
    assert_eq!(v["credits"], "0", "{v}");
    assert_eq!(v["challenges"], serde_json::json!([]), "{v}");

    let (ok, out) = run(&[&["status"][..], &base, &["--address", who]].concat());
    assert!(
        ok && out.contains("stake    none") && out.contains("open challenges: 0"),
        "{out}"
    );

    let (ok, out) = run(&[&["withdraw"][..], &base].concat());
    assert!(!ok && out.contains("no L1 key"), "{out}");
    let (ok, out) = run(&[&["withdraw"][..], &base, &["--key", &d.keys[0].1]].concat());
    assert!(ok && out.contains("nothing to withdraw"), "{out}");

    let (ok, out) = run(&["status", "--l1-rpc", &d.l1_url, "--address", who]);
    assert!(!ok && out.contains("name the rollup"), "{out}");

    // An account that cannot pay the bond and a dispute is refused before it stakes.
    let dir = tempfile::tempdir().unwrap();
    let poor = "0x0101010101010101010101010101010101010101010101010101010101010101";
    let mut args: Vec<&str> = base.to_vec();
    args.extend(["--key", poor, "--data-dir", dir.path().to_str().unwrap()]);
    let (ok, out) = run(&args);
    assert!(
        !ok && out.contains("needs") && out.contains("Fund the account"),
        "{out}"
    );
}

/// `fuse-l2 bench` runs the `fuse-bench` beside it; where there is none it fails with how to
/// build it, instead of a bare "not found".
#[test]
fn bench_without_fuse_bench_beside_it_says_how_to_build_it() {
    let dir = tempfile::tempdir().unwrap();
    let alone = dir.path().join("fuse-l2");
    std::fs::copy(BIN, &alone).unwrap();
    let out = Command::new(&alone).args(["bench", "vm"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{text}");
    assert!(
        text.contains("fuse-bench") && text.contains("./scripts/bench vm"),
        "{text}"
    );
}

/// Where the wallet's L1 flow runs: the sequencer, the L1, and three funded L1 keys (the
/// depositor, who also withdraws; a claimer who moves the clock; the forcer is the depositor).
struct L1Setup {
    rpc: String,
    l1_url: String,
    keys: [String; 2],
}

/// An account's soft L2 balance as `wallet balance` prints it.
fn soft_balance(rpc: &str, who: &str) -> Option<u128> {
    let (ok, out) = wallet(&["balance", who, "--rpc", rpc]);
    if !ok {
        return None;
    }
    out.lines()
        .find_map(|l| l.trim().strip_prefix("soft"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// The wallet's L1 commands: deposit (her L2 balance rises by the amount), withdraw, the proof
/// once final, the claim on L1 (her L1 balance rises by the amount; a second claim fails), and
/// a transfer forced through the Inbox.
async fn wallet_l1_flow(s: &L1Setup) {
    use alloy::signers::local::PrivateKeySigner;
    use fuse_l1::{DevClock, L1, RpcL1};

    let signer = |k: &str| {
        k.trim_start_matches("0x")
            .parse::<PrivateKeySigner>()
            .unwrap()
    };
    let alice = signer(&s.keys[0]).address();
    let alice_s = alice.to_string();
    let clock = RpcL1::connect(&s.l1_url, signer(&s.keys[1])).unwrap();
    let (rpc, l1_url) = (s.rpc.as_str(), s.l1_url.as_str());
    let l1 = |args: &[&str], k: usize| -> (bool, String) {
        let mut all = args.to_vec();
        all.extend(["--rpc", rpc, "--l1-rpc", l1_url, "--key", &s.keys[k]]);
        wallet(&all)
    };

    let before = soft_balance(rpc, &alice_s).expect("balance answers");
    let (ok, out) = l1(&["deposit", "--amount", "1000000000000000000"], 0);
    assert!(ok, "{out}");
    let mut credited = false;
    for _ in 0..200 {
        if soft_balance(rpc, &alice_s) == Some(before + 1_000_000_000_000_000_000) {
            credited = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(credited, "the deposit never reached L2");

    let (ok, out) = wallet(&[
        "withdraw", "--key", &s.keys[0], "--to", &alice_s, "--amount", "250000", "--rpc", rpc,
    ]);
    assert!(ok && out.contains("POSTED in batch"), "{out}");
    let id = out
        .lines()
        .next()
        .unwrap()
        .trim_start_matches("tx ")
        .to_string();
    let (ok, out) = wallet(&["proof", &id, "--rpc", rpc]);
    assert!(!ok && out.contains("not final yet"), "{out}");
    let mut final_ = false;
    for _ in 0..200 {
        clock.advance(31).await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        if wallet(&["proof", &id, "--rpc", rpc]).0 {
            final_ = true;
            break;
        }
    }
    assert!(final_, "the withdrawal never became final");
    let before = clock.balance(alice).await.unwrap();
    let (ok, out) = l1(&["claim", &id], 1);
    assert!(ok && out.contains("paid 250000 wei"), "{out}");
    let after = clock.balance(alice).await.unwrap();
    assert_eq!(after - before, alloy_primitives::U256::from(250_000));
    let (ok, out) = l1(&["claim", &id], 1);
    assert!(!ok && out.contains("AlreadySpent"), "{out}");

    // The escape hatch: a transfer forced through the Inbox is seen by the node.
    let bob = alloy_primitives::Address::repeat_byte(0xb0).to_string();
    let (ok, out) = l1(&["force", "--to", &bob, "--amount", "7"], 0);
    assert!(ok && out.contains("forced tx 0x"), "{out}");
    let forced = out.split_whitespace().nth(2).unwrap().to_string();
    let mut seen = false;
    for _ in 0..200 {
        let (ok, out) = wallet(&["status", &forced, "--rpc", rpc]);
        if ok && out.contains("FORCED") {
            seen = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(seen, "the forced transaction never showed up");
}

/// The wallet's L1 commands against `fuse-l2 node` on anvil.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wallet_l1_commands_against_a_node_on_anvil() {
    use alloy::node_bindings::Anvil;
    use alloy_primitives::hex;

    let anvil = Anvil::at(crate::common::anvil_path())
        .port(crate::common::free_port())
        .try_spawn()
        .expect("anvil starts (./scripts/test installs it)");
    let l1_url = anvil.endpoint();
    let key = |i: usize| format!("0x{}", hex::encode(anvil.keys()[i].to_bytes()));
    let dir = tempfile::tempdir().unwrap();
    let addr = format!("127.0.0.1:{}", crate::common::free_port());
    let rpc = format!("http://{addr}");
    let mut child = Command::new(BIN)
        .args(["node", "--deploy", "--l1-rpc", &l1_url, "--key", &key(0)])
        .arg("--data-dir")
        .arg(dir.path())
        .args(["--rpc-addr", &addr, "--challenge-period", "60"])
        .args([
            "--force-delay",
            "60",
            "--batch-interval-ms",
            "200",
            "--poll-ms",
            "50",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let _guard = Killed(child);
    let mut lines = BufReader::new(stdout).lines();
    assert!(
        lines
            .by_ref()
            .any(|l| l.unwrap().starts_with("fuse-l2 node is running")),
        "the node did not start"
    );
    std::thread::spawn(move || lines.for_each(drop));
    wallet_l1_flow(&L1Setup {
        rpc,
        l1_url,
        keys: [key(1), key(2)],
    })
    .await;
}

/// The same wallet L1 commands against `fuse-l2 devnet`: its embedded L1 served over
/// Ethereum JSON-RPC, with the dev keys it prints.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wallet_l1_commands_against_the_devnet() {
    let d = start_devnet();
    assert!(d.l1_url.starts_with("http://127.0.0.1:"), "{}", d.banner);
    wallet_l1_flow(&L1Setup {
        rpc: d.rpc.clone(),
        l1_url: d.l1_url.clone(),
        keys: [d.keys[0].1.clone(), d.keys[1].1.clone()],
    })
    .await;
}

/// With no `--confirmations` and `--poll-ms`, the node follows the endpoint's finalized block
/// and looks every 4 s on a public chain, and waits for nothing and looks every 500 ms on a
/// development chain (anvil's 31337), and says which it chose.
#[test]
fn confirmations_default_to_the_finalized_depth_off_development_chains() {
    use alloy::node_bindings::Anvil;
    use alloy_primitives::hex;

    // anvil answers the `finalized` tag (64 blocks behind its head) on any chain id.
    for (chain, want, poll) in [
        (
            1u64,
            "up to the L1's finalized block (64 blocks deep if it stops answering)",
            4_000u64,
        ),
        (31_337, "0 blocks deep", 500),
    ] {
        let anvil = Anvil::at(crate::common::anvil_path())
            .port(crate::common::free_port())
            .chain_id(chain)
            .try_spawn()
            .expect("anvil starts (./scripts/test installs it)");
        let key = format!("0x{}", hex::encode(anvil.keys()[0].to_bytes()));
        let dir = tempfile::tempdir().unwrap();
        let rpc = format!("127.0.0.1:{}", crate::common::free_port());
        let node = crate::common::start_node(&anvil.endpoint(), &key, dir.path(), &rpc, true, &[]);
        drop(node);
        let log = std::fs::read_to_string(dir.path().join("node.log")).unwrap();
        let line = format!(
            "L1 chain {chain}: executing messages {want} (--confirmations), looking every {poll} \
             ms"
        );
        assert!(log.contains(&line), "chain {chain}: {log}");
    }
}

/// `fuse-l2 args` without the FUSE_* variables of the test's own environment: what it reads
/// from there is what the test gives it.
fn clean(args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("FUSE_") {
            cmd.env_remove(name);
        }
    }
    cmd.args(args);
    cmd
}

/// `fuse-l2 args` with `env` (and no other FUSE_* variable): (success, stdout, stderr).
fn fuse_l2(args: &[&str], env: &[(&str, &str)]) -> (bool, String, String) {
    let out = clean(args).envs(env.iter().copied()).output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `fuse-l2 node --config FILE`: `--print-config` shows the file's values under the
/// environment's and the command line's, each with its source, the provider's API key and the
/// private key hidden, without connecting (the L1 named does not exist); what it prints reads
/// back (through FUSE_CONFIG) as the same configuration; a key in the file is refused; and a
/// node started from a file alone runs with the file's values.
#[test]
fn node_from_a_config_file_and_print_config() {
    use alloy::node_bindings::Anvil;
    use alloy_primitives::hex;

    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_string()
    };
    let key = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
    let file = write(
        "node.toml",
        "l1-rpc = \"https://user:pw@provider.invalid/v3/APIKEY\"\ndata-dir = \"/var/lib/fuse\"\n\
         confirmations = 64\nchain-id = 5\n",
    );
    let (ok, first, err) = fuse_l2(
        &[
            "node",
            "--config",
            &file,
            "--chain-id",
            "9",
            "--print-config",
        ],
        &[("FUSE_RPC_ADDR", "0.0.0.0:9999"), ("FUSE_L1_KEY", key)],
    );
    assert!(ok, "{err}");
    for want in [
        "l1-rpc = \"https://provider.invalid/…\"  # file",
        "data-dir = \"/var/lib/fuse\"  # file",
        "confirmations = 64  # file",
        "chain-id = 9  # command line",
        "rpc-addr = \"0.0.0.0:9999\"  # env FUSE_RPC_ADDR",
        "challenge-period = 3600  # default",
        "# key (set, never printed)  # env FUSE_L1_KEY",
        "# poll-ms (not set)  # default",
    ] {
        assert!(first.lines().any(|l| l == want), "{want}:\n{first}");
    }
    for secret in ["APIKEY", "pw@", &key[2..]] {
        assert!(!first.contains(secret), "{secret}:\n{first}");
    }

    let again = write("again.toml", &first);
    let (ok, second, err) = fuse_l2(&["node", "--print-config"], &[("FUSE_CONFIG", &again)]);
    assert!(ok, "{err}");
    let table = |s: &str| s.parse::<toml::Table>().unwrap();
    assert_eq!(table(&first), table(&second), "{second}");
    assert!(
        second.contains(&format!("# config file: {again} (env FUSE_CONFIG)")),
        "{second}"
    );

    let with_key = write(
        "key.toml",
        &format!("l1-rpc = \"http://127.0.0.1:1\"\ndata-dir = \"/d\"\nkey = \"{key}\"\n"),
    );
    let (ok, out, err) = fuse_l2(&["node", "--config", &with_key, "--print-config"], &[]);
    assert!(!ok && out.is_empty(), "{out}");
    assert!(
        err.contains("sets `key`") && err.contains("keystore") && err.contains("FUSE_L1_KEY"),
        "{err}"
    );
    let (ok, _, err) = fuse_l2(
        &["node", "--config", &write("typo.toml", "poll_ms = 5\n")],
        &[],
    );
    assert!(
        !ok && err.contains("`poll_ms`") && err.contains("poll-ms"),
        "{err}"
    );

    // A node from the file alone (its key in the environment, where keys belong).
    let anvil = Anvil::at(crate::common::anvil_path())
        .port(crate::common::free_port())
        .try_spawn()
        .expect("anvil starts (./scripts/test installs it)");
    let data = dir.path().join("data");
    let addr = format!("127.0.0.1:{}", crate::common::free_port());
    let run = write(
        "run.toml",
        &format!(
            "l1-rpc = \"{}\"\ndata-dir = \"{}\"\nrpc-addr = \"{addr}\"\ndeploy = true\n\
             poll-ms = 50\nbatch-interval-ms = 200\n",
            anvil.endpoint(),
            data.display()
        ),
    );
    std::fs::create_dir_all(&data).unwrap();
    let mut child = clean(&["node", "--config", &run])
        .env("FUSE_L1_KEY", hex::encode(anvil.keys()[0].to_bytes()))
        .stdout(Stdio::piped())
        .stderr(crate::common::log_file(&data, "node.log"))
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let _node = Killed(child);
    let mut banner = String::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        banner.push_str(&line);
        banner.push('\n');
        if line.trim_start().starts_with("data") {
            break;
        }
    }
    assert!(banner.starts_with("fuse-l2 node is running"), "{banner}");
    assert!(banner.contains(&format!("http://{addr}")), "{banner}");
    assert!(banner.contains(&data.display().to_string()), "{banner}");
    let log = std::fs::read_to_string(data.join("node.log")).unwrap();
    assert!(log.contains("looking every 50 ms"), "{log}");
}
