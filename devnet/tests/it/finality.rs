//! The honest path to finality, end to end at the library level, on the embedded L1 and on anvil:
//! Alice and Bob deposit from their own L1 accounts and see their balances on L2; Alice transfers
//! to Bob (PENDING → ACCEPTED_IN_L2 → POSTED → FINALIZED) and withdraws to her L1 address; the
//! node's validator asserts and, once the L1 clock passes the challenge period, confirms; the
//! withdrawal's proof is fetched over JSON-RPC and paid by the Outbox on L1: her balance rises by
//! the amount, and a second claim fails. (The wallet's L1 commands, `deposit` and `claim`, are
//! tested from the binary in `tests/cli.rs`.)

use std::time::Duration;

use alloy::node_bindings::Anvil;
use alloy::signers::local::PrivateKeySigner;
use alloy_primitives::{Address, B256, U256, hex};
use fuse_arbos::tx::{Domain, KIND_TRANSFER, KIND_WITHDRAW};
use fuse_contracts::deploy::RollupConfig;
use fuse_devnet::devnet::{DEVNET_CHAIN_ID, Devnet, DevnetConfig};
use fuse_exec::wallet::sign;
use fuse_l1::rollup::{RollupL1, WithdrawalClaim};
use fuse_l1::{DevClock, EmbeddedClock, L1, RpcL1};
use fuse_node::node::{Node, NodeConfig};
use fuse_sequencer::service::ServiceConfig;
use jsonrpsee::core::client::{ClientT, Error as ClientError};
use jsonrpsee::http_client::HttpClientBuilder;
use jsonrpsee::rpc_params;
use serde_json::{Value, json};

const PERIOD: u64 = 60;

/// A user: one key for L1 and L2, and an L1 handle that signs as it.
struct User<L> {
    key: PrivateKeySigner,
    l1: L,
}

/// The whole story on a running node over `l1` (whose clock the story moves): Alice and Bob
/// deposit from their own L1 accounts; Alice withdraws to her own L1 address.
async fn story<L: L1 + DevClock + Clone + 'static>(
    l1: &L,
    d: &Node<L>,
    users: [User<L>; 2],
    label: &str,
) {
    let [alice_user, bob_user] = users;
    let c = HttpClientBuilder::default()
        .build(format!("http://{}", d.rpc_addr))
        .unwrap();
    let (alice, bob) = (alice_user.key.clone(), bob_user.key.clone());
    let recipient = alice.address();
    let domain = Domain {
        chain_id: d.info.chain_id,
        inbox: d.info.inbox.into(),
    };
    let account = async |who: Address| -> Value {
        c.request("fuse_getAccount", rpc_params![who])
            .await
            .unwrap()
    };
    let status = async |id: &str| -> String {
        let v: Value = c
            .request("fuse_getTransactionStatus", rpc_params![id])
            .await
            .unwrap();
        v["status"].as_str().unwrap().to_string()
    };
    // Waits up to 20 s for `cond`, moving the L1 clock past a challenge period each round so
    // assertions become confirmable.
    macro_rules! until {
        ($what:expr, $cond:expr) => {{
            let mut ok = false;
            for _ in 0..400 {
                if $cond {
                    ok = true;
                    break;
                }
                l1.advance(PERIOD / 2).await.unwrap();
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            assert!(ok, "timed out waiting for {}", $what);
        }};
    }

    for (who, wei) in [(&alice_user, 1_000_000u64), (&bob_user, 50_000)] {
        RollupL1::at(who.l1.clone(), d.rollup.contracts)
            .deposit(who.key.address(), U256::from(wei))
            .await
            .unwrap();
    }
    until!("the deposits on L2", {
        account(bob.address()).await["soft"]["balance"] == "50000"
            && account(alice.address()).await["soft"]["balance"] == "1000000"
    });

    let send = async |kind: u8, to: Address, amount: u128, nonce: u64| -> String {
        let t = sign(&alice, &domain, kind, to.into(), amount, nonce).unwrap();
        let v: Value = c
            .request(
                "fuse_sendTransaction",
                rpc_params![
                    format!("0x{}", hex::encode(t.encode())),
                    json!({ "from": alice.address() })
                ],
            )
            .await
            .unwrap();
        assert_eq!(v["status"], "PENDING");
        v["id"].as_str().unwrap().to_string()
    };
    let transfer = send(KIND_TRANSFER, bob.address(), 300_000, 0).await;
    let withdrawal = send(KIND_WITHDRAW, recipient, 200_000, 1).await;
    let mut seen = vec!["PENDING".to_string()];
    until!("FINALIZED", {
        let s = status(&transfer).await;
        if seen.last() != Some(&s) {
            seen.push(s.clone());
        }
        // The two may be in different batches, hence different assertions.
        s == "FINALIZED" && status(&withdrawal).await == "FINALIZED"
    });
    let order = ["PENDING", "ACCEPTED_IN_L2", "POSTED", "FINALIZED"];
    let ranks: Vec<usize> = seen
        .iter()
        .map(|s| order.iter().position(|o| o == s).unwrap())
        .collect();
    assert!(ranks.windows(2).all(|w| w[0] < w[1]), "{seen:?}");
    assert_eq!(status(&withdrawal).await, "FINALIZED");
    let b = account(bob.address()).await;
    assert_eq!(b["finalized"]["balance"], "350000", "{b}");
    let a = account(alice.address()).await;
    assert_eq!(a["finalized"]["balance"], "500000", "{a}");
    assert_eq!(a["finalized"]["nonce"], 2, "{a}");

    // The proof, and the claim on L1 (sent by the node's account, so Alice pays no gas and
    // her L1 balance rises by exactly the amount).
    let claim: WithdrawalClaim = c
        .request("fuse_getWithdrawalProof", rpc_params![&withdrawal])
        .await
        .unwrap();
    assert_eq!((claim.l1_recipient, claim.amount), (recipient, 200_000));
    assert_eq!(claim.l2_sender, alice.address());
    let before = l1.balance(recipient).await.unwrap();
    d.rollup.withdraw(&claim).await.unwrap();
    let after = l1.balance(recipient).await.unwrap();
    assert_eq!(after - before, U256::from(200_000));
    let again = d.rollup.withdraw(&claim).await.unwrap_err();
    assert!(again.to_string().contains("AlreadySpent"), "{again}");
    assert_eq!(l1.balance(recipient).await.unwrap(), after);

    // A transfer is not a withdrawal; an unknown id is unknown.
    match c
        .request::<Value, _>("fuse_getWithdrawalProof", rpc_params![&transfer])
        .await
    {
        Err(ClientError::Call(e)) => assert!(e.message().contains("no withdrawal"), "{e:?}"),
        other => panic!("{other:?}"),
    }
    println!("{label}: statuses seen {seen:?}; withdrawal of 200000 wei paid on L1 once");
}

fn service() -> ServiceConfig {
    ServiceConfig {
        poll_interval: Duration::from_millis(20),
        batch_interval: Duration::from_millis(100),
        ..ServiceConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_story_on_the_embedded_l1() {
    let dir = tempfile::tempdir().unwrap();
    let d = Devnet::start(DevnetConfig {
        data_dir: dir.path().to_path_buf(),
        rpc_addr: "127.0.0.1:0".parse().unwrap(),
        clock: EmbeddedClock::Manual(1_700_000_000),
        service: service(),
        force_delay: 600,
        challenge_period: PERIOD,
        l1_rpc_addr: None,
        narrate: None,
    })
    .await
    .unwrap();
    let mut users = Vec::new();
    for seed in [0xa1u8, 0xb0] {
        let key = PrivateKeySigner::from_bytes(&B256::repeat_byte(seed)).unwrap();
        let l1 = d.l1.as_account(key.address());
        l1.fund(key.address(), U256::from(10u128.pow(18)))
            .await
            .unwrap();
        users.push(User { key, l1 });
    }
    let users: [User<_>; 2] = users.try_into().ok().unwrap();
    story(&d.l1, &d.node, users, "embedded").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_story_on_anvil() {
    let anvil = Anvil::at(fuse_l1::testing::anvil_path())
        .port(fuse_l1::testing::free_port())
        .try_spawn()
        .expect("anvil starts (./scripts/test installs it)");
    let key = PrivateKeySigner::from(anvil.keys()[0].clone());
    let owner = key.address();
    let l1 = RpcL1::connect(&anvil.endpoint(), key).unwrap();
    let rollup = RollupL1::deploy(
        l1.clone(),
        RollupConfig::new(
            owner,
            DEVNET_CHAIN_ID,
            600,
            fuse_prover::guest::module().root,
            PERIOD,
        ),
    )
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let node = Node::start(
        rollup,
        NodeConfig::new(
            dir.path().to_path_buf(),
            "127.0.0.1:0".parse().unwrap(),
            service(),
        ),
    )
    .await
    .unwrap();
    let users = [1, 2].map(|i| {
        let key = PrivateKeySigner::from(anvil.keys()[i].clone());
        let l1 = RpcL1::connect(&anvil.endpoint(), key.clone()).unwrap();
        User { key, l1 }
    });
    story(&l1, &node, users, "anvil").await;
}
