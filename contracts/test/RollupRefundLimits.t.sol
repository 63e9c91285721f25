// SPDX-License-Identifier: MIT
pragma solidity ^0.8.37;

import {RollupAdversaryBase} from "./utils/RollupAdversaryBase.sol";
import {Rollup} from "../src/rollup/Rollup.sol";
import {IRollupEvents} from "../src/rollup/IRollupEvents.sol";
import {AssertionTree} from "../src/rollup/AssertionTree.sol";
import {Assertion, AssertionStatus, Staker} from "../src/rollup/RollupTypes.sol";
import {ChallengeManager, Segment} from "../src/rollup/ChallengeManager.sol";
import {Hashing} from "../src/osp/Hashing.sol";

/// The refund side of the independent attacker review (docs/spec/protocol.md, "Guarantees"
/// (d)): `test_Limit_*` pin the two shapes of the refund limit — the honest side unrefunded
/// when its games lose their reservations to games the attacker opened first — and check what
/// still holds (the attacker loses the escrow's share of every bond); `test_Refused_*` show
/// the refunds that do hold.
contract RollupRefundLimitsTest is RollupAdversaryBase {
    /// The limit of guarantee (d), first shape: reservations are first come, and the 16
    /// games that take a bond's reservations can be games between the attacker's own liar
    /// bonds. 17 liars on 17 wrong rivals open a game between every pair in the block their
    /// bonds land; each loses a liar-vs-liar game first and the honest side's 17 games are
    /// forfeited without a refund. What still holds: the honest side loses nothing but gas,
    /// the chain is decided on time, and every lost bond leaves at least `B − 17R` with the
    /// escrow.
    function test_Limit_MutualReservations_AttackerStillLosesTheEscrowShare() public {
        uint256 n = 17;
        uint256 h = _assertNext(honest, 0, "h");
        address[] memory liars = new address[](n);
        uint256[] memory rivals = new uint256[](n);
        for (uint256 i = 0; i < n; i++) {
            liars[i] = _addr("mutual liar", i);
            rivals[i] = _liarOn(liars[i], 0);
        }
        // Same block: every pair of liars opens a game; challenger i if (j - i) mod 17 <= 8.
        uint256[] memory liarGames = new uint256[](n * (n - 1) / 2);
        uint256 g;
        for (uint256 i = 0; i < n; i++) {
            for (uint256 j = i + 1; j < n; j++) {
                bool iFirst = j - i <= 8;
                liarGames[g++] =
                    iFirst ? _challenge(liars[i], liars[j]) : _challenge(liars[j], liars[i]);
            }
        }
        for (uint256 i = 0; i < n; i++) {
            assertEq(_staker(liars[i]).reserved, 16);
        }
        // The honest side challenges each liar within its latency.
        vm.warp(block.timestamp + LATENCY);
        uint256[] memory mine = new uint256[](n);
        for (uint256 i = 0; i < n; i++) {
            mine[i] = _challenge(honest, liars[i]);
            (,,,, bool defenderReserved) = rollup.challengeInfo(mine[i]);
            assertFalse(defenderReserved, "no reservation left on the liar's bond");
            _honestFirstMove(mine[i], h, rivals[i]);
        }
        // The liar-vs-liar games run out first.
        vm.warp(block.timestamp - LATENCY + CLOCK + 1);
        for (uint256 k = 0; k < liarGames.length; k++) {
            cm.timeout(liarGames[k]);
        }
        for (uint256 i = 0; i < n; i++) {
            assertTrue(_staker(liars[i]).removed);
            rollup.forfeitChallenge(mine[i]);
        }
        // The limit: 17 lost bonds, 17 honest disputes, no refund to the honest side.
        assertEq(rollup.credits(honest), 0, "honest side repaid nothing");
        assertGe(rollup.credits(escrow), n * (BOND - 17 * REFUND), "the escrow's share");
        uint256 toLiars;
        for (uint256 i = 0; i < n; i++) {
            toLiars += rollup.credits(liars[i]);
        }
        assertEq(toLiars, liarGames.length * REFUND, "every refund went to attacker addresses");
        assertEq(rollup.credits(escrow), n * BOND - liarGames.length * REFUND);
        // (The chain itself is fine: H is confirmed on time.)
        _warpToDeadline(0);
        for (uint256 i = 0; i < n; i++) {
            rollup.reject(rivals[i]);
        }
        rollup.confirm(h);
    }

    /// The limit of guarantee (d), second shape: the 16 bonds that take a liar's
    /// reservations need not be lost and serve against every liar bond: 16 Sybils stand on
    /// the honest assertion and each liar challenges all of them in the block it stakes. The
    /// honest side is refunded nothing for any liar bond, the Sybils collect the refunds;
    /// each liar bond still leaves at least `B − 17R` with the escrow.
    function test_Limit_SybilReservationsReused_AttackerStillLosesTheEscrowShare() public {
        uint256 liarCount = 3;
        uint256 h = _assertNext(honest, 0, "h");
        address[] memory sybils = new address[](16);
        for (uint256 j = 0; j < 16; j++) {
            sybils[j] = _addr("sybil", j);
            _join(sybils[j], h);
        }
        uint256[] memory rivals = new uint256[](liarCount);
        address[] memory liars = new address[](liarCount);
        uint256[] memory mine = new uint256[](liarCount);
        for (uint256 i = 0; i < liarCount; i++) {
            liars[i] = _addr("reused liar", i);
            rivals[i] = _liarOn(liars[i], 0);
            for (uint256 j = 0; j < 16; j++) {
                _challenge(liars[i], sybils[j]);
            }
        }
        vm.warp(block.timestamp + LATENCY);
        for (uint256 i = 0; i < liarCount; i++) {
            mine[i] = _challenge(honest, liars[i]);
            _honestFirstMove(mine[i], h, rivals[i]);
        }
        vm.warp(block.timestamp - LATENCY + CLOCK + 1);
        for (uint256 i = 0; i < liarCount; i++) {
            for (uint256 j = 0; j < 16; j++) {
                cm.timeout(rollup.challengeBetween(liars[i], sybils[j]));
            }
            rollup.forfeitChallenge(mine[i]);
        }
        assertEq(rollup.credits(honest), 0, "honest side repaid nothing");
        assertGe(rollup.credits(escrow), liarCount * (BOND - 17 * REFUND), "the escrow's share");
        _warpToDeadline(0);
        for (uint256 i = 0; i < liarCount; i++) {
            rollup.reject(rivals[i]);
        }
        rollup.confirm(h);
        for (uint256 j = 0; j < 16; j++) {
            vm.startPrank(sybils[j]);
            rollup.withdrawStake();
            rollup.withdrawFunds();
            vm.stopPrank();
            assertEq(sybils[j].balance, BOND + liarCount * REFUND, "Sybil bond back, plus refunds");
        }
    }

    /// Refused: the most a lost bond can owe. A liar holds 16 reserved games (against
    /// Sybils on the honest assertion), loses the honest side's unreserved game first (the
    /// one that pays its winner regardless), then every reserved game is forfeited or timed
    /// out: 17 refunds, no underflow in `remaining`, `reserved` or `openChallenges`, nothing
    /// reverts, the escrow gets B - 17R and the staker record is cleared.
    function test_Refused_MaxRefundsNeverUnderflow() public {
        uint256 h = _assertNext(honest, 0, "h");
        uint256 l = _assertNext(liar, 0, "l");
        address[] memory sybils = new address[](16);
        uint256[] memory ids = new uint256[](16);
        for (uint256 j = 0; j < 16; j++) {
            sybils[j] = _addr("reserved sybil", j);
            _join(sybils[j], h);
            ids[j] = _challenge(liar, sybils[j]);
        }
        uint256 mine = _challenge(honest, liar);
        _honestFirstMove(mine, h, l);
        vm.warp(block.timestamp + CLOCK + 1);
        // The honest game removes the liar (paid although unreserved).
        cm.timeout(mine);
        assertEq(rollup.credits(honest), REFUND);
        // Half the reserved games end by forfeit, half by the liar's own timeout.
        for (uint256 j = 0; j < 16; j++) {
            if (j % 2 == 0) rollup.forfeitChallenge(ids[j]);
            else cm.timeout(ids[j]);
            assertEq(rollup.credits(sybils[j]), REFUND);
        }
        assertEq(rollup.credits(escrow), BOND - 17 * REFUND);
        Staker memory s = _staker(liar);
        assertFalse(s.staked || s.removed);
        assertEq(s.openChallenges + s.reserved + s.remaining, 0);
        assertEq(rollup.getAssertion(l).subtreeStakers, 0);
    }

    /// Refused: fewer than 16 prior games cannot take the honest side's refund. With 15
    /// Sybil games opened first and the liar routed to lose to a Sybil, the honest game still
    /// holds a reservation and is refunded on forfeit.
    function test_Refused_FifteenPriorGamesStillRefundHonest() public {
        uint256 h = _assertNext(honest, 0, "h");
        uint256 l = _assertNext(liar, 0, "l");
        uint256 first;
        for (uint256 j = 0; j < 15; j++) {
            address s = _addr("sybil", j);
            _join(s, h);
            uint256 id = _challenge(liar, s);
            if (j == 0) first = id;
        }
        vm.warp(block.timestamp + LATENCY);
        uint256 mine = _challenge(honest, liar);
        (,,,, bool defenderReserved) = rollup.challengeInfo(mine);
        assertTrue(defenderReserved);
        _honestFirstMove(mine, h, l);
        vm.warp(block.timestamp + CLOCK + 1 - LATENCY);
        cm.timeout(first);
        rollup.forfeitChallenge(mine);
        assertEq(rollup.credits(honest), REFUND);
    }

    /// Refused: the liar opens the pair's game first to make the honest createChallenge
    /// revert. The honest transaction does revert (AlreadyInChallenge, the one reverted
    /// transaction the spec allows per lost bond), but the game it needs exists: the honest
    /// side defends as the defender, wins, and is refunded.
    function test_Refused_FrontRunPairOpening_HonestDefendsAndIsRefunded() public {
        uint256 h = _assertNext(honest, 0, "h");
        uint256 l = _assertNext(liar, 0, "l");
        uint256 id = _challenge(liar, honest);
        vm.prank(honest);
        vm.expectRevert(abi.encodeWithSelector(IRollupEvents.AlreadyInChallenge.selector, id));
        rollup.createChallenge(liar);
        (Game memory g, Segment memory seg) = _game(id, honest, h, l, 3);
        _playOut(g, seg, LATENCY);
        if (cm.mover(id) == liar) {
            (uint256 left,) = cm.remainingTime(id);
            vm.warp(block.timestamp + left + 1);
            cm.timeout(id);
        }
        (address winner,) = cm.result(id);
        assertEq(winner, honest);
        assertEq(rollup.credits(honest), REFUND);
        _warpToDeadline(0);
        rollup.reject(l);
        rollup.confirm(h);
    }
}
