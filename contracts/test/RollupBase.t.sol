// SPDX-License-Identifier: MIT
pragma solidity ^0.8.37;

import {Test} from "forge-std/Test.sol";
import {Rollup} from "../src/rollup/Rollup.sol";
import {Assertion, AssertionStatus, Staker} from "../src/rollup/RollupTypes.sol";
import {Inbox} from "../src/rollup/Inbox.sol";
import {ChallengeManager, Segment} from "../src/rollup/ChallengeManager.sol";
import {IChallengeResultReceiver} from "../src/rollup/IChallengeResultReceiver.sol";
import {Hashing} from "../src/osp/Hashing.sol";
import {OneStepProver} from "../src/osp/OneStepProver.sol";
import {ProverControl} from "../src/osp/ProverControl.sol";
import {ProverMath} from "../src/osp/ProverMath.sol";
import {ProverMemory} from "../src/osp/ProverMemory.sol";
import {ProverHost} from "../src/osp/ProverHost.sol";
import {IOneStepInbox} from "../src/osp/IOneStepInbox.sol";
import {MAX_STEPS} from "../src/osp/Constants.sol";

/// The real Inbox, OneStepProver and ChallengeManager wired to a Rollup, plus scripted
/// parties that play a dispute over one block down to a real one-step proof vector
/// (test-vectors/osp/math.json, `i32.eq/plain`, which reads no inbox message, so the real
/// Inbox serves as its context). As in ChallengeManagerBase, only the proven step is a real
/// machine; the other machine hashes are arbitrary apart from the two the manager checks.
abstract contract RollupBase is Test {
    uint256 internal constant DEGREE = 4;
    uint256 internal constant CLOCK = 20 minutes;
    uint256 internal constant PERIOD = 1 hours;
    uint256 internal constant BOND = 1 ether;
    /// Small enough that a bond covers `MAX_RESERVED + 1` refunds.
    uint256 internal constant REFUND = 0.05 ether;
    uint256 internal constant FORCE_DELAY = 1 days;
    uint256 internal constant ROOT_DELAY = FORCE_DELAY + 2 * PERIOD;
    bytes32 internal constant MODULE_ROOT = keccak256("module root");

    Inbox internal inbox;
    OneStepProver internal osp;
    ChallengeManager internal cm;
    Rollup internal rollup;

    address internal owner = makeAddr("owner");
    address internal escrow = makeAddr("escrow");
    address internal honest = makeAddr("honest");
    address internal liar = makeAddr("liar");

    bytes32 internal vecPre;
    bytes32 internal vecPost;
    bytes internal vecProof;

    /// A dispute over a one-block range from `start`: the parties agree on every machine hash
    /// of the block up to step `badStep` and differ after it.
    struct Game {
        uint256 id;
        address honestParty;
        bytes32 start;
        bytes32 honestEnd;
        bytes32 liarEnd;
        bytes32 moduleRoot;
        uint256 badStep;
    }

    function setUp() public virtual {
        inbox = new Inbox(owner, makeAddr("sequencer"), 42, uint64(FORCE_DELAY), 0);
        osp = new OneStepProver(
            new ProverControl(), new ProverMath(), new ProverMemory(), new ProverHost()
        );
        // The manager is deployed first with the Rollup's predicted address.
        address predicted = vm.computeCreateAddress(address(this), vm.getNonce(address(this)) + 1);
        cm = new ChallengeManager(
            IChallengeResultReceiver(predicted), osp, IOneStepInbox(address(inbox)), DEGREE, CLOCK
        );
        rollup = _newRollup(cm, BOND, PERIOD, ROOT_DELAY);
        assertEq(address(rollup), predicted);

        string memory json = vm.readFile("../test-vectors/osp/math.json");
        assertEq(vm.parseJsonString(json, ".vectors[2].name"), "i32.eq/plain");
        vecPre = vm.parseJsonBytes32(json, ".vectors[2].pre_hash");
        vecPost = vm.parseJsonBytes32(json, ".vectors[2].post_hash");
        vecProof = vm.parseJsonBytes(json, ".vectors[2].proof");
    }

    // ------------------------------------------------------------ rollup helpers

    function _newRollup(ChallengeManager manager, uint256 bond, uint256 period, uint256 delay)
        internal
        returns (Rollup)
    {
        return new Rollup(inbox, manager, MODULE_ROOT, bond, REFUND, period, delay, escrow, owner);
    }

    function _staker(address who) internal view returns (Staker memory s) {
        (s.current, s.openChallenges, s.reserved, s.staked, s.removed, s.remaining) =
            rollup.stakers(who);
    }

    /// `who` stakes a new bond on pending assertion `id`.
    function _join(address who, uint256 id) internal {
        vm.deal(who, who.balance + BOND);
        vm.prank(who);
        rollup.stakeOn{value: BOND}(id);
    }

    /// `challenger` opens a challenge against `defender`.
    function _challenge(address challenger, address defender) internal returns (uint256 id) {
        vm.prank(challenger);
        id = rollup.createChallenge(defender);
    }

    /// A global state ending at inbox position `pos`, distinct per `salt`.
    function _state(string memory salt, uint64 pos)
        internal
        pure
        returns (Hashing.GlobalState memory gs)
    {
        gs.stateRoot = keccak256(abi.encode(salt, "state"));
        gs.outboxRoot = keccak256(abi.encode(salt, "outbox"));
        gs.inboxPosition = pos;
        gs.blockNumber = pos;
    }

    function _hash(Hashing.GlobalState memory gs) internal pure returns (bytes32) {
        return Hashing.globalStateHash(gs);
    }

    /// `who` asserts `gs` on `parent`, paying the bond if it has no stake yet.
    function _assert(address who, uint256 parent, Hashing.GlobalState memory gs)
        internal
        returns (uint256 id)
    {
        uint256 value = _staker(who).staked ? 0 : BOND;
        vm.deal(who, who.balance + value);
        vm.prank(who);
        id = rollup.createAssertion{value: value}(parent, gs);
    }

    /// `who` asserts a state (named `salt`) over the parent's whole range.
    function _assertNext(address who, uint256 parent, string memory salt)
        internal
        returns (uint256)
    {
        return _assert(who, parent, _state(salt, rollup.getAssertion(parent).nextInbox));
    }

    function _status(uint256 id) internal view returns (AssertionStatus) {
        return rollup.getAssertion(id).status;
    }

    function _warpToDeadline(uint256 parent) internal {
        vm.warp(rollup.deadline(parent));
    }

    // ------------------------------------------------------------ scripted dispute

    function _game(uint256 id, address honestParty, uint256 x, uint256 y, uint256 badStep)
        internal
        view
        returns (Game memory g, Segment memory seg)
    {
        Assertion memory ax = rollup.getAssertion(x);
        Assertion memory ay = rollup.getAssertion(y);
        assertEq(ax.afterInbox - rollup.getAssertion(ax.parent).afterInbox, 1, "one block");
        address defender = cm.getChallenge(id).defender;
        bool defenderHonest = defender == honestParty;
        g = Game({
            id: id,
            honestParty: honestParty,
            start: rollup.getAssertion(ax.parent).afterStateHash,
            honestEnd: defenderHonest ? ax.afterStateHash : ay.afterStateHash,
            liarEnd: defenderHonest ? ay.afterStateHash : ax.afterStateHash,
            moduleRoot: ax.moduleRoot,
            badStep: badStep
        });
        seg.level = 1;
        seg.length = 1;
        seg.hashes = new bytes32[](2);
        seg.hashes[0] = g.start;
        seg.hashes[1] = ax.afterStateHash;
    }

    /// Machine hash after `t` steps of the disputed block, as one side claims it.
    function _mh(Game memory g, bool isHonest, uint256 t) internal view returns (bytes32) {
        if (t == 0) return osp.initialMachineHash(g.moduleRoot, g.start);
        if (t == MAX_STEPS) return osp.finishedMachineHash(isHonest ? g.honestEnd : g.liarEnd);
        if (!isHonest && t > g.badStep) return keccak256(abi.encode(g.id, "liar mh", t));
        if (t == g.badStep) return vecPre;
        if (t == g.badStep + 1) return vecPost;
        return keccak256(abi.encode(g.id, "mh", t));
    }

    function _claim(Game memory g, bool isHonest, uint8 level, uint256 point)
        internal
        view
        returns (bytes32)
    {
        if (level == 2) return _mh(g, isHonest, point);
        if (point == 0) return g.start;
        return isHonest ? g.honestEnd : g.liarEnd;
    }

    function _claims(Game memory g, bool isHonest, uint256 start, uint256 length)
        internal
        view
        returns (bytes32[] memory h)
    {
        uint256 k = length < DEGREE ? length : DEGREE;
        h = new bytes32[](k + 1);
        for (uint256 j = 0; j <= k; j++) {
            h[j] = _mh(g, isHonest, cm.splitPoint(start, length, k, j));
        }
    }

    /// The party to move disputes the first point it disagrees with; returns the new
    /// segment, or `done` after the honest one-step proof or when the liar faces the step.
    function _step(Game memory g, Segment memory cur)
        internal
        returns (Segment memory next, bool done)
    {
        address mover = cm.mover(g.id);
        bool isHonest = mover == g.honestParty;
        uint256 k = cur.hashes.length - 1;
        uint256 i = 0;
        while (
            _claim(g, isHonest, cur.level, cm.splitPoint(cur.start, cur.length, k, i + 1))
                == cur.hashes[i + 1]
        ) i++;
        uint256 from = cm.splitPoint(cur.start, cur.length, k, i);
        uint256 len = cm.splitPoint(cur.start, cur.length, k, i + 1) - from;
        // Each prank sits right before its call: the claims make view calls of their own.
        if (len >= 2) {
            bytes32[] memory h = _claims(g, isHonest, from, len);
            vm.prank(mover);
            cm.bisect(g.id, cur, i, h);
            next = Segment(cur.level, from, len, h);
        } else if (cur.level == 1) {
            bytes32[] memory h = _claims(g, isHonest, 0, MAX_STEPS);
            vm.prank(mover);
            cm.enterLevelTwo(g.id, cur, i, h);
            next = Segment(2, 0, MAX_STEPS, h);
        } else {
            assertEq(from, g.badStep);
            // The liar cannot prove the honest step wrong: it is stuck until its clock runs
            // out (which side faces the step depends on the number of bisections).
            if (!isHonest) return (cur, true);
            vm.prank(mover);
            cm.proveOneStep(g.id, cur, i, vecProof);
            done = true;
        }
    }

    /// Plays the game, `dt` seconds between moves, until the honest party proves the step or
    /// the liar is stuck in front of it.
    function _playOut(Game memory g, Segment memory seg, uint256 dt) internal {
        bool done;
        while (!done) {
            vm.warp(block.timestamp + dt);
            (seg, done) = _step(g, seg);
        }
    }

    /// The honest challenger's opening move in challenge `id` of its `honestId` against the
    /// defender's `liarId` (one block): it enters level 2 with its own machine hashes.
    function _honestFirstMove(uint256 id, uint256 honestId, uint256 liarId) internal {
        (Game memory g, Segment memory seg) = _game(id, honest, liarId, honestId, 7);
        (, bool done) = _step(g, seg);
        assertFalse(done);
    }
}
