//! Any Ethereum JSON-RPC endpoint as the node's L1, through alloy: a provider with a local
//! signing key (gas, nonce and chain id filled by alloy's recommended fillers), receipts awaited
//! after each send. Reverts are told apart from transport failures so callers know what to
//! retry: a revert found while estimating gas carries the revert data.

use std::sync::Arc;
use std::time::Duration;

use alloy::network::{EthereumWallet, TransactionBuilder};
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::rpc::types::{BlockNumberOrTag, Filter, TransactionRequest};
use alloy::signers::local::PrivateKeySigner;
use alloy::transports::{RpcError, TransportErrorKind};
use alloy_primitives::{Address, Bytes, U256};

use super::{DevClock, L1, L1Error, L1Head, L1Log, L1Receipt, L1Tx};

/// How long a sent transaction may take to be mined before the send reports a (retryable)
/// transport error.
const RECEIPT_TIMEOUT: Duration = Duration::from_secs(120);

/// A JSON-RPC endpoint and the key that signs this handle's transactions.
#[derive(Clone)]
pub struct RpcL1 {
    provider: DynProvider,
    signer: Address,
    /// One send at a time per handle: each takes the account's pending nonce itself, so a
    /// transaction refused before sending (a revert found by gas estimation) never leaves a
    /// nonce gap that would hold every later one back.
    sending: Arc<tokio::sync::Mutex<()>>,
}

impl RpcL1 {
    /// Connects to `url` (http or https), signing with `key`.
    pub fn connect(url: &str, key: PrivateKeySigner) -> Result<RpcL1, L1Error> {
        let url = url
            .parse()
            .map_err(|e| L1Error::Transport(format!("bad L1 URL {url:?}: {e}")))?;
        let signer = key.address();
        let provider = ProviderBuilder::new()
            .wallet(EthereumWallet::from(key))
            .connect_http(url)
            .erased();
        Ok(RpcL1 {
            provider,
            signer,
            sending: Arc::default(),
        })
    }
}

fn map_err(e: RpcError<TransportErrorKind>) -> L1Error {
    if let Some(resp) = e.as_error_resp() {
        if let Some(data) = resp.as_revert_data() {
            return L1Error::Reverted { data };
        }
        return L1Error::Rejected(resp.to_string());
    }
    L1Error::Transport(e.to_string())
}

fn to_log(l: alloy::rpc::types::Log) -> Result<L1Log, L1Error> {
    let missing = || L1Error::Transport("the endpoint returned a log without its block".into());
    Ok(L1Log {
        block_number: l.block_number.ok_or_else(missing)?,
        tx_hash: l.transaction_hash.ok_or_else(missing)?,
        log: l.inner,
    })
}

impl L1 for RpcL1 {
    fn signer(&self) -> Address {
        self.signer
    }

    async fn head(&self) -> Result<L1Head, L1Error> {
        let block = self
            .provider
            .get_block_by_number(BlockNumberOrTag::Latest)
            .await
            .map_err(map_err)?
            .ok_or_else(|| L1Error::Transport("the endpoint has no latest block".into()))?;
        Ok(L1Head {
            number: block.header.number,
            timestamp: block.header.timestamp,
        })
    }

    async fn send(&self, tx: L1Tx) -> Result<L1Receipt, L1Error> {
        let _one_at_a_time = self.sending.lock().await;
        let nonce = self
            .provider
            .get_transaction_count(self.signer)
            .pending()
            .await
            .map_err(map_err)?;
        let mut req = TransactionRequest::default()
            .with_from(self.signer)
            .with_nonce(nonce)
            .with_value(tx.value);
        req = match tx.to {
            Some(to) => req.with_to(to).with_input(tx.data),
            None => req.with_deploy_code(tx.data),
        };
        let pending = self.provider.send_transaction(req).await.map_err(map_err)?;
        let receipt = pending
            .with_timeout(Some(RECEIPT_TIMEOUT))
            .get_receipt()
            .await
            .map_err(|e| L1Error::Transport(format!("waiting for the receipt: {e}")))?;
        if !receipt.status() {
            // Gas estimation runs the call first, so a revert here means the state changed
            // between estimating and mining; the data is not in the receipt.
            return Err(L1Error::Reverted { data: Bytes::new() });
        }
        let logs = receipt
            .inner
            .logs()
            .iter()
            .cloned()
            .map(to_log)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(L1Receipt {
            tx_hash: receipt.transaction_hash,
            block_number: receipt.block_number.unwrap_or_default(),
            gas_used: receipt.gas_used,
            contract_address: receipt.contract_address,
            logs,
        })
    }

    async fn call(&self, to: Address, data: Bytes) -> Result<Bytes, L1Error> {
        let req = TransactionRequest::default()
            .with_from(self.signer)
            .with_to(to)
            .with_input(data);
        self.provider.call(req).await.map_err(map_err)
    }

    async fn logs(&self, address: Address, from: u64, to: u64) -> Result<Vec<L1Log>, L1Error> {
        let filter = Filter::new().address(address).from_block(from).to_block(to);
        let logs = self.provider.get_logs(&filter).await.map_err(map_err)?;
        logs.into_iter().map(to_log).collect()
    }

    async fn balance(&self, who: Address) -> Result<U256, L1Error> {
        self.provider.get_balance(who).await.map_err(map_err)
    }

    async fn nonce(&self, who: Address) -> Result<u64, L1Error> {
        self.provider
            .get_transaction_count(who)
            .await
            .map_err(map_err)
    }
}

/// anvil's (and hardhat's) `evm_increaseTime` + `evm_mine`; a real chain refuses them.
impl DevClock for RpcL1 {
    async fn advance(&self, seconds: u64) -> Result<(), L1Error> {
        let _: serde_json::Value = self
            .provider
            .raw_request("evm_increaseTime".into(), (seconds,))
            .await
            .map_err(map_err)?;
        let _: serde_json::Value = self
            .provider
            .raw_request("evm_mine".into(), ())
            .await
            .map_err(map_err)?;
        Ok(())
    }
}
