//! Every one-byte domain tag and status byte of the machine hash (docs/spec/machine-hash.md)
//! and the inbox accumulator (docs/spec/inbox.md), in one place: the machine, the verifier
//! and the Solidity prover hash with these and nothing else (`contracts/src/osp/Constants.sol`
//! is generated from this file). Every hashed structure starts with its tag, so no two kinds
//! of preimage can collide.

/// A running or errored machine.
pub const TAG_MACHINE: u8 = 0x01;
/// A finished machine.
pub const TAG_FINISHED: u8 = 0x02;
/// The world hash (module hash and global-state hash).
pub const TAG_WORLD: u8 = 0x03;
/// A module hash.
pub const TAG_MODULE: u8 = 0x04;
/// A module's static part (code and table).
pub const TAG_STATIC: u8 = 0x05;
/// The global state.
pub const TAG_GLOBAL_STATE: u8 = 0x06;
/// One value pushed on the value-stack hash chain.
pub const TAG_VALUE_STACK: u8 = 0x07;
/// One frame pushed on the frame-stack hash chain.
pub const TAG_FRAME: u8 = 0x08;
/// The level-1 value of a block that cannot finish (`keccak256(0x09)`).
pub const TAG_STUCK: u8 = 0x09;
/// A memory-tree inner node.
pub const TAG_MEMORY: u8 = 0x10;
/// A locals-tree inner node.
pub const TAG_LOCALS: u8 = 0x11;
/// A globals-tree inner node.
pub const TAG_GLOBALS: u8 = 0x12;
/// A code-tree inner node.
pub const TAG_CODE: u8 = 0x13;
/// A table-tree inner node.
pub const TAG_TABLE: u8 = 0x14;
/// An inbox message's data-tree inner node.
pub const TAG_DATA: u8 = 0x15;
/// One step of the inbox accumulator.
pub const TAG_ACCUMULATOR: u8 = 0x20;

/// Status byte of a running machine.
pub const STATUS_RUNNING: u8 = 0;
/// Status byte of a finished machine (only in a proof header: a finished machine hashes
/// under [`TAG_FINISHED`]).
pub const STATUS_FINISHED: u8 = 1;
/// Status byte of an errored machine.
pub const STATUS_ERRORED: u8 = 2;
