//! One module per `fuse-l2` subcommand.

pub(crate) mod bench;
pub(crate) mod devnet;
pub(crate) mod fees;
pub(crate) mod guest;
pub(crate) mod hashes;
pub(crate) mod keys;
pub(crate) mod node;
pub(crate) mod replay;
pub(crate) mod trace;
pub(crate) mod validator;
pub(crate) mod vectors;
pub(crate) mod wallet;
pub(crate) mod wast;
