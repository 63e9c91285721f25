//! fuse-arbos — the L2 state transition function of fuse-l2 (an ArbOS subset), `no_std`.
//!
//! Given the rollup global state and one inbox message, it produces the next global state:
//! deposits, EIP-712-signed transfers and withdrawals, compressed batches, forced txs and
//! ticks. The same source compiles natively (the sequencer) and to `wasm32v1-none` (the guest
//! the one-step machine runs). Its messages, state tree and outbox are specified in
//! `docs/spec/`.
//!
//! - [`stf::execute_block`]: one message, one block; [`stf::GlobalState`] in and out.
//! - [`env::Env`]: what the STF asks of its host (the guest's host calls, or the node).
//! - [`message`], [`tx`], [`batch`]: the inbox formats, signed transactions with their
//!   EIP-712 digest, compressed batches.
//! - [`state`], [`trie`], [`append_tree`]: the state root, the account trie, the outbox and
//!   the forced-transaction queue.
//!
//! The guest is `vm/arbos/guest` (this crate behind the machine's host calls); the three-way
//! agreement suite (native = wasmtime twin = stepping machine) is `prover/tests/it/three_way/`,
//! the figures are `fuse-l2 bench stf` (docs/benchmarks.md).
#![no_std]

extern crate alloc;

pub mod append_tree;
pub mod batch;
pub mod env;
pub mod message;
pub mod state;
pub mod stf;
pub mod testing;
pub mod trie;
pub mod tx;
