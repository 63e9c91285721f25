// SPDX-License-Identifier: MIT
pragma solidity ^0.8.37;

import {console} from "forge-std/console.sol";
import {Vm} from "forge-std/Vm.sol";
import {ChallengeManagerBase} from "./ChallengeManagerBase.t.sol";
import {ChallengeManager, Segment} from "../src/rollup/ChallengeManager.sol";
import {MAX_STEPS} from "../src/osp/Constants.sol";

/// Whole disputes: two levels played to a real one-step proof, many challenges at once, and
/// the gas each party spends.
contract ChallengeManagerDisputeTest is ChallengeManagerBase {
    uint256 constant N = 1500;
    uint256 constant BAD_STEP = 2 ** 31 + 12_345;

    /// Plays an honest party against a liar over N blocks with degree 4 and checks the end:
    /// the honest party proves the step, the rollup hears (winner, loser) once, and every
    /// further move reverts. `badBlock` picks who gets the last step: with N = 1500, block
    /// 902 needs 6 level-1 bisections (the challenger proves), block 901 needs 5 (the
    /// defender proves); level 2 always takes the entry and 15 bisections (4^16 = 2^32).
    function _dispute(bool challengerHonest, uint256 badBlock) internal {
        vm.recordLogs();
        (Game memory g, Segment memory seg) =
            _open(alice, bob, challengerHonest, N, badBlock, BAD_STEP, "dispute");
        address honest = challengerHonest ? alice : bob;
        address liar = challengerHonest ? bob : alice;

        (Segment memory cur, Move memory last) = _playToStep(g, seg, 600);
        assertEq(cur.level, 2);
        assertEq(cur.length, 4, "level 2 narrowed to four steps");
        assertEq(cur.hashes[last.index], vecPre, "agreed pre-state");
        assertEq(cur.hashes[last.index + 1], _mh(g, false, BAD_STEP + 1), "liar's post");
        assertTrue(cur.hashes[last.index + 1] != vecPost);
        assertEq(last.mover, honest);

        vm.expectEmit(address(cm));
        emit ChallengeManager.OneStepProven(
            g.id, honest, vecPre, cur.hashes[last.index + 1], vecPost
        );
        vm.expectEmit(address(cm));
        emit ChallengeManager.ChallengeEnded(
            g.id, honest, liar, ChallengeManager.EndReason.OneStepProof
        );
        vm.warp(block.timestamp + 600);
        _apply(g, cur, last);

        // Followers saw every segment: the initial one and one per move before the proof.
        assertEq(_countSegmentPosted(vm.getRecordedLogs()), 1 + (challengerHonest ? 22 : 21));

        assertEq(recorder.resultCount(), 1);
        assertEq(recorder.timesReported(g.id), 1);
        assertEq(recorder.resultAt(0).challengeId, g.id);
        assertEq(recorder.resultAt(0).winner, honest);
        assertEq(recorder.resultAt(0).loser, liar);
        (address w, address l) = cm.result(g.id);
        assertEq(w, honest);
        assertEq(l, liar);
        assertEq(
            uint8(cm.getChallenge(g.id).status),
            uint8(
                challengerHonest
                    ? ChallengeManager.Status.ChallengerWon
                    : ChallengeManager.Status.DefenderWon
            )
        );
        _assertClosed(g, cur, last);
    }

    /// Every move on an ended challenge reverts, by either party, and nothing more is reported.
    function _assertClosed(Game memory g, Segment memory cur, Move memory last) internal {
        bytes memory closed =
            abi.encodeWithSelector(ChallengeManager.ChallengeNotOpen.selector, g.id);
        address[2] memory parties = [g.challenger, g.defender];
        bytes32[] memory level2 = _claims(g, true, 2, 0, MAX_STEPS);
        for (uint256 p = 0; p < 2; p++) {
            vm.expectRevert(closed);
            vm.prank(parties[p]);
            cm.proveOneStep(g.id, cur, last.index, vecProof);
            vm.expectRevert(closed);
            vm.prank(parties[p]);
            cm.bisect(g.id, cur, last.index, _hashes(vecPre, keccak256("x")));
            vm.expectRevert(closed);
            vm.prank(parties[p]);
            cm.enterLevelTwo(g.id, cur, last.index, level2);
        }
        vm.warp(block.timestamp + 3 * CLOCK);
        vm.expectRevert(closed);
        cm.timeout(g.id);
        vm.expectRevert(closed);
        recorder.forfeit(cm, g.id, g.challenger);
        assertEq(cm.mover(g.id), address(0));
        assertEq(recorder.timesReported(g.id), 1);
    }

    function test_FullTwoLevelDispute_HonestChallengerWins() public {
        _dispute(true, 902);
    }

    function test_FullTwoLevelDispute_HonestDefenderWins() public {
        _dispute(false, 901);
    }

    /// A dispute over a single block goes straight to level 2.
    function test_FullDisputeOverOneBlock() public {
        // 1 entry + 15 bisections: the challenger gets the last step.
        (Game memory g, Segment memory seg) = _open(alice, bob, true, 1, 0, 77, "one");
        _playOut(g, seg, 1);
        assertEq(recorder.resultAt(0).winner, alice);
        assertEq(recorder.resultAt(0).loser, bob);
    }

    /// Five challenges at once, alice in all of them (honest in some, lying in others), moves
    /// interleaved round-robin: each narrows and ends on its own, and each result is reported
    /// once. The last one ends by timeout while the others are played out.
    function test_ManyChallengesRunIndependently() public {
        Game[5] memory g;
        Segment[5] memory cur;
        address[5] memory others =
            [makeAddr("b1"), makeAddr("b2"), makeAddr("b3"), makeAddr("b4"), makeAddr("b5")];
        // (challenger honest?, blocks, bad block) chosen so the honest side proves the step.
        (g[0], cur[0]) = _open(alice, others[0], true, 1500, 902, 5, "c0");
        (g[1], cur[1]) = _open(others[1], alice, false, 1000, 617, MAX_STEPS - 2, "c1");
        (g[2], cur[2]) = _open(alice, others[2], false, 1500, 901, 1, "c2");
        (g[3], cur[3]) = _open(others[3], alice, true, 300, 102, 2 ** 20, "c3");
        (g[4], cur[4]) = _open(alice, others[4], true, 50, 7, 9, "c4");
        address[5] memory winners = [alice, alice, others[2], others[3], alice];

        bool[5] memory done;
        uint256 open = 5;
        while (open > 0) {
            vm.warp(block.timestamp + 60);
            for (uint256 j = 0; j < 5; j++) {
                if (done[j]) continue;
                if (j == 4 && cm.mover(g[j].id) == others[4]) {
                    // others[4] never answers; once the rest are over, its clock runs out.
                    if (open > 1) continue;
                    vm.warp(block.timestamp + CLOCK + 1);
                    cm.timeout(g[j].id);
                    done[j] = true;
                    open--;
                    continue;
                }
                Move memory m = _plan(g[j], cur[j]);
                if (m.kind == Kind.Prove) {
                    assertEq(m.mover, g[j].honest, "honest party proves");
                    done[j] = true;
                    open--;
                }
                cur[j] = _apply(g[j], cur[j], m);
            }
            // Every challenge has its own id and segment; none disturbs another.
            for (uint256 j = 0; j < 5; j++) {
                if (!done[j]) {
                    assertEq(cm.getChallenge(g[j].id).segmentHash, cm.hashSegment(cur[j]));
                }
            }
        }
        assertEq(recorder.resultCount(), 5);
        for (uint256 j = 0; j < 5; j++) {
            assertEq(recorder.timesReported(g[j].id), 1);
            (address w, address l) = cm.result(g[j].id);
            assertEq(w, winners[j], "winner");
            assertEq(l, _other(g[j], winners[j]), "loser");
        }
    }

    /// Gas of every move type and of a whole dispute per party, as transactions (see
    /// ChallengeManagerBase: run `forge test --isolate --match-test Gas -vv` for figures that
    /// include cold account accesses). The one-step proof here is a small math step; the
    /// prover's own cost depends on the instruction and is measured in the OSP's tests.
    function test_GasOfAFullDispute() public {
        for (uint256 r = 0; r < 2; r++) {
            bool challengerHonest = r == 0;
            setUp();
            _detectIsolation();
            measuring = true;
            (Game memory g, Segment memory seg) = _open(
                alice, bob, challengerHonest, N, challengerHonest ? 902 : 901, BAD_STEP, "gas"
            );
            _playOut(g, seg, 60);
            measuring = false;
            console.log(
                string.concat(
                    challengerHonest
                        ? "honest challenger (alice) vs lying defender (bob)"
                        : "lying challenger (alice) vs honest defender (bob)",
                    isolated ? ", isolated transactions" : ", execution + 21000 + calldata"
                )
            );
            _logKind("bisect", Kind.Bisect);
            _logKind("enterLevelTwo", Kind.EnterLevelTwo);
            _logKind("proveOneStep", Kind.Prove);
            _logParty("alice", alice);
            _logParty("bob", bob);
            // Each side's whole dispute stays far below one block.
            assertLt(txGasBy[alice], 2_000_000);
            assertLt(txGasBy[bob], 2_000_000);
            delete txGasBy[alice];
            delete txGasBy[bob];
            delete calldataGasBy[alice];
            delete calldataGasBy[bob];
            delete movesBy[alice];
            delete movesBy[bob];
            for (uint256 k = 0; k < 3; k++) {
                delete maxTxGasOfKind[k];
            }
        }
    }

    function _logKind(string memory name, Kind kind) internal view {
        console.log(
            string.concat(
                "  ", name, ": max gas per transaction ", vm.toString(maxTxGasOfKind[uint256(kind)])
            )
        );
    }

    function _logParty(string memory name, address who) internal view {
        console.log(
            string.concat(
                "  ",
                name,
                ": ",
                vm.toString(movesBy[who]),
                " moves, ",
                vm.toString(txGasBy[who]),
                " gas in all (calldata ",
                vm.toString(calldataGasBy[who]),
                ")"
            )
        );
    }
}
