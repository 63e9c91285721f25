// SPDX-License-Identifier: MIT
pragma solidity ^0.8.37;

import {BadMerkleProof} from "./Errors.sol";
import {Decoder} from "./Decoder.sol";
import {TAG_LOCALS} from "./Constants.sol";

/// @title MerkleLib — fixed-depth binary Merkle trees (Rust `fuse_vm::merkle`, `fuse_verifier::merkle`).
/// @notice Inner nodes are `keccak256(tag ‖ left ‖ right)`, leaves are raw 32-byte words,
///         absent leaves are zero and a depth-0 tree's root is its leaf
///         (docs/spec/machine-hash.md, "Trees"). Depths always come from the instruction, the
///         static hash or a committed length, never from the proof. The tags are
///         Constants.sol's `TAG_MEMORY` .. `TAG_DATA`.
library MerkleLib {
    function node(uint8 tag, bytes32 left, bytes32 right) internal pure returns (bytes32 h) {
        // Hashed in scratch memory past the free pointer: a proof hashes dozens of nodes and
        // abi.encodePacked would allocate (and pay expansion for) every one of them.
        assembly ("memory-safe") {
            let p := mload(0x40)
            mstore8(p, tag)
            mstore(add(p, 1), left)
            mstore(add(p, 33), right)
            h := keccak256(p, 65)
        }
    }

    /// The root of an all-zero subtree of `height` under `tag`.
    function zeroHash(uint8 tag, uint256 height) internal pure returns (bytes32 h) {
        for (uint256 k = 0; k < height; k++) {
            h = node(tag, h, h);
        }
    }

    /// The root that `leaf` at `index` gives with `siblings` (32 bytes each, bottom-up, still
    /// in calldata); bit k of `index` says whether the path is the right child at height k.
    function rootFromProof(uint8 tag, uint256 index, bytes32 leaf, bytes calldata siblings)
        internal
        pure
        returns (bytes32 h)
    {
        h = leaf;
        assembly ("memory-safe") {
            let p := mload(0x40)
            mstore8(p, tag)
            let s := siblings.offset
            for { let end := add(s, siblings.length) } lt(s, end) { s := add(s, 32) } {
                switch and(index, 1)
                case 0 {
                    mstore(add(p, 1), h)
                    mstore(add(p, 33), calldataload(s))
                }
                default {
                    mstore(add(p, 1), calldataload(s))
                    mstore(add(p, 33), h)
                }
                h := keccak256(p, 65)
                index := shr(1, index)
            }
        }
    }

    /// The same over siblings in memory (tests and tools build proofs this way).
    function rootFromProof(uint8 tag, uint256 index, bytes32 leaf, bytes32[] memory siblings)
        internal
        pure
        returns (bytes32 h)
    {
        h = leaf;
        for (uint256 k = 0; k < siblings.length; k++) {
            h = (index >> k) & 1 == 0 ? node(tag, h, siblings[k]) : node(tag, siblings[k], h);
        }
    }

    /// `ceil(log2(n))`, 0 for `n ≤ 1`: the depth of a tree with `n` leaves.
    function treeDepth(uint256 n) internal pure returns (uint8 d) {
        while ((uint256(1) << d) < n) d++;
    }

    /// Reads a leaf proof (`leaf ‖ siblings`) of a depth-`depth` tree at `off`.
    function readLeafProof(bytes calldata proof, uint256 off, uint8 depth)
        internal
        pure
        returns (bytes32 leaf, bytes calldata siblings, uint256 next)
    {
        (leaf, off) = Decoder.readBytes32(proof, off);
        (siblings, next) = Decoder.readBytes(proof, off, uint256(depth) * 32);
    }

    /// Reads a leaf proof and checks it is leaf `index` of the tree whose root is `root`
    /// (`BadMerkleProof(tag)` if not, or if `index` does not fit in `depth` bits). A write reuses `siblings` with the new leaf.
    function proveLeaf(
        uint8 tag,
        bytes32 root,
        uint256 index,
        uint8 depth,
        bytes calldata proof,
        uint256 off
    ) internal pure returns (bytes32 leaf, bytes calldata siblings, uint256 next) {
        (leaf, siblings, next) = readLeafProof(proof, off, depth);
        // An index the depth cannot hold would alias another leaf (the path ignores its high
        // bits); the step semantics never ask for one, so the proof and the state disagree.
        if (index >> depth != 0) revert BadMerkleProof(tag);
        if (rootFromProof(tag, index, leaf, siblings) != root) revert BadMerkleProof(tag);
    }

    /// The root of a depth-`depth` tree whose first leaves are `leaves` and the rest zero.
    /// Hashes only the non-zero part plus one zero subtree per level. Overwrites `leaves`.
    /// The caller guarantees `leaves.length ≤ 2^depth`.
    function rootOfLeaves(uint8 tag, bytes32[] memory leaves, uint256 depth)
        internal
        pure
        returns (bytes32)
    {
        uint256 n = leaves.length;
        if (n == 0) return zeroHash(tag, depth);
        bytes32 zero; // the zero subtree at the current height
        for (uint256 k = 0; k < depth; k++) {
            uint256 m = (n + 1) / 2;
            for (uint256 i = 0; i < m; i++) {
                bytes32 right = 2 * i + 1 < n ? leaves[2 * i + 1] : zero;
                leaves[i] = node(tag, leaves[2 * i], right);
            }
            n = m;
            zero = node(tag, zero, zero);
        }
        return leaves[0];
    }

    /// One leaf of up to four u64, big-endian, slot 0 first (locals and globals).
    function packLeaf(uint64[] memory values, uint256 from) internal pure returns (bytes32 leaf) {
        uint256 w;
        for (uint256 j = 0; j < 4 && from + j < values.length; j++) {
            w |= uint256(values[from + j]) << (192 - 64 * j);
        }
        leaf = bytes32(w);
    }

    /// The locals root of a new frame: `values` four to a leaf, zero leaves up to `2^depth`.
    function buildLocalsRoot(uint64[] memory values, uint8 depth) internal pure returns (bytes32) {
        bytes32[] memory leaves = new bytes32[]((values.length + 3) / 4);
        for (uint256 i = 0; i < leaves.length; i++) {
            leaves[i] = packLeaf(values, 4 * i);
        }
        return rootOfLeaves(TAG_LOCALS, leaves, depth);
    }

    /// Slot `slot` (0..3) of a locals or globals leaf.
    function getSlot(bytes32 leaf, uint256 slot) internal pure returns (uint64) {
        return uint64(uint256(leaf) >> (192 - 64 * slot));
    }

    /// The leaf with slot `slot` replaced by `v`.
    function setSlot(bytes32 leaf, uint256 slot, uint64 v) internal pure returns (bytes32) {
        uint256 shift = 192 - 64 * slot;
        uint256 cleared = uint256(leaf) & ~(uint256(type(uint64).max) << shift);
        return bytes32(cleared | (uint256(v) << shift));
    }
}
