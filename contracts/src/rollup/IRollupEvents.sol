// SPDX-License-Identifier: MIT
pragma solidity ^0.8.37;

import {Hashing} from "../osp/Hashing.sol";

/// @title IRollupEvents — what the Rollup emits and the errors it reverts with
///        (docs/spec/protocol.md), apart from its logic so the contract's source stays short
///        and off-chain readers, tests and bindings name them in one place.
interface IRollupEvents {
    event AssertionCreated(
        uint256 indexed id,
        uint256 indexed parentId,
        address indexed creator,
        Hashing.GlobalState afterState,
        bytes32 afterStateHash,
        uint256 nextInbox,
        bytes32 moduleRoot
    );
    event AssertionConfirmed(uint256 indexed id, bytes32 outboxRoot);
    event AssertionRejected(uint256 indexed id);
    /// A new bond of `amount` on `assertionId`.
    event Staked(address indexed staker, uint256 indexed assertionId, uint256 amount);
    event StakerMoved(address indexed staker, uint256 indexed from, uint256 indexed to);
    event StakeWithdrawn(address indexed staker, uint256 indexed assertionId, uint256 amount);
    /// `staker` lost its bond on `assertionId` to challenge winner `winner`.
    event StakerRemoved(
        address indexed staker, uint256 indexed assertionId, address indexed winner
    );
    event ChallengeOpened(
        uint256 indexed challengeId,
        address indexed challenger,
        address indexed defender,
        uint256 x,
        uint256 y
    );
    event ChallengeCompleted(uint256 indexed challengeId, address indexed winner, address loser);
    event ChallengeForfeited(uint256 indexed challengeId, address indexed winner, address loser);
    event Credited(address indexed account, uint256 amount);
    event FundsWithdrawn(address indexed account, uint256 amount);
    event ModuleRootScheduled(bytes32 next, uint256 at);
    event OwnershipTransferred(address indexed previous, address indexed next);

    error ZeroAddress();
    error ZeroValue();
    error WrongRollup(address named);
    error InboxMismatch(address challengeInbox);
    error ClockTooLong(uint256 clock, uint256 challengePeriod);
    error BondTooSmall(uint256 bond, uint256 needed);
    error ModuleRootDelayTooShort(uint256 delay, uint256 needed);
    error NotOwner(address caller);
    error NotChallengeManager(address caller);
    error NoSuchAssertion(uint256 id);
    error ParentRejected(uint256 parentId);
    error WrongInboxPosition(uint64 given, uint64 expected);
    error MessagesMissing(uint64 needed, uint64 count);
    error RivalAfterDeadline(uint256 deadline);
    error FamilyClosed(uint256 parentId, uint256 deadline);
    error InboxTooLong(uint256 count);
    error WrongBond(uint256 given, uint256 expected);
    error StakeMovesSideways(uint256 current, uint256 parentOfTarget);
    error StakerIsRemoved(address staker);
    error NotPending(uint256 id);
    error NotChildOfLatestConfirmed(uint256 id);
    error BeforeDeadline(uint256 deadline);
    error HasLiveRival(uint256 id);
    error Unsupported(uint256 id);
    error CannotReject(uint256 id);
    error NotStaked(address staker);
    error NotConfirmed(uint256 id);
    error InChallenge(address staker, uint256 openChallenges);
    error AlreadyInChallenge(uint256 challengeId);
    error SameParty(address party);
    error ChallengeNotOpen(uint256 challengeId);
    error NoPartyRemoved(uint256 challengeId);
    error NothingToWithdraw();
    error EthTransferFailed(address to, uint256 amount);
    error AwaitingNewModuleRoot(uint256 parentId, bytes32 stuckModuleRoot);
}
