//! Test support every crate's randomized suites share.

/// The environment variable that scales every property and fuzz suite's case count:
/// unset in CI (1×); `FUSE_TEST_SCALE=100` for a deep run.
pub const SCALE_ENV: &str = "FUSE_TEST_SCALE";

/// The multiplier in [`SCALE_ENV`]: 1 when unset. A value that is not a positive integer
/// panics with the reason, so a deep run asked for with a typo never runs shallow in silence.
pub fn scale() -> u32 {
    match std::env::var(SCALE_ENV) {
        Err(_) => 1,
        Ok(s) => parse_scale(&s).unwrap_or_else(|| {
            panic!("{SCALE_ENV}={s:?}: expected a positive integer (the case-count multiplier)")
        }),
    }
}

fn parse_scale(s: &str) -> Option<u32> {
    s.trim().parse::<u32>().ok().filter(|&n| n > 0)
}

/// `base` cases times [`scale`] (saturating).
pub fn cases(base: u32) -> u32 {
    base.saturating_mul(scale())
}

#[cfg(test)]
mod tests {
    use super::parse_scale;

    #[test]
    fn scale_is_a_positive_integer() {
        assert_eq!(parse_scale("1"), Some(1));
        assert_eq!(parse_scale(" 100\n"), Some(100));
        assert_eq!(parse_scale("0"), None);
        assert_eq!(parse_scale("-3"), None);
        assert_eq!(parse_scale("ten"), None);
        assert_eq!(parse_scale(""), None);
    }
}
