//! fuse-node — the fuse-l2 node: everything that runs around the machine (docs/node.md).
//!
//! - [`l1`]: the L1 behind one trait — the embedded revm chain, an Ethereum JSON-RPC
//!   client, the devnet's Ethereum endpoint — and the rollup's contracts over it.
//! - [`store`] and [`env`](mod@env): the node's redb store and the STF's host (preimages, ecrecover).
//! - [`sequencer`]: ingress on the soft state, group commit, batches, the canonical chain
//!   from L1, statuses from the chain's receipts; [`service`] runs its loops.
//! - [`rpc`] (the L2 API) and [`serve`] (the HTTP front both servers run behind).
//! - [`validator`]: asserts, confirms, challenges and defends.
//! - [`node`], [`devnet`]: the processes; [`cli`], [`commands`], [`wallet`]: the binary's
//!   commands; [`replay`]: dispute vectors; [`bench`](mod@bench): benchmarks.
//!
//! The binary (`src/main.rs`) stays a thin shell over this library.
#![forbid(unsafe_code)]

pub mod bench;
pub mod cli;
pub mod commands;
pub mod devnet;
pub mod env;
pub mod node;
pub mod replay;
pub mod rpc;
pub mod sequencer;
pub mod service;
pub mod store;
pub mod validator;
pub mod wallet;
