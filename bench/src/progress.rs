//! The benchmarks' progress: a bar over a benchmark's stages, drawn on stderr only when stderr
//! is a terminal (and not `TERM=dumb`). Piped or captured, a benchmark writes what it wrote
//! before it had a bar — its figures on stdout, its notes (`bench vm: …`) and logs on stderr —
//! and not one escape code more.
//!
//! The bar moves between stages, never inside a measured loop, so drawing it costs the
//! figures nothing but a redraw a few times a second on another thread. Notes and log lines
//! go above the bar ([`Progress::say`], [`stderr`]) so that a redraw never cuts through them.

use std::fmt::Display;
use std::io::{IsTerminal as _, Write};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressFinish, ProgressStyle};

/// The screen the bars are drawn through, so that a log line from any thread can lift them.
static SCREEN: OnceLock<MultiProgress> = OnceLock::new();

/// Stages take from milliseconds to minutes, so no rate and no time left: they would lie.
const TEMPLATE: &str = "{spinner:.green} {prefix:.bold} [{elapsed_precise}] \
                        [{bar:20.cyan/blue}] {pos}/{len} {wide_msg}";

/// Whether stderr is a terminal the bar can be drawn on.
pub fn on_terminal() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
}

/// Runs `f` (which prints, and must not log) with the bar lifted off the screen.
fn suspend<R>(f: impl FnOnce() -> R) -> R {
    match SCREEN.get() {
        Some(screen) => screen.suspend(f),
        None => f(),
    }
}

/// A benchmark's progress through `len` stages.
pub(crate) struct Progress {
    bench: &'static str,
    bar: ProgressBar,
    started: AtomicU64,
}

impl Progress {
    /// The progress of benchmark `bench` (its subcommand's name) through `len` stages.
    pub(crate) fn new(bench: &'static str, len: u64) -> Self {
        let bar = if on_terminal() {
            let style = ProgressStyle::with_template(TEMPLATE)
                .expect("the template is valid")
                .progress_chars("=> ");
            let bar = ProgressBar::new(len)
                .with_style(style)
                .with_prefix(format!("bench {bench}"))
                .with_finish(ProgressFinish::AndClear);
            let bar = SCREEN
                .get_or_init(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr()))
                .add(bar);
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        } else {
            ProgressBar::hidden()
        };
        Progress {
            bench,
            bar,
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

/// The log writer: stderr, with the bar lifted for each line.
#[derive(Debug)]
pub struct Stderr;

/// The log writer (a tracing-subscriber `MakeWriter`).
pub fn stderr() -> Stderr {
    Stderr
}

impl Write for Stderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        // Whole, so that a line is never split around a redraw.
        suspend(|| std::io::stderr().write_all(buf)).map(|()| buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}
