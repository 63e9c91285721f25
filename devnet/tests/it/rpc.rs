//! The sequencer's JSON-RPC API on a running devnet (embedded L1): a deposit on L1 shows up as
//! an L2 balance, a transfer goes PENDING → ACCEPTED_IN_L2 → POSTED (with its batch and L1
//! transaction), and every kind of bad input gets a JSON-RPC error with a clear message while
//! the server keeps serving.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use alloy::signers::local::PrivateKeySigner;
use alloy_primitives::{Address, B256, U256, hex};
use fuse_arbos::tx::{Domain, KIND_TRANSFER, SignedTx};
use fuse_devnet::devnet::{DEVNET_CHAIN_ID, Devnet, DevnetConfig};
use fuse_exec::wallet::sign;
use fuse_l1::EmbeddedClock;
use fuse_node::rpc::{ChainInfo, INVALID_PARAMS, TX_REJECTED, UNKNOWN_TX};
use fuse_sequencer::service::ServiceConfig;
use jsonrpsee::core::client::{ClientT, Error as ClientError};
use jsonrpsee::http_client::{HttpClient, HttpClientBuilder};
use jsonrpsee::rpc_params;
use serde_json::Value;

async fn devnet(dir: &std::path::Path) -> Devnet {
    Devnet::start(DevnetConfig {
        data_dir: dir.to_path_buf(),
        rpc_addr: "127.0.0.1:0".parse().unwrap(),
        clock: EmbeddedClock::Manual(1_700_000_000),
        service: ServiceConfig {
            poll_interval: Duration::from_millis(20),
            batch_interval: Duration::from_millis(200),
            ..ServiceConfig::default()
        },
        force_delay: 60,
        challenge_period: 60,
        l1_rpc_addr: None,
        narrate: None,
    })
    .await
    .expect("the devnet starts")
}

fn client(addr: SocketAddr) -> HttpClient {
    HttpClientBuilder::default()
        .build(format!("http://{addr}"))
        .unwrap()
}

/// Polls until `f` holds, for at most 10 s.
async fn eventually<F: AsyncFnMut() -> bool>(what: &str, mut f: F) {
    for _ in 0..500 {
        if f().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("timed out waiting for {what}");
}

async fn balance(c: &HttpClient, who: Address, which: &str) -> u128 {
    let v: Value = c
        .request("fuse_getAccount", rpc_params![who])
        .await
        .unwrap();
    v[which]["balance"].as_str().unwrap().parse().unwrap()
}

async fn status(c: &HttpClient, id: &str) -> Value {
    c.request("fuse_getTransactionStatus", rpc_params![id])
        .await
        .unwrap()
}

/// The JSON-RPC error of a call that must fail.
async fn rpc_error(
    c: &HttpClient,
    method: &str,
    params: jsonrpsee::core::params::ArrayParams,
) -> (i32, String) {
    match c.request::<Value, _>(method, params).await {
        Err(ClientError::Call(e)) => (e.code(), e.message().to_string()),
        other => panic!("{method}: expected a JSON-RPC error, got {other:?}"),
    }
}

/// A raw HTTP POST, for bodies no client library would send.
fn raw_post(addr: SocketAddr, body: &[u8]) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let head = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    let _ = s.write_all(body);
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    let code = out
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (code, out)
}

fn signed(
    key: &PrivateKeySigner,
    info: &ChainInfo,
    to: Address,
    amount: u128,
    nonce: u64,
) -> SignedTx {
    let domain = Domain {
        chain_id: info.chain_id,
        inbox: info.inbox.into(),
    };
    sign(key, &domain, KIND_TRANSFER, to.into(), amount, nonce).unwrap()
}

fn hex_tx(t: &SignedTx) -> String {
    format!("0x{}", hex::encode(t.encode()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transfer_moves_through_its_statuses_over_json_rpc() {
    let dir = tempfile::tempdir().unwrap();
    let d = devnet(dir.path()).await;
    let c = client(d.rpc_addr);
    let info: ChainInfo = c.request("fuse_chainInfo", rpc_params![]).await.unwrap();
    assert_eq!(info, d.info);
    assert_eq!(info.chain_id, DEVNET_CHAIN_ID);
    // The node's validator reports whether it can extend the chain.
    let health: serde_json::Value = c
        .request("fuse_validatorStatus", rpc_params![])
        .await
        .unwrap();
    assert!(
        ["running", "waiting"].contains(&health["state"].as_str().unwrap()),
        "{health}"
    );

    let alice = PrivateKeySigner::from_bytes(&B256::repeat_byte(0xa1)).unwrap();
    let bob = Address::repeat_byte(0xb0);
    d.rollup
        .deposit(alice.address(), U256::from(1_000_000))
        .await
        .unwrap();
    eventually("the deposit on L2", async || {
        balance(&c, alice.address(), "soft").await == 1_000_000
    })
    .await;

    let t = signed(&alice, &info, bob, 250_000, 0);
    let sent: Value = c
        .request("fuse_sendTransaction", rpc_params![hex_tx(&t)])
        .await
        .unwrap();
    assert_eq!(sent["status"], "PENDING");
    let id = sent["id"].as_str().unwrap().to_string();
    let mut seen = vec!["PENDING".to_string()];
    eventually("POSTED", async || {
        let s = status(&c, &id).await["status"]
            .as_str()
            .unwrap()
            .to_string();
        if seen.last() != Some(&s) {
            seen.push(s.clone());
        }
        s == "POSTED"
    })
    .await;
    // ACCEPTED_IN_L2 may pass between two polls; the order never goes back.
    let order = ["PENDING", "ACCEPTED_IN_L2", "POSTED"];
    let ranks: Vec<usize> = seen
        .iter()
        .map(|s| order.iter().position(|o| o == s).unwrap())
        .collect();
    assert!(ranks.windows(2).all(|w| w[0] < w[1]), "{seen:?}");
    let st = status(&c, &id).await;
    assert_eq!(st["batch"], 1);
    assert!(st["l1Tx"].as_str().is_some_and(|s| s.len() == 66), "{st}");
    assert_eq!(balance(&c, bob, "soft").await, 250_000);
    eventually("the batch executed from L1", async || {
        balance(&c, bob, "canonical").await == 250_000
    })
    .await;

    // With `wait`, the answer comes once the transaction is durable.
    let t = signed(&alice, &info, bob, 1, 1);
    let sent: Value = c
        .request(
            "fuse_sendTransaction",
            rpc_params![
                hex_tx(&t),
                serde_json::json!({ "wait": true, "from": alice.address() })
            ],
        )
        .await
        .unwrap();
    assert_eq!(sent["status"], "ACCEPTED_IN_L2");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_clear_errors_and_the_server_keeps_serving() {
    let dir = tempfile::tempdir().unwrap();
    let d = devnet(dir.path()).await;
    let c = client(d.rpc_addr);
    let info = d.info.clone();
    let alice = PrivateKeySigner::from_bytes(&B256::repeat_byte(0xa2)).unwrap();
    let bob = Address::repeat_byte(0xb0);
    d.rollup
        .deposit(alice.address(), U256::from(1_000))
        .await
        .unwrap();
    eventually("the deposit on L2", async || {
        balance(&c, alice.address(), "soft").await == 1_000
    })
    .await;

    // Transport-level garbage: jsonrpsee's standard errors.
    let (_, out) = raw_post(d.rpc_addr, b"{\"jsonrpc\":\"2.0\",\"method\":");
    assert!(
        out.contains("-32700") && out.contains("Parse error"),
        "{out}"
    );
    let (_, out) = raw_post(
        d.rpc_addr,
        br#"{"jsonrpc":"2.0","id":1,"method":"fuse_noSuchMethod","params":[]}"#,
    );
    assert!(
        out.contains("-32601") && out.contains("Method not found"),
        "{out}"
    );
    let huge = vec![b' '; 200 * 1024];
    let (code, out) = raw_post(d.rpc_addr, &huge);
    assert!(
        code == 413 || out.contains("-32007") || out.contains("too big"),
        "{code}: {out}"
    );

    // Parameters.
    let (code, msg) = rpc_error(&c, "fuse_sendTransaction", rpc_params!["0xzz"]).await;
    assert_eq!(code, INVALID_PARAMS, "{msg}");
    assert!(msg.contains("not hex"), "{msg}");
    let (code, msg) = rpc_error(&c, "fuse_sendTransaction", rpc_params![]).await;
    assert_eq!(code, INVALID_PARAMS, "{msg}");
    // A sentence, not the parser's debug form.
    let (code, msg) = rpc_error(&c, "fuse_getAccount", rpc_params![1, 2]).await;
    assert_eq!(code, INVALID_PARAMS, "{msg}");
    assert!(msg.starts_with("expected [\"0x<address>\"]: "), "{msg}");
    assert!(
        !msg.contains("ErrorObject") && !msg.contains("RawValue"),
        "{msg}"
    );
    let (code, msg) = rpc_error(&c, "fuse_getTransactionStatus", rpc_params!["0x1234"]).await;
    assert_eq!(code, INVALID_PARAMS, "{msg}");
    let (code, msg) = rpc_error(
        &c,
        "fuse_getTransactionStatus",
        rpc_params![format!("0x{}", "ab".repeat(32))],
    )
    .await;
    assert_eq!(code, UNKNOWN_TX, "{msg}");
    assert!(msg.contains("unknown transaction"), "{msg}");

    // Transactions the chain would skip.
    let good = signed(&alice, &info, bob, 100, 0);
    let mut bad_sig = good.clone();
    bad_sig.s[31] ^= 1;
    let other_chain = sign(
        &alice,
        &Domain {
            chain_id: info.chain_id + 1,
            inbox: info.inbox.into(),
        },
        KIND_TRANSFER,
        bob.into(),
        100,
        0,
    )
    .unwrap();
    let cases: Vec<(String, Option<Address>, &str)> = vec![
        ("0x0102".into(), None, "malformed"),
        (hex_tx(&bad_sig), Some(alice.address()), "recovers to"),
        (
            hex_tx(&other_chain),
            Some(alice.address()),
            "wrong chain id",
        ),
        (
            hex_tx(&signed(&alice, &info, bob, 100, 3)),
            None,
            "nonce gap",
        ),
        (
            hex_tx(&signed(&alice, &info, bob, u128::MAX, 0)),
            None,
            "insufficient balance",
        ),
        (hex_tx(&signed(&alice, &info, bob, 0, 0)), None, "positive"),
    ];
    for (tx, from, expect) in &cases {
        let opts = serde_json::json!({ "from": from });
        let (code, msg) = rpc_error(&c, "fuse_sendTransaction", rpc_params![tx, opts]).await;
        assert_eq!(code, TX_REJECTED, "{expect}: {msg}");
        assert!(msg.contains(expect), "{expect}: {msg}");
    }
    // A replay, after the real one.
    let sent: Value = c
        .request("fuse_sendTransaction", rpc_params![hex_tx(&good)])
        .await
        .unwrap();
    let (code, msg) = rpc_error(&c, "fuse_sendTransaction", rpc_params![hex_tx(&good)]).await;
    assert_eq!(code, TX_REJECTED);
    assert!(msg.contains("already known"), "{msg}");
    let replay = signed(&alice, &info, bob, 5, 0);
    let (_, msg) = rpc_error(&c, "fuse_sendTransaction", rpc_params![hex_tx(&replay)]).await;
    assert!(msg.contains("already used"), "{msg}");
    // A rejected transaction's status says why.
    let gap = hex_tx(&signed(&alice, &info, bob, 100, 3));
    let gap_id = format!(
        "0x{}",
        hex::encode(alloy_primitives::keccak256(hex::decode(&gap).unwrap()))
    );
    let st = status(&c, &gap_id).await;
    assert_eq!(st["status"], "REJECTED", "{st}");
    assert!(st["reason"].as_str().unwrap().contains("nonce gap"), "{st}");

    // Still serving, and nothing bad entered: only the one good transfer moved funds.
    let id = sent["id"].as_str().unwrap();
    eventually("the good transfer accepted", async || {
        status(&c, id).await["status"] != "PENDING"
    })
    .await;
    assert_eq!(balance(&c, alice.address(), "soft").await, 900);
    assert_eq!(balance(&c, bob, "soft").await, 100);
}
