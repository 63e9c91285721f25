// SPDX-License-Identifier: MIT
pragma solidity ^0.8.37;

import {IOneStepInbox} from "../osp/IOneStepInbox.sol";

/// @title InboxDouble — a test double of the L1 inbox for the one-step prover's tests.
/// @notice Stores whatever accumulators it is given, with no access control and no message
///         data: the OSP's differential tests (Solidity and Rust) push the accumulator chain
///         of their messages and prove `read_inbox` steps against it. Not for deployment; the
///         real Inbox replaces it when it lands. It lives in src/ so its artifact is exported
///         for the Rust tests.
contract InboxDouble is IOneStepInbox {
    bytes32[] private accumulators;

    /// Appends the accumulator of the next message (anyone may call).
    function push(bytes32 accumulator_) external {
        accumulators.push(accumulator_);
    }

    function messageCount() external view returns (uint256) {
        return accumulators.length;
    }

    function accumulator(uint256 index) external view returns (bytes32) {
        return accumulators[index];
    }
}
