// SPDX-License-Identifier: MIT
pragma solidity ^0.8.37;

import {Hashing} from "./Hashing.sol";

/// @title MachineHashes — the two machine-hash constructors the ChallengeManager relies on.
/// @notice Level 1 of a challenge agrees on global states; level 2 bisects machine hashes from
///         `initialMachineHash(moduleRoot, gsBefore)` to `finishedMachineHash(gsAfter)`. These
///         functions tie the two levels together (docs/design.md#rule-1). The one-step prover entry
///         inherits them.
contract MachineHashes {
    function globalStateHash(Hashing.GlobalState calldata gs) external pure returns (bytes32) {
        return Hashing.globalStateHash(gs);
    }

    function initialMachineHash(bytes32 moduleRoot, bytes32 gsHash)
        external
        pure
        returns (bytes32)
    {
        return Hashing.initialMachineHash(moduleRoot, gsHash);
    }

    function finishedMachineHash(bytes32 gsHash) external pure returns (bytes32) {
        return Hashing.finishedMachineHash(gsHash);
    }
}
