// SPDX-License-Identifier: MIT
pragma solidity ^0.8.37;

import {ChallengeManagerBase} from "./ChallengeManagerBase.t.sol";
import {Vm} from "forge-std/Vm.sol";
import {ChallengeManager, Segment} from "../src/rollup/ChallengeManager.sol";
import {Hashing} from "../src/osp/Hashing.sol";
import {MAX_STEPS} from "../src/osp/Constants.sol";

/// The game when a block cannot finish (docs/spec/protocol.md, "A block that cannot finish").
/// Block `STUCK_BLOCK` of the range errors: the honest side claims the true states up to it
/// and `Hashing.STUCK` from it on, and inside it a machine that never reaches a finished hash
/// (its hash at `MAX_STEPS` is an unfinished machine). The liar claims the block finishes:
/// its machine agrees up to the real step of the proof vector and departs after it, ending
/// in `finishedMachineHash` of its made-up state. With `stuckIsTrue` false the roles turn:
/// the block finishes and the liar claims STUCK.
contract ChallengeManagerStuckTest is ChallengeManagerBase {
    uint256 internal constant BLOCKS = 9;
    uint256 internal constant STUCK_BLOCK = 5;
    uint256 internal constant BAD_STEP = 777_777;
    bytes32 internal constant FINISHED_STATE = keccak256("the state after the block");

    address internal honest = makeAddr("honest");
    address internal liar = makeAddr("liar");
    /// Whether the block really cannot finish (the honest side claims STUCK) or really
    /// finishes in `FINISHED_STATE` (the liar claims STUCK).
    bool internal stuckIsTrue = true;

    function _gsAt(bool isHonest, uint256 j) internal view returns (bytes32) {
        if (j <= STUCK_BLOCK) return keccak256(abi.encode("gs", j));
        if (isHonest == stuckIsTrue) return Hashing.STUCK;
        return j == STUCK_BLOCK + 1 ? FINISHED_STATE : keccak256(abi.encode("finisher gs", j));
    }

    /// The two machines agree up to `BAD_STEP`; the real step from there (the proof vector)
    /// is the honest side's, the liar's departs at `BAD_STEP + 1`.
    function _mhAt(bool isHonest, uint256 t) internal view returns (bytes32) {
        bool claimsStuck = isHonest == stuckIsTrue;
        if (t == 0) return osp.initialMachineHash(MODULE_ROOT, _gsAt(true, STUCK_BLOCK));
        if (t == MAX_STEPS) {
            // A stuck machine is still running (or errored) at MAX_STEPS: never finished.
            return claimsStuck
                ? keccak256(abi.encode("unfinished", t))
                : osp.finishedMachineHash(FINISHED_STATE);
        }
        if (t < BAD_STEP) return keccak256(abi.encode("mh", t));
        if (t == BAD_STEP) return vecPre;
        if (t == BAD_STEP + 1) return isHonest ? vecPost : keccak256(abi.encode("departs", t));
        return keccak256(abi.encode(claimsStuck ? "stuck mh" : "finisher mh", t));
    }

    function _points(bool isHonest, uint8 level, uint256 start, uint256 length)
        internal
        view
        returns (bytes32[] memory h)
    {
        uint256 k = length < DEGREE ? length : DEGREE;
        h = new bytes32[](k + 1);
        for (uint256 j = 0; j <= k; j++) {
            uint256 p = cm.splitPoint(start, length, k, j);
            h[j] = level == 1 ? _gsAt(isHonest, p) : _mhAt(isHonest, p);
        }
    }

    function _openStuck(bool honestChallenges) internal returns (uint256 id, Segment memory seg) {
        (address c, address d) = honestChallenges ? (honest, liar) : (liar, honest);
        seg.level = 1;
        seg.length = BLOCKS;
        seg.hashes = new bytes32[](2);
        seg.hashes[0] = _gsAt(true, 0);
        seg.hashes[1] = _gsAt(!honestChallenges, BLOCKS);
        vm.prank(address(recorder));
        id = cm.createChallenge(c, d, seg.hashes[0], seg.hashes[1], BLOCKS, MODULE_ROOT);
    }

    /// Both parties play their claims to the end; returns the winner and how it won.
    function _play(uint256 id, Segment memory seg)
        internal
        returns (address, ChallengeManager.EndReason)
    {
        vm.recordLogs();
        for (uint256 round = 0; round < 64; round++) {
            address mover = cm.mover(id);
            if (mover == address(0)) break;
            bool isHonest = mover == honest;
            uint256 k = seg.hashes.length - 1;
            uint256 i = 0;
            while (
                (seg.level == 1
                            ? _gsAt(isHonest, cm.splitPoint(seg.start, seg.length, k, i + 1))
                            : _mhAt(isHonest, cm.splitPoint(seg.start, seg.length, k, i + 1)))
                    == seg.hashes[i + 1]
            ) i++;
            uint256 from = cm.splitPoint(seg.start, seg.length, k, i);
            uint256 len = cm.splitPoint(seg.start, seg.length, k, i + 1) - from;
            vm.warp(block.timestamp + 60);
            if (len >= 2) {
                bytes32[] memory next = _points(isHonest, seg.level, from, len);
                vm.prank(mover);
                cm.bisect(id, seg, i, next);
                seg = Segment(seg.level, from, len, next);
            } else if (seg.level == 1) {
                bytes32[] memory next = _points(isHonest, 2, 0, MAX_STEPS);
                vm.prank(mover);
                if (seg.hashes[i + 1] == Hashing.STUCK) {
                    cm.enterLevelTwoFinishing(id, seg, i, next, FINISHED_STATE);
                } else {
                    cm.enterLevelTwo(id, seg, i, next);
                }
                seg = Segment(2, 0, MAX_STEPS, next);
            } else {
                // Only the honest side reaches a step it can prove; the liar at the bottom
                // has nothing to send and its clock runs out.
                if (!isHonest) {
                    vm.warp(block.timestamp + CLOCK + 1);
                    cm.timeout(id);
                    break;
                }
                vm.prank(mover);
                cm.proveOneStep(id, seg, i, vecProof);
            }
        }
        (address winner,) = cm.result(id);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        bytes32 ended = ChallengeManager.ChallengeEnded.selector;
        for (uint256 j = 0; j < logs.length; j++) {
            if (logs[j].topics[0] == ended) {
                return (winner, abi.decode(logs[j].data, (ChallengeManager.EndReason)));
            }
        }
        revert("the challenge did not end");
    }

    /// Plays a true-STUCK game with the honest side as challenger or defender and checks how
    /// it ended.
    function _honestWins(
        bool honestChallenges,
        ChallengeManager.EndReason reason,
        ChallengeManager.Status status
    ) internal {
        (uint256 id, Segment memory seg) = _openStuck(honestChallenges);
        (address winner, ChallengeManager.EndReason why) = _play(id, seg);
        assertEq(winner, honest);
        assertEq(uint8(why), uint8(reason));
        assertEq(uint8(cm.getChallenge(id).status), uint8(status));
    }

    function test_StuckClaim_HonestChallengerWinsByProof() public {
        _honestWins(
            true, ChallengeManager.EndReason.OneStepProof, ChallengeManager.Status.ChallengerWon
        );
    }

    /// The liar disputes the honest STUCK point and must claim a finished machine for it
    /// (`enterLevelTwoFinishing`); level 2 narrows to the step where its machine departs,
    /// which falls to the liar to prove: it has no proof and its clock runs out.
    function test_StuckClaim_HonestDefenderWinsAtTheBottom() public {
        _honestWins(false, ChallengeManager.EndReason.Timeout, ChallengeManager.Status.DefenderWon);
    }

    /// A false STUCK claim: the block finishes, and the honest side answers STUCK with the
    /// finished machine (as challenger: `enterLevelTwoFinishing`), then proves the step.
    function test_FalseStuckClaim_FinisherWins() public {
        stuckIsTrue = false;
        (uint256 id, Segment memory seg) = _openStuck(true);
        (address winner,) = _play(id, seg);
        assertEq(winner, honest);
        (id, seg) = _openStuck(false);
        (winner,) = _play(id, seg);
        assertEq(winner, honest);
    }

    /// A posted level-1 segment whose STUCK point is followed by a state.
    function test_RevertWhen_StuckIsFollowedByAState() public {
        (uint256 id, Segment memory seg) = _openStuck(true);
        bytes32[] memory next = _points(true, 1, 0, BLOCKS);
        next[3] = Hashing.STUCK;
        next[4] = keccak256("a state after stuck");
        vm.prank(honest);
        vm.expectRevert(ChallengeManager.StuckIsAbsorbing.selector);
        cm.bisect(id, seg, 0, next);
    }

    /// Against a STUCK end, posting the block's true unfinished trace disputes nothing: the
    /// opponent would have no step to prove. Only a finished machine is accepted.
    function test_RevertWhen_UnfinishedTraceAgainstStuck() public {
        vm.prank(address(recorder));
        bytes32 s = _gsAt(true, STUCK_BLOCK);
        uint256 id = cm.createChallenge(liar, honest, s, Hashing.STUCK, 1, MODULE_ROOT);
        Segment memory seg = Segment(1, 0, 1, _hashes(s, Hashing.STUCK));
        bytes32[] memory trueTrace = _points(true, 2, 0, MAX_STEPS);
        bytes32[] memory finishing = _points(false, 2, 0, MAX_STEPS);
        vm.startPrank(liar);
        vm.expectRevert(ChallengeManager.StuckNeedsFinishedMachine.selector);
        cm.enterLevelTwo(id, seg, 0, trueTrace);
        vm.expectRevert(ChallengeManager.StuckNeedsFinishedMachine.selector);
        cm.enterLevelTwoFinishing(id, seg, 0, trueTrace, FINISHED_STATE);
        // A finished machine for the claimed state is accepted.
        cm.enterLevelTwoFinishing(id, seg, 0, finishing, FINISHED_STATE);
        vm.stopPrank();
        assertEq(cm.getChallenge(id).level, 2);
    }

    /// `enterLevelTwoFinishing` only answers a STUCK end, and nobody argues from STUCK.
    function test_RevertWhen_FinishingMisused() public {
        vm.prank(address(recorder));
        bytes32 s = _gsAt(true, 0);
        bytes32 e = _gsAt(true, 1);
        uint256 id = cm.createChallenge(liar, honest, s, e, 1, MODULE_ROOT);
        Segment memory seg = Segment(1, 0, 1, _hashes(s, e));
        bytes32[] memory finishing = _points(false, 2, 0, MAX_STEPS);
        vm.prank(liar);
        vm.expectRevert(ChallengeManager.NotAgainstStuck.selector);
        cm.enterLevelTwoFinishing(id, seg, 0, finishing, FINISHED_STATE);

        vm.prank(address(recorder));
        uint256 id2 = cm.createChallenge(liar, honest, Hashing.STUCK, Hashing.STUCK, 1, MODULE_ROOT);
        Segment memory seg2 = Segment(1, 0, 1, _hashes(Hashing.STUCK, Hashing.STUCK));
        vm.prank(liar);
        vm.expectRevert(ChallengeManager.StuckIsAbsorbing.selector);
        cm.enterLevelTwoFinishing(id2, seg2, 0, finishing, FINISHED_STATE);
    }
}
