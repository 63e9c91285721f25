// SPDX-License-Identifier: MIT
pragma solidity ^0.8.37;

import {Hashing} from "../osp/Hashing.sol";
import {Inbox} from "./Inbox.sol";
import {ChallengeManager} from "./ChallengeManager.sol";
import {IChallengeResultReceiver} from "./IChallengeResultReceiver.sol";
import {IOutboxRoots} from "./IOutboxRoots.sol";
import {Assertion, AssertionStatus, Staker} from "./RollupTypes.sol";

/// @title Rollup — assertions, stakes and the Rollup's side of challenges.
/// @notice Implements docs/spec/protocol.md, "Assertions" and "Stakes": stakers bond `bond`
///         wei on assertions that claim the global state after a fixed inbox range; rival
///         assertions are fought out on the ChallengeManager, whose results remove and slash
///         the loser; an assertion is confirmed once its deadline has passed and every rival
///         is rejected. Confirmed assertions' outbox roots are what the Outbox pays against.
/// @dev The ChallengeManager and the Rollup each need the other's address. The deployer
///      predicts the Rollup's address (its own next CREATE address after the manager's),
///      deploys the ChallengeManager with it, then the Rollup, whose constructor checks that
///      the manager names it. Both links stay immutable: no owner step, no window in which
///      the Rollup has no manager, and nothing an owner could later swap.
contract Rollup is IChallengeResultReceiver, IOutboxRoots {
    struct ChallengeInfo {
        address challenger;
        address defender;
        bool open;
    }

    // ---------------------------------------------------------------- configuration

    Inbox public immutable inbox;
    ChallengeManager public immutable challenges;
    /// The one bond amount (rule 7).
    uint256 public immutable bond;
    /// Seconds after a parent's first child during which rivals may be created.
    uint256 public immutable challengePeriod;
    /// Receives slashed bonds (as a withdrawable credit).
    address public immutable escrow;

    // ---------------------------------------------------------------- state

    address public owner;
    /// The module root given to parents that get their first child from now on.
    bytes32 public moduleRoot;
    uint256 public assertionCount;
    uint256 public latestConfirmed;
    mapping(uint256 => Assertion) private assertions;
    mapping(address => Staker) public stakers;
    mapping(uint256 => ChallengeInfo) public challengeInfo;
    /// Pull payments: challenge winners' halves and the escrow's slashed bonds.
    mapping(address => uint256) public credits;
    mapping(bytes32 => bool) private confirmedOutboxRoots;
    /// `keccak256(abi.encode(parentId, afterStateHash))` of every assertion created: a second
    /// child of one parent with the same claim could neither be challenged (nobody disagrees
    /// with it) nor rejected while staked, and would keep its parent's `liveChildren` above one
    /// forever, so no sibling could ever be confirmed.
    mapping(bytes32 => bool) private claimed;

    // ---------------------------------------------------------------- events

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
    /// `staker` lost its bond on `assertionId`: to `winner` and the escrow (half each) after a
    /// lost challenge, or (winner zero) all to the escrow for standing on a rejected branch.
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
    event ModuleRootSet(bytes32 previous, bytes32 next);
    event OwnershipTransferred(address indexed previous, address indexed next);

    // ---------------------------------------------------------------- errors

    error ZeroAddress();
    error ZeroValue();
    error WrongRollup(address named);
    error InboxMismatch(address challengeInbox);
    error NotOwner(address caller);
    error NotChallengeManager(address caller);
    error NoSuchAssertion(uint256 id);
    error ParentRejected(uint256 parentId);
    error AssertionConsumesNoMessage(uint256 parentId);
    error WrongInboxPosition(uint64 given, uint64 expected);
    error RivalAfterDeadline(uint256 deadline);
    error DuplicateAssertion(uint256 parentId, bytes32 afterStateHash);
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
    error NotRejected(uint256 id);
    error InChallenge(address staker, uint256 openChallenges);
    error NotRivals(uint256 x, uint256 y);
    error NotDescendant(address staker, uint256 ancestor);
    error SameParty(address party);
    error ChallengeNotOpen(uint256 challengeId);
    error NoPartyRemoved(uint256 challengeId);
    error NothingToWithdraw();
    error EthTransferFailed(address to, uint256 amount);

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        _;
    }

    /// @param inbox_ The Inbox; also the one the manager proves `read_inbox` steps against.
    /// @param challenges_ The ChallengeManager, already deployed with this contract's address.
    /// @param moduleRoot_ The initial module root.
    /// @param bond_ The bond in wei (> 0).
    /// @param challengePeriod_ Seconds rivals have after a parent's first child (> 0).
    /// @param escrow_ Receives slashed bonds.
    /// @param owner_ May set the module root.
    constructor(
        Inbox inbox_,
        ChallengeManager challenges_,
        bytes32 moduleRoot_,
        uint256 bond_,
        uint256 challengePeriod_,
        address escrow_,
        address owner_
    ) {
        if (
            address(inbox_) == address(0) || address(challenges_) == address(0)
                || escrow_ == address(0) || owner_ == address(0)
        ) revert ZeroAddress();
        if (bond_ == 0 || challengePeriod_ == 0) revert ZeroValue();
        if (address(challenges_.rollup()) != address(this)) {
            revert WrongRollup(address(challenges_.rollup()));
        }
        // A proof against another inbox could settle a step the real messages contradict.
        if (address(challenges_.inbox()) != address(inbox_)) {
            revert InboxMismatch(address(challenges_.inbox()));
        }
        inbox = inbox_;
        challenges = challenges_;
        bond = bond_;
        challengePeriod = challengePeriod_;
        escrow = escrow_;
        owner = owner_;
        moduleRoot = moduleRoot_;
        emit OwnershipTransferred(address(0), owner_);
        emit ModuleRootSet(bytes32(0), moduleRoot_);

        // Genesis: the all-zero global state, confirmed, its own parent.
        Hashing.GlobalState memory zero;
        Assertion storage g = assertions[0];
        g.status = AssertionStatus.Confirmed;
        g.afterStateHash = Hashing.globalStateHash(zero);
        g.nextInbox = _inboxCount();
        g.moduleRoot = moduleRoot_;
        assertionCount = 1;
        confirmedOutboxRoots[bytes32(0)] = true;
        emit AssertionCreated(0, 0, address(0), zero, g.afterStateHash, g.nextInbox, moduleRoot_);
        emit AssertionConfirmed(0, bytes32(0));
    }

    // ---------------------------------------------------------------- assertions

    /// @notice Claims `afterState` after the blocks `parent.afterInbox .. parent.nextInbox-1`
    ///         and stakes the sender on it: a new bond (exactly `bond` wei) or, if already
    ///         staked, its stake moved down from `parentId` (no value).
    /// @return id The new assertion.
    function createAssertion(uint256 parentId, Hashing.GlobalState calldata afterState)
        external
        payable
        returns (uint256 id)
    {
        Assertion storage p = _get(parentId);
        if (p.status == AssertionStatus.Rejected) revert ParentRejected(parentId);
        if (p.nextInbox <= p.afterInbox) revert AssertionConsumesNoMessage(parentId);
        // So rivals cover exactly the same range.
        if (afterState.inboxPosition != p.nextInbox) {
            revert WrongInboxPosition(afterState.inboxPosition, p.nextInbox);
        }
        if (p.children == 0) {
            // forge-lint: disable-next-line(unsafe-typecast)
            p.firstChildAt = uint64(block.timestamp);
            p.childModuleRoot = moduleRoot;
        } else if (block.timestamp >= p.firstChildAt + challengePeriod) {
            revert RivalAfterDeadline(p.firstChildAt + challengePeriod);
        }
        bytes32 afterStateHash = Hashing.globalStateHash(afterState);
        bytes32 key = keccak256(abi.encode(parentId, afterStateHash));
        if (claimed[key]) revert DuplicateAssertion(parentId, afterStateHash);
        claimed[key] = true;
        p.children += 1;
        p.liveChildren += 1;

        id = assertionCount++;
        Assertion storage a = assertions[id];
        // forge-lint: disable-next-line(unsafe-typecast)
        a.parent = uint64(parentId);
        a.height = p.height + 1;
        a.afterInbox = afterState.inboxPosition;
        a.nextInbox = _inboxCount();
        a.status = AssertionStatus.Pending;
        a.afterStateHash = afterStateHash;
        a.outboxRoot = afterState.outboxRoot;
        a.moduleRoot = p.childModuleRoot;
        emit AssertionCreated(
            id, parentId, msg.sender, afterState, a.afterStateHash, a.nextInbox, a.moduleRoot
        );
        _stake(id, parentId);
    }

    /// @notice Stakes the sender on pending assertion `id` (a new bond, or its stake moved
    ///         down from `id`'s parent).
    function stakeOn(uint256 id) external payable {
        Assertion storage a = _get(id);
        if (a.status != AssertionStatus.Pending) revert NotPending(id);
        _stake(id, a.parent);
    }

    /// @notice Confirms `id` (anyone): pending, child of the latest confirmed, past its
    ///         deadline, every sibling rejected, and supported.
    function confirm(uint256 id) external {
        Assertion storage a = _get(id);
        if (a.status != AssertionStatus.Pending) revert NotPending(id);
        if (a.parent != latestConfirmed) revert NotChildOfLatestConfirmed(id);
        Assertion storage p = assertions[a.parent];
        uint256 deadline = p.firstChildAt + challengePeriod;
        if (block.timestamp < deadline) revert BeforeDeadline(deadline);
        if (p.liveChildren != 1) revert HasLiveRival(id);
        if (a.directStakers + a.liveChildren == 0) revert Unsupported(id);
        a.status = AssertionStatus.Confirmed;
        latestConfirmed = id;
        confirmedOutboxRoots[a.outboxRoot] = true;
        emit AssertionConfirmed(id, a.outboxRoot);
    }

    /// @notice Rejects `id` (anyone): pending, and its parent is rejected, a sibling is
    ///         confirmed, or its deadline has passed and nobody supports it.
    function reject(uint256 id) external {
        Assertion storage a = _get(id);
        if (a.status != AssertionStatus.Pending) revert NotPending(id);
        Assertion storage p = assertions[a.parent];
        // Confirmed assertions form one chain: a confirmed parent that is not the latest has
        // a confirmed child, and it is not the pending `id`, so it is a sibling.
        bool siblingConfirmed = p.status == AssertionStatus.Confirmed && a.parent != latestConfirmed;
        bool unsupportedLate = block.timestamp >= p.firstChildAt + challengePeriod
            && a.directStakers == 0 && a.liveChildren == 0;
        if (p.status != AssertionStatus.Rejected && !siblingConfirmed && !unsupportedLate) {
            revert CannotReject(id);
        }
        a.status = AssertionStatus.Rejected;
        p.liveChildren -= 1;
        emit AssertionRejected(id);
    }

    // ---------------------------------------------------------------- stakes

    /// @notice Returns the sender's bond: its assertion is confirmed and it is in no
    ///         challenge.
    function withdrawStake() external {
        Staker storage s = stakers[msg.sender];
        if (!s.staked) revert NotStaked(msg.sender);
        uint256 current = s.current;
        if (assertions[current].status != AssertionStatus.Confirmed) revert NotConfirmed(current);
        if (s.openChallenges != 0) revert InChallenge(msg.sender, s.openChallenges);
        assertions[current].directStakers -= 1;
        delete stakers[msg.sender];
        emit StakeWithdrawn(msg.sender, current, bond);
        _send(msg.sender, bond);
    }

    /// @notice Slashes `staker` (anyone): its assertion is rejected; the whole bond goes to
    ///         the escrow. Its open challenges, if any, can then be forfeited.
    function slashRejected(address staker) external {
        Staker storage s = stakers[staker];
        if (!s.staked) revert NotStaked(staker);
        uint256 current = s.current;
        if (assertions[current].status != AssertionStatus.Rejected) revert NotRejected(current);
        _remove(staker, s);
        _credit(escrow, bond);
        emit StakerRemoved(staker, current, address(0));
    }

    /// @notice Pays the sender its credits (challenge winnings; the escrow's slashed bonds).
    function withdrawFunds() external {
        uint256 amount = credits[msg.sender];
        if (amount == 0) revert NothingToWithdraw();
        credits[msg.sender] = 0;
        emit FundsWithdrawn(msg.sender, amount);
        _send(msg.sender, amount);
    }

    // ---------------------------------------------------------------- challenges

    /// @notice Opens a challenge: the sender (staked on `y` or a descendant `challengerDepth`
    ///         levels below) disputes `x`, supported by `defender` (on `x` or a descendant
    ///         `defenderDepth` levels below). `x` and `y` are pending rivals.
    /// @return challengeId The ChallengeManager's id.
    function createChallenge(
        uint256 x,
        uint256 y,
        address defender,
        uint256 defenderDepth,
        uint256 challengerDepth
    ) external returns (uint256 challengeId) {
        Assertion storage ax = _get(x);
        Assertion storage ay = _get(y);
        if (x == y || ax.parent != ay.parent) revert NotRivals(x, y);
        if (ax.status != AssertionStatus.Pending) revert NotPending(x);
        if (ay.status != AssertionStatus.Pending) revert NotPending(y);
        if (defender == msg.sender) revert SameParty(defender);
        Staker storage d = _liveStaker(defender);
        Staker storage c = _liveStaker(msg.sender);
        if (_ancestor(d.current, defenderDepth) != x) revert NotDescendant(defender, x);
        if (_ancestor(c.current, challengerDepth) != y) revert NotDescendant(msg.sender, y);
        Assertion storage p = assertions[ax.parent];
        challengeId = challenges.createChallenge(
            msg.sender,
            defender,
            p.afterStateHash,
            ax.afterStateHash,
            ax.afterInbox - p.afterInbox,
            ax.moduleRoot
        );
        challengeInfo[challengeId] = ChallengeInfo(msg.sender, defender, true);
        c.openChallenges += 1;
        d.openChallenges += 1;
        emit ChallengeOpened(challengeId, msg.sender, defender, x, y);
    }

    /// @inheritdoc IChallengeResultReceiver
    /// @dev Never reverts for the manager's call: a revert would undo the winning move. The
    ///      loser is removed and slashed unless it already was (then nobody is slashed).
    function completeChallenge(uint256 challengeId, address winner, address loser) external {
        if (msg.sender != address(challenges)) revert NotChallengeManager(msg.sender);
        ChallengeInfo storage info = challengeInfo[challengeId];
        if (!info.open) return;
        info.open = false;
        emit ChallengeCompleted(challengeId, winner, loser);
        Staker storage l = stakers[loser];
        if (l.staked) {
            uint256 current = l.current;
            // The loser's count drops after removal, so its record survives while other
            // challenges remain to forfeit.
            _remove(loser, l);
            uint256 half = bond / 2;
            _credit(winner, half);
            _credit(escrow, bond - half);
            emit StakerRemoved(loser, current, winner);
        }
        _closeFor(loser);
        _closeFor(winner);
    }

    /// @notice Ends an open challenge one of whose parties has been removed (anyone): the
    ///         other party wins, nobody is slashed.
    function forfeitChallenge(uint256 challengeId) external {
        ChallengeInfo storage info = challengeInfo[challengeId];
        if (!info.open) revert ChallengeNotOpen(challengeId);
        address loser;
        if (stakers[info.challenger].removed) loser = info.challenger;
        else if (stakers[info.defender].removed) loser = info.defender;
        else revert NoPartyRemoved(challengeId);
        info.open = false;
        address winner = challenges.forfeit(challengeId, loser);
        emit ChallengeForfeited(challengeId, winner, loser);
        _closeFor(loser);
        _closeFor(winner);
    }

    // ---------------------------------------------------------------- owner

    /// @notice Sets the module root for parents that get their first child from now on
    ///         (existing families keep theirs, so rivals always share one root).
    function setModuleRoot(bytes32 next) external onlyOwner {
        emit ModuleRootSet(moduleRoot, next);
        moduleRoot = next;
    }

    function transferOwnership(address next) external onlyOwner {
        if (next == address(0)) revert ZeroAddress();
        emit OwnershipTransferred(owner, next);
        owner = next;
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IOutboxRoots
    function isConfirmedOutboxRoot(bytes32 root) external view returns (bool) {
        return confirmedOutboxRoots[root];
    }

    /// @notice Everything stored about assertion `id` (all zero if it does not exist).
    function getAssertion(uint256 id) external view returns (Assertion memory) {
        return assertions[id];
    }

    /// @notice When the children of `parentId` stop accepting rivals and can be decided
    ///         (zero if it has no child).
    function deadline(uint256 parentId) external view returns (uint256) {
        Assertion storage p = assertions[parentId];
        return p.children == 0 ? 0 : p.firstChildAt + challengePeriod;
    }

    // ---------------------------------------------------------------- internals

    function _get(uint256 id) private view returns (Assertion storage) {
        if (id >= assertionCount) revert NoSuchAssertion(id);
        return assertions[id];
    }

    /// Stakes the sender on `target`, whose parent is `parentId`: a new bond, or a move from
    /// `parentId` (never sideways, so a stake only ever supports one line of assertions).
    function _stake(uint256 target, uint256 parentId) private {
        Staker storage s = stakers[msg.sender];
        if (s.removed) revert StakerIsRemoved(msg.sender);
        if (s.staked) {
            if (msg.value != 0) revert WrongBond(msg.value, 0);
            if (s.current != parentId) revert StakeMovesSideways(s.current, parentId);
            assertions[parentId].directStakers -= 1;
            emit StakerMoved(msg.sender, parentId, target);
        } else {
            if (msg.value != bond) revert WrongBond(msg.value, bond);
            s.staked = true;
            emit Staked(msg.sender, target, msg.value);
        }
        // forge-lint: disable-next-line(unsafe-typecast)
        s.current = uint64(target);
        assertions[target].directStakers += 1;
    }

    function _liveStaker(address account) private view returns (Staker storage s) {
        s = stakers[account];
        if (!s.staked) revert NotStaked(account);
    }

    /// Walks `depth` parents up from `id`.
    function _ancestor(uint256 id, uint256 depth) private view returns (uint256) {
        for (uint256 i = 0; i < depth; i++) {
            id = assertions[id].parent;
        }
        return id;
    }

    /// Takes `staker`'s bond off its assertion (the caller routes the bond). With challenges
    /// still open the record stays, marked removed, until they are forfeited.
    function _remove(address staker, Staker storage s) private {
        assertions[s.current].directStakers -= 1;
        if (s.openChallenges == 0) {
            delete stakers[staker];
        } else {
            s.staked = false;
            s.removed = true;
        }
    }

    /// One of `account`'s challenges has ended; a removed staker with none left is forgotten
    /// and may stake again.
    function _closeFor(address account) private {
        Staker storage s = stakers[account];
        s.openChallenges -= 1;
        if (s.removed && s.openChallenges == 0) delete stakers[account];
    }

    function _credit(address account, uint256 amount) private {
        credits[account] += amount;
        emit Credited(account, amount);
    }

    function _send(address to, uint256 amount) private {
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert EthTransferFailed(to, amount);
    }

    function _inboxCount() private view returns (uint64) {
        uint256 n = inbox.messageCount();
        if (n > type(uint64).max) revert InboxTooLong(n);
        // forge-lint: disable-next-line(unsafe-typecast)
        return uint64(n);
    }
}
