//! L1 reorgs under load, on anvil (`anvil_reorg` replaces the last N blocks with empty
//! ones, dropping their transactions). The node follows with no confirmations, so every
//! reorg reaches what it executed: its batches vanish from L1, its validator's assertions
//! too. Transfers keep arriving over JSON-RPC throughout. Afterwards: every acknowledged
//! transaction is in exactly one batch on L1 and executed, none is lost or doubled; the
//! node's state equals a sequencer's synced afresh from L1; and the node's validator asserts
//! that state on the reorged chain (its replica and view recovered too).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use alloy::node_bindings::Anvil;
use alloy::providers::{Provider, ProviderBuilder};
use alloy::signers::local::PrivateKeySigner;
use alloy_primitives::{U256, hex, keccak256};
use fuse_arbos::batch::decode_batch;
use fuse_arbos::message::KIND_BATCH;
use fuse_arbos::tx::{Domain, KIND_TRANSFER};
use fuse_contracts::deploy::RollupConfig;
use fuse_devnet::devnet::DEVNET_CHAIN_ID;
use fuse_exec::wallet::sign;
use fuse_l1::rollup::RollupL1;
use fuse_l1::{L1, RpcL1};
use fuse_node::node::{Node, NodeConfig};
use fuse_sequencer::service::{ServiceConfig, lock};
use fuse_sequencer::store::{Store, TxStatus};
use fuse_sequencer::{BatchCaps, Sequencer};
use jsonrpsee::core::client::ClientT;
use jsonrpsee::http_client::HttpClientBuilder;
use jsonrpsee::rpc_params;
use serde_json::{Value, json};

const DEPTHS: [u64; 3] = [1, 5, 20];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_node_and_its_validator_survive_reorgs_of_1_5_and_20_blocks_under_load() {
    fuse_l1::install_tls_provider();
    let _ = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::WARN)
        .with_test_writer()
        .try_init();
    let anvil = Anvil::at(fuse_l1::testing::anvil_path())
        .port(fuse_l1::testing::free_port())
        .try_spawn()
        .expect("anvil starts (./scripts/test installs it)");
    let dev = ProviderBuilder::new().connect_http(anvil.endpoint_url());
    let key = PrivateKeySigner::from(anvil.keys()[0].clone());
    let l1 = RpcL1::connect(&anvil.endpoint(), key.clone()).unwrap();
    // A long challenge period: nothing is confirmed (nor finalized) while the test runs.
    let rollup = RollupL1::deploy(
        l1.clone(),
        RollupConfig::new(
            key.address(),
            DEVNET_CHAIN_ID,
            600,
            fuse_prover::guest::module().root,
            3_600,
        ),
    )
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let service = ServiceConfig {
        confirmations: 0,
        poll_interval: Duration::from_millis(20),
        batch_interval: Duration::from_millis(100),
        ..ServiceConfig::default()
    };
    let node = Node::start(
        rollup.clone(),
        NodeConfig::new(
            dir.path().to_path_buf(),
            "127.0.0.1:0".parse().unwrap(),
            service,
        ),
    )
    .await
    .unwrap();
    let rpc = HttpClientBuilder::default()
        .build(format!("http://{}", node.rpc_addr))
        .unwrap();

    let alice = PrivateKeySigner::from(anvil.keys()[1].clone());
    let bob = PrivateKeySigner::from(anvil.keys()[2].clone());
    RollupL1::at(
        RpcL1::connect(&anvil.endpoint(), alice.clone()).unwrap(),
        rollup.contracts,
    )
    .deposit(alice.address(), U256::from(10_000_000u64))
    .await
    .unwrap();
    // The deposit sinks deeper than the deepest reorg, so every transfer stays valid. The
    // node must also have followed the chain a few blocks at a time on the way: a rollback goes
    // back to the last block the follower recorded below the fork, and a round that read from
    // below the deposit to above the deepest fork would take the deposit back too (for as long
    // as the chain takes to be re-read, a transfer spending it is refused; docs/node.md).
    for _ in 0..(DEPTHS[2] + 5) / 5 {
        for _ in 0..5 {
            let _: Value = dev.raw_request("evm_mine".into(), ()).await.unwrap();
        }
        let head = rollup.l1.head().await.unwrap().number;
        wait("the node to follow the mined blocks", || async {
            lock(&node.service.sequencer)
                .l1_scanned()
                .unwrap()
                .is_some_and(|b| b >= head)
        })
        .await;
    }
    let account = async |who| -> Value {
        rpc.request("fuse_getAccount", rpc_params![who])
            .await
            .unwrap()
    };
    wait("the deposit on L2", || async {
        account(alice.address()).await["soft"]["balance"] == "10000000"
    })
    .await;

    // The load: a transfer of 1..=n wei every few milliseconds, each answered with its id.
    let domain = Domain {
        chain_id: node.info.chain_id,
        inbox: node.info.inbox.into(),
    };
    let stop = Arc::new(AtomicBool::new(false));
    let load = {
        let (rpc, stop, alice, to) = (rpc.clone(), stop.clone(), alice.clone(), bob.address());
        tokio::spawn(async move {
            let mut acknowledged = Vec::new();
            let mut nonce = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let amount = u128::from(nonce) + 1;
                let t = sign(&alice, &domain, KIND_TRANSFER, to.into(), amount, nonce).unwrap();
                let sent: Result<Value, _> = rpc
                    .request(
                        "fuse_sendTransaction",
                        rpc_params![format!("0x{}", hex::encode(t.encode())), json!({})],
                    )
                    .await;
                let v = sent.expect("the node accepts every transfer, reorgs or not");
                acknowledged.push((v["id"].as_str().unwrap().to_string(), amount));
                nonce += 1;
                tokio::time::sleep(Duration::from_millis(15)).await;
            }
            acknowledged
        })
    };

    let mut removed_batches = 0;
    for depth in DEPTHS {
        // Some of the node's batches must be among the blocks replaced.
        let posted_before = rollup.next_batch_seq().await.unwrap();
        wait("batches to replace", || async {
            rollup.next_batch_seq().await.unwrap() >= posted_before + depth.min(3)
        })
        .await;
        let before = rollup.next_batch_seq().await.unwrap();
        let _: Value = dev
            .raw_request("anvil_reorg".into(), (depth, Vec::<Value>::new()))
            .await
            .unwrap();
        let after = rollup.next_batch_seq().await.unwrap();
        println!("reorg of {depth} blocks: the Inbox's next batch went from {before} to {after}");
        removed_batches += before - after;
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert!(
        removed_batches > 0,
        "the reorgs removed none of the node's batches"
    );
    let reorged_at = rollup.message_count().await.unwrap();
    stop.store(true, Ordering::Relaxed);
    let acknowledged = load.await.unwrap();
    assert!(
        acknowledged.len() > 20,
        "too little load: {}",
        acknowledged.len()
    );

    // Settled: everything acknowledged is on L1 and executed.
    let sequencer = node.service.sequencer.clone();
    wait("every acknowledged transfer executed on L1", || async {
        let s = lock(&sequencer);
        s.pending_count() == 0 && s.canonical() == s.soft()
    })
    .await;
    let head = l1.head().await.unwrap().number;
    let messages = rollup.messages(0, head).await.unwrap();
    let mut on_l1: HashMap<String, usize> = HashMap::new();
    for m in &messages {
        if m.header.kind == KIND_BATCH {
            let (_, txs) = decode_batch(&m.data).expect("the node's batches decode");
            for t in txs {
                let id = format!("0x{}", hex::encode(keccak256(t.encode())));
                *on_l1.entry(id).or_default() += 1;
            }
        }
    }
    let mut paid = 0u128;
    {
        let s = lock(&sequencer);
        for (id, amount) in &acknowledged {
            assert_eq!(on_l1.get(id), Some(&1), "{id} is in one batch on L1, once");
            let raw: [u8; 32] = hex::decode(&id[2..]).unwrap().try_into().unwrap();
            assert!(
                matches!(s.status(&raw).unwrap(), Some(TxStatus::Posted { .. })),
                "{id}: {:?}",
                s.status(&raw)
            );
            paid += amount;
        }
    }
    assert_eq!(
        account(bob.address()).await["canonical"]["balance"],
        paid.to_string(),
        "Bob holds every transfer once"
    );

    // The same state as a node that never saw the replaced blocks.
    let fresh_dir = tempfile::tempdir().unwrap();
    let mut fresh =
        Sequencer::open(Store::open(fresh_dir.path()).unwrap(), BatchCaps::default()).unwrap();
    fresh.apply_messages(&messages).unwrap();
    assert_eq!(fresh.canonical(), lock(&sequencer).canonical());

    // The node's validator, whose assertions the reorgs removed too, stakes on the new
    // chain past the reorged blocks, claiming the state a fresh sync computes.
    let validator = l1.signer();
    wait("the validator's assertion past the reorgs", || async {
        let id = rollup.staker(validator).await.unwrap();
        let a = rollup.assertion(id).await.unwrap();
        let Some(state) = fresh.state_at(a.afterInbox).unwrap() else {
            return false;
        };
        a.afterInbox >= reorged_at && a.afterStateHash == state.hash()
    })
    .await;
}

/// Polls `cond` for up to 60 s.
async fn wait<F: std::future::Future<Output = bool>>(what: &str, cond: impl Fn() -> F) {
    for _ in 0..1200 {
        if cond().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}
