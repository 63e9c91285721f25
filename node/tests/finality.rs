//! The honest path to finality on the embedded L1 (the node issue, point 4, and most of its
//! end-to-end "done when"): Alice and Bob deposit on L1 and see their balances on L2; Alice
//! transfers to Bob (PENDING → ACCEPTED_IN_L2 → POSTED → FINALIZED) and withdraws; the node's
//! validator asserts and, once the L1 clock passes the challenge period, confirms; the
//! withdrawal's proof is fetched over JSON-RPC and paid by the Outbox on L1, once.

use std::time::Duration;

use alloy::signers::local::PrivateKeySigner;
use alloy_primitives::{Address, B256, U256, hex};
use fuse_arbos::tx::{Domain, KIND_TRANSFER, KIND_WITHDRAW};
use fuse_node::devnet::{Devnet, DevnetConfig};
use fuse_node::l1::rollup::WithdrawalClaim;
use fuse_node::l1::{DevClock, EmbeddedClock, L1};
use fuse_node::service::ServiceConfig;
use fuse_node::wallet::sign;
use jsonrpsee::core::client::{ClientT, Error as ClientError};
use jsonrpsee::http_client::HttpClientBuilder;
use jsonrpsee::rpc_params;
use serde_json::{Value, json};

const PERIOD: u64 = 60;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deposits_transfers_and_a_withdrawal_reach_finality_and_pay_on_l1() {
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_env_filter("info")
        .try_init();
    let dir = tempfile::tempdir().unwrap();
    let d = Devnet::start(DevnetConfig {
        data_dir: dir.path().to_path_buf(),
        rpc_addr: "127.0.0.1:0".parse().unwrap(),
        clock: EmbeddedClock::Manual(1_700_000_000),
        service: ServiceConfig {
            poll_interval: Duration::from_millis(20),
            batch_interval: Duration::from_millis(100),
            ..ServiceConfig::default()
        },
        force_delay: 600,
        challenge_period: PERIOD,
    })
    .await
    .unwrap();
    let c = HttpClientBuilder::default()
        .build(format!("http://{}", d.rpc_addr))
        .unwrap();
    let alice = PrivateKeySigner::from_bytes(&B256::repeat_byte(0xa1)).unwrap();
    let bob = PrivateKeySigner::from_bytes(&B256::repeat_byte(0xb0)).unwrap();
    let recipient = Address::repeat_byte(0xd1);
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
                d.l1.advance(PERIOD / 2).await.unwrap();
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            assert!(ok, "timed out waiting for {}", $what);
        }};
    }

    for (who, wei) in [(&alice, 1_000_000u64), (&bob, 50_000)] {
        d.rollup
            .deposit(who.address(), U256::from(wei))
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
        s == "FINALIZED"
    });
    let order = ["PENDING", "ACCEPTED_IN_L2", "POSTED", "FINALIZED"];
    let ranks: Vec<usize> = seen
        .iter()
        .map(|s| order.iter().position(|o| o == s).unwrap())
        .collect();
    assert!(ranks.windows(2).all(|w| w[0] < w[1]), "{seen:?}");
    assert!(
        seen.contains(&"POSTED".to_string()) || seen.len() >= 2,
        "{seen:?}"
    );
    assert_eq!(status(&withdrawal).await, "FINALIZED");
    let b = account(bob.address()).await;
    assert_eq!(b["finalized"]["balance"], "350000", "{b}");
    let a = account(alice.address()).await;
    assert_eq!(a["finalized"]["balance"], "500000", "{a}");
    assert_eq!(a["finalized"]["nonce"], 2, "{a}");

    // The proof, and the claim on L1 (by anyone: the Outbox pays the recipient).
    let claim: WithdrawalClaim = c
        .request("fuse_getWithdrawalProof", rpc_params![&withdrawal])
        .await
        .unwrap();
    assert_eq!((claim.l1_recipient, claim.amount), (recipient, 200_000));
    assert_eq!(claim.l2_sender, alice.address());
    let before = d.l1.balance(recipient).await.unwrap();
    d.rollup.withdraw(&claim).await.unwrap();
    let after = d.l1.balance(recipient).await.unwrap();
    assert_eq!(after - before, U256::from(200_000));
    let again = d.rollup.withdraw(&claim).await.unwrap_err();
    assert!(again.to_string().contains("AlreadySpent"), "{again}");
    assert_eq!(d.l1.balance(recipient).await.unwrap(), after);

    // A transfer is not a withdrawal; an unknown id is unknown.
    match c
        .request::<Value, _>("fuse_getWithdrawalProof", rpc_params![&transfer])
        .await
    {
        Err(ClientError::Call(e)) => assert!(e.message().contains("no withdrawal"), "{e:?}"),
        other => panic!("{other:?}"),
    }
    println!("statuses seen: {seen:?}; withdrawal of 200000 wei paid on L1 once");
}
