// SPDX-License-Identifier: MIT
pragma solidity ^0.8.37;

/// @title IOneStepInbox — what the one-step prover needs from the L1 inbox.
/// @notice A `read_inbox` step is checked against the accumulator the inbox stored for the
///         message the machine reads (docs/spec/inbox.md), so the prover asks only for that.
interface IOneStepInbox {
    /// Number of messages appended so far; positions `0 .. messageCount() - 1` exist.
    function messageCount() external view returns (uint256);

    /// The accumulator after message `index` was appended.
    function accumulator(uint256 index) external view returns (bytes32);
}
