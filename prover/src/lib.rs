//! fuse-prover — the dispute logic of fuse-l2.
//!
//! Traces and checkpoints of block executions, history commitments, the k-ary bisection
//! strategy of both challenge levels, one-step proof assembly, and the dispute test vectors
//! (write and replay). It drives [`fuse_vm`]; the node runs it as validator duties. Built by
//! the validator issue; this crate is its home and holds nothing else yet.

pub use fuse_vm;
