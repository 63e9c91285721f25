//! The node's two L1 back ends run the same rollup code, so a test on one holds on the other: on
//! the embedded L1, on anvil (started here from the npm package on 127.0.0.1 and a free port,
//! stopped on drop), and on the embedded L1 served over Ethereum JSON-RPC (what the devnet gives
//! wallets in other processes) through the JSON-RPC back end, the whole contract set deploys from
//! one plan; deposits, batches, forced txs and ticks land; the messages rebuilt from the Inbox's
//! events give, in Rust, the accumulators the Inbox stores; a retried batch is refused with a
//! decoded reason; the clock moves. The same script runs again through a proxy that drops
//! connections, answers 429 and 503, delays, cuts answers short and refuses log ranges wider
//! than a few blocks: the client retries and reads smaller pages, and the script's checks hold.

use alloy::node_bindings::Anvil;
use alloy::signers::local::PrivateKeySigner;
use alloy_primitives::{Address, U256};
use fuse_arbos::message::{KIND_BATCH, KIND_CONFIG, KIND_DEPOSIT, KIND_FORCED_TX, KIND_TICK};
use fuse_l1::rollup::RollupL1;
use fuse_l1::testing::{FaultProxy, Faults};
use fuse_l1::{DevClock, EmbeddedClock, EmbeddedL1, L1, RpcL1, RpcLimits};

/// The same script on any back end; `label` names it in failures.
async fn exercise<L: L1 + DevClock + Clone>(l1: L, label: &str) {
    let owner = l1.signer();
    let rollup = RollupL1::deploy(l1.clone(), fuse_l1::testing::rollup_config(owner))
        .await
        .unwrap_or_else(|e| panic!("{label}: deployment: {e}"));
    assert_eq!(rollup.message_count().await.unwrap(), 1, "{label}: Config");

    let alice = Address::repeat_byte(0xa1);
    let r = rollup.deposit(alice, U256::from(5_000)).await.unwrap();
    assert!(r.block_number > 0);
    let mut batch = 1u64.to_be_bytes().to_vec();
    batch.extend_from_slice(b"not a real batch, but the Inbox only checks the seq");
    rollup.append_batch(batch.clone(), 1).await.unwrap();
    // A retried post of the same batch never lands twice.
    let e = rollup.append_batch(batch, 1).await.unwrap_err();
    assert!(e.to_string().contains("WrongBatchSequence"), "{label}: {e}");
    assert_eq!(rollup.next_batch_seq().await.unwrap(), 2);
    rollup.force_transaction(vec![7; 87]).await.unwrap();
    let before = l1.head().await.unwrap();
    l1.advance(3_600).await.unwrap();
    let after = l1.head().await.unwrap();
    assert!(after.timestamp >= before.timestamp + 3_600, "{label}");
    assert!(after.number > before.number, "{label}");
    rollup.tick().await.unwrap();

    // A deposit below the minimum reverts with its reason.
    let e = rollup.deposit(alice, U256::from(1)).await.unwrap_err();
    assert!(
        e.to_string().contains("DepositBelowMinimum"),
        "{label}: {e}"
    );

    let head = l1.head().await.unwrap();
    let messages = rollup.messages(0, head.number).await.unwrap();
    let kinds: Vec<u8> = messages.iter().map(|m| m.header.kind).collect();
    assert_eq!(
        kinds,
        [
            KIND_CONFIG,
            KIND_DEPOSIT,
            KIND_BATCH,
            KIND_FORCED_TX,
            KIND_TICK
        ],
        "{label}"
    );
    let bytes: Vec<Vec<u8>> = messages.iter().map(|m| m.bytes()).collect();
    let accs = fuse_vm::inbox::accumulators(bytes.iter().map(|m| m.as_slice()));
    for (i, m) in messages.iter().enumerate() {
        assert_eq!(m.index, i as u64, "{label}");
        assert_eq!(m.accumulator, accs[i], "{label}: event accumulator {i}");
        assert_eq!(
            rollup.accumulator(i as u64).await.unwrap(),
            accs[i],
            "{label}: stored accumulator {i}"
        );
    }
    // The tick came after the clock moved: its header says so.
    assert!(messages[4].header.l1_timestamp >= before.timestamp + 3_600);
    assert_eq!(
        l1.balance(rollup.contracts.inbox).await.unwrap(),
        U256::from(5_000),
        "{label}: the escrow"
    );
    println!(
        "{label}: deployed, {} messages rebuilt from events, accumulators agree",
        messages.len()
    );
}

#[tokio::test]
async fn the_rollup_runs_on_the_embedded_l1() {
    exercise(
        EmbeddedL1::new(EmbeddedClock::Manual(1_700_000_000)),
        "embedded",
    )
    .await;
}

#[tokio::test]
async fn the_rollup_runs_on_anvil() {
    let anvil = Anvil::at(fuse_l1::testing::anvil_path())
        .port(fuse_l1::testing::free_port())
        .try_spawn()
        .expect("anvil starts (./scripts/test installs it)");
    let key = PrivateKeySigner::from(anvil.keys()[0].clone());
    let l1 = RpcL1::connect(&anvil.endpoint(), key).unwrap();
    exercise(l1, "anvil").await;
}

/// The embedded L1 served over Ethereum JSON-RPC on loopback, with a funded key.
async fn embedded_over_json_rpc() -> (
    std::net::SocketAddr,
    PrivateKeySigner,
    jsonrpsee::server::ServerHandle,
) {
    let chain = EmbeddedL1::new(EmbeddedClock::Manual(1_700_000_000));
    let key = PrivateKeySigner::random();
    chain
        .fund(key.address(), U256::from(10u128.pow(24)))
        .await
        .unwrap();
    let (addr, server) = fuse_l1::eth_rpc::serve(chain, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    (addr, key, server)
}

#[tokio::test]
async fn the_rollup_runs_on_the_embedded_l1_over_json_rpc() {
    let (addr, key, _server) = embedded_over_json_rpc().await;
    let l1 = RpcL1::connect(&format!("http://{addr}"), key).unwrap();
    exercise(l1, "embedded over JSON-RPC").await;
}

#[tokio::test]
async fn the_rollup_runs_through_a_faulty_endpoint() {
    let (addr, key, _server) = embedded_over_json_rpc().await;
    let faults = Faults {
        drop_every: 7,
        rate_limit_every: 5,
        unavailable_every: 11,
        truncate_every: 13,
        delay_every: 3,
        delay: std::time::Duration::from_millis(50),
        max_log_blocks: Some(4),
    };
    let proxy = FaultProxy::start(addr, faults).await;
    let limits = RpcLimits {
        log_blocks: 1_000,
        retries: 20,
        backoff: std::time::Duration::from_millis(5),
    };
    let l1 = RpcL1::connect_with(&proxy.url(), key, limits).unwrap();
    exercise(l1.clone(), "through the fault proxy").await;
    // Every fault was met, and the log pages shrank to what the proxy allows.
    let s = &proxy.stats;
    let seen = |c: &std::sync::atomic::AtomicU64| c.load(std::sync::atomic::Ordering::Relaxed);
    for (what, n) in [
        ("dropped", seen(&s.dropped)),
        ("rate limited", seen(&s.rate_limited)),
        ("unavailable", seen(&s.unavailable)),
        ("truncated", seen(&s.truncated)),
        ("delayed", seen(&s.delayed)),
        ("refused ranges", seen(&s.refused_ranges)),
    ] {
        assert!(n > 0, "the proxy never {what}: {s:?}");
    }
    assert!(l1.log_blocks() <= 4, "pages of {} blocks", l1.log_blocks());
    // Logs are read from the deployment block on, never from block 0.
    assert!(seen(&s.lowest_log_block) > 0, "{s:?}");
    println!(
        "through the fault proxy: {} requests, {s:?}; pages of {} blocks",
        seen(&s.requests),
        l1.log_blocks()
    );
}

/// An https endpoint is spoken to over TLS: the client's first bytes to it are a TLS handshake
/// record (0x16), where a client without TLS would refuse the URL and send nothing.
#[tokio::test]
async fn https_endpoints_are_spoken_to_over_tls() {
    use tokio::io::AsyncReadExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let first_byte = tokio::spawn(async move {
        let (mut conn, _) = listener.accept().await.unwrap();
        let mut b = [0u8; 1];
        conn.read_exact(&mut b).await.map(|_| b[0]).ok()
    });
    let limits = RpcLimits {
        retries: 0,
        backoff: std::time::Duration::from_millis(1),
        ..RpcLimits::default()
    };
    let l1 = RpcL1::connect_with(
        &format!("https://{addr}"),
        PrivateKeySigner::random(),
        limits,
    )
    .unwrap();
    let head = tokio::time::timeout(std::time::Duration::from_secs(5), l1.head()).await;
    assert!(
        !matches!(head, Ok(Ok(_))),
        "a server that never answers gave a head"
    );
    let seen = tokio::time::timeout(std::time::Duration::from_secs(5), first_byte)
        .await
        .expect("the client connected")
        .unwrap();
    assert_eq!(seen, Some(0x16), "the first byte is a TLS handshake record");
}
