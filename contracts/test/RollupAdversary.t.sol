// SPDX-License-Identifier: MIT
pragma solidity ^0.8.37;

import {RollupAdversaryBase} from "./utils/RollupAdversaryBase.sol";
import {Rollup} from "../src/rollup/Rollup.sol";
import {IRollupEvents} from "../src/rollup/IRollupEvents.sol";
import {AssertionTree} from "../src/rollup/AssertionTree.sol";
import {Assertion, AssertionStatus, Staker} from "../src/rollup/RollupTypes.sol";
import {ChallengeManager, Segment} from "../src/rollup/ChallengeManager.sol";
import {Hashing} from "../src/osp/Hashing.sol";

/// A staker contract whose ETH receiver re-enters the Rollup's payouts.
contract ReentrantStaker {
    Rollup internal immutable rollup;
    uint256 public reentries;
    bool public stakeReentryRefused;
    bool public fundsReentryPaid;

    constructor(Rollup rollup_) {
        rollup = rollup_;
    }

    function stake(uint256 id) external payable {
        rollup.stakeOn{value: msg.value}(id);
    }

    function withdrawStake() external {
        rollup.withdrawStake();
    }

    function withdrawFunds() external {
        rollup.withdrawFunds();
    }

    receive() external payable {
        if (reentries != 0) return;
        reentries = 1;
        // A second bond payout for the same stake?
        try rollup.withdrawStake() {}
        catch {
            stakeReentryRefused = true;
        }
        // The credits are its own; paid once, in full, here or outside.
        try rollup.withdrawFunds() {
            fundsReentryPaid = true;
        } catch {}
    }
}

/// Attacks an independent reviewer played against the Rollup's guarantees
/// (docs/spec/protocol.md, "Guarantees"), as an attacker with many funded addresses and
/// control of same-block ordering. `test_Refused_*` and `test_Attack*` show an attack refused
/// or bounded; `test_Limit_*` pin what the spec states as the limits of guarantee (d) — the
/// honest side unrefunded when its games lose their reservations to games the attacker
/// opened first — and check the part that still holds (the attacker loses the escrow's share
/// of every bond). The honest party is `honest`; every other address is the attacker's
/// unless said otherwise.
contract RollupAdversaryTest is RollupAdversaryBase {
    /// Front-running the honest createAssertion with the same (correct) claim: the honest
    /// transaction joins the existing assertion instead of reverting, so the attacker buys
    /// nothing with it.
    function test_Refused_SameClaimFrontRun_HonestJoins() public {
        address griefer = makeAddr("griefer");
        Hashing.GlobalState memory correct = _state("correct", rollup.getAssertion(0).nextInbox);
        // Same block, ahead of the honest transaction.
        uint256 h = _assert(griefer, 0, correct);
        vm.deal(honest, BOND);
        vm.prank(honest);
        assertEq(rollup.createAssertion{value: BOND}(0, correct), h);
        assertEq(_staker(honest).current, h);
        _warpToDeadline(0);
        rollup.confirm(h);
    }

    // ============================================================================ REFUSED

    /// Refused: the attacker asserts the correct claim first (the honest createAssertion
    /// joins it), then abandons it by losing a game to its own Sybil
    /// on a rival, hoping the correct claim is rejected and can never be made again. The
    /// honest validator stands on it long before the deadline; it stays supported and is
    /// confirmed, and the rival falls.
    function test_Refused_CorrectClaimFrontRunThenAbandoned() public {
        address first = makeAddr("first");
        address sybil = makeAddr("sybil");
        Hashing.GlobalState memory correct = _state("correct", rollup.getAssertion(0).nextInbox);
        uint256 h = _assert(first, 0, correct);
        uint256 w = _liarOn(sybil, 0);
        vm.warp(block.timestamp + LATENCY);
        vm.deal(honest, BOND);
        vm.prank(honest);
        assertEq(rollup.createAssertion{value: BOND}(0, correct), h);
        // The creator abandons the correct claim: it loses a game to its Sybil on purpose
        // (it is the challenger and never moves).
        uint256 own = _challenge(first, sybil);
        uint256 mine = _challenge(honest, sybil);
        _honestFirstMove(mine, h, w);
        vm.warp(block.timestamp + CLOCK + 1);
        cm.timeout(own);
        assertFalse(_staker(first).staked);
        assertEq(rollup.getAssertion(h).subtreeStakers, 1, "the honest stake holds it");
        cm.timeout(mine);
        _warpToDeadline(0);
        vm.expectRevert(abi.encodeWithSelector(IRollupEvents.CannotReject.selector, h));
        rollup.reject(h);
        rollup.reject(w);
        rollup.confirm(h);
        assertEq(rollup.credits(honest), REFUND);
    }

    /// Refused: a removed staker re-staking. While any game of its is open it cannot stake
    /// (StakerIsRemoved), cannot be challenged or challenge (NotStaked); once its last game
    /// ends it is forgotten, and a new bond is an ordinary new stake that can be challenged
    /// afresh (the old pair entry is cleared).
    function test_Refused_RemovedStakerRestakesOnlyAsNewBond() public {
        uint256 h = _assertNext(honest, 0, "h");
        uint256 l = _assertNext(liar, 0, "l");
        address sybil = makeAddr("sybil");
        _join(sybil, h);
        uint256 routed = _challenge(liar, sybil);
        uint256 mine = _challenge(honest, liar);
        _honestFirstMove(mine, h, l);
        vm.warp(block.timestamp + CLOCK + 1);
        cm.timeout(routed);
        assertTrue(_staker(liar).removed);
        vm.deal(liar, BOND);
        vm.prank(liar);
        vm.expectRevert(abi.encodeWithSelector(IRollupEvents.StakerIsRemoved.selector, liar));
        rollup.stakeOn{value: BOND}(l);
        vm.prank(liar);
        vm.expectRevert(abi.encodeWithSelector(IRollupEvents.NotStaked.selector, liar));
        rollup.createChallenge(honest);
        rollup.forfeitChallenge(mine);
        assertFalse(_staker(liar).removed);
        assertEq(rollup.challengeBetween(honest, liar), 0);
        // A fresh bond on the same wrong claim: the honest side fights it again, and it pays
        // again.
        vm.prank(liar);
        rollup.stakeOn{value: BOND}(l);
        assertEq(rollup.getAssertion(l).subtreeStakers, 1);
        uint256 again = _challenge(honest, liar);
        _honestFirstMove(again, h, l);
        vm.warp(block.timestamp + CLOCK + 1);
        cm.timeout(again);
        assertEq(rollup.credits(honest), 2 * REFUND);
        assertEq(rollup.credits(escrow), 2 * BOND - 3 * REFUND);
        _warpToDeadline(0);
        rollup.reject(l);
        rollup.confirm(h);
    }

    /// Refused: re-entrancy through the ETH receivers. A staker contract re-enters
    /// withdrawStake and withdrawFunds from its receive(): the second bond payout is refused
    /// (the record is deleted before the send) and the credits are paid exactly once.
    function test_Refused_ReentrantWithdrawals() public {
        uint256 h = _assertNext(honest, 0, "h");
        ReentrantStaker r = new ReentrantStaker(rollup);
        vm.deal(address(this), BOND);
        r.stake{value: BOND}(h);
        uint256 l = _assertNext(liar, 0, "l");
        // The liar challenges the contract and never moves: the contract earns a refund.
        uint256 id = _challenge(liar, address(r));
        vm.warp(block.timestamp + CLOCK + 1);
        cm.timeout(id);
        assertEq(rollup.credits(address(r)), REFUND);
        _warpToDeadline(0);
        rollup.reject(l);
        rollup.confirm(h);
        r.withdrawStake();
        assertTrue(r.stakeReentryRefused());
        assertTrue(r.fundsReentryPaid());
        assertEq(address(r).balance, BOND + REFUND);
        vm.expectRevert(IRollupEvents.NothingToWithdraw.selector);
        r.withdrawFunds();
        // What the Rollup still holds: the honest bond and the escrow's credit.
        assertEq(address(rollup).balance, BOND + (BOND - REFUND));
    }

    /// Refused: timing at exactly the deadline. At D - 1 a stake may still join and a rival
    /// may still be created, and nothing can be decided; at D no stake or rival enters, and
    /// both the rejection and the confirmation go through in the same block.
    function test_Refused_ExactDeadlineBoundaries() public {
        uint256 h = _assertNext(honest, 0, "h");
        uint256 d = rollup.deadline(0);
        vm.warp(d - 1);
        uint256 l = _liarOn(liar, 0);
        address late = makeAddr("late");
        _join(late, h);
        vm.expectRevert(abi.encodeWithSelector(IRollupEvents.BeforeDeadline.selector, d));
        rollup.confirm(h);
        vm.expectRevert(abi.encodeWithSelector(IRollupEvents.CannotReject.selector, l));
        rollup.reject(l);
        uint256 id = _challenge(honest, liar);
        _honestFirstMove(id, h, l);

        vm.warp(d);
        address later = makeAddr("later");
        vm.deal(later, 2 * BOND);
        vm.prank(later);
        vm.expectRevert(abi.encodeWithSelector(IRollupEvents.FamilyClosed.selector, 0, d));
        rollup.stakeOn{value: BOND}(l);
        Hashing.GlobalState memory gs = _state("late rival", rollup.getAssertion(0).nextInbox);
        vm.prank(later);
        vm.expectRevert(abi.encodeWithSelector(IRollupEvents.RivalAfterDeadline.selector, d));
        rollup.createAssertion{value: BOND}(0, gs);
        // The liar is still in l's subtree: l stands until its game ends.
        vm.expectRevert(abi.encodeWithSelector(IRollupEvents.CannotReject.selector, l));
        rollup.reject(l);
        vm.warp(d - 1 + CLOCK + 1);
        cm.timeout(id);
        rollup.reject(l);
        rollup.confirm(h);
        assertLe(block.timestamp - d, CLOCK);
    }

    /// Refused: stakes on dead or stale lines. Under a rejected rival no new bond lands and
    /// no assertion can be staked into existence; a stake left on a confirmed assertion
    /// behind the latest cannot challenge and cannot be challenged, and withdraws instead.
    function test_Refused_NoStakeOnDeadOrStaleLines() public {
        uint256 h = _assertNext(honest, 0, "h");
        inbox.tick();
        address ally = makeAddr("ally");
        _join(ally, h);
        uint256 l = _liarOn(liar, 0);
        uint256 l1 = _assertNext(liar, l, "l1");
        uint256 id = _challenge(honest, liar);
        _honestFirstMove(id, h, l);
        vm.warp(block.timestamp + CLOCK + 1);
        cm.timeout(id);
        // The honest validator moves on; the ally stays on h.
        uint256 h2 = _assertNext(honest, h, "h2");
        _warpToDeadline(0);
        rollup.reject(l);
        rollup.confirm(h);
        _warpToDeadline(h);
        rollup.confirm(h2);
        assertEq(uint8(_status(l1)), uint8(AssertionStatus.Pending), "left pending under l");

        address dead = makeAddr("dead");
        vm.deal(dead, 2 * BOND);
        uint256 dl = rollup.deadline(l);
        vm.prank(dead);
        vm.expectRevert(abi.encodeWithSelector(IRollupEvents.FamilyClosed.selector, l, dl));
        rollup.stakeOn{value: BOND}(l1);
        inbox.tick();
        Hashing.GlobalState memory gs = _state("under dead", rollup.getAssertion(l1).nextInbox);
        vm.prank(dead);
        vm.expectRevert(abi.encodeWithSelector(AssertionTree.NotInLatestSubtree.selector, l1));
        rollup.createAssertion{value: BOND}(l1, gs);

        // The ally is on h: confirmed, no longer the latest.
        _assertNext(honest, h2, "h3");
        address other = makeAddr("other");
        _liarOn(other, h2);
        vm.prank(ally);
        vm.expectRevert(abi.encodeWithSelector(AssertionTree.NotInLatestSubtree.selector, h));
        rollup.createChallenge(other);
        vm.prank(other);
        vm.expectRevert(abi.encodeWithSelector(AssertionTree.NotInLatestSubtree.selector, h));
        rollup.createChallenge(ally);
        vm.prank(ally);
        rollup.withdrawStake();
        assertEq(ally.balance, BOND);
    }

    /// Refused: a Sybil on the honest assertion loses to the liar on purpose (routing a
    /// refund to the liar and pulling one count out of H's subtree). The count drops by
    /// exactly one; the honest stake still holds H, which is confirmed once the liar loses.
    function test_Refused_SybilLosesOnHonestLine_CountsStayExact() public {
        uint256 h = _assertNext(honest, 0, "h");
        inbox.tick();
        uint256 h2 = _assertNext(honest, h, "h2");
        address sybil = makeAddr("sybil");
        _join(sybil, h);
        uint256 l = _liarOn(liar, 0);
        assertEq(rollup.getAssertion(h).subtreeStakers, 2);
        // The Sybil challenges the liar and never moves.
        uint256 thrown = _challenge(sybil, liar);
        uint256 mine = _challenge(honest, liar);
        _honestFirstMove(mine, h, l);
        vm.warp(block.timestamp + CLOCK + 1);
        cm.timeout(thrown);
        assertTrue(_staker(sybil).removed || !_staker(sybil).staked);
        assertEq(rollup.getAssertion(h).subtreeStakers, 1);
        assertEq(rollup.getAssertion(h2).subtreeStakers, 1);
        assertEq(rollup.credits(liar), REFUND);
        vm.warp(block.timestamp + LATENCY);
        cm.timeout(mine);
        _warpToDeadline(0);
        rollup.reject(l);
        rollup.confirm(h);
        assertEq(rollup.credits(honest), REFUND);
    }

    /// Refused: confirmation never counts a removed stake. An assertion whose only staker
    /// lost (here a Sybil on a correct child, thrown away on purpose) is unsupported even
    /// alone in its family, and is rejected.
    function test_Refused_ConfirmIgnoresRemovedStake() public {
        uint256 h = _assertNext(honest, 0, "h");
        uint256 l = _liarOn(liar, 0);
        inbox.tick();
        address sybil = makeAddr("sybil");
        uint256 h2 = _assertNext(sybil, h, "h2");
        uint256 thrown = _challenge(sybil, liar);
        uint256 mine = _challenge(honest, liar);
        _honestFirstMove(mine, h, l);
        vm.warp(block.timestamp + CLOCK + 1);
        cm.timeout(thrown);
        assertEq(rollup.getAssertion(h2).subtreeStakers, 0);
        assertEq(rollup.getAssertion(h).subtreeStakers, 1);
        vm.warp(block.timestamp + LATENCY);
        cm.timeout(mine);
        _warpToDeadline(0);
        vm.expectRevert(abi.encodeWithSelector(IRollupEvents.HasLiveRival.selector, h));
        rollup.confirm(h);
        rollup.reject(l);
        rollup.confirm(h);
        _warpToDeadline(h);
        vm.expectRevert(abi.encodeWithSelector(IRollupEvents.Unsupported.selector, h2));
        rollup.confirm(h2);
        rollup.reject(h2);
    }

    /// Refused: a game between two removed parties (both lost elsewhere) is forfeited
    /// without a revert: the challenger is taken as the loser, both records are cleared and
    /// the refunds and escrow shares add up to the two bonds.
    function test_Refused_ForfeitWithBothPartiesRemoved() public {
        uint256 h = _assertNext(honest, 0, "h");
        address l1 = makeAddr("liar one");
        address l2 = makeAddr("liar two");
        uint256 r1 = _liarOn(l1, 0);
        uint256 r2 = _liarOn(l2, 0);
        uint256 between = _challenge(l1, l2);
        vm.warp(block.timestamp + LATENCY);
        uint256 a = _challenge(honest, l1);
        uint256 b = _challenge(honest, l2);
        _honestFirstMove(a, h, r1);
        _honestFirstMove(b, h, r2);
        vm.warp(block.timestamp + CLOCK + 1);
        cm.timeout(a);
        cm.timeout(b);
        assertTrue(_staker(l1).removed && _staker(l2).removed);
        rollup.forfeitChallenge(between);
        (address winner, address loser) = cm.result(between);
        assertEq(winner, l2);
        assertEq(loser, l1);
        assertEq(rollup.credits(honest), 2 * REFUND);
        assertEq(rollup.credits(l2), REFUND);
        assertEq(rollup.credits(escrow), 2 * BOND - 3 * REFUND);
        assertFalse(_staker(l1).removed || _staker(l2).removed);
        assertEq(address(rollup).balance, BOND + 2 * BOND);
    }

    /// Refused: genesis edges. Nobody can stand on genesis (it is not pending), decide it,
    /// or challenge a staker standing on the latest confirmed assertion.
    function test_Refused_GenesisEdges() public {
        address someone = makeAddr("someone");
        vm.deal(someone, BOND);
        vm.prank(someone);
        vm.expectRevert(abi.encodeWithSelector(IRollupEvents.NotPending.selector, 0));
        rollup.stakeOn{value: BOND}(0);
        vm.expectRevert(abi.encodeWithSelector(IRollupEvents.NotPending.selector, 0));
        rollup.confirm(0);
        vm.expectRevert(abi.encodeWithSelector(IRollupEvents.NotPending.selector, 0));
        rollup.reject(0);
        assertEq(rollup.deadline(0), 0);
        uint256 h = _assertNext(honest, 0, "h");
        _warpToDeadline(0);
        rollup.confirm(h);
        inbox.tick();
        uint256 l = _liarOn(liar, h);
        // The honest stake is on the latest confirmed assertion: not a line to dispute.
        vm.prank(liar);
        vm.expectRevert(abi.encodeWithSelector(AssertionTree.NotInLatestSubtree.selector, h));
        rollup.createChallenge(honest);
        // It moves to its correct child and the dispute is possible.
        uint256 h2 = _assertNext(honest, h, "h2");
        (uint256 x, uint256 y) = rollup.rivals(honest, liar);
        assertEq(x, l);
        assertEq(y, h2);
    }
}
