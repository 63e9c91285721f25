// SPDX-License-Identifier: MIT
pragma solidity ^0.8.37;

import {Test} from "forge-std/Test.sol";
import {Vm} from "forge-std/Vm.sol";
import {ChallengeManager, Segment} from "../src/rollup/ChallengeManager.sol";
import {IChallengeResultReceiver} from "../src/rollup/IChallengeResultReceiver.sol";
import {ChallengeResultRecorder} from "../src/testing/ChallengeResultRecorder.sol";
import {OneStepProver} from "../src/osp/OneStepProver.sol";
import {ProverControl} from "../src/osp/ProverControl.sol";
import {ProverMath} from "../src/osp/ProverMath.sol";
import {ProverMemory} from "../src/osp/ProverMemory.sol";
import {ProverHost} from "../src/osp/ProverHost.sol";
import {IOneStepInbox} from "../src/osp/IOneStepInbox.sol";
import {InboxDouble} from "../src/testing/InboxDouble.sol";
import {MAX_STEPS} from "../src/osp/Constants.sol";

/// Scripted parties for ChallengeManager tests. A game has an honest party and a liar that
/// agree on the global state after every block up to `badBlock` and differ after it; inside
/// block `badBlock` (level 2) they agree on every machine hash up to step `badStep` and differ
/// after it. Each party always disputes the first point where the opponent's segment differs
/// from its own claims, so the dispute narrows to exactly step `badStep` of block `badBlock`.
///
/// The machine hashes are not those of a real machine: only the step at `badStep` is real (the
/// pre- and post-hash of a one-step proof vector, test-vectors/osp/math.json), the others are
/// arbitrary hashes, plus the two the contract checks (`initialMachineHash` at step 0 and
/// `finishedMachineHash` at MAX_STEPS). The ChallengeManager never looks inside a hash except
/// through those and the one-step proof, so that is enough for contract tests; a Rust test
/// plays a dispute over a real machine.
abstract contract ChallengeManagerBase is Test {
    uint256 internal constant DEGREE = 4;
    uint256 internal constant CLOCK = 1 days;
    bytes32 internal constant MODULE_ROOT = keccak256("module root");

    OneStepProver internal osp;
    InboxDouble internal inbox;
    ChallengeResultRecorder internal recorder;
    ChallengeManager internal cm;

    address internal alice = makeAddr("alice");
    address internal bob = makeAddr("bob");

    bytes32 internal vecPre;
    bytes32 internal vecPost;
    bytes internal vecProof;

    struct Game {
        uint256 id;
        address challenger;
        address defender;
        address honest;
        uint256 numBlocks;
        uint256 badBlock;
        uint256 badStep;
        bytes32 salt;
    }

    enum Kind {
        Bisect,
        EnterLevelTwo,
        Prove
    }

    /// A planned move: `index` of the current segment and the new hashes (none for Prove).
    struct Move {
        Kind kind;
        address mover;
        uint256 index;
        bytes32[] next;
    }

    /// Gas of the moves made through `_apply` while `measuring`, from vm.lastCallGas with the
    /// manager's storage cooled before each move. Under `forge test --isolate` each call is a
    /// transaction of its own and the figure is the whole transaction; otherwise it is the
    /// execution only and 21,000 plus the calldata gas are added (`isolated` tells which).
    /// Only `--isolate` also charges the cold account accesses (2,600 each) of the prover
    /// contracts, which a test's single transaction has already warmed.
    bool internal measuring;
    bool internal isolated;
    mapping(address => uint256) internal txGasBy;
    mapping(address => uint256) internal calldataGasBy;
    mapping(address => uint256) internal movesBy;
    mapping(uint256 => uint256) internal maxTxGasOfKind;

    function setUp() public virtual {
        osp = new OneStepProver(
            new ProverControl(), new ProverMath(), new ProverMemory(), new ProverHost()
        );
        inbox = new InboxDouble();
        recorder = new ChallengeResultRecorder();
        cm = new ChallengeManager(
            IChallengeResultReceiver(address(recorder)),
            osp,
            IOneStepInbox(address(inbox)),
            DEGREE,
            CLOCK
        );
        string memory json = vm.readFile("../test-vectors/osp/math.json");
        assertEq(vm.parseJsonString(json, ".vectors[2].name"), "i32.eq/plain");
        // The vector reads no inbox message, so the empty inbox double serves as its context.
        assertEq(vm.parseJsonBytes32Array(json, ".vectors[2].context.inbox_accumulators").length, 0);
        vecPre = vm.parseJsonBytes32(json, ".vectors[2].pre_hash");
        vecPost = vm.parseJsonBytes32(json, ".vectors[2].post_hash");
        vecProof = vm.parseJsonBytes(json, ".vectors[2].proof");
    }

    // ------------------------------------------------------------ scripted claims

    /// Global-state hash after `j` blocks as the honest party or the liar claims it.
    function _gs(Game memory g, bool honest, uint256 j) internal pure returns (bytes32) {
        if (honest || j <= g.badBlock) return keccak256(abi.encode(g.salt, "gs", j));
        return keccak256(abi.encode(g.salt, "liar gs", j));
    }

    /// Machine hash after `t` steps of block `badBlock`.
    function _mh(Game memory g, bool honest, uint256 t) internal view returns (bytes32) {
        if (t == 0) return osp.initialMachineHash(MODULE_ROOT, _gs(g, true, g.badBlock));
        if (t == MAX_STEPS) return osp.finishedMachineHash(_gs(g, honest, g.badBlock + 1));
        if (!honest && t > g.badStep) return keccak256(abi.encode(g.salt, "liar mh", t));
        if (t == g.badStep) return vecPre;
        if (t == g.badStep + 1) return vecPost;
        return keccak256(abi.encode(g.salt, "mh", t));
    }

    function _claim(Game memory g, bool honest, uint8 level, uint256 point)
        internal
        view
        returns (bytes32)
    {
        return level == 1 ? _gs(g, honest, point) : _mh(g, honest, point);
    }

    /// The claims of one side at the split points of `(level, start, length)`.
    function _claims(Game memory g, bool honest, uint8 level, uint256 start, uint256 length)
        internal
        view
        returns (bytes32[] memory h)
    {
        uint256 k = length < DEGREE ? length : DEGREE;
        h = new bytes32[](k + 1);
        for (uint256 j = 0; j <= k; j++) {
            h[j] = _claim(g, honest, level, cm.splitPoint(start, length, k, j));
        }
    }

    // ------------------------------------------------------------ playing

    /// Opens a game; returns it and its initial segment.
    function _open(
        address challenger,
        address defender,
        bool challengerHonest,
        uint256 numBlocks,
        uint256 badBlock,
        uint256 badStep,
        bytes32 salt
    ) internal returns (Game memory g, Segment memory seg) {
        g = Game(
            0,
            challenger,
            defender,
            challengerHonest ? challenger : defender,
            numBlocks,
            badBlock,
            badStep,
            salt
        );
        seg.level = 1;
        seg.length = numBlocks;
        seg.hashes = new bytes32[](2);
        seg.hashes[0] = _gs(g, true, 0);
        seg.hashes[1] = _gs(g, !challengerHonest, numBlocks);
        vm.prank(address(recorder));
        g.id = cm.createChallenge(
            challenger, defender, seg.hashes[0], seg.hashes[1], numBlocks, MODULE_ROOT
        );
    }

    /// What the party to move does next: dispute the first sub-interval whose end it
    /// disagrees with, then bisect, enter level 2, or prove.
    function _plan(Game memory g, Segment memory cur) internal view returns (Move memory m) {
        m.mover = cm.mover(g.id);
        bool honest = m.mover == g.honest;
        uint256 k = cur.hashes.length - 1;
        uint256 i = 0;
        while (
            _claim(g, honest, cur.level, cm.splitPoint(cur.start, cur.length, k, i + 1))
                == cur.hashes[i + 1]
        ) {
            i++;
        }
        m.index = i;
        uint256 from = cm.splitPoint(cur.start, cur.length, k, i);
        uint256 len = cm.splitPoint(cur.start, cur.length, k, i + 1) - from;
        if (len >= 2) {
            m.kind = Kind.Bisect;
            m.next = _claims(g, honest, cur.level, from, len);
        } else if (cur.level == 1) {
            assertEq(from, g.badBlock, "level 1 narrows to the bad block");
            m.kind = Kind.EnterLevelTwo;
            m.next = _claims(g, honest, 2, 0, MAX_STEPS);
        } else {
            assertEq(from, g.badStep, "level 2 narrows to the bad step");
            m.kind = Kind.Prove;
        }
    }

    /// Makes move `m` on `cur`; returns the new current segment (unchanged after a proof).
    function _apply(Game memory g, Segment memory cur, Move memory m)
        internal
        returns (Segment memory next)
    {
        bytes memory data;
        if (m.kind == Kind.Bisect) {
            data = abi.encodeCall(cm.bisect, (g.id, cur, m.index, m.next));
            uint256 k = cur.hashes.length - 1;
            uint256 from = cm.splitPoint(cur.start, cur.length, k, m.index);
            next = Segment(
                cur.level, from, cm.splitPoint(cur.start, cur.length, k, m.index + 1) - from, m.next
            );
        } else if (m.kind == Kind.EnterLevelTwo) {
            data = abi.encodeCall(cm.enterLevelTwo, (g.id, cur, m.index, m.next));
            next = Segment(2, 0, MAX_STEPS, m.next);
        } else {
            data = abi.encodeCall(cm.proveOneStep, (g.id, cur, m.index, vecProof));
            next = cur;
        }
        if (measuring) vm.cool(address(cm));
        vm.prank(m.mover);
        (bool ok, bytes memory ret) = address(cm).call(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(ret, 32), mload(ret))
            }
        }
        if (measuring) _record(m, data);
    }

    function _record(Move memory m, bytes memory data) internal {
        uint256 used = vm.lastCallGas().gasTotalUsed;
        uint256 cd = _calldataGas(data);
        uint256 txGas = isolated ? used : used + cd + 21_000;
        txGasBy[m.mover] += txGas;
        calldataGasBy[m.mover] += cd;
        movesBy[m.mover] += 1;
        uint256 k = uint256(m.kind);
        if (txGas > maxTxGasOfKind[k]) maxTxGasOfKind[k] = txGas;
    }

    /// Whether this runs under `forge test --isolate`: a call to an account without code then
    /// costs a transaction's 21,000 instead of nothing.
    function _detectIsolation() internal {
        (bool ok,) = makeAddr("isolation probe").call("");
        assertTrue(ok);
        isolated = vm.lastCallGas().gasTotalUsed >= 21_000;
    }

    /// Calldata gas of a transaction carrying `data` (16 per non-zero byte, 4 per zero byte).
    function _calldataGas(bytes memory data) internal pure returns (uint256 gas) {
        for (uint256 i = 0; i < data.length; i++) {
            gas += data[i] == 0 ? 4 : 16;
        }
    }

    /// Plays moves, `dt` seconds apart, until the party to move faces the single disputed
    /// step; returns the segment then (the caller proves or tampers).
    function _playToStep(Game memory g, Segment memory seg, uint256 dt)
        internal
        returns (Segment memory cur, Move memory last)
    {
        cur = seg;
        while (true) {
            last = _plan(g, cur);
            if (last.kind == Kind.Prove) return (cur, last);
            vm.warp(block.timestamp + dt);
            cur = _apply(g, cur, last);
        }
    }

    /// Plays game `g` to the end: the honest party must get to prove the step and win.
    function _playOut(Game memory g, Segment memory seg, uint256 dt) internal {
        (Segment memory cur, Move memory last) = _playToStep(g, seg, dt);
        assertEq(last.mover, g.honest, "the honest party proves the step");
        vm.warp(block.timestamp + dt);
        _apply(g, cur, last);
    }

    function _other(Game memory g, address party) internal pure returns (address) {
        return party == g.challenger ? g.defender : g.challenger;
    }

    /// Hashes as a fresh array (for building segments by hand).
    function _hashes(bytes32 a, bytes32 b) internal pure returns (bytes32[] memory h) {
        h = new bytes32[](2);
        (h[0], h[1]) = (a, b);
    }

    /// How many `SegmentPosted` logs the manager emitted among `logs` (what followers see).
    function _countSegmentPosted(Vm.Log[] memory logs) internal view returns (uint256 n) {
        for (uint256 i = 0; i < logs.length; i++) {
            if (
                logs[i].emitter == address(cm)
                    && logs[i].topics[0] == ChallengeManager.SegmentPosted.selector
            ) n++;
        }
    }
}
