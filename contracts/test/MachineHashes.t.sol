// SPDX-License-Identifier: MIT
pragma solidity ^0.8.37;

import {Test} from "forge-std/Test.sol";
import {MachineHashes} from "../src/osp/MachineHashes.sol";
import {Hashing} from "../src/osp/Hashing.sol";
import {TAG_STUCK} from "../src/osp/Constants.sol";

/// Checks the Solidity constructors against the vectors that `fuse_vm::hash` generates
/// (test-vectors/machine-hash/constructors.json), so both languages agree byte for byte.
contract MachineHashesTest is Test {
    MachineHashes internal hashes;
    string internal json;

    function setUp() public {
        hashes = new MachineHashes();
        json = vm.readFile("../test-vectors/machine-hash/constructors.json");
    }

    function _key(string memory list, uint256 i, string memory field)
        internal
        pure
        returns (string memory)
    {
        return string.concat(".", list, "[", vm.toString(i), "].", field);
    }

    function test_globalStateVectors() public view {
        uint256 n;
        while (vm.keyExistsJson(json, _key("globalState", n, "hash"))) {
            Hashing.GlobalState memory gs = Hashing.GlobalState({
                stateRoot: vm.parseJsonBytes32(json, _key("globalState", n, "stateRoot")),
                outboxRoot: vm.parseJsonBytes32(json, _key("globalState", n, "outboxRoot")),
                inboxPosition: uint64(
                    vm.parseJsonUint(json, _key("globalState", n, "inboxPosition"))
                ),
                blockNumber: uint64(vm.parseJsonUint(json, _key("globalState", n, "blockNumber")))
            });
            assertEq(
                hashes.globalStateHash(gs),
                vm.parseJsonBytes32(json, _key("globalState", n, "hash"))
            );
            n++;
        }
        assertGt(n, 0, "no global-state vectors");
    }

    function test_initialMachineHashVectors() public view {
        uint256 n;
        while (vm.keyExistsJson(json, _key("initial", n, "hash"))) {
            bytes32 moduleRoot = vm.parseJsonBytes32(json, _key("initial", n, "moduleRoot"));
            bytes32 gsHash = vm.parseJsonBytes32(json, _key("initial", n, "gsHash"));
            assertEq(
                hashes.initialMachineHash(moduleRoot, gsHash),
                vm.parseJsonBytes32(json, _key("initial", n, "hash"))
            );
            n++;
        }
        assertGt(n, 0, "no initial-machine vectors");
    }

    function test_finishedMachineHashVectors() public view {
        uint256 n;
        while (vm.keyExistsJson(json, _key("finished", n, "hash"))) {
            bytes32 gsHash = vm.parseJsonBytes32(json, _key("finished", n, "gsHash"));
            assertEq(
                hashes.finishedMachineHash(gsHash),
                vm.parseJsonBytes32(json, _key("finished", n, "hash"))
            );
            n++;
        }
        assertGt(n, 0, "no finished-machine vectors");
    }

    /// The level-1 value of a block that cannot finish, the same in both languages.
    function test_stuckVector() public view {
        assertEq(Hashing.STUCK, vm.parseJsonBytes32(json, ".stuck"));
        assertEq(Hashing.STUCK, keccak256(abi.encodePacked(TAG_STUCK)));
    }

    function testFuzz_finishedDiffersFromInitial(bytes32 moduleRoot, bytes32 gsHash) public view {
        assertTrue(
            hashes.finishedMachineHash(gsHash) != hashes.initialMachineHash(moduleRoot, gsHash)
        );
    }
}
