// SPDX-License-Identifier: MIT
pragma solidity ^0.8.37;

import {CommonBase} from "forge-std/Base.sol";
import {Rollup} from "../../src/rollup/Rollup.sol";
import {Assertion} from "../../src/rollup/RollupTypes.sol";
import {ChallengeManager, Segment} from "../../src/rollup/ChallengeManager.sol";
import {OneStepProver} from "../../src/osp/OneStepProver.sol";
import {Hashing} from "../../src/osp/Hashing.sol";
import {Outbox} from "../../src/rollup/Outbox.sol";
import {MAX_STEPS} from "../../src/osp/Constants.sol";

/// Plays challenges for the protocol's stateful fuzzing, the way any party would: each side
/// follows a script of claims and disputes the first point it disagrees with. The honest
/// script is the truth of the model chain (`truth`); a wrong side agrees with it on every
/// block but the range's last and departs inside that block after step `BAD_STEP`. Only the
/// step at `BAD_STEP` is a real machine (the one-step proof vector `i32.eq/plain`), so whoever
/// faces it at the bottom either proves the other side's claim wrong or cannot move.
abstract contract Player is CommonBase {
    uint256 internal constant BAD_STEP = 1_000_003;

    Rollup internal rollup;
    ChallengeManager internal cm;
    OneStepProver internal osp;
    Outbox internal outbox;
    /// Who the model chain's withdrawals pay, and how much each.
    address internal constant RECIPIENT = address(0xbeef);
    uint128 internal constant WITHDRAWN = 1 gwei;
    bytes32 internal vecPre;
    bytes32 internal vecPost;
    bytes internal vecProof;

    /// What a challenge is about, fixed when it opens.
    struct Dispute {
        address challenger;
        address defender;
        /// The rivals' parent's position and the blocks of the range.
        uint64 start;
        uint64 blocks;
        /// Each side's claim at the end of the range.
        bytes32 challengerEnd;
        bytes32 defenderEnd;
        bytes32 moduleRoot;
        /// The block the game narrowed to at level 2 (absolute position of its start).
        uint64 block_;
        bool atLevelTwo;
    }

    uint256[] internal disputeIds;
    mapping(uint256 => Dispute) internal disputes;
    mapping(uint256 => Segment) internal current;

    // ------------------------------------------------------------------ the model chain

    /// The true global state after `pos` messages (genesis: all zero). Its outbox holds one
    /// withdrawal of `WITHDRAWN` wei to `RECIPIENT` at leaf `pos`.
    function truth(uint64 pos) public view returns (Hashing.GlobalState memory gs) {
        if (pos == 0) return gs;
        gs.stateRoot = keccak256(abi.encode("truth", pos));
        gs.outboxRoot = _root(pos, _leaf(pos, RECIPIENT, WITHDRAWN));
        gs.inboxPosition = pos;
        gs.blockNumber = pos;
    }

    function truthHash(uint64 pos) public view returns (bytes32) {
        return Hashing.globalStateHash(truth(pos));
    }

    /// A wrong state after `pos` messages, one per `salt`: its outbox pays `thief` 1 ether
    /// at leaf `pos`.
    function wrong(uint64 pos, uint256 salt, address thief)
        public
        view
        returns (Hashing.GlobalState memory gs)
    {
        gs = truth(pos);
        gs.stateRoot = keccak256(abi.encode("wrong", pos, salt));
        gs.outboxRoot = _root(pos, _leaf(pos, thief, 1 ether));
    }

    function _leaf(uint64 pos, address to, uint128 amount) internal view returns (bytes32) {
        return
            outbox.withdrawalLeaf(pos, address(uint160(pos + 1)), to, amount, bytes32(uint256(pos)));
    }

    function _root(uint64 pos, bytes32 leaf) internal view returns (bytes32) {
        bytes32[32] memory zeros;
        return outbox.rootFromProof(pos, leaf, zeros);
    }

    // ------------------------------------------------------------------ recording games

    /// Records challenge `id` just opened, with its opening segment.
    function _record(uint256 id) internal {
        ChallengeManager.Challenge memory c = cm.getChallenge(id);
        (uint256 x, uint256 y) = rollup.rivals(c.challenger, c.defender);
        Assertion memory ax = rollup.getAssertion(x);
        Assertion memory p = rollup.getAssertion(rollup.startOf(ax.parent));
        disputes[id] = Dispute({
            challenger: c.challenger,
            defender: c.defender,
            start: p.afterInbox,
            blocks: ax.afterInbox - p.afterInbox,
            challengerEnd: rollup.getAssertion(y).afterStateHash,
            defenderEnd: ax.afterStateHash,
            moduleRoot: ax.moduleRoot,
            block_: 0,
            atLevelTwo: false
        });
        bytes32[] memory h = new bytes32[](2);
        h[0] = p.afterStateHash;
        h[1] = ax.afterStateHash;
        current[id] = Segment(1, 0, ax.afterInbox - p.afterInbox, h);
        disputeIds.push(id);
    }

    // ------------------------------------------------------------------ claims

    /// `party`'s claim at `point` of the current level of challenge `id`.
    function _claim(uint256 id, address party, uint8 level, uint256 point)
        internal
        view
        returns (bytes32)
    {
        Dispute storage d = disputes[id];
        bytes32 end = party == d.challenger ? d.challengerEnd : d.defenderEnd;
        bool honest = end == truthHash(d.start + d.blocks);
        if (level == 1) {
            if (point == d.blocks) return end;
            // Every side agrees on the blocks before the range's last.
            return truthHash(uint64(d.start + point));
        }
        uint64 b = d.block_;
        if (point == 0) return osp.initialMachineHash(d.moduleRoot, truthHash(b));
        if (point == MAX_STEPS) {
            return osp.finishedMachineHash(honest ? truthHash(b + 1) : end);
        }
        if (!honest && point > BAD_STEP) return keccak256(abi.encode("wrong mh", party, point));
        if (point == BAD_STEP) return vecPre;
        if (point == BAD_STEP + 1) return vecPost;
        return keccak256(abi.encode("mh", b, point));
    }

    function _claims(uint256 id, address party, uint8 level, uint256 start, uint256 length)
        internal
        view
        returns (bytes32[] memory h)
    {
        uint256 k = length < cm.degree() ? length : cm.degree();
        h = new bytes32[](k + 1);
        for (uint256 j = 0; j <= k; j++) {
            h[j] = _claim(id, party, level, cm.splitPoint(start, length, k, j));
        }
    }

    // ------------------------------------------------------------------ moves

    /// The party on turn in challenge `id` makes its move if it has one; returns whether it
    /// moved. A side facing a step it cannot prove wrong has no move.
    function _move(uint256 id) internal returns (bool) {
        address mover = cm.mover(id);
        if (mover == address(0)) return false;
        Segment memory cur = current[id];
        uint256 k = cur.hashes.length - 1;
        uint256 i = 0;
        while (
            i < k
                && _claim(id, mover, cur.level, cm.splitPoint(cur.start, cur.length, k, i + 1))
                    == cur.hashes[i + 1]
        ) {
            i++;
        }
        if (i == k) return false;
        uint256 from = cm.splitPoint(cur.start, cur.length, k, i);
        uint256 len = cm.splitPoint(cur.start, cur.length, k, i + 1) - from;
        if (len >= 2) {
            bytes32[] memory h = _claims(id, mover, cur.level, from, len);
            vm.prank(mover);
            cm.bisect(id, cur, i, h);
            current[id] = Segment(cur.level, from, len, h);
            return true;
        }
        if (cur.level == 1) {
            disputes[id].block_ = uint64(disputes[id].start + from);
            disputes[id].atLevelTwo = true;
            bytes32[] memory h = _claims(id, mover, 2, 0, MAX_STEPS);
            if (cur.hashes[i + 1] == Hashing.STUCK) {
                // Against a claim that the block cannot finish: the state it finishes in.
                Dispute storage d = disputes[id];
                bytes32 end = mover == d.challenger ? d.challengerEnd : d.defenderEnd;
                bool honest = end == truthHash(d.start + d.blocks);
                bytes32 finished = honest ? truthHash(d.block_ + 1) : end;
                vm.prank(mover);
                cm.enterLevelTwoFinishing(id, cur, i, h, finished);
            } else {
                vm.prank(mover);
                cm.enterLevelTwo(id, cur, i, h);
            }
            current[id] = Segment(2, 0, MAX_STEPS, h);
            return true;
        }
        // One step: only a claim that departs from the real machine there can be disproven.
        if (from != BAD_STEP || cur.hashes[i + 1] == vecPost) return false;
        vm.prank(mover);
        cm.proveOneStep(id, cur, i, vecProof);
        return true;
    }
}
