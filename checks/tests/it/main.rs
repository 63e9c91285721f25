//! fuse-checks' tests, one binary.

mod arrows;
mod docs;
