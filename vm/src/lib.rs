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
pub mod global_state;
pub mod hash;
pub mod host;
pub mod inbox;
pub mod isa;
pub mod load;
pub mod machine;
pub mod merkle;
pub mod module;
pub mod prove;
pub mod snapshot;
pub mod spectest;
pub mod step;
pub mod testing;
pub mod twin;
pub mod verify;

pub use error::{HostError, LoadError, Trap};
pub use global_state::GlobalState;
pub use host::{Host, MemoryHost};
pub use load::{Imports, load, load_with};
pub use machine::{Machine, Status};
pub use module::Module;
pub use verify::{VerifyContext, VerifyError, verify};

/// Bytes in a wasm page.
pub const PAGE_SIZE: usize = 65536;
/// Memory-tree leaves (32 bytes each) in a page.
pub const LEAVES_PER_PAGE: u64 = (PAGE_SIZE / 32) as u64;
/// Most pages a memory may reach (wasm32's whole address space).
pub const MAX_MEMORY_PAGES: u32 = 65536;
/// Most elements a table may have.
pub const MAX_TABLE_SIZE: u32 = 1 << 20;
/// Most saved frames (call depth); one more call traps with `CallStackExhausted`.
pub const MAX_FRAMES: usize = 1 << 14;
/// Steps a block may take (DESIGN.md rule 2); level 2 of a challenge bisects exactly
/// `[0, MAX_STEPS]`.
pub const MAX_STEPS: u64 = 1 << 32;
