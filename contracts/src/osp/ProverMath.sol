// SPDX-License-Identifier: MIT
pragma solidity ^0.8.37;

import {ValueStackLib} from "./MachineLib.sol";
import {UnknownOpcode} from "./Errors.sol";
import {ExecutionContext, Instruction, Machine, ValueStack, STATUS_ERRORED} from "./Types.sol";

// Truncating casts are the semantics here (i32 values are the low 32 bits of a slot, fields
// are bit slices of a word), so the lint that flags them is off for this item.
// forge-lint: disable-next-item(unsafe-typecast)
/// @title ProverMath — one-step proofs of integer math (0x0100..0x0141).
/// @notice WebAssembly integer semantics on 64-bit slots, i32 held zero-extended
///         (docs/spec/isa.md; Rust `step::math`, `verify::math`). Math reads no witness: the
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
        else if (op >= 0x0101 && op <= 0x0139) executeBinary(mach, op);
        else revert UnknownOpcode(op);
        return (mach, 0);
    }

    function isUnary(uint16 op) internal pure returns (bool) {
        return op == 0x0100 || op == 0x010b || (op >= 0x0116 && op <= 0x0118)
            || (op >= 0x0128 && op <= 0x012a) || (op >= 0x013a && op <= 0x0141);
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
        if (op == 0x0100) return x32 == 0 ? 1 : 0; // i32.eqz
        if (op == 0x010b) return x == 0 ? 1 : 0; // i64.eqz
        if (op == 0x0116) return uint64(_clz(x32) - 224); // i32.clz
        if (op == 0x0117) return uint64(_ctz(x32, 32)); // i32.ctz
        if (op == 0x0118) return uint64(_popcnt(x32)); // i32.popcnt
        if (op == 0x0128) return uint64(_clz(x) - 192); // i64.clz
        if (op == 0x0129) return uint64(_ctz(x, 64)); // i64.ctz
        if (op == 0x012a) return uint64(_popcnt(x)); // i64.popcnt
        if (op == 0x013a || op == 0x013c) return uint64(x32); // i32.wrap_i64, i64.extend_i32_u
        if (op == 0x013b) return uint64(int64(int32(uint32(x32)))); // i64.extend_i32_s
        if (op == 0x013d) return uint32(int32(int8(uint8(a)))); // i32.extend8_s
        if (op == 0x013e) return uint32(int32(int16(uint16(a)))); // i32.extend16_s
        if (op == 0x013f) return uint64(int64(int8(uint8(a)))); // i64.extend8_s
        if (op == 0x0140) return uint64(int64(int16(uint16(a)))); // i64.extend16_s
        if (op == 0x0141) return uint64(int64(int32(uint32(a)))); // i64.extend32_s
        revert UnknownOpcode(op);
    }

    /// `a op b` with `a` the deeper operand; `trap` for division by zero and overflow.
    function binaryOp(uint16 op, uint64 a, uint64 b)
        public
        pure
        returns (uint64 result, bool trap)
    {
        if (op < 0x0101 || op > 0x0139 || isUnary(op)) {
            revert UnknownOpcode(op);
        }
        if (op <= 0x010a) return (_cmp32(op, uint32(a), uint32(b)) ? 1 : 0, false);
        if (op <= 0x0115) return (_cmp64(op, a, b) ? 1 : 0, false);
        if (op <= 0x0127) return _bin32(op, uint32(a), uint32(b));
        return _bin64(op, a, b);
    }

    function _cmp32(uint16 op, uint32 x, uint32 y) private pure returns (bool) {
        if (op == 0x0101) return x == y;
        if (op == 0x0102) return x != y;
        if (op == 0x0103) return int32(x) < int32(y);
        if (op == 0x0104) return x < y;
        if (op == 0x0105) return int32(x) > int32(y);
        if (op == 0x0106) return x > y;
        if (op == 0x0107) return int32(x) <= int32(y);
        if (op == 0x0108) return x <= y;
        if (op == 0x0109) return int32(x) >= int32(y);
        return x >= y; // 0x010a i32.ge_u
    }

    function _cmp64(uint16 op, uint64 x, uint64 y) private pure returns (bool) {
        if (op == 0x010c) return x == y;
        if (op == 0x010d) return x != y;
        if (op == 0x010e) return int64(x) < int64(y);
        if (op == 0x010f) return x < y;
        if (op == 0x0110) return int64(x) > int64(y);
        if (op == 0x0111) return x > y;
        if (op == 0x0112) return int64(x) <= int64(y);
        if (op == 0x0113) return x <= y;
        if (op == 0x0114) return int64(x) >= int64(y);
        return x >= y; // 0x0115 i64.ge_u
    }

    function _bin32(uint16 op, uint32 x, uint32 y) private pure returns (uint64, bool) {
        uint256 r;
        unchecked {
            if (op == 0x0119) {
                r = uint256(x) + y;
            } else if (op == 0x011a) {
                r = uint256(x) + (1 << 32) - y;
            } else if (op == 0x011b) {
                r = uint256(x) * y;
            } else if (op == 0x011c) {
                if (y == 0 || (x == 0x80000000 && y == M32)) return (0, true);
                r = uint32(int32(x) / int32(y));
            } else if (op == 0x011d) {
                if (y == 0) return (0, true);
                r = x / y;
            } else if (op == 0x011e) {
                if (y == 0) return (0, true);
                // MIN rem -1 is 0 (and would overflow as a division).
                r = y == M32 ? 0 : uint32(int32(x) % int32(y));
            } else if (op == 0x011f) {
                if (y == 0) return (0, true);
                r = x % y;
            } else if (op == 0x0120) {
                r = x & y;
            } else if (op == 0x0121) {
                r = x | y;
            } else if (op == 0x0122) {
                r = x ^ y;
            } else if (op == 0x0123) {
                r = uint256(x) << (y & 31);
            } else if (op == 0x0124) {
                r = uint32(int32(x) >> (y & 31));
            } else if (op == 0x0125) {
                r = x >> (y & 31);
            } else if (op == 0x0126) {
                r = (uint256(x) << (y & 31)) | (uint256(x) >> (32 - (y & 31)));
            } else if (op == 0x0127) {
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
            if (op == 0x012b) {
                r = uint256(x) + y;
            } else if (op == 0x012c) {
                r = uint256(x) + (1 << 64) - y;
            } else if (op == 0x012d) {
                r = uint256(x) * y;
            } else if (op == 0x012e) {
                if (y == 0 || (x == 1 << 63 && y == M64)) return (0, true);
                r = uint64(int64(x) / int64(y));
            } else if (op == 0x012f) {
                if (y == 0) return (0, true);
                r = x / y;
            } else if (op == 0x0130) {
                if (y == 0) return (0, true);
                r = y == M64 ? 0 : uint64(int64(x) % int64(y));
            } else if (op == 0x0131) {
                if (y == 0) return (0, true);
                r = x % y;
            } else if (op == 0x0132) {
                r = x & y;
            } else if (op == 0x0133) {
                r = x | y;
            } else if (op == 0x0134) {
                r = x ^ y;
            } else if (op == 0x0135) {
                r = uint256(x) << (y & 63);
            } else if (op == 0x0136) {
                r = uint64(int64(x) >> (y & 63));
            } else if (op == 0x0137) {
                r = x >> (y & 63);
            } else if (op == 0x0138) {
                r = (uint256(x) << (y & 63)) | (uint256(x) >> (64 - (y & 63)));
            } else if (op == 0x0139) {
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
