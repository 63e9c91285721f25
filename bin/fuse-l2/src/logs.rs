//! Where and how `fuse-l2` logs: on stderr, filtered by `RUST_LOG` (default `info`), as
//! text for a person or, with `--log-format json` (`FUSE_LOG_FORMAT=json`), one JSON object
//! per line for a log collector (docs/guides/operator.md, "Watch it"). Colours only on a
//! terminal; lines are written above any progress bar on screen ([`crate::progress`]).

use std::io::IsTerminal as _;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

/// How log lines are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum LogFormat {
    /// Text, one event a line, for a person.
    #[default]
    Text,
    /// One JSON object a line (`timestamp`, `level`, `target`, `fields` with `message`,
    /// and the spans), for a log collector.
    Json,
}

/// The subscriber writing `format` to `writer`, keeping what `filter` lets through; text in
/// colour if `ansi`.
pub(crate) fn subscriber<W>(
    format: LogFormat,
    filter: EnvFilter,
    writer: W,
    ansi: bool,
) -> Box<dyn tracing::Subscriber + Send + Sync>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let fmt = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    match format {
        LogFormat::Text => Box::new(fmt.with_ansi(ansi).finish()),
        // No colours and no ANSI escapes: a collector takes the line as it is.
        LogFormat::Json => Box::new(fmt.json().with_ansi(false).finish()),
    }
}

/// Sends this process's logs to stderr in `format`.
pub(crate) fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    // Colour escapes are noise in a file or a CI log; NO_COLOR (no-color.org) turns them off
    // on a terminal too.
    let ansi = std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let writer = crate::progress::stderr;
    // A second init (tests) keeps the first.
    let _ = tracing::subscriber::set_global_default(subscriber(format, filter, writer, ansi));
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// A writer into a shared buffer.
    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Buffer {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'w> MakeWriter<'w> for Buffer {
        type Writer = Buffer;
        fn make_writer(&'w self) -> Buffer {
            self.clone()
        }
    }

    #[test]
    fn json_logs_are_one_json_object_per_line() {
        let out = Buffer::default();
        tracing::subscriber::with_default(
            subscriber(LogFormat::Json, "info".into(), out.clone(), true),
            || {
                let span = tracing::info_span!("validator", name = "liar");
                let _in = span.enter();
                tracing::info!(challenge = 3, "moved\non \"level 2\"");
                tracing::warn!(error = %"connection refused\r\n", "following L1 (will retry)");
                tracing::debug!("below the default filter");
            },
        );
        let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        let events: Vec<serde_json::Value> = lines
            .iter()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect();
        assert_eq!(events[0]["level"], "INFO");
        assert_eq!(events[0]["fields"]["message"], "moved\non \"level 2\"");
        assert_eq!(events[0]["fields"]["challenge"], 3);
        assert_eq!(events[0]["span"]["name"], "validator");
        assert_eq!(events[1]["level"], "WARN");
        assert_eq!(events[1]["fields"]["error"], "connection refused\r\n");
        assert!(events.iter().all(|e| e["timestamp"].is_string()));
    }

    #[test]
    fn text_logs_stay_text() {
        let out = Buffer::default();
        tracing::subscriber::with_default(
            subscriber(LogFormat::Text, "info".into(), out.clone(), false),
            || {
                tracing::info!(challenge = 3, "moved");
            },
        );
        let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        assert!(
            text.contains("moved") && text.contains("challenge=3"),
            "{text}"
        );
        assert!(!text.contains('\x1b'), "colour off the terminal: {text:?}");
        assert!(serde_json::from_str::<serde_json::Value>(text.trim()).is_err());
    }
}
