// SPDX-License-Identifier: MIT
pragma solidity ^0.8.37;

import {Test} from "forge-std/Test.sol";
import {Hashing} from "../../src/osp/Hashing.sol";
import {MachineLib} from "../../src/osp/MachineLib.sol";
import {Machine, ExecutionContext} from "../../src/osp/Types.sol";
import {TAG_CODE, STATUS_FINISHED} from "../../src/osp/Constants.sol";
import {IOneStepInbox} from "../../src/osp/IOneStepInbox.sol";
import {OneStepProver} from "../../src/osp/OneStepProver.sol";
import {ProverControl} from "../../src/osp/ProverControl.sol";
import {ProverMath} from "../../src/osp/ProverMath.sol";
import {ProverMemory} from "../../src/osp/ProverMemory.sol";
import {ProverHost} from "../../src/osp/ProverHost.sol";
import {InboxDouble} from "../../src/testing/InboxDouble.sol";

/// Deploys the one-step prover and assembles proofs by hand from the layout of
/// docs/spec/proof-format.md: headers, code-tree paths and leaf proofs of small trees.
abstract contract OspTestBase is Test {
    OneStepProver internal osp;
    InboxDouble internal inbox;
    ExecutionContext internal ctx;

    function setUp() public virtual {
        osp = new OneStepProver(
            new ProverControl(), new ProverMath(), new ProverMemory(), new ProverHost()
        );
        inbox = new InboxDouble();
        ctx = ExecutionContext(IOneStepInbox(address(inbox)));
    }

    /// A code leaf: `op ‖ depth ‖ 00 ‖ a ‖ b ‖ 16 zero bytes`.
    function ins(uint16 op, uint8 depth, uint32 a, uint64 b) internal pure returns (bytes32) {
        return bytes32(abi.encodePacked(op, depth, uint8(0), a, b, uint128(0)));
    }

    function ins(uint16 op) internal pure returns (bytes32) {
        return ins(op, 0, 0, 0);
    }

    /// Root of a depth-`depth` tree whose first leaves are `leaves` (the rest zero).
    function root(uint8 tag, bytes32[] memory leaves, uint256 depth)
        internal
        pure
        returns (bytes32 r)
    {
        (r,) = _walk(tag, leaves, depth, 0);
    }

    /// The siblings (bottom-up, packed) of leaf `index`.
    function siblings(uint8 tag, bytes32[] memory leaves, uint256 depth, uint256 index)
        internal
        pure
        returns (bytes memory s)
    {
        (, s) = _walk(tag, leaves, depth, index);
    }

    /// `leaf ‖ siblings` of leaf `index`.
    function leafProof(uint8 tag, bytes32[] memory leaves, uint256 depth, uint256 index)
        internal
        pure
        returns (bytes memory)
    {
        bytes32 leaf = index < leaves.length ? leaves[index] : bytes32(0);
        return abi.encodePacked(leaf, siblings(tag, leaves, depth, index));
    }

    function _walk(uint8 tag, bytes32[] memory leaves, uint256 depth, uint256 index)
        private
        pure
        returns (bytes32, bytes memory s)
    {
        bytes32[] memory layer = new bytes32[](leaves.length + 1);
        for (uint256 i = 0; i < leaves.length; i++) {
            layer[i] = leaves[i];
        }
        uint256 n = leaves.length;
        bytes32 zero;
        for (uint256 k = 0; k < depth; k++) {
            uint256 sib = (index >> k) ^ 1;
            s = abi.encodePacked(s, sib < n ? layer[sib] : zero);
            uint256 m = (n + 1) / 2;
            for (uint256 i = 0; i < m; i++) {
                bytes32 right = 2 * i + 1 < n ? layer[2 * i + 1] : zero;
                layer[i] = keccak256(abi.encodePacked(tag, layer[2 * i], right));
            }
            n = m;
            zero = keccak256(abi.encodePacked(tag, zero, zero));
        }
        return (n == 0 ? zero : layer[0], s);
    }

    function one(bytes32 x) internal pure returns (bytes32[] memory a) {
        a = new bytes32[](1);
        a[0] = x;
    }

    function vals(uint64 x) internal pure returns (uint64[] memory a) {
        a = new uint64[](1);
        a[0] = x;
    }

    function vals(uint64 x, uint64 y) internal pure returns (uint64[] memory a) {
        a = new uint64[](2);
        a[0] = x;
        a[1] = y;
    }

    function vals(uint64 x, uint64 y, uint64 z) internal pure returns (uint64[] memory a) {
        a = new uint64[](3);
        a[0] = x;
        a[1] = y;
        a[2] = z;
    }

    function vals(uint64 x, uint64 y, uint64 z, uint64 t)
        internal
        pure
        returns (uint64[] memory a)
    {
        a = new uint64[](4);
        (a[0], a[1], a[2], a[3]) = (x, y, z, t);
    }

    /// A running machine at `pc` of `code` (depth `codeDepth`) with `values` revealed on an
    /// empty rest, no locals or frames, no memory and a fixed global state.
    function machine(bytes32[] memory code, uint8 codeDepth, uint32 pc, uint64[] memory values)
        internal
        pure
        returns (Machine memory m)
    {
        m.gs = Hashing.GlobalState(bytes32(uint256(0xaa)), bytes32(uint256(0xbb)), 3, 7);
        m.pc = pc;
        m.stack.values = values;
        m.stack.len = values.length;
        m.codeRoot = root(TAG_CODE, code, codeDepth);
        m.codeDepth = codeDepth;
    }

    /// The header bytes of `m` (docs/spec/proof-format.md, "Header").
    function header(Machine memory m) internal pure returns (bytes memory h) {
        h = abi.encodePacked(
            m.status, m.gs.stateRoot, m.gs.outboxRoot, m.gs.inboxPosition, m.gs.blockNumber
        );
        if (m.status == STATUS_FINISHED) return h;
        h = abi.encodePacked(h, m.pc, uint16(m.stack.len), m.stack.rest);
        for (uint256 i = 0; i < m.stack.len; i++) {
            h = abi.encodePacked(h, m.stack.values[i]);
        }
        h = abi.encodePacked(h, m.locals, m.frames, m.codeRoot, m.tableRoot, m.codeDepth);
        h = abi.encodePacked(h, m.globalsRoot, m.memoryRoot, m.memoryPages);
    }

    /// header ‖ code leaf at pc ‖ its siblings ‖ witness.
    function proof(Machine memory m, bytes32[] memory code, bytes memory witness)
        internal
        pure
        returns (bytes memory)
    {
        return abi.encodePacked(header(m), leafProof(TAG_CODE, code, m.codeDepth, m.pc), witness);
    }

    function hashOf(Machine memory m) internal pure returns (bytes32) {
        return MachineLib.hashMachine(m);
    }

    /// Runs one step and checks it gives the hash of `expected`.
    function assertStep(Machine memory pre, bytes memory p, Machine memory expected) internal view {
        assertEq(osp.proveOneStep(ctx, hashOf(pre), p), hashOf(expected), "post-state hash");
    }

    function copy(Machine memory m) internal pure returns (Machine memory c) {
        c = abi.decode(abi.encode(m), (Machine));
    }
}
