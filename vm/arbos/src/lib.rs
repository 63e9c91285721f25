//! fuse-arbos — the L2 state transition function of fuse-l2 (an ArbOS subset), `no_std`.
//!
//! Given the rollup global state and one inbox message, it produces the next global state:
//! deposits, EIP-712-signed transfers and withdrawals, compressed batches, forced txs and
//! ticks. The same source compiles natively (the sequencer) and to `wasm32v1-none` (the guest
//! the one-step machine runs). Its messages, state tree and outbox are specified in
//! `docs/spec/`.
//!
//! Built so far: [`env::Env`] (what the STF asks of its host), [`trie`] (the compact binary
//! Merkle trie of accounts), [`append_tree`] (the append-only tree of the outbox and the
//! forced-transaction queue) and [`tx`] (signed transactions, their EIP-712 digest, sender and
//! id); the messages, batches and the block function follow.
#![no_std]

extern crate alloc;

pub mod append_tree;
pub mod env;
pub mod testing;
pub mod trie;
pub mod tx;
