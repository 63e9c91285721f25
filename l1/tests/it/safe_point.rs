//! Where followers stop: the endpoint's `finalized` block where it has one (anvil keeps it 64
//! blocks behind its head), `head − confirmations` where it has not (the embedded L1) or
//! where the operator chose a depth.

use alloy::node_bindings::Anvil;
use alloy::providers::{Provider, ProviderBuilder};
use alloy::signers::local::PrivateKeySigner;
use fuse_l1::reorg::safe_block;
use fuse_l1::{EmbeddedClock, EmbeddedL1, L1, RpcL1};
use serde_json::Value;

#[tokio::test]
async fn followers_stop_at_the_finalized_block_where_the_endpoint_has_one() {
    fuse_l1::install_tls_provider();
    let anvil = Anvil::at(fuse_l1::testing::anvil_path())
        .port(fuse_l1::testing::free_port())
        .try_spawn()
        .expect("anvil starts (./scripts/test installs it)");
    let dev = ProviderBuilder::new().connect_http(anvil.endpoint_url());
    for _ in 0..100 {
        let _: Value = dev.raw_request("evm_mine".into(), ()).await.unwrap();
    }
    let l1 = RpcL1::connect(
        &anvil.endpoint(),
        PrivateKeySigner::from(anvil.keys()[0].clone()),
    )
    .unwrap();
    let head = l1.head().await.unwrap().number;
    assert_eq!(head, 100);
    let finalized = l1
        .finalized_block()
        .await
        .unwrap()
        .expect("anvil has the tag");
    assert!(finalized < head - 5, "finalized {finalized}, head {head}");
    assert_eq!(
        safe_block(&l1, head, 5, true).await.unwrap(),
        Some(finalized)
    );
    assert_eq!(
        safe_block(&l1, head, 5, false).await.unwrap(),
        Some(head - 5)
    );
    assert_eq!(safe_block(&l1, 3, 5, false).await.unwrap(), None);

    let embedded = EmbeddedL1::new(EmbeddedClock::Manual(1_700_000_000));
    assert_eq!(embedded.finalized_block().await.unwrap(), None);
    assert_eq!(
        safe_block(&embedded, 40, 5, true).await.unwrap(),
        Some(35),
        "no tag: the depth"
    );
}
