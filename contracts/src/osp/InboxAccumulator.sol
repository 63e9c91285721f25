// SPDX-License-Identifier: MIT
pragma solidity ^0.8.37;

import {MerkleLib} from "./MerkleLib.sol";

/// @title InboxAccumulator — the hash chain the L1 inbox keeps over its messages
///        (docs/spec/inbox.md; Rust `inbox::accumulate`, `data_root`).
/// @notice A message is committed as its length, its first 32 bytes (the header) and the
///         Merkle root of the rest, so a one-step proof of `read_inbox` carries one 32-byte
///         chunk and its path, never the whole message.
library InboxAccumulator {
    uint8 internal constant TAG_ACCUMULATOR = 0x20;

    /// `H(0x20 ‖ prev ‖ length (u64) ‖ header ‖ dataRoot)`, 105 bytes.
    function accumulate(bytes32 prev, uint64 length, bytes32 header, bytes32 dataRoot_)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(abi.encodePacked(TAG_ACCUMULATOR, prev, length, header, dataRoot_));
    }

    /// Depth of the data tree of a message of `length` bytes.
    function dataDepth(uint64 length) internal pure returns (uint8) {
        if (length <= 32) return 0;
        return MerkleLib.treeDepth((uint256(length) - 32 + 31) / 32);
    }

    /// The root of the data tree over `data` (a message's bytes after its header): 32-byte
    /// chunks, the last zero-padded, inner nodes tagged 0x15; empty data gives zero.
    function dataRoot(bytes memory data) internal pure returns (bytes32) {
        uint256 chunks = (data.length + 31) / 32;
        bytes32[] memory leaves = new bytes32[](chunks);
        for (uint256 i = 0; i < chunks; i++) {
            bytes32 c;
            assembly ("memory-safe") {
                c := mload(add(add(data, 32), shl(5, i)))
            }
            uint256 real = data.length - 32 * i;
            if (real < 32) {
                // mload read past the data: keep only its `real` bytes.
                c &= bytes32(~(type(uint256).max >> (8 * real)));
            }
            leaves[i] = c;
        }
        return MerkleLib.rootOfLeaves(MerkleLib.TAG_INBOX_DATA, leaves, MerkleLib.treeDepth(chunks));
    }

    /// The header of a message: its first 32 bytes, zero-padded.
    function messageHeader(bytes memory message) internal pure returns (bytes32 h) {
        assembly ("memory-safe") {
            h := mload(add(message, 32))
        }
        if (message.length < 32) h &= bytes32(~(type(uint256).max >> (8 * message.length)));
    }
}
