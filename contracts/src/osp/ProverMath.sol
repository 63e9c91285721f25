// SPDX-License-Identifier: MIT
pragma solidity ^0.8.37;

import {ValueStackLib} from "./MachineLib.sol";
import {UnknownOpcode} from "./Errors.sol";
import {ExecutionContext, Instruction, Machine, ValueStack} from "./Types.sol";
import {STATUS_ERRORED} from "./Constants.sol";
// Opcodes are compared constant first (`I32_ADD == op`): solc then emits the same code as for
// the literal opcode numbers this replaced (Opcodes.sol says why).
import {
    I32_EQZ,
    I32_EQ,
    I32_NE,
    I32_LT_S,
    I32_LT_U,
    I32_GT_S,
    I32_GT_U,
    I32_LE_S,
    I32_LE_U,
    I32_GE_S,
    I32_GE_U,
    I64_EQZ,
    I64_EQ,
    I64_NE,
    I64_LT_S,
    I64_LT_U,
    I64_GT_S,
    I64_GT_U,
    I64_LE_S,
    I64_LE_U,
    I64_GE_S,
    I64_GE_U,
    I32_CLZ,
    I32_CTZ,
    I32_POPCNT,
    I32_ADD,
    I32_SUB,
    I32_MUL,
    I32_DIV_S,
    I32_DIV_U,
    I32_REM_S,
    I32_REM_U,
    I32_AND,
    I32_OR,
    I32_XOR,
    I32_SHL,
    I32_SHR_S,
    I32_SHR_U,
    I32_ROTL,
    I32_ROTR,
    I64_CLZ,
    I64_CTZ,
    I64_POPCNT,
    I64_ADD,
    I64_SUB,
    I64_MUL,
    I64_DIV_S,
    I64_DIV_U,
    I64_REM_S,
    I64_REM_U,
    I64_AND,
    I64_OR,
    I64_XOR,
    I64_SHL,
    I64_SHR_S,
    I64_SHR_U,
    I64_ROTL,
    I64_ROTR,
    I32_WRAP_I64,
    I64_EXTEND_I32_S,
    I64_EXTEND_I32_U,
    I32_EXTEND8_S,
    I32_EXTEND16_S,
    I64_EXTEND8_S,
    I64_EXTEND16_S,
    I64_EXTEND32_S
} from "./Opcodes.sol";

// Truncating casts are the semantics here (i32 values are the low 32 bits of a slot, fields
// are bit slices of a word), so the lint that flags them is off for this item.
// forge-lint: disable-next-item(unsafe-typecast)
/// @title ProverMath — one-step proofs of integer math (`CLASS_MATH`, Opcodes.sol).
/// @notice WebAssembly integer semantics on 64-bit slots, i32 held zero-extended
///         (docs/spec/isa.md; Rust `fuse_verifier::math`). Math reads no witness: the
///         operands are the revealed top of the value stack.
contract ProverMath {
    using ValueStackLib for ValueStack;

    uint256 private constant M32 = 0xffffffff;
    uint256 private constant M64 = 0xffffffffffffffff;

    function executeOneStep(
        ExecutionContext calldata,
        Machine calldata startMach,
        Instruction calldata inst,
        bytes calldata
    ) external view returns (Machine memory mach, uint256 consumed) {
        mach = startMach;
        unchecked {
            mach.pc = startMach.pc + 1;
        }
        uint16 op = inst.op;
        if (isUnary(op)) executeUnary(mach, op);
        else if (op >= I32_EQ && op <= I64_ROTR) executeBinary(mach, op);
        else revert UnknownOpcode(op);
        return (mach, 0);
    }

    function isUnary(uint16 op) internal pure returns (bool) {
        return I32_EQZ == op || I64_EQZ == op || (op >= I32_CLZ && op <= I32_POPCNT)
            || (op >= I64_CLZ && op <= I64_POPCNT) || (op >= I32_WRAP_I64 && op <= I64_EXTEND32_S);
    }

    function executeUnary(Machine memory mach, uint16 op) internal pure {
        uint64 a = mach.stack.pop();
        mach.stack.push(unaryOp(op, a));
    }

    function executeBinary(Machine memory mach, uint16 op) internal pure {
        uint64 b = mach.stack.pop();
        uint64 a = mach.stack.pop();
        (uint64 r, bool trap) = binaryOp(op, a, b);
        if (trap) {
            mach.status = STATUS_ERRORED; // divide by zero or integer overflow
            return;
        }
        mach.stack.push(r);
    }

    function unaryOp(uint16 op, uint64 a) public pure returns (uint64) {
        uint256 x = a;
        uint256 x32 = x & M32;
        if (I32_EQZ == op) return x32 == 0 ? 1 : 0;
        if (I64_EQZ == op) return x == 0 ? 1 : 0;
        if (I32_CLZ == op) return uint64(_clz(x32) - 224);
        if (I32_CTZ == op) return uint64(_ctz(x32, 32));
        if (I32_POPCNT == op) return uint64(_popcnt(x32));
        if (I64_CLZ == op) return uint64(_clz(x) - 192);
        if (I64_CTZ == op) return uint64(_ctz(x, 64));
        if (I64_POPCNT == op) return uint64(_popcnt(x));
        if (I32_WRAP_I64 == op || I64_EXTEND_I32_U == op) return uint64(x32);
        if (I64_EXTEND_I32_S == op) return uint64(int64(int32(uint32(x32))));
        if (I32_EXTEND8_S == op) return uint32(int32(int8(uint8(a))));
        if (I32_EXTEND16_S == op) return uint32(int32(int16(uint16(a))));
        if (I64_EXTEND8_S == op) return uint64(int64(int8(uint8(a))));
        if (I64_EXTEND16_S == op) return uint64(int64(int16(uint16(a))));
        if (I64_EXTEND32_S == op) return uint64(int64(int32(uint32(a))));
        revert UnknownOpcode(op);
    }

    /// `a op b` with `a` the deeper operand; `trap` for division by zero and overflow.
    function binaryOp(uint16 op, uint64 a, uint64 b)
        public
        pure
        returns (uint64 result, bool trap)
    {
        if (op < I32_EQ || op > I64_ROTR || isUnary(op)) {
            revert UnknownOpcode(op);
        }
        if (op <= I32_GE_U) return (_cmp32(op, uint32(a), uint32(b)) ? 1 : 0, false);
        if (op <= I64_GE_U) return (_cmp64(op, a, b) ? 1 : 0, false);
        if (op <= I32_ROTR) return _bin32(op, uint32(a), uint32(b));
        return _bin64(op, a, b);
    }

    function _cmp32(uint16 op, uint32 x, uint32 y) private pure returns (bool) {
        if (I32_EQ == op) return x == y;
        if (I32_NE == op) return x != y;
        if (I32_LT_S == op) return int32(x) < int32(y);
        if (I32_LT_U == op) return x < y;
        if (I32_GT_S == op) return int32(x) > int32(y);
        if (I32_GT_U == op) return x > y;
        if (I32_LE_S == op) return int32(x) <= int32(y);
        if (I32_LE_U == op) return x <= y;
        if (I32_GE_S == op) return int32(x) >= int32(y);
        return x >= y; // I32_GE_U
    }

    function _cmp64(uint16 op, uint64 x, uint64 y) private pure returns (bool) {
        if (I64_EQ == op) return x == y;
        if (I64_NE == op) return x != y;
        if (I64_LT_S == op) return int64(x) < int64(y);
        if (I64_LT_U == op) return x < y;
        if (I64_GT_S == op) return int64(x) > int64(y);
        if (I64_GT_U == op) return x > y;
        if (I64_LE_S == op) return int64(x) <= int64(y);
        if (I64_LE_U == op) return x <= y;
        if (I64_GE_S == op) return int64(x) >= int64(y);
        return x >= y; // I64_GE_U
    }

    function _bin32(uint16 op, uint32 x, uint32 y) private pure returns (uint64, bool) {
        uint256 r;
        unchecked {
            if (I32_ADD == op) {
                r = uint256(x) + y;
            } else if (I32_SUB == op) {
                r = uint256(x) + (1 << 32) - y;
            } else if (I32_MUL == op) {
                r = uint256(x) * y;
            } else if (I32_DIV_S == op) {
                if (y == 0 || (x == 0x80000000 && y == M32)) return (0, true);
                r = uint32(int32(x) / int32(y));
            } else if (I32_DIV_U == op) {
                if (y == 0) return (0, true);
                r = x / y;
            } else if (I32_REM_S == op) {
                if (y == 0) return (0, true);
                // MIN rem -1 is 0 (and would overflow as a division).
                r = y == M32 ? 0 : uint32(int32(x) % int32(y));
            } else if (I32_REM_U == op) {
                if (y == 0) return (0, true);
                r = x % y;
            } else if (I32_AND == op) {
                r = x & y;
            } else if (I32_OR == op) {
                r = x | y;
            } else if (I32_XOR == op) {
                r = x ^ y;
            } else if (I32_SHL == op) {
                r = uint256(x) << (y & 31);
            } else if (I32_SHR_S == op) {
                r = uint32(int32(x) >> (y & 31));
            } else if (I32_SHR_U == op) {
                r = x >> (y & 31);
            } else if (I32_ROTL == op) {
                r = (uint256(x) << (y & 31)) | (uint256(x) >> (32 - (y & 31)));
            } else if (I32_ROTR == op) {
                r = (uint256(x) >> (y & 31)) | (uint256(x) << (32 - (y & 31)));
            } else {
                revert UnknownOpcode(op);
            }
        }
        return (uint64(r & M32), false);
    }

    function _bin64(uint16 op, uint64 x, uint64 y) private pure returns (uint64, bool) {
        uint256 r;
        unchecked {
            if (I64_ADD == op) {
                r = uint256(x) + y;
            } else if (I64_SUB == op) {
                r = uint256(x) + (1 << 64) - y;
            } else if (I64_MUL == op) {
                r = uint256(x) * y;
            } else if (I64_DIV_S == op) {
                if (y == 0 || (x == 1 << 63 && y == M64)) return (0, true);
                r = uint64(int64(x) / int64(y));
            } else if (I64_DIV_U == op) {
                if (y == 0) return (0, true);
                r = x / y;
            } else if (I64_REM_S == op) {
                if (y == 0) return (0, true);
                r = y == M64 ? 0 : uint64(int64(x) % int64(y));
            } else if (I64_REM_U == op) {
                if (y == 0) return (0, true);
                r = x % y;
            } else if (I64_AND == op) {
                r = x & y;
            } else if (I64_OR == op) {
                r = x | y;
            } else if (I64_XOR == op) {
                r = x ^ y;
            } else if (I64_SHL == op) {
                r = uint256(x) << (y & 63);
            } else if (I64_SHR_S == op) {
                r = uint64(int64(x) >> (y & 63));
            } else if (I64_SHR_U == op) {
                r = x >> (y & 63);
            } else if (I64_ROTL == op) {
                r = (uint256(x) << (y & 63)) | (uint256(x) >> (64 - (y & 63)));
            } else if (I64_ROTR == op) {
                r = (uint256(x) >> (y & 63)) | (uint256(x) << (64 - (y & 63)));
            } else {
                revert UnknownOpcode(op);
            }
        }
        return (uint64(r & M64), false);
    }

    function _clz(uint256 x) private pure returns (uint256 n) {
        assembly {
            n := clz(x)
        }
    }

    /// Trailing zeros of `x` as a `width`-bit integer (`width` for zero).
    function _ctz(uint256 x, uint256 width) private pure returns (uint256) {
        if (x == 0) return width;
        // x & -x keeps only the lowest set bit.
        unchecked {
            return 255 - _clz(x & (~x + 1));
        }
    }

    /// Set bits of a 64-bit value (the classic SWAR count).
    function _popcnt(uint256 x) private pure returns (uint256) {
        unchecked {
            x = x - ((x >> 1) & 0x5555555555555555);
            x = (x & 0x3333333333333333) + ((x >> 2) & 0x3333333333333333);
            x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0f;
            return ((x * 0x0101010101010101) >> 56) & 0xff;
        }
    }
}
