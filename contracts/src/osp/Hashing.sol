// SPDX-License-Identifier: MIT
pragma solidity ^0.8.37;

import {
    TAG_MACHINE,
    TAG_FINISHED,
    TAG_WORLD,
    TAG_MODULE,
    TAG_STATIC,
    TAG_GLOBAL_STATE,
    TAG_VALUE_STACK,
    TAG_FRAME,
    STATUS_RUNNING
} from "./Constants.sol";

/// @title Hashing — hash constructors of the machine hash (docs/spec/machine-hash.md).
/// @notice Mirrors `fuse_verifier::hashing` (verifier/src/hashing.rs) and the machine's
///         `fuse_vm::hash` function for function. Every hashed structure starts with a one-byte
///         domain tag, so a preimage of one kind can never be read as another; the tags are
///         Constants.sol's, generated from primitives/src/tags.rs.
library Hashing {
    /// The level-1 value of every point at or after a block that cannot finish (errored, or
    /// still running after `MAX_STEPS`): `keccak256(TAG_STUCK)`. One tagged byte, so no global
    /// state (81 bytes under `TAG_GLOBAL_STATE`) hashes to it; absorbing in the game
    /// (docs/spec/protocol.md, "A block that cannot finish"). Written out, so no call
    /// recomputes it (MachineHashes.t.sol checks the preimage).
    bytes32 internal constant STUCK =
        0xb2e7b7a21d986ae84d62a7de4a916f006c4e42a596358b93bad65492d174c4ff;

    /// The hash of an empty stack, an empty frame stack and an empty locals tree.
    bytes32 internal constant EMPTY = bytes32(0);

    /// The rollup's global state: what a block reads and writes besides its own memory.
    struct GlobalState {
        bytes32 stateRoot;
        bytes32 outboxRoot;
        uint64 inboxPosition;
        uint64 blockNumber;
    }

    function globalStateHash(GlobalState memory gs) internal pure returns (bytes32) {
        return keccak256(
            abi.encodePacked(
                TAG_GLOBAL_STATE, gs.stateRoot, gs.outboxRoot, gs.inboxPosition, gs.blockNumber
            )
        );
    }

    function worldHash(bytes32 moduleHash_, bytes32 gsHash) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(TAG_WORLD, moduleHash_, gsHash));
    }

    /// The hash of a machine that is running or errored (134 bytes: one keccak permutation).
    function machineHash(
        uint8 status,
        uint32 pc,
        bytes32 valueStack,
        bytes32 locals,
        bytes32 frames,
        bytes32 world
    ) internal pure returns (bytes32) {
        return keccak256(
            abi.encodePacked(TAG_MACHINE, status, pc, valueStack, locals, frames, world)
        );
    }

    /// A finished machine is its global state alone (docs/design.md#rule-1).
    function finishedMachineHash(bytes32 gsHash) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(TAG_FINISHED, gsHash));
    }

    /// The machine at the synthetic entry (pc 0) of a module, about to run one block.
    function initialMachineHash(bytes32 moduleRoot, bytes32 gsHash)
        internal
        pure
        returns (bytes32)
    {
        return machineHash(STATUS_RUNNING, 0, EMPTY, EMPTY, EMPTY, worldHash(moduleRoot, gsHash));
    }

    /// Pushing `v` onto a value stack whose hash is `prev` (Rust `cache::value_stack_push`).
    function valueStackPush(bytes32 prev, uint64 v) internal pure returns (bytes32 h) {
        // Every step hashes the revealed values twice (pre- and post-state), so this packs the
        // 41 bytes in scratch memory past the free pointer instead of allocating each time.
        assembly ("memory-safe") {
            let p := mload(0x40)
            mstore(p, shl(248, TAG_VALUE_STACK))
            mstore(add(p, 1), prev)
            mstore(add(p, 33), shl(192, v))
            h := keccak256(p, 41)
        }
    }

    /// Saving a frame onto the frame chain `prev`; `depth` counts the saved frames including
    /// this one (Rust `cache::frame_push`).
    function framePush(
        bytes32 prev,
        uint32 depth,
        uint32 returnPc,
        bytes32 valueStack,
        bytes32 localsRoot
    ) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(TAG_FRAME, prev, depth, returnPc, valueStack, localsRoot));
    }

    /// The part of the module that never changes: code and table (Rust `commit::static_hash`).
    function staticHash(bytes32 codeRoot, bytes32 tableRoot, uint8 codeDepth)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(abi.encodePacked(TAG_STATIC, codeRoot, tableRoot, codeDepth));
    }

    /// The module's state: static part, globals, memory and its size (Rust
    /// `commit::module_hash`).
    function moduleHash(bytes32 staticHash_, bytes32 globalsRoot, bytes32 memoryRoot, uint32 pages)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(abi.encodePacked(TAG_MODULE, staticHash_, globalsRoot, memoryRoot, pages));
    }
}
