//! fuse-arbos' integration tests, one binary.

mod common;
mod session;
mod stf;
mod tx;
