//! fuse-arbos — the L2 state transition function of fuse-l2 (an ArbOS subset), `no_std`.
//!
//! Given the rollup global state and one inbox message, it produces the next global state:
//! deposits, EIP-712-signed transfers and withdrawals, compressed batches, forced txs and
//! ticks. The same source compiles natively (the sequencer) and to `wasm32v1-none` (the guest
//! the one-step machine runs). Its messages, state tree and outbox are specified in
//! `docs/spec/`. The state transition is built by the ArbOS issue; this crate is its home and
//! holds nothing else yet.
#![no_std]
