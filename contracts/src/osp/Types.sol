// SPDX-License-Identifier: MIT
pragma solidity ^0.8.37;

import {Hashing} from "./Hashing.sol";
import {IOneStepInbox} from "./IOneStepInbox.sol";

// The decoded forms the one-step prover and its modules pass between them
// (docs/spec/proof-format.md). They mirror the Rust verifier's types field for field.

/// The L1 environment a step may consult.
struct ExecutionContext {
    IOneStepInbox inbox;
}

/// A decoded code-tree leaf: `op (u16) ‖ depth ‖ 00 ‖ a (u32) ‖ b (u64) ‖ 16 zero bytes`.
struct Instruction {
    uint16 op;
    uint8 depth;
    uint32 a;
    uint64 b;
}

/// The revealed top of the current frame's value stack: `values[0 .. len]`, deepest first,
/// pushed onto `rest`. `values.length` may exceed `len` (spare room for pushes), so only
/// `len` counts.
struct ValueStack {
    bytes32 rest;
    uint64[] values;
    uint256 len;
}

/// A machine header. `status` is the proof's status byte (`STATUS_*` in Constants.sol);
/// a finished machine carries only `gs`, every other field is zero.
struct Machine {
    uint8 status;
    Hashing.GlobalState gs;
    uint32 pc;
    ValueStack stack;
    bytes32 locals;
    bytes32 frames;
    bytes32 codeRoot;
    bytes32 tableRoot;
    uint8 codeDepth;
    bytes32 globalsRoot;
    bytes32 memoryRoot;
    uint32 memoryPages;
}

/// A saved caller frame, as the frame witness reveals it.
struct Frame {
    bytes32 prev;
    uint32 depth;
    uint32 returnPc;
    bytes32 valueStack;
    bytes32 locals;
}
