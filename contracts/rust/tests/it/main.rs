//! fuse-contracts' integration tests, one binary.

mod common;
mod dispute;
mod guest_steps;
mod inbox_outbox;
mod machine_hashes;
mod osp;
mod osp_vectors;
mod rollup_dispute;
