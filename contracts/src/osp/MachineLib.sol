// SPDX-License-Identifier: MIT
pragma solidity ^0.8.37;

import {Hashing} from "./Hashing.sol";
import {Decoder} from "./Decoder.sol";
import {BadStatus, StackUnderflow} from "./Errors.sol";
import {Machine, ValueStack} from "./Types.sol";
import {STATUS_FINISHED, STATUS_ERRORED} from "./Constants.sol";

/// @title ValueStackLib — the revealed top of a value stack (Rust `machine::ValueStack`).
/// @notice A proof reveals the values a step pops and the hash of the rest; pushing appends.
///         Popping more than was revealed is the proof's fault (`StackUnderflow()`).
library ValueStackLib {
    function pop(ValueStack memory s) internal pure returns (uint64 v) {
        if (s.len == 0) revert StackUnderflow();
        s.len -= 1;
        v = s.values[s.len];
    }

    function push(ValueStack memory s, uint64 v) internal pure {
        if (s.len == s.values.length) {
            // Memory arrays cannot grow: move to a larger one. A step pushes at most one value
            // beyond what it popped, so this is rare and small.
            uint64[] memory bigger = new uint64[](s.len + 2);
            for (uint256 i = 0; i < s.len; i++) {
                bigger[i] = s.values[i];
            }
            s.values = bigger;
        }
        s.values[s.len] = v;
        s.len += 1;
    }

    /// `rest` with the revealed values pushed onto it, deepest first.
    function hash(ValueStack memory s) internal pure returns (bytes32 h) {
        h = s.rest;
        for (uint256 i = 0; i < s.len; i++) {
            h = Hashing.valueStackPush(h, s.values[i]);
        }
    }
}

/// @title MachineLib — the machine header of a proof (Rust `machine::decode_machine`,
///        `hash_machine`).
/// @notice Layout in docs/spec/proof-format.md, "Header"; hashes in docs/spec/machine-hash.md.
library MachineLib {
    using ValueStackLib for ValueStack;

    /// Reads the header at the start of `proof`; returns it and the offset after it.
    function decodeMachine(bytes calldata proof)
        internal
        pure
        returns (Machine memory m, uint256 off)
    {
        (m.status, off) = Decoder.readU8(proof, 0);
        if (m.status > STATUS_ERRORED) revert BadStatus(m.status);
        (m.gs.stateRoot, off) = Decoder.readBytes32(proof, off);
        (m.gs.outboxRoot, off) = Decoder.readBytes32(proof, off);
        (m.gs.inboxPosition, off) = Decoder.readU64(proof, off);
        (m.gs.blockNumber, off) = Decoder.readU64(proof, off);
        if (m.status == STATUS_FINISHED) return (m, off);
        (m.pc, off) = Decoder.readU32(proof, off);
        uint16 count;
        (count, off) = Decoder.readU16(proof, off);
        (m.stack.rest, off) = Decoder.readBytes32(proof, off);
        m.stack.values = new uint64[](count);
        m.stack.len = count;
        for (uint256 i = 0; i < count; i++) {
            (m.stack.values[i], off) = Decoder.readU64(proof, off);
        }
        (m.locals, off) = Decoder.readBytes32(proof, off);
        (m.frames, off) = Decoder.readBytes32(proof, off);
        (m.codeRoot, off) = Decoder.readBytes32(proof, off);
        (m.tableRoot, off) = Decoder.readBytes32(proof, off);
        (m.codeDepth, off) = Decoder.readU8(proof, off);
        (m.globalsRoot, off) = Decoder.readBytes32(proof, off);
        (m.memoryRoot, off) = Decoder.readBytes32(proof, off);
        (m.memoryPages, off) = Decoder.readU32(proof, off);
    }

    /// The world hash of a running or errored machine: module state and global state.
    function worldHash(Machine memory m) internal pure returns (bytes32) {
        bytes32 moduleHash = Hashing.moduleHash(
            Hashing.staticHash(m.codeRoot, m.tableRoot, m.codeDepth),
            m.globalsRoot,
            m.memoryRoot,
            m.memoryPages
        );
        return Hashing.worldHash(moduleHash, Hashing.globalStateHash(m.gs));
    }

    /// The machine hash. A finished machine is its global state alone; running and errored
    /// machines hash their status byte (0 or 2) with everything else.
    function hashMachine(Machine memory m) internal pure returns (bytes32) {
        if (m.status == STATUS_FINISHED) {
            return Hashing.finishedMachineHash(Hashing.globalStateHash(m.gs));
        }
        return hashMachineWithWorld(m, worldHash(m));
    }

    /// `hashMachine` of a running or errored machine whose world hash is already known.
    function hashMachineWithWorld(Machine memory m, bytes32 world) internal pure returns (bytes32) {
        return Hashing.machineHash(m.status, m.pc, m.stack.hash(), m.locals, m.frames, world);
    }

    /// Whether two running machines share their world (module state and global state), so
    /// the entry can reuse a world hash instead of recomputing four keccaks.
    function sameWorld(Machine memory x, Machine memory y) internal pure returns (bool) {
        return x.gs.stateRoot == y.gs.stateRoot && x.gs.outboxRoot == y.gs.outboxRoot
            && x.gs.inboxPosition == y.gs.inboxPosition && x.gs.blockNumber == y.gs.blockNumber
            && x.codeRoot == y.codeRoot && x.tableRoot == y.tableRoot && x.codeDepth == y.codeDepth
            && x.globalsRoot == y.globalsRoot && x.memoryRoot == y.memoryRoot
            && x.memoryPages == y.memoryPages;
    }
}
