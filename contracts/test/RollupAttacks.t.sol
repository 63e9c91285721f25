// SPDX-License-Identifier: MIT
pragma solidity ^0.8.37;

import {RollupBase} from "./RollupBase.t.sol";
import {Rollup} from "../src/rollup/Rollup.sol";
import {IRollupEvents} from "../src/rollup/IRollupEvents.sol";
import {AssertionTree} from "../src/rollup/AssertionTree.sol";
import {AssertionStatus} from "../src/rollup/RollupTypes.sol";
import {ChallengeManager, Segment} from "../src/rollup/ChallengeManager.sol";
import {Hashing} from "../src/osp/Hashing.sol";

/// The attacks a strategic adversary (many funded addresses, any order of calls, front-running)
/// tried against the protocol, each played against the real contracts and shown refused or
/// bounded (docs/spec/protocol.md, "Rules and the attacks they stop"). Test names carry the
/// attack's name. The honest party here is `honest`; every other address is the attacker's.
contract RollupAttacksTest is RollupBase {
    /// The bound of docs/spec/protocol.md, "Bounded delay": the honest assertion is
    /// confirmable this long after its family's first child, plus the honest side's own move
    /// latency (`LATENCY` a move here).
    uint256 internal constant LATENCY = 60;

    /// The honest side's answer to a challenge the liar never moves in: as challenger it
    /// makes its first move, then times the liar out once its clock is gone.
    function _honestWinsAgainstSilentLiar(uint256 id, uint256 honestId, uint256 liarId) internal {
        if (cm.mover(id) == honest) _honestFirstMove(id, honestId, liarId);
        (uint256 cLeft, uint256 dLeft) = cm.remainingTime(id);
        vm.warp(block.timestamp + (cm.getChallenge(id).challenger == honest ? dLeft : cLeft) + 1);
        cm.timeout(id);
        (address winner,) = cm.result(id);
        assertEq(winner, honest);
    }

    // ------------------------------------------------------------------------------ attack 1

    /// Dead-end assertion: right after the honest validator asserts H, the attacker asserts
    /// the correct state as H's child D before any message follows, hoping D can never have
    /// a child. D ends one message later instead: the honest validator stakes on D, the
    /// chain goes on past it.
    function test_Attack1_DeadEndAssertion_ChainGoesOn() public {
        address attacker = makeAddr("attacker");
        inbox.tick();
        uint256 h = _assertNext(honest, 0, "h");
        assertEq(rollup.getAssertion(h).nextInbox, 2);
        uint256 d = _assertNext(attacker, h, "d");
        assertEq(rollup.getAssertion(d).afterInbox, 2);
        assertEq(rollup.getAssertion(d).nextInbox, 3, "one message past its range");
        // The honest validator's claim is D's: it joins D rather than duplicating it.
        vm.prank(honest);
        rollup.stakeOn(d);
        _warpToDeadline(0);
        rollup.confirm(h);
        _warpToDeadline(h);
        rollup.confirm(d);
        vm.prank(attacker);
        rollup.withdrawStake();
        // Anyone appends the message D's children need; the honest line continues.
        inbox.tick();
        uint256 e = _assertNext(honest, d, "e");
        _warpToDeadline(d);
        rollup.confirm(e);
        assertEq(rollup.latestConfirmed(), e);
    }

    /// The genesis variant: the state after Config alone, asserted before any other message,
    /// is extended the same way.
    function test_Attack1_DeadEndAtGenesis_ChainGoesOn() public {
        address attacker = makeAddr("attacker");
        uint256 d = _assertNext(attacker, 0, "after config");
        assertEq(rollup.getAssertion(d).nextInbox, 2);
        _join(honest, d);
        inbox.tick();
        uint256 e = _assertNext(honest, d, "e");
        _warpToDeadline(0);
        rollup.confirm(d);
        _warpToDeadline(d);
        rollup.confirm(e);
        assertEq(rollup.latestConfirmed(), e);
    }

    // ------------------------------------------------------------------------------ attack 4

    /// `who` claims that a block of `parent`'s children's range cannot finish.
    function _assertStuck(address who, uint256 parent) internal returns (uint256 id) {
        uint256 value = _staker(who).staked ? 0 : BOND;
        vm.deal(who, who.balance + value);
        vm.prank(who);
        id = rollup.createStuckAssertion{value: value}(parent);
    }

    /// The stored opening segment of challenge `id`: `[start, end]` over `blocks` blocks.
    function _opensWith(uint256 id, bytes32 start, bytes32 end, uint256 blocks) internal view {
        bytes32[] memory h = new bytes32[](2);
        (h[0], h[1]) = (start, end);
        assertEq(cm.getChallenge(id).segmentHash, keccak256(abi.encode(uint8(1), 0, blocks, h)));
    }

    /// A block that cannot finish: the guest errors on the range's block, so no state can be
    /// asserted for it, and the attacker asserts a state with its own outbox root, hoping
    /// nobody can rival it. The honest validator claims STUCK instead; the attacker's only
    /// way past that claim at level 2 would be the block's true unfinished trace, which is
    /// refused (only a finished machine disputes STUCK). The STUCK assertion is confirmed, its
    /// family confirms no outbox root, and the chain waits for a new module root; its
    /// children then re-run the range from the state before it, under that root.
    function test_Attack4_StuckBlock_ArbitraryRootRefused() public {
        address attacker = makeAddr("attacker");
        Hashing.GlobalState memory loot = _state("loot", rollup.getAssertion(0).nextInbox);
        uint256 a = _assert(attacker, 0, loot);
        uint256 s = _assertStuck(honest, 0);
        assertEq(rollup.getAssertion(s).afterStateHash, Hashing.STUCK);
        assertEq(rollup.startOf(s), 0, "its children start again from genesis");
        bytes32 genesis = rollup.getAssertion(0).afterStateHash;

        // The attacker challenges the STUCK claim and tries to answer it with the block's
        // real (unfinished) trace: refused.
        uint256 c = _challenge(attacker, honest);
        _opensWith(c, genesis, Hashing.STUCK, 1);
        bytes32[] memory trace = new bytes32[](DEGREE + 1);
        trace[0] = osp.initialMachineHash(MODULE_ROOT, genesis);
        for (uint256 i = 1; i <= DEGREE; i++) {
            trace[i] = keccak256(abi.encode("errored machine", i));
        }
        Segment memory seg = Segment(1, 0, 1, new bytes32[](2));
        (seg.hashes[0], seg.hashes[1]) = (genesis, Hashing.STUCK);
        vm.prank(attacker);
        vm.expectRevert(ChallengeManager.StuckNeedsFinishedMachine.selector);
        cm.enterLevelTwo(c, seg, 0, trace);
        // It has no finished machine that survives level 2 either; its clock runs out.
        vm.warp(block.timestamp + CLOCK + 1);
        cm.timeout(c);
        (address winner,) = cm.result(c);
        assertEq(winner, honest);

        _warpToDeadline(0);
        rollup.reject(a);
        rollup.confirm(s);
        assertFalse(rollup.isConfirmedOutboxRoot(loot.outboxRoot), "the loot never pays");

        // Under the same module root the block would stop again: the chain waits.
        inbox.tick();
        Hashing.GlobalState memory next = _state("re-run", rollup.getAssertion(s).nextInbox);
        vm.prank(honest);
        vm.expectRevert(
            abi.encodeWithSelector(IRollupEvents.AwaitingNewModuleRoot.selector, s, MODULE_ROOT)
        );
        rollup.createAssertion(s, next);

        // The owner schedules a fixed guest; once it applies, the range is re-run from
        // genesis's state, and a dispute over it starts there.
        bytes32 fixedRoot = keccak256("fixed guest");
        vm.prank(owner);
        rollup.scheduleModuleRoot(fixedRoot);
        vm.warp(rollup.scheduledModuleRootAt());
        uint256 h = _assert(honest, s, next);
        assertEq(rollup.getAssertion(h).moduleRoot, fixedRoot);
        assertEq(rollup.startOf(h), h);
        uint256 r = _assertNext(attacker, s, "another lie");
        uint256 c2 = _challenge(attacker, honest);
        _opensWith(c2, genesis, _hash(next), next.inboxPosition);
        vm.warp(block.timestamp + CLOCK + 1);
        cm.timeout(c2);
        _warpToDeadline(s);
        rollup.reject(r);
        rollup.confirm(h);
        assertTrue(rollup.isConfirmedOutboxRoot(next.outboxRoot));
    }

    /// A stuck claim is a claim like any other: when the block does finish, the honest side
    /// rivals it and the stuck claim loses (level 2 shows the finished machine).
    function test_Attack4_FalseStuckClaim_IsRivalled() public {
        address attacker = makeAddr("attacker");
        uint256 s = _assertStuck(attacker, 0);
        uint256 h = _assertNext(honest, 0, "h");
        uint256 c = _challenge(attacker, honest);
        _opensWith(
            c, rollup.getAssertion(0).afterStateHash, rollup.getAssertion(h).afterStateHash, 1
        );
        vm.warp(block.timestamp + CLOCK + 1);
        cm.timeout(c);
        _warpToDeadline(0);
        rollup.reject(s);
        rollup.confirm(h);
        assertEq(rollup.latestConfirmed(), h);
    }

    // ------------------------------------------------------------------------------ attack 2

    /// Deadline rolling: a liar on rival L moves its stake into a new first child of L just
    /// before it loses, and Sybil bonds keep giving L's subtree new children and stakes, so
    /// that L could never be rejected before deadlines born inside it. Now every stake in
    /// L's subtree is counted at L, no stake can enter it after the family's deadline, and
    /// the honest assertion is confirmed within period + clock (+ latency) of its family's
    /// first child, however many bonds the attacker spends.
    function test_Attack2_DeadlineRolling_Bounded() public {
        uint256 n = 4;
        uint256 start = block.timestamp;
        uint256 h = _assertNext(honest, 0, "h");
        inbox.tick();
        address[] memory bonds = new address[](n);
        bonds[0] = makeAddr("liar0");
        uint256 l = _assertNext(bonds[0], 0, "l");
        uint256 tip = l;
        // The liar and Sybils build a line under L, a stake at every level, the last of them
        // just before the deadline.
        for (uint256 i = 1; i < n; i++) {
            bonds[i] = makeAddr(string.concat("liar", vm.toString(i)));
            vm.warp(rollup.deadline(0) - (n - i) * 10);
            inbox.tick();
            if (i == 1) {
                // The original liar moves down (a deadline born inside L).
                tip = _assertNext(bonds[0], tip, "l1");
                _join(bonds[i], tip);
            } else {
                tip = _assertNext(bonds[i], tip, string.concat("l", vm.toString(i)));
            }
        }
        assertEq(rollup.getAssertion(l).subtreeStakers, n);
        // The honest validator challenged every one as it appeared; the last before the
        // deadline at the latest.
        uint256[] memory ids = new uint256[](n);
        for (uint256 i = 0; i < n; i++) {
            ids[i] = _challenge(honest, bonds[i]);
        }
        // After the deadline no stake may enter L's subtree, not by a new bond nor a move.
        vm.warp(rollup.deadline(0));
        address late = makeAddr("late sybil");
        vm.deal(late, BOND);
        uint256 closed = rollup.deadline(0);
        vm.prank(late);
        vm.expectRevert(abi.encodeWithSelector(IRollupEvents.FamilyClosed.selector, 0, closed));
        rollup.stakeOn{value: BOND}(tip);
        inbox.tick();
        Hashing.GlobalState memory gs = _state("deeper", rollup.getAssertion(tip).nextInbox);
        vm.prank(late);
        vm.expectRevert(abi.encodeWithSelector(IRollupEvents.FamilyClosed.selector, 0, closed));
        rollup.createAssertion{value: BOND}(tip, gs);
        // Each liar times out on its own clock, all within one clock of the deadline.
        for (uint256 i = 0; i < n; i++) {
            _honestFirstMove(ids[i], h, l);
        }
        vm.warp(rollup.deadline(0) + LATENCY + CLOCK + 1);
        for (uint256 i = 0; i < n; i++) {
            cm.timeout(ids[i]);
        }
        assertEq(rollup.getAssertion(l).subtreeStakers, 0);
        rollup.reject(l);
        rollup.confirm(h);
        assertLe(block.timestamp - start, PERIOD + CLOCK + LATENCY + 1);
        assertEq(rollup.credits(honest), n * REFUND, "each lost bond refunds the honest side");
    }

    // ------------------------------------------------------------------------------ attack 3

    /// The winner's share routed to the liar's own Sybil: a Sybil stakes on the honest
    /// assertion, the liar challenges the Sybil and never moves, so its first loss goes to the
    /// Sybil and the honest side's challenge is forfeited. The honest side is refunded from
    /// the liar's bond all the same (its challenge held a reservation on it), and the
    /// attacker loses the bond less the one refund its Sybil collected.
    function test_Attack3_SybilOnHonestAssertion_HonestStillRefunded() public {
        address liar2 = makeAddr("liar");
        address sybil = makeAddr("sybil");
        uint256 h = _assertNext(honest, 0, "h");
        uint256 l = _assertNext(liar2, 0, "l");
        _join(sybil, h);
        uint256 routed = _challenge(liar2, sybil);
        vm.warp(block.timestamp + LATENCY);
        uint256 mine = _challenge(honest, liar2);
        _honestFirstMove(mine, h, l);
        // The liar's clock in the Sybil's game started first: it runs out first.
        vm.warp(block.timestamp + CLOCK + 1 - LATENCY);
        cm.timeout(routed);
        assertTrue(_staker(liar2).removed);
        rollup.forfeitChallenge(mine);
        assertEq(rollup.credits(honest), REFUND, "the honest side is refunded");
        assertEq(rollup.credits(sybil), REFUND);
        assertEq(rollup.credits(escrow), BOND - 2 * REFUND, "the attacker's loss");
        _warpToDeadline(0);
        rollup.reject(l);
        rollup.confirm(h);
    }

    /// The bond holds refunds for MAX_RESERVED open challenges: with that many Sybil
    /// challenges against the liar opened first, a later one is not refunded on forfeit.
    /// Breaking the refund this way takes MAX_RESERVED further bonds in play against one.
    function test_Attack3_RefundsAreReservedFirstCome() public {
        address liar2 = makeAddr("liar");
        uint256 h = _assertNext(honest, 0, "h");
        _assertNext(liar2, 0, "l");
        uint256 max = rollup.MAX_RESERVED();
        for (uint256 i = 0; i < max; i++) {
            address s = makeAddr(string.concat("sybil", vm.toString(i)));
            _join(s, h);
            _challenge(liar2, s);
        }
        assertEq(_staker(liar2).reserved, max);
        uint256 mine = _challenge(honest, liar2);
        (,,,, bool defenderReserved) = rollup.challengeInfo(mine);
        assertFalse(defenderReserved);
        // The honest side's own bond still reserves for the liar.
        assertEq(_staker(honest).reserved, 1);
    }

    // ------------------------------------------------------------------------------ attack 5

    /// One bond opening many challenges against the same honest staker, each on its own
    /// clock: a pair of stakers has one open challenge at most, whoever opened it.
    function test_Attack5_OneBondManyChallenges_Refused() public {
        address liar2 = makeAddr("liar");
        uint256 h = _assertNext(honest, 0, "h");
        uint256 l = _assertNext(liar2, 0, "l");
        uint256 id = _challenge(liar2, honest);
        for (uint256 i = 0; i < 3; i++) {
            vm.prank(liar2);
            vm.expectRevert(abi.encodeWithSelector(IRollupEvents.AlreadyInChallenge.selector, id));
            rollup.createChallenge(honest);
        }
        vm.prank(honest);
        vm.expectRevert(abi.encodeWithSelector(IRollupEvents.AlreadyInChallenge.selector, id));
        rollup.createChallenge(liar2);
        assertEq(_staker(honest).openChallenges, 1);
        _honestWinsAgainstSilentLiar(id, h, l);
        assertEq(rollup.challengeBetween(honest, liar2), 0);
    }

    // ------------------------------------------------------------------------------ attack 6

    /// Front-running createChallenge: the honest transaction used to name the liar's exact
    /// depth below the rival, so a liar moving its stake down one level in the same block
    /// made it revert (and rolled a deadline). The Rollup now finds the fork itself: the
    /// challenge opens over the same rival, and the move rolled nothing.
    function test_Attack6_FrontRunCreateChallenge_StillOpens() public {
        address liar2 = makeAddr("liar");
        uint256 h = _assertNext(honest, 0, "h");
        inbox.tick();
        uint256 l = _assertNext(liar2, 0, "l");
        // In the same block, before the honest transaction: the liar moves down.
        uint256 l1 = _assertNext(liar2, l, "l1");
        uint256 id = _challenge(honest, liar2);
        (uint256 x, uint256 y) = rollup.rivals(honest, liar2);
        assertEq(x, l);
        assertEq(y, h);
        assertEq(_staker(liar2).current, l1);
        _honestWinsAgainstSilentLiar(id, h, l);
        _warpToDeadline(0);
        rollup.reject(l);
        rollup.reject(l1);
        rollup.confirm(h);
    }

    // ------------------------------------------------------------------------------ attack 7

    /// The owner's key swapping what is "correct": a scheduled module root applies only to
    /// families started after the delay, so a withdrawal forced the moment it is scheduled is
    /// asserted, and confirmed, under the old root.
    function test_Attack7_ModuleRootSwap_WaitsForExits() public {
        uint256 h = _assertNext(honest, 0, "h");
        vm.prank(owner);
        rollup.scheduleModuleRoot(keccak256("malicious"));
        // A user forces its withdrawal now; it runs after the force delay and is asserted in
        // the next family, created then: still under the old root.
        vm.warp(block.timestamp + FORCE_DELAY);
        rollup.confirm(h);
        inbox.tick();
        uint256 exit = _assertNext(honest, h, "exit");
        assertEq(rollup.getAssertion(exit).moduleRoot, MODULE_ROOT);
        _warpToDeadline(h);
        rollup.confirm(exit);
        assertLe(block.timestamp, rollup.scheduledModuleRootAt());
        // Families after the delay run the new root.
        vm.warp(rollup.scheduledModuleRootAt());
        inbox.tick();
        uint256 after_ = _assertNext(honest, exit, "after");
        assertEq(rollup.getAssertion(after_).moduleRoot, keccak256("malicious"));
    }
}
