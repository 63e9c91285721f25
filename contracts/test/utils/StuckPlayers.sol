// SPDX-License-Identifier: MIT
pragma solidity ^0.8.37;

import {RollupBase} from "../RollupBase.t.sol";
import {IRollupEvents} from "../../src/rollup/IRollupEvents.sol";
import {AssertionTree} from "../../src/rollup/AssertionTree.sol";
import {Assertion, AssertionStatus} from "../../src/rollup/RollupTypes.sol";
import {ChallengeManager, Segment} from "../../src/rollup/ChallengeManager.sol";
import {Hashing} from "../../src/osp/Hashing.sol";
import {MAX_STEPS} from "../../src/osp/Constants.sol";

/// The players of StuckAdversary.t.sol: games played in full through the Rollup over a range
/// of `n` blocks from the family's start, level-1 claims for both sides (the honest side's
/// truth, the liar's strategy: where it departs from the truth and where it claims STUCK),
/// down to one block and then to one machine step. Inside the disputed block the two
/// machines agree up to `BAD_STEP` and part after it; the real step there is the proof
/// vector's (`vecPre` -> `vecPost`), so the honest side proves it when it faces it, and the
/// liar facing it has no proof (`ClaimStands`) and times out. With `tricks` on, at every
/// level-1 turn the liar first tries every segment trick against STUCK points, each of which
/// must revert.
abstract contract StuckPlayers is RollupBase {
    uint256 internal constant BAD_STEP = 777_777;
    /// Seconds between moves.
    uint256 internal constant DT = 5;
    uint256 internal constant LATENCY = 60;

    /// How often each refused trick was tried, so a test can show it was exercised:
    /// 0 STUCK at point 0, 1 STUCK followed by a state, 2 bisecting out of an agreed STUCK,
    /// 3 the unfinished trace against STUCK, 4 level 2 out of an agreed STUCK, 5 "finishing"
    /// with an unfinished machine.
    uint256[6] internal tried;

    /// One game: the truth, the liar's level-1 strategy and where their claims part.
    struct Play {
        uint256 id;
        address lie;
        uint256 n;
        /// First level-1 point that is STUCK in truth (0: every block finishes).
        uint256 sb;
        /// First point the liar claims STUCK (0: never).
        uint256 liarStuck;
        /// First point where the liar's states are its own (made up).
        uint256 liarDepart;
        bytes32 start;
        bytes32 honestEnd;
        bytes32 liarEnd;
        bytes32 root;
        bool tricks;
        /// The first point the two sides disagree on, and the agreed state before it.
        uint256 d;
        bytes32 s;
    }

    /// A liar's strategy in `_contest`.
    struct Plan {
        uint256 stuckFrom;
        uint256 departFrom;
        bool honestChallenges;
    }

    // ------------------------------------------------------------------ helpers

    function _stuck(address who, uint256 parent) internal returns (uint256 id) {
        uint256 value = _staker(who).staked ? 0 : BOND;
        vm.deal(who, who.balance + value);
        vm.prank(who);
        id = rollup.createStuckAssertion{value: value}(parent);
    }

    function _segHash(uint256 n, bytes32 a, bytes32 b) internal pure returns (bytes32) {
        bytes32[] memory h = new bytes32[](2);
        (h[0], h[1]) = (a, b);
        return keccak256(abi.encode(uint8(1), uint256(0), n, h));
    }

    function _awaiting(uint256 parent, bytes32 root) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(IRollupEvents.AwaitingNewModuleRoot.selector, parent, root);
    }

    function _schedule(bytes32 root) internal {
        vm.prank(owner);
        rollup.scheduleModuleRoot(root);
        vm.warp(rollup.scheduledModuleRootAt());
    }

    /// Level-1 claim at point `j` (state hash after `j` blocks from the start).
    function _gs(Play memory g, bool h, uint256 j) internal pure returns (bytes32) {
        if (j == 0) return g.start;
        if (h) {
            if (g.sb != 0 && j >= g.sb) return Hashing.STUCK;
            return j == g.n ? g.honestEnd : keccak256(abi.encode("true gs", j));
        }
        if (g.liarStuck != 0 && j >= g.liarStuck) return Hashing.STUCK;
        if (j >= g.liarDepart) {
            return j == g.n ? g.liarEnd : keccak256(abi.encode(g.lie, "liar gs", j));
        }
        // Before it departs the liar repeats the states a finishing chain would have (past a
        // true STUCK point these are made up too: it claims the block finishes).
        return keccak256(abi.encode("true gs", j));
    }

    /// Machine hash after `t` steps of the disputed block `g.d`.
    function _mhAt(Play memory g, bool h, uint256 t) internal view returns (bytes32) {
        if (t == 0) return osp.initialMachineHash(g.root, g.s);
        if (t == MAX_STEPS) {
            bytes32 e = _gs(g, h, g.d);
            // A block that cannot finish is an unfinished (running or errored) machine here.
            return e == Hashing.STUCK
                ? keccak256(abi.encode(h, "unfinished"))
                : osp.finishedMachineHash(e);
        }
        if (t < BAD_STEP) return keccak256(abi.encode("mh", t));
        if (t == BAD_STEP) return vecPre;
        if (t == BAD_STEP + 1) return h ? vecPost : keccak256("liar departs");
        return keccak256(abi.encode(h, "mh", t));
    }

    function _at(Play memory g, bool h, uint8 level, uint256 p) internal view returns (bytes32) {
        return level == 1 ? _gs(g, h, p) : _mhAt(g, h, p);
    }

    function _pts(Play memory g, bool h, uint8 level, uint256 from, uint256 len)
        internal
        view
        returns (bytes32[] memory out)
    {
        uint256 k = len < DEGREE ? len : DEGREE;
        out = new bytes32[](k + 1);
        for (uint256 j = 0; j <= k; j++) {
            out[j] = _at(g, h, level, cm.splitPoint(from, len, k, j));
        }
    }

    /// Fills in where the claims part; checks the opening segment the Rollup stored.
    function _open(Play memory g) internal view returns (Segment memory seg) {
        for (g.d = 1; _gs(g, true, g.d) == _gs(g, false, g.d); g.d++) {}
        g.s = _gs(g, true, g.d - 1);
        assertTrue(g.s != Hashing.STUCK, "nobody argues from STUCK");
        bool honestDefends = cm.getChallenge(g.id).defender == honest;
        seg = Segment(1, 0, g.n, new bytes32[](2));
        seg.hashes[0] = g.start;
        seg.hashes[1] = honestDefends ? g.honestEnd : g.liarEnd;
        assertEq(cm.getChallenge(g.id).segmentHash, _segHash(g.n, seg.hashes[0], seg.hashes[1]));
        assertEq(cm.getChallenge(g.id).moduleRoot, g.root);
    }

    /// Every level-1 move against a STUCK point that the rule must refuse, tried by the liar
    /// on the current segment (each reverts, so nothing changes).
    function _tryTricks(Play memory g, Segment memory seg) internal {
        uint256 k = seg.hashes.length - 1;
        for (uint256 i = 0; i < k; i++) {
            uint256 from = cm.splitPoint(seg.start, seg.length, k, i);
            uint256 len = cm.splitPoint(seg.start, seg.length, k, i + 1) - from;
            bytes32 a = seg.hashes[i];
            if (len >= 2) {
                uint256 kk = len < DEGREE ? len : DEGREE;
                bytes32[] memory nx = new bytes32[](kk + 1);
                for (uint256 j = 1; j <= kk; j++) {
                    nx[j] = keccak256(abi.encode("trick state", j));
                }
                // STUCK at point 0 of a sub-segment whose start is a state.
                if (a != Hashing.STUCK) {
                    nx[0] = Hashing.STUCK;
                    vm.prank(g.lie);
                    vm.expectRevert(
                        abi.encodeWithSelector(ChallengeManager.WrongStart.selector, nx[0], a)
                    );
                    cm.bisect(g.id, seg, i, nx);
                    tried[0]++;
                }
                // STUCK in the middle followed by a state (from a STUCK start: a way out).
                nx[0] = a;
                nx[1] = Hashing.STUCK;
                if (nx[kk] == seg.hashes[i + 1]) continue;
                vm.prank(g.lie);
                vm.expectRevert(ChallengeManager.StuckIsAbsorbing.selector);
                cm.bisect(g.id, seg, i, nx);
                tried[a == Hashing.STUCK ? 2 : 1]++;
            } else if (seg.hashes[i + 1] == Hashing.STUCK) {
                bytes32[] memory tr = new bytes32[](DEGREE + 1);
                tr[0] = osp.initialMachineHash(g.root, a);
                for (uint256 j = 1; j <= DEGREE; j++) {
                    tr[j] = keccak256(abi.encode("real unfinished trace", j));
                }
                // The block's true unfinished trace against STUCK disputes nothing.
                vm.prank(g.lie);
                vm.expectRevert(ChallengeManager.StuckNeedsFinishedMachine.selector);
                cm.enterLevelTwo(g.id, seg, i, tr);
                tried[3]++;
                if (a == Hashing.STUCK) {
                    // Out of an agreed STUCK point with a finished machine.
                    tr[DEGREE] = osp.finishedMachineHash(keccak256("escape"));
                    vm.prank(g.lie);
                    vm.expectRevert(ChallengeManager.StuckIsAbsorbing.selector);
                    cm.enterLevelTwoFinishing(g.id, seg, i, tr, keccak256("escape"));
                    tried[4]++;
                } else {
                    // "Finishing", but posting an unfinished machine at MAX_STEPS.
                    vm.prank(g.lie);
                    vm.expectRevert(ChallengeManager.StuckNeedsFinishedMachine.selector);
                    cm.enterLevelTwoFinishing(g.id, seg, i, tr, keccak256("escape"));
                    tried[5]++;
                }
            }
        }
    }

    /// Plays game `g` from `seg`: each side disputes the first point it disagrees with.
    /// Returns once the honest side has proven the step, or (with `timeOut`) the liar facing
    /// the step it cannot prove has timed out; without `timeOut` it returns the liar stuck
    /// there, the challenge still open.
    function _play(Play memory g, Segment memory seg, bool timeOut) internal {
        for (uint256 round = 0; round < 80; round++) {
            address mover = cm.mover(g.id);
            if (mover == address(0)) return;
            bool h = mover == honest;
            if (!h && g.tricks && seg.level == 1) _tryTricks(g, seg);
            uint256 k = seg.hashes.length - 1;
            uint256 i = 0;
            while (
                _at(g, h, seg.level, cm.splitPoint(seg.start, seg.length, k, i + 1))
                    == seg.hashes[i + 1]
            ) i++;
            uint256 from = cm.splitPoint(seg.start, seg.length, k, i);
            uint256 len = cm.splitPoint(seg.start, seg.length, k, i + 1) - from;
            vm.warp(block.timestamp + DT);
            if (len >= 2) {
                bytes32[] memory nx = _pts(g, h, seg.level, from, len);
                vm.prank(mover);
                cm.bisect(g.id, seg, i, nx);
                seg = Segment(seg.level, from, len, nx);
            } else if (seg.level == 1) {
                assertEq(from + 1, g.d, "the first disputed block");
                seg = _enter(g, seg, i, mover);
            } else {
                assertEq(from, BAD_STEP);
                vm.prank(mover);
                if (h) {
                    cm.proveOneStep(g.id, seg, i, vecProof);
                    return;
                }
                // The liar has no proof against the real step.
                vm.expectRevert(ChallengeManager.ClaimStands.selector);
                cm.proveOneStep(g.id, seg, i, vecProof);
                if (!timeOut) return;
                _timeOutLiar(g.id);
                return;
            }
        }
        revert("game did not end");
    }

    /// `mover` disputes the one-block sub-interval `i` with its machine hashes of the block.
    function _enter(Play memory g, Segment memory seg, uint256 i, address mover)
        internal
        returns (Segment memory)
    {
        bool h = mover == honest;
        bytes32[] memory nx = _pts(g, h, 2, 0, MAX_STEPS);
        bytes32 f = _gs(g, h, g.d);
        vm.prank(mover);
        if (seg.hashes[i + 1] == Hashing.STUCK) {
            cm.enterLevelTwoFinishing(g.id, seg, i, nx, f);
        } else {
            cm.enterLevelTwo(g.id, seg, i, nx);
        }
        return Segment(2, 0, MAX_STEPS, nx);
    }

    function _timeOutLiar(uint256 id) internal {
        (uint256 cLeft, uint256 dLeft) = cm.remainingTime(id);
        bool liarChallenges = cm.getChallenge(id).challenger != honest;
        vm.warp(block.timestamp + (liarChallenges ? cLeft : dLeft) + 1);
        cm.timeout(id);
    }

    function _winner(uint256 id) internal view returns (address w) {
        (w,) = cm.result(id);
    }

    /// `n` messages after the Config, asserted and confirmed as `p`: `p`'s children cover
    /// `n` blocks.
    function _range(uint256 n) internal returns (uint256 p) {
        for (uint256 i = 0; i < n; i++) {
            inbox.tick();
        }
        p = _assertNext(honest, 0, "p");
        _warpToDeadline(0);
        rollup.confirm(p);
        assertEq(rollup.getAssertion(p).nextInbox - rollup.getAssertion(p).afterInbox, n);
    }

    /// A family of `n` blocks whose truth is STUCK from point `sb` (0: it finishes): the
    /// honest side makes the true claim, each plan's liar its own and a game against the
    /// honest side, played in full; then every liar's assertion is rejected, the honest one
    /// confirmed and the bonds accounted for.
    function _contest(uint256 n, uint256 sb, Plan[] memory plans) internal returns (uint256 h) {
        uint256 p = _range(n);
        uint64 pos = rollup.getAssertion(p).nextInbox;
        h = sb != 0 ? _stuck(honest, p) : _assert(honest, p, _state("honest", pos));
        uint256[] memory lies = new uint256[](plans.length);
        for (uint256 k = 0; k < plans.length; k++) {
            address l = makeAddr(string.concat("liar", vm.toString(k)));
            lies[k] = plans[k].stuckFrom != 0
                ? _stuck(l, p)
                : _assert(l, p, _state(string.concat("lie", vm.toString(k)), pos));
        }
        for (uint256 k = 0; k < plans.length; k++) {
            address l = makeAddr(string.concat("liar", vm.toString(k)));
            Play memory g;
            g.lie = l;
            g.n = n;
            g.sb = sb;
            g.liarStuck = plans[k].stuckFrom;
            g.liarDepart = plans[k].departFrom;
            g.start = rollup.getAssertion(p).afterStateHash;
            g.honestEnd = rollup.getAssertion(h).afterStateHash;
            g.liarEnd = rollup.getAssertion(lies[k]).afterStateHash;
            g.root = rollup.getAssertion(h).moduleRoot;
            g.tricks = true;
            g.id = plans[k].honestChallenges ? _challenge(honest, l) : _challenge(l, honest);
            Segment memory seg = _open(g);
            _play(g, seg, true);
            assertEq(_winner(g.id), honest);
            assertFalse(_staker(l).staked);
        }
        _warpToDeadline(p);
        for (uint256 k = 0; k < plans.length; k++) {
            if (_status(lies[k]) == AssertionStatus.Pending) rollup.reject(lies[k]);
        }
        rollup.confirm(h);
        assertEq(rollup.latestConfirmed(), h);
        assertEq(rollup.credits(honest), plans.length * REFUND);
        assertEq(rollup.credits(escrow), plans.length * (BOND - REFUND));
    }
}
