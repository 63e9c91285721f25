//! fuse-prover's integration tests, one binary.

mod checkpoints;
#[path = "../../../vm/arbos/tests/it/common.rs"]
mod common;
mod guest_build;
mod guest_wallet;
mod osp_vectors;
mod three_way;
