// SPDX-License-Identifier: MIT
pragma solidity ^0.8.37;

import {MerkleLib} from "./MerkleLib.sol";
import {TAG_ACCUMULATOR, TAG_DATA, INBOX_HEADER_BYTES} from "./Constants.sol";

/// @title InboxAccumulator — the hash chain the L1 inbox keeps over its messages
///        (docs/spec/inbox.md; Rust `inbox::accumulate`, `data_root`).
/// @notice A message is committed as its length, its first 32 bytes (the header) and the
///         Merkle root of the rest, so a one-step proof of `read_inbox` carries one 32-byte
///         chunk and its path, never the whole message.
library InboxAccumulator {
    /// `H(TAG_ACCUMULATOR ‖ prev ‖ length (u64) ‖ header ‖ dataRoot)`, 105 bytes.
    function accumulate(bytes32 prev, uint64 length, bytes32 header, bytes32 dataRoot_)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(abi.encodePacked(TAG_ACCUMULATOR, prev, length, header, dataRoot_));
    }

    /// Depth of the data tree of a message of `length` bytes.
    function dataDepth(uint64 length) internal pure returns (uint8) {
        if (length <= INBOX_HEADER_BYTES) return 0;
        return MerkleLib.treeDepth((uint256(length) - INBOX_HEADER_BYTES + 31) / 32);
    }

    /// The root of the data tree over `data` (a message's bytes after its header): 32-byte
    /// chunks, the last zero-padded, inner nodes tagged `TAG_DATA`; empty data gives zero. The
    /// reference, over a leaves array (~4.9M gas for 131,072 bytes): the Inbox uses the
    /// in-place `dataRootCalldata` and `dataRootMemory`, which tests hold equal to it.
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
        return MerkleLib.rootOfLeaves(TAG_DATA, leaves, MerkleLib.treeDepth(chunks));
    }

    /// `dataRoot` of data still in calldata: the same root, hashed in place in free memory
    /// without allocating (the Inbox's batches and forced transactions).
    function dataRootCalldata(bytes calldata data) internal pure returns (bytes32) {
        uint256 src;
        assembly ("memory-safe") {
            src := data.offset
        }
        return _rootInPlace(src, data.length, true);
    }

    /// `dataRoot` of data in memory, hashed in place like `dataRootCalldata`; `data` itself
    /// is left as it was.
    function dataRootMemory(bytes memory data) internal pure returns (bytes32) {
        uint256 src;
        assembly ("memory-safe") {
            src := add(data, 32)
        }
        return _rootInPlace(src, data.length, false);
    }

    /// The data root of `len` bytes at `src` (calldata offset or memory address), computed in
    /// free memory past the free pointer, which it leaves where it was:
    ///
    ///   f ..< f + 65      `tag ‖ z ‖ z`, hashed to the zero subtree one level up
    ///   p = f + 96 ...    the chunks, zero-padded, then each layer over the one below it
    ///
    /// Node i of a layer is `keccak256(tag ‖ word 2i ‖ word 2i+1)` of the layer below, hashed
    /// where it lies: the tag goes in the last byte of word 2i−1 (p − 1 for i = 0), a right
    /// child already consumed, and the node is written to word i, whose inputs are consumed
    /// too. A lone last node is paired with the zero subtree of its height, written after
    /// it, as `MerkleLib.rootOfLeaves` pairs it; a layer of n nodes gives ceil(n / 2), so
    /// one node is left after exactly `treeDepth(chunks)` layers.
    function _rootInPlace(uint256 src, uint256 len, bool inCalldata)
        private
        pure
        returns (bytes32 root)
    {
        uint8 tag = TAG_DATA;
        assembly ("memory-safe") {
            if len {
                let f := mload(0x40)
                let p := add(f, 96)
                switch inCalldata
                case 0 { mcopy(p, src, len) }
                default { calldatacopy(p, src, len) }
                // Zero the last chunk's padding: memory past the free pointer may be dirty,
                // and the caller's bytes after `len` are not the message's.
                mstore(add(p, len), 0)
                mstore8(f, tag)
                let z := 0 // the zero subtree at the current height
                for { let n := shr(5, add(len, 31)) } gt(n, 1) { n := shr(1, add(n, 1)) } {
                    let end := add(p, shl(5, n))
                    if and(n, 1) {
                        mstore(end, z)
                        end := add(end, 32)
                    }
                    // s is one byte before each pair: the tag's place.
                    end := sub(end, 1)
                    let dst := p
                    for { let s := sub(p, 1) } lt(s, end) { s := add(s, 64) } {
                        mstore8(s, tag)
                        mstore(dst, keccak256(s, 65))
                        dst := add(dst, 32)
                    }
                    mstore(add(f, 1), z)
                    mstore(add(f, 33), z)
                    z := keccak256(f, 65)
                }
                root := mload(p)
            }
        }
    }

    /// The header of a message: its first 32 bytes, zero-padded.
    function messageHeader(bytes memory message) internal pure returns (bytes32 h) {
        assembly ("memory-safe") {
            h := mload(add(message, 32))
        }
        if (message.length < 32) h &= bytes32(~(type(uint256).max >> (8 * message.length)));
    }
}
