//! The L1 figures an operator scrapes (docs/guides/operator.md, "Watch it"), recorded through
//! the `metrics` facade: nothing is kept unless the process installed a recorder
//! (`fuse-metrics`).

/// Counter, label `kind`: failed requests to the L1's JSON-RPC endpoint, each attempt
/// counted (a request retried three times and then answered counts three).
pub const RPC_ERRORS: &str = "fuse_l1_rpc_errors_total";
/// Gauge: the L1's latest block number, as last read by a follower.
pub const HEAD_BLOCK: &str = "fuse_l1_head_block";

/// Counter: transactions sent by this process (a replacement not counted again).
pub const TXS_SENT: &str = "fuse_l1_txs_sent_total";
/// Counter: replacements sent (the same nonce at higher fees, after one waited too long).
pub const TXS_REPLACED: &str = "fuse_l1_txs_replaced_total";
/// Counter: times a transaction waited because the fee ceiling is below the base fee.
pub const TXS_CAPPED: &str = "fuse_l1_txs_capped_total";
/// Gauge: the most per gas (wei) the last transaction sent offered.
pub const LAST_MAX_FEE: &str = "fuse_l1_last_max_fee_wei";

/// The values of [`RPC_ERRORS`]' `kind` label.
pub mod kind {
    /// HTTP 429, or a JSON-RPC error a provider answers when it limits the rate.
    pub const RATE_LIMITED: &str = "rate_limited";
    /// An HTTP 5xx answer.
    pub const SERVER_ERROR: &str = "server_error";
    /// No usable answer: the connection refused, reset or timed out, an answer cut short or
    /// not JSON, an empty answer, or another HTTP error.
    pub const TRANSPORT: &str = "transport";
    /// An `eth_getLogs` range refused as too large (the page is halved).
    pub const RANGE_REFUSED: &str = "range_refused";
}

/// Gives the recorder the help text and unit of each figure above.
pub fn describe() {
    metrics::describe_counter!(
        RPC_ERRORS,
        "Failed requests to the L1 JSON-RPC endpoint, by kind (rate_limited, server_error, \
         transport, range_refused); each attempt counts"
    );
    metrics::describe_gauge!(HEAD_BLOCK, "The L1's latest block number, as last read");
    metrics::describe_counter!(TXS_SENT, "L1 transactions sent (replacements not counted)");
    metrics::describe_counter!(
        TXS_REPLACED,
        "L1 transactions sent again with the same nonce at higher fees"
    );
    metrics::describe_counter!(
        TXS_CAPPED,
        "Times an L1 transaction waited because the fee ceiling is below the base fee"
    );
    metrics::describe_gauge!(
        LAST_MAX_FEE,
        "The most per gas (wei) the last L1 transaction sent offered"
    );
}
