//! One module per `fuse-l2` subcommand.

pub mod hashes;
pub mod wast;
