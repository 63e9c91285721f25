//! Fees on anvil with automine off and the base fee spiked by hand
//! (`anvil_setNextBlockBaseFeePerGas`): a transaction priced before a spike is replaced with
//! the same nonce at higher fees and mined; under a ceiling it waits for the base fee to fall
//! instead, and pays no more than the ceiling; an urgent one tips more.

use std::sync::atomic::Ordering;
use std::time::Duration;

use alloy::node_bindings::{Anvil, AnvilInstance};
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::signers::local::PrivateKeySigner;
use alloy_primitives::{Address, B256, U256};
use fuse_l1::{FeePolicy, L1, L1Receipt, L1Tx, RpcL1};
use serde_json::Value;

const GWEI: u128 = 1_000_000_000;

struct Chain {
    anvil: AnvilInstance,
    dev: DynProvider,
}

impl Chain {
    async fn start() -> Chain {
        fuse_l1::install_tls_provider();
        let anvil = Anvil::at(fuse_l1::testing::anvil_path())
            .port(fuse_l1::testing::free_port())
            .try_spawn()
            .expect("anvil starts (./scripts/test installs it)");
        let dev = ProviderBuilder::new()
            .connect_http(anvil.endpoint_url())
            .erased();
        Chain { anvil, dev }
    }

    fn l1(&self, fees: FeePolicy) -> RpcL1 {
        let key = PrivateKeySigner::from(self.anvil.keys()[0].clone());
        RpcL1::connect(&self.anvil.endpoint(), key)
            .unwrap()
            .with_fees(fees)
    }

    async fn rpc(&self, method: &'static str, params: Value) {
        let _: Value = self.dev.raw_request(method.into(), params).await.unwrap();
    }

    /// Mines one block whose base fee is `base_fee` (or whatever follows from its parent).
    async fn mine(&self, base_fee: Option<u128>) {
        if let Some(b) = base_fee {
            self.rpc(
                "anvil_setNextBlockBaseFeePerGas",
                serde_json::json!([format!("{b:#x}")]),
            )
            .await;
        }
        self.rpc("evm_mine", serde_json::json!([])).await;
    }

    async fn head(&self) -> u64 {
        self.dev.get_block_number().await.unwrap()
    }

    /// What the mined transaction paid per gas, and its nonce.
    async fn paid(&self, r: &L1Receipt) -> (u128, u64) {
        let receipt = self
            .dev
            .get_transaction_receipt(r.tx_hash)
            .await
            .unwrap()
            .unwrap();
        let tx = self
            .dev
            .get_transaction_by_hash(r.tx_hash)
            .await
            .unwrap()
            .unwrap();
        use alloy::consensus::Transaction as _;
        (receipt.effective_gas_price, tx.nonce())
    }
}

fn transfer() -> L1Tx {
    L1Tx {
        to: Some(Address::repeat_byte(0x77)),
        data: Default::default(),
        value: U256::from(1),
        urgent: false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transaction_stuck_under_a_base_fee_spike_is_replaced_with_the_same_nonce() {
    let chain = Chain::start().await;
    chain
        .rpc("evm_setAutomine", serde_json::json!([false]))
        .await;
    let l1 = chain.l1(FeePolicy {
        replace_after: Duration::from_millis(300),
        ..FeePolicy::default()
    });
    let sender = l1.clone();
    let send = tokio::spawn(async move { sender.send(transfer()).await });
    // Priced at the quiet base fee, then every block costs 100 gwei.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let spike = 100 * GWEI;
    let mut mined_at = None;
    for _ in 0..100 {
        chain.mine(Some(spike)).await;
        if send.is_finished() {
            mined_at = Some(chain.head().await);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(mined_at.is_some(), "the send never finished");
    let receipt = send.await.unwrap().expect("mined after a replacement");
    let (price, nonce) = chain.paid(&receipt).await;
    assert!(price >= spike, "paid {price} under a base fee of {spike}");
    assert_eq!(nonce, 0, "the replacement kept the nonce");
    assert_eq!(
        l1.nonce(l1.signer()).await.unwrap(),
        1,
        "one transaction mined"
    );
    let stats = l1.send_stats();
    assert_eq!(stats.sent.load(Ordering::Relaxed), 1);
    assert!(stats.replaced.load(Ordering::Relaxed) >= 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_a_ceiling_a_transaction_waits_for_the_base_fee_to_fall() {
    let chain = Chain::start().await;
    chain
        .rpc("evm_setAutomine", serde_json::json!([false]))
        .await;
    let ceiling = 20 * GWEI;
    let l1 = chain.l1(FeePolicy {
        max_fee_per_gas: Some(ceiling),
        replace_after: Duration::from_millis(300),
        ..FeePolicy::default()
    });
    // A spike first: the ceiling is below the base fee, and the client says so.
    for _ in 0..3 {
        chain.mine(Some(100 * GWEI)).await;
    }
    assert!(matches!(l1.fee_blocked().await.unwrap(), Some((b, c)) if b > c && c == ceiling));
    let sender = l1.clone();
    let send = tokio::spawn(async move { sender.send(transfer()).await });
    let mut last_spiked = 0;
    for _ in 0..8 {
        tokio::time::sleep(Duration::from_millis(150)).await;
        chain.mine(Some(100 * GWEI)).await;
        last_spiked = chain.head().await;
        if send.is_finished() {
            panic!("finished above its ceiling: {:?}", send.await.unwrap());
        }
    }
    // The spike ends: the base fee falls by an eighth a block and the transaction lands.
    for _ in 0..60 {
        chain.mine(None).await;
        if send.is_finished() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(send.is_finished(), "still waiting after the base fee fell");
    let receipt = send.await.unwrap().expect("mined once the base fee fell");
    let (price, _) = chain.paid(&receipt).await;
    assert!(price <= ceiling, "paid {price} over the ceiling {ceiling}");
    assert!(receipt.block_number > last_spiked);
    assert!(l1.send_stats().capped.load(Ordering::Relaxed) >= 1);
    assert_eq!(l1.fee_blocked().await.unwrap(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_urgent_transaction_tips_more() {
    let chain = Chain::start().await;
    let l1 = chain.l1(FeePolicy::default());
    let normal = l1.send(transfer()).await.unwrap();
    let urgent = l1
        .send(L1Tx {
            urgent: true,
            ..transfer()
        })
        .await
        .unwrap();
    let tip = async |hash: B256| {
        use alloy::consensus::Transaction as _;
        let tx = chain
            .dev
            .get_transaction_by_hash(hash)
            .await
            .unwrap()
            .unwrap();
        tx.max_priority_fee_per_gas().unwrap()
    };
    let (n, u) = (tip(normal.tx_hash).await, tip(urgent.tx_hash).await);
    assert!(u >= 3 * n && u >= 2 * GWEI, "urgent tip {u}, normal {n}");
}
