//! Crash safety: `fuse-l2 node` against anvil is killed with SIGKILL at random moments while
//! clients send transfers, and restarted on the same data directory, several times. Every transfer
//! the node acknowledged `ACCEPTED_IN_L2` must end up in a batch on L1 exactly once, and no
//! transaction may land twice — checked by reading the batches back from the Inbox's events, not by
//! asking the node.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use alloy::node_bindings::Anvil;
use alloy::signers::local::PrivateKeySigner;
use alloy_primitives::{Address, B256, U256, hex, keccak256};
use fuse_arbos::batch;
use fuse_arbos::message::KIND_BATCH;
use fuse_arbos::testing::TestRng;
use fuse_arbos::tx::{Domain, KIND_TRANSFER};
use fuse_contracts::deploy::Deployment;
use fuse_exec::wallet::sign;
use fuse_l1::rollup::RollupL1;
use fuse_l1::{L1, RpcL1};
use jsonrpsee::core::client::ClientT;
use jsonrpsee::http_client::{HttpClient, HttpClientBuilder};
use jsonrpsee::rpc_params;
use serde_json::{Value, json};

const ROUNDS: usize = 4;
const SENDERS: u8 = 4;

/// Starts `fuse-l2 node` (fast pacing) and waits for its banner.
fn start_node(l1: &str, key: &str, dir: &Path, rpc: &str, deploy: bool) -> crate::common::Killed {
    let flags = ["--batch-interval-ms", "150", "--poll-ms", "50"];
    crate::common::start_node(l1, key, dir, rpc, deploy, &flags)
}

/// One client: sends transfers with `wait` and records what was acknowledged. Any failure
/// (the node is down, or a send's answer was lost) makes it re-read its nonce and go on.
async fn client(
    rpc: String,
    key: PrivateKeySigner,
    domain: Domain,
    acked: Arc<Mutex<Vec<B256>>>,
    stop: Arc<Mutex<bool>>,
) {
    let c: HttpClient = HttpClientBuilder::default()
        .request_timeout(Duration::from_secs(5))
        .build(&rpc)
        .unwrap();
    let to: [u8; 20] = [0x77; 20];
    let mut nonce: Option<u64> = None;
    while !*stop.lock().unwrap() {
        let n = match nonce {
            Some(n) => n,
            None => {
                let v: Result<Value, _> = c
                    .request("fuse_getAccount", rpc_params![key.address()])
                    .await;
                match v.ok().and_then(|v| v["soft"]["nonce"].as_u64()) {
                    Some(n) => n,
                    None => {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                }
            }
        };
        let t = sign(&key, &domain, KIND_TRANSFER, to, 1, n).unwrap();
        let sent: Result<Value, _> = c
            .request(
                "fuse_sendTransaction",
                rpc_params![
                    format!("0x{}", hex::encode(t.encode())),
                    json!({ "wait": true })
                ],
            )
            .await;
        match sent {
            Ok(v) if v["status"] == "ACCEPTED_IN_L2" => {
                let id: B256 = v["id"].as_str().unwrap().parse().unwrap();
                acked.lock().unwrap().push(id);
                nonce = Some(n + 1);
            }
            _ => {
                nonce = None;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_transactions_survive_kill_9_and_land_once() {
    let anvil = Anvil::at(crate::common::anvil_path())
        .port(crate::common::free_port())
        .try_spawn()
        .expect("anvil starts (./scripts/test installs it)");
    let l1_url = anvil.endpoint();
    let node_key = format!("0x{}", hex::encode(anvil.keys()[0].to_bytes()));
    let dir = tempfile::tempdir().unwrap();
    let rpc_addr = format!("127.0.0.1:{}", crate::common::free_port());
    let rpc = format!("http://{rpc_addr}");
    let mut node = start_node(&l1_url, &node_key, dir.path(), &rpc_addr, true);

    // Fund the senders on L2 from another L1 account.
    let record: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("deployment.json")).unwrap())
            .unwrap();
    let addr = |k: &str| -> Address { record[k].as_str().unwrap().parse().unwrap() };
    let contracts = Deployment {
        inbox: addr("inbox"),
        outbox: addr("outbox"),
        rollup: addr("rollup"),
        challenges: addr("challengeManager"),
        osp: addr("oneStepProver"),
        block: record["deployedAtBlock"]
            .as_u64()
            .expect("the record keeps the deployment block"),
    };
    let funder = PrivateKeySigner::from(anvil.keys()[1].clone());
    let user_l1 = RollupL1::at(RpcL1::connect(&l1_url, funder).unwrap(), contracts);
    let keys: Vec<PrivateKeySigner> = (1..=SENDERS)
        .map(|i| PrivateKeySigner::from_bytes(&B256::repeat_byte(i)).unwrap())
        .collect();
    for k in &keys {
        user_l1
            .deposit(k.address(), U256::from(10u128.pow(18)))
            .await
            .unwrap();
    }
    let c = HttpClientBuilder::default().build(&rpc).unwrap();
    let start = Instant::now();
    loop {
        let v: Value = c
            .request(
                "fuse_getAccount",
                rpc_params![keys[SENDERS as usize - 1].address()],
            )
            .await
            .unwrap();
        if v["soft"]["balance"] != "0" {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "deposits not credited"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Load, and kill -9 at random moments.
    let domain = Domain {
        chain_id: 412_346,
        inbox: contracts.inbox.into(),
    };
    let acked = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(Mutex::new(false));
    let clients: Vec<_> = keys
        .iter()
        .map(|k| {
            tokio::spawn(client(
                rpc.clone(),
                k.clone(),
                domain,
                acked.clone(),
                stop.clone(),
            ))
        })
        .collect();
    let mut rng = TestRng::new(0xc0a5);
    let mut at_kill = Vec::new();
    for _ in 0..ROUNDS {
        tokio::time::sleep(Duration::from_millis(300 + rng.below(900))).await;
        drop(node); // SIGKILL
        at_kill.push(acked.lock().unwrap().len());
        node = start_node(&l1_url, &node_key, dir.path(), &rpc_addr, false);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    *stop.lock().unwrap() = true;
    for t in clients {
        t.await.unwrap();
    }
    let acked: Vec<B256> = acked.lock().unwrap().clone();
    assert!(
        acked.len() > 20,
        "too little load to mean anything: {}",
        acked.len()
    );

    // Wait until the node has every acknowledged transaction on L1.
    let start = Instant::now();
    for id in &acked {
        loop {
            let v: Value = match c
                .request("fuse_getTransactionStatus", rpc_params![id])
                .await
            {
                Ok(v) => v,
                Err(e) => {
                    let log = std::fs::read_to_string(dir.path().join("node.log"));
                    panic!(
                        "the node stopped answering ({e}); its log:\n{}",
                        log.unwrap_or_default()
                    );
                }
            };
            if v["status"] == "POSTED" || v["status"] == "FINALIZED" {
                break;
            }
            assert_ne!(v["status"], "REJECTED", "{v}");
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "{id} not posted: {v}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    // Read every batch back from L1 and count each transaction.
    let head = user_l1.l1.head().await.unwrap();
    let messages = user_l1.messages(0, head.number).await.unwrap();
    let mut seen: HashMap<B256, usize> = HashMap::new();
    let mut batches = 0;
    for m in messages.iter().filter(|m| m.header.kind == KIND_BATCH) {
        let (_, txs) = batch::decode_batch(&m.data).expect("our batches decode");
        batches += 1;
        for t in txs {
            *seen.entry(keccak256(t.encode())).or_default() += 1;
        }
    }
    let twice: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "transactions on L1 twice: {twice:?}");
    let missing: Vec<_> = acked.iter().filter(|id| !seen.contains_key(*id)).collect();
    assert!(
        missing.is_empty(),
        "acknowledged but not on L1: {missing:?}"
    );
    let unique: HashSet<&B256> = acked.iter().collect();
    assert_eq!(unique.len(), acked.len());
    println!(
        "crash loop: {ROUNDS} kill -9 restarts (acknowledged so far at each kill: {at_kill:?}); \
         {} acknowledged transfers, all on L1 exactly once, in {batches} batches ({} txs on L1)",
        acked.len(),
        seen.len()
    );
    drop(node);
}
