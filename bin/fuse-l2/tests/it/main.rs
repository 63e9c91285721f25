//! The `fuse-l2` binary's integration tests, one binary: the processes from the outside —
//! the devnet and its wallet commands, `fuse-l2 node` on anvil, crashes and restarts of the
//! node and of a validator, the devnet's story, the metrics and health an operator watches, and an operator's
//! day on a faulty, reorging, fee-spiking L1 against a liar.

mod cli;
mod common;
mod crash;
mod metrics;
mod operators;
mod story;
mod validator_crash;
