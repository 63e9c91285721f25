// SPDX-License-Identifier: MIT
pragma solidity ^0.8.37;

import {RollupBase} from "./RollupBase.t.sol";
import {Rollup} from "../src/rollup/Rollup.sol";
import {IRollupEvents} from "../src/rollup/IRollupEvents.sol";
import {Assertion, AssertionStatus} from "../src/rollup/RollupTypes.sol";
import {ChallengeManager} from "../src/rollup/ChallengeManager.sol";
import {IChallengeResultReceiver} from "../src/rollup/IChallengeResultReceiver.sol";
import {IOneStepInbox} from "../src/osp/IOneStepInbox.sol";
import {InboxDouble} from "../src/testing/InboxDouble.sol";
import {Hashing} from "../src/osp/Hashing.sol";
import {AssertionTree} from "../src/rollup/AssertionTree.sol";

/// Assertions and stakes without challenges (docs/spec/protocol.md, "Assertions", "Stakes").
contract RollupTest is RollupBase {
    function test_Genesis() public view {
        Assertion memory g = rollup.getAssertion(0);
        assertEq(uint8(g.status), uint8(AssertionStatus.Confirmed));
        Hashing.GlobalState memory zero;
        assertEq(g.afterStateHash, Hashing.globalStateHash(zero));
        assertEq(g.nextInbox, 1, "the Config message");
        assertEq(g.afterInbox, 0);
        assertEq(rollup.latestConfirmed(), 0);
        assertEq(rollup.assertionCount(), 1);
        assertEq(rollup.moduleRoot(), MODULE_ROOT);
    }

    function test_RevertWhen_ManagerNamesAnotherRollup() public {
        ChallengeManager other = new ChallengeManager(
            IChallengeResultReceiver(address(0xdead)),
            osp,
            IOneStepInbox(address(inbox)),
            DEGREE,
            CLOCK
        );
        vm.expectRevert(abi.encodeWithSelector(IRollupEvents.WrongRollup.selector, address(0xdead)));
        _newRollup(other, BOND, PERIOD, ROOT_DELAY);
    }

    function test_RevertWhen_ManagerProvesAgainstAnotherInbox() public {
        InboxDouble dbl = new InboxDouble();
        ChallengeManager other = _managerFor(IOneStepInbox(address(dbl)), CLOCK);
        vm.expectRevert(abi.encodeWithSelector(IRollupEvents.InboxMismatch.selector, address(dbl)));
        _newRollup(other, BOND, PERIOD, ROOT_DELAY);
    }

    /// A manager built for the Rollup deployed next, with `clock` on each side.
    function _managerFor(IOneStepInbox box, uint256 clock) internal returns (ChallengeManager) {
        address predicted = vm.computeCreateAddress(address(this), vm.getNonce(address(this)) + 1);
        return new ChallengeManager(IChallengeResultReceiver(predicted), osp, box, DEGREE, clock);
    }

    /// The parameters the guarantees rest on are checked at deployment: a challenge must fit
    /// in half a period, a bond must cover every refund it can owe, and a scheduled module
    /// root must leave users time to exit.
    function test_RevertWhen_ParametersBreakTheGuarantees() public {
        IOneStepInbox box = IOneStepInbox(address(inbox));
        ChallengeManager m = _managerFor(box, PERIOD / 2 + 1);
        vm.expectRevert(
            abi.encodeWithSelector(IRollupEvents.ClockTooLong.selector, PERIOD / 2 + 1, PERIOD)
        );
        _newRollup(m, BOND, PERIOD, ROOT_DELAY);

        uint256 needed = (rollup.MAX_RESERVED() + 1) * REFUND;
        m = _managerFor(box, CLOCK);
        vm.expectRevert(
            abi.encodeWithSelector(IRollupEvents.BondTooSmall.selector, needed - 1, needed)
        );
        _newRollup(m, needed - 1, PERIOD, ROOT_DELAY);

        m = _managerFor(box, CLOCK);
        vm.expectRevert(
            abi.encodeWithSelector(
                IRollupEvents.ModuleRootDelayTooShort.selector, ROOT_DELAY - 1, ROOT_DELAY
            )
        );
        _newRollup(m, BOND, PERIOD, ROOT_DELAY - 1);

        m = _managerFor(box, CLOCK);
        Rollup fine = _newRollup(m, needed, 2 * CLOCK, FORCE_DELAY + 4 * CLOCK);
        assertEq(fine.bond(), needed);
    }

    function test_HappyPath() public {
        inbox.tick();
        Hashing.GlobalState memory gs = _state("a", 1);
        uint256 a = _assert(honest, 0, gs);
        assertEq(a, 1);
        Assertion memory ra = rollup.getAssertion(a);
        assertEq(ra.afterStateHash, _hash(gs));
        assertEq(ra.afterInbox, 1);
        assertEq(ra.nextInbox, 2, "the inbox count at creation");
        assertEq(ra.moduleRoot, MODULE_ROOT);
        assertEq(ra.height, 1);
        assertEq(ra.directStakers, 1);
        assertEq(address(rollup).balance, BOND);
        assertFalse(rollup.isConfirmedOutboxRoot(gs.outboxRoot));

        _warpToDeadline(0);
        rollup.confirm(a);
        assertEq(rollup.latestConfirmed(), a);
        assertEq(uint8(_status(a)), uint8(AssertionStatus.Confirmed));
        assertTrue(rollup.isConfirmedOutboxRoot(gs.outboxRoot));

        vm.prank(honest);
        rollup.withdrawStake();
        assertEq(honest.balance, BOND);
        assertEq(address(rollup).balance, 0);
        assertFalse(_staker(honest).staked);
    }

    function test_StakeMovesDownAndParentStaysSupported() public {
        inbox.tick();
        uint256 a = _assertNext(honest, 0, "a");
        uint256 b = _assertNext(honest, a, "b");
        assertEq(rollup.getAssertion(a).directStakers, 0);
        assertEq(rollup.getAssertion(a).subtreeStakers, 1, "still under a");
        assertEq(rollup.getAssertion(a).liveChildren, 1);
        assertEq(rollup.getAssertion(b).directStakers, 1);
        assertEq(rollup.getAssertion(b).afterInbox, 2);
        assertEq(address(rollup).balance, BOND, "one bond for both");
        _warpToDeadline(0);
        rollup.confirm(a);
        _warpToDeadline(a);
        rollup.confirm(b);
        assertEq(rollup.latestConfirmed(), b);
    }

    /// A stake moves down a line of several levels in one call, as one move a level would.
    function test_StakeMovesDownManyLevelsInOneCall() public {
        uint256 a = _assertNext(honest, 0, "a");
        uint256 tip = a;
        uint256[] memory line = new uint256[](4);
        for (uint256 i = 0; i < 4; i++) {
            inbox.tick();
            tip = _assertNext(liar, tip, string.concat("l", vm.toString(i)));
            line[i] = tip;
        }
        vm.prank(honest);
        rollup.stakeOn(line[3]);
        assertEq(_staker(honest).current, line[3]);
        assertEq(rollup.getAssertion(a).directStakers, 0);
        assertEq(rollup.getAssertion(a).subtreeStakers, 2);
        for (uint256 i = 0; i < 4; i++) {
            assertEq(rollup.getAssertion(line[i]).subtreeStakers, 2, "both stakes below");
        }
        assertEq(rollup.getAssertion(line[3]).directStakers, 2);
    }

    /// Each family on the way must still be open, as for a move of one level.
    function test_RevertWhen_ManyLevelMoveCrossesAClosedFamily() public {
        uint256 a = _assertNext(honest, 0, "a");
        inbox.tick();
        uint256 b = _assertNext(liar, a, "b");
        vm.warp(block.timestamp + PERIOD - 10);
        inbox.tick();
        uint256 c = _assertNext(liar, b, "c");
        vm.warp(block.timestamp + 20);
        uint256 closed = rollup.deadline(a);
        vm.prank(honest);
        vm.expectRevert(abi.encodeWithSelector(IRollupEvents.FamilyClosed.selector, a, closed));
        rollup.stakeOn(c);
    }

    function test_StakeOnJoinsPendingAssertion() public {
        uint256 a = _assertNext(honest, 0, "a");
        vm.deal(liar, BOND);
        vm.prank(liar);
        rollup.stakeOn{value: BOND}(a);
        assertEq(rollup.getAssertion(a).directStakers, 2);
        _warpToDeadline(0);
        rollup.confirm(a);
        vm.expectRevert(abi.encodeWithSelector(IRollupEvents.NotPending.selector, a));
        vm.prank(liar);
        rollup.stakeOn(a);
    }

    function test_RevertWhen_WrongBond() public {
        vm.deal(honest, 2 * BOND);
        Hashing.GlobalState memory gs = _state("a", 1);
        vm.prank(honest);
        vm.expectRevert(abi.encodeWithSelector(IRollupEvents.WrongBond.selector, BOND - 1, BOND));
        rollup.createAssertion{value: BOND - 1}(0, gs);
        inbox.tick();
        uint256 a = _assert(honest, 0, gs);
        vm.prank(honest);
        vm.expectRevert(abi.encodeWithSelector(IRollupEvents.WrongBond.selector, BOND, 0));
        rollup.createAssertion{value: BOND}(a, _state("b", 2));
    }

    function test_RevertWhen_AssertionDoesNotEndAtNextInboxPosition() public {
        inbox.tick();
        vm.deal(honest, BOND);
        vm.prank(honest);
        // Genesis was created when the inbox held one message: the later tick is not its.
        vm.expectRevert(abi.encodeWithSelector(IRollupEvents.WrongInboxPosition.selector, 2, 1));
        rollup.createAssertion{value: BOND}(0, _state("a", 2));
    }

    /// An assertion created when no message follows its range still has one to consume:
    /// its children end one message later, and may be created once that message exists.
    function test_EveryAssertionLeavesAMessageToConsume() public {
        uint256 a = _assertNext(honest, 0, "a");
        assertEq(rollup.getAssertion(a).afterInbox, 1);
        assertEq(rollup.getAssertion(a).nextInbox, 2, "one past its range, not the count");
        vm.prank(honest);
        vm.expectRevert(abi.encodeWithSelector(IRollupEvents.MessagesMissing.selector, 2, 1));
        rollup.createAssertion(a, _state("b", 2));
        inbox.tick();
        uint256 b = _assertNext(honest, a, "b");
        assertEq(rollup.getAssertion(b).afterInbox, 2);
        assertEq(rollup.getAssertion(b).nextInbox, 3);
    }

    function test_RevertWhen_ConfirmBeforePeriod() public {
        uint256 a = _assertNext(honest, 0, "a");
        vm.warp(rollup.deadline(0) - 1);
        vm.expectRevert(
            abi.encodeWithSelector(IRollupEvents.BeforeDeadline.selector, rollup.deadline(0))
        );
        rollup.confirm(a);
    }

    function test_RevertWhen_ConfirmRivalled() public {
        uint256 a = _assertNext(honest, 0, "a");
        uint256 b = _assertNext(liar, 0, "b");
        _warpToDeadline(0);
        vm.expectRevert(abi.encodeWithSelector(IRollupEvents.HasLiveRival.selector, a));
        rollup.confirm(a);
        vm.expectRevert(abi.encodeWithSelector(IRollupEvents.CannotReject.selector, b));
        rollup.reject(b);
    }

    function test_RevertWhen_RivalAfterDeadline() public {
        _assertNext(honest, 0, "a");
        vm.warp(rollup.deadline(0) - 1);
        _assertNext(liar, 0, "b");
        vm.warp(rollup.deadline(0));
        vm.deal(address(this), BOND);
        vm.expectRevert(
            abi.encodeWithSelector(IRollupEvents.RivalAfterDeadline.selector, rollup.deadline(0))
        );
        rollup.createAssertion{value: BOND}(0, _state("c", 1));
    }

    /// One child per claim: asserting a claim a sibling already makes stakes on that
    /// sibling (so nobody can make the honest side's transaction fail by sending its claim
    /// first, and no identical sibling ever keeps a family undecided).
    function test_SameClaimJoinsTheExistingAssertion() public {
        uint256 a = _assertNext(honest, 0, "a");
        uint256 count = rollup.assertionCount();
        Hashing.GlobalState memory same = _state("a", rollup.getAssertion(0).nextInbox);
        vm.deal(liar, BOND);
        vm.prank(liar);
        uint256 id = rollup.createAssertion{value: BOND}(0, same);
        assertEq(id, a);
        assertEq(rollup.assertionCount(), count, "no new assertion");
        assertEq(rollup.getAssertion(a).directStakers, 2);
        assertEq(rollup.getAssertion(0).liveChildren, 1);
        assertEq(_staker(liar).current, a);
    }

    function test_RevertWhen_StakeMovesSideways() public {
        uint256 a = _assertNext(honest, 0, "a");
        uint256 b = _assertNext(liar, 0, "b");
        // Onto a rival: b's parent is genesis, not a.
        vm.prank(honest);
        vm.expectRevert(abi.encodeWithSelector(IRollupEvents.StakeMovesSideways.selector, a, 0));
        rollup.stakeOn(b);
        vm.prank(honest);
        vm.expectRevert(abi.encodeWithSelector(IRollupEvents.StakeMovesSideways.selector, a, 0));
        rollup.createAssertion(0, _state("c", 1));
    }

    /// A rival is rejected once no stake is left anywhere under it, whatever deadlines its
    /// own children have; while one is, it stands.
    function test_RejectCountsStakesInTheWholeSubtree() public {
        uint256 a = _assertNext(honest, 0, "a");
        inbox.tick();
        uint256 b = _assertNext(liar, 0, "b");
        uint256 c = _assertNext(liar, b, "c");
        assertEq(rollup.getAssertion(b).subtreeStakers, 1);
        assertEq(rollup.getAssertion(c).subtreeStakers, 1);
        _warpToDeadline(0);
        vm.expectRevert(abi.encodeWithSelector(IRollupEvents.CannotReject.selector, b));
        rollup.reject(b);
        vm.expectRevert(abi.encodeWithSelector(IRollupEvents.HasLiveRival.selector, a));
        rollup.confirm(a);
    }

    /// After a family's deadline no stake can enter it: not a new bond, not a move from the
    /// parent. A rival's support can only shrink from then on.
    function test_RevertWhen_StakeJoinsAfterTheDeadline() public {
        uint256 a = _assertNext(honest, 0, "a");
        vm.warp(rollup.deadline(0));
        vm.deal(liar, BOND);
        vm.prank(liar);
        vm.expectRevert(
            abi.encodeWithSelector(IRollupEvents.FamilyClosed.selector, 0, rollup.deadline(0))
        );
        rollup.stakeOn{value: BOND}(a);
    }

    /// New bonds land only on live lines under the latest confirmed assertion, and only while
    /// its family is open.
    function test_RevertWhen_NewBondOffTheLiveTree() public {
        inbox.tick();
        uint256 a = _assertNext(honest, 0, "a");
        inbox.tick();
        vm.warp(block.timestamp + 600);
        uint256 a2 = _assertNext(honest, a, "a2");
        vm.warp(rollup.deadline(0));
        // a2's own family is still open, the latest confirmed assertion's is not.
        address late = makeAddr("late");
        vm.deal(late, BOND);
        Hashing.GlobalState memory gs = _state("late", rollup.getAssertion(a2).nextInbox);
        uint256 closed = rollup.deadline(0);
        vm.prank(late);
        vm.expectRevert(abi.encodeWithSelector(IRollupEvents.FamilyClosed.selector, 0, closed));
        rollup.createAssertion{value: BOND}(a2, gs);
        rollup.confirm(a);
        // Under the new latest confirmed assertion it may.
        _join(late, a2);
        assertEq(rollup.getAssertion(a2).subtreeStakers, 2);
    }

    /// No line grows more than MAX_PENDING_DEPTH levels below the latest confirmed
    /// assertion, which bounds every walk the Rollup makes.
    function test_RevertWhen_LineTooDeep() public {
        uint256 tip = 0;
        uint256 max = rollup.MAX_PENDING_DEPTH();
        for (uint256 i = 0; i < max; i++) {
            tip = _assertNext(honest, tip, string.concat("h", vm.toString(i)));
            inbox.tick();
        }
        Hashing.GlobalState memory gs = _state("too deep", rollup.getAssertion(tip).nextInbox);
        vm.prank(honest);
        vm.expectRevert(abi.encodeWithSelector(AssertionTree.TooDeep.selector, max + 1, max));
        rollup.createAssertion(tip, gs);
    }

    function test_ModuleRootAppliesAfterItsDelayToLaterFamilies() public {
        bytes32 next = keccak256("next module root");
        inbox.tick();
        uint256 a = _assertNext(honest, 0, "a");
        vm.expectRevert(abi.encodeWithSelector(IRollupEvents.NotOwner.selector, address(this)));
        rollup.scheduleModuleRoot(next);
        vm.prank(owner);
        rollup.scheduleModuleRoot(next);
        assertEq(rollup.moduleRoot(), MODULE_ROOT, "not before its delay");
        assertEq(rollup.scheduledModuleRootAt(), block.timestamp + ROOT_DELAY);
        // A family started now keeps the old root.
        uint256 b = _assertNext(honest, a, "b");
        assertEq(rollup.getAssertion(b).moduleRoot, MODULE_ROOT);
        vm.warp(block.timestamp + ROOT_DELAY);
        assertEq(rollup.moduleRoot(), next);
        rollup.confirm(a);
        inbox.tick();
        // b's first child gets the new one.
        uint256 c = _assertNext(honest, b, "c");
        assertEq(rollup.getAssertion(c).moduleRoot, next);
    }

    function test_RevertWhen_WithdrawPending() public {
        uint256 a = _assertNext(honest, 0, "a");
        vm.prank(honest);
        vm.expectRevert(abi.encodeWithSelector(IRollupEvents.NotConfirmed.selector, a));
        rollup.withdrawStake();
        vm.expectRevert(abi.encodeWithSelector(IRollupEvents.NotStaked.selector, liar));
        vm.prank(liar);
        rollup.withdrawStake();
    }

    function test_RevertWhen_CompleteChallengeNotFromManager() public {
        vm.expectRevert(
            abi.encodeWithSelector(IRollupEvents.NotChallengeManager.selector, address(this))
        );
        rollup.completeChallenge(1, honest, liar);
    }

    function test_TransferOwnership() public {
        address next = makeAddr("next owner");
        vm.expectRevert(abi.encodeWithSelector(IRollupEvents.NotOwner.selector, address(this)));
        rollup.transferOwnership(next);
        vm.prank(owner);
        vm.expectRevert(IRollupEvents.ZeroAddress.selector);
        rollup.transferOwnership(address(0));
        vm.prank(owner);
        rollup.transferOwnership(next);
        assertEq(rollup.owner(), next);
        vm.prank(next);
        rollup.scheduleModuleRoot(bytes32(uint256(1)));
        assertEq(rollup.scheduledModuleRoot(), bytes32(uint256(1)));
    }
}
