//! Dispute vectors (docs/spec/dispute-vector.md): recording one challenge between an honest
//! party and a liar as a self-contained file ([`record`], from the named [`scenarios`]), and
//! replaying a file against freshly deployed contracts on an L1 ([`replay`]) with every move,
//! gas figure, clock and the outcome checked against the record; [`view`] turns a vector into
//! the dispute viewer's page. `fuse-l2 replay` and
//! `fuse-l2 vectors disputes` are thin shells over this module.

pub mod chain;
pub mod record;
#[allow(clippy::module_inception)]
pub mod replay;
pub mod scenarios;
pub mod vector;
pub mod view;

use std::path::{Path, PathBuf};

use fuse_l1::{EmbeddedClock, EmbeddedL1};
pub use replay::Report;
pub use vector::DisputeVector;

/// Where the committed dispute vectors live.
pub fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../test-vectors/disputes")
}

/// Replays `v` on a fresh embedded L1 with the recording's clock, where gas and clocks are
/// exact.
pub async fn replay_embedded(v: &DisputeVector) -> anyhow::Result<Report> {
    let l1 = EmbeddedL1::new(EmbeddedClock::Manual(record::T0));
    for a in [record::HONEST, record::LIAR] {
        l1.fund(a, alloy_primitives::U256::from(10u128.pow(21)))
            .await?;
    }
    let (h, l) = (l1.as_account(record::HONEST), l1.as_account(record::LIAR));
    replay::replay(v, &l1, h, l, true).await
}

/// Records scenario `name`.
pub async fn record_scenario(name: &str) -> anyhow::Result<DisputeVector> {
    record::record(&scenarios::setup(name)?).await
}
