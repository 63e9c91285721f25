// SPDX-License-Identifier: MIT
pragma solidity ^0.8.37;

import {OspTestBase} from "./utils/OspTestBase.sol";
import {Hashing} from "../src/osp/Hashing.sol";
import {InboxAccumulator} from "../src/osp/InboxAccumulator.sol";
import {Machine} from "../src/osp/Types.sol";
import {TAG_MEMORY, TAG_TABLE, TAG_DATA} from "../src/osp/Constants.sol";
import "../src/osp/Errors.sol" as E;
import {
    CALL,
    CALL_INDIRECT,
    FINISH,
    I64_LOAD,
    I32_LOAD16_S,
    I64_LOAD8_S,
    I32_STORE,
    MEMORY_GROW,
    READ_INBOX,
    READ_PREIMAGE,
    KECCAK256,
    ECRECOVER,
    GET_U64,
    SET_U64,
    HALT
} from "../src/osp/Opcodes.sol";

// Opcodes are uint16 values in uint256 constants (Opcodes.sol): casting one is safe.
// forge-lint: disable-next-item(unsafe-typecast)
/// Steps that read witnesses: memory (leaf proofs, a store across a leaf boundary), host I/O
/// (inbox, preimages, keccak, ecrecover, global state), calls through the table. Gas is
/// measured by `fuse-l2 bench osp`, not asserted here.
contract OneStepProverIOTest is OspTestBase {
    uint8 constant MEM_DEPTH = 11; // one page of 32-byte leaves

    /// One instruction at pc 0 of a depth-1 code tree.
    function code1(bytes32 leaf) internal pure returns (bytes32[] memory c) {
        c = new bytes32[](2);
        c[0] = leaf;
        c[1] = ins(uint16(FINISH));
    }

    function withMemory(Machine memory m, bytes32[] memory leaves) internal pure {
        m.memoryRoot = root(TAG_MEMORY, leaves, MEM_DEPTH);
        m.memoryPages = 1;
    }

    function memProof(bytes32[] memory leaves, uint256 index) internal pure returns (bytes memory) {
        return leafProof(TAG_MEMORY, leaves, MEM_DEPTH, index);
    }

    function test_i32StoreAcrossLeavesThenLoad() public view {
        bytes32[] memory mem = new bytes32[](2);
        mem[0] = bytes32(type(uint256).max);
        mem[1] = keccak256("leaf 1");
        // addr 20 + offset 10 = 30: bytes 30, 31 of leaf 0 and bytes 0, 1 of leaf 1.
        bytes32[] memory code = code1(ins(uint16(I32_STORE), MEM_DEPTH, 10, 0));
        Machine memory pre = machine(code, 1, 0, vals(20, 0x11223344));
        withMemory(pre, mem);
        bytes memory w = memProof(mem, 0);
        mem[0] = bytes32((type(uint256).max << 16) | 0x4433);
        w = abi.encodePacked(w, memProof(mem, 1)); // against the root after the first write
        mem[1] = bytes32((uint256(mem[1]) & (type(uint256).max >> 16)) | (0x2211 << 240));
        Machine memory post = machine(code, 1, 1, new uint64[](0));
        withMemory(post, mem);
        assertStep(pre, proof(pre, code, w), post);

        // i32.load16_s at 31 reads 0x33 then 0x22 across the boundary and sign-extends
        // nothing (0x2233 is positive); i64.load8_s at 30 sign-extends 0x44 -> positive, and
        // at 28 reads 0xff -> -1.
        code = code1(ins(uint16(I32_LOAD16_S), MEM_DEPTH, 0, 0));
        pre = machine(code, 1, 0, vals(31));
        withMemory(pre, mem);
        post = machine(code, 1, 1, vals(0x2233));
        withMemory(post, mem);
        assertStep(
            pre, proof(pre, code, abi.encodePacked(memProof(mem, 0), memProof(mem, 1))), post
        );

        code = code1(ins(uint16(I64_LOAD8_S), MEM_DEPTH, 0, 0));
        pre = machine(code, 1, 0, vals(28));
        withMemory(pre, mem);
        post = machine(code, 1, 1, vals(type(uint64).max));
        withMemory(post, mem);
        assertStep(pre, proof(pre, code, memProof(mem, 0)), post);
    }

    function test_loadOutOfBoundsTraps() public view {
        bytes32[] memory mem = new bytes32[](0);
        bytes32[] memory code = code1(ins(uint16(I64_LOAD), MEM_DEPTH, 65530, 0));
        Machine memory pre = machine(code, 1, 0, vals(0));
        withMemory(pre, mem);
        Machine memory errored = copy(pre);
        errored.status = 2;
        assertEq(osp.proveOneStep(ctx, hashOf(pre), proof(pre, code, "")), hashOf(errored));
    }

    function test_memoryGrow() public view {
        bytes32[] memory code = code1(ins(uint16(MEMORY_GROW), MEM_DEPTH, 2, 0));
        Machine memory pre = machine(code, 1, 0, vals(1));
        withMemory(pre, new bytes32[](0));
        Machine memory post = machine(code, 1, 1, vals(1));
        withMemory(post, new bytes32[](0));
        post.memoryPages = 2;
        assertStep(pre, proof(pre, code, ""), post);
        pre.stack.values[0] = 2; // 1 + 2 > 2 pages
        post.memoryPages = 1;
        post.stack.values[0] = 0xffffffff;
        assertStep(pre, proof(pre, code, ""), post);
    }

    function test_getAndSetU64() public view {
        bytes32[] memory code = code1(ins(uint16(GET_U64)));
        Machine memory pre = machine(code, 1, 0, vals(1));
        assertStep(pre, proof(pre, code, ""), machine(code, 1, 1, vals(7))); // block number

        code = code1(ins(uint16(SET_U64)));
        pre = machine(code, 1, 0, vals(0, 99));
        Machine memory post = machine(code, 1, 1, new uint64[](0));
        post.gs.inboxPosition = 99;
        assertStep(pre, proof(pre, code, ""), post);

        pre = machine(code, 1, 0, vals(2, 99)); // index 2: trap
        Machine memory errored = copy(pre);
        errored.status = 2;
        assertEq(osp.proveOneStep(ctx, hashOf(pre), proof(pre, code, "")), hashOf(errored));
    }

    function test_haltIsFinished() public view {
        bytes32[] memory code = code1(ins(uint16(HALT)));
        Machine memory pre = machine(code, 1, 0, vals(5));
        assertEq(
            osp.proveOneStep(ctx, hashOf(pre), proof(pre, code, "")),
            Hashing.finishedMachineHash(Hashing.globalStateHash(pre.gs))
        );
    }

    function test_keccak256OfTwoLeaves() public view {
        bytes32[] memory mem = new bytes32[](3);
        mem[0] = keccak256("a");
        mem[1] = keccak256("b");
        bytes32[] memory code = code1(ins(uint16(KECCAK256), MEM_DEPTH, 0, 0));
        Machine memory pre = machine(code, 1, 0, vals(0, 40, 64)); // src, len, dest
        withMemory(pre, mem);
        bytes memory w = abi.encodePacked(memProof(mem, 0), memProof(mem, 1), memProof(mem, 2));
        mem[2] = keccak256(abi.encodePacked(mem[0], bytes8(mem[1])));
        Machine memory post = machine(code, 1, 1, new uint64[](0));
        withMemory(post, mem);
        assertStep(pre, proof(pre, code, w), post);
    }

    function test_keccak256MisalignedTraps() public view {
        bytes32[] memory code = code1(ins(uint16(KECCAK256), MEM_DEPTH, 0, 0));
        Machine memory pre = machine(code, 1, 0, vals(4, 40, 64));
        withMemory(pre, new bytes32[](0));
        Machine memory errored = copy(pre);
        errored.status = 2;
        assertEq(osp.proveOneStep(ctx, hashOf(pre), proof(pre, code, "")), hashOf(errored));
    }

    function test_ecrecover() public {
        (address signer, uint256 key) = makeAddrAndKey("signer");
        bytes32 digest = keccak256("message");
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digest);
        bytes32[] memory mem = new bytes32[](5);
        mem[0] = digest;
        mem[1] = bytes32(uint256(v));
        mem[2] = r;
        mem[3] = s;
        bytes32[] memory code = code1(ins(uint16(ECRECOVER), MEM_DEPTH, 0, 0));
        Machine memory pre = machine(code, 1, 0, vals(0, 128));
        withMemory(pre, mem);
        bytes memory w = abi.encodePacked(memProof(mem, 0), memProof(mem, 1), memProof(mem, 2));
        w = abi.encodePacked(w, memProof(mem, 3), memProof(mem, 4));
        mem[4] = bytes32(uint256(uint160(signer)));
        Machine memory post = machine(code, 1, 1, new uint64[](0));
        withMemory(post, mem);
        assertStep(pre, proof(pre, code, w), post);
    }

    function test_readPreimage() public view {
        bytes memory preimage = abi.encodePacked(keccak256("x"), uint64(0x0102030405060708));
        bytes32[] memory mem = new bytes32[](2);
        mem[0] = keccak256(preimage);
        bytes32[] memory code = code1(ins(uint16(READ_PREIMAGE), MEM_DEPTH, 0, 0));
        Machine memory pre = machine(code, 1, 0, vals(0, 32, 32)); // hashPtr, offset, dest
        withMemory(pre, mem);
        bytes memory w = abi.encodePacked(memProof(mem, 0), uint16(40), preimage, memProof(mem, 1));
        mem[1] = bytes32(uint256(0x0102030405060708) << 192);
        Machine memory post = machine(code, 1, 1, vals(8));
        withMemory(post, mem);
        assertStep(pre, proof(pre, code, w), post);
    }

    function test_readPreimageRejectsWrongPreimage() public {
        bytes32[] memory mem = new bytes32[](1);
        mem[0] = keccak256("right");
        bytes32[] memory code = code1(ins(uint16(READ_PREIMAGE), MEM_DEPTH, 0, 0));
        Machine memory pre = machine(code, 1, 0, vals(0, 0, 32));
        withMemory(pre, mem);
        bytes memory w = abi.encodePacked(memProof(mem, 0), uint16(5), "wrong", memProof(mem, 1));
        bytes memory p = proof(pre, code, w);
        vm.expectRevert(E.BadPreimage.selector);
        osp.proveOneStep(ctx, hashOf(pre), p);
    }

    /// A 100-byte message at inbox position 3: header, then 68 data bytes in 3 chunks.
    function _message() internal pure returns (bytes memory m) {
        m = abi.encodePacked(
            keccak256("header"), keccak256("c0"), keccak256("c1"), bytes4(0xcafebabe)
        );
    }

    function _dataLeaves(bytes memory m) internal pure returns (bytes32[] memory d) {
        d = new bytes32[](3);
        assembly {
            mstore(add(d, 0x20), mload(add(m, 0x40)))
            mstore(add(d, 0x40), mload(add(m, 0x60)))
        }
        d[2] = bytes32(bytes4(0xcafebabe));
    }

    function _readInbox(uint64 offset, bytes memory extra, bytes32 chunk, uint64 n) internal {
        bytes memory m = _message();
        bytes32 dataRoot = root(TAG_DATA, _dataLeaves(m), 2);
        bytes32 prev = keccak256("prev");
        inbox.push(0);
        inbox.push(0);
        inbox.push(prev);
        inbox.push(InboxAccumulator.accumulate(prev, 100, keccak256("header"), dataRoot));
        bytes32[] memory mem = new bytes32[](1);
        bytes32[] memory code = code1(ins(uint16(READ_INBOX), MEM_DEPTH, 0, 0));
        Machine memory pre = machine(code, 1, 0, vals(offset, 32)); // offset, dest
        withMemory(pre, mem);
        bytes memory w = abi.encodePacked(prev, uint64(100), keccak256("header"), dataRoot);
        w = abi.encodePacked(w, extra, memProof(mem, 1));
        bytes32[] memory after_ = new bytes32[](2);
        after_[1] = chunk;
        Machine memory post = machine(code, 1, 1, vals(n));
        withMemory(post, after_);
        assertStep(pre, proof(pre, code, w), post);
    }

    function test_readInboxHeader() public {
        _readInbox(0, "", keccak256("header"), 32);
    }

    function test_readInboxDataChunk() public {
        bytes32[] memory d = _dataLeaves(_message());
        _readInbox(64, leafProof(TAG_DATA, d, 2, 1), d[1], 32);
    }

    function test_readInboxLastPartialChunk() public {
        bytes32[] memory d = _dataLeaves(_message());
        _readInbox(96, leafProof(TAG_DATA, d, 2, 2), d[2], 4);
    }

    function test_readInboxPastTheEnd() public {
        _readInbox(128, "", 0, 0);
    }

    function test_readInboxMissingMessage() public {
        bytes32[] memory code = code1(ins(uint16(READ_INBOX), MEM_DEPTH, 0, 0));
        Machine memory pre = machine(code, 1, 0, vals(0, 32));
        withMemory(pre, new bytes32[](0));
        bytes memory w = abi.encodePacked(bytes32(0), uint64(0), bytes32(0), bytes32(0));
        bytes memory p = proof(pre, code, w);
        vm.expectRevert(abi.encodeWithSelector(E.InboxMessageMissing.selector, uint64(3)));
        osp.proveOneStep(ctx, hashOf(pre), p);
        for (uint256 i = 0; i < 4; i++) {
            inbox.push(keccak256("other"));
        }
        vm.expectRevert(abi.encodeWithSelector(E.BadMerkleProof.selector, uint8(0x20)));
        osp.proveOneStep(ctx, hashOf(pre), p);
    }

    /// call_indirect through a depth-1 table: element 1 has type 7, entry pc 3, 2 params and
    /// 5 locals (a depth-1 locals tree).
    function test_callIndirect() public view {
        bytes32[] memory table = new bytes32[](2);
        table[1] = bytes32(abi.encodePacked(uint8(1), uint32(7), uint32(3), uint32(2), uint32(5)));
        bytes32[] memory code = new bytes32[](4);
        code[1] = ins(uint16(CALL_INDIRECT), 1, 7, 2);
        Machine memory pre = machine(code, 2, 1, vals(10, 20, 1));
        pre.stack.rest = keccak256("caller below");
        pre.locals = keccak256("caller locals");
        pre.tableRoot = root(TAG_TABLE, table, 1);
        Machine memory post = machine(code, 2, 3, new uint64[](0));
        post.tableRoot = pre.tableRoot;
        post.frames = Hashing.framePush(0, 1, 2, pre.stack.rest, pre.locals);
        bytes32 leaf0 = bytes32(abi.encodePacked(uint64(10), uint64(20), uint128(0)));
        post.locals = keccak256(abi.encodePacked(uint8(0x11), leaf0, bytes32(0)));
        bytes memory w = leafProof(TAG_TABLE, table, 1, 1);
        assertStep(pre, proof(pre, code, w), post);

        // The wrong type traps after the table proof, with the pre-state.
        code[1] = ins(uint16(CALL_INDIRECT), 1, 8, 2);
        pre = machine(code, 2, 1, vals(10, 20, 1));
        pre.tableRoot = root(TAG_TABLE, table, 1);
        Machine memory errored = copy(pre);
        errored.status = 2;
        assertEq(osp.proveOneStep(ctx, hashOf(pre), proof(pre, code, w)), hashOf(errored));
    }

    function test_callWithSavedFrameAndLocals() public {
        // call: entry 0, 3 params, 6 locals (depth 1); one frame already saved.
        bytes32[] memory code = new bytes32[](2);
        code[1] = ins(uint16(CALL), 1, 0, (uint64(3) << 32) | 6);
        Machine memory pre = machine(code, 1, 1, vals(1, 2, 3, 4));
        bytes32 frame = Hashing.framePush(keccak256("older"), 1, 9, keccak256("s"), keccak256("l"));
        pre.frames = frame;
        pre.locals = keccak256("mine");
        bytes memory w = abi.encodePacked(keccak256("older"), uint32(1), uint32(9));
        w = abi.encodePacked(w, keccak256("s"), keccak256("l"));
        Machine memory post = machine(code, 1, 0, new uint64[](0));
        post.frames = Hashing.framePush(frame, 2, 2, Hashing.valueStackPush(0, 1), pre.locals);
        bytes32 leaf0 = bytes32(abi.encodePacked(uint64(2), uint64(3), uint64(4), uint64(0)));
        post.locals = keccak256(abi.encodePacked(uint8(0x11), leaf0, bytes32(0)));
        assertStep(pre, proof(pre, code, w), post);

        w[0] ^= 0x01;
        bytes memory bad = proof(pre, code, w);
        bytes32 h = hashOf(pre);
        try osp.proveOneStep(ctx, h, bad) {
            fail();
        } catch (bytes memory err) {
            assertEq(err, abi.encodeWithSelector(E.BadFrame.selector));
        }
    }
}
