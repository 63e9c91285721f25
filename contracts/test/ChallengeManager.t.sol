// SPDX-License-Identifier: MIT
pragma solidity ^0.8.37;

import {ChallengeManagerBase} from "./ChallengeManagerBase.t.sol";
import {ChallengeManager, Segment} from "../src/rollup/ChallengeManager.sol";
import {IChallengeResultReceiver} from "../src/rollup/IChallengeResultReceiver.sol";
import {ChallengeResultRecorder} from "../src/testing/ChallengeResultRecorder.sol";
import {IOneStepInbox} from "../src/osp/IOneStepInbox.sol";
import {WrongPreState} from "../src/osp/Errors.sol";
import {MAX_STEPS} from "../src/osp/Constants.sol";

/// The checks of every move, the clocks, timeouts, forfeits and the split points
/// (docs/spec/protocol.md, "Challenges"). Full disputes are in ChallengeManagerDispute.t.sol.
contract ChallengeManagerTest is ChallengeManagerBase {
    uint256 constant N = 1500;
    /// With N = 1500 and degree 4, a dispute at block 902 takes 6 level-1 bisections and one
    /// at block 901 takes 5, so the last step falls to the challenger or the defender.
    uint256 constant BAD_BLOCK_CHALLENGER_PROVES = 902;
    uint256 constant BAD_BLOCK_DEFENDER_PROVES = 901;
    uint256 constant BAD_STEP = 2 ** 31 + 12_345;

    /// alice challenges bob; alice is honest unless told otherwise.
    function _game(bool challengerHonest, uint256 badBlock)
        internal
        returns (Game memory g, Segment memory seg)
    {
        return _open(alice, bob, challengerHonest, N, badBlock, BAD_STEP, "unit");
    }

    function _expectErr(bytes4 sel) internal {
        vm.expectRevert(abi.encodeWithSelector(sel));
    }

    // ------------------------------------------------------------ construction and creation

    function test_ConstructorRejectsBadParameters() public {
        IChallengeResultReceiver r = IChallengeResultReceiver(address(recorder));
        IOneStepInbox i = IOneStepInbox(address(inbox));
        vm.expectRevert(abi.encodeWithSelector(ChallengeManager.DegreeOutOfRange.selector, 1));
        new ChallengeManager(r, osp, i, 1, CLOCK);
        vm.expectRevert(abi.encodeWithSelector(ChallengeManager.DegreeOutOfRange.selector, 1025));
        new ChallengeManager(r, osp, i, 1025, CLOCK);
        vm.expectRevert(abi.encodeWithSelector(ChallengeManager.ClockOutOfRange.selector, 0));
        new ChallengeManager(r, osp, i, 2, 0);
        _expectErr(ChallengeManager.ZeroAddress.selector);
        new ChallengeManager(IChallengeResultReceiver(address(0)), osp, i, 2, CLOCK);
        ChallengeManager ok = new ChallengeManager(r, osp, i, 1024, 2 ** 64 - 1);
        assertEq(ok.degree(), 1024);
    }

    function test_CreateChallengeStoresTheInitialSegment() public {
        vm.warp(1000);
        vm.expectEmit(address(cm));
        emit ChallengeManager.ChallengeCreated(1, alice, bob, MODULE_ROOT);
        (Game memory g, Segment memory seg) = _game(true, 900);
        assertEq(g.id, 1);
        assertEq(cm.challengeCount(), 1);
        ChallengeManager.Challenge memory c = cm.getChallenge(g.id);
        assertEq(c.challenger, alice);
        assertEq(c.defender, bob);
        assertEq(c.segmentHash, cm.hashSegment(seg));
        assertEq(
            c.segmentHash, keccak256(abi.encode(uint8(1), uint256(0), N, seg.hashes)), "params"
        );
        assertEq(c.moduleRoot, MODULE_ROOT);
        assertEq(c.level, 1);
        assertEq(c.lastMoveAt, 1000);
        assertEq(c.challengerClock, CLOCK);
        assertEq(c.defenderClock, CLOCK);
        assertEq(uint8(c.turn), uint8(ChallengeManager.Party.Challenger));
        assertEq(uint8(c.status), uint8(ChallengeManager.Status.Open));
        assertEq(cm.mover(g.id), alice);
        (address w, address l) = cm.result(g.id);
        assertEq(w, address(0));
        assertEq(l, address(0));
    }

    function test_RevertWhen_CreateChallengeIsInvalid() public {
        vm.expectRevert(abi.encodeWithSelector(ChallengeManager.NotRollup.selector, alice));
        vm.prank(alice);
        cm.createChallenge(alice, bob, 0, bytes32(uint256(1)), 10, MODULE_ROOT);
        vm.startPrank(address(recorder));
        vm.expectRevert(abi.encodeWithSelector(ChallengeManager.BadBlockCount.selector, 0));
        cm.createChallenge(alice, bob, 0, bytes32(uint256(1)), 0, MODULE_ROOT);
        vm.expectRevert(abi.encodeWithSelector(ChallengeManager.BadBlockCount.selector, 2 ** 64));
        cm.createChallenge(alice, bob, 0, bytes32(uint256(1)), 2 ** 64, MODULE_ROOT);
        vm.expectRevert(abi.encodeWithSelector(ChallengeManager.SameParty.selector, alice));
        cm.createChallenge(alice, alice, 0, bytes32(uint256(1)), 10, MODULE_ROOT);
        _expectErr(ChallengeManager.ZeroAddress.selector);
        cm.createChallenge(address(0), bob, 0, bytes32(uint256(1)), 10, MODULE_ROOT);
        vm.stopPrank();
    }

    // ------------------------------------------------------------ move checks

    function test_RevertWhen_MoveOnWrongTurn() public {
        (Game memory g, Segment memory seg) = _game(true, 900);
        Move memory m = _plan(g, seg);
        // The defender moves first.
        vm.expectRevert(abi.encodeWithSelector(ChallengeManager.NotYourTurn.selector, bob, alice));
        vm.prank(bob);
        cm.bisect(g.id, seg, m.index, m.next);
        // An outsider never moves.
        address carol = makeAddr("carol");
        vm.expectRevert(abi.encodeWithSelector(ChallengeManager.NotYourTurn.selector, carol, alice));
        vm.prank(carol);
        cm.bisect(g.id, seg, m.index, m.next);
        // After the challenger's move, the challenger may not move again.
        Segment memory cur = _apply(g, seg, m);
        Move memory reply = _plan(g, cur);
        assertEq(reply.mover, bob);
        vm.expectRevert(abi.encodeWithSelector(ChallengeManager.NotYourTurn.selector, alice, bob));
        vm.prank(alice);
        cm.bisect(g.id, cur, reply.index, reply.next);
    }

    function test_RevertWhen_ReBisectAgreedSegment() public {
        (Game memory g, Segment memory seg) = _game(true, 900);
        Segment memory cur = _apply(g, seg, _plan(g, seg));
        Move memory m = _plan(g, cur);
        bytes32 agreed = cur.hashes[m.index];
        // Replacing the agreed start would re-argue a point both sides committed to.
        m.next[0] = keccak256("another start");
        vm.expectRevert(
            abi.encodeWithSelector(ChallengeManager.WrongStart.selector, m.next[0], agreed)
        );
        vm.prank(m.mover);
        cm.bisect(g.id, cur, m.index, m.next);
        // Going back to the previous segment (the one already bisected) fails too.
        bytes32[] memory again = _claims(g, false, 1, 0, N);
        vm.expectRevert(ChallengeManager.SegmentMismatch.selector);
        vm.prank(m.mover);
        cm.bisect(g.id, seg, 0, again);
    }

    function test_RevertWhen_BisectionKeepsDisputedEnd() public {
        (Game memory g, Segment memory seg) = _game(true, 900);
        Move memory m = _plan(g, seg);
        m.next[m.next.length - 1] = seg.hashes[m.index + 1];
        vm.expectRevert(ChallengeManager.EndNotDisputed.selector);
        vm.prank(alice);
        cm.bisect(g.id, seg, m.index, m.next);
    }

    function test_RevertWhen_WrongNumberOfHashes() public {
        (Game memory g, Segment memory seg) = _game(true, 900);
        Move memory m = _plan(g, seg);
        assertEq(m.next.length, DEGREE + 1);
        bytes32[] memory few = _claims(g, true, 1, 0, 3); // 4 hashes
        few[0] = seg.hashes[0];
        vm.expectRevert(abi.encodeWithSelector(ChallengeManager.WrongHashCount.selector, 4, 5));
        vm.prank(alice);
        cm.bisect(g.id, seg, 0, few);

        // An interval shorter than the degree takes length + 1 hashes, not degree + 1.
        (Game memory h, Segment memory s3) = _open(alice, bob, true, 3, 1, BAD_STEP, "short");
        Move memory m3 = _plan(h, s3);
        assertEq(m3.next.length, 4);
        vm.expectRevert(abi.encodeWithSelector(ChallengeManager.WrongHashCount.selector, 5, 4));
        vm.prank(alice);
        cm.bisect(h.id, s3, 0, m.next);
        _apply(h, s3, m3);
    }

    function test_RevertWhen_SegmentDoesNotMatch() public {
        (Game memory g, Segment memory seg) = _game(true, 900);
        Move memory m = _plan(g, seg);
        Segment memory forged = Segment(1, 0, N, _hashes(seg.hashes[0], seg.hashes[1]));
        forged.hashes[1] = keccak256("forged end");
        _tryForged(g, forged, m);
        forged = Segment(1, 0, N - 1, seg.hashes);
        _tryForged(g, forged, m);
        forged = Segment(1, 1, N, seg.hashes);
        _tryForged(g, forged, m);
        forged = Segment(2, 0, N, seg.hashes);
        _tryForged(g, forged, m);
        // The genuine segment still works.
        _apply(g, seg, m);
    }

    function _tryForged(Game memory g, Segment memory forged, Move memory m) internal {
        vm.expectRevert(ChallengeManager.SegmentMismatch.selector);
        vm.prank(alice);
        cm.bisect(g.id, forged, m.index, m.next);
    }

    function test_RevertWhen_IndexOutOfRange() public {
        (Game memory g, Segment memory seg) = _game(true, 900);
        Move memory m = _plan(g, seg);
        vm.expectRevert(abi.encodeWithSelector(ChallengeManager.IndexOutOfRange.selector, 1, 1));
        vm.prank(alice);
        cm.bisect(g.id, seg, 1, m.next);
    }

    function test_RevertWhen_OneStepProofAtNonDisputedStep() public {
        (Game memory g, Segment memory seg) = _game(true, BAD_BLOCK_CHALLENGER_PROVES);
        // At level 1 (here the whole range) a one-step proof has nothing to settle.
        vm.expectRevert(abi.encodeWithSelector(ChallengeManager.WrongLevel.selector, 1));
        vm.prank(alice);
        cm.proveOneStep(g.id, seg, 0, vecProof);
        // At level 2, over an interval of 2^30 steps.
        Segment memory cur = seg;
        Move memory m = _plan(g, cur);
        while (m.kind != Kind.EnterLevelTwo) {
            cur = _apply(g, cur, m);
            m = _plan(g, cur);
        }
        // A one-block interval at level 1 is not a step either.
        vm.expectRevert(abi.encodeWithSelector(ChallengeManager.WrongLevel.selector, 1));
        vm.prank(m.mover);
        cm.proveOneStep(g.id, cur, m.index, vecProof);
        cur = _apply(g, cur, m);
        m = _plan(g, cur);
        vm.expectRevert(
            abi.encodeWithSelector(ChallengeManager.IntervalNotOneStep.selector, 2 ** 30)
        );
        vm.prank(m.mover);
        cm.proveOneStep(g.id, cur, m.index, vecProof);
    }

    function test_RevertWhen_MoveDoesNotFitTheInterval() public {
        (Game memory g, Segment memory seg) = _game(true, BAD_BLOCK_CHALLENGER_PROVES);
        // Entering level 2 needs a one-block interval.
        Move memory m = _plan(g, seg);
        bytes32[] memory level2 = _claims(g, true, 2, 0, MAX_STEPS);
        vm.expectRevert(abi.encodeWithSelector(ChallengeManager.IntervalNotOneStep.selector, N));
        vm.prank(alice);
        cm.enterLevelTwo(g.id, seg, 0, level2);
        Segment memory cur = seg;
        while (m.kind != Kind.EnterLevelTwo) {
            cur = _apply(g, cur, m);
            m = _plan(g, cur);
        }
        // A one-block interval cannot be bisected.
        vm.expectRevert(ChallengeManager.IntervalIsOneStep.selector);
        vm.prank(m.mover);
        cm.bisect(g.id, cur, m.index, _hashes(cur.hashes[m.index], m.next[DEGREE]));
        cur = _apply(g, cur, m);
        // Level 2 cannot be entered again.
        (Segment memory last, Move memory p) = _playToStep(g, cur, 1);
        vm.expectRevert(abi.encodeWithSelector(ChallengeManager.WrongLevel.selector, 2));
        vm.prank(p.mover);
        cm.enterLevelTwo(g.id, last, p.index, level2);
        vm.expectRevert(ChallengeManager.IntervalIsOneStep.selector);
        vm.prank(p.mover);
        cm.bisect(g.id, last, p.index, _hashes(vecPre, vecPost));
    }

    function test_EnterLevelTwoChecksMachineHashes() public {
        // One block: the challenger's first move is already entering level 2.
        (Game memory g, Segment memory seg) = _open(alice, bob, true, 1, 0, BAD_STEP, "one");
        Move memory m = _plan(g, seg);
        assertEq(uint8(m.kind), uint8(Kind.EnterLevelTwo));
        bytes32 initial = osp.initialMachineHash(MODULE_ROOT, seg.hashes[0]);
        assertEq(m.next[0], initial);

        bytes32[] memory bad = _copy(m.next);
        bad[0] = osp.initialMachineHash(keccak256("another module"), seg.hashes[0]);
        vm.expectRevert(
            abi.encodeWithSelector(
                ChallengeManager.WrongInitialMachineHash.selector, bad[0], initial
            )
        );
        vm.prank(alice);
        cm.enterLevelTwo(g.id, seg, 0, bad);

        // Claiming the block ends in the very state being disputed disputes nothing.
        bad = _copy(m.next);
        bad[DEGREE] = osp.finishedMachineHash(seg.hashes[1]);
        vm.expectRevert(ChallengeManager.EndNotDisputed.selector);
        vm.prank(alice);
        cm.enterLevelTwo(g.id, seg, 0, bad);

        vm.expectRevert(abi.encodeWithSelector(ChallengeManager.WrongHashCount.selector, 2, 5));
        vm.prank(alice);
        cm.enterLevelTwo(g.id, seg, 0, _hashes(initial, m.next[DEGREE]));

        Segment memory cur = _apply(g, seg, m);
        assertEq(cm.getChallenge(g.id).level, 2);
        assertEq(cm.getChallenge(g.id).segmentHash, cm.hashSegment(cur));
        assertEq(cur.length, MAX_STEPS);
    }

    function _copy(bytes32[] memory a) internal pure returns (bytes32[] memory b) {
        b = new bytes32[](a.length);
        for (uint256 i = 0; i < a.length; i++) {
            b[i] = a[i];
        }
    }

    // ------------------------------------------------------------ the one-step proof

    function test_RevertWhen_ProofConfirmsTheClaim() public {
        // Here the liar (bob, defending) faces the honest single-step claim.
        (Game memory g, Segment memory seg) = _game(true, BAD_BLOCK_DEFENDER_PROVES);
        (Segment memory cur, Move memory m) = _playToStep(g, seg, 1);
        assertEq(m.mover, bob);
        assertEq(cur.hashes[m.index], vecPre);
        assertEq(cur.hashes[m.index + 1], vecPost);
        vm.expectRevert(ChallengeManager.ClaimStands.selector);
        vm.prank(bob);
        cm.proveOneStep(g.id, cur, m.index, vecProof);
        // The liar has no move left; its clock runs out and the honest party wins.
        (, uint256 left) = cm.remainingTime(g.id);
        vm.warp(block.timestamp + left);
        vm.expectRevert(
            abi.encodeWithSelector(ChallengeManager.ClockNotExpired.selector, left, left)
        );
        cm.timeout(g.id);
        vm.warp(block.timestamp + 1);
        cm.timeout(g.id);
        assertEq(recorder.resultCount(), 1);
        assertEq(recorder.resultAt(0).winner, alice);
        assertEq(recorder.resultAt(0).loser, bob);
    }

    function test_RevertWhen_ProofDoesNotVerify() public {
        (Game memory g, Segment memory seg) = _game(true, BAD_BLOCK_CHALLENGER_PROVES);
        (Segment memory cur, Move memory m) = _playToStep(g, seg, 1);
        assertEq(m.mover, alice);
        // A proof of another machine is rejected by the prover, with the prover's error.
        string memory json = vm.readFile("../test-vectors/osp/math.json");
        bytes memory other = vm.parseJsonBytes(json, ".vectors[0].proof");
        vm.expectRevert(WrongPreState.selector);
        vm.prank(alice);
        cm.proveOneStep(g.id, cur, m.index, other);
        assertEq(uint8(cm.getChallenge(g.id).status), uint8(ChallengeManager.Status.Open));
    }

    // ------------------------------------------------------------ clocks and timeouts

    function test_RevertWhen_TimeoutBeforeClockRunsOut() public {
        (Game memory g,) = _game(true, 900);
        vm.expectRevert(abi.encodeWithSelector(ChallengeManager.ClockNotExpired.selector, 0, CLOCK));
        cm.timeout(g.id);
        vm.warp(block.timestamp + CLOCK);
        vm.expectRevert(
            abi.encodeWithSelector(ChallengeManager.ClockNotExpired.selector, CLOCK, CLOCK)
        );
        cm.timeout(g.id);
        vm.expectRevert(abi.encodeWithSelector(ChallengeManager.ChallengeNotOpen.selector, 99));
        cm.timeout(99);
    }

    function test_TimeoutLetsTheWaitingPartyWin() public {
        (Game memory g, Segment memory seg) = _game(true, 900);
        Move memory m = _plan(g, seg);
        vm.warp(block.timestamp + CLOCK + 1);
        // Too late to move: only the timeout remains.
        vm.expectRevert(
            abi.encodeWithSelector(ChallengeManager.ClockExpired.selector, CLOCK + 1, CLOCK)
        );
        vm.prank(alice);
        cm.bisect(g.id, seg, m.index, m.next);
        vm.expectEmit(address(cm));
        emit ChallengeManager.ChallengeEnded(g.id, bob, alice, ChallengeManager.EndReason.Timeout);
        vm.prank(makeAddr("anyone"));
        cm.timeout(g.id);
        assertEq(recorder.timesReported(g.id), 1);
        assertEq(recorder.resultAt(0).challengeId, g.id);
        assertEq(recorder.resultAt(0).winner, bob);
        assertEq(recorder.resultAt(0).loser, alice);
        (address w, address l) = cm.result(g.id);
        assertEq(w, bob);
        assertEq(l, alice);
        assertEq(uint8(cm.getChallenge(g.id).status), uint8(ChallengeManager.Status.DefenderWon));
        assertEq(cm.mover(g.id), address(0));
        bytes memory closed =
            abi.encodeWithSelector(ChallengeManager.ChallengeNotOpen.selector, g.id);
        vm.expectRevert(closed);
        cm.timeout(g.id);
        vm.expectRevert(closed);
        vm.prank(alice);
        cm.bisect(g.id, seg, m.index, m.next);
        vm.expectRevert(closed);
        vm.prank(address(recorder));
        cm.forfeit(g.id, alice);
        assertEq(recorder.resultCount(), 1);
    }

    function test_MoveAtExactlyTheBudgetIsAllowed() public {
        (Game memory g, Segment memory seg) = _game(true, 900);
        vm.warp(block.timestamp + CLOCK);
        _apply(g, seg, _plan(g, seg));
        assertEq(cm.getChallenge(g.id).challengerClock, 0);
        (uint256 a, uint256 b) = cm.remainingTime(g.id);
        assertEq(a, 0);
        assertEq(b, CLOCK);
    }

    function test_ClockRunsOnlyOnOwnTurn() public {
        (Game memory g, Segment memory seg) = _game(true, BAD_BLOCK_CHALLENGER_PROVES);
        uint256 aliceLeft = CLOCK;
        uint256 bobLeft = CLOCK;
        Segment memory cur = seg;
        Move memory m = _plan(g, cur);
        uint256 moves;
        // Alice takes 100 s a move, bob 1,000 s, across both levels.
        while (m.kind != Kind.Prove) {
            uint256 dt = m.mover == alice ? 100 : 1000;
            vm.warp(block.timestamp + dt / 2);
            (uint256 a, uint256 b) = cm.remainingTime(g.id);
            assertEq(a, m.mover == alice ? aliceLeft - dt / 2 : aliceLeft, "live alice");
            assertEq(b, m.mover == bob ? bobLeft - dt / 2 : bobLeft, "live bob");
            vm.warp(block.timestamp + dt / 2);
            cur = _apply(g, cur, m);
            if (m.mover == alice) aliceLeft -= dt;
            else bobLeft -= dt;
            ChallengeManager.Challenge memory c = cm.getChallenge(g.id);
            assertEq(c.challengerClock, aliceLeft);
            assertEq(c.defenderClock, bobLeft);
            assertEq(c.lastMoveAt, block.timestamp);
            m = _plan(g, cur);
            moves++;
        }
        assertEq(moves, 22, "6 bisections, entry, 15 bisections");
        assertEq(cm.getChallenge(g.id).level, 2);
        // 11 moves each.
        assertEq(aliceLeft, CLOCK - 1100);
        assertEq(bobLeft, CLOCK - 11_000);
        // Alice is to move with the budget she carried from level 1: one second over loses.
        assertEq(m.mover, alice);
        vm.warp(block.timestamp + aliceLeft);
        vm.expectRevert(
            abi.encodeWithSelector(ChallengeManager.ClockNotExpired.selector, aliceLeft, aliceLeft)
        );
        cm.timeout(g.id);
        vm.warp(block.timestamp + 1);
        cm.timeout(g.id);
        assertEq(recorder.resultAt(0).winner, bob);
    }

    // ------------------------------------------------------------ forfeit

    function test_ForfeitEndsTheChallengeWithoutReporting() public {
        (Game memory g, Segment memory seg) = _game(true, 900);
        Move memory m = _plan(g, seg);
        vm.expectRevert(abi.encodeWithSelector(ChallengeManager.NotRollup.selector, alice));
        vm.prank(alice);
        cm.forfeit(g.id, bob);
        address carol = makeAddr("carol");
        vm.expectRevert(abi.encodeWithSelector(ChallengeManager.NotAParty.selector, carol));
        recorder.forfeit(cm, g.id, carol);
        vm.expectEmit(address(cm));
        emit ChallengeManager.ChallengeEnded(g.id, alice, bob, ChallengeManager.EndReason.Forfeit);
        assertEq(recorder.forfeit(cm, g.id, bob), alice);
        assertEq(recorder.resultCount(), 0, "the rollup asked; no callback");
        (address w, address l) = cm.result(g.id);
        assertEq(w, alice);
        assertEq(l, bob);
        vm.expectRevert(abi.encodeWithSelector(ChallengeManager.ChallengeNotOpen.selector, g.id));
        vm.prank(alice);
        cm.bisect(g.id, seg, m.index, m.next);
        vm.warp(block.timestamp + 3 * CLOCK);
        vm.expectRevert(abi.encodeWithSelector(ChallengeManager.ChallengeNotOpen.selector, g.id));
        cm.timeout(g.id);
    }

    // ------------------------------------------------------------ split points

    function test_SplitPointsMatchTheSpec() public view {
        // (start, length, k, i) -> start + floor(i * length / k)
        uint256[5][22] memory t = [
            [uint256(0), 1000, 4, 0, 0],
            [uint256(0), 1000, 4, 1, 250],
            [uint256(0), 1000, 4, 4, 1000],
            [uint256(0), 250, 4, 1, 62],
            [uint256(0), 250, 4, 2, 125],
            [uint256(0), 250, 4, 3, 187],
            [uint256(62), 63, 4, 1, 77],
            [uint256(62), 63, 4, 3, 109],
            [uint256(62), 63, 4, 4, 125],
            // length < degree: k = length, every point is one apart
            [uint256(10), 3, 3, 0, 10],
            [uint256(10), 3, 3, 1, 11],
            [uint256(10), 3, 3, 3, 13],
            [uint256(5), 1, 1, 1, 6],
            [uint256(0), 7, 3, 1, 2],
            [uint256(0), 7, 3, 2, 4],
            // the initial segment: k = 1 whatever the length
            [uint256(0), 1500, 1, 1, 1500],
            // MAX_STEPS = 2^32 at level 2
            [uint256(0), 2 ** 32, 4, 1, 2 ** 30],
            [uint256(0), 2 ** 32, 4, 3, 3 * 2 ** 30],
            [uint256(0), 2 ** 32, 3, 1, 1_431_655_765],
            [uint256(0), 2 ** 32, 3, 2, 2_863_311_530],
            [uint256(0), 2 ** 32, 1024, 1023, 4_290_772_992],
            [
                uint256(2 ** 64 - 10),
                2 ** 64 - 1,
                1024,
                1023,
                2 ** 64 - 10 + 18_428_729_675_200_069_631
            ]
        ];
        for (uint256 j = 0; j < t.length; j++) {
            assertEq(cm.splitPoint(t[j][0], t[j][1], t[j][2], t[j][3]), t[j][4]);
        }
    }
}
