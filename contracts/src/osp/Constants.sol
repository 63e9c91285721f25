// SPDX-License-Identifier: MIT
pragma solidity ^0.8.37;

// Generated from primitives/src/tags.rs, primitives/src/limits.rs and
// primitives/src/global_state.rs by fuse-verifier (verifier/src/solidity.rs); do not edit —
// run, from the repository root,
//     FUSE_WRITE_SOLIDITY=1 cargo test -p fuse-verifier --test it solidity
// to write it again (without the variable the same test checks that it is up to date;
// docs/spec/isa.md#adding-an-opcode).
//
// The domain tags and status bytes of the machine hash (docs/spec/machine-hash.md) and the
// inbox accumulator (docs/spec/inbox.md), the limits the Solidity code checks, and the
// global state's field counts: the values of the Rust constants of the same names, each
// typed as the Solidity code uses it.

// ---------------------------------------------------------------- domain tags

/// @dev A running or errored machine.
uint8 constant TAG_MACHINE = 0x01;
/// @dev A finished machine.
uint8 constant TAG_FINISHED = 0x02;
/// @dev The world hash (module hash and global-state hash).
uint8 constant TAG_WORLD = 0x03;
/// @dev A module hash.
uint8 constant TAG_MODULE = 0x04;
/// @dev A module's static part (code and table).
uint8 constant TAG_STATIC = 0x05;
/// @dev The global state.
uint8 constant TAG_GLOBAL_STATE = 0x06;
/// @dev One value pushed on the value-stack hash chain.
uint8 constant TAG_VALUE_STACK = 0x07;
/// @dev One frame pushed on the frame-stack hash chain.
uint8 constant TAG_FRAME = 0x08;
/// @dev The level-1 value of a block that cannot finish is `keccak256(TAG_STUCK)`.
uint8 constant TAG_STUCK = 0x09;
/// @dev A memory-tree inner node.
uint8 constant TAG_MEMORY = 0x10;
/// @dev A locals-tree inner node.
uint8 constant TAG_LOCALS = 0x11;
/// @dev A globals-tree inner node.
uint8 constant TAG_GLOBALS = 0x12;
/// @dev A code-tree inner node.
uint8 constant TAG_CODE = 0x13;
/// @dev A table-tree inner node.
uint8 constant TAG_TABLE = 0x14;
/// @dev An inbox message's data-tree inner node.
uint8 constant TAG_DATA = 0x15;
/// @dev One step of the inbox accumulator.
uint8 constant TAG_ACCUMULATOR = 0x20;

// ---------------------------------------------------------------- status bytes

/// @dev A running machine.
uint8 constant STATUS_RUNNING = 0;
/// @dev A finished machine (in a proof header; its hash is under `TAG_FINISHED`).
uint8 constant STATUS_FINISHED = 1;
/// @dev An errored machine.
uint8 constant STATUS_ERRORED = 2;

// ---------------------------------------------------------------- limits

/// @dev Most saved frames; a call that finds this many traps.
uint32 constant MAX_FRAMES = 16_384;
/// @dev Bytes in a wasm page.
uint256 constant PAGE_SIZE = 65_536;
/// @dev Most bytes of a preimage or a keccak input.
uint256 constant MAX_PREIMAGE = 256;
/// @dev Bytes of an inbox message's header; its data follows.
uint256 constant INBOX_HEADER_BYTES = 32;
/// @dev Steps a block may take; level 2 of a challenge bisects `[0, MAX_STEPS]`.
uint256 constant MAX_STEPS = 4_294_967_296;

// ---------------------------------------------------------------- global-state fields

/// @dev 32-byte fields, indices of `get_bytes32` and `set_bytes32`.
uint256 constant GLOBAL_STATE_BYTES32_FIELDS = 2;
/// @dev u64 fields, indices of `get_u64` and `set_u64`.
uint256 constant GLOBAL_STATE_U64_FIELDS = 2;
