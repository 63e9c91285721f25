//! fuse-exec — the state transition run natively, as the node and the validator run it.
//!
//! - [`env`]: [`NodeEnv`](env::NodeEnv), the STF's host outside the guest: preimages in
//!   memory (and the ones the store must persist next), the inbox message being executed, and
//!   ecrecover behind a cache filled once at ingress.
//! - [`wallet`]: signing L2 transactions as a wallet does (the EIP-712 digest the STF checks).
//!
//! Layer: above the STF (`fuse-arbos`) and the machine's host functions (`fuse-vm`); below
//! the sequencer, the validator and the tools. It may not depend on the L1, the sequencer or
//! the validator: both sides of a dispute execute with it, and neither may reach the other
//! through it.
#![forbid(unsafe_code)]

pub mod env;
pub mod wallet;

/// A preimage as the store persists it: `(keccak256(bytes), bytes)`.
pub type Preimage = ([u8; 32], Vec<u8>);
