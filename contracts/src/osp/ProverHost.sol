// SPDX-License-Identifier: MIT
pragma solidity ^0.8.37;

import {Decoder} from "./Decoder.sol";
import {MerkleLib} from "./MerkleLib.sol";
import {MemoryLib} from "./MemoryLib.sol";
import {ValueStackLib} from "./MachineLib.sol";
import {InboxAccumulator} from "./InboxAccumulator.sol";
import {BadMerkleProof, BadPreimage, InboxMessageMissing, UnknownOpcode} from "./Errors.sol";
import {ExecutionContext, Instruction, Machine, ValueStack} from "./Types.sol";
import {
    TAG_ACCUMULATOR,
    TAG_DATA,
    STATUS_FINISHED,
    STATUS_ERRORED,
    PAGE_SIZE,
    MAX_PREIMAGE,
    INBOX_HEADER_BYTES,
    GLOBAL_STATE_BYTES32_FIELDS,
    GLOBAL_STATE_U64_FIELDS
} from "./Constants.sol";
// Opcodes are compared constant first (`I32_ADD == op`): solc then emits the same code as for
// the literal opcode numbers this replaced (Opcodes.sol says why).
import {
    READ_INBOX,
    READ_PREIMAGE,
    KECCAK256,
    ECRECOVER,
    GET_BYTES32,
    SET_BYTES32,
    GET_U64,
    SET_U64,
    HALT
} from "./Opcodes.sol";

// Truncating casts are the semantics here (i32 values are the low 32 bits of a slot, fields
// are bit slices of a word), so the lint that flags them is off for this item.
// forge-lint: disable-next-item(unsafe-typecast)
/// @title ProverHost — one-step proofs of host I/O (`CLASS_HOST`, Opcodes.sol).
/// @notice Inbox reads (against the L1 inbox accumulator), preimage reads (against their
///         hash), the keccak256 and ecrecover precompiles (computed by the EVM itself), the
///         global state and halt (docs/spec/guest-abi.md, docs/spec/proof-format.md "Host
///         opcodes"; Rust `fuse_verifier::host`). Arguments are popped last first; the checks run in
///         the spec's order and the first that fails traps before anything more is read.
contract ProverHost {
    using ValueStackLib for ValueStack;

    function executeOneStep(
        ExecutionContext calldata ctx,
        Machine calldata startMach,
        Instruction calldata inst,
        bytes calldata witness
    ) external view returns (Machine memory mach, uint256 consumed) {
        mach = startMach;
        uint16 op = inst.op;
        uint8 depth = inst.depth;
        unchecked {
            mach.pc = startMach.pc + 1;
        }
        if (READ_INBOX == op) consumed = executeReadInbox(ctx, mach, depth, witness);
        else if (READ_PREIMAGE == op) consumed = executeReadPreimage(mach, depth, witness);
        else if (KECCAK256 == op) consumed = executeKeccak256(mach, depth, witness);
        else if (ECRECOVER == op) consumed = executeEcrecover(mach, depth, witness);
        else if (GET_BYTES32 == op) consumed = executeGetBytes32(mach, depth, witness);
        else if (SET_BYTES32 == op) consumed = executeSetBytes32(mach, depth, witness);
        else if (GET_U64 == op) executeGetU64(mach);
        else if (SET_U64 == op) executeSetU64(mach);
        else if (HALT == op) executeHalt(mach);
        else revert UnknownOpcode(op);
    }

    /// Whether `n` bytes at `p` (as u32) are 32-byte aligned and inside memory.
    function span(Machine memory mach, uint64 p, uint256 n) internal pure returns (bool) {
        uint256 at = uint32(p);
        return at % 32 == 0 && at + n <= uint256(mach.memoryPages) * PAGE_SIZE;
    }

    /// Marks a trap; returns the witness bytes read before it.
    function _trap(Machine memory mach, uint256 off) private pure returns (uint256) {
        mach.status = STATUS_ERRORED;
        return off;
    }

    function executeReadInbox(
        ExecutionContext calldata ctx,
        Machine memory mach,
        uint8 depth,
        bytes calldata w
    ) internal view returns (uint256 off) {
        uint64 dest = mach.stack.pop();
        uint256 offset = uint32(mach.stack.pop());
        if (offset % 32 != 0 || !span(mach, dest, 32)) return _trap(mach, 0);
        bytes32 chunk;
        uint256 n;
        (chunk, n, off) = _inboxChunk(ctx, mach.gs.inboxPosition, offset, w);
        (mach.memoryRoot, off) =
            MemoryLib.writeWord(w, off, mach.memoryRoot, depth, uint32(dest), chunk);
        mach.stack.push(uint64(n));
    }

    /// Reads the inbox witness of the message at `position`, checks it against the L1
    /// accumulator, and returns the 32-byte chunk at `offset` and how many bytes are real.
    function _inboxChunk(
        ExecutionContext calldata ctx,
        uint64 position,
        uint256 offset,
        bytes calldata w
    ) private view returns (bytes32 chunk, uint256 n, uint256 off) {
        bytes32 prev;
        uint64 length;
        bytes32 header;
        bytes32 dataRoot;
        (prev, off) = Decoder.readBytes32(w, 0);
        (length, off) = Decoder.readU64(w, off);
        (header, off) = Decoder.readBytes32(w, off);
        (dataRoot, off) = Decoder.readBytes32(w, off);
        if (position >= ctx.inbox.messageCount()) revert InboxMessageMissing(position);
        if (
            InboxAccumulator.accumulate(prev, length, header, dataRoot)
                != ctx.inbox.accumulator(position)
        ) {
            revert BadMerkleProof(TAG_ACCUMULATOR);
        }
        // Past the end the chunk is zeros (even at offset 0 of an empty message).
        if (offset >= length) return (bytes32(0), 0, off);
        n = length - offset < 32 ? length - offset : 32;
        if (offset == 0) return (header, n, off);
        (chunk,, off) = MerkleLib.proveLeaf(
            TAG_DATA,
            dataRoot,
            (offset - INBOX_HEADER_BYTES) / 32,
            InboxAccumulator.dataDepth(length),
            w,
            off
        );
    }

    function executeReadPreimage(Machine memory mach, uint8 depth, bytes calldata w)
        internal
        pure
        returns (uint256 off)
    {
        uint64 dest = mach.stack.pop();
        uint256 offset = uint32(mach.stack.pop());
        uint64 hashPtr = mach.stack.pop();
        if (offset % 32 != 0 || !span(mach, hashPtr, 32) || !span(mach, dest, 32)) {
            return _trap(mach, 0);
        }
        bytes32 hash;
        (hash,, off) = MemoryLib.proveLeaf(w, 0, mach.memoryRoot, depth, uint32(hashPtr) / 32);
        bytes32 chunk;
        uint256 n;
        (chunk, n, off) = _preimageChunk(w, off, hash, offset);
        (mach.memoryRoot, off) =
            MemoryLib.writeWord(w, off, mach.memoryRoot, depth, uint32(dest), chunk);
        mach.stack.push(uint64(n));
    }

    /// Reads the preimage witness `len (u16) ‖ bytes`, checks it against `hash`, and returns
    /// the 32-byte chunk at `offset` and how many bytes are real.
    function _preimageChunk(bytes calldata w, uint256 off, bytes32 hash, uint256 offset)
        private
        pure
        returns (bytes32 chunk, uint256 n, uint256 next)
    {
        uint16 len;
        (len, off) = Decoder.readU16(w, off);
        if (len > MAX_PREIMAGE) revert BadPreimage();
        bytes calldata preimage;
        (preimage, next) = Decoder.readBytes(w, off, len);
        if (keccak256(preimage) != hash) revert BadPreimage();
        if (offset >= len) return (bytes32(0), 0, next);
        n = len - offset < 32 ? len - offset : 32;
        assembly ("memory-safe") {
            chunk := calldataload(add(preimage.offset, offset))
        }
        // calldataload read on past the preimage: keep its n real bytes.
        chunk &= bytes32(~(type(uint256).max >> (8 * n)));
    }

    function executeKeccak256(Machine memory mach, uint8 depth, bytes calldata w)
        internal
        pure
        returns (uint256 off)
    {
        uint64 dest = mach.stack.pop();
        uint256 len = uint32(mach.stack.pop());
        uint64 src = mach.stack.pop();
        if (len > MAX_PREIMAGE || !span(mach, src, len) || !span(mach, dest, 32)) {
            return _trap(mach, 0);
        }
        bytes memory data;
        (data, off) = MemoryLib.readBytes(w, 0, mach.memoryRoot, depth, uint32(src), len);
        (mach.memoryRoot, off) =
            MemoryLib.writeWord(w, off, mach.memoryRoot, depth, uint32(dest), keccak256(data));
    }

    function executeEcrecover(Machine memory mach, uint8 depth, bytes calldata w)
        internal
        view
        returns (uint256 off)
    {
        uint64 dest = mach.stack.pop();
        uint64 input = mach.stack.pop();
        if (!span(mach, input, 128) || !span(mach, dest, 32)) return _trap(mach, 0);
        bytes memory data;
        (data, off) = MemoryLib.readBytes(w, 0, mach.memoryRoot, depth, uint32(input), 128);
        bytes32 result;
        assembly ("memory-safe") {
            // Precompile 0x01 itself, so the result is the EVM's by construction; an empty
            // return (recovery failed) leaves 32 zero bytes. The call itself never fails on
            // any input, only for lack of gas: then the whole proof reverts, so a caller
            // cannot starve the precompile to pass off "recovery failed" as the result.
            mstore(0x00, 0)
            if iszero(staticcall(gas(), 0x01, add(data, 32), 128, 0x00, 32)) {
                revert(0, 0)
            }
            if eq(returndatasize(), 32) { result := mload(0x00) }
        }
        (mach.memoryRoot, off) =
            MemoryLib.writeWord(w, off, mach.memoryRoot, depth, uint32(dest), result);
    }

    function executeGetBytes32(Machine memory mach, uint8 depth, bytes calldata w)
        internal
        pure
        returns (uint256 off)
    {
        uint64 dest = mach.stack.pop();
        uint32 index = uint32(mach.stack.pop());
        if (index >= GLOBAL_STATE_BYTES32_FIELDS || !span(mach, dest, 32)) return _trap(mach, 0);
        bytes32 value = index == 0 ? mach.gs.stateRoot : mach.gs.outboxRoot;
        (mach.memoryRoot, off) =
            MemoryLib.writeWord(w, 0, mach.memoryRoot, depth, uint32(dest), value);
    }

    function executeSetBytes32(Machine memory mach, uint8 depth, bytes calldata w)
        internal
        pure
        returns (uint256 off)
    {
        uint64 src = mach.stack.pop();
        uint32 index = uint32(mach.stack.pop());
        if (index >= GLOBAL_STATE_BYTES32_FIELDS || !span(mach, src, 32)) return _trap(mach, 0);
        bytes32 value;
        (value,, off) = MemoryLib.proveLeaf(w, 0, mach.memoryRoot, depth, uint32(src) / 32);
        if (index == 0) mach.gs.stateRoot = value;
        else mach.gs.outboxRoot = value;
    }

    function executeGetU64(Machine memory mach) internal pure {
        uint32 index = uint32(mach.stack.pop());
        if (index >= GLOBAL_STATE_U64_FIELDS) {
            _trap(mach, 0);
            return;
        }
        mach.stack.push(index == 0 ? mach.gs.inboxPosition : mach.gs.blockNumber);
    }

    function executeSetU64(Machine memory mach) internal pure {
        uint64 value = mach.stack.pop();
        uint32 index = uint32(mach.stack.pop());
        if (index >= GLOBAL_STATE_U64_FIELDS) {
            _trap(mach, 0);
            return;
        }
        if (index == 0) mach.gs.inboxPosition = value;
        else mach.gs.blockNumber = value;
    }

    function executeHalt(Machine memory mach) internal pure {
        mach.status = STATUS_FINISHED;
    }
}
