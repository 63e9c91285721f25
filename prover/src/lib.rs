//! fuse-prover — the dispute logic of fuse-l2.
//!
//! Traces and checkpoints of block executions, history commitments, the k-ary bisection
//! strategy of both challenge levels, one-step proof assembly, and the dispute test vectors
//! (write and replay). It drives [`fuse_vm`]; the node runs it as validator duties. Built by
//! the validator issue; so far it holds the one-step proof vectors ([`osp_vectors`]).

pub mod block;
pub mod guest;
pub mod osp_vectors;

pub use fuse_vm;
