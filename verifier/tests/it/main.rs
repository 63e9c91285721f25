//! The integration tests of fuse-verifier, in one test binary (`--test it`).

mod solidity;
