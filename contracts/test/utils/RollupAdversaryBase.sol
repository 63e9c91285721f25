// SPDX-License-Identifier: MIT
pragma solidity ^0.8.37;

import {RollupBase} from "../RollupBase.t.sol";
import {Rollup} from "../../src/rollup/Rollup.sol";
import {Assertion, AssertionStatus, Staker} from "../../src/rollup/RollupTypes.sol";
import {Hashing} from "../../src/osp/Hashing.sol";
import {AssertionTree} from "../../src/rollup/AssertionTree.sol";
import {IRollupEvents} from "../../src/rollup/IRollupEvents.sol";

/// The helpers of the independent attacker review (RollupAdversary.t.sol and
/// RollupRefundLimits.t.sol): many funded addresses, lines stuffed with correct assertions,
/// forced exits under a scheduled root.
abstract contract RollupAdversaryBase is RollupBase {
    uint256 internal constant LATENCY = 60;
    bytes32 internal constant EVIL_ROOT = keccak256("evil module root");

    // ------------------------------------------------------------------------------ helpers

    /// Liar `who` creates a wrong child of `parent` (a new bond).
    function _liarOn(address who, uint256 parent) internal returns (uint256) {
        return _assertNext(who, parent, string.concat("wrong ", vm.toString(who)));
    }

    function _addr(string memory prefix, uint256 i) internal returns (address) {
        return makeAddr(string.concat(prefix, vm.toString(i)));
    }

    // ============================================================================ ATTACKS

    /// Holding an exit back past a scheduled module root: the owner schedules a root, a user
    /// forces its withdrawal the same second, and just before it is due the attacker asserts
    /// the correct chain 32 levels deep (one bond, never lost), so no family covering the due
    /// block can start until two levels are confirmed; a liar bond on a rival in the last
    /// second of the first family adds C more. The family starts `T + C` after the stuffing —
    /// still before the root applies, since the delay is the force delay plus two periods
    /// (`C <= T/2`), and the block executing the exit runs the old root.
    /// Schedules `EVIL_ROOT` and forces an exit; returns when the exit's block may be
    /// stamped at the earliest.
    function _scheduleAndForceExit() internal returns (uint256 due) {
        uint256 s = block.timestamp;
        vm.prank(owner);
        rollup.scheduleModuleRoot(EVIL_ROOT);
        assertEq(
            rollup.scheduledModuleRootAt(),
            s + ROOT_DELAY,
            "the minimum delay the constructor allows"
        );
        vm.prank(makeAddr("user"));
        inbox.forceTransaction(hex"c0ffee");
        due = s + FORCE_DELAY;
    }

    /// The children of `parent` run the blocks of messages `parent.afterInbox ..
    /// parent.nextInbox - 1`.
    function _covers(uint256 parent, uint64 m) internal view returns (bool) {
        Assertion memory p = rollup.getAssertion(parent);
        return p.afterInbox <= m && m < p.nextInbox;
    }

    /// An attacker bond asserts 32 correct levels under `top`, one tick (one message) each;
    /// the honest validator agrees and follows it down (a move per level).
    function _stuffCorrectLine(uint256 top) internal returns (uint256[] memory x) {
        address stuffer = makeAddr("stuffer");
        x = new uint256[](33);
        x[0] = top;
        for (uint256 k = 1; k <= 32; k++) {
            inbox.tick();
            x[k] = _assertNext(stuffer, x[k - 1], string.concat("x", vm.toString(k)));
        }
        for (uint256 k = 1; k <= 32; k++) {
            vm.prank(honest);
            rollup.stakeOn(x[k]);
        }
    }

    /// The family under `tip` (32 levels down) cannot be started by anyone: 33 levels.
    function _nobodyCanStartTheNextFamily(uint256 tip) internal {
        address anyone = makeAddr("anyone");
        vm.deal(anyone, BOND);
        Hashing.GlobalState memory gs = _state("cover", rollup.getAssertion(tip).nextInbox);
        vm.prank(anyone);
        vm.expectRevert(abi.encodeWithSelector(AssertionTree.TooDeep.selector, 33, 32));
        rollup.createAssertion{value: BOND}(tip, gs);
        vm.prank(honest);
        vm.expectRevert(abi.encodeWithSelector(AssertionTree.TooDeep.selector, 33, 32));
        rollup.createAssertion(tip, gs);
    }
}
