// SPDX-License-Identifier: MIT
pragma solidity ^0.8.37;

import {RollupBase} from "./RollupBase.t.sol";
import {Rollup} from "../src/rollup/Rollup.sol";
import {Assertion, AssertionStatus} from "../src/rollup/RollupTypes.sol";
import {ChallengeManager} from "../src/rollup/ChallengeManager.sol";
import {IChallengeResultReceiver} from "../src/rollup/IChallengeResultReceiver.sol";
import {IOneStepInbox} from "../src/osp/IOneStepInbox.sol";
import {InboxDouble} from "../src/testing/InboxDouble.sol";
import {Hashing} from "../src/osp/Hashing.sol";

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
        vm.expectRevert(abi.encodeWithSelector(Rollup.WrongRollup.selector, address(0xdead)));
        new Rollup(inbox, other, MODULE_ROOT, BOND, PERIOD, escrow, owner);
    }

    function test_RevertWhen_ManagerProvesAgainstAnotherInbox() public {
        InboxDouble dbl = new InboxDouble();
        address predicted = vm.computeCreateAddress(address(this), vm.getNonce(address(this)) + 1);
        ChallengeManager other = new ChallengeManager(
            IChallengeResultReceiver(predicted), osp, IOneStepInbox(address(dbl)), DEGREE, CLOCK
        );
        vm.expectRevert(abi.encodeWithSelector(Rollup.InboxMismatch.selector, address(dbl)));
        new Rollup(inbox, other, MODULE_ROOT, BOND, PERIOD, escrow, owner);
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
        (,, bool staked,) = rollup.stakers(honest);
        assertFalse(staked);
    }

    function test_StakeMovesDownAndParentStaysSupported() public {
        inbox.tick();
        uint256 a = _assertNext(honest, 0, "a");
        uint256 b = _assertNext(honest, a, "b");
        assertEq(rollup.getAssertion(a).directStakers, 0);
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

    function test_StakeOnJoinsPendingAssertion() public {
        uint256 a = _assertNext(honest, 0, "a");
        vm.deal(liar, BOND);
        vm.prank(liar);
        rollup.stakeOn{value: BOND}(a);
        assertEq(rollup.getAssertion(a).directStakers, 2);
        _warpToDeadline(0);
        rollup.confirm(a);
        vm.expectRevert(abi.encodeWithSelector(Rollup.NotPending.selector, a));
        vm.prank(liar);
        rollup.stakeOn(a);
    }

    function test_RevertWhen_WrongBond() public {
        vm.deal(honest, 2 * BOND);
        Hashing.GlobalState memory gs = _state("a", 1);
        vm.prank(honest);
        vm.expectRevert(abi.encodeWithSelector(Rollup.WrongBond.selector, BOND - 1, BOND));
        rollup.createAssertion{value: BOND - 1}(0, gs);
        inbox.tick();
        uint256 a = _assert(honest, 0, gs);
        vm.prank(honest);
        vm.expectRevert(abi.encodeWithSelector(Rollup.WrongBond.selector, BOND, 0));
        rollup.createAssertion{value: BOND}(a, _state("b", 2));
    }

    function test_RevertWhen_AssertionDoesNotEndAtNextInboxPosition() public {
        inbox.tick();
        vm.deal(honest, BOND);
        vm.prank(honest);
        // Genesis was created when the inbox held one message: the later tick is not its.
        vm.expectRevert(abi.encodeWithSelector(Rollup.WrongInboxPosition.selector, 2, 1));
        rollup.createAssertion{value: BOND}(0, _state("a", 2));
    }

    function test_RevertWhen_AssertionConsumesNoMessage() public {
        uint256 a = _assertNext(honest, 0, "a");
        // No message arrived after `a` was created: its range would be empty.
        vm.prank(honest);
        vm.expectRevert(abi.encodeWithSelector(Rollup.AssertionConsumesNoMessage.selector, a));
        rollup.createAssertion(a, _state("b", 1));
    }

    function test_RevertWhen_ConfirmBeforePeriod() public {
        uint256 a = _assertNext(honest, 0, "a");
        vm.warp(rollup.deadline(0) - 1);
        vm.expectRevert(abi.encodeWithSelector(Rollup.BeforeDeadline.selector, rollup.deadline(0)));
        rollup.confirm(a);
    }

    function test_RevertWhen_ConfirmRivalled() public {
        uint256 a = _assertNext(honest, 0, "a");
        uint256 b = _assertNext(liar, 0, "b");
        _warpToDeadline(0);
        vm.expectRevert(abi.encodeWithSelector(Rollup.HasLiveRival.selector, a));
        rollup.confirm(a);
        vm.expectRevert(abi.encodeWithSelector(Rollup.CannotReject.selector, b));
        rollup.reject(b);
    }

    function test_RevertWhen_RivalAfterDeadline() public {
        _assertNext(honest, 0, "a");
        vm.warp(rollup.deadline(0) - 1);
        _assertNext(liar, 0, "b");
        vm.warp(rollup.deadline(0));
        vm.deal(address(this), BOND);
        vm.expectRevert(
            abi.encodeWithSelector(Rollup.RivalAfterDeadline.selector, rollup.deadline(0))
        );
        rollup.createAssertion{value: BOND}(0, _state("c", 1));
    }

    function test_RevertWhen_DuplicateAssertion() public {
        uint256 a = _assertNext(honest, 0, "a");
        Hashing.GlobalState memory same = _state("a", rollup.getAssertion(0).nextInbox);
        vm.deal(liar, BOND);
        vm.prank(liar);
        vm.expectRevert(
            abi.encodeWithSelector(
                Rollup.DuplicateAssertion.selector, 0, rollup.getAssertion(a).afterStateHash
            )
        );
        rollup.createAssertion{value: BOND}(0, same);
        // The same claim is still welcome as a stake, and under another parent.
        vm.deal(liar, BOND);
        vm.prank(liar);
        rollup.stakeOn{value: BOND}(a);
        assertEq(rollup.getAssertion(a).directStakers, 2);
    }

    function test_RevertWhen_StakeMovesSideways() public {
        uint256 a = _assertNext(honest, 0, "a");
        uint256 b = _assertNext(liar, 0, "b");
        // Onto a rival: b's parent is genesis, not a.
        vm.prank(honest);
        vm.expectRevert(abi.encodeWithSelector(Rollup.StakeMovesSideways.selector, a, 0));
        rollup.stakeOn(b);
        vm.prank(honest);
        vm.expectRevert(abi.encodeWithSelector(Rollup.StakeMovesSideways.selector, a, 0));
        rollup.createAssertion(0, _state("c", 1));
    }

    function test_RejectUnsupportedAfterDeadline() public {
        uint256 a = _assertNext(honest, 0, "a");
        // A rival created and then abandoned: its creator moves down to its child.
        inbox.tick();
        uint256 b = _assertNext(liar, 0, "b");
        uint256 c = _assertNext(liar, b, "c");
        vm.expectRevert(abi.encodeWithSelector(Rollup.CannotReject.selector, b));
        rollup.reject(b);
        _warpToDeadline(0);
        // b is still supported through its live child.
        vm.expectRevert(abi.encodeWithSelector(Rollup.CannotReject.selector, b));
        rollup.reject(b);
        assertEq(rollup.getAssertion(c).directStakers, 1);
        vm.expectRevert(abi.encodeWithSelector(Rollup.HasLiveRival.selector, a));
        rollup.confirm(a);
    }

    /// No honest path puts a staker on a rejected assertion (a staked assertion is supported
    /// and a rejected one's children are all rejected), so the branch state is forced here to
    /// exercise the slashing itself.
    function test_SlashStakerOnRejectedBranch() public {
        uint256 a = _assertNext(honest, 0, "a");
        uint256 b = _assertNext(liar, 0, "b");
        vm.expectRevert(abi.encodeWithSelector(Rollup.NotRejected.selector, b));
        rollup.slashRejected(liar);
        // Rollup.assertions is slot 4; Status is the third word of the struct.
        bytes32 slot = bytes32(uint256(keccak256(abi.encode(b, uint256(4)))) + 2);
        vm.store(address(rollup), slot, bytes32(uint256(AssertionStatus.Rejected)));
        assertEq(uint8(_status(b)), uint8(AssertionStatus.Rejected));

        rollup.slashRejected(liar);
        assertEq(rollup.credits(escrow), BOND);
        assertEq(rollup.getAssertion(b).directStakers, 0);
        (,, bool staked,) = rollup.stakers(liar);
        assertFalse(staked);
        vm.expectRevert(abi.encodeWithSelector(Rollup.NotStaked.selector, liar));
        rollup.slashRejected(liar);
        vm.prank(escrow);
        rollup.withdrawFunds();
        assertEq(escrow.balance, BOND);
        assertEq(a, 1);
    }

    function test_ModuleRootAppliesToLaterAssertions() public {
        bytes32 next = keccak256("next module root");
        inbox.tick();
        uint256 a = _assertNext(honest, 0, "a");
        vm.expectRevert(abi.encodeWithSelector(Rollup.NotOwner.selector, address(this)));
        rollup.setModuleRoot(next);
        vm.prank(owner);
        rollup.setModuleRoot(next);
        assertEq(rollup.moduleRoot(), next);
        // A rival of `a` keeps the root genesis's family was given.
        uint256 b = _assertNext(liar, 0, "b");
        assertEq(rollup.getAssertion(a).moduleRoot, MODULE_ROOT);
        assertEq(rollup.getAssertion(b).moduleRoot, MODULE_ROOT);
        // `a`'s first child gets the new one.
        uint256 c = _assertNext(honest, a, "c");
        assertEq(rollup.getAssertion(c).moduleRoot, next);
    }

    function test_RevertWhen_WithdrawPending() public {
        uint256 a = _assertNext(honest, 0, "a");
        vm.prank(honest);
        vm.expectRevert(abi.encodeWithSelector(Rollup.NotConfirmed.selector, a));
        rollup.withdrawStake();
        vm.expectRevert(abi.encodeWithSelector(Rollup.NotStaked.selector, liar));
        vm.prank(liar);
        rollup.withdrawStake();
    }

    function test_RevertWhen_CompleteChallengeNotFromManager() public {
        vm.expectRevert(abi.encodeWithSelector(Rollup.NotChallengeManager.selector, address(this)));
        rollup.completeChallenge(1, honest, liar);
    }

    function test_TransferOwnership() public {
        address next = makeAddr("next owner");
        vm.expectRevert(abi.encodeWithSelector(Rollup.NotOwner.selector, address(this)));
        rollup.transferOwnership(next);
        vm.prank(owner);
        vm.expectRevert(Rollup.ZeroAddress.selector);
        rollup.transferOwnership(address(0));
        vm.prank(owner);
        rollup.transferOwnership(next);
        assertEq(rollup.owner(), next);
        vm.prank(next);
        rollup.setModuleRoot(bytes32(uint256(1)));
        assertEq(rollup.moduleRoot(), bytes32(uint256(1)));
    }
}
