//! Test support shared by every crate's property and fuzz suites: case counts
//! ([`cases`]), proven stepping ([`steps`]) and random programs ([`programs`]).

pub mod programs;
pub mod steps;

/// The environment variable that scales every property/fuzz suite's case count.
///
/// Unset or `1` in CI (fast); `FUSE_TEST_SCALE=100 cargo test` for a deep run.
pub const SCALE_ENV: &str = "FUSE_TEST_SCALE";

/// `base` cases times the factor in [`SCALE_ENV`] (at least one case).
///
/// Every proptest config and fuzz loop in the workspace takes its case count from here, so one
/// variable turns all of them up at once.
pub fn cases(base: u32) -> u32 {
    let scale = std::env::var(SCALE_ENV)
        .ok()
        .and_then(|s| s.trim().parse::<u32>().ok())
        .unwrap_or(1);
    base.saturating_mul(scale).max(1)
}

#[cfg(test)]
mod tests {
    #[test]
    fn cases_is_at_least_one() {
        assert!(super::cases(0) >= 1);
        assert!(super::cases(7) >= 7);
    }
}
