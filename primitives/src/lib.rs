//! fuse-primitives — the definitions every part of fuse-l2 shares, written once.
//!
//! - [`isa`]: the flat instruction set and its 32-byte code-tree leaf (docs/spec/isa.md);
//!   `contracts/src/osp/Opcodes.sol` is generated from it.
//! - [`tags`]: every domain tag and status byte of the machine hash; with [`limits`],
//!   `contracts/src/osp/Constants.sol` is generated from it.
//! - [`GlobalState`]: what survives a block, and its hash.
//! - [`limits`]: the numbers both sides of a proof must agree on.
//! - `testing` (feature `test-utils`): the `FUSE_TEST_SCALE` multiplier.
//!
//! It may depend on no other fuse-l2 crate: the machine (`fuse-vm`), the state transition
//! (`fuse-arbos`, also built into the wasm guest, hence `no_std`), the verifier
//! (`fuse-verifier`) and the node all depend on it, and on nothing of each other through it.
#![no_std]
#![forbid(unsafe_code)]

#[cfg(feature = "std")]
extern crate std;

pub mod global_state;
pub mod isa;
pub mod limits;
pub mod tags;
#[cfg(feature = "test-utils")]
pub mod testing;

pub use global_state::GlobalState;
pub use limits::*;
