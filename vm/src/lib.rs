//! fuse-vm — the one-step machine of fuse-l2.
//!
//! A deterministic WebAssembly (integer subset) machine that executes one instruction at a
//! time and yields a machine hash after every step, so two parties who disagree about a block
//! can bisect to one instruction and let the L1 one-step prover settle it.
//!
//! - [`load()`] turns wasm bytes into a [`Module`]: validated, checked against the subset,
//!   flattened to the [`isa`], committed by its module root.
//! - [`Machine`] holds the state, [`Machine::step`] / [`Machine::run`] execute, and
//!   [`Machine::hash`] yields the machine hash, incrementally.
//! - [`Host`] is the world outside: inbox messages and preimages.
//! - [`hash`] and [`commit`] are the hash constructors the L1 contracts mirror
//!   (`contracts/src/osp/`).
//!
//! Specs: `docs/spec/isa.md`, `docs/spec/machine-hash.md`, `docs/spec/guest-abi.md`.

pub mod cache;
pub mod commit;
pub mod error;
pub mod hash;
pub mod host;
pub mod inbox;
pub mod load;
pub mod machine;
pub mod merkle;
pub mod module;
pub mod prove;
pub mod snapshot;
#[cfg(feature = "test-utils")]
pub mod spectest;
pub mod step;
#[cfg(feature = "test-utils")]
pub mod testing;

pub use error::{HostError, LoadError, Trap};
pub use fuse_primitives::isa;
pub use fuse_primitives::{
    GlobalState, LEAVES_PER_PAGE, MAX_FRAMES, MAX_MEMORY_PAGES, MAX_STEPS, MAX_TABLE_SIZE,
    PAGE_SIZE,
};
pub use host::{Host, MemoryHost};
pub use load::{Imports, load, load_with};
pub use machine::{Machine, Status};
pub use module::Module;
