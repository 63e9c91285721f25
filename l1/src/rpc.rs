//! Any Ethereum JSON-RPC endpoint as the node's L1, through alloy: a provider with a local
//! signing key (gas, nonce and chain id filled by alloy's recommended fillers), receipts awaited
//! after each send. Reverts are told apart from transport failures so callers know what to
//! retry: a revert found while estimating gas carries the revert data.
//!
//! Public endpoints limit what they serve, and an operator's node must live with it
//! ([`RpcLimits`]): every request goes through alloy's retry layer with [`FaultPolicy`]
//! (rate limits, 5xx answers, dropped connections and truncated answers are retried after a
//! backoff), and logs are read in pages of a bounded block range that halves, and stays
//! halved, when the provider refuses a range as too large.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use alloy::network::{EthereumWallet, TransactionBuilder};
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::rpc::client::ClientBuilder;
use alloy::rpc::types::{BlockNumberOrTag, Filter, TransactionRequest};
use alloy::signers::local::PrivateKeySigner;
use alloy::transports::layers::{RateLimitRetryPolicy, RetryBackoffLayer, RetryPolicy};
use alloy::transports::{RpcError, TransportError, TransportErrorKind};
use alloy_primitives::{Address, B256, Bytes, U256};

use super::{DevClock, L1, L1Error, L1Head, L1Log, L1Receipt, L1Tx};

mod redact;
mod send;
pub use redact::redact_url;
use redact::redact_urls;
pub use send::FeePolicy;

/// How long a sent transaction may take to be mined before the send reports a (retryable)
/// transport error.
const RECEIPT_TIMEOUT: Duration = Duration::from_secs(120);

/// How long one JSON-RPC request may take, answer included.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The longest wait a provider's `Retry-After` is granted before a retry.
const MAX_BACKOFF_HINT: Duration = Duration::from_secs(10);

/// What an endpoint is assumed to bear, and how hard the client retries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RpcLimits {
    /// Blocks per `eth_getLogs` request to start with. Providers cap the range (commonly at
    /// 10,000 blocks, some at 2,000 or fewer); a refusal halves it.
    pub log_blocks: u64,
    /// Retries of one request that failed in a way worth retrying (rate limit, 5xx, dropped
    /// connection, truncated answer) before the failure reaches the caller.
    pub retries: u32,
    /// How long to wait before each retry, unless the provider says how long (`Retry-After`).
    pub backoff: Duration,
}

impl Default for RpcLimits {
    fn default() -> RpcLimits {
        RpcLimits {
            log_blocks: 2_000,
            retries: 8,
            backoff: Duration::from_millis(500),
        }
    }
}

/// Which failed requests the retry layer sends again: alloy's rate-limit rules, plus the
/// faults of a flaky network (a connection dropped or reset, a timeout, a 5xx answer, an
/// answer cut short) — never a range refusal, which only a smaller range cures, and never a
/// JSON-RPC error the endpoint meant (a revert, a bad nonce).
#[derive(Clone, Copy, Debug, Default)]
pub struct FaultPolicy;

impl RetryPolicy for FaultPolicy {
    fn should_retry(&self, error: &TransportError) -> bool {
        // Every failed attempt passes here once, retried or not: the one place to count them.
        if let Some(kind) = fault_kind(error) {
            metrics::counter!(crate::metrics::RPC_ERRORS, "kind" => kind).increment(1);
        }
        if is_range_refusal(error) {
            return false;
        }
        // The retry layer reports only "max retries exceeded" in the end; the cause of each
        // failure is told here.
        tracing::debug!(error = %with_causes(error), "L1 request failed");
        match error {
            RpcError::Transport(TransportErrorKind::HttpError(e)) => {
                e.status >= 500 || e.status == 429
            }
            RpcError::Transport(TransportErrorKind::Custom(_)) => true,
            RpcError::DeserError { .. } | RpcError::NullResp => true,
            e => RateLimitRetryPolicy::default().should_retry(e),
        }
    }

    fn backoff_hint(&self, error: &TransportError) -> Option<Duration> {
        // A provider may ask for minutes; eight such waits would stall a challenge's clock.
        RateLimitRetryPolicy::default()
            .backoff_hint(error)
            .map(|d| d.min(MAX_BACKOFF_HINT))
    }
}

/// The kind of fault a failed request is, as [`crate::metrics::RPC_ERRORS`] counts it; `None`
/// for an answer the endpoint meant (a revert, a bad nonce), which is no fault of the
/// endpoint or the connection.
pub(crate) fn fault_kind(error: &TransportError) -> Option<&'static str> {
    use crate::metrics::kind;
    if is_range_refusal(error) {
        return Some(kind::RANGE_REFUSED);
    }
    match error {
        RpcError::Transport(TransportErrorKind::HttpError(e)) if e.status == 429 => {
            Some(kind::RATE_LIMITED)
        }
        RpcError::Transport(TransportErrorKind::HttpError(e)) if e.status >= 500 => {
            Some(kind::SERVER_ERROR)
        }
        RpcError::Transport(_) | RpcError::DeserError { .. } | RpcError::NullResp => {
            Some(kind::TRANSPORT)
        }
        // A JSON-RPC error alloy's rules retry is a provider limiting the rate (-32005 and
        // its like); any other is the endpoint's answer.
        e if RateLimitRetryPolicy::default().should_retry(e) => Some(kind::RATE_LIMITED),
        _ => None,
    }
}

/// Whether the endpoint refused an `eth_getLogs` because the range or the answer is too big.
/// Providers word it differently (Infura: "query returned more than 10000 results"; Alchemy:
/// "Log response size exceeded … up to a 2K block range"; others: "block range is too
/// large", "exceed maximum block range", "ranges over 10000 blocks are not supported"), so the
/// message decides, not the code (Infura's -32005 also means a rate limit). A rate or quota
/// limit ("too many requests", "daily request limit exceeded") is not a range refusal: it is
/// retried as is; nor is a range past the head of the backend that served the request
/// ("block range extends beyond current head block"), which the next poll reads again.
pub fn is_range_refusal(error: &TransportError) -> bool {
    let Some(resp) = error.as_error_resp() else {
        return false;
    };
    if resp.code == 429 {
        return false;
    }
    let m = resp.message.to_ascii_lowercase();
    let limited = [
        "rate limit",
        "too many requests",
        "too many concurrent",
        "too many connections",
        "request limit",
        "capacity",
        "credits",
        "quota",
        "beyond",
        "head block",
        "invalid block range",
    ];
    if limited.iter().any(|n| m.contains(n)) {
        return false;
    }
    [
        "range",
        "more than",
        "response size",
        "too large",
        "too many results",
        "max results",
    ]
    .iter()
    .any(|n| m.contains(n))
}

/// Installs `ring` as the process's TLS crypto provider, which every HTTP client of alloy
/// (reqwest with rustls and no provider of its own) needs before it is built: without it,
/// building one panics. Idempotent; [`RpcL1::connect`] calls it, and so must code that builds
/// an alloy HTTP provider by other means first.
pub fn install_tls_provider() {
    // A second install is refused harmlessly: the first provider stays.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A JSON-RPC endpoint and the key that signs this handle's transactions.
#[derive(Clone)]
pub struct RpcL1 {
    provider: DynProvider,
    signer: Address,
    /// Blocks per `eth_getLogs` request now: [`RpcLimits::log_blocks`], halved by each range
    /// refusal and shared by every clone of the handle (a provider's cap does not change).
    log_blocks: Arc<AtomicU64>,
    /// One send at a time per handle: each takes the account's pending nonce itself, so a
    /// transaction refused before sending (a revert found by gas estimation) never leaves a
    /// nonce gap that would hold every later one back.
    sending: Arc<tokio::sync::Mutex<()>>,
    /// Signs this handle's transactions (rpc/send.rs signs before sending).
    wallet: EthereumWallet,
    /// How its transactions are priced and chased.
    fees: FeePolicy,
    /// A transaction still pending when its send gave up, whose nonce the next send takes.
    stuck: Arc<std::sync::Mutex<Option<send::Stuck>>>,
    /// What sending did so far, shared by clones.
    stats: Arc<SendStats>,
    /// The chain id, read once.
    chain: Arc<tokio::sync::OnceCell<u64>>,
}

/// What a handle's sends did so far (shared by its clones).
#[derive(Debug, Default)]
pub struct SendStats {
    /// Transactions sent (replacements not counted).
    pub sent: AtomicU64,
    /// Replacements sent: the same nonce at higher fees, after one waited too long.
    pub replaced: AtomicU64,
    /// Times a transaction was priced at the ceiling below the base fee, and so waited.
    pub capped: AtomicU64,
}

impl RpcL1 {
    /// Connects to `url` (http or https), signing with `key`, with the default limits.
    pub fn connect(url: &str, key: PrivateKeySigner) -> Result<RpcL1, L1Error> {
        RpcL1::connect_with(url, key, RpcLimits::default())
    }

    /// Connects to `url`, signing with `key`, within `limits`.
    pub fn connect_with(
        url: &str,
        key: PrivateKeySigner,
        limits: RpcLimits,
    ) -> Result<RpcL1, L1Error> {
        let url = url
            .parse()
            .map_err(|e| L1Error::Transport(format!("bad L1 URL {}: {e}", redact_url(url))))?;
        let signer = key.address();
        install_tls_provider();
        let backoff_ms = u64::try_from(limits.backoff.as_millis()).unwrap_or(u64::MAX);
        // The compute-unit budget of alloy's layer is for metered providers; the backoff
        // alone paces retries here.
        let retry =
            RetryBackoffLayer::new_with_policy(limits.retries, backoff_ms, u64::MAX, FaultPolicy);
        // Every request ends: a half-open connection or a dead backend behind a balancer
        // would otherwise hold the send lock for ever.
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| L1Error::Transport(format!("building the HTTP client: {e}")))?;
        let client = ClientBuilder::default()
            .layer(retry)
            .http_with_client(http, url);
        let wallet = EthereumWallet::from(key);
        let provider = ProviderBuilder::new()
            .wallet(wallet.clone())
            .connect_client(client)
            .erased();
        Ok(RpcL1 {
            provider,
            signer,
            log_blocks: Arc::new(AtomicU64::new(limits.log_blocks.max(1))),
            sending: Arc::default(),
            wallet,
            fees: FeePolicy::default(),
            stuck: Arc::default(),
            stats: Arc::default(),
            chain: Arc::default(),
        })
    }

    /// The same endpoint and key, pricing transactions by `fees`.
    pub fn with_fees(mut self, fees: FeePolicy) -> RpcL1 {
        self.fees = fees;
        self
    }

    /// What this handle's sends (and its clones') did so far.
    pub fn send_stats(&self) -> &SendStats {
        &self.stats
    }

    /// The chain's id (`eth_chainId`, read once).
    pub async fn chain_id(&self) -> Result<u64, L1Error> {
        self.chain
            .get_or_try_init(|| async { self.provider.get_chain_id().await.map_err(map_err) })
            .await
            .copied()
    }

    /// Blocks per `eth_getLogs` request now (after any refusals).
    pub fn log_blocks(&self) -> u64 {
        self.log_blocks.load(Ordering::Relaxed)
    }
}

fn map_err(e: RpcError<TransportErrorKind>) -> L1Error {
    if let Some(resp) = e.as_error_resp() {
        if let Some(data) = resp.as_revert_data() {
            return L1Error::Reverted { data };
        }
        return L1Error::Rejected(resp.to_string());
    }
    L1Error::Transport(redact_urls(&with_causes(&e)))
}

/// An error and the errors under it, `a: b: c`: "error sending request" alone does not tell
/// an operator whether the connection was refused, timed out or failed its TLS handshake.
fn with_causes(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        cause = c.source();
    }
    out
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

    async fn block_hash(&self, number: u64) -> Result<Option<B256>, L1Error> {
        let block = self
            .provider
            .get_block_by_number(BlockNumberOrTag::Number(number))
            .await
            .map_err(map_err)?;
        Ok(block.map(|b| b.header.hash))
    }

    async fn send(&self, tx: L1Tx) -> Result<L1Receipt, L1Error> {
        let receipt = self.send_priced(tx).await?;
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

    async fn finalized_block(&self) -> Result<Option<u64>, L1Error> {
        match self
            .provider
            .get_block_by_number(BlockNumberOrTag::Finalized)
            .await
        {
            Ok(b) => Ok(b.map(|b| b.header.number)),
            // An endpoint that does not know the tag says so (invalid params, or words to
            // that effect); any other failure is a failure, not a missing tag.
            Err(e)
                if e.as_error_resp().is_some_and(|r| {
                    let m = r.message.to_ascii_lowercase();
                    r.code == -32602
                        || m.contains("finalized")
                        || m.contains("unknown block")
                        || m.contains("not supported")
                }) =>
            {
                Ok(None)
            }
            Err(e) => Err(map_err(e)),
        }
    }

    async fn fee_blocked(&self) -> Result<Option<(u128, u128)>, L1Error> {
        let Some(ceiling) = self.fees.max_fee_per_gas else {
            return Ok(None);
        };
        Ok(self
            .base_fee()
            .await?
            .filter(|&base| base > ceiling)
            .map(|base| (base, ceiling)))
    }

    async fn call(&self, to: Address, data: Bytes) -> Result<Bytes, L1Error> {
        let req = TransactionRequest::default()
            .with_from(self.signer)
            .with_to(to)
            .with_input(data);
        self.provider.call(req).await.map_err(map_err)
    }

    async fn call_at(&self, to: Address, data: Bytes, block: u64) -> Result<Bytes, L1Error> {
        let req = TransactionRequest::default()
            .with_from(self.signer)
            .with_to(to)
            .with_input(data);
        self.provider
            .call(req)
            .block(block.into())
            .await
            .map_err(map_err)
    }

    async fn logs(&self, address: Address, from: u64, to: u64) -> Result<Vec<L1Log>, L1Error> {
        let mut out = Vec::new();
        let mut start = from;
        // This call's page: the shared size, halved for this call by each refusal.
        let mut page = self.log_blocks();
        while start <= to {
            let end = to.min(start.saturating_add(page - 1));
            let filter = Filter::new()
                .address(address)
                .from_block(start)
                .to_block(end);
            match self.provider.get_logs(&filter).await {
                Ok(logs) => {
                    for l in logs {
                        out.push(to_log(l)?);
                    }
                    match end.checked_add(1) {
                        Some(next) => start = next,
                        None => break,
                    }
                }
                Err(e) if is_range_refusal(&e) && end > start => {
                    let refused = end - start + 1;
                    page = (refused / 2).max(1);
                    // A provider that refused `refused` blocks refuses every larger range too,
                    // and its cap does not change while the node runs: later requests start
                    // no larger. (Only a real range refusal gets here: rate limits and ranges
                    // past a lagging backend's head are told apart by `is_range_refusal`.)
                    self.log_blocks.fetch_min(page, Ordering::Relaxed);
                    tracing::info!(
                        blocks = page,
                        error = %e,
                        "the L1 endpoint refused a log range; reading smaller pages"
                    );
                }
                Err(e) => return Err(map_err(e)),
            }
        }
        Ok(out)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn error(code: i64, message: &'static str) -> TransportError {
        // The payload type is alloy's; built from its JSON form, as an endpoint sends it.
        RpcError::ErrorResp(
            serde_json::from_value(serde_json::json!({ "code": code, "message": message }))
                .unwrap(),
        )
    }

    #[test]
    fn range_refusals_are_told_from_rate_limits_and_lagging_heads() {
        let refusals = [
            (-32005, "query returned more than 10000 results"),
            (
                -32602,
                "Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range",
            ),
            (-32000, "block range is too large"),
            (-32600, "exceed maximum block range: 5000"),
            (-32000, "ranges over 10000 blocks are not supported"),
            (
                -32602,
                "query exceeds max results 20000, retry with the range 1-2000",
            ),
        ];
        for (code, m) in refusals {
            assert!(is_range_refusal(&error(code, m)), "{m}");
        }
        let others = [
            (429, "Too Many Requests"),
            (-32005, "daily request limit exceeded"),
            (-32000, "too many concurrent requests"),
            (-32016, "rate limit exceeded"),
            (-32000, "Monthly capacity limit exceeded"),
            (-32602, "block range extends beyond current head block"),
            (-32602, "invalid block range params"),
            (3, "execution reverted"),
        ];
        for (code, m) in others {
            assert!(!is_range_refusal(&error(code, m)), "{m}");
        }
    }

    #[test]
    fn faults_are_counted_by_kind_and_meant_answers_not_at_all() {
        use crate::metrics::kind;
        let http = |status| {
            RpcError::Transport(TransportErrorKind::HttpError(
                alloy::transports::HttpError {
                    status,
                    body: String::new(),
                },
            ))
        };
        assert_eq!(fault_kind(&http(429)), Some(kind::RATE_LIMITED));
        assert_eq!(fault_kind(&http(503)), Some(kind::SERVER_ERROR));
        assert_eq!(fault_kind(&http(401)), Some(kind::TRANSPORT));
        let reset = TransportErrorKind::custom_str("connection reset");
        assert_eq!(fault_kind(&reset), Some(kind::TRANSPORT));
        assert_eq!(fault_kind(&RpcError::NullResp), Some(kind::TRANSPORT));
        assert_eq!(
            fault_kind(&error(-32005, "query returned more than 10000 results")),
            Some(kind::RANGE_REFUSED)
        );
        assert_eq!(
            fault_kind(&error(429, "Too Many Requests")),
            Some(kind::RATE_LIMITED)
        );
        assert_eq!(fault_kind(&error(3, "execution reverted")), None);
        assert_eq!(fault_kind(&error(-32000, "nonce too low")), None);
    }

    #[test]
    fn urls_lose_their_keys_in_errors() {
        assert_eq!(
            redact_url("https://mainnet.infura.io/v3/0123456789abcdef"),
            "https://mainnet.infura.io/…"
        );
        assert_eq!(redact_url("http://127.0.0.1:8545"), "http://127.0.0.1:8545");
        assert_eq!(
            redact_url("https://user:secret@host.example/x?k=1"),
            "https://host.example/…"
        );
        let e = "error sending request for url (https://eth.example/v2/SECRET): connection refused";
        let r = redact_urls(e);
        assert!(!r.contains("SECRET"), "{r}");
        assert_eq!(
            r,
            "error sending request for url (https://eth.example/…): connection refused"
        );
    }
}
