//! The benchmarks' progress: a bar over a benchmark's stages, drawn on stderr only when stderr
//! is a terminal (and not `TERM=dumb`). Piped or captured, a benchmark writes what it wrote
//! before it had a bar — its figures on stdout, its notes (`bench vm: …`) and logs on stderr —
//! and not one escape code more.
//!
//! The bar moves between stages, never inside a measured loop, so drawing it costs the
//! figures nothing but a redraw a few times a second on another thread. Notes and log lines
//! go above the bar ([`Progress::say`], [`stderr`]) so that a redraw never cuts through them.
//! The drawing itself is the binaries' shared `fuse_metrics::progress`.

use std::fmt::Display;
use std::sync::atomic::{AtomicU64, Ordering};

use fuse_metrics::progress::{ProgressBar, steps, suspend};

pub use fuse_metrics::progress::{on_terminal, stderr};

/// A benchmark's progress through `len` stages.
pub(crate) struct Progress {
    bench: &'static str,
    bar: ProgressBar,
    started: AtomicU64,
}

impl Progress {
    /// The progress of benchmark `bench` (its subcommand's name) through `len` stages.
    pub(crate) fn new(bench: &'static str, len: u64) -> Self {
        // Stages take from milliseconds to minutes: no rate and no time left, they would lie.
        Progress {
            bench,
            bar: steps(len, &format!("bench {bench}")),
            started: AtomicU64::new(0),
        }
    }

    /// Counts the stage under way as done and starts `what`.
    pub(crate) fn stage(&self, what: impl Display) {
        if self.started.fetch_add(1, Ordering::Relaxed) > 0 {
            self.bar.inc(1);
        }
        self.bar.set_message(what.to_string());
    }

    /// [`Progress::stage`], and the benchmark's note `bench NAME: WHAT…` on stderr, as the
    /// benchmarks have always written one.
    pub(crate) fn announce(&self, what: impl Display) {
        self.stage(&what);
        self.say(format_args!("{what}…"));
    }

    /// `bench NAME: LINE` on stderr, above the bar.
    pub(crate) fn say(&self, line: impl Display) {
        let bench = self.bench;
        suspend(|| eprintln!("bench {bench}: {line}"));
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        // Gone before the figures are printed, whether the benchmark ended well or not.
        self.bar.finish_and_clear();
    }
}
