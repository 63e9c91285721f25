// SPDX-License-Identifier: MIT
pragma solidity ^0.8.37;

import {Hashing} from "../osp/Hashing.sol";
import {Inbox} from "./Inbox.sol";
import {ChallengeManager} from "./ChallengeManager.sol";
import {IChallengeResultReceiver} from "./IChallengeResultReceiver.sol";
import {IOutboxRoots} from "./IOutboxRoots.sol";
import {AssertionTree} from "./AssertionTree.sol";
import {IRollupEvents} from "./IRollupEvents.sol";
import {Assertion, AssertionStatus, ChallengeInfo, Staker} from "./RollupTypes.sol";

/// @title Rollup — assertions, stakes and the Rollup's side of challenges.
/// @notice Implements docs/spec/protocol.md: stakers bond `bond` wei on assertions that claim
///         the global state after a fixed inbox range; a staker challenges any staker whose
///         line parts from its own, and the loser of the game on the ChallengeManager is
///         removed; an assertion is confirmed once its family's deadline has passed and
///         every rival is rejected, a rival is rejected once no stake is left anywhere under
///         it. Each rule names the attack it stops in the spec ("Rules and the attacks they
///         stop"). Confirmed assertions' outbox roots are what the Outbox pays against.
/// @dev The ChallengeManager and the Rollup each need the other's address. The deployer
///      predicts the Rollup's address (its own next CREATE address after the manager's),
///      deploys the ChallengeManager with it, then the Rollup, whose constructor checks that
///      the manager names it. Both links stay immutable.
contract Rollup is IRollupEvents, IChallengeResultReceiver, IOutboxRoots {
    using AssertionTree for mapping(uint256 => Assertion);

    // ---------------------------------------------------------------- configuration

    /// Levels a pending assertion may sit below the latest confirmed one.
    uint256 public constant MAX_PENDING_DEPTH = AssertionTree.MAX_PENDING_DEPTH;
    /// Open challenges a bond holds a refund for; the bond covers one more (the loss itself).
    uint256 public constant MAX_RESERVED = 16;

    Inbox public immutable inbox;
    ChallengeManager public immutable challenges;
    /// The one bond amount.
    uint256 public immutable bond;
    /// What a lost bond pays the winner of each challenge it refunds: at least the honest
    /// side's worst-case cost of one dispute at the stated gas price.
    uint256 public immutable refund;
    /// Seconds after a family's first child during which rivals may be created and stakes
    /// may join it.
    uint256 public immutable challengePeriod;
    /// Seconds between scheduling a module root and its use by new families.
    uint256 public immutable moduleRootDelay;
    /// Receives what is left of every lost bond (as a withdrawable credit).
    address public immutable escrow;

    // ---------------------------------------------------------------- state

    address public owner;
    /// The module root in force (see `moduleRoot()` for the one new families get now).
    bytes32 private activeModuleRoot;
    /// A scheduled module root and when it takes effect (0: none).
    bytes32 public scheduledModuleRoot;
    uint256 public scheduledModuleRootAt;
    uint256 public assertionCount;
    uint256 public latestConfirmed;
    mapping(uint256 => Assertion) private assertions;
    mapping(address => Staker) public stakers;
    mapping(uint256 => ChallengeInfo) public challengeInfo;
    /// The open challenge between two stakers (either order), by `_pairKey`; 0 if none.
    mapping(bytes32 => uint256) private openChallengeOf;
    /// Pull payments: refunds to challenge winners and the escrow's share of lost bonds.
    mapping(address => uint256) public credits;
    mapping(bytes32 => bool) private confirmedOutboxRoots;
    /// The assertion making each claim, by `keccak256(abi.encode(parentId, afterStateHash))`:
    /// one child per claim, since a second child with the same claim could never be
    /// challenged (nobody disagrees with it) and its family would never be decided.
    mapping(bytes32 => uint256) private claimed;
    /// For a stuck assertion (claim `Hashing.STUCK`): the assertion whose state its range
    /// started from, which its children start from again (under a new module root).
    mapping(uint256 => uint256) private restartFrom;

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        _;
    }

    /// @param inbox_ The Inbox; also the one the manager proves `read_inbox` steps against.
    /// @param challenges_ The ChallengeManager, already deployed with this contract's address.
    /// @param moduleRoot_ The initial module root.
    /// @param bond_ The bond in wei, at least `(MAX_RESERVED + 1) × refund_`.
    /// @param refund_ The refund a lost bond pays a challenge winner (> 0).
    /// @param challengePeriod_ Seconds a family stays open (> 0, at least twice the clock).
    /// @param moduleRootDelay_ Seconds a scheduled module root waits, at least the Inbox's
    ///        force delay plus two challenge periods (time to exit before it applies).
    /// @param escrow_ Receives what is left of lost bonds.
    /// @param owner_ May schedule module roots.
    constructor(
        Inbox inbox_,
        ChallengeManager challenges_,
        bytes32 moduleRoot_,
        uint256 bond_,
        uint256 refund_,
        uint256 challengePeriod_,
        uint256 moduleRootDelay_,
        address escrow_,
        address owner_
    ) {
        if (
            address(inbox_) == address(0) || address(challenges_) == address(0)
                || escrow_ == address(0) || owner_ == address(0)
        ) revert ZeroAddress();
        if (refund_ == 0 || challengePeriod_ == 0) revert ZeroValue();
        if (address(challenges_.rollup()) != address(this)) {
            revert WrongRollup(address(challenges_.rollup()));
        }
        // A proof against another inbox could settle a step the real messages contradict.
        if (address(challenges_.inbox()) != address(inbox_)) {
            revert InboxMismatch(address(challenges_.inbox()));
        }
        // A challenge opened at a family's deadline ends within both clocks; with this it
        // ends before the next family's deadline, and the bound of the spec holds.
        if (2 * challenges_.clock() > challengePeriod_) {
            revert ClockTooLong(challenges_.clock(), challengePeriod_);
        }
        if (bond_ < (MAX_RESERVED + 1) * refund_) {
            revert BondTooSmall(bond_, (MAX_RESERVED + 1) * refund_);
        }
        // A forced exit is due `forceDelay` after it is sent; the family covering it starts
        // within `T + C` (+ latency) of that even when the depth bound makes it wait for a
        // confirmation, and `C <= T/2`: two periods leave it half a period to spare.
        uint256 exit = uint256(inbox_.forceDelay()) + 2 * challengePeriod_;
        if (moduleRootDelay_ < exit) revert ModuleRootDelayTooShort(moduleRootDelay_, exit);
        inbox = inbox_;
        challenges = challenges_;
        bond = bond_;
        refund = refund_;
        challengePeriod = challengePeriod_;
        moduleRootDelay = moduleRootDelay_;
        escrow = escrow_;
        owner = owner_;
        activeModuleRoot = moduleRoot_;
        emit OwnershipTransferred(address(0), owner_);
        emit ModuleRootScheduled(moduleRoot_, block.timestamp);
        _genesis(moduleRoot_);
    }

    /// Genesis: the all-zero global state, confirmed, its own parent.
    function _genesis(bytes32 moduleRoot_) private {
        Hashing.GlobalState memory zero;
        Assertion storage g = assertions[0];
        g.status = AssertionStatus.Confirmed;
        g.afterStateHash = Hashing.globalStateHash(zero);
        g.nextInbox = _nextInbox(0, _inboxCount());
        g.moduleRoot = moduleRoot_;
        assertionCount = 1;
        confirmedOutboxRoots[bytes32(0)] = true;
        emit AssertionCreated(0, 0, address(0), zero, g.afterStateHash, g.nextInbox, moduleRoot_);
        emit AssertionConfirmed(0, bytes32(0));
    }

    // ---------------------------------------------------------------- assertions

    /// @notice Claims `afterState` after the blocks `parent.afterInbox .. parent.nextInbox-1`
    ///         and stakes the sender on it: a new bond (exactly `bond` wei) or, if already
    ///         staked, its stake moved down from `parentId` (no value). If a child of
    ///         `parentId` already makes the same claim, the sender is staked on that one.
    /// @return id The assertion the sender is now staked on.
    function createAssertion(uint256 parentId, Hashing.GlobalState calldata afterState)
        external
        payable
        returns (uint256 id)
    {
        // So rivals cover exactly the same range.
        uint64 expected = _get(parentId).nextInbox;
        if (afterState.inboxPosition != expected) {
            revert WrongInboxPosition(afterState.inboxPosition, expected);
        }
        return _create(parentId, afterState, Hashing.globalStateHash(afterState));
    }

    /// @notice Claims that a block of `parentId`'s children's range cannot finish (it errors,
    ///         or still runs after `MAX_STEPS` steps) in the module root the family runs, and
    ///         stakes the sender on that claim as `createAssertion` does. Its claimed state is
    ///         `Hashing.STUCK`; confirmed, it confirms no outbox root, and its children re-run
    ///         its range from the state it started from, under a module root other than its
    ///         own (docs/spec/protocol.md, "A block that cannot finish").
    /// @return id The assertion the sender is now staked on.
    function createStuckAssertion(uint256 parentId) external payable returns (uint256 id) {
        Hashing.GlobalState memory none;
        none.inboxPosition = _get(parentId).nextInbox;
        return _create(parentId, none, Hashing.STUCK);
    }

    /// @notice Stakes the sender on pending assertion `id`: a new bond while `id`'s family is
    ///         open, or its stake moved down from its current assertion to `id`, any number
    ///         of levels in one call, through families that are all still open.
    function stakeOn(uint256 id) external payable {
        Assertion storage a = _get(id);
        if (a.status != AssertionStatus.Pending) revert NotPending(id);
        Staker storage s = stakers[msg.sender];
        if (s.staked && s.current != a.parent) _moveDownTo(s, id);
        else _stake(id, a.parent);
    }

    /// @notice Confirms `id` (anyone): pending, child of the latest confirmed, past its
    ///         family's deadline, every sibling rejected, and a stake under it.
    function confirm(uint256 id) external {
        Assertion storage a = _get(id);
        if (a.status != AssertionStatus.Pending) revert NotPending(id);
        if (a.parent != latestConfirmed) revert NotChildOfLatestConfirmed(id);
        Assertion storage p = assertions[a.parent];
        uint256 deadline_ = p.firstChildAt + challengePeriod;
        if (block.timestamp < deadline_) revert BeforeDeadline(deadline_);
        if (p.liveChildren != 1) revert HasLiveRival(id);
        if (a.subtreeStakers == 0) revert Unsupported(id);
        a.status = AssertionStatus.Confirmed;
        latestConfirmed = id;
        // A stuck assertion's outbox root is zero, confirmed at genesis: it pays nothing new.
        confirmedOutboxRoots[a.outboxRoot] = true;
        emit AssertionConfirmed(id, a.outboxRoot);
    }

    /// @notice Rejects `id` (anyone): pending, and its parent is rejected, or its family's
    ///         deadline has passed and no stake is left on it or anywhere below it.
    function reject(uint256 id) external {
        Assertion storage a = _get(id);
        if (a.status != AssertionStatus.Pending) revert NotPending(id);
        Assertion storage p = assertions[a.parent];
        bool abandoned =
            block.timestamp >= p.firstChildAt + challengePeriod && a.subtreeStakers == 0;
        if (p.status != AssertionStatus.Rejected && !abandoned) revert CannotReject(id);
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
        assertions.removeBond(current);
        delete stakers[msg.sender];
        emit StakeWithdrawn(msg.sender, current, bond);
        _send(msg.sender, bond);
    }

    /// @notice Pays the sender its credits (challenge refunds; the escrow's share of bonds).
    function withdrawFunds() external {
        uint256 amount = credits[msg.sender];
        if (amount == 0) revert NothingToWithdraw();
        credits[msg.sender] = 0;
        emit FundsWithdrawn(msg.sender, amount);
        _send(msg.sender, amount);
    }

    // ---------------------------------------------------------------- challenges

    /// @notice Opens a challenge: the sender disputes the line `defender` is staked on. The
    ///         Rollup finds where their two lines part — rival children `x` (the defender's
    ///         side) and `y` (the sender's) of one parent — and the game is over `x`'s range.
    ///         One open challenge per pair of stakers.
    /// @return challengeId The ChallengeManager's id.
    function createChallenge(address defender) external returns (uint256 challengeId) {
        if (defender == msg.sender) revert SameParty(defender);
        Staker storage c = _liveStaker(msg.sender);
        Staker storage d = _liveStaker(defender);
        (uint256 x, uint256 y) = assertions.fork(d.current, c.current, latestConfirmed);
        bytes32 pair = _pairKey(msg.sender, defender);
        if (openChallengeOf[pair] != 0) revert AlreadyInChallenge(openChallengeOf[pair]);
        Assertion storage ax = assertions[x];
        // Below a stuck parent the range starts where the parent's own range started.
        Assertion storage start = assertions[_startOf(ax.parent)];
        challengeId = challenges.createChallenge(
            msg.sender,
            defender,
            start.afterStateHash,
            ax.afterStateHash,
            ax.afterInbox - start.afterInbox,
            ax.moduleRoot
        );
        bool cr = _reserve(c);
        bool dr = _reserve(d);
        challengeInfo[challengeId] = ChallengeInfo(msg.sender, defender, true, cr, dr);
        openChallengeOf[pair] = challengeId;
        c.openChallenges += 1;
        d.openChallenges += 1;
        emit ChallengeOpened(challengeId, msg.sender, defender, x, y);
    }

    /// @inheritdoc IChallengeResultReceiver
    /// @dev Never reverts for the manager's call: a revert would undo the winning move. A
    ///      first loss removes the loser's stake and pays this winner a refund from the bond;
    ///      a later loss pays one if this challenge held a reservation on the loser's bond.
    function completeChallenge(uint256 challengeId, address winner, address loser) external {
        if (msg.sender != address(challenges)) revert NotChallengeManager(msg.sender);
        ChallengeInfo storage info = challengeInfo[challengeId];
        if (!info.open) return;
        info.open = false;
        emit ChallengeCompleted(challengeId, winner, loser);
        Staker storage l = stakers[loser];
        if (l.staked) {
            uint256 current = l.current;
            assertions.removeBond(current);
            l.staked = false;
            l.removed = true;
            // forge-lint: disable-next-line(unsafe-typecast)
            l.remaining = uint128(bond);
            emit StakerRemoved(loser, current, winner);
            _payRefund(l, winner);
        } else if (_reservedOn(info, loser)) {
            _payRefund(l, winner);
        }
        _close(info);
    }

    /// @notice Ends an open challenge one of whose parties has been removed (anyone): the
    ///         other party wins, and is refunded if the challenge held a reservation on the
    ///         removed party's bond.
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
        if (_reservedOn(info, loser)) _payRefund(stakers[loser], winner);
        _close(info);
    }

    // ---------------------------------------------------------------- owner

    /// @notice Schedules `next` as the module root of families whose first child is created
    ///         `moduleRootDelay` seconds from now or later (replacing any root scheduled
    ///         before that has not taken effect). Existing families keep theirs.
    function scheduleModuleRoot(bytes32 next) external onlyOwner {
        activeModuleRoot = moduleRoot();
        scheduledModuleRoot = next;
        scheduledModuleRootAt = block.timestamp + moduleRootDelay;
        emit ModuleRootScheduled(next, scheduledModuleRootAt);
    }

    function transferOwnership(address next) external onlyOwner {
        if (next == address(0)) revert ZeroAddress();
        emit OwnershipTransferred(owner, next);
        owner = next;
    }

    // ---------------------------------------------------------------- views

    /// @notice The module root a family whose first child is created now gets.
    function moduleRoot() public view returns (bytes32) {
        uint256 at = scheduledModuleRootAt;
        if (at != 0 && block.timestamp >= at) return scheduledModuleRoot;
        return activeModuleRoot;
    }

    /// @inheritdoc IOutboxRoots
    function isConfirmedOutboxRoot(bytes32 root) external view returns (bool) {
        return confirmedOutboxRoots[root];
    }

    /// @notice Everything stored about assertion `id` (all zero if it does not exist).
    function getAssertion(uint256 id) external view returns (Assertion memory) {
        return assertions[id];
    }

    /// @notice When the children of `parentId` stop accepting rivals and stakes and can be
    ///         decided (zero if it has no child).
    function deadline(uint256 parentId) external view returns (uint256) {
        Assertion storage p = assertions[parentId];
        return p.children == 0 ? 0 : p.firstChildAt + challengePeriod;
    }

    /// @notice The rivals a challenge from `challenger` against `defender` would be over:
    ///         `x` on the defender's line, `y` on the challenger's (reverts as
    ///         `createChallenge` would if their lines do not part).
    function rivals(address challenger, address defender)
        external
        view
        returns (uint256 x, uint256 y)
    {
        return assertions.fork(
            _liveStaker(defender).current, _liveStaker(challenger).current, latestConfirmed
        );
    }

    /// @notice The open challenge between `a` and `b` (either role), or 0.
    /// @notice The assertion whose global state the children of `id` start from (`id`, or
    ///         for a stuck assertion the start of its own range).
    function startOf(uint256 id) external view returns (uint256) {
        _get(id);
        return _startOf(id);
    }

    function challengeBetween(address a, address b) external view returns (uint256) {
        return openChallengeOf[_pairKey(a, b)];
    }

    // ---------------------------------------------------------------- internals

    /// A child of `parentId` claiming `afterStateHash` (the state `afterState`, or
    /// `Hashing.STUCK` with only the inbox position set), or a stake on the sibling that
    /// already claims it.
    function _create(
        uint256 parentId,
        Hashing.GlobalState memory afterState,
        bytes32 afterStateHash
    ) private returns (uint256 id) {
        Assertion storage p = _get(parentId);
        if (p.status == AssertionStatus.Rejected) revert ParentRejected(parentId);
        uint64 count = _inboxCount();
        // A claim about messages nobody has sent could not be proven either way.
        if (p.nextInbox > count) revert MessagesMissing(p.nextInbox, count);
        if (p.children == 0) {
            bytes32 root = moduleRoot();
            // The same module would stop at the same block again.
            if (p.afterStateHash == Hashing.STUCK && root == p.moduleRoot) {
                revert AwaitingNewModuleRoot(parentId, root);
            }
            // forge-lint: disable-next-line(unsafe-typecast)
            p.firstChildAt = uint64(block.timestamp);
            p.childModuleRoot = root;
        } else if (block.timestamp >= p.firstChildAt + challengePeriod) {
            revert RivalAfterDeadline(p.firstChildAt + challengePeriod);
        }
        bytes32 key = keccak256(abi.encode(parentId, afterStateHash));
        uint256 existing = claimed[key];
        if (existing != 0) {
            // The same claim again: stake on it (an identical sibling could never be
            // challenged, and a revert here would let anyone make the honest side's
            // transaction fail by sending the claim first).
            _stake(existing, parentId);
            return existing;
        }
        p.children += 1;
        p.liveChildren += 1;

        id = assertionCount++;
        claimed[key] = id;
        Assertion storage a = assertions[id];
        // forge-lint: disable-next-line(unsafe-typecast)
        a.parent = uint64(parentId);
        a.height = p.height + 1;
        a.afterInbox = afterState.inboxPosition;
        a.nextInbox = _nextInbox(afterState.inboxPosition, count);
        a.status = AssertionStatus.Pending;
        a.afterStateHash = afterStateHash;
        a.outboxRoot = afterState.outboxRoot;
        a.moduleRoot = p.childModuleRoot;
        if (afterStateHash == Hashing.STUCK) restartFrom[id] = _startOf(parentId);
        emit AssertionCreated(
            id, parentId, msg.sender, afterState, afterStateHash, a.nextInbox, a.moduleRoot
        );
        _stake(id, parentId);
    }

    /// The assertion whose state the children of `id` start from: `id` itself, or for a
    /// stuck assertion the one its own range started from.
    function _startOf(uint256 id) private view returns (uint256) {
        return assertions[id].afterStateHash == Hashing.STUCK ? restartFrom[id] : id;
    }

    function _get(uint256 id) private view returns (Assertion storage) {
        if (id >= assertionCount) revert NoSuchAssertion(id);
        return assertions[id];
    }

    /// Stakes the sender on `target`, a child of `parentId`: a move from `parentId` (never
    /// sideways, so a stake only ever supports one line) or a new bond on a live line under
    /// the latest confirmed assertion, only while the families on the way are open. After a
    /// family's deadline no stake can enter any subtree of its children.
    function _stake(uint256 target, uint256 parentId) private {
        Staker storage s = stakers[msg.sender];
        if (s.removed) revert StakerIsRemoved(msg.sender);
        _requireOpen(parentId);
        if (s.staked) {
            if (msg.value != 0) revert WrongBond(msg.value, 0);
            if (s.current != parentId) revert StakeMovesSideways(s.current, parentId);
            // A stake left on a confirmed assertion behind the latest would move onto a line
            // that can never be confirmed.
            Assertion storage from = assertions[parentId];
            if (from.status == AssertionStatus.Confirmed && parentId != latestConfirmed) {
                revert AssertionTree.NotInLatestSubtree(target);
            }
            uint256 depth = assertions[target].height - assertions[latestConfirmed].height;
            if (depth > MAX_PENDING_DEPTH) revert AssertionTree.TooDeep(depth, MAX_PENDING_DEPTH);
            assertions.moveDown(parentId, target);
            emit StakerMoved(msg.sender, parentId, target);
        } else {
            if (msg.value != bond) revert WrongBond(msg.value, bond);
            _requireOpen(latestConfirmed);
            uint256 depth = assertions.depthBelow(parentId, latestConfirmed) + 1;
            if (depth > MAX_PENDING_DEPTH) revert AssertionTree.TooDeep(depth, MAX_PENDING_DEPTH);
            s.staked = true;
            assertions.addBond(target);
            emit Staked(msg.sender, target, msg.value);
        }
        // forge-lint: disable-next-line(unsafe-typecast)
        s.current = uint64(target);
    }

    /// Moves `s` from its current assertion down to the descendant `target`, as one move a
    /// level would: every family on the way open, the subtree count of every assertion below
    /// the current one up by one. A follower of a long line of correct assertions pays one
    /// transaction, not one a level.
    function _moveDownTo(Staker storage s, uint256 target) private {
        if (msg.value != 0) revert WrongBond(msg.value, 0);
        uint256 from = s.current;
        if (assertions[from].status == AssertionStatus.Confirmed && from != latestConfirmed) {
            revert AssertionTree.NotInLatestSubtree(target);
        }
        uint256 depth = assertions[target].height - assertions[latestConfirmed].height;
        if (depth > MAX_PENDING_DEPTH) revert AssertionTree.TooDeep(depth, MAX_PENDING_DEPTH);
        uint256 cur = target;
        for (uint256 i = 0; cur != from; i++) {
            Assertion storage a = assertions[cur];
            if (i == MAX_PENDING_DEPTH || a.status != AssertionStatus.Pending) {
                revert StakeMovesSideways(from, assertions[target].parent);
            }
            _requireOpen(a.parent);
            a.subtreeStakers += 1;
            cur = a.parent;
        }
        assertions[from].directStakers -= 1;
        assertions[target].directStakers += 1;
        emit StakerMoved(msg.sender, from, target);
        // forge-lint: disable-next-line(unsafe-typecast)
        s.current = uint64(target);
    }

    /// The family of `parentId`'s children still takes rivals and stakes.
    function _requireOpen(uint256 parentId) private view {
        Assertion storage p = assertions[parentId];
        if (p.children != 0 && block.timestamp >= p.firstChildAt + challengePeriod) {
            revert FamilyClosed(parentId, p.firstChildAt + challengePeriod);
        }
    }

    function _liveStaker(address account) private view returns (Staker storage s) {
        s = stakers[account];
        if (!s.staked) revert NotStaked(account);
    }

    /// Reserves a refund on `s`'s bond for a new challenge, if it has a slot left.
    function _reserve(Staker storage s) private returns (bool) {
        if (s.reserved >= MAX_RESERVED) return false;
        s.reserved += 1;
        return true;
    }

    function _reservedOn(ChallengeInfo storage info, address party) private view returns (bool) {
        return party == info.challenger ? info.challengerReserved : info.defenderReserved;
    }

    /// Credits `to` one refund from removed staker `l`'s bond.
    function _payRefund(Staker storage l, address to) private {
        // forge-lint: disable-next-line(unsafe-typecast)
        l.remaining -= uint128(refund);
        _credit(to, refund);
    }

    /// Closes a challenge for both parties; a removed party with no challenge left is
    /// forgotten (and may stake again) and the rest of its bond goes to the escrow.
    function _close(ChallengeInfo storage info) private {
        delete openChallengeOf[_pairKey(info.challenger, info.defender)];
        _leave(info.challenger, info.challengerReserved);
        _leave(info.defender, info.defenderReserved);
    }

    function _leave(address account, bool reserved) private {
        Staker storage s = stakers[account];
        s.openChallenges -= 1;
        if (reserved) s.reserved -= 1;
        if (s.removed && s.openChallenges == 0) {
            uint256 rest = s.remaining;
            delete stakers[account];
            if (rest != 0) _credit(escrow, rest);
        }
    }

    function _pairKey(address a, address b) private pure returns (bytes32) {
        return a < b ? keccak256(abi.encode(a, b)) : keccak256(abi.encode(b, a));
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

    /// Where the children of an assertion ending at `afterInbox` end: every message the
    /// inbox holds now, and at least one, so no assertion is a dead end.
    function _nextInbox(uint64 afterInbox, uint64 count) private pure returns (uint64) {
        return count > afterInbox ? count : afterInbox + 1;
    }
}
