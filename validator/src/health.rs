//! Whether the validator can still extend the chain (docs/validator.md, "The halted-chain
//! alarm"). A validator that a rule keeps from every move it could make must say so, never
//! wait in silence: the chain may be halted (a block that cannot finish), its stake may be
//! gone, or a wrong assertion may be out of its reach — each needs an operator. Waiting on a
//! rule for a while is normal (a family closed while a dispute is decided, the depth bound);
//! waiting longer than the protocol's bound on delay is not.

use serde::Serialize;

/// What a validator reports about its ability to extend the chain.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "state")]
pub enum Health {
    /// Extending the chain, or nothing to extend yet.
    #[default]
    Running,
    /// A rule makes it wait (since L1 time `since`); normal for up to two challenge
    /// periods.
    Waiting {
        /// The rule it waits on.
        reason: String,
        /// The L1 timestamp (seconds) it started waiting at.
        since: u64,
    },
    /// It cannot extend the chain and will not without an operator.
    Halted {
        /// Why it cannot extend the chain, and what the operator should check.
        reason: String,
    },
}

impl Health {
    /// Whether it is halted.
    pub fn is_halted(&self) -> bool {
        matches!(self, Health::Halted { .. })
    }
}

/// What the last poll found, from which [`Health`] follows.
#[derive(Clone, Debug, Default)]
pub struct Findings {
    /// A block that cannot finish in the stepping machine (the chain stops there).
    pub stuck: Option<String>,
    /// A wrong assertion it cannot challenge (another module than its guest).
    pub unreachable_lie: Option<String>,
    /// Its honest stake was removed.
    pub stake_lost: bool,
    /// Why extending its line waits on a rule this poll, if it does.
    pub blocked: Option<&'static str>,
}

impl Health {
    /// The health after a poll at L1 time `now`, from the previous one: waiting on a rule for
    /// longer than `limit` seconds is a halt.
    pub fn next(&self, f: &Findings, now: u64, limit: u64) -> Health {
        if let Some(why) = f.stuck.as_ref().or(f.unreachable_lie.as_ref()) {
            return Health::Halted {
                reason: why.clone(),
            };
        }
        if f.stake_lost {
            return Health::Halted {
                reason: "its stake was removed: an honest validator lost a challenge, which \
                         the protocol excludes (check its guest and its L1 connection)"
                    .into(),
            };
        }
        let Some(reason) = f.blocked else {
            return Health::Running;
        };
        let since = match self {
            Health::Waiting { since, .. } => *since,
            _ => now,
        };
        if now.saturating_sub(since) > limit {
            return Health::Halted {
                reason: format!(
                    "no move for {} s, longer than the protocol's bound: {reason}",
                    now - since
                ),
            };
        }
        Health::Waiting {
            reason: reason.to_string(),
            since,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waiting_past_the_limit_is_a_halt_and_progress_clears_it() {
        let blocked = Findings {
            blocked: Some("a family closed"),
            ..Findings::default()
        };
        let h = Health::Running.next(&blocked, 100, 50);
        assert_eq!(
            h,
            Health::Waiting {
                reason: "a family closed".into(),
                since: 100
            }
        );
        assert!(!h.next(&blocked, 150, 50).is_halted(), "at the limit");
        assert!(h.next(&blocked, 151, 50).is_halted(), "past it");
        assert_eq!(h.next(&Findings::default(), 151, 50), Health::Running);
        let stuck = Findings {
            stuck: Some("block 7 errored".into()),
            ..Findings::default()
        };
        assert_eq!(
            Health::Running.next(&stuck, 0, 50),
            Health::Halted {
                reason: "block 7 errored".into()
            }
        );
    }
}
