// SPDX-License-Identifier: MIT
pragma solidity ^0.8.37;

import {ProofTruncated} from "./Errors.sol";

// Truncating casts are the semantics here (i32 values are the low 32 bits of a slot, fields
// are bit slices of a word), so the lint that flags them is off for this item.
// forge-lint: disable-next-item(unsafe-typecast)
/// @title Decoder — a cursor over a proof in calldata (Rust `proof::Decoder`).
/// @notice Every read takes the current offset and returns the value and the next offset, so
///         the proof is read in place and never copied. Integers are big-endian. A read past
///         the end reverts `ProofTruncated()`.
library Decoder {
    /// Reads `n ≤ 32` bytes at `off` as a big-endian integer.
    function _readUint(bytes calldata data, uint256 off, uint256 n)
        private
        pure
        returns (uint256 v, uint256 next)
    {
        next = off + n;
        if (next > data.length) revert ProofTruncated();
        assembly ("memory-safe") {
            // calldataload reads 32 bytes; the shift keeps the n bytes that were checked.
            v := shr(sub(256, shl(3, n)), calldataload(add(data.offset, off)))
        }
    }

    function readU8(bytes calldata data, uint256 off) internal pure returns (uint8, uint256) {
        (uint256 v, uint256 next) = _readUint(data, off, 1);
        return (uint8(v), next);
    }

    function readU16(bytes calldata data, uint256 off) internal pure returns (uint16, uint256) {
        (uint256 v, uint256 next) = _readUint(data, off, 2);
        return (uint16(v), next);
    }

    function readU32(bytes calldata data, uint256 off) internal pure returns (uint32, uint256) {
        (uint256 v, uint256 next) = _readUint(data, off, 4);
        return (uint32(v), next);
    }

    function readU64(bytes calldata data, uint256 off) internal pure returns (uint64, uint256) {
        (uint256 v, uint256 next) = _readUint(data, off, 8);
        return (uint64(v), next);
    }

    function readBytes32(bytes calldata data, uint256 off)
        internal
        pure
        returns (bytes32 v, uint256 next)
    {
        next = off + 32;
        if (next > data.length) revert ProofTruncated();
        assembly ("memory-safe") {
            v := calldataload(add(data.offset, off))
        }
    }

    /// A slice of `n` bytes at `off`, still in calldata.
    function readBytes(bytes calldata data, uint256 off, uint256 n)
        internal
        pure
        returns (bytes calldata slice, uint256 next)
    {
        next = off + n;
        if (next > data.length) revert ProofTruncated();
        slice = data[off:next];
    }
}
