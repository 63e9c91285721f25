// SPDX-License-Identifier: MIT
pragma solidity ^0.8.37;

import {StuckPlayers} from "./utils/StuckPlayers.sol";
import {IRollupEvents} from "../src/rollup/IRollupEvents.sol";
import {AssertionTree} from "../src/rollup/AssertionTree.sol";
import {Assertion, AssertionStatus} from "../src/rollup/RollupTypes.sol";
import {ChallengeManager, Segment} from "../src/rollup/ChallengeManager.sol";
import {Hashing} from "../src/osp/Hashing.sol";

/// An attacker's review of the STUCK rule (docs/spec/protocol.md, "A block that cannot
/// finish"), written by someone who did not write the rule: every attempt is played against
/// the real Inbox, OneStepProver, ChallengeManager and Rollup (`StuckPlayers`).
/// `test_Refused_*` shows the protocol refusing the attack (the exact revert, or the honest
/// side winning and being confirmed); `test_Limit_*` pins a behaviour that needs the owner's
/// key rather than an attacker.
contract StuckAdversaryTest is StuckPlayers {
    // ------------------------------------------------------------------ 1: a true STUCK loses

    /// A true STUCK in the middle of a 9-block range (blocks 5.. cannot finish) against
    /// liars claiming states: agreeing up to the stuck block, lying before it, or lying only
    /// at the end; the honest side challenging and defending. Before every liar move at level
    /// 1 the liar tries every STUCK trick (STUCK at a sub-segment's point 0, STUCK followed by
    /// a state, bisecting or entering level 2 out of an agreed STUCK point, the true unfinished
    /// trace against STUCK, "finishing" with an unfinished machine). All refused; the STUCK
    /// claim wins every game and is confirmed.
    function test_Refused_LiarAgainstTrueStuck_AnyStrategyEitherRole() public {
        Plan[] memory plans = new Plan[](5);
        plans[0] = Plan(0, 5, true);
        plans[1] = Plan(0, 5, false);
        plans[2] = Plan(0, 2, true);
        plans[3] = Plan(0, 2, false);
        plans[4] = Plan(0, 9, false);
        uint256 h = _contest(9, 5, plans);
        assertEq(rollup.getAssertion(h).afterStateHash, Hashing.STUCK);
        for (uint256 t = 0; t < 6; t++) {
            assertGt(tried[t], 0, string.concat("trick ", vm.toString(t), " was tried"));
        }
    }

    /// The edges: the very first block of the range cannot finish (level 2 from the
    /// family's own start state), and only the last one cannot.
    function test_Refused_LiarAgainstTrueStuck_FirstBlock() public {
        Plan[] memory plans = new Plan[](3);
        plans[0] = Plan(0, 1, true);
        plans[1] = Plan(0, 1, false);
        plans[2] = Plan(0, 6, false);
        _contest(6, 1, plans);
    }

    function test_Refused_LiarAgainstTrueStuck_LastBlock() public {
        Plan[] memory plans = new Plan[](3);
        plans[0] = Plan(0, 6, true);
        plans[1] = Plan(0, 6, false);
        plans[2] = Plan(0, 3, false);
        _contest(6, 6, plans);
    }

    /// A one-block range where the true claim is STUCK and the liar defends a state: the
    /// honest challenger's only move is the real unfinished trace through `enterLevelTwo`
    /// (allowed against a state), and it wins by the proof.
    function test_Refused_LiarAgainstTrueStuck_OneBlock() public {
        Plan[] memory plans = new Plan[](2);
        plans[0] = Plan(0, 1, true);
        plans[1] = Plan(0, 1, false);
        _contest(1, 1, plans);
    }

    // ------------------------------------------------------------------ 2: a false STUCK wins

    /// Every block finishes; liars claim STUCK (all joining the one STUCK assertion: the same
    /// claim by several addresses) from the first block, from the middle with true states
    /// before, from the middle with made-up states before, and at the last block only; each
    /// plays its own strategy in its own game, challenging and defending. The finishing claim
    /// wins each at level 2 (`enterLevelTwoFinishing` with the true finished machine).
    function test_Refused_FalseStuck_AnyStrategyEitherRole() public {
        Plan[] memory plans = new Plan[](6);
        plans[0] = Plan(1, 9, true);
        plans[1] = Plan(1, 9, false);
        plans[2] = Plan(4, 9, true);
        plans[3] = Plan(6, 2, false);
        plans[4] = Plan(9, 9, true);
        plans[5] = Plan(9, 3, false);
        _contest(9, 0, plans);
    }

    // ------------------------------------------------------------------ 3: uncomputed roots

    /// The attacker claims STUCK falsely just before a new module root applies, then builds
    /// a child under its claim with the new root (the re-run from genesis) carrying an outbox
    /// root of its own. The game is over the stuck claim's own range and root (the fork is at
    /// genesis), the false claim loses, and the child under it can never be confirmed.
    function test_Refused_ChildOfFalseStuck_NeverPays() public {
        bytes32 m1 = keccak256("m1");
        vm.prank(owner);
        rollup.scheduleModuleRoot(m1);
        vm.warp(rollup.scheduledModuleRootAt() - 1);
        uint256 h = _assertNext(honest, 0, "h");
        uint256 f = _stuck(liar, 0);
        assertEq(rollup.getAssertion(f).outboxRoot, bytes32(0), "a stuck claim pays nothing");
        assertEq(rollup.getAssertion(f).moduleRoot, MODULE_ROOT);
        // Under the family's own root the claim cannot be built on.
        inbox.tick();
        Hashing.GlobalState memory loot = _state("loot", rollup.getAssertion(f).nextInbox);
        vm.prank(liar);
        vm.expectRevert(_awaiting(f, MODULE_ROOT));
        rollup.createAssertion(f, loot);
        vm.warp(block.timestamp + 1);
        uint256 c = _assert(liar, f, loot);
        assertEq(rollup.getAssertion(c).moduleRoot, m1);
        assertEq(rollup.startOf(f), 0);

        Play memory g;
        g.id = _challenge(honest, liar);
        (uint256 x, uint256 y) = rollup.rivals(honest, liar);
        assertEq(x, f);
        assertEq(y, h);
        g.lie = liar;
        g.n = 1;
        g.liarStuck = 1;
        g.liarDepart = 1;
        g.start = rollup.getAssertion(0).afterStateHash;
        g.honestEnd = rollup.getAssertion(h).afterStateHash;
        g.liarEnd = Hashing.STUCK;
        g.root = MODULE_ROOT;
        _play(g, _open(g), true);
        assertEq(_winner(g.id), honest);

        _warpToDeadline(0);
        rollup.reject(f);
        rollup.confirm(h);
        vm.expectRevert(abi.encodeWithSelector(IRollupEvents.NotChildOfLatestConfirmed.selector, c));
        rollup.confirm(c);
        rollup.reject(c);
        assertFalse(rollup.isConfirmedOutboxRoot(loot.outboxRoot));
        assertTrue(rollup.isConfirmedOutboxRoot(_state("h", 1).outboxRoot));
    }

    // ------------------------------------------------------------------ 6 (+3): ranges

    /// A stuck claim under a confirmed stuck claim, and a state family under that: every
    /// game below them starts from the first non-stuck start `p` (startOf does not stop at a
    /// stuck parent), covers every block from there, and runs the family's own module root.
    /// Both games are played in full (level 2 starts from `p`'s state under the new root);
    /// a liar two levels deep is fought over its family-level ancestor. The only outbox root
    /// confirmed is the honest re-run's.
    function test_Refused_StuckUnderStuck_GamesStartAtTheFirstStart() public {
        inbox.tick();
        inbox.tick();
        uint256 p = _assertNext(honest, 0, "p");
        _warpToDeadline(0);
        rollup.confirm(p);
        uint256 s1 = _stuck(honest, p);
        assertEq(rollup.startOf(s1), p);
        _warpToDeadline(p);
        rollup.confirm(s1);
        inbox.tick();
        // Not under the root it stopped in, not even as another STUCK claim, and not by a
        // second before the new root applies.
        vm.prank(honest);
        vm.expectRevert(_awaiting(s1, MODULE_ROOT));
        rollup.createStuckAssertion(s1);
        bytes32 m1 = keccak256("m1");
        vm.prank(owner);
        rollup.scheduleModuleRoot(m1);
        vm.warp(rollup.scheduledModuleRootAt() - 1);
        vm.prank(honest);
        vm.expectRevert(_awaiting(s1, MODULE_ROOT));
        rollup.createStuckAssertion(s1);
        vm.warp(rollup.scheduledModuleRootAt());

        // Under m1 the re-run from p is stuck again (another block): STUCK under STUCK.
        uint256 s2 = _stuck(honest, s1);
        assertEq(rollup.startOf(s2), p, "back to p, not to s1");
        assertEq(rollup.getAssertion(s2).moduleRoot, m1);
        uint256 l2 = _assertNext(liar, s1, "l2");
        Play memory g;
        g.id = _challenge(liar, honest);
        g.lie = liar;
        g.n = rollup.getAssertion(s2).afterInbox - rollup.getAssertion(p).afterInbox;
        assertEq(g.n, 3, "p's range and the message after it");
        g.sb = 2;
        g.liarDepart = 1;
        g.start = rollup.getAssertion(p).afterStateHash;
        g.honestEnd = Hashing.STUCK;
        g.liarEnd = rollup.getAssertion(l2).afterStateHash;
        g.root = m1;
        g.tricks = true;
        _play(g, _open(g), true);
        assertEq(_winner(g.id), honest);
        _warpToDeadline(s1);
        rollup.reject(l2);
        rollup.confirm(s2);

        // s2's children wait for a root other than m1, then re-run from p again.
        Hashing.GlobalState memory next = _state("h", rollup.getAssertion(s2).nextInbox);
        inbox.tick();
        vm.prank(honest);
        vm.expectRevert(_awaiting(s2, m1));
        rollup.createAssertion(s2, next);
        bytes32 m2 = keccak256("m2");
        _schedule(m2);
        uint256 h = _assert(honest, s2, next);
        assertEq(rollup.startOf(h), h);
        address liar2 = makeAddr("liar2");
        uint256 l3 = _assertNext(liar2, s2, "l3");
        inbox.tick();
        uint256 l4 = _assertNext(liar2, l3, "l4");
        assertEq(_staker(liar2).current, l4);

        Play memory g2;
        g2.id = _challenge(honest, liar2);
        (uint256 x,) = rollup.rivals(honest, liar2);
        assertEq(x, l3, "the fight is over the family-level rival");
        g2.lie = liar2;
        g2.n = rollup.getAssertion(h).afterInbox - rollup.getAssertion(p).afterInbox;
        assertEq(g2.n, 4);
        g2.liarDepart = 1;
        g2.start = rollup.getAssertion(p).afterStateHash;
        g2.honestEnd = rollup.getAssertion(h).afterStateHash;
        g2.liarEnd = rollup.getAssertion(l3).afterStateHash;
        g2.root = m2;
        _play(g2, _open(g2), true);
        assertEq(_winner(g2.id), honest);
        _warpToDeadline(s2);
        rollup.reject(l3);
        rollup.confirm(h);
        assertTrue(rollup.isConfirmedOutboxRoot(next.outboxRoot));
        assertFalse(rollup.isConfirmedOutboxRoot(_state("l3", next.inboxPosition).outboxRoot));
        assertFalse(rollup.isConfirmedOutboxRoot(_state("l2", 4).outboxRoot));
    }

    // ------------------------------------------------------------------ 4: halting, delay

    /// False STUCK claims at every level of the honest line (each by its own bond), which
    /// cannot be built on under the same root. All three games run in parallel; every honest
    /// assertion is confirmed at its family's deadline, inside period + clock + latency.
    function test_Refused_FalseStuckAtEveryLevel_HonestInBound() public {
        uint256[3] memory hs;
        uint256[3] memory fs;
        address[3] memory atk = [makeAddr("a0"), makeAddr("a1"), makeAddr("a2")];
        uint256 t0 = block.timestamp;
        uint256 parent = 0;
        for (uint256 k = 0; k < 3; k++) {
            if (k > 0) inbox.tick();
            hs[k] = _assertNext(honest, parent, string.concat("h", vm.toString(k)));
            fs[k] = _stuck(atk[k], parent);
            parent = hs[k];
        }
        inbox.tick();
        Hashing.GlobalState memory onTop = _state("x", rollup.getAssertion(fs[0]).nextInbox);
        vm.prank(atk[0]);
        vm.expectRevert(_awaiting(fs[0], MODULE_ROOT));
        rollup.createAssertion(fs[0], onTop);

        uint256[3] memory ids;
        for (uint256 k = 0; k < 3; k++) {
            Play memory g;
            g.id = _challenge(honest, atk[k]);
            ids[k] = g.id;
            uint256 par = rollup.getAssertion(fs[k]).parent;
            g.lie = atk[k];
            g.n = 1;
            g.liarStuck = 1;
            g.liarDepart = 1;
            g.start = rollup.getAssertion(par).afterStateHash;
            g.honestEnd = rollup.getAssertion(hs[k]).afterStateHash;
            g.liarEnd = Hashing.STUCK;
            g.root = MODULE_ROOT;
            // Played to the bottom; a liar left facing the real step times out below, all
            // clocks running in parallel.
            _play(g, _open(g), false);
        }
        vm.warp(t0 + CLOCK + LATENCY);
        for (uint256 k = 0; k < 3; k++) {
            // A game the honest side ended by its proof is already over.
            if (cm.mover(ids[k]) != address(0)) cm.timeout(ids[k]);
            assertEq(_winner(ids[k]), honest);
        }
        parent = 0;
        for (uint256 k = 0; k < 3; k++) {
            _warpToDeadline(parent);
            rollup.reject(fs[k]);
            rollup.confirm(hs[k]);
            assertLe(block.timestamp, rollup.getAssertion(parent).firstChildAt + PERIOD + CLOCK);
            parent = hs[k];
        }
        assertEq(rollup.latestConfirmed(), hs[2]);
    }

    /// A confirmed STUCK assertion is not released by the owner re-scheduling the root it
    /// stopped in: only a different root starts its family.
    function test_Refused_SameRootRescheduled_StillAwaits() public {
        uint256 s = _stuck(honest, 0);
        _warpToDeadline(0);
        rollup.confirm(s);
        inbox.tick();
        Hashing.GlobalState memory next = _state("next", rollup.getAssertion(s).nextInbox);
        _schedule(MODULE_ROOT);
        vm.prank(honest);
        vm.expectRevert(_awaiting(s, MODULE_ROOT));
        rollup.createAssertion(s, next);
        // Nor can anyone else start it (a new bond) or stake on a child that cannot exist.
        address other = makeAddr("other");
        vm.deal(other, BOND);
        vm.prank(other);
        vm.expectRevert(_awaiting(s, MODULE_ROOT));
        rollup.createStuckAssertion{value: BOND}(s);
        _schedule(keccak256("fixed"));
        uint256 h = _assert(honest, s, next);
        assertEq(rollup.getAssertion(h).moduleRoot, keccak256("fixed"));
    }

    /// Owner-dependent, not an attack: the check compares the new root only with the stuck
    /// parent's own root. Below a chain of stuck claims (s1 stuck under MODULE_ROOT, s2 stuck
    /// under m1 re-running the same range from genesis), returning to MODULE_ROOT is accepted
    /// although s1 proved that root stops inside that very range: the chain then needs one
    /// more round (another STUCK claim and another root) instead of halting. Pinned here so a
    /// stricter rule (no root of any stuck assertion back to the start) would flip it.
    function test_Limit_StuckChainMayReturnToAnEarlierStuckRoot() public {
        uint256 s1 = _stuck(honest, 0);
        _warpToDeadline(0);
        rollup.confirm(s1);
        inbox.tick();
        _schedule(keccak256("m1"));
        uint256 s2 = _stuck(honest, s1);
        assertEq(rollup.startOf(s2), 0);
        _warpToDeadline(s1);
        rollup.confirm(s2);
        inbox.tick();
        _schedule(MODULE_ROOT);
        uint256 h = _assertNext(honest, s2, "re-run under the root s1 stopped in");
        assertEq(rollup.getAssertion(h).moduleRoot, MODULE_ROOT);
        assertEq(rollup.getAssertion(s1).moduleRoot, MODULE_ROOT);
    }

    // ------------------------------------------------------------------ 5: accounting

    /// The same STUCK claim twice: by its creator (a sideways move, or a second bond, both
    /// refused), by a Sybil (joins: one child, two stakers, no game possible between them).
    /// The Sybil throws a game to the liar; the liar then loses to the honest STUCK claim;
    /// the counts, refunds, escrow share and the honest bond all come out right. Later stuck
    /// claims on a closed family, a rejected parent, or missing messages are refused.
    function test_Refused_SameStuckClaimTwice_AccountingHolds() public {
        uint256 s = _stuck(honest, 0);
        vm.prank(honest);
        vm.expectRevert(abi.encodeWithSelector(IRollupEvents.StakeMovesSideways.selector, s, 0));
        rollup.createStuckAssertion(0);
        vm.deal(honest, BOND);
        vm.prank(honest);
        vm.expectRevert(abi.encodeWithSelector(IRollupEvents.WrongBond.selector, BOND, 0));
        rollup.createStuckAssertion{value: BOND}(0);

        address sybil = makeAddr("sybil");
        assertEq(_stuck(sybil, 0), s, "the same claim joins");
        Assertion memory a = rollup.getAssertion(s);
        assertEq(a.directStakers, 2);
        assertEq(a.subtreeStakers, 2);
        assertEq(rollup.getAssertion(0).children, 1);
        vm.prank(sybil);
        vm.expectRevert(abi.encodeWithSelector(AssertionTree.SameLine.selector, s, s));
        rollup.createChallenge(honest);

        uint256 l = _assertNext(liar, 0, "l");
        uint256 thrown = _challenge(sybil, liar);
        vm.warp(block.timestamp + CLOCK + 1);
        cm.timeout(thrown);
        assertEq(_winner(thrown), liar);
        assertEq(rollup.getAssertion(s).subtreeStakers, 1);

        Play memory g;
        g.id = _challenge(liar, honest);
        g.lie = liar;
        g.n = 1;
        g.sb = 1;
        g.liarDepart = 1;
        g.start = rollup.getAssertion(0).afterStateHash;
        g.honestEnd = Hashing.STUCK;
        g.liarEnd = rollup.getAssertion(l).afterStateHash;
        g.root = MODULE_ROOT;
        g.tricks = true;
        _play(g, _open(g), true);
        assertEq(_winner(g.id), honest);

        _warpToDeadline(0);
        rollup.reject(l);
        rollup.confirm(s);
        assertEq(rollup.getAssertion(s).subtreeStakers, 1);
        uint256 before = honest.balance;
        vm.prank(honest);
        rollup.withdrawStake();
        assertEq(honest.balance, before + BOND);
        vm.prank(sybil);
        vm.expectRevert(abi.encodeWithSelector(IRollupEvents.NotStaked.selector, sybil));
        rollup.withdrawStake();
        assertEq(rollup.credits(honest), REFUND);
        assertEq(rollup.credits(liar), REFUND);
        assertEq(rollup.credits(escrow), 2 * (BOND - REFUND));
        assertEq(address(rollup).balance, 2 * REFUND + 2 * (BOND - REFUND));

        address late = makeAddr("late");
        vm.deal(late, 3 * BOND);
        uint256 d = rollup.deadline(0);
        vm.prank(late);
        vm.expectRevert(abi.encodeWithSelector(IRollupEvents.RivalAfterDeadline.selector, d));
        rollup.createStuckAssertion{value: BOND}(0);
        vm.prank(late);
        vm.expectRevert(abi.encodeWithSelector(IRollupEvents.ParentRejected.selector, l));
        rollup.createStuckAssertion{value: BOND}(l);
        vm.prank(late);
        vm.expectRevert(abi.encodeWithSelector(IRollupEvents.MessagesMissing.selector, 2, 1));
        rollup.createStuckAssertion{value: BOND}(s);
    }
}
