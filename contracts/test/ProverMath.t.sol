// SPDX-License-Identifier: MIT
pragma solidity ^0.8.37;

import {Test} from "forge-std/Test.sol";
import {ProverMath} from "../src/osp/ProverMath.sol";
import {
    I32_EQZ,
    I32_LT_S,
    I32_LT_U,
    I64_EQZ,
    I64_LT_S,
    I64_GT_U,
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
    I32_SHL,
    I32_SHR_S,
    I32_ROTL,
    I32_ROTR,
    I64_CLZ,
    I64_CTZ,
    I64_POPCNT,
    I64_SUB,
    I64_DIV_S,
    I64_REM_S,
    I64_REM_U,
    I64_SHR_S,
    I64_ROTL,
    I64_ROTR,
    I32_WRAP_I64,
    I64_EXTEND_I32_S,
    I32_EXTEND8_S,
    I32_EXTEND16_S,
    I64_EXTEND8_S,
    I64_EXTEND32_S
} from "../src/osp/Opcodes.sol";

// Opcodes are uint16 values in uint256 constants (Opcodes.sol): casting one is safe.
// forge-lint: disable-next-item(unsafe-typecast)
/// The math helpers against WebAssembly's semantics on edge values.
contract ProverMathTest is Test {
    ProverMath internal m;

    function setUp() public {
        m = new ProverMath();
    }

    function bin(uint16 op, uint64 a, uint64 b) internal view returns (uint64 r) {
        bool trap;
        (r, trap) = m.binaryOp(op, a, b);
        assertFalse(trap, "unexpected trap");
    }

    function traps(uint16 op, uint64 a, uint64 b) internal view returns (bool trap) {
        (, trap) = m.binaryOp(op, a, b);
    }

    function test_unary() public view {
        assertEq(m.unaryOp(uint16(I32_CLZ), 0), 32); // i32.clz
        assertEq(m.unaryOp(uint16(I32_CLZ), 1 << 40 | 1), 31); // high bits ignored
        assertEq(m.unaryOp(uint16(I32_CTZ), 0x80000000), 31); // i32.ctz
        assertEq(m.unaryOp(uint16(I32_CTZ), 1 << 40), 32);
        assertEq(m.unaryOp(uint16(I32_POPCNT), type(uint64).max), 32); // i32.popcnt
        assertEq(m.unaryOp(uint16(I64_CLZ), 1), 63); // i64.clz
        assertEq(m.unaryOp(uint16(I64_CTZ), 0), 64); // i64.ctz
        assertEq(m.unaryOp(uint16(I64_POPCNT), type(uint64).max), 64);
        assertEq(m.unaryOp(uint16(I64_POPCNT), 0x0123456789abcdef), 32);
        assertEq(m.unaryOp(uint16(I32_EQZ), 1 << 32), 1); // i32.eqz of the low half
        assertEq(m.unaryOp(uint16(I64_EQZ), 1 << 32), 0);
        assertEq(m.unaryOp(uint16(I64_EXTEND_I32_S), 0x80000000), 0xffffffff80000000);
        assertEq(m.unaryOp(uint16(I32_WRAP_I64), 0x1234567890), 0x34567890);
        assertEq(m.unaryOp(uint16(I32_EXTEND8_S), 0x80), 0xffffff80);
        assertEq(m.unaryOp(uint16(I32_EXTEND16_S), 0x8000), 0xffff8000);
        assertEq(m.unaryOp(uint16(I64_EXTEND8_S), 0xff), type(uint64).max);
        assertEq(m.unaryOp(uint16(I64_EXTEND32_S), 0x7fffffff), 0x7fffffff);
    }

    function test_i32() public view {
        assertEq(bin(uint16(I32_SUB), 0, 1), 0xffffffff); // sub wraps
        assertEq(bin(uint16(I32_MUL), 0x10000, 0x10000), 0); // mul wraps
        assertEq(bin(uint16(I32_DIV_S), 0xfffffff9, 2), 0xfffffffd); // -7 / 2 = -3
        assertEq(bin(uint16(I32_REM_S), 0xfffffff9, 2), 0xffffffff); // -7 rem 2 = -1
        assertEq(bin(uint16(I32_REM_S), 0x80000000, 0xffffffff), 0); // MIN rem -1
        assertEq(bin(uint16(I32_SHL), 1, 33), 2); // shl by 33 mod 32
        assertEq(bin(uint16(I32_SHR_S), 0x80000000, 31), 0xffffffff);
        assertEq(bin(uint16(I32_ROTL), 0x80000001, 1), 3); // rotl
        assertEq(bin(uint16(I32_ROTR), 3, 1), 0x80000001); // rotr
        assertEq(bin(uint16(I32_LT_S), 0xffffffff, 0), 1); // -1 < 0 signed
        assertEq(bin(uint16(I32_LT_U), 0xffffffff, 0), 0);
        assertTrue(traps(uint16(I32_DIV_S), 0x80000000, 0xffffffff));
        assertTrue(traps(uint16(I32_DIV_U), 1, 1 << 32)); // the divisor's low half is 0
        assertTrue(traps(uint16(I32_REM_U), 1, 0));
    }

    function test_i64() public view {
        uint64 min = 1 << 63;
        assertEq(bin(uint16(I64_SUB), 0, 1), type(uint64).max);
        assertEq(bin(uint16(I64_DIV_S), type(uint64).max - 6, 2), type(uint64).max - 2); // -7 / 2
        assertEq(bin(uint16(I64_REM_S), min, type(uint64).max), 0);
        assertEq(bin(uint16(I64_SHR_S), min, 63), type(uint64).max);
        assertEq(bin(uint16(I64_ROTL), min | 1, 1), 3);
        assertEq(bin(uint16(I64_ROTR), 3, 65), min | 1); // count mod 64
        assertEq(bin(uint16(I64_LT_S), min, 0), 1);
        assertEq(bin(uint16(I64_GT_U), min, 0), 1);
        assertTrue(traps(uint16(I64_DIV_S), min, type(uint64).max));
        assertTrue(traps(uint16(I64_REM_U), 5, 0));
    }

    function test_rejectsNonBinaryOps() public {
        vm.expectRevert();
        m.binaryOp(uint16(I32_CLZ), 1, 2);
        vm.expectRevert();
        m.unaryOp(uint16(I32_ADD), 1);
    }
}
