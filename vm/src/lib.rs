//! fuse-vm — the one-step machine of fuse-l2.
//!
//! A deterministic WebAssembly (integer subset) machine that executes one instruction at a
//! time and yields a machine hash after every step, so two parties who disagree about a block
//! can bisect to one instruction and let the L1 one-step prover settle it.
//!
//! Main types (growing with the VM issue): [`GlobalState`], the rollup state a block reads and
//! writes, and the hash constructors in [`hash`] that the L1 contracts mirror
//! (`contracts/src/osp/Hashing.sol`).
//!
//! Specs: `docs/spec/machine-hash.md`.

pub mod global_state;
pub mod hash;
pub mod testing;

pub use global_state::GlobalState;
