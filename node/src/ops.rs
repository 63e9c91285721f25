//! What an operator watches (docs/guides/operator.md, "Watch it"): `GET /metrics` and
//! `GET /health` on `--metrics-addr`, for `fuse-l2 node` and `fuse-l2 validator` alike. The
//! server and the recorder are `fuse-metrics`'; the figures are recorded by the crates that
//! own them (`fuse_l1::metrics`, `fuse_sequencer::metrics`, `fuse_validator::metrics`); what
//! makes the process unhealthy is decided here ([`decide`]).
//!
//! Unhealthy means an operator should look: the L1 has not answered for a long time, a loop
//! has made no progress for a long time (it fails every round), or the validator is halted.
//! A validator *waiting* on a rule is healthy: that is the protocol at work while a dispute
//! is decided, and the validator turns it into a halt itself once it lasts longer than the
//! protocol allows (docs/validator.md, "The halted-chain alarm").

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use fuse_metrics::{HealthAnswer, Heartbeat, Pulse};
use fuse_validator::health::Health;

/// Gauge, label `version`: always 1; says which build is running.
pub const BUILD_INFO: &str = "fuse_build_info";

/// The heartbeats and the validator health `/health` looks at; `None` for a part the process
/// does not run.
#[derive(Clone, Debug)]
pub struct Watched {
    /// Beats when the L1 answers.
    pub l1: Option<Heartbeat>,
    /// The sequencer's follower: beats after each round that worked.
    pub follower: Option<Heartbeat>,
    /// The validator: beats after each poll that worked, and its health.
    pub validator: Option<(Heartbeat, watch::Receiver<Health>)>,
    /// How long without a beat is a stall ([`stall_limit`]).
    pub stall: Duration,
    /// The validator's challenges, served as dispute viewer pages under `/challenges`.
    pub board: Option<fuse_validator::board::Board>,
}

/// What [`Watched`] says at one moment: the input of [`decide`].
#[derive(Clone, Debug)]
pub struct Snapshot {
    /// The L1's heartbeat.
    pub l1: Option<Pulse>,
    /// The follower's heartbeat.
    pub follower: Option<Pulse>,
    /// The validator's heartbeat and health.
    pub validator: Option<(Pulse, Health)>,
    /// How long without a beat is a stall.
    pub stall: Duration,
}

impl Watched {
    /// The heartbeats and the health now.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            l1: self.l1.as_ref().map(Heartbeat::read),
            follower: self.follower.as_ref().map(Heartbeat::read),
            validator: self
                .validator
                .as_ref()
                .map(|(hb, health)| (hb.read(), health.borrow().clone())),
            stall: self.stall,
        }
    }
}

/// The verdict of `/health`.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    /// Whether the process is healthy.
    pub healthy: bool,
    /// Why not, one sentence each (empty when healthy).
    pub problems: Vec<String>,
    /// The answer's body: `healthy`, `problems` and what each check saw.
    pub body: Value,
}

/// How long a loop paced at `poll` may go without a round that worked before it counts as
/// stalled: thirty rounds, and never under a minute (a provider's hiccup with its retries and
/// backoff, a long guest run, must not flap the verdict).
pub fn stall_limit(poll: Duration) -> Duration {
    (poll * 30).max(Duration::from_secs(60))
}

/// Whether the process is healthy as of `now` (see the module's doc for what counts).
pub fn decide(now: Instant, s: &Snapshot) -> Verdict {
    let mut problems = Vec::new();
    let mut checks = serde_json::Map::new();
    let mut heartbeat = |key: &str, what: &str, pulse: &Pulse| -> Value {
        let silent = pulse.silent_for(now);
        let ok = silent <= s.stall;
        if !ok {
            let error = pulse
                .error
                .as_ref()
                .map(|e| format!("; last error: {e}"))
                .unwrap_or_default();
            let never = if pulse.last_ok.is_none() {
                " since it started"
            } else {
                ""
            };
            problems.push(format!(
                "{what} for {} s{never} (the limit is {} s){error}",
                silent.as_secs(),
                s.stall.as_secs()
            ));
        }
        let mut v = json!({ "ok": ok, "silentSeconds": silent.as_secs() });
        if let Some(e) = &pulse.error {
            v["lastError"] = e.clone().into();
        }
        checks.insert(key.to_string(), v.clone());
        v
    };
    if let Some(p) = &s.l1 {
        heartbeat("l1", "the L1 has not answered", p);
    }
    if let Some(p) = &s.follower {
        heartbeat(
            "follower",
            "the sequencer's follower has made no progress",
            p,
        );
    }
    if let Some((p, health)) = &s.validator {
        let mut v = heartbeat("validator", "the validator has not completed a poll", p);
        if let Health::Halted { reason } = health {
            problems.push(format!("the validator is halted: {reason}"));
            v["ok"] = false.into();
        }
        v["health"] = serde_json::to_value(health).expect("serializable");
        checks.insert("validator".into(), v);
    }
    let healthy = problems.is_empty();
    let body = json!({ "healthy": healthy, "problems": problems, "checks": checks });
    Verdict {
        healthy,
        problems,
        body,
    }
}

/// Installs the process's metrics recorder, describes every figure, and serves `/metrics`,
/// `/health` (judged from `watched`) and the validator's challenges (`/challenges`, a
/// dispute viewer page each) on `addr` (port 0: any free port). Returns the bound address and
/// the server's task.
pub async fn serve(
    addr: SocketAddr,
    watched: Watched,
) -> std::io::Result<(SocketAddr, JoinHandle<()>)> {
    let handle = fuse_metrics::install().map_err(std::io::Error::other)?;
    fuse_l1::metrics::describe();
    fuse_sequencer::metrics::describe();
    fuse_validator::metrics::describe();
    metrics::describe_gauge!(BUILD_INFO, "1, labelled with the running build's version");
    metrics::gauge!(BUILD_INFO, "version" => env!("CARGO_PKG_VERSION")).set(1.0);
    let watched_board = watched.board.clone();
    let check = Arc::new(move || {
        let v = decide(Instant::now(), &watched.snapshot());
        HealthAnswer {
            healthy: v.healthy,
            body: v.body.to_string(),
        }
    });
    let board = watched_board;
    let pages: fuse_metrics::Pages = Arc::new(move |path| board.as_ref()?.page(path));
    fuse_metrics::serve_with_pages(addr, handle, check, pages).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pulse(start: Instant, ok_at: Option<u64>, error: Option<&str>) -> Pulse {
        Pulse {
            since: start,
            last_ok: ok_at.map(|s| start + Duration::from_secs(s)),
            error: error.map(Into::into),
        }
    }

    #[test]
    fn health_is_lost_to_silence_or_a_halt_never_to_a_wait() {
        let t0 = Instant::now();
        let at = |s: u64| t0 + Duration::from_secs(s);
        let stall = Duration::from_secs(60);
        let fine = Snapshot {
            l1: Some(pulse(t0, Some(100), None)),
            follower: Some(pulse(t0, Some(100), None)),
            validator: Some((pulse(t0, Some(100), None), Health::Running)),
            stall,
        };
        let v = decide(at(150), &fine);
        assert!(v.healthy, "{:?}", v.problems);
        assert_eq!(v.body["healthy"], true);
        assert_eq!(v.body["checks"]["validator"]["health"]["state"], "running");
        assert!(decide(at(160), &fine).healthy, "at the limit");

        // A wait on a rule is the protocol at work: healthy, and said.
        let mut waiting = fine.clone();
        waiting.validator = Some((
            pulse(t0, Some(100), None),
            Health::Waiting {
                reason: "a family closed".into(),
                since: 7,
            },
        ));
        let v = decide(at(150), &waiting);
        assert!(v.healthy);
        assert_eq!(v.body["checks"]["validator"]["health"]["state"], "waiting");

        let mut halted = fine.clone();
        halted.validator = Some((
            pulse(t0, Some(100), None),
            Health::Halted {
                reason: "its stake was removed".into(),
            },
        ));
        let v = decide(at(150), &halted);
        assert!(!v.healthy);
        assert_eq!(
            v.problems,
            ["the validator is halted: its stake was removed"]
        );
        assert_eq!(v.body["checks"]["validator"]["ok"], false);

        // Past the limit, each silent part is named, with its last error.
        let v = decide(at(161), &fine);
        assert!(!v.healthy);
        assert_eq!(v.problems.len(), 3, "{:?}", v.problems);
        let mut down = fine.clone();
        down.l1 = Some(pulse(t0, Some(10), Some("connection refused")));
        down.follower = Some(pulse(t0, Some(10), Some("connection refused")));
        let v = decide(at(100), &down);
        assert_eq!(
            v.problems,
            [
                "the L1 has not answered for 90 s (the limit is 60 s); last error: connection \
                 refused",
                "the sequencer's follower has made no progress for 90 s (the limit is 60 s); \
                 last error: connection refused",
            ]
        );
        assert_eq!(v.body["checks"]["l1"]["lastError"], "connection refused");

        // A loop that never had a good round counts from its start; a part not run is not
        // looked at.
        let alone = Snapshot {
            l1: Some(pulse(t0, None, None)),
            follower: None,
            validator: Some((pulse(t0, Some(1), None), Health::Running)),
            stall,
        };
        assert!(decide(at(60), &alone).healthy);
        let v = decide(at(61), &alone);
        assert_eq!(
            v.problems,
            ["the L1 has not answered for 61 s since it started (the limit is 60 s)"]
        );
        assert!(v.body["checks"].get("follower").is_none());
    }

    #[test]
    fn the_stall_limit_is_thirty_rounds_and_at_least_a_minute() {
        assert_eq!(
            stall_limit(Duration::from_millis(500)),
            Duration::from_secs(60)
        );
        assert_eq!(
            stall_limit(Duration::from_secs(4)),
            Duration::from_secs(120)
        );
    }
}
