// SPDX-License-Identifier: MIT
pragma solidity ^0.8.37;

import {ValueStackLib} from "./MachineLib.sol";
import {MemoryLib} from "./MemoryLib.sol";
import {UnknownOpcode} from "./Errors.sol";
import {
    ExecutionContext,
    Instruction,
    Machine,
    ValueStack,
    STATUS_ERRORED,
    PAGE_SIZE
} from "./Types.sol";

// Truncating casts are the semantics here (i32 values are the low 32 bits of a slot, fields
// are bit slices of a word), so the lint that flags them is off for this item.
// forge-lint: disable-next-item(unsafe-typecast)
/// @title ProverMemory — one-step proofs of linear-memory opcodes (0x0200..0x0214).
/// @notice Loads and stores through leaf proofs of the memory tree, `memory.size` and
///         `memory.grow` (docs/spec/proof-format.md, "Loads and stores"; Rust
///         `verify::memory`). The memory depth is the instruction's `depth`.
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
        if (i.op <= 0x020b) consumed = executeLoad(mach, i, witness);
        else if (i.op <= 0x0212) consumed = executeStore(mach, i, witness);
        else if (i.op == 0x0213) executeMemorySize(mach);
        else if (i.op == 0x0214) executeMemoryGrow(mach, i);
        else revert UnknownOpcode(i.op);
    }

    /// Bytes a load or store touches.
    function accessSize(uint16 op) internal pure returns (uint256) {
        if (op == 0x0201 || op == 0x020d) return 8;
        if (op == 0x0200 || op == 0x020a || op == 0x020b || op == 0x020c || op == 0x0212) return 4;
        if (op == 0x0204 || op == 0x0205 || op == 0x0208 || op == 0x0209) return 2;
        if (op == 0x020f || op == 0x0211) return 2;
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
        if (op == 0x0202) return uint32(int32(int8(uint8(raw))));
        if (op == 0x0204) return uint32(int32(int16(uint16(raw))));
        if (op == 0x0206) return uint64(int64(int8(uint8(raw))));
        if (op == 0x0208) return uint64(int64(int16(uint16(raw))));
        if (op == 0x020a) return uint64(int64(int32(uint32(raw))));
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
