//! fuse-node — the fuse-l2 node: everything that runs around the machine.
//!
//! Today it holds the command-line interface of the `fuse-l2` binary ([`cli`]) and the
//! commands that exist so far ([`commands`]). The sequencer, batch poster, L1 watcher,
//! validator, JSON-RPC, storage, devnet, bench and replay arrive with their issues; the binary
//! stays a thin shell over this library.

pub mod bench;
pub mod cli;
pub mod commands;
pub mod devnet;
pub mod env;
pub mod l1;
pub mod node;
pub mod replay;
pub mod rpc;
pub mod sequencer;
pub mod serve;
pub mod service;
pub mod store;
pub mod validator;
pub mod wallet;
