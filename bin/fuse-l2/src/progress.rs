//! Progress bars for the commands that take more than a moment (`replay`, `trace`, `vectors`,
//! `wast`, `guest build`, the devnet's start, the node's deploy, the wallet's waits): the
//! shared module of the binaries, `fuse_metrics::progress`, which says when a bar is drawn
//! (on a terminal only) and how to print around one.

pub(crate) use fuse_metrics::progress::{ProgressBar, bar, spin, spinner, stderr, steps};
