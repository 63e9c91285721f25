// SPDX-License-Identifier: MIT
pragma solidity ^0.8.37;

import {IChallengeResultReceiver} from "../rollup/IChallengeResultReceiver.sol";
import {ChallengeManager} from "../rollup/ChallengeManager.sol";

/// @title ChallengeResultRecorder — a test double of the Rollup's side of the ChallengeManager.
/// @notice Records every result reported to it, in order, and forwards `createChallenge` and
///         `forfeit` for anyone, so tests (Solidity and Rust) can open and end challenges with
///         it as the manager's rollup without stakes or assertions. It trusts every caller of
///         `completeChallenge`. Not for deployment; the Rollup replaces it. It lives in src/
///         so its artifact is exported for the Rust tests.
contract ChallengeResultRecorder is IChallengeResultReceiver {
    struct Result {
        uint256 challengeId;
        address winner;
        address loser;
    }

    Result[] private results;
    mapping(uint256 => uint256) private reports;

    event ResultRecorded(uint256 indexed challengeId, address winner, address loser);

    /// @notice Records the result (anyone may call).
    function completeChallenge(uint256 challengeId, address winner, address loser) external {
        results.push(Result(challengeId, winner, loser));
        reports[challengeId] += 1;
        emit ResultRecorded(challengeId, winner, loser);
    }

    /// @notice Opens a challenge on `manager` as its rollup (anyone may call).
    function createChallenge(
        ChallengeManager manager,
        address challenger,
        address defender,
        bytes32 startStateHash,
        bytes32 endStateHash,
        uint256 numBlocks,
        bytes32 moduleRoot
    ) external returns (uint256) {
        return manager.createChallenge(
            challenger, defender, startStateHash, endStateHash, numBlocks, moduleRoot
        );
    }

    /// @notice Forfeits `loser`'s challenge `id` on `manager` as its rollup (anyone may call).
    function forfeit(ChallengeManager manager, uint256 id, address loser)
        external
        returns (address)
    {
        return manager.forfeit(id, loser);
    }

    /// @notice Number of results recorded, over all challenges.
    function resultCount() external view returns (uint256) {
        return results.length;
    }

    /// @notice The `i`-th result recorded.
    function resultAt(uint256 i) external view returns (Result memory) {
        return results[i];
    }

    /// @notice How many times challenge `challengeId` was reported.
    function timesReported(uint256 challengeId) external view returns (uint256) {
        return reports[challengeId];
    }
}
