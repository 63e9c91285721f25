//! fuse-devnet — the devnet and the test kit: everything that plays the whole rollup in one
//! process for a user trying it, a test, a benchmark or a recorded dispute.
//!
//! - [`devnet`]: a whole rollup in one process — the embedded L1 with the contracts and its
//!   Ethereum endpoint, a node over it, funded dev accounts (`fuse-l2 devnet`).
//! - [`arena`]: validators played against each other in lockstep on one L1.
//! - [`attacks`]: attacker strategies (many funded addresses, front-running) against the
//!   real honest validator.
//! - [`replay`]: dispute vectors — recording a challenge from a named scenario, and
//!   replaying a vector against freshly deployed contracts (`fuse-l2 replay`).
//!
//! Layer: above the node, the validator and the sequencer. It may not depend on the
//! benchmarks or the binary.
#![forbid(unsafe_code)]

pub mod arena;
pub mod attacks;
pub mod devnet;
pub mod replay;
