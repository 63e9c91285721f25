// SPDX-License-Identifier: MIT
pragma solidity ^0.8.37;

import {Test} from "forge-std/Test.sol";
import {InboxAccumulator} from "../src/osp/InboxAccumulator.sol";

/// Replays test-vectors/inbox/accumulator.json (written and checked by the Rust side,
/// vm/tests/inbox_vectors.rs): the header, the data root by every implementation (memory
/// reference, memory and calldata variants the Inbox uses) and the accumulator chain.
contract InboxVectorsTest is Test {
    function _key(uint256 i, string memory field) internal pure returns (string memory) {
        return string.concat(".messages[", vm.toString(i), "].", field);
    }

    /// External so the data arrives as calldata, as it does in `appendBatch`.
    function rootOfCalldata(bytes calldata data) external pure returns (bytes32) {
        return InboxAccumulator.dataRootCalldata(data);
    }

    function test_vectorsMatchEveryImplementation() public view {
        string memory json = vm.readFile("../test-vectors/inbox/accumulator.json");
        bytes32 acc;
        uint256 n;
        while (vm.keyExistsJson(json, _key(n, "accumulator"))) {
            bytes memory message = vm.parseJsonBytes(json, _key(n, "message"));
            bytes memory data = vm.parseJsonBytes(json, _key(n, "data"));
            bytes32 root = vm.parseJsonBytes32(json, _key(n, "data_root"));
            assertEq(message.length, vm.parseJsonUint(json, _key(n, "length")));
            assertEq(
                InboxAccumulator.messageHeader(message),
                vm.parseJsonBytes32(json, _key(n, "header")),
                "header"
            );
            assertEq(InboxAccumulator.dataRoot(data), root, "dataRoot");
            assertEq(InboxAccumulator.dataRootMemory(data), root, "dataRootMemory");
            assertEq(this.rootOfCalldata(data), root, "dataRootCalldata");
            acc = InboxAccumulator.accumulate(
                acc, uint64(message.length), InboxAccumulator.messageHeader(message), root
            );
            assertEq(acc, vm.parseJsonBytes32(json, _key(n, "accumulator")), "accumulator");
            n++;
        }
        assertEq(n, 12, "every vector was read");
    }
}
