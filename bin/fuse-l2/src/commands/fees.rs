//! How the node and the validator pay for their L1 transactions (docs/guides/operator.md,
//! "Fees").

use std::time::Duration;

use fuse_l1::FeePolicy;

/// Wei in a gwei.
const GWEI: u128 = 1_000_000_000;

/// The fee options of a command that sends L1 transactions.
#[derive(Debug, clap::Args)]
pub(crate) struct FeeArgs {
    /// The most any transaction pays per gas (base fee plus tip), in gwei. A transaction
    /// priced at it below the base fee waits until the base fee falls; the validator warns
    /// while its move waits so. Default: 1,000 (the protocol's gas budget, which the bond
    /// check at start assumes too).
    #[arg(long, env = "FUSE_MAX_FEE_GWEI", default_value_t = 1_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) max_fee_gwei: u64,
    /// Seconds a transaction may wait unmined before it is sent again with the same nonce and
    /// fees raised by a quarter (an urgent challenge move: a third of it).
    #[arg(long, env = "FUSE_REPLACE_AFTER_S", default_value_t = 36)]
    pub(crate) replace_after_s: u64,
}

impl FeeArgs {
    /// The policy the L1 client applies.
    pub(crate) fn policy(&self) -> FeePolicy {
        FeePolicy {
            max_fee_per_gas: Some(u128::from(self.max_fee_gwei) * GWEI),
            replace_after: Duration::from_secs(self.replace_after_s.max(1)),
            ..FeePolicy::default()
        }
    }
}
