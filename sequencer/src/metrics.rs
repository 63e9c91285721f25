//! The sequencer's figures an operator scrapes (docs/guides/operator.md, "Watch it"),
//! recorded through the `metrics` facade by the loops (service.rs) and the state machine at
//! its status transitions; nothing is kept unless the process installed a recorder
//! (`fuse-metrics`).

/// Gauge: the last L1 block whose Inbox messages the follower has read.
pub const FOLLOWED_BLOCK: &str = "fuse_sequencer_l1_followed_block";
/// Gauge: inbox messages the canonical chain has executed (its inbox position).
pub const INBOX_POSITION: &str = "fuse_sequencer_inbox_position";
/// Gauge: transactions accepted and not yet executed by the canonical chain.
pub const PENDING_TXS: &str = "fuse_sequencer_pending_txs";
/// Gauge: accepted transactions waiting for a batch.
pub const UNBATCHED_TXS: &str = "fuse_sequencer_unbatched_txs";
/// Counter, label `status`: transactions entering a status ([`status`]).
pub const TXS: &str = "fuse_sequencer_txs_total";
/// Counter: batches appended to the Inbox by this node.
pub const BATCHES_POSTED: &str = "fuse_sequencer_batches_posted_total";
/// Counter: bytes of the batches appended (the message data).
pub const BATCH_BYTES: &str = "fuse_sequencer_batch_bytes_total";
/// Counter: L1 reorgs that replaced blocks the follower had read.
pub const REORGS: &str = "fuse_sequencer_l1_reorgs_total";
/// Counter: inbox messages taken back because a reorg replaced their blocks.
pub const REORGED_MESSAGES: &str = "fuse_sequencer_reorged_messages_total";

/// The values of [`TXS`]' `status` label.
pub mod status {
    /// Durable on the soft chain (`ACCEPTED_IN_L2`).
    pub const ACCEPTED: &str = "accepted";
    /// Refused at ingress (the API answered an error; never stored).
    pub const REFUSED: &str = "refused";
    /// In a batch appended to the Inbox (`POSTED`).
    pub const POSTED: &str = "posted";
    /// Covered by a confirmed assertion (`FINALIZED`).
    pub const FINALIZED: &str = "finalized";
    /// `REJECTED` after acceptance: dropped before any batch held it, or skipped by the chain.
    pub const REJECTED: &str = "rejected";
}

/// Counts `n` transactions entering `status` (one of [`status`]).
pub fn count(status: &'static str, n: usize) {
    if n > 0 {
        metrics::counter!(TXS, "status" => status).increment(n as u64);
    }
}

/// Gives the recorder the help text and unit of each figure above.
pub fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge};
    describe_gauge!(
        FOLLOWED_BLOCK,
        "The last L1 block whose Inbox messages the sequencer's follower has read"
    );
    describe_gauge!(
        INBOX_POSITION,
        "Inbox messages the sequencer's canonical chain has executed"
    );
    describe_gauge!(
        PENDING_TXS,
        "Transactions accepted and not yet executed by the canonical chain"
    );
    describe_gauge!(UNBATCHED_TXS, "Accepted transactions waiting for a batch");
    describe_counter!(
        TXS,
        "Transactions entering a status: accepted (durable), refused (at ingress), posted, \
         finalized, rejected (after acceptance)"
    );
    describe_counter!(BATCHES_POSTED, "Batches this node appended to the Inbox");
    describe_counter!(
        BATCH_BYTES,
        Unit::Bytes,
        "Bytes of the batches this node appended to the Inbox"
    );
    describe_counter!(
        REORGS,
        "L1 reorgs that replaced blocks the sequencer's follower had read"
    );
    describe_counter!(
        REORGED_MESSAGES,
        "Inbox messages the sequencer took back because a reorg replaced their blocks"
    );
}
