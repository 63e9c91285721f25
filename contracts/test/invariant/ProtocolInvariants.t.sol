// SPDX-License-Identifier: MIT
pragma solidity ^0.8.37;

import {Test, console} from "forge-std/Test.sol";
import {StdInvariant} from "forge-std/StdInvariant.sol";
import {ProtocolHandler} from "./ProtocolHandler.sol";
import {Rollup} from "../../src/rollup/Rollup.sol";
import {Inbox} from "../../src/rollup/Inbox.sol";
import {Outbox} from "../../src/rollup/Outbox.sol";
import {Assertion, AssertionStatus, Staker} from "../../src/rollup/RollupTypes.sol";
import {ChallengeManager} from "../../src/rollup/ChallengeManager.sol";
import {IChallengeResultReceiver} from "../../src/rollup/IChallengeResultReceiver.sol";
import {OneStepProver} from "../../src/osp/OneStepProver.sol";
import {ProverControl} from "../../src/osp/ProverControl.sol";
import {ProverMath} from "../../src/osp/ProverMath.sol";
import {ProverMemory} from "../../src/osp/ProverMemory.sol";
import {ProverHost} from "../../src/osp/ProverHost.sol";
import {IOneStepInbox} from "../../src/osp/IOneStepInbox.sol";

/// Stateful fuzzing of the protocol (docs/spec/protocol.md, "Guarantees"): the real Inbox,
/// Outbox, OneStepProver, ChallengeManager and Rollup, an honest validator that acts within
/// `LATENCY` seconds, and an attacker with several funded addresses calling anything in any
/// order (ProtocolHandler). After every call:
/// - no wrong assertion is confirmed, and no wrong outbox root ever paid;
/// - the Inbox's escrow is what was deposited minus what the Outbox paid;
/// - the honest assertion is confirmed within `T + C` of its family's first child plus the
///   honest side's latency;
/// - the honest validator never loses its bond, never fails a duty the protocol promises
///   it, and every other lost bond belongs to a staker that lost a challenge;
/// - the Rollup holds exactly the bonds at stake, what is left of lost bonds, and the
///   credits (refunds and the escrow's share sum to what was lost);
/// - the tree's facts: every stake on a confirmed assertion or a live line at most
///   `MAX_PENDING_DEPTH` below the latest confirmed one, subtree counts exact.
/// The size fits the test command (foundry.toml `[invariant]`); `FOUNDRY_PROFILE=deep` runs
/// a deeper campaign.
contract ProtocolInvariantsTest is StdInvariant, Test {
    uint256 internal constant DEGREE = 4;
    uint256 internal constant CLOCK = 20 minutes;
    uint256 internal constant PERIOD = 1 hours;
    uint256 internal constant BOND = 1 ether;
    uint256 internal constant REFUND = 0.05 ether;
    uint64 internal constant FORCE_DELAY = 1 hours;
    bytes32 internal constant MODULE_ROOT = keccak256("module root");
    /// The honest side's latency on top of `T + C`, one `LATENCY` (60 s) each: opening the
    /// game, its half of the moves of the deepest game (level 1 over a few blocks, 16 level-2
    /// bisections at degree 4, the proof: at most 11), the timeout, the rejection and the
    /// confirmation.
    uint256 internal constant SLACK = 15 * 60;

    Inbox internal inbox;
    Outbox internal outbox;
    ChallengeManager internal cm;
    Rollup internal rollup;
    ProtocolHandler internal handler;
    address internal escrow = makeAddr("escrow");
    uint256 internal honestStart;

    function setUp() public {
        address owner = makeAddr("owner");
        inbox = new Inbox(owner, makeAddr("sequencer"), 42, FORCE_DELAY, 0);
        OneStepProver osp = new OneStepProver(
            new ProverControl(), new ProverMath(), new ProverMemory(), new ProverHost()
        );
        address predicted = vm.computeCreateAddress(address(this), vm.getNonce(address(this)) + 1);
        cm = new ChallengeManager(
            IChallengeResultReceiver(predicted), osp, IOneStepInbox(address(inbox)), DEGREE, CLOCK
        );
        rollup = new Rollup(
            inbox, cm, MODULE_ROOT, BOND, REFUND, PERIOD, FORCE_DELAY + 2 * PERIOD, escrow, owner
        );
        outbox = new Outbox(address(inbox), address(rollup));
        vm.prank(owner);
        inbox.setOutbox(address(outbox));

        string memory json = vm.readFile("../test-vectors/osp/math.json");
        assertEq(vm.parseJsonString(json, ".vectors[2].name"), "i32.eq/plain");
        handler = new ProtocolHandler(
            rollup,
            cm,
            osp,
            inbox,
            outbox,
            vm.parseJsonBytes32(json, ".vectors[2].pre_hash"),
            vm.parseJsonBytes32(json, ".vectors[2].post_hash"),
            vm.parseJsonBytes(json, ".vectors[2].proof")
        );
        // Money in the escrow for withdrawals, and the honest validator on the chain.
        handler.deposit(5 ether);
        handler.tick();
        handler.honestAct();
        honestStart = rollup.bond();

        bytes4[] memory selectors = new bytes4[](20);
        selectors[0] = ProtocolHandler.warp.selector;
        selectors[1] = ProtocolHandler.honestAct.selector;
        selectors[2] = ProtocolHandler.attackerAssert.selector;
        selectors[3] = ProtocolHandler.attackerStakeOn.selector;
        selectors[4] = ProtocolHandler.attackerChallenge.selector;
        selectors[5] = ProtocolHandler.attackerMove.selector;
        selectors[6] = ProtocolHandler.timeoutAll.selector;
        selectors[7] = ProtocolHandler.forfeitAll.selector;
        selectors[8] = ProtocolHandler.rejectAll.selector;
        selectors[9] = ProtocolHandler.confirmAll.selector;
        selectors[10] = ProtocolHandler.attackerWithdraw.selector;
        selectors[11] = ProtocolHandler.tick.selector;
        selectors[12] = ProtocolHandler.deposit.selector;
        selectors[13] = ProtocolHandler.claim.selector;
        selectors[14] = ProtocolHandler.attackerClaim.selector;
        // Attacker moves and assertions are the substance: weigh them up.
        selectors[15] = ProtocolHandler.attackerAssert.selector;
        selectors[16] = ProtocolHandler.attackerMove.selector;
        selectors[17] = ProtocolHandler.attackerBackWrongLine.selector;
        selectors[18] = ProtocolHandler.attackerLastSecondRival.selector;
        selectors[19] = ProtocolHandler.attackerStuck.selector;
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
        targetContract(address(handler));
    }

    /// What a run did, so a campaign that exercised nothing shows it.
    function afterInvariant() external view {
        uint256 confirmed;
        uint256 rejected;
        for (uint256 id = 1; id < rollup.assertionCount(); id++) {
            AssertionStatus st = rollup.getAssertion(id).status;
            if (st == AssertionStatus.Confirmed) confirmed++;
            if (st == AssertionStatus.Rejected) rejected++;
        }
        console.log(
            string.concat(
                "run: ",
                vm.toString(rollup.assertionCount() - 1),
                " assertions (",
                vm.toString(confirmed),
                " confirmed, ",
                vm.toString(rejected),
                " rejected), ",
                vm.toString(handler.disputeCount()),
                " challenges, ",
                vm.toString(handler.paid()),
                " wei withdrawn"
            )
        );
    }

    function _staker(address who) internal view returns (Staker memory s) {
        (s.current, s.openChallenges, s.reserved, s.staked, s.removed, s.remaining) =
            rollup.stakers(who);
    }

    // ------------------------------------------------------------------ safety

    function invariant_noWrongAssertionConfirmed() public view {
        for (uint256 id = 1; id < rollup.assertionCount(); id++) {
            Assertion memory a = rollup.getAssertion(id);
            if (a.status == AssertionStatus.Confirmed) {
                assertEq(
                    a.afterStateHash, handler.truthHash(a.afterInbox), "a wrong state confirmed"
                );
            }
        }
    }

    function invariant_escrowIsDepositsMinusPaidWithdrawals() public view {
        assertEq(handler.stolen(), 0, "a wrong outbox root paid");
        assertEq(address(inbox).balance, handler.deposited() - handler.paid());
    }

    // ------------------------------------------------------------------ bounded delay, liveness

    /// The latest confirmed assertion's family is decided within `T + C` (+ latency) of its
    /// first child: past that, the honest validator has confirmed its correct child.
    function invariant_honestAssertionConfirmedWithinTheBound() public view {
        uint256 p = rollup.latestConfirmed();
        Assertion memory a = rollup.getAssertion(p);
        if (a.children == 0) return;
        // The model's time: the campaign's own `block.timestamp` may carry a discarded warp.
        assertLe(
            handler.modelTime(), a.firstChildAt + PERIOD + CLOCK + SLACK, "delay past the bound"
        );
    }

    function invariant_honestNeverFailsADuty() public view {
        assertEq(handler.honestFailure(), "", "a rule refused an honest duty");
    }

    // ------------------------------------------------------------------ stakes and money

    function invariant_bondsLostOnlyByLosingAChallenge() public view {
        address[] memory all = handler.actors();
        assertFalse(handler.lost(all[0]), "the honest validator lost a challenge");
        assertFalse(_staker(all[0]).removed, "the honest validator was removed");
        for (uint256 i = 0; i < all.length; i++) {
            if (_staker(all[i]).removed) {
                assertTrue(handler.lost(all[i]), "removed without a loss");
            }
        }
        // Its bond, at stake or back, plus every refund it collected: never less than it put in.
        uint256 wealth = all[0].balance + (_staker(all[0]).staked ? BOND : 0);
        assertGe(wealth + rollup.credits(all[0]), honestStart, "the honest side lost money");
    }

    /// The Rollup holds the bonds at stake, what is left of lost bonds, and every credit:
    /// refunds and the escrow's share add up to the bonds lost.
    function invariant_rollupHoldsBondsAndCredits() public view {
        address[] memory all = handler.actors();
        uint256 held = rollup.credits(escrow);
        for (uint256 i = 0; i < all.length; i++) {
            Staker memory s = _staker(all[i]);
            if (s.staked) held += BOND;
            if (s.removed) held += s.remaining;
            held += rollup.credits(all[i]);
        }
        assertEq(address(rollup).balance, held);
    }

    // ------------------------------------------------------------------ the tree

    function invariant_stakesOnLiveLinesWithinTheDepth() public view {
        address[] memory all = handler.actors();
        uint256 latest = rollup.latestConfirmed();
        for (uint256 i = 0; i < all.length; i++) {
            Staker memory s = _staker(all[i]);
            if (!s.staked) continue;
            uint256 cur = s.current;
            if (rollup.getAssertion(cur).status == AssertionStatus.Confirmed) continue;
            uint256 depth = 0;
            while (cur != latest) {
                Assertion memory a = rollup.getAssertion(cur);
                assertEq(uint8(a.status), uint8(AssertionStatus.Pending), "a stake on a dead line");
                cur = a.parent;
                depth++;
                assertLe(depth, rollup.MAX_PENDING_DEPTH(), "a line too deep");
            }
        }
    }

    function invariant_subtreeCountsAreExact() public view {
        address[] memory all = handler.actors();
        for (uint256 id = 1; id < rollup.assertionCount(); id++) {
            Assertion memory x = rollup.getAssertion(id);
            if (x.status != AssertionStatus.Pending || !_live(id)) continue;
            uint256 n = 0;
            for (uint256 i = 0; i < all.length; i++) {
                Staker memory s = _staker(all[i]);
                if (s.staked && _descends(s.current, id)) n++;
            }
            assertEq(x.subtreeStakers, n, "subtree count");
        }
    }

    function _live(uint256 id) internal view returns (bool) {
        uint256 latest = rollup.latestConfirmed();
        while (id != latest) {
            Assertion memory a = rollup.getAssertion(id);
            if (a.status != AssertionStatus.Pending || id == 0) return false;
            id = a.parent;
        }
        return true;
    }

    function _descends(uint256 id, uint256 ancestor) internal view returns (bool) {
        for (uint256 guard = 0; guard < 256; guard++) {
            if (id == ancestor) return true;
            if (id == 0) return false;
            id = rollup.getAssertion(id).parent;
        }
        return false;
    }
}
