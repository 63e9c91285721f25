//! The embedded L1 served over Ethereum JSON-RPC refuses what a chain must refuse, each with a
//! clear error, changes nothing when it refuses, and keeps serving: undecodable bytes, a
//! transaction for another chain or without a chain id, a replay, a nonce gap, a state query
//! at a block it no longer has. What it mines is what a client expects: a reverted
//! transaction is mined with a failed receipt and spends its nonce; receipts and logs carry
//! their block's hash, which names the block.

use alloy::consensus::{SignableTransaction, TxEip1559, TxEnvelope, TxLegacy};
use alloy::eips::eip2718::Encodable2718;
use alloy::network::TxSignerSync;
use alloy::providers::{Provider, ProviderBuilder};
use alloy::rpc::types::Filter;
use alloy::signers::local::PrivateKeySigner;
use alloy_primitives::{Address, Bytes, TxKind, U256};
use fuse_l1::rollup::RollupL1;
use fuse_l1::{EmbeddedClock, EmbeddedL1, L1};

const CHAIN: u64 = 31_337;

fn eip1559(chain_id: u64, nonce: u64, to: Address, input: Bytes, gas: u64) -> TxEip1559 {
    TxEip1559 {
        chain_id,
        nonce,
        gas_limit: gas,
        max_fee_per_gas: 1,
        max_priority_fee_per_gas: 1,
        to: TxKind::Call(to),
        value: U256::from(1),
        access_list: Default::default(),
        input,
    }
}

fn sign(key: &PrivateKeySigner, mut tx: TxEip1559) -> Bytes {
    let sig = key.sign_transaction_sync(&mut tx).unwrap();
    TxEnvelope::from(tx.into_signed(sig)).encoded_2718().into()
}

#[tokio::test]
async fn bad_transactions_and_queries_are_refused_and_the_server_keeps_serving() {
    let chain = EmbeddedL1::new(EmbeddedClock::Manual(1_700_000_000));
    let key = PrivateKeySigner::random();
    let me = key.address();
    chain.fund(me, U256::from(10u128.pow(21))).await.unwrap();
    let (addr, _server) = fuse_l1::eth_rpc::serve(chain.clone(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    fuse_l1::install_tls_provider();
    let p = ProviderBuilder::new()
        .disable_recommended_fillers()
        .connect_http(format!("http://{addr}").parse().unwrap());
    let bob = Address::repeat_byte(0xb0);
    let err = |e: alloy::transports::RpcError<_>| e.to_string();

    // Undecodable bytes.
    let e = p
        .send_raw_transaction(&[0x02, 0xff, 0x00])
        .await
        .unwrap_err();
    assert!(err(e).contains("invalid transaction encoding"));

    // Another chain's transaction.
    let raw = sign(&key, eip1559(1, 0, bob, Bytes::new(), 21_000));
    let e = p.send_raw_transaction(&raw).await.unwrap_err();
    assert!(err(e).contains("wrong chain id"), "chain id");

    // A legacy transaction without a chain id (replayable on every chain).
    let mut legacy = TxLegacy {
        chain_id: None,
        nonce: 0,
        gas_price: 1,
        gas_limit: 21_000,
        to: TxKind::Call(bob),
        value: U256::from(1),
        input: Bytes::new(),
    };
    let sig = key.sign_transaction_sync(&mut legacy).unwrap();
    let raw_legacy: Bytes = TxEnvelope::from(legacy.into_signed(sig))
        .encoded_2718()
        .into();
    let e = p.send_raw_transaction(&raw_legacy).await.unwrap_err();
    assert!(err(e).contains("wrong chain id"), "pre-EIP-155");

    // A nonce gap: the chain has no mempool to hold it.
    let raw = sign(&key, eip1559(CHAIN, 5, bob, Bytes::new(), 21_000));
    let e = p.send_raw_transaction(&raw).await.unwrap_err();
    assert!(err(e).contains("nonce too high"));
    assert_eq!(chain.nonce(me).await.unwrap(), 0, "refusals change nothing");

    // A good one, then its replay and a stale nonce.
    let raw = sign(&key, eip1559(CHAIN, 0, bob, Bytes::new(), 21_000));
    let pending = p.send_raw_transaction(&raw).await.unwrap();
    let hash = *pending.tx_hash();
    let receipt = p.get_transaction_receipt(hash).await.unwrap().unwrap();
    assert!(receipt.status());
    assert_eq!(receipt.from, me);
    assert_eq!(p.get_balance(bob).await.unwrap(), U256::from(1));
    let block = p
        .get_block_by_hash(receipt.block_hash.unwrap())
        .await
        .unwrap()
        .expect("the receipt's block hash names its block");
    assert_eq!(block.header.number, receipt.block_number.unwrap());
    assert_eq!(block.header.hash, block.header.inner.hash_slow());
    assert_eq!(block.transactions.hashes().collect::<Vec<_>>(), [hash]);
    let e = p.send_raw_transaction(&raw).await.unwrap_err();
    assert!(err(e).contains("already known"));
    let raw = sign(
        &key,
        eip1559(CHAIN, 0, bob, Bytes::from_static(b"x"), 30_000),
    );
    let e = p.send_raw_transaction(&raw).await.unwrap_err();
    assert!(err(e).contains("nonce too low"));

    // A state query at a block the chain no longer has.
    let head = p.get_block_number().await.unwrap();
    let e = p.get_balance(bob).number(head - 1).await.unwrap_err();
    assert!(err(e).contains("latest state"));
    assert!(
        p.get_transaction_receipt(Default::default())
            .await
            .unwrap()
            .is_none()
    );

    // A transaction that reverts (sent with its own gas limit, so nothing estimates it first)
    // is mined with a failed receipt and spends its nonce, as on any chain.
    let deployer = chain.as_account(me);
    let rollup = RollupL1::deploy(deployer, fuse_l1::testing::rollup_config(me))
        .await
        .unwrap();
    let nonce = chain.nonce(me).await.unwrap();
    let below_minimum = fuse_contracts::rollup::Inbox::depositCall { to: bob };
    let input: Bytes = alloy_sol_types::SolCall::abi_encode(&below_minimum).into();
    let mut tx = eip1559(CHAIN, nonce, rollup.contracts.inbox, input.clone(), 200_000);
    tx.value = U256::ZERO;
    let hash = *p
        .send_raw_transaction(&sign(&key, tx))
        .await
        .unwrap()
        .tx_hash();
    let receipt = p.get_transaction_receipt(hash).await.unwrap().unwrap();
    assert!(
        !receipt.status(),
        "a reverted transaction is mined as failed"
    );
    assert_eq!(chain.nonce(me).await.unwrap(), nonce + 1);
    // Its revert data comes back from eth_call, as a client decodes it.
    let call = alloy::rpc::types::TransactionRequest::default()
        .from(me)
        .to(rollup.contracts.inbox)
        .input(input.into());
    let e = p.call(call).await.unwrap_err();
    let data = e.as_error_resp().and_then(|r| r.as_revert_data());
    assert!(data.is_some_and(|d| d.len() >= 4), "revert data: {e}");

    // Logs name their block by hash too.
    let logs = p
        .get_logs(&Filter::new().address(rollup.contracts.inbox).from_block(0))
        .await
        .unwrap();
    assert!(!logs.is_empty());
    let at = logs[0].block_hash.unwrap();
    let same = p
        .get_logs(
            &Filter::new()
                .address(rollup.contracts.inbox)
                .at_block_hash(at),
        )
        .await
        .unwrap();
    assert_eq!(same.first(), logs.first());
    let earliest = p
        .get_logs(
            &Filter::new()
                .address(rollup.contracts.inbox)
                .from_block(alloy::eips::BlockNumberOrTag::Earliest),
        )
        .await
        .unwrap();
    assert_eq!(earliest, logs, "`earliest` is block 0");

    // The dev clock refuses a jump that would take it near overflow.
    let e = p
        .raw_request::<_, serde_json::Value>("evm_increaseTime".into(), (u64::MAX,))
        .await
        .unwrap_err();
    assert!(err(e).contains("at most a century"));

    // A fee history is blocks × percentiles: the percentiles are capped as geth caps them.
    let many: Vec<f64> = (0..101).map(|i| i as f64 / 101.0).collect();
    let e = p
        .raw_request::<_, serde_json::Value>("eth_feeHistory".into(), ("0x400", "latest", many))
        .await
        .unwrap_err();
    assert!(
        err(e).contains("at most 100 reward percentiles"),
        "fee history"
    );

    // Still serving.
    assert!(p.get_block_number().await.unwrap() > head);
}
