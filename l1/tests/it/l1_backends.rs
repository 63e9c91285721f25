//! The node's two L1 back ends run the same rollup code, so a test on one holds on the other: on
//! the embedded L1, on anvil (started here from the npm package on 127.0.0.1 and a free port,
//! stopped on drop), and on the embedded L1 served over Ethereum JSON-RPC (what the devnet gives
//! wallets in other processes) through the JSON-RPC back end, the whole contract set deploys from
//! one plan; deposits, batches, forced txs and ticks land; the messages rebuilt from the Inbox's
//! events give, in Rust, the accumulators the Inbox stores; a retried batch is refused with a
//! decoded reason; the clock moves.

use alloy::node_bindings::Anvil;
use alloy::signers::local::PrivateKeySigner;
use alloy_primitives::{Address, U256};
use fuse_arbos::message::{KIND_BATCH, KIND_CONFIG, KIND_DEPOSIT, KIND_FORCED_TX, KIND_TICK};
use fuse_l1::rollup::RollupL1;
use fuse_l1::{DevClock, EmbeddedClock, EmbeddedL1, L1, RpcL1};

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

#[tokio::test]
async fn the_rollup_runs_on_the_embedded_l1_over_json_rpc() {
    let chain = EmbeddedL1::new(EmbeddedClock::Manual(1_700_000_000));
    let key = PrivateKeySigner::random();
    chain
        .fund(key.address(), U256::from(10u128.pow(24)))
        .await
        .unwrap();
    let (addr, _server) = fuse_l1::eth_rpc::serve(chain, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let l1 = RpcL1::connect(&format!("http://{addr}"), key).unwrap();
    exercise(l1, "embedded over JSON-RPC").await;
}
