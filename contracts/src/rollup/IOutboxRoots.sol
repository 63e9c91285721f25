// SPDX-License-Identifier: MIT
pragma solidity ^0.8.37;

/// @title IOutboxRoots — which outbox roots withdrawals may be proven against.
/// @notice The Rollup records the outbox root of every confirmed assertion; the Outbox asks it
///         before paying anything (docs/spec/outbox.md).
interface IOutboxRoots {
    /// @notice Whether `root` is the outbox root of a confirmed assertion.
    /// @param root An outbox root (the root of the depth-32 withdrawal tree).
    function isConfirmedOutboxRoot(bytes32 root) external view returns (bool);
}
