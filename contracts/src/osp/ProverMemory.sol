// SPDX-License-Identifier: MIT
pragma solidity ^0.8.37;

import {ValueStackLib} from "./MachineLib.sol";
import {MemoryLib} from "./MemoryLib.sol";
import {UnknownOpcode} from "./Errors.sol";
import {ExecutionContext, Instruction, Machine, ValueStack} from "./Types.sol";
import {STATUS_ERRORED, PAGE_SIZE} from "./Constants.sol";
// Opcodes are compared constant first (`I32_ADD == op`): solc then emits the same code as for
// the literal opcode numbers this replaced (Opcodes.sol says why).
import {
    I32_LOAD,
    I64_LOAD,
    I32_LOAD8_S,
    I32_LOAD16_S,
    I32_LOAD16_U,
    I64_LOAD8_S,
    I64_LOAD16_S,
    I64_LOAD16_U,
    I64_LOAD32_S,
    I64_LOAD32_U,
    I32_STORE,
    I64_STORE,
    I32_STORE16,
    I64_STORE16,
    I64_STORE32,
    MEMORY_SIZE,
    MEMORY_GROW
} from "./Opcodes.sol";

// Truncating casts are the semantics here (i32 values are the low 32 bits of a slot, fields
// are bit slices of a word), so the lint that flags them is off for this item.
// forge-lint: disable-next-item(unsafe-typecast)
/// @title ProverMemory — one-step proofs of linear-memory opcodes (`CLASS_MEMORY`, Opcodes.sol).
/// @notice Loads and stores through leaf proofs of the memory tree, `memory.size` and
///         `memory.grow` (docs/spec/proof-format.md, "Loads and stores"; Rust
///         `fuse_verifier::memory`). The memory depth is the instruction's `depth`.
contract ProverMemory {
    using ValueStackLib for ValueStack;

    function executeOneStep(
        ExecutionContext calldata,
        Machine calldata startMach,
        Instruction calldata inst,
        bytes calldata witness
    ) external view returns (Machine memory mach, uint256 consumed) {
        mach = startMach;
        Instruction memory i = inst;
        unchecked {
            mach.pc = startMach.pc + 1;
        }
        if (i.op <= I64_LOAD32_U) consumed = executeLoad(mach, i, witness);
        else if (i.op <= I64_STORE32) consumed = executeStore(mach, i, witness);
        else if (MEMORY_SIZE == i.op) executeMemorySize(mach);
        else if (MEMORY_GROW == i.op) executeMemoryGrow(mach, i);
        else revert UnknownOpcode(i.op);
    }

    /// Bytes a load or store touches.
    function accessSize(uint16 op) internal pure returns (uint256) {
        if (I64_LOAD == op || I64_STORE == op) return 8;
        if (
            I32_LOAD == op || I64_LOAD32_S == op || I64_LOAD32_U == op || I32_STORE == op
                || I64_STORE32 == op
        ) {
            return 4;
        }
        if (I32_LOAD16_S == op || I32_LOAD16_U == op || I64_LOAD16_S == op || I64_LOAD16_U == op) {
            return 2;
        }
        if (I32_STORE16 == op || I64_STORE16 == op) return 2;
        return 1;
    }

    /// `addr (u32) + offset` as a 64-bit sum, and whether `size` bytes there fit in memory.
    function effectiveAddress(Machine memory mach, uint64 addr, uint32 offset, uint256 size)
        internal
        pure
        returns (uint256 ea, bool ok)
    {
        ea = uint256(uint32(addr)) + offset;
        ok = ea + size <= uint256(mach.memoryPages) * PAGE_SIZE;
    }

    function executeLoad(Machine memory mach, Instruction memory inst, bytes calldata w)
        internal
        pure
        returns (uint256 off)
    {
        uint256 size = accessSize(inst.op);
        (uint256 ea, bool ok) = effectiveAddress(mach, mach.stack.pop(), inst.a, size);
        if (!ok) {
            mach.status = STATUS_ERRORED; // out of bounds
            return 0;
        }
        uint64 raw;
        (raw, off) = MemoryLib.load(w, 0, mach.memoryRoot, inst.depth, ea, size);
        mach.stack.push(_extend(inst.op, raw));
    }

    /// Sign-extends the `_s` loads: to 32 bits (then zero-extended) for i32, to 64 for i64.
    function _extend(uint16 op, uint64 raw) private pure returns (uint64) {
        if (I32_LOAD8_S == op) return uint32(int32(int8(uint8(raw))));
        if (I32_LOAD16_S == op) return uint32(int32(int16(uint16(raw))));
        if (I64_LOAD8_S == op) return uint64(int64(int8(uint8(raw))));
        if (I64_LOAD16_S == op) return uint64(int64(int16(uint16(raw))));
        if (I64_LOAD32_S == op) return uint64(int64(int32(uint32(raw))));
        return raw;
    }

    function executeStore(Machine memory mach, Instruction memory inst, bytes calldata w)
        internal
        pure
        returns (uint256 off)
    {
        uint256 size = accessSize(inst.op);
        uint64 value = mach.stack.pop();
        (uint256 ea, bool ok) = effectiveAddress(mach, mach.stack.pop(), inst.a, size);
        if (!ok) {
            mach.status = STATUS_ERRORED; // out of bounds
            return 0;
        }
        (mach.memoryRoot, off) = MemoryLib.store(w, 0, mach.memoryRoot, inst.depth, ea, size, value);
    }

    function executeMemorySize(Machine memory mach) internal pure {
        mach.stack.push(mach.memoryPages);
    }

    /// New pages are zero and the tree's depth is fixed, so growing leaves the root alone.
    function executeMemoryGrow(Machine memory mach, Instruction memory inst) internal pure {
        uint64 n = uint32(mach.stack.pop());
        if (uint64(mach.memoryPages) + n > inst.a) {
            mach.stack.push(0xffffffff);
        } else {
            mach.stack.push(mach.memoryPages);
            mach.memoryPages += uint32(n);
        }
    }
}
