//! The L1 figures an operator scrapes (docs/guides/operator.md, "Watch it"), recorded through
//! the `metrics` facade: nothing is kept unless the process installed a recorder
//! (`fuse-metrics`).

/// Counter, label `kind`: failed requests to the L1's JSON-RPC endpoint, each attempt
/// counted (a request retried three times and then answered counts three).
pub const RPC_ERRORS: &str = "fuse_l1_rpc_errors_total";
/// Gauge: the L1's latest block number, as last read by a follower.
pub const HEAD_BLOCK: &str = "fuse_l1_head_block";

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
}
