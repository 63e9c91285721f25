//! fuse-node's integration tests, one binary.

mod cli;
mod common;
mod crash;
mod dispute_vectors;
mod disputes;
mod eth_rpc;
mod finality;
mod l1_backends;
mod rpc;
mod story;
mod stuck;
mod validator_crash;
