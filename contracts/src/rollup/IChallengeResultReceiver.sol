// SPDX-License-Identifier: MIT
pragma solidity ^0.8.37;

/// @title IChallengeResultReceiver — how the ChallengeManager reports a finished challenge.
/// @notice The Rollup implements it: it removes and slashes the loser's staker and credits
///         the winner (docs/spec/protocol.md, "Outcome"). The ChallengeManager calls it exactly
///         once per challenge that ends by a one-step proof or a timeout, after the challenge
///         is already marked ended, so a re-entering call finds every move closed. A challenge
///         ended by `forfeit` is not reported here: the Rollup itself asked for that ending.
interface IChallengeResultReceiver {
    /// @param challengeId The ChallengeManager's id of the challenge.
    /// @param winner The party that won.
    /// @param loser The party that lost.
    function completeChallenge(uint256 challengeId, address winner, address loser) external;
}
