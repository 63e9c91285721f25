// SPDX-License-Identifier: MIT
pragma solidity ^0.8.37;

import {Test} from "forge-std/Test.sol";
import {ProverMath} from "../src/osp/ProverMath.sol";

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
        assertEq(m.unaryOp(0x0116, 0), 32); // i32.clz
        assertEq(m.unaryOp(0x0116, 1 << 40 | 1), 31); // high bits ignored
        assertEq(m.unaryOp(0x0117, 0x80000000), 31); // i32.ctz
        assertEq(m.unaryOp(0x0117, 1 << 40), 32);
        assertEq(m.unaryOp(0x0118, type(uint64).max), 32); // i32.popcnt
        assertEq(m.unaryOp(0x0128, 1), 63); // i64.clz
        assertEq(m.unaryOp(0x0129, 0), 64); // i64.ctz
        assertEq(m.unaryOp(0x012a, type(uint64).max), 64);
        assertEq(m.unaryOp(0x012a, 0x0123456789abcdef), 32);
        assertEq(m.unaryOp(0x0100, 1 << 32), 1); // i32.eqz of the low half
        assertEq(m.unaryOp(0x010b, 1 << 32), 0);
        assertEq(m.unaryOp(0x013b, 0x80000000), 0xffffffff80000000);
        assertEq(m.unaryOp(0x013a, 0x1234567890), 0x34567890);
        assertEq(m.unaryOp(0x013d, 0x80), 0xffffff80);
        assertEq(m.unaryOp(0x013e, 0x8000), 0xffff8000);
        assertEq(m.unaryOp(0x013f, 0xff), type(uint64).max);
        assertEq(m.unaryOp(0x0141, 0x7fffffff), 0x7fffffff);
    }

    function test_i32() public view {
        assertEq(bin(0x011a, 0, 1), 0xffffffff); // sub wraps
        assertEq(bin(0x011b, 0x10000, 0x10000), 0); // mul wraps
        assertEq(bin(0x011c, 0xfffffff9, 2), 0xfffffffd); // -7 / 2 = -3
        assertEq(bin(0x011e, 0xfffffff9, 2), 0xffffffff); // -7 rem 2 = -1
        assertEq(bin(0x011e, 0x80000000, 0xffffffff), 0); // MIN rem -1
        assertEq(bin(0x0123, 1, 33), 2); // shl by 33 mod 32
        assertEq(bin(0x0124, 0x80000000, 31), 0xffffffff);
        assertEq(bin(0x0126, 0x80000001, 1), 3); // rotl
        assertEq(bin(0x0127, 3, 1), 0x80000001); // rotr
        assertEq(bin(0x0103, 0xffffffff, 0), 1); // -1 < 0 signed
        assertEq(bin(0x0104, 0xffffffff, 0), 0);
        assertTrue(traps(0x011c, 0x80000000, 0xffffffff));
        assertTrue(traps(0x011d, 1, 1 << 32)); // the divisor's low half is 0
        assertTrue(traps(0x011f, 1, 0));
    }

    function test_i64() public view {
        uint64 min = 1 << 63;
        assertEq(bin(0x012c, 0, 1), type(uint64).max);
        assertEq(bin(0x012e, type(uint64).max - 6, 2), type(uint64).max - 2); // -7 / 2
        assertEq(bin(0x0130, min, type(uint64).max), 0);
        assertEq(bin(0x0136, min, 63), type(uint64).max);
        assertEq(bin(0x0138, min | 1, 1), 3);
        assertEq(bin(0x0139, 3, 65), min | 1); // count mod 64
        assertEq(bin(0x010e, min, 0), 1);
        assertEq(bin(0x0111, min, 0), 1);
        assertTrue(traps(0x012e, min, type(uint64).max));
        assertTrue(traps(0x0131, 5, 0));
    }

    function test_rejectsNonBinaryOps() public {
        vm.expectRevert();
        m.binaryOp(0x0116, 1, 2);
        vm.expectRevert();
        m.unaryOp(0x0119, 1);
    }
}
