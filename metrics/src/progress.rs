//! Progress bars on a terminal, for the binaries (`fuse-l2`, `fuse-bench`; feature
//! `progress`): what a person watching a long command sees, as `/metrics` is what a scraper
//! sees of a long-running one.
//!
//! A bar is drawn on stderr only when stderr is a terminal (and not `TERM=dumb`): piped or
//! captured output — CI logs, `| tee`, a test's pipes — gets nothing from this module, no bar
//! and no escape code, and the commands print exactly what they print without it. Elsewhere
//! the bars are [`ProgressBar::hidden`], so a command drives them without asking.
//!
//! While a bar is on screen, whatever else the command writes to stdout or stderr has to lift
//! it out of the way first, or the bar's next redraw lands in the middle of the text: print
//! through [`suspend`] (or the bar's own `suspend`), never through `ProgressBar::println`,
//! which prints nothing at all when the bar is hidden. Log lines do this already
//! ([`stderr`] is the log writer). A bar dropped unfinished, on an error path, clears itself.

use std::future::Future;
use std::io::{IsTerminal as _, Write};
use std::sync::OnceLock;
use std::time::Duration;

pub use indicatif::ProgressBar;
use indicatif::{MultiProgress, ProgressDrawTarget, ProgressFinish, ProgressStyle};

/// Every visible bar is drawn through this one screen, so that a log line (from any thread)
/// can lift all of them at once; created with the first visible bar.
static SCREEN: OnceLock<MultiProgress> = OnceLock::new();

/// Work of a known size: rate and time left are worth showing.
const BAR: &str = "{spinner:.green} {prefix:.bold} [{elapsed_precise}] [{bar:20.cyan/blue}] {pos}/{len} \
     ({per_sec}, {eta} left) {wide_msg}";
/// Steps of unequal size (a file of 50 assertions beside one of 5,000): a rate would mislead.
const STEPS: &str = "{spinner:.green} {prefix:.bold} [{elapsed_precise}] [{bar:20.cyan/blue}] {pos}/{len} \
     {wide_msg}";
/// Work of unknown size.
const SPINNER: &str = "{spinner:.green} {prefix:.bold} [{elapsed_precise}] {wide_msg}";

/// How often a bar redraws on its own: the elapsed time moves while the work is silent.
const TICK: Duration = Duration::from_millis(120);

/// Whether bars are drawn: stderr is a terminal that understands cursor movement.
fn visible(stderr_is_terminal: bool, term: Option<&std::ffi::OsStr>) -> bool {
    stderr_is_terminal && term.is_none_or(|t| t != "dumb")
}

/// Whether bars are drawn here: stderr is a terminal that moves the cursor.
pub fn on_terminal() -> bool {
    visible(
        std::io::stderr().is_terminal(),
        std::env::var_os("TERM").as_deref(),
    )
}

fn start(pb: ProgressBar, template: &str, what: &str) -> ProgressBar {
    if !on_terminal() {
        return ProgressBar::hidden();
    }
    let style = ProgressStyle::with_template(template)
        .expect("the templates are valid")
        .progress_chars("=> ");
    let pb = pb
        .with_style(style)
        .with_prefix(what.to_string())
        .with_finish(ProgressFinish::AndClear);
    let pb = SCREEN
        .get_or_init(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr()))
        .add(pb);
    pb.enable_steady_tick(TICK);
    pb
}

/// A bar over `len` equal units of work labelled `what`: elapsed time, the bar, `pos/len`,
/// the rate and the time left, then the message (`set_message`: the unit at hand).
pub fn bar(len: u64, what: &str) -> ProgressBar {
    start(ProgressBar::new(len), BAR, what)
}

/// A bar over `len` steps of unequal size labelled `what` (files, scenarios, phases): as
/// [`bar`] without the rate and the time left, which would only be guesses.
pub fn steps(len: u64, what: &str) -> ProgressBar {
    start(ProgressBar::new(len), STEPS, what)
}

/// A spinner for work of unknown size labelled `what`: elapsed time and the message.
pub fn spinner(what: &str) -> ProgressBar {
    start(ProgressBar::new_spinner(), SPINNER, what)
}

/// Awaits `work` under a spinner labelled `what` saying `message`, cleared when it ends.
pub async fn spin<T>(what: &str, message: &str, work: impl Future<Output = T>) -> T {
    let s = spinner(what);
    s.set_message(message.to_string());
    let out = work.await;
    s.finish_and_clear();
    out
}

/// Runs `f` (which prints) with every bar lifted off the screen, then redraws them. `f` must
/// not log or start a bar: the screen stays locked while it runs.
pub fn suspend<R>(f: impl FnOnce() -> R) -> R {
    match SCREEN.get() {
        Some(screen) => screen.suspend(f),
        None => f(),
    }
}

/// The log writer: stderr, with the bars lifted for each line.
#[derive(Debug)]
pub struct Stderr;

/// The log writer (a `MakeWriter`).
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    #[test]
    fn bars_only_on_a_terminal_that_moves_the_cursor() {
        assert!(visible(true, Some(OsStr::new("xterm-256color"))));
        assert!(visible(true, None));
        assert!(!visible(true, Some(OsStr::new("dumb"))));
        assert!(!visible(false, Some(OsStr::new("xterm-256color"))));
        assert!(!visible(false, None));
    }

    #[test]
    fn the_templates_parse() {
        for t in [BAR, STEPS, SPINNER] {
            ProgressStyle::with_template(t).unwrap();
        }
    }

    #[test]
    fn a_hidden_bar_still_runs_what_it_suspends() {
        let b = ProgressBar::hidden();
        assert_eq!(b.suspend(|| 7), 7);
        assert_eq!(suspend(|| 8), 8);
    }
}
