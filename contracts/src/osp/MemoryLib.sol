// SPDX-License-Identifier: MIT
pragma solidity ^0.8.37;

import {MerkleLib} from "./MerkleLib.sol";
import {TAG_MEMORY} from "./Constants.sol";

// Truncating casts are the semantics here (i32 values are the low 32 bits of a slot, fields
// are bit slices of a word), so the lint that flags them is off for this item.
// forge-lint: disable-next-item(unsafe-typecast)
/// @title MemoryLib — linear memory through leaf proofs of the memory tree.
/// @notice Shared by the memory and host provers. Leaf `i` holds memory bytes
///         `32i .. 32i + 31` in order (byte 0 of the leaf is the lowest address); values are
///         little-endian in memory. Every proof is checked against the root it must match;
///         a write recomputes the root from the new leaf and the same siblings.
library MemoryLib {
    /// Byte `i` (0 = lowest address) of a leaf.
    function getByte(bytes32 leaf, uint256 i) internal pure returns (uint256) {
        return uint256(leaf) >> (8 * (31 - i)) & 0xff;
    }

    /// The leaf with byte `i` replaced by `b`.
    function setByte(bytes32 leaf, uint256 i, uint256 b) internal pure returns (bytes32) {
        uint256 shift = 8 * (31 - i);
        return bytes32((uint256(leaf) & ~(uint256(0xff) << shift)) | ((b & 0xff) << shift));
    }

    /// Reads the leaf proof of leaf `index` and checks it against `root`.
    function proveLeaf(bytes calldata w, uint256 off, bytes32 root, uint8 depth, uint256 index)
        internal
        pure
        returns (bytes32 leaf, bytes calldata siblings, uint256 next)
    {
        return MerkleLib.proveLeaf(TAG_MEMORY, root, index, depth, w, off);
    }

    /// `size ≤ 8` little-endian bytes at `ea`: leaf `ea / 32`, then leaf `ea / 32 + 1` if
    /// the access crosses into it, both against `root`.
    function load(
        bytes calldata w,
        uint256 off,
        bytes32 root,
        uint8 depth,
        uint256 ea,
        uint256 size
    ) internal pure returns (uint64 v, uint256 next) {
        uint256 pos = ea % 32;
        bytes32 first;
        bytes32 second;
        (first,, off) = proveLeaf(w, off, root, depth, ea / 32);
        if (pos + size > 32) (second,, off) = proveLeaf(w, off, root, depth, ea / 32 + 1);
        uint256 acc;
        for (uint256 i = 0; i < size; i++) {
            uint256 at = pos + i;
            uint256 b = at < 32 ? getByte(first, at) : getByte(second, at - 32);
            acc |= b << (8 * i);
        }
        return (uint64(acc), off);
    }

    /// Writes the low `size ≤ 8` bytes of `value` little-endian at `ea`. The second leaf's
    /// proof (when the store crosses into it) is against the root after the first write.
    function store(
        bytes calldata w,
        uint256 off,
        bytes32 root,
        uint8 depth,
        uint256 ea,
        uint256 size,
        uint64 value
    ) internal pure returns (bytes32, uint256) {
        uint256 pos = ea % 32;
        uint256 n = pos + size > 32 ? 32 - pos : size;
        (root, off) = _storeInLeaf(w, off, root, depth, ea / 32, pos, n, value);
        if (n < size) {
            (root, off) =
                _storeInLeaf(w, off, root, depth, ea / 32 + 1, 0, size - n, value >> (8 * n));
        }
        return (root, off);
    }

    /// Writes the low `n` bytes of `value` from byte `pos` of leaf `index`.
    function _storeInLeaf(
        bytes calldata w,
        uint256 off,
        bytes32 root,
        uint8 depth,
        uint256 index,
        uint256 pos,
        uint256 n,
        uint64 value
    ) private pure returns (bytes32, uint256) {
        (bytes32 leaf, bytes calldata siblings, uint256 next) =
            proveLeaf(w, off, root, depth, index);
        for (uint256 i = 0; i < n; i++) {
            leaf = setByte(leaf, pos + i, uint256(value) >> (8 * i));
        }
        return (MerkleLib.rootFromProof(TAG_MEMORY, index, leaf, siblings), next);
    }

    /// `n` bytes at the 32-byte aligned `p`: leaf proofs for leaves `p/32 .. (p+n-1)/32`
    /// in order (none if `n = 0`), each against `root`.
    function readBytes(
        bytes calldata w,
        uint256 off,
        bytes32 root,
        uint8 depth,
        uint256 p,
        uint256 n
    ) internal pure returns (bytes memory data, uint256 next) {
        uint256 leaves = (n + 31) / 32;
        data = new bytes(leaves * 32);
        for (uint256 i = 0; i < leaves; i++) {
            bytes32 leaf;
            (leaf,, off) = proveLeaf(w, off, root, depth, p / 32 + i);
            assembly ("memory-safe") {
                mstore(add(add(data, 32), shl(5, i)), leaf)
            }
        }
        // Whole leaves were copied; the data is their first n bytes.
        assembly ("memory-safe") {
            mstore(data, n)
        }
        return (data, off);
    }

    /// Replaces the 32-byte word at the aligned `p`: one leaf proof (the old leaf).
    function writeWord(
        bytes calldata w,
        uint256 off,
        bytes32 root,
        uint8 depth,
        uint256 p,
        bytes32 word
    ) internal pure returns (bytes32 newRoot, uint256 next) {
        bytes calldata siblings;
        (, siblings, next) = proveLeaf(w, off, root, depth, p / 32);
        newRoot = MerkleLib.rootFromProof(TAG_MEMORY, p / 32, word, siblings);
    }
}
