//! One module per `fuse-l2` subcommand.

pub mod guest;
pub mod hashes;
pub mod vectors;
pub mod wast;
