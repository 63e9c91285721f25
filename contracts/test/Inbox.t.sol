// SPDX-License-Identifier: MIT
pragma solidity ^0.8.37;

import {Test, Vm} from "forge-std/Test.sol";
import {Inbox} from "../src/rollup/Inbox.sol";
import {InboxAccumulator} from "../src/osp/InboxAccumulator.sol";

/// The L1 Inbox against docs/spec/inbox.md: the header it stamps, the data of each kind, the
/// accumulator chain, and the checks that keep anyone but the sequencer, the owner and the
/// outbox from doing their parts.
contract InboxTest is Test {
    uint64 constant CHAIN_ID = 0xF05E;
    uint64 constant FORCE_DELAY = 86_400;
    uint256 constant MIN_DEPOSIT = 0.01 ether;
    uint64 constant BLOCK0 = 19_000_000;
    uint64 constant TIME0 = 1_700_000_000;

    address owner = makeAddr("owner");
    address sequencer = makeAddr("sequencer");
    address alice = makeAddr("alice");
    address bob = makeAddr("bob");
    Inbox inbox;

    function setUp() public {
        vm.roll(BLOCK0);
        vm.warp(TIME0);
        inbox = new Inbox(owner, sequencer, CHAIN_ID, FORCE_DELAY, MIN_DEPOSIT);
        vm.deal(alice, 100 ether);
    }

    // ------------------------------------------------------------ helpers

    /// `v` as `n` big-endian bytes, written byte by byte (independent of abi.encodePacked).
    function _be(uint256 v, uint256 n) internal pure returns (bytes memory b) {
        b = new bytes(n);
        for (uint256 i = 0; i < n; i++) {
            b[n - 1 - i] = bytes32(v)[31 - i];
        }
    }

    function _header(uint8 kind, uint64 bn, uint64 ts) internal pure returns (bytes32 h) {
        h = _word(abi.encodePacked(kind, bytes7(0), bn, ts, bytes8(0)));
    }

    /// `b`, which must be exactly 32 bytes, as a word.
    function _word(bytes memory b) internal pure returns (bytes32) {
        assertEq(b.length, 32);
        return abi.decode(b, (bytes32));
    }

    /// The chain after appending `data` of `kind` on `prev` at the current block.
    function _next(bytes32 prev, uint8 kind, bytes memory data) internal view returns (bytes32) {
        return InboxAccumulator.accumulate(
            prev,
            uint64(32 + data.length),
            _header(kind, uint64(block.number), uint64(block.timestamp)),
            InboxAccumulator.dataRoot(data)
        );
    }

    function _batch(uint64 seq, uint256 extra) internal pure returns (bytes memory b) {
        b = abi.encodePacked(seq, keccak256("txRoot"), keccak256("stateRoot"), new bytes(extra));
    }

    function _moveTo(uint64 bn, uint64 ts) internal {
        vm.roll(bn);
        vm.warp(ts);
    }

    // ------------------------------------------------------------ message 0

    function test_ConstructorAppendsConfig() public {
        vm.recordLogs();
        Inbox fresh = new Inbox(owner, sequencer, CHAIN_ID, FORCE_DELAY, MIN_DEPOSIT);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(fresh.messageCount(), 1);

        // The Config data, built byte by byte: chainId (8) ‖ inbox (20) ‖ forceDelay (8).
        bytes memory data =
            bytes.concat(_be(CHAIN_ID, 8), _be(uint160(address(fresh)), 20), _be(FORCE_DELAY, 8));
        assertEq(data.length, 36);

        // The header, byte by byte: kind 0, seven zeros, block number, timestamp, eight zeros.
        bytes32 header =
            _word(bytes.concat(hex"00", new bytes(7), _be(BLOCK0, 8), _be(TIME0, 8), new bytes(8)));
        assertEq(header, _header(0, BLOCK0, TIME0));

        // 36 data bytes are two chunks, a depth-1 tree: data[0..32] is chainId ‖ inbox ‖ the
        // high half of forceDelay; data[32..36], its low half, is zero-padded to a chunk.
        bytes32 c0 = _word(
            bytes.concat(
                _be(CHAIN_ID, 8), _be(uint160(address(fresh)), 20), _be(FORCE_DELAY >> 32, 4)
            )
        );
        bytes32 c1 = _word(bytes.concat(_be(FORCE_DELAY & 0xffffffff, 4), new bytes(28)));
        bytes32 dataRoot = keccak256(abi.encodePacked(uint8(0x15), c0, c1));
        assertEq(dataRoot, InboxAccumulator.dataRoot(data));
        bytes32 acc0 =
            keccak256(abi.encodePacked(uint8(0x20), bytes32(0), uint64(68), header, dataRoot));
        assertEq(fresh.accumulator(0), acc0);

        // The event carries the same header, accumulator and data.
        Vm.Log memory m = logs[logs.length - 1];
        assertEq(m.emitter, address(fresh));
        assertEq(m.topics[0], Inbox.MessageAppended.selector);
        assertEq(m.topics[1], bytes32(0)); // index
        assertEq(m.topics[2], bytes32(0)); // kind Config
        (bytes32 h, bytes32 a, bytes memory d) = abi.decode(m.data, (bytes32, bytes32, bytes));
        assertEq(h, header);
        assertEq(a, acc0);
        assertEq(d, data);
        for (uint256 i = 0; i < 32; i++) {
            if (i >= 8 && i < 24) continue;
            assertEq(uint8(h[i]), 0, "header padding and kind");
        }
        assertEq((uint256(h) >> 128) & type(uint64).max, BLOCK0);
        assertEq((uint256(h) >> 64) & type(uint64).max, TIME0);
    }

    function test_ConfigurationAndViews() public {
        assertEq(inbox.owner(), owner);
        assertEq(inbox.sequencer(), sequencer);
        assertEq(inbox.outbox(), address(0));
        assertEq(inbox.chainId(), CHAIN_ID);
        assertEq(inbox.forceDelay(), FORCE_DELAY);
        assertEq(inbox.minDeposit(), MIN_DEPOSIT);
        assertEq(inbox.nextBatchSeq(), 1);
        assertEq(inbox.MAX_MESSAGE_BYTES(), 131_072);
        assertEq(inbox.messageCount(), 1);
        vm.expectRevert(abi.encodeWithSelector(Inbox.NoSuchMessage.selector, 1));
        inbox.accumulator(1);
    }

    // ------------------------------------------------------------ each kind

    function test_DepositAppendsMessage() public {
        _moveTo(BLOCK0 + 5, TIME0 + 60);
        bytes memory data =
            bytes.concat(_be(uint160(alice), 20), _be(uint160(bob), 20), _be(1 ether, 16));
        assertEq(data.length, 56);
        bytes32 acc = _next(inbox.accumulator(0), 1, data);
        vm.expectEmit(address(inbox));
        emit Inbox.MessageAppended(1, 1, _header(1, BLOCK0 + 5, TIME0 + 60), acc, data);
        vm.expectEmit(address(inbox));
        emit Inbox.Deposit(1, alice, bob, 1 ether);
        vm.prank(alice);
        assertEq(inbox.deposit{value: 1 ether}(bob), 1);
        assertEq(inbox.messageCount(), 2);
        assertEq(inbox.accumulator(1), acc);
        assertEq(address(inbox).balance, 1 ether, "the ETH stays in escrow");
    }

    function test_AppendBatchAppendsMessage() public {
        _moveTo(BLOCK0 + 7, TIME0 + 84);
        bytes memory data = _batch(1, 100);
        bytes32 acc = _next(inbox.accumulator(0), 2, data);
        vm.expectEmit(address(inbox));
        emit Inbox.MessageAppended(1, 2, _header(2, BLOCK0 + 7, TIME0 + 84), acc, data);
        vm.expectEmit(address(inbox));
        emit Inbox.BatchAppended(1, 1);
        vm.prank(sequencer);
        assertEq(inbox.appendBatch(data, 1), 1);
        assertEq(inbox.accumulator(1), acc);
        assertEq(inbox.nextBatchSeq(), 2);

        vm.prank(sequencer);
        assertEq(inbox.appendBatch(_batch(2, 0), 2), 2);
        assertEq(inbox.nextBatchSeq(), 3);
    }

    function test_ForceTransactionAppendsMessage() public {
        _moveTo(BLOCK0 + 9, TIME0 + 108);
        bytes memory tx_ = hex"02f86b0182f05e80843b9aca00825208";
        bytes32 acc = _next(inbox.accumulator(0), 3, tx_);
        vm.expectEmit(address(inbox));
        emit Inbox.MessageAppended(1, 3, _header(3, BLOCK0 + 9, TIME0 + 108), acc, tx_);
        vm.expectEmit(address(inbox));
        emit Inbox.ForcedTx(1, bob);
        vm.prank(bob);
        assertEq(inbox.forceTransaction(tx_), 1);
        assertEq(inbox.accumulator(1), acc);
    }

    function test_TickAppendsEmptyMessage() public {
        _moveTo(BLOCK0 + 11, TIME0 + 132);
        bytes32 header = _header(4, BLOCK0 + 11, TIME0 + 132);
        // Empty data: length 32, data root zero.
        bytes32 acc = keccak256(
            abi.encodePacked(uint8(0x20), inbox.accumulator(0), uint64(32), header, bytes32(0))
        );
        vm.expectEmit(address(inbox));
        emit Inbox.MessageAppended(1, 4, header, acc, "");
        vm.prank(bob);
        assertEq(inbox.tick(), 1);
        assertEq(inbox.accumulator(1), acc);
    }

    /// A node rebuilds every message from the events alone and gets the stored chain.
    function test_ChainRebuildsFromEvents() public {
        vm.recordLogs();
        vm.prank(alice);
        inbox.deposit{value: 1 ether}(bob);
        _moveTo(BLOCK0 + 1, TIME0 + 12);
        vm.prank(sequencer);
        inbox.appendBatch(_batch(1, 1000), 1);
        inbox.tick();
        _moveTo(BLOCK0 + 2, TIME0 + 24);
        inbox.forceTransaction(new bytes(33));
        Vm.Log[] memory logs = vm.getRecordedLogs();

        assertEq(inbox.messageCount(), 5);
        bytes32 acc = inbox.accumulator(0);
        uint256 seen = 1;
        for (uint256 i = 0; i < logs.length; i++) {
            if (logs[i].topics[0] != Inbox.MessageAppended.selector) continue;
            assertEq(uint256(logs[i].topics[1]), seen);
            (bytes32 h,, bytes memory d) = abi.decode(logs[i].data, (bytes32, bytes32, bytes));
            assertEq(uint8(h[0]), uint256(logs[i].topics[2]), "kind in header and topic");
            acc = InboxAccumulator.accumulate(
                acc, uint64(32 + d.length), h, InboxAccumulator.dataRoot(d)
            );
            assertEq(inbox.accumulator(seen), acc);
            seen++;
        }
        assertEq(seen, 5);
    }

    function testFuzz_ForcedTxAccumulates(bytes calldata data) public {
        vm.assume(data.length <= 4096);
        bytes32 acc = _next(inbox.accumulator(0), 3, data);
        inbox.forceTransaction(data);
        assertEq(inbox.accumulator(1), acc);
    }

    /// The data tree and the log are built from calldata: bytes after the data (the padding
    /// of a non-canonical encoding) are in neither.
    function test_DirtyCalldataPaddingIsNotData() public {
        bytes memory data = new bytes(70);
        for (uint256 i = 0; i < data.length; i++) {
            data[i] = bytes1(uint8(i + 1));
        }
        bytes memory callData = abi.encodeCall(Inbox.forceTransaction, (data));
        // selector, offset, length, then 96 bytes of which the last 26 are padding.
        assertEq(callData.length, 4 + 32 + 32 + 96);
        for (uint256 i = 4 + 64 + 70; i < callData.length; i++) {
            callData[i] = 0xff;
        }
        bytes32 acc = _next(inbox.accumulator(0), 3, data);
        vm.expectEmit(address(inbox));
        emit Inbox.MessageAppended(1, 3, _header(3, BLOCK0, TIME0), acc, data);
        (bool ok,) = address(inbox).call(callData);
        assertTrue(ok);
        assertEq(inbox.accumulator(1), acc);
    }

    // ------------------------------------------------------------ attacks and limits

    function test_RevertWhen_DepositBelowMinimum() public {
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(Inbox.DepositBelowMinimum.selector, MIN_DEPOSIT - 1, MIN_DEPOSIT)
        );
        inbox.deposit{value: MIN_DEPOSIT - 1}(bob);
        assertEq(inbox.messageCount(), 1);
        vm.prank(alice);
        inbox.deposit{value: MIN_DEPOSIT}(bob); // exactly the minimum is enough
        assertEq(inbox.messageCount(), 2);
    }

    function test_RevertWhen_DepositOverflowsU128() public {
        uint256 v = uint256(type(uint128).max) + 1;
        vm.deal(alice, v);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(Inbox.DepositTooLarge.selector, v));
        inbox.deposit{value: v}(bob);
    }

    function test_RevertWhen_NonSequencerAppendsBatch() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(Inbox.NotSequencer.selector, alice));
        inbox.appendBatch(_batch(1, 0), 1);
        vm.prank(owner);
        vm.expectRevert(abi.encodeWithSelector(Inbox.NotSequencer.selector, owner));
        inbox.appendBatch(_batch(1, 0), 1);
    }

    function test_RevertWhen_BatchSeqStale() public {
        vm.startPrank(sequencer);
        inbox.appendBatch(_batch(1, 0), 1);
        // The sequencer's retry of a batch that did land must not append it twice.
        vm.expectRevert(abi.encodeWithSelector(Inbox.WrongBatchSequence.selector, 1, 2));
        inbox.appendBatch(_batch(1, 0), 1);
        vm.stopPrank();
        assertEq(inbox.messageCount(), 2);
    }

    function test_RevertWhen_BatchSeqFuture() public {
        vm.prank(sequencer);
        vm.expectRevert(abi.encodeWithSelector(Inbox.WrongBatchSequence.selector, 2, 1));
        inbox.appendBatch(_batch(2, 0), 2);
    }

    function test_RevertWhen_BatchSeqMismatchesData() public {
        vm.startPrank(sequencer);
        vm.expectRevert(abi.encodeWithSelector(Inbox.BatchSeqMismatch.selector, 7, 1));
        inbox.appendBatch(_batch(7, 0), 1);
        vm.expectRevert(abi.encodeWithSelector(Inbox.BatchTooShort.selector, 7));
        inbox.appendBatch(hex"00000000000000", 1);
        vm.stopPrank();
        assertEq(inbox.nextBatchSeq(), 1);
    }

    function test_RevertWhen_MessageOverSizeCap() public {
        uint256 max = inbox.MAX_MESSAGE_BYTES();
        vm.expectRevert(abi.encodeWithSelector(Inbox.MessageTooLarge.selector, max + 1));
        inbox.forceTransaction(new bytes(max + 1));
        vm.prank(sequencer);
        vm.expectRevert(abi.encodeWithSelector(Inbox.MessageTooLarge.selector, max + 1));
        inbox.appendBatch(_batch(1, max + 1 - 72), 1);

        // Exactly the cap is accepted.
        bytes memory data = new bytes(max);
        bytes32 acc = _next(inbox.accumulator(0), 3, data);
        inbox.forceTransaction(data);
        assertEq(inbox.accumulator(1), acc);
        vm.prank(sequencer);
        inbox.appendBatch(_batch(1, max - 72), 1);
        assertEq(inbox.messageCount(), 3);
    }

    /// Full-size batch data with every byte non-zero (the costliest calldata), seq 1.
    function _fullBatch() internal view returns (bytes memory data) {
        data = _denseBatch(inbox.MAX_MESSAGE_BYTES());
    }

    /// `len` bytes (a multiple of 32) of batch data, every byte non-zero, seq 1.
    function _denseBatch(uint256 len) internal pure returns (bytes memory data) {
        data = new bytes(len);
        for (uint256 i = 0; i < data.length; i += 32) {
            uint256 w = uint256(keccak256(abi.encode(i))) | (type(uint256).max / 255);
            if (i == 0) w = (w & (type(uint256).max >> 64)) | (uint256(1) << 192);
            assembly ("memory-safe") {
                mstore(add(add(data, 32), i), w)
            }
        }
    }

    /// What a transaction carrying `callData` and executing `exec` gas pays, EIP-7623 floor
    /// included: max(21000 + 4·tokens + exec, 21000 + 10·tokens), tokens = zeros + 4·non-zeros.
    function _txGas(bytes memory callData, uint256 exec) internal pure returns (uint256) {
        uint256 tokens = _tokens(callData);
        uint256 standard = 21_000 + 4 * tokens + exec;
        uint256 floor = _floorGas(callData);
        return standard > floor ? standard : floor;
    }

    /// EIP-7623 calldata tokens: zeros + 4·non-zeros.
    function _tokens(bytes memory callData) internal pure returns (uint256 tokens) {
        for (uint256 i = 0; i < callData.length; i++) {
            tokens += callData[i] == 0 ? 1 : 4;
        }
    }

    /// The EIP-7623 floor of a transaction carrying `callData`.
    function _floorGas(bytes memory callData) internal pure returns (uint256) {
        return 21_000 + 10 * _tokens(callData);
    }

    /// A message of MAX_MESSAGE_BYTES must be postable in one L1 transaction under the
    /// project's fork (Osaka caps a transaction at 2^24 gas, EIP-7825), or a full batch or
    /// forced transaction could never land. Logs the figures the comment in _appendCalldata
    /// discusses.
    function test_FullSizeMessagesFitInOneTransaction() public {
        bytes memory data = _fullBatch();
        vm.prank(sequencer);
        inbox.appendBatch(data, 1);
        // The call's own gas, not the test's encoding of its arguments.
        uint256 exec = vm.lastCallGas().gasTotalUsed;
        bytes memory callData = abi.encodeCall(Inbox.appendBatch, (data, 1));
        uint256 total = _txGas(callData, exec);
        emit log_named_uint("full batch: execution gas", exec);
        emit log_named_uint("full batch: transaction gas", total);
        assertLt(total, 1 << 24);
        // The execution (the log and the data tree) fits under the calldata floor.
        assertEq(total, _floorGas(callData), "a full batch pays the calldata floor only");

        inbox.forceTransaction(data);
        exec = vm.lastCallGas().gasTotalUsed;
        callData = abi.encodeCall(Inbox.forceTransaction, (data));
        total = _txGas(callData, exec);
        emit log_named_uint("full forced tx: transaction gas", total);
        assertLt(total, 1 << 24);
        assertEq(total, _floorGas(callData), "a full forced tx pays the calldata floor only");
    }

    /// The cost of a small batch: 1 KB of non-zero data (a 32-leaf data tree). Logged only.
    function test_SmallBatchGas() public {
        bytes memory data = _denseBatch(1024);
        vm.prank(sequencer);
        inbox.appendBatch(data, 1);
        uint256 exec = vm.lastCallGas().gasTotalUsed;
        emit log_named_uint("1 KB batch: execution gas", exec);
        emit log_named_uint(
            "1 KB batch: transaction gas",
            _txGas(abi.encodeCall(Inbox.appendBatch, (data, 1)), exec)
        );
    }

    function test_OnlyOwnerChangesSequencer() public {
        vm.prank(sequencer);
        vm.expectRevert(abi.encodeWithSelector(Inbox.NotOwner.selector, sequencer));
        inbox.setSequencer(alice);

        vm.expectEmit(address(inbox));
        emit Inbox.SequencerChanged(sequencer, alice);
        vm.prank(owner);
        inbox.setSequencer(alice);
        assertEq(inbox.sequencer(), alice);

        vm.prank(sequencer);
        vm.expectRevert(abi.encodeWithSelector(Inbox.NotSequencer.selector, sequencer));
        inbox.appendBatch(_batch(1, 0), 1);
        vm.prank(alice);
        inbox.appendBatch(_batch(1, 0), 1);
    }

    function test_OnlyOwnerTransfersOwnership() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(Inbox.NotOwner.selector, alice));
        inbox.transferOwnership(alice);
        vm.prank(owner);
        vm.expectRevert(Inbox.ZeroAddress.selector);
        inbox.transferOwnership(address(0));

        vm.prank(owner);
        inbox.transferOwnership(alice);
        assertEq(inbox.owner(), alice);
        vm.prank(owner);
        vm.expectRevert(abi.encodeWithSelector(Inbox.NotOwner.selector, owner));
        inbox.setSequencer(owner);
    }

    function test_RevertWhen_SetOutboxTwice() public {
        address outbox = makeAddr("outbox");
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(Inbox.NotOwner.selector, alice));
        inbox.setOutbox(outbox);
        vm.prank(owner);
        vm.expectRevert(Inbox.ZeroAddress.selector);
        inbox.setOutbox(address(0));

        vm.prank(owner);
        inbox.setOutbox(outbox);
        assertEq(inbox.outbox(), outbox);
        vm.prank(owner);
        vm.expectRevert(Inbox.OutboxAlreadySet.selector);
        inbox.setOutbox(alice);
        assertEq(inbox.outbox(), outbox);
    }

    function test_RevertWhen_ReleaseNotFromOutbox() public {
        vm.prank(alice);
        inbox.deposit{value: 1 ether}(bob);
        // Before the outbox is set nobody can release, not even the owner.
        vm.prank(owner);
        vm.expectRevert(abi.encodeWithSelector(Inbox.NotOutbox.selector, owner));
        inbox.release(owner, 1 ether);

        address outbox = makeAddr("outbox");
        vm.prank(owner);
        inbox.setOutbox(outbox);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(Inbox.NotOutbox.selector, alice));
        inbox.release(alice, 1 ether);

        vm.prank(outbox);
        inbox.release(bob, 0.4 ether);
        assertEq(bob.balance, 0.4 ether);
        assertEq(address(inbox).balance, 0.6 ether);

        // More than the escrow holds: the send fails and the call reverts.
        vm.prank(outbox);
        vm.expectRevert(abi.encodeWithSelector(Inbox.EthTransferFailed.selector, bob, 1 ether));
        inbox.release(bob, 1 ether);
    }

    function test_RevertWhen_ConstructedWithoutOwner() public {
        vm.expectRevert(Inbox.ZeroAddress.selector);
        new Inbox(address(0), sequencer, CHAIN_ID, FORCE_DELAY, MIN_DEPOSIT);
    }

    function test_RevertWhen_PlainEthTransfer() public {
        // ETH enters only through deposit(), which records it for L2.
        vm.prank(alice);
        (bool ok,) = address(inbox).call{value: 1 ether}("");
        assertFalse(ok);
    }
}
