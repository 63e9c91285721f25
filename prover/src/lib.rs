//! fuse-prover — the dispute logic of fuse-l2.
//!
//! It drives [`fuse_vm`]; the node runs it as validator duties, the contract tests and the
//! benchmarks play it against the L1 contracts.
//! - [`block`]: one block in the stepping machine and in the wasmtime twin, over a chain's
//!   inputs.
//! - [`checkpoints`]: a block's trace with machine snapshots, so the hash or the proof at any
//!   step is cheap.
//! - [`dispute`]: segments, a party's claims (honest or lying), the challenge as a party
//!   follows it, and the move to make on a turn.
//! - [`guest`], [`names`]: the committed guest module, its reproducible build, and its
//!   function names.
//! - [`osp_vectors`]: the one-step proof test vectors.
//! - [`scenario`]: a chain's inbox messages built in process (signed transfers, deposits,
//!   batches), for dispute tests, vectors and benchmarks.
#![forbid(unsafe_code)]

pub mod block;
pub mod checkpoints;
pub mod dispute;
pub mod guest;
pub mod names;
pub mod osp_vectors;
pub mod scenario;

pub use fuse_vm;
