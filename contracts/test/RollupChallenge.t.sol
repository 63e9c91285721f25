// SPDX-License-Identifier: MIT
pragma solidity ^0.8.37;

import {RollupBase} from "./RollupBase.t.sol";
import {Rollup} from "../src/rollup/Rollup.sol";
import {IRollupEvents} from "../src/rollup/IRollupEvents.sol";
import {Assertion, AssertionStatus} from "../src/rollup/RollupTypes.sol";
import {ChallengeManager, Segment} from "../src/rollup/ChallengeManager.sol";
import {Outbox} from "../src/rollup/Outbox.sol";
import {Hashing} from "../src/osp/Hashing.sol";
import {AssertionTree} from "../src/rollup/AssertionTree.sol";

/// Challenges through the Rollup (docs/spec/protocol.md, "Challenges", "Outcome"), against
/// the real ChallengeManager and OneStepProver.
contract RollupChallengeTest is RollupBase {
    uint256 internal a;
    uint256 internal b;

    function setUp() public override {
        super.setUp();
        a = _assertNext(honest, 0, "honest");
        b = _assertNext(liar, 0, "liar");
    }

    function _assertLiarGoneAndHonestConfirmed(uint256 slashedBonds) internal {
        assertFalse(_staker(liar).staked);
        assertFalse(_staker(liar).removed, "no open challenge left: forgotten");
        assertEq(rollup.getAssertion(b).directStakers, 0);
        assertEq(rollup.getAssertion(b).subtreeStakers, 0);
        assertEq(rollup.credits(honest), slashedBonds * REFUND);
        assertEq(rollup.credits(escrow), slashedBonds * (BOND - REFUND));

        vm.expectRevert(abi.encodeWithSelector(IRollupEvents.CannotReject.selector, b));
        rollup.reject(b);
        _warpToDeadline(0);
        rollup.reject(b);
        rollup.confirm(a);
        assertTrue(rollup.isConfirmedOutboxRoot(_state("honest", 1).outboxRoot));
        assertFalse(rollup.isConfirmedOutboxRoot(_state("liar", 1).outboxRoot));

        vm.startPrank(honest);
        rollup.withdrawStake();
        rollup.withdrawFunds();
        vm.stopPrank();
        assertEq(honest.balance, BOND + slashedBonds * REFUND);
    }

    /// An Outbox wired to the real Rollup refuses a withdrawal whose leaf and proof are sound
    /// against a lying assertion's outbox root, while the assertion is pending and after it is
    /// rejected (the root was never confirmed).
    function test_RevertWhen_WithdrawAgainstRejectedRoot() public {
        Outbox outbox = new Outbox(address(inbox), address(rollup));
        address recipient = makeAddr("recipient");
        bytes32 txId = keccak256("tx");
        bytes32 leaf = outbox.withdrawalLeaf(0, liar, recipient, 1 ether, txId);
        bytes32[32] memory proof;
        bytes32 root = outbox.rootFromProof(0, leaf, proof);
        address liar2 = makeAddr("liar2");
        Hashing.GlobalState memory gs = _state("liar2", rollup.getAssertion(0).nextInbox);
        gs.outboxRoot = root;
        uint256 c = _assert(liar2, 0, gs);

        vm.expectRevert(abi.encodeWithSelector(Outbox.RootNotConfirmed.selector, root));
        outbox.withdraw(0, liar, recipient, 1 ether, txId, root, proof);

        uint256 id = _challenge(honest, liar2);
        (Game memory g, Segment memory seg) = _game(id, honest, c, a, 99);
        _playOut(g, seg, 60);
        _warpToDeadline(0);
        rollup.reject(c);
        assertEq(uint8(_status(c)), uint8(AssertionStatus.Rejected));
        vm.expectRevert(abi.encodeWithSelector(Outbox.RootNotConfirmed.selector, root));
        outbox.withdraw(0, liar, recipient, 1 ether, txId, root, proof);
        assertFalse(outbox.spent(0));
    }

    function test_ChallengerWinsByOneStepProof() public {
        uint256 id = _challenge(honest, liar);
        assertEq(id, 1);
        ChallengeManager.Challenge memory c = cm.getChallenge(id);
        assertEq(c.challenger, honest);
        assertEq(c.defender, liar);
        assertEq(c.moduleRoot, MODULE_ROOT);
        (Game memory g, Segment memory seg) = _game(id, honest, b, a, 1234);
        assertEq(cm.hashSegment(seg), c.segmentHash, "opened over the parent's range");
        _playOut(g, seg, 60);
        (address winner, address loser) = cm.result(id);
        assertEq(winner, honest);
        assertEq(loser, liar);
        _assertLiarGoneAndHonestConfirmed(1);
    }

    /// With one block and degree 4 the level-2 game takes 15 bisections, so the challenger
    /// always faces the single step: an honest defender wins when the liar, unable to prove
    /// it, runs out of clock.
    function test_DefenderWinsWhenLiarStuckAtStep() public {
        uint256 id = _challenge(liar, honest);
        (Game memory g, Segment memory seg) = _game(id, honest, a, b, 99);
        _playOut(g, seg, 60);
        assertEq(cm.mover(id), liar);
        (uint256 left,) = cm.remainingTime(id);
        vm.warp(block.timestamp + left + 1);
        cm.timeout(id);
        _assertLiarGoneAndHonestConfirmed(1);
    }

    function test_ChallengeWonByTimeout() public {
        uint256 id = _challenge(liar, honest);
        vm.warp(block.timestamp + CLOCK + 1);
        cm.timeout(id);
        _assertLiarGoneAndHonestConfirmed(1);
    }

    /// The Rollup finds where two lines part: a liar whose stake moved down to its rival's
    /// child is challenged over the rival's range, whatever depth it sits at (it cannot
    /// dodge a challenge by moving), and once it loses the rival falls at the family's
    /// deadline, without waiting for the deadline its own child started.
    function test_ChallengeFindsTheForkAtAnyDepth() public {
        address liar2 = makeAddr("liar2");
        inbox.tick();
        uint256 c = _assertNext(liar2, 0, "liar2");
        vm.warp(block.timestamp + 600);
        uint256 c2 = _assertNext(liar2, c, "liar2 child");
        (uint256 x, uint256 y) = rollup.rivals(honest, liar2);
        assertEq(x, c);
        assertEq(y, a);
        uint256 id = _challenge(honest, liar2);
        _honestFirstMove(id, a, c);
        vm.warp(block.timestamp + CLOCK + 1);
        cm.timeout(id);
        assertEq(rollup.getAssertion(c2).directStakers, 0);
        assertEq(rollup.getAssertion(c).subtreeStakers, 0);
        _warpToDeadline(0);
        assertLt(rollup.deadline(0), rollup.deadline(c));
        rollup.reject(c);
        rollup.reject(c2);
        assertEq(rollup.getAssertion(0).liveChildren, 2, "a and b");
    }

    function test_RevertWhen_ChallengeNotBetweenRivals() public {
        vm.startPrank(honest);
        vm.expectRevert(abi.encodeWithSelector(IRollupEvents.SameParty.selector, honest));
        rollup.createChallenge(honest);
        address nobody = makeAddr("nobody");
        vm.expectRevert(abi.encodeWithSelector(IRollupEvents.NotStaked.selector, nobody));
        rollup.createChallenge(nobody);
        vm.stopPrank();
        // A staker further down the honest line agrees with it: their lines do not part.
        address ally = makeAddr("ally");
        _join(ally, a);
        inbox.tick();
        uint256 a2 = _assertNext(ally, a, "honest child");
        vm.prank(honest);
        vm.expectRevert(abi.encodeWithSelector(AssertionTree.SameLine.selector, a2, a));
        rollup.createChallenge(ally);
        // One open challenge per pair, whoever opened it.
        uint256 id = _challenge(liar, honest);
        vm.prank(honest);
        vm.expectRevert(abi.encodeWithSelector(IRollupEvents.AlreadyInChallenge.selector, id));
        rollup.createChallenge(liar);
        assertEq(rollup.challengeBetween(honest, liar), id);
    }

    /// One honest staker against five liars, each on its own rival: five concurrent
    /// challenges, opened late, all won by the liars' timeouts; the honest assertion is then
    /// confirmed within one challenge's duration of the deadline, not five.
    function test_FiveLiarsFoughtConcurrently() public {
        uint256 createdAt = block.timestamp;
        uint256[] memory rivals = new uint256[](5);
        address[] memory liars = new address[](5);
        rivals[0] = b;
        liars[0] = liar;
        for (uint256 i = 1; i < 5; i++) {
            string memory name = string.concat("liar", vm.toString(i));
            liars[i] = makeAddr(name);
            rivals[i] = _assertNext(liars[i], 0, name);
        }
        vm.warp(rollup.deadline(0) - 1);
        uint256[] memory ids = new uint256[](5);
        for (uint256 i = 0; i < 5; i++) {
            ids[i] = _challenge(honest, liars[i]);
        }
        assertEq(_staker(honest).openChallenges, 5);
        vm.warp(block.timestamp + 60);
        for (uint256 i = 0; i < 5; i++) {
            (Game memory g, Segment memory seg) = _game(ids[i], honest, rivals[i], a, 5);
            _step(g, seg);
        }
        vm.warp(block.timestamp + CLOCK + 1);
        for (uint256 i = 0; i < 5; i++) {
            cm.timeout(ids[i]);
            rollup.reject(rivals[i]);
            assertFalse(_staker(liars[i]).staked);
        }
        rollup.confirm(a);
        assertLe(block.timestamp - createdAt, PERIOD + CLOCK + 61);
        assertEq(rollup.credits(honest), 5 * REFUND);
        assertEq(rollup.credits(escrow), 5 * (BOND - REFUND));
        vm.startPrank(honest);
        rollup.withdrawStake();
        rollup.withdrawFunds();
        vm.stopPrank();
        assertEq(honest.balance, BOND + 5 * REFUND);
        assertEq(address(rollup).balance, 5 * (BOND - REFUND), "the escrow's credit");
    }

    /// A staker in two challenges loses one: the other is forfeited, its winner refunded
    /// from the loser's bond, and until then its opponent cannot withdraw.
    function test_RevertWhen_StakeWithdrawnDuringChallenge() public {
        address second = makeAddr("second");
        _join(second, a);
        uint256 id1 = _challenge(honest, liar);
        uint256 id2 = _challenge(liar, second);
        vm.expectRevert(abi.encodeWithSelector(IRollupEvents.NoPartyRemoved.selector, id2));
        rollup.forfeitChallenge(id2);
        vm.prank(second);
        vm.expectRevert(abi.encodeWithSelector(IRollupEvents.NotConfirmed.selector, a));
        rollup.withdrawStake();

        _honestFirstMove(id1, a, b);
        vm.warp(block.timestamp + 60);
        // The liar answers nothing in either; the first game times out first.
        vm.warp(block.timestamp + CLOCK - 30);
        cm.timeout(id1);
        assertFalse(_staker(liar).staked);
        assertTrue(_staker(liar).removed, "kept until its other challenge ends");
        assertEq(_staker(liar).remaining, BOND - REFUND);
        // A removed staker cannot come back while a challenge of its is still open.
        vm.deal(liar, BOND);
        vm.prank(liar);
        vm.expectRevert(abi.encodeWithSelector(IRollupEvents.StakerIsRemoved.selector, liar));
        rollup.stakeOn{value: BOND}(b);
        _warpToDeadline(0);
        rollup.reject(b);
        rollup.confirm(a);

        vm.prank(second);
        vm.expectRevert(abi.encodeWithSelector(IRollupEvents.InChallenge.selector, second, 1));
        rollup.withdrawStake();
        vm.expectRevert(abi.encodeWithSelector(IRollupEvents.ChallengeNotOpen.selector, id1));
        rollup.forfeitChallenge(id1);
        rollup.forfeitChallenge(id2);
        (address winner, address loser) = cm.result(id2);
        assertEq(winner, second);
        assertEq(loser, liar);
        assertEq(rollup.credits(second), REFUND, "refunded from the loser's bond");
        assertEq(rollup.credits(honest), REFUND);
        assertEq(rollup.credits(escrow), BOND - 2 * REFUND);
        assertFalse(_staker(liar).removed, "forgotten once no challenge is open");

        vm.prank(second);
        rollup.withdrawStake();
        assertEq(second.balance, BOND);
    }

    /// A removed staker's other challenge may still end by timeout instead of a forfeit: the
    /// callback refunds its winner as a forfeit would and does not revert.
    function test_SecondLossOfRemovedStakerRefundsItsWinner() public {
        address second = makeAddr("second");
        _join(second, a);
        uint256 id1 = _challenge(liar, honest);
        uint256 id2 = _challenge(liar, second);
        vm.warp(block.timestamp + CLOCK + 1);
        cm.timeout(id1);
        cm.timeout(id2);
        assertEq(rollup.credits(honest), REFUND);
        assertEq(rollup.credits(second), REFUND);
        assertEq(rollup.credits(escrow), BOND - 2 * REFUND);
        assertEq(_staker(liar).openChallenges, 0);
        assertFalse(_staker(liar).staked || _staker(liar).removed);
        assertEq(_staker(second).openChallenges, 0);
        assertEq(_staker(second).reserved, 0);
    }
}
