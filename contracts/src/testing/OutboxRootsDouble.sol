// SPDX-License-Identifier: MIT
pragma solidity ^0.8.37;

import {IOutboxRoots} from "../rollup/IOutboxRoots.sol";

/// @title OutboxRootsDouble — a test double of the Rollup's confirmed outbox roots.
/// @notice Anyone may confirm or un-confirm any root, so the Outbox's tests (Solidity and Rust)
///         can withdraw against trees they build themselves. Not for deployment; the Rollup
///         replaces it. It lives in src/ so its artifact is exported for the Rust tests.
contract OutboxRootsDouble is IOutboxRoots {
    mapping(bytes32 => bool) private confirmed;

    /// @notice Marks `root` confirmed (`ok`) or not (anyone may call).
    /// @param root An outbox root.
    /// @param ok Whether withdrawals may be proven against it.
    function setConfirmed(bytes32 root, bool ok) external {
        confirmed[root] = ok;
    }

    /// @notice Whether `root` was last set confirmed.
    /// @param root An outbox root.
    function isConfirmedOutboxRoot(bytes32 root) external view returns (bool) {
        return confirmed[root];
    }
}
