// SPDX-License-Identifier: MIT
pragma solidity ^0.8.37;

import {OspTestBase} from "./utils/OspTestBase.sol";
import {Hashing} from "../src/osp/Hashing.sol";
import {MerkleLib} from "../src/osp/MerkleLib.sol";
import {Machine} from "../src/osp/Types.sol";
import {TAG_MEMORY, TAG_CODE} from "../src/osp/Constants.sol";
import {CALL, RETURN, GLOBAL_SET, CONST, FINISH, I32_ADD} from "../src/osp/Opcodes.sol";

// Opcodes are uint16 values in uint256 constants (Opcodes.sol): casting one is safe.
// forge-lint: disable-next-item(unsafe-typecast)
/// Proves every step of the worked example of docs/spec/machine-hash.md and checks the hashes
/// the document prints, so the OSP agrees with numbers computed outside it (by the Rust
/// machine) and not only with its own hashing.
contract OneStepProverWorkedExampleTest is OspTestBase {
    bytes32 constant CODE_ROOT = 0x01eeb9819d7e45c95a835bf57e2ac74e3b35d0b42bf8fad6bd247170f7d9eeb4;
    bytes32 constant MEMORY_ROOT =
        0xe4aa550bf3e83a4526257e7ed5987e83f0157ef751dfc1dea864201c1021f4d1;
    bytes32 constant INITIAL = 0xf88bff6e93832532e42bfce4f93c093ce8bb1d7912026420ebd288818c58ed20;
    bytes32 constant FRAMES = 0x446b088953af3f9f9b6311a4a758a10eb9640d923588cad5217a35260fddb5ad;
    bytes32 constant AFTER_ADD = 0x64cb7bfbcee013582f917927c5b67f62145395b3214ea0b982e25d1f894a0d81;
    bytes32 constant AFTER_SET = 0xc4290d1f2a2594e1e58ef4cc0ebba96dd3ad041a5d828d5fbd5704109f5eb764;
    bytes32 constant FINISHED = 0x5a82e9f6b10c7a8d714281876eb2b6e2b2339c7d05dd1be002ffae8fe6fd34a5;

    function code() internal pure returns (bytes32[] memory c) {
        c = new bytes32[](7);
        c[0] = ins(uint16(CALL), 0, 2, 0); // call fuse_entry
        c[1] = ins(uint16(FINISH)); // finish
        c[2] = ins(uint16(CONST), 0, 0, 7);
        c[3] = ins(uint16(CONST), 0, 0, 35);
        c[4] = ins(uint16(I32_ADD)); // i32.add
        c[5] = ins(uint16(GLOBAL_SET), 0, 0, 0); // global.set 0
        c[6] = ins(uint16(RETURN), 0, 0, 0); // return
    }

    function at(uint32 pc, uint64[] memory values, bytes32 rest)
        internal
        pure
        returns (Machine memory m)
    {
        m.gs = Hashing.GlobalState(0, 0, 1, 1);
        m.pc = pc;
        m.stack.rest = rest;
        m.stack.values = values;
        m.stack.len = values.length;
        m.frames = FRAMES;
        m.codeRoot = CODE_ROOT;
        m.codeDepth = 3;
        m.globalsRoot = bytes32(uint256(5) << 192);
        m.memoryRoot = MEMORY_ROOT;
        m.memoryPages = 1;
    }

    function step(Machine memory m, bytes memory witness) internal view returns (bytes32) {
        return osp.proveOneStep(ctx, hashOf(m), proof(m, code(), witness));
    }

    function test_workedExample() public view {
        bytes32[] memory c = code();
        assertEq(root(TAG_CODE, c, 3), CODE_ROOT, "code root");
        assertEq(MerkleLib.zeroHash(TAG_MEMORY, 11), MEMORY_ROOT, "memory root");
        uint64[] memory none = new uint64[](0);

        // 1: call from the synthetic entry (no saved frame: no witness).
        Machine memory m = at(0, none, 0);
        m.frames = 0;
        assertEq(hashOf(m), INITIAL, "initial machine hash");
        bytes32 h = step(m, "");
        // 2, 3: the consts (nothing revealed; the second sees [7] as the hash of the rest).
        m = at(2, none, 0);
        assertEq(hashOf(m), h, "after call");
        h = step(m, "");
        m = at(3, none, Hashing.valueStackPush(0, 7));
        assertEq(hashOf(m), h, "after const 7");
        h = step(m, "");
        // 4: i32.add, both operands revealed.
        m = at(4, vals(7, 35), 0);
        assertEq(hashOf(m), h, "after const 35");
        assertEq(step(m, ""), AFTER_ADD, "after i32.add");
        // 5: global.set 0 with the depth-0 globals leaf as witness.
        m = at(5, vals(42), 0);
        assertEq(step(m, abi.encodePacked(m.globalsRoot)), AFTER_SET, "after global.set");
        // 6: return, with the saved frame as witness.
        m = at(6, none, 0);
        m.globalsRoot = bytes32(uint256(42) << 192);
        h = step(m, abi.encodePacked(bytes32(0), uint32(1), uint32(1), bytes32(0), bytes32(0)));
        // 7: finish in the entry frame.
        m = at(1, none, 0);
        m.globalsRoot = bytes32(uint256(42) << 192);
        m.frames = 0;
        assertEq(hashOf(m), h, "after return");
        assertEq(step(m, ""), FINISHED, "finished");
    }
}
