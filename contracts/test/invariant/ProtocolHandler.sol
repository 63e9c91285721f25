// SPDX-License-Identifier: MIT
pragma solidity ^0.8.37;

import {StdUtils} from "forge-std/StdUtils.sol";
import {Player} from "./Player.sol";
import {Rollup} from "../../src/rollup/Rollup.sol";
import {Inbox} from "../../src/rollup/Inbox.sol";
import {Outbox} from "../../src/rollup/Outbox.sol";
import {Assertion, AssertionStatus, Staker} from "../../src/rollup/RollupTypes.sol";
import {ChallengeManager} from "../../src/rollup/ChallengeManager.sol";
import {OneStepProver} from "../../src/osp/OneStepProver.sol";
import {Hashing} from "../../src/osp/Hashing.sol";
import {AssertionTree} from "../../src/rollup/AssertionTree.sol";

/// The actors of the protocol's stateful fuzzing: one honest validator, which acts after every
/// step of time (`warp` moves at most `LATENCY` seconds, then the honest validator does all
/// its duties), and an attacker with `ATTACKERS` funded addresses that may call anything in
/// any order: assert true or false states anywhere, stake, challenge anyone, move or stall in
/// its games, time out, forfeit, reject, confirm, withdraw, tick, deposit, and try to withdraw
/// against its own outbox roots. Every call a rule refuses is simply refused; the invariants
/// (ProtocolInvariants.t.sol) are checked after each call.
contract ProtocolHandler is StdUtils, Player {
    uint256 public constant ATTACKERS = 6;
    uint256 public constant LATENCY = 60;

    Inbox internal inbox;
    address public honest = address(0xA11CE);
    address[] public attackers;

    /// Wei deposited into the Inbox and paid out by the Outbox, and what a wrong root paid.
    uint256 public deposited;
    uint256 public paid;
    uint256 public stolen;
    /// Stakers that lost a challenge (the only way a bond may be lost).
    mapping(address => bool) public lost;
    uint256 public honestWithdrawn;
    /// The first duty the honest validator could not perform when it should have (empty if
    /// none): a rule refused a move the protocol promises it.
    string public honestFailure;

    /// The model's clock. Time passes only in `_pass`, where the honest validator acts every
    /// `LATENCY` seconds; every call starts at this time. Foundry's campaign does not keep
    /// `block.timestamp` with the committed state (a call it discards may leave its warp
    /// behind), and time passing outside `_pass` would take the honest validator offline
    /// without the model saying so (docs/decisions.md, "Stateful fuzzing").
    uint256 public modelTime;

    modifier timed() {
        if (modelTime != 0) vm.warp(modelTime);
        _;
        modelTime = block.timestamp;
    }

    function _must(bool ok, string memory what) internal {
        if (!ok && bytes(honestFailure).length == 0) honestFailure = what;
    }

    constructor(
        Rollup rollup_,
        ChallengeManager cm_,
        OneStepProver osp_,
        Inbox inbox_,
        Outbox outbox_,
        bytes32 pre,
        bytes32 post,
        bytes memory proof
    ) {
        rollup = rollup_;
        cm = cm_;
        osp = osp_;
        inbox = inbox_;
        outbox = outbox_;
        vecPre = pre;
        vecPost = post;
        vecProof = proof;
        for (uint256 i = 0; i < ATTACKERS; i++) {
            attackers.push(address(uint160(0xBAD00 + i)));
        }
    }

    // ------------------------------------------------------------------ views for invariants

    function actors() external view returns (address[] memory all) {
        all = new address[](ATTACKERS + 1);
        all[0] = honest;
        for (uint256 i = 0; i < ATTACKERS; i++) {
            all[i + 1] = attackers[i];
        }
    }

    function disputeCount() external view returns (uint256) {
        return disputeIds.length;
    }

    // ------------------------------------------------------------------ time and the honest side

    /// Up to two hours pass, the honest validator doing everything it has to every
    /// `LATENCY` seconds (the attacker acts between calls, so as often as it likes).
    function warp(uint256 dt) external timed {
        _pass(bound(dt, 1, 2 hours));
    }

    /// `dt` seconds pass, the honest validator acting every `LATENCY`.
    function _pass(uint256 dt) internal {
        while (dt > 0) {
            uint256 step = dt < LATENCY ? dt : LATENCY;
            vm.warp(block.timestamp + step);
            dt -= step;
            // A duty that reverts would undo the warp with it and hide the failure.
            try this.dutiesFor() {}
            catch {
                _must(false, "a duty reverted");
            }
        }
    }

    /// The honest validator's duties, as validator/src/ does them.
    function honestAct() public timed {
        _honestAct();
    }

    function _honestAct() internal {
        _settle();
        _confirm();
        _extend();
        _challenge();
        _play();
        uint256 credit = rollup.credits(honest);
        if (credit != 0) {
            vm.prank(honest);
            try rollup.withdrawFunds() {
                honestWithdrawn += credit;
            } catch {
                _must(false, "withdrawFunds");
            }
        }
    }

    function _confirm() internal {
        for (uint256 guard = 0; guard < 8; guard++) {
            uint256 p = rollup.latestConfirmed();
            (bool found, uint256 h) = _correctChild(p);
            if (!found || block.timestamp < rollup.deadline(p)) return;
            for (uint256 c = p + 1; c < rollup.assertionCount(); c++) {
                Assertion memory a = rollup.getAssertion(c);
                if (c != h && a.parent == p && a.status == AssertionStatus.Pending) {
                    if (a.subtreeStakers == 0) {
                        try rollup.reject(c) {}
                        catch {
                            _must(false, "reject");
                        }
                    }
                }
            }
            if (rollup.getAssertion(p).liveChildren != 1) return;
            if (rollup.getAssertion(h).subtreeStakers == 0) return;
            try rollup.confirm(h) {}
            catch {
                _must(false, "confirm");
            }
        }
    }

    /// Stands on the deepest correct assertion it can reach: joins or creates the correct
    /// child of its current assertion while the family is open.
    function _extend() internal {
        Staker memory s = _stakerOf(honest);
        uint256 latest = rollup.latestConfirmed();
        if (s.staked && s.current != latest && _status(s.current) == AssertionStatus.Confirmed) {
            if (s.openChallenges != 0) return;
            vm.prank(honest);
            try rollup.withdrawStake() {}
            catch {
                _must(false, "withdrawStake");
            }
            s = _stakerOf(honest);
        }
        for (uint256 guard = 0; guard < 4; guard++) {
            uint256 tip = s.staked ? s.current : latest;
            uint256 value = s.staked ? 0 : rollup.bond();
            vm.deal(honest, honest.balance + value);
            (bool found, uint256 c) = _correctChild(tip);
            if (found) {
                vm.prank(honest);
                try rollup.stakeOn{value: value}(c) {}
                catch {
                    _must(false, "stakeOn");
                    return;
                }
            } else {
                Assertion memory t = rollup.getAssertion(tip);
                if (t.nextInbox > inbox.messageCount()) return;
                // Built before the prank: it calls the Outbox.
                Hashing.GlobalState memory gs = truth(t.nextInbox);
                vm.prank(honest);
                try rollup.createAssertion{value: value}(tip, gs) {}
                catch (bytes memory err) {
                    // The depth bound makes it wait for a confirmation; nothing else may.
                    _must(bytes4(err) == AssertionTree.TooDeep.selector, "createAssertion");
                    return;
                }
            }
            s = _stakerOf(honest);
        }
    }

    /// Opens a challenge against every attacker whose line parts from its own.
    function _challenge() internal {
        if (!_stakerOf(honest).staked) return;
        for (uint256 i = 0; i < ATTACKERS; i++) {
            address a = attackers[i];
            if (!_stakerOf(a).staked || rollup.challengeBetween(honest, a) != 0) continue;
            try rollup.rivals(honest, a) returns (uint256, uint256) {}
            catch {
                continue;
            }
            vm.prank(honest);
            try rollup.createChallenge(a) returns (uint256 id) {
                _record(id);
            } catch {
                _must(false, "createChallenge");
            }
        }
    }

    /// Moves in its games on its turn, times out opponents out of clock, forfeits games whose
    /// opponent was removed.
    function _play() internal {
        for (uint256 j = 0; j < disputeIds.length; j++) {
            uint256 id = disputeIds[j];
            Dispute storage d = disputes[id];
            if (d.challenger != honest && d.defender != honest) continue;
            if (cm.mover(id) == address(0)) continue;
            address opponent = d.challenger == honest ? d.defender : d.challenger;
            if (_stakerOf(opponent).removed) {
                try rollup.forfeitChallenge(id) {}
                catch {
                    _must(false, "forfeitChallenge");
                }
                continue;
            }
            if (cm.mover(id) == honest) {
                try this.moveFor(id) returns (bool moved) {
                    _must(moved, "no move on its turn");
                } catch {
                    _must(false, "move");
                }
            } else if (_clockLeft(id, opponent) == 0) {
                try cm.timeout(id) {} catch {}
            }
        }
        _settle();
    }

    // ------------------------------------------------------------------ the attacker

    function _attacker(uint256 seed) internal view returns (address) {
        return attackers[seed % ATTACKERS];
    }

    /// An attacker asserts a state (true or false) under any existing assertion.
    function attackerAssert(uint256 who, uint256 parentSeed, bool correct, uint256 salt)
        external
        timed
    {
        address a = _attacker(who);
        uint256 parent = parentSeed % rollup.assertionCount();
        Assertion memory p = rollup.getAssertion(parent);
        Hashing.GlobalState memory gs = correct ? truth(p.nextInbox) : wrong(p.nextInbox, salt, a);
        uint256 value = _stakerOf(a).staked ? 0 : rollup.bond();
        vm.deal(a, a.balance + value);
        vm.prank(a);
        try rollup.createAssertion{value: value}(parent, gs) {} catch {}
    }

    /// An attacker claims that a block of any existing assertion's children's range cannot
    /// finish (it always can here: a STUCK claim is a lie the honest side must beat).
    function attackerStuck(uint256 who, uint256 parentSeed) external timed {
        address a = _attacker(who);
        uint256 parent = parentSeed % rollup.assertionCount();
        uint256 value = _stakerOf(a).staked ? 0 : rollup.bond();
        vm.deal(a, a.balance + value);
        vm.prank(a);
        try rollup.createStuckAssertion{value: value}(parent) {} catch {}
    }

    /// The attacker's timing strategy: wait (the honest validator acting meanwhile) until
    /// `lead` seconds before the deadline of the latest confirmed assertion's family, then
    /// assert a wrong rival there, so its game runs past the deadline.
    function attackerLastSecondRival(uint256 who, uint256 lead, uint256 salt) external timed {
        uint256 p = rollup.latestConfirmed();
        uint256 deadline = rollup.deadline(p);
        lead = bound(lead, 1, 10 minutes);
        if (deadline == 0 || block.timestamp + lead >= deadline) return;
        _pass(deadline - lead - block.timestamp);
        address a = _attacker(who);
        Hashing.GlobalState memory gs = wrong(rollup.getAssertion(p).nextInbox, salt, a);
        uint256 value = _stakerOf(a).staked ? 0 : rollup.bond();
        vm.deal(a, a.balance + value);
        vm.prank(a);
        try rollup.createAssertion{value: value}(p, gs) {} catch {}
    }

    /// The attacker backs a wrong line again: a bond onto, or a new child under, a pending
    /// wrong assertion (what deadline rolling needs; refused after the family's deadline).
    function attackerBackWrongLine(uint256 who, uint256 idSeed, bool child, uint256 wait)
        external
        timed
    {
        _pass(bound(wait, 0, 30 minutes));
        // A fresh bond if the attacker has one left: that is what could roll a deadline.
        address a = _attacker(who);
        for (uint256 k = 0; k < ATTACKERS && _stakerOf(a).staked; k++) {
            a = _attacker(who % ATTACKERS + k);
        }
        uint256 n = rollup.assertionCount();
        for (uint256 k = 0; k < n; k++) {
            uint256 id = (idSeed % n + k) % n;
            Assertion memory w = rollup.getAssertion(id);
            if (w.status != AssertionStatus.Pending || w.afterStateHash == truthHash(w.afterInbox))
            {
                continue;
            }
            uint256 value = _stakerOf(a).staked ? 0 : rollup.bond();
            vm.deal(a, a.balance + value);
            if (child) {
                // It appends the message the child's range needs itself.
                if (w.nextInbox > inbox.messageCount()) inbox.tick();
                Hashing.GlobalState memory gs = wrong(w.nextInbox, idSeed, a);
                vm.prank(a);
                try rollup.createAssertion{value: value}(id, gs) {} catch {}
            } else {
                vm.prank(a);
                try rollup.stakeOn{value: value}(id) {} catch {}
            }
            return;
        }
    }

    function attackerStakeOn(uint256 who, uint256 idSeed) external timed {
        address a = _attacker(who);
        uint256 value = _stakerOf(a).staked ? 0 : rollup.bond();
        vm.deal(a, a.balance + value);
        vm.prank(a);
        try rollup.stakeOn{value: value}(idSeed % rollup.assertionCount()) {} catch {}
    }

    /// An attacker challenges anyone (the honest validator or another attacker).
    function attackerChallenge(uint256 who, uint256 target) external timed {
        address a = _attacker(who);
        address d = target % (ATTACKERS + 1) == 0 ? honest : _attacker(target);
        vm.prank(a);
        try rollup.createChallenge(d) returns (uint256 id) {
            _record(id);
        } catch {}
    }

    /// The attacker moves in one of its games if it is on turn (it may also just stall).
    function attackerMove(uint256 idSeed) external timed {
        if (disputeIds.length == 0) return;
        uint256 id = disputeIds[idSeed % disputeIds.length];
        address mover = cm.mover(id);
        if (mover == address(0) || mover == honest) return;
        try this.moveFor(id) {} catch {}
    }

    /// Exposed so a reverting duty can be caught.
    function dutiesFor() external {
        require(msg.sender == address(this), "internal");
        _honestAct();
    }

    /// Exposed so a failing move can be caught.
    function moveFor(uint256 id) external returns (bool) {
        require(msg.sender == address(this), "internal");
        return _move(id);
    }

    /// Anyone calls `timeout` on every game it can, `forfeitChallenge` on every game it can,
    /// `reject` on every assertion it can and `confirm` on every assertion it can: an
    /// attacker trying every permissionless call at once.
    function timeoutAll() external timed {
        for (uint256 j = 0; j < disputeIds.length; j++) {
            try cm.timeout(disputeIds[j]) {} catch {}
        }
        _settle();
    }

    function forfeitAll() external timed {
        for (uint256 j = 0; j < disputeIds.length; j++) {
            try rollup.forfeitChallenge(disputeIds[j]) {} catch {}
        }
    }

    function rejectAll() external timed {
        for (uint256 id = 1; id < rollup.assertionCount(); id++) {
            try rollup.reject(id) {} catch {}
        }
    }

    function confirmAll() external timed {
        for (uint256 id = 1; id < rollup.assertionCount(); id++) {
            try rollup.confirm(id) {} catch {}
        }
    }

    function attackerWithdraw(uint256 who) external timed {
        address a = _attacker(who);
        vm.startPrank(a);
        try rollup.withdrawStake() {} catch {}
        try rollup.withdrawFunds() {} catch {}
        vm.stopPrank();
    }

    function tick() external timed {
        inbox.tick();
    }

    function deposit(uint256 amount) external timed {
        amount = bound(amount, 1, 10 ether);
        vm.deal(address(this), amount);
        inbox.deposit{value: amount}(address(0xd0));
        deposited += amount;
    }

    /// Anyone claims the model chain's withdrawal at the position of an assertion, against
    /// the true root there (paid only once that root is confirmed, and only once).
    function claim(uint256 idSeed) external timed {
        uint64 pos = rollup.getAssertion(bound(idSeed, 1, rollup.assertionCount())).afterInbox;
        if (pos == 0) return;
        bytes32[32] memory zeros;
        try outbox.withdraw(
            pos,
            address(uint160(pos + 1)),
            RECIPIENT,
            WITHDRAWN,
            bytes32(uint256(pos)),
            truth(pos).outboxRoot,
            zeros
        ) {
            paid += WITHDRAWN;
        } catch {}
    }

    /// An attacker claims the 1 ether its own wrong state at `pos` would pay it.
    function attackerClaim(uint256 who, uint256 posSeed, uint256 salt) external timed {
        address a = _attacker(who);
        uint64 pos = uint64(bound(posSeed, 1, inbox.messageCount()));
        bytes32[32] memory zeros;
        try outbox.withdraw(
            pos,
            address(uint160(pos + 1)),
            a,
            1 ether,
            bytes32(uint256(pos)),
            wrong(pos, salt, a).outboxRoot,
            zeros
        ) {
            stolen += 1 ether;
        } catch {}
    }

    // ------------------------------------------------------------------ helpers

    /// Records the loser of every game that ended.
    function _settle() internal {
        for (uint256 j = 0; j < disputeIds.length; j++) {
            (, address loser) = cm.result(disputeIds[j]);
            if (loser != address(0)) lost[loser] = true;
        }
    }

    function _correctChild(uint256 parent) internal view returns (bool, uint256) {
        Assertion memory p = rollup.getAssertion(parent);
        bytes32 want = truthHash(p.nextInbox);
        for (uint256 c = parent + 1; c < rollup.assertionCount(); c++) {
            Assertion memory a = rollup.getAssertion(c);
            if (a.parent == parent && a.afterStateHash == want) {
                return (a.status == AssertionStatus.Pending, c);
            }
        }
        return (false, 0);
    }

    function _status(uint256 id) internal view returns (AssertionStatus) {
        return rollup.getAssertion(id).status;
    }

    function _stakerOf(address who) internal view returns (Staker memory s) {
        (s.current, s.openChallenges, s.reserved, s.staked, s.removed, s.remaining) =
            rollup.stakers(who);
    }

    function _clockLeft(uint256 id, address party) internal view returns (uint256) {
        (uint256 c, uint256 d) = cm.remainingTime(id);
        return party == disputes[id].challenger ? c : d;
    }
}
