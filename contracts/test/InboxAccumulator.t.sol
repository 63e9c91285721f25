// SPDX-License-Identifier: MIT
pragma solidity ^0.8.37;

import {Test} from "forge-std/Test.sol";
import {InboxAccumulator} from "../src/osp/InboxAccumulator.sol";

/// The inbox commitment of docs/spec/inbox.md, spelled out by hand for a few lengths.
contract InboxAccumulatorTest is Test {
    bytes32 constant PREV = keccak256("previous accumulator");

    function _acc(uint64 len, bytes32 header, bytes32 dataRoot) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(uint8(0x20), PREV, len, header, dataRoot));
    }

    function _node(bytes32 l, bytes32 r) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(uint8(0x15), l, r));
    }

    /// What the Inbox contract will do with a whole message.
    function _commit(bytes memory m) internal pure returns (bytes32) {
        bytes memory data = new bytes(m.length > 32 ? m.length - 32 : 0);
        for (uint256 i = 0; i < data.length; i++) {
            data[i] = m[32 + i];
        }
        return InboxAccumulator.accumulate(
            PREV,
            uint64(m.length),
            InboxAccumulator.messageHeader(m),
            InboxAccumulator.dataRoot(data)
        );
    }

    function test_accumulatePreimageIs105Bytes() public pure {
        bytes32 a =
            InboxAccumulator.accumulate(PREV, 0x0102, bytes32(uint256(3)), bytes32(uint256(4)));
        bytes memory pre = abi.encodePacked(
            hex"20", PREV, hex"0000000000000102", bytes32(uint256(3)), bytes32(uint256(4))
        );
        assertEq(pre.length, 105);
        assertEq(a, keccak256(pre));
    }

    function test_length0() public pure {
        assertEq(_commit(""), _acc(0, 0, 0));
        assertEq(InboxAccumulator.dataRoot(""), bytes32(0));
    }

    function test_length32() public pure {
        bytes32 h = keccak256("h");
        assertEq(_commit(abi.encodePacked(h)), _acc(32, h, 0));
    }

    function test_length33() public pure {
        bytes32 h = keccak256("h");
        // One data chunk: the root is the chunk itself, zero-padded.
        assertEq(_commit(abi.encodePacked(h, hex"ab")), _acc(33, h, bytes32(uint256(0xab) << 248)));
    }

    function test_length100() public pure {
        bytes32 h = keccak256("h");
        bytes32 c0 = keccak256("c0");
        bytes32 c1 = keccak256("c1");
        // 68 data bytes: three chunks in a depth-2 tree, the fourth leaf zero.
        bytes32 dataRoot = _node(_node(c0, c1), _node(bytes32(bytes4(0x01020304)), 0));
        assertEq(_commit(abi.encodePacked(h, c0, c1, hex"01020304")), _acc(100, h, dataRoot));
    }

    function test_shortHeaderIsZeroPadded() public pure {
        assertEq(_commit(hex"0102"), _acc(2, bytes32(uint256(0x0102) << 240), 0));
    }

    function test_dataDepth() public pure {
        assertEq(InboxAccumulator.dataDepth(0), 0);
        assertEq(InboxAccumulator.dataDepth(64), 0);
        assertEq(InboxAccumulator.dataDepth(65), 1);
        assertEq(InboxAccumulator.dataDepth(100), 2);
        assertEq(InboxAccumulator.dataDepth(32 + 32 * 8), 3);
        assertEq(InboxAccumulator.dataDepth(32 + 32 * 8 + 1), 4);
    }
}
