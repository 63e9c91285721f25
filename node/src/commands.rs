//! One module per `fuse-l2` subcommand.

pub mod devnet;
pub mod guest;
pub mod hashes;
pub mod node;
pub mod replay;
pub mod validator;
pub mod vectors;
pub mod wallet;
pub mod wast;
