// SPDX-License-Identifier: MIT
pragma solidity ^0.8.37;

import {OspTestBase} from "./utils/OspTestBase.sol";
import {Hashing} from "../src/osp/Hashing.sol";
import {MachineLib} from "../src/osp/MachineLib.sol";
import {Machine} from "../src/osp/Types.sol";
import {TAG_LOCALS} from "../src/osp/Constants.sol";
import "../src/osp/Errors.sol" as E;
import {
    LAST_CONTROL,
    LAST_MATH,
    CLASS_HOST,
    DROP,
    NIP,
    SELECT,
    BR_IF,
    BR_IF_ZERO,
    RETURN,
    LOCAL_GET,
    LOCAL_SET,
    CONST,
    FINISH,
    I32_ADD,
    I32_DIV_U
} from "../src/osp/Opcodes.sol";

// Opcodes are uint16 values in uint256 constants (Opcodes.sol): casting one is safe.
// forge-lint: disable-next-item(unsafe-typecast)
/// Hand-assembled one-step proofs: each step's post-state hash, traps, halted machines and
/// every rejection of docs/spec/proof-format.md's error table.
contract OneStepProverTest is OspTestBase {
    /// Four instructions, depth 2, so every proof carries two siblings.
    function code4(bytes32 first) internal pure returns (bytes32[] memory c) {
        c = new bytes32[](4);
        c[0] = first;
        c[1] = ins(uint16(DROP));
        c[2] = ins(uint16(CONST), 0, 0, 9);
        c[3] = ins(uint16(FINISH));
    }

    function test_const() public view {
        bytes32[] memory code = code4(ins(uint16(CONST), 0, 0, 0xdeadbeef));
        Machine memory pre = machine(code, 2, 0, new uint64[](0));
        Machine memory post = machine(code, 2, 1, vals(0xdeadbeef));
        assertStep(pre, proof(pre, code, ""), post);
        // Spelled out: the pushed value is one value-stack entry on the empty stack.
        bytes32 expected = Hashing.machineHash(
            0, 1, Hashing.valueStackPush(0, 0xdeadbeef), 0, 0, MachineLib.worldHash(post)
        );
        assertEq(osp.proveOneStep(ctx, hashOf(pre), proof(pre, code, "")), expected);
    }

    function test_constAtPc2KeepsRestOfStack() public view {
        bytes32[] memory code = code4(ins(uint16(CONST)));
        Machine memory pre = machine(code, 2, 2, vals(1));
        pre.stack.rest = keccak256("below");
        Machine memory post = machine(code, 2, 3, vals(1, 9));
        post.stack.rest = pre.stack.rest;
        assertStep(pre, proof(pre, code, ""), post);
    }

    function test_i32AddWraps() public view {
        bytes32[] memory code = code4(ins(uint16(I32_ADD)));
        Machine memory pre = machine(code, 2, 0, vals(5, 0xffffffff));
        pre.stack.rest = keccak256("rest");
        Machine memory post = machine(code, 2, 1, vals(4));
        post.stack.rest = pre.stack.rest;
        assertStep(pre, proof(pre, code, ""), post);
    }

    function test_i32DivUByZeroTrapsWithPreState() public view {
        bytes32[] memory code = code4(ins(uint16(I32_DIV_U)));
        Machine memory pre = machine(code, 2, 0, vals(5, 0));
        Machine memory errored = copy(pre);
        errored.status = 2;
        bytes32 post = osp.proveOneStep(ctx, hashOf(pre), proof(pre, code, ""));
        assertEq(post, hashOf(errored));
        assertEq(
            post,
            Hashing.machineHash(
                2,
                0,
                Hashing.valueStackPush(Hashing.valueStackPush(0, 5), 0),
                0,
                0,
                MachineLib.worldHash(pre)
            )
        );
    }

    function test_localSetDepth0() public view {
        bytes32[] memory code = code4(ins(uint16(LOCAL_SET), 0, 2, 0));
        bytes32 leaf = bytes32(abi.encodePacked(uint64(1), uint64(2), uint64(3), uint64(4)));
        Machine memory pre = machine(code, 2, 0, vals(99));
        pre.locals = leaf;
        Machine memory post = machine(code, 2, 1, new uint64[](0));
        post.locals = bytes32(abi.encodePacked(uint64(1), uint64(2), uint64(99), uint64(4)));
        assertStep(pre, proof(pre, code, abi.encodePacked(leaf)), post);
    }

    function test_localGetDepth2() public view {
        // Local 13 is slot 1 of leaf 3 of a depth-2 locals tree.
        bytes32[] memory locals = new bytes32[](4);
        locals[3] = bytes32(abi.encodePacked(uint64(0), uint64(77), uint64(0), uint64(0)));
        locals[0] = bytes32(uint256(1));
        bytes32[] memory code = code4(ins(uint16(LOCAL_GET), 2, 13, 0));
        Machine memory pre = machine(code, 2, 0, new uint64[](0));
        pre.locals = root(TAG_LOCALS, locals, 2);
        Machine memory post = machine(code, 2, 1, vals(77));
        post.locals = pre.locals;
        assertStep(pre, proof(pre, code, leafProof(TAG_LOCALS, locals, 2, 3)), post);
    }

    function test_brIf() public view {
        bytes32[] memory code = code4(ins(uint16(BR_IF), 0, 3, 0));
        // Taken: the condition's low 32 bits are non-zero.
        Machine memory pre = machine(code, 2, 0, vals(8, 1));
        assertStep(pre, proof(pre, code, ""), machine(code, 2, 3, vals(8)));
        // Not taken: only the high bits are set, and an i32 condition ignores them.
        pre = machine(code, 2, 0, vals(8, 1 << 32));
        assertStep(pre, proof(pre, code, ""), machine(code, 2, 1, vals(8)));
    }

    function test_brIfZero() public view {
        bytes32[] memory code = code4(ins(uint16(BR_IF_ZERO), 0, 3, 0));
        Machine memory pre = machine(code, 2, 0, vals(0));
        assertStep(pre, proof(pre, code, ""), machine(code, 2, 3, new uint64[](0)));
        pre = machine(code, 2, 0, vals(2));
        assertStep(pre, proof(pre, code, ""), machine(code, 2, 1, new uint64[](0)));
    }

    function test_finishGivesFinishedHash() public view {
        bytes32[] memory code = code4(ins(uint16(FINISH)));
        Machine memory pre = machine(code, 2, 0, new uint64[](0));
        assertEq(
            osp.proveOneStep(ctx, hashOf(pre), proof(pre, code, "")),
            Hashing.finishedMachineHash(Hashing.globalStateHash(pre.gs))
        );
    }

    function test_finishedMachineProvesToItself() public view {
        Machine memory m;
        m.status = 1;
        m.gs = Hashing.GlobalState(keccak256("s"), keccak256("o"), 12, 34);
        bytes32 h = Hashing.finishedMachineHash(Hashing.globalStateHash(m.gs));
        assertEq(osp.proveOneStep(ctx, h, header(m)), h);
        assertEq(header(m).length, 81);
    }

    function test_erroredMachineProvesToItself() public view {
        bytes32[] memory code = code4(ins(uint16(I32_ADD)));
        Machine memory m = machine(code, 2, 1, vals(3));
        m.status = 2;
        bytes32 h = hashOf(m);
        assertEq(osp.proveOneStep(ctx, h, header(m)), h);
        assertEq(header(m).length, 316 + 8);
    }

    function test_pcOutsideCodeTraps() public view {
        bytes32[] memory code = code4(ins(uint16(CONST)));
        Machine memory pre = machine(code, 2, 4, new uint64[](0));
        Machine memory errored = copy(pre);
        errored.status = 2;
        assertEq(osp.proveOneStep(ctx, hashOf(pre), header(pre)), hashOf(errored));
    }

    function test_zeroLeafIsUnreachable() public view {
        bytes32[] memory code = new bytes32[](3); // leaf 3 is absent: all zero
        code[0] = ins(uint16(CONST));
        Machine memory pre = machine(code, 2, 3, new uint64[](0));
        Machine memory errored = copy(pre);
        errored.status = 2;
        assertEq(osp.proveOneStep(ctx, hashOf(pre), proof(pre, code, "")), hashOf(errored));
    }

    function test_returnWithResult() public view {
        bytes32[] memory code = code4(ins(uint16(RETURN), 0, 1, 0));
        bytes32 older = keccak256("older frames");
        bytes32 callerStack = keccak256("caller stack");
        bytes32 frame = Hashing.framePush(older, 3, 17, callerStack, keccak256("caller locals"));
        Machine memory pre = machine(code, 2, 0, vals(41, 42));
        pre.frames = frame;
        pre.locals = keccak256("callee locals");
        Machine memory post = machine(code, 2, 17, vals(42));
        post.stack.rest = callerStack;
        post.locals = keccak256("caller locals");
        post.frames = older;
        bytes memory w = abi.encodePacked(older, uint32(3), uint32(17), callerStack);
        w = abi.encodePacked(w, keccak256("caller locals"));
        assertStep(pre, proof(pre, code, w), post);
    }

    function test_returnFromEntryFrameTraps() public view {
        bytes32[] memory code = code4(ins(uint16(RETURN), 0, 0, 0));
        Machine memory pre = machine(code, 2, 0, new uint64[](0));
        Machine memory errored = copy(pre);
        errored.status = 2;
        assertEq(osp.proveOneStep(ctx, hashOf(pre), proof(pre, code, "")), hashOf(errored));
    }

    function test_selectAndNip() public view {
        bytes32[] memory code = code4(ins(uint16(SELECT)));
        Machine memory pre = machine(code, 2, 0, vals(10, 20, 1 << 32)); // c as i32 is 0
        assertStep(pre, proof(pre, code, ""), machine(code, 2, 1, vals(20)));
        code = code4(ins(uint16(NIP)));
        pre = machine(code, 2, 0, vals(10, 20));
        assertStep(pre, proof(pre, code, ""), machine(code, 2, 1, vals(20)));
    }

    // ---- rejections ----

    function test_revertsWrongPreState() public {
        bytes32[] memory code = code4(ins(uint16(CONST)));
        Machine memory pre = machine(code, 2, 0, new uint64[](0));
        bytes memory p = proof(pre, code, "");
        vm.expectRevert(E.WrongPreState.selector);
        osp.proveOneStep(ctx, bytes32(uint256(hashOf(pre)) ^ 1), p);
    }

    function test_revertsTruncated() public {
        bytes32[] memory code = code4(ins(uint16(CONST)));
        Machine memory pre = machine(code, 2, 0, new uint64[](0));
        bytes memory p = proof(pre, code, "");
        bytes32 h = hashOf(pre);
        // Cut inside the last sibling.
        vm.expectRevert(E.ProofTruncated.selector);
        osp.proveOneStep(ctx, h, _slice(p, p.length - 1));
        // Cut inside the header.
        vm.expectRevert(E.ProofTruncated.selector);
        osp.proveOneStep(ctx, h, _slice(p, 100));
        // Nothing at all.
        vm.expectRevert(E.ProofTruncated.selector);
        osp.proveOneStep(ctx, h, "");
    }

    function test_revertsTruncatedWitness() public {
        bytes32[] memory code = code4(ins(uint16(LOCAL_SET), 0, 0, 0));
        Machine memory pre = machine(code, 2, 0, vals(1));
        bytes memory p = proof(pre, code, abi.encodePacked(bytes31(0)));
        vm.expectRevert(E.ProofTruncated.selector);
        osp.proveOneStep(ctx, hashOf(pre), p);
    }

    function test_revertsTrailingBytes() public {
        bytes32[] memory code = code4(ins(uint16(CONST)));
        Machine memory pre = machine(code, 2, 0, new uint64[](0));
        bytes memory p = proof(pre, code, hex"00");
        vm.expectRevert(E.TrailingBytes.selector);
        osp.proveOneStep(ctx, hashOf(pre), p);
        // Also after a halted machine's header.
        pre.status = 2;
        bytes32 h = hashOf(pre);
        vm.expectRevert(E.TrailingBytes.selector);
        osp.proveOneStep(ctx, h, abi.encodePacked(header(pre), hex"00"));
    }

    function test_revertsBadStatus() public {
        bytes32[] memory code = code4(ins(uint16(CONST)));
        Machine memory pre = machine(code, 2, 0, new uint64[](0));
        bytes memory p = proof(pre, code, "");
        p[0] = 0x03;
        vm.expectRevert(abi.encodeWithSelector(E.BadStatus.selector, uint8(3)));
        osp.proveOneStep(ctx, hashOf(pre), p);
    }

    function test_revertsBadCodeProof() public {
        bytes32[] memory code = code4(ins(uint16(CONST)));
        Machine memory pre = machine(code, 2, 0, new uint64[](0));
        bytes memory p = proof(pre, code, "");
        p[p.length - 1] ^= 0x01; // the last sibling
        vm.expectRevert(abi.encodeWithSelector(E.BadMerkleProof.selector, uint8(0x13)));
        osp.proveOneStep(ctx, hashOf(pre), p);
    }

    /// One past the last opcode of a class, and a class that does not exist, are unknown (so
    /// the test follows the table when an opcode is added).
    function test_revertsUnknownOpcode() public {
        uint16[3] memory unknown =
            [uint16(LAST_CONTROL + 1), uint16(LAST_MATH + 1), uint16((CLASS_HOST + 1) << 8)];
        for (uint256 i = 0; i < unknown.length; i++) {
            bytes32[] memory code = code4(ins(unknown[i]));
            Machine memory pre = machine(code, 2, 0, new uint64[](0));
            vm.expectRevert(abi.encodeWithSelector(E.UnknownOpcode.selector, unknown[i]));
            osp.proveOneStep(ctx, hashOf(pre), proof(pre, code, ""));
        }
    }

    function test_revertsBadInstructionPadding() public {
        bytes32[] memory code = code4(bytes32(uint256(ins(uint16(CONST))) | 1));
        Machine memory pre = machine(code, 2, 0, new uint64[](0));
        vm.expectRevert(E.BadInstruction.selector);
        osp.proveOneStep(ctx, hashOf(pre), proof(pre, code, ""));
        code = code4(bytes32(uint256(ins(uint16(CONST))) | (1 << 224))); // byte 3
        pre = machine(code, 2, 0, new uint64[](0));
        vm.expectRevert(E.BadInstruction.selector);
        osp.proveOneStep(ctx, hashOf(pre), proof(pre, code, ""));
    }

    function test_revertsStackUnderflow() public {
        bytes32[] memory code = code4(ins(uint16(I32_ADD)));
        Machine memory pre = machine(code, 2, 0, vals(1));
        vm.expectRevert(E.StackUnderflow.selector);
        osp.proveOneStep(ctx, hashOf(pre), proof(pre, code, ""));
    }

    function test_revertsBadLocalsProof() public {
        bytes32[] memory code = code4(ins(uint16(LOCAL_SET), 0, 0, 0));
        Machine memory pre = machine(code, 2, 0, vals(1));
        pre.locals = bytes32(uint256(5));
        vm.expectRevert(abi.encodeWithSelector(E.BadMerkleProof.selector, uint8(0x11)));
        osp.proveOneStep(ctx, hashOf(pre), proof(pre, code, abi.encodePacked(bytes32(uint256(6)))));
    }

    function _slice(bytes memory b, uint256 n) internal pure returns (bytes memory out) {
        out = new bytes(n);
        for (uint256 i = 0; i < n; i++) {
            out[i] = b[i];
        }
    }
}
