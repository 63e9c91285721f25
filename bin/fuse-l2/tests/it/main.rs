//! The `fuse-l2` binary's integration tests, one binary: the processes from the outside —
//! the devnet and its wallet commands, `fuse-l2 node` on anvil, crashes and restarts of the
//! node and of a validator, the devnet's story, the metrics and health an operator watches,
//! an operator's day on a faulty, reorging, fee-spiking L1 against a liar, piped output free
//! of progress bars, the step debugger, and the dispute viewer in headless Chromium.

mod cli;
mod common;
mod crash;
mod metrics;
mod operators;
mod progress;
mod story;
mod trace;
mod validator_crash;
mod viewer;
