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

    // ------------------------------------------------------------ the lean data roots

    /// `len` pseudo-random bytes from `seed`, zeros included (so padding mistakes show).
    function _bytes(uint256 seed, uint256 len) internal pure returns (bytes memory b) {
        b = new bytes(len);
        for (uint256 i = 0; i < len; i += 32) {
            bytes32 w = keccak256(abi.encode(seed, i));
            assembly ("memory-safe") {
                mstore(add(add(b, 32), i), w)
            }
        }
        // The last word's bytes past `len` (the allocation's padding) stay non-zero on
        // purpose: they are not data.
    }

    /// `dataRootCalldata` as an external call, so `data` is really in calldata; memory past
    /// the free pointer is dirtied first.
    function rootOfCalldata(bytes calldata data) external pure returns (bytes32) {
        _dirtyFreeMemory();
        return InboxAccumulator.dataRootCalldata(data);
    }

    /// Fills 1 KB past the free pointer with ones (a real caller's scratch may be dirty).
    function _dirtyFreeMemory() internal pure {
        assembly ("memory-safe") {
            let f := mload(0x40)
            for { let i := 0 } lt(i, 0x400) { i := add(i, 32) } {
                mstore(add(f, i), not(0))
            }
        }
    }

    /// Checks both lean roots against `dataRoot` for `data`, and that the memory one leaves
    /// `data` untouched even with dirty memory past the free pointer.
    function _checkRoots(bytes memory data) internal view {
        bytes32 want = InboxAccumulator.dataRoot(data);
        assertEq(this.rootOfCalldata(data), want, "calldata");
        bytes32 before = keccak256(data);
        _dirtyFreeMemory();
        assertEq(InboxAccumulator.dataRootMemory(data), want, "memory");
        assertEq(keccak256(data), before, "data unchanged");
    }

    function test_leanRootsMatchAtEdgeLengths() public view {
        uint256[16] memory lens =
            [uint256(0), 1, 31, 32, 33, 63, 64, 65, 95, 96, 97, 100, 1000, 4096, 4097, 131_072];
        for (uint256 k = 0; k < lens.length; k++) {
            _checkRoots(_bytes(k, lens[k]));
        }
        // Every chunk count up to 40 with a partial and a full last chunk: every pattern of
        // lone last nodes in the first layers.
        for (uint256 c = 1; c <= 40; c++) {
            _checkRoots(_bytes(c, 32 * c - 5));
            _checkRoots(_bytes(c, 32 * c));
        }
    }

    /// Five chunks (depth 3) by hand: a lone node at heights 0 and 1, paired with the zero
    /// subtrees `0` and `H(0x15 ‖ 0 ‖ 0)`.
    function test_leanRootsPairLoneNodesWithZeroSubtrees() public view {
        bytes memory data = _bytes(7, 4 * 32 + 3);
        bytes32[5] memory c;
        for (uint256 i = 0; i < 5; i++) {
            bytes32 w;
            assembly ("memory-safe") {
                w := mload(add(add(data, 32), shl(5, i)))
            }
            c[i] = w;
        }
        c[4] &= bytes32(~(type(uint256).max >> 24));
        bytes32 root =
            _node(_node(_node(c[0], c[1]), _node(c[2], c[3])), _node(_node(c[4], 0), _node(0, 0)));
        assertEq(InboxAccumulator.dataRoot(data), root);
        assertEq(this.rootOfCalldata(data), root);
        assertEq(InboxAccumulator.dataRootMemory(data), root);
    }

    /// Bytes after the data in calldata (a non-canonical encoding's padding) are not data.
    function test_calldataRootIgnoresDirtyPadding() public {
        bytes memory data = _bytes(3, 70);
        bytes memory call_ = abi.encodeCall(this.rootOfCalldata, (data));
        // selector, offset, length, then 96 bytes of which the last 26 are padding.
        assertEq(call_.length, 4 + 32 + 32 + 96);
        for (uint256 i = 4 + 64 + 70; i < call_.length; i++) {
            call_[i] = 0xff;
        }
        (bool ok, bytes memory ret) = address(this).call(call_);
        assertTrue(ok);
        assertEq(abi.decode(ret, (bytes32)), InboxAccumulator.dataRoot(data));
    }

    function testFuzz_calldataRootMatches(bytes calldata data) public view {
        assertEq(InboxAccumulator.dataRootCalldata(data), InboxAccumulator.dataRoot(data));
        _checkRoots(data);
    }

    function testFuzz_leanRootsMatch(uint256 seed, uint256 len) public view {
        _checkRoots(_bytes(seed, bound(len, 0, 8192)));
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
