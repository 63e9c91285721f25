// SPDX-License-Identifier: MIT
pragma solidity ^0.8.37;

import {Test} from "forge-std/Test.sol";
import {OneStepProver} from "../src/osp/OneStepProver.sol";
import {ProverControl} from "../src/osp/ProverControl.sol";
import {ProverMath} from "../src/osp/ProverMath.sol";
import {ProverMemory} from "../src/osp/ProverMemory.sol";
import {ProverHost} from "../src/osp/ProverHost.sol";
import {ExecutionContext} from "../src/osp/Types.sol";
import {IOneStepInbox} from "../src/osp/IOneStepInbox.sol";
import {InboxDouble} from "../src/testing/InboxDouble.sol";

/// Replays the one-step proof vectors that the Rust prover generates (test-vectors/osp/,
/// `fuse-l2 vectors osp`): every vector must give its post-state hash and every rejection
/// must revert with exactly its custom error. cargo checks the same files against the Rust
/// verifier and against this bytecode in revm.
contract OspVectorsTest is Test {
    OneStepProver internal osp;

    function setUp() public {
        osp = new OneStepProver(
            new ProverControl(), new ProverMath(), new ProverMemory(), new ProverHost()
        );
    }

    function _key(string memory list, uint256 i, string memory field)
        internal
        pure
        returns (string memory)
    {
        return string.concat(".", list, "[", vm.toString(i), "].", field);
    }

    /// An inbox double holding the vector's accumulators.
    function _context(string memory json, string memory list, uint256 i)
        internal
        returns (ExecutionContext memory)
    {
        InboxDouble inbox = new InboxDouble();
        bytes32[] memory accs =
            vm.parseJsonBytes32Array(json, _key(list, i, "context.inbox_accumulators"));
        for (uint256 k = 0; k < accs.length; k++) {
            inbox.push(accs[k]);
        }
        return ExecutionContext(IOneStepInbox(address(inbox)));
    }

    /// Checks every vector of one class file; returns how many.
    function _checkFile(string memory name) internal returns (uint256 n) {
        string memory json = vm.readFile(string.concat("../test-vectors/osp/", name));
        while (vm.keyExistsJson(json, _key("vectors", n, "pre_hash"))) {
            ExecutionContext memory ctx = _context(json, "vectors", n);
            bytes32 post = osp.proveOneStep(
                ctx,
                vm.parseJsonBytes32(json, _key("vectors", n, "pre_hash")),
                vm.parseJsonBytes(json, _key("vectors", n, "proof"))
            );
            assertEq(
                post,
                vm.parseJsonBytes32(json, _key("vectors", n, "post_hash")),
                vm.parseJsonString(json, _key("vectors", n, "name"))
            );
            n++;
        }
    }

    function test_controlVectors() public {
        assertGt(_checkFile("control.json"), 25);
    }

    function test_mathVectors() public {
        assertGt(_checkFile("math.json"), 100);
    }

    function test_memoryVectors() public {
        assertGt(_checkFile("memory.json"), 50);
    }

    function test_hostVectors() public {
        assertGt(_checkFile("host.json"), 30);
    }

    function test_rejections() public {
        string memory json = vm.readFile("../test-vectors/osp/rejections.json");
        uint256 n;
        while (vm.keyExistsJson(json, _key("rejections", n, "pre_hash"))) {
            ExecutionContext memory ctx = _context(json, "rejections", n);
            bytes32 pre = vm.parseJsonBytes32(json, _key("rejections", n, "pre_hash"));
            bytes memory proof = vm.parseJsonBytes(json, _key("rejections", n, "proof"));
            bytes memory expected = vm.parseJsonBytes(json, _key("rejections", n, "revert_data"));
            try osp.proveOneStep(ctx, pre, proof) returns (bytes32) {
                assertTrue(false, vm.parseJsonString(json, _key("rejections", n, "name")));
            } catch (bytes memory err) {
                assertEq(err, expected, vm.parseJsonString(json, _key("rejections", n, "name")));
            }
            n++;
        }
        assertGt(n, 10);
    }
}
