//! The `fuse-l2` binary's integration tests, one binary: the processes from the outside —
//! the devnet and its wallet commands, `fuse-l2 node` on anvil, crashes and restarts of the
//! node and of a validator, the devnet's story, the metrics and health an operator watches.

mod cli;
mod common;
mod crash;
mod metrics;
mod story;
mod validator_crash;
