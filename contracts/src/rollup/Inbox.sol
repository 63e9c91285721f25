// SPDX-License-Identifier: MIT
pragma solidity ^0.8.37;

import {IOneStepInbox} from "../osp/IOneStepInbox.sol";
import {InboxAccumulator} from "../osp/InboxAccumulator.sol";
import {INBOX_HEADER_BYTES} from "../osp/Constants.sol";

/// @title Inbox — the L1 message queue of the rollup and the escrow of its bridged ETH.
/// @notice Every L2 block is one message appended here (docs/spec/inbox.md). The Inbox stamps
///         each message with a 32-byte header (kind, L1 block number, L1 timestamp) and keeps
///         one hash chain over all of them; the one-step prover checks `read_inbox` steps
///         against that chain through `IOneStepInbox`. Message bytes themselves are not
///         stored: nodes rebuild them from `MessageAppended` events and the chain proves them.
///
///         Deposited ETH stays in this contract; only the Outbox may release it, after it has
///         checked a withdrawal against a confirmed outbox root.
contract Inbox is IOneStepInbox {
    // ---------------------------------------------------------------- constants

    /// Most bytes of a message's data (after the 32-byte header). The same constant bounds
    /// what the STF reads (Rust `arbos::message::MAX_MESSAGE_BYTES`), so anything accepted
    /// here is read in full by L2, and a data tree is at most 12 deep.
    uint256 public constant MAX_MESSAGE_BYTES = 131_072;

    /// Message kinds (header byte 0). The STF gives unknown kinds a meaning (an empty block),
    /// but this contract only ever writes these five.
    uint8 public constant KIND_CONFIG = 0;
    uint8 public constant KIND_DEPOSIT = 1;
    uint8 public constant KIND_BATCH = 2;
    uint8 public constant KIND_FORCED_TX = 3;
    uint8 public constant KIND_TICK = 4;

    // ---------------------------------------------------------------- configuration

    /// L2 chain id, committed in message 0.
    uint64 public immutable chainId;
    /// Seconds a forced transaction waits before L2 must include it, committed in message 0.
    uint64 public immutable forceDelay;
    /// Smallest accepted deposit, in wei. Deposits are messages (one L2 block each), so a
    /// floor keeps dust deposits from being a cheap way to stretch the chain.
    uint256 public immutable minDeposit;

    /// May change the sequencer, set the outbox once and hand over ownership.
    address public owner;
    /// The only account that may append batches.
    address public sequencer;
    /// The only account that may release escrowed ETH; zero until `setOutbox`.
    address public outbox;

    // ---------------------------------------------------------------- state

    /// `accumulators[i]` is `acc_i` of docs/spec/inbox.md, the chain after message `i`.
    bytes32[] private accumulators;
    /// Sequence number the next batch must carry: starts at 1 and moves by one per batch.
    uint64 private nextSeq = 1;

    // ---------------------------------------------------------------- events

    /// One per message; `data` is the message's bytes after `header`, in full.
    event MessageAppended(
        uint256 indexed index, uint8 indexed kind, bytes32 header, bytes32 accumulator, bytes data
    );
    event Deposit(uint256 indexed index, address indexed from, address indexed to, uint256 amount);
    event BatchAppended(uint64 indexed seq, uint256 indexed index);
    event ForcedTx(uint256 indexed index, address indexed sender);
    event SequencerChanged(address indexed previous, address indexed next);
    event OutboxSet(address indexed outbox);
    event OwnershipTransferred(address indexed previous, address indexed next);

    // ---------------------------------------------------------------- errors

    error MessageTooLarge(uint256 length);
    error DepositBelowMinimum(uint256 value, uint256 minimum);
    error DepositTooLarge(uint256 value);
    error NotSequencer(address caller);
    error WrongBatchSequence(uint64 given, uint64 expected);
    error BatchTooShort(uint256 length);
    error BatchSeqMismatch(uint64 inData, uint64 seq);
    error NoSuchMessage(uint256 index);
    error NotOwner(address caller);
    error NotOutbox(address caller);
    error OutboxAlreadySet();
    error ZeroAddress();
    error EthTransferFailed(address to, uint256 amount);

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        _;
    }

    /// @notice Configures the chain and appends message 0 (`Config`).
    /// @param owner_ Administrator (sequencer changes, outbox wiring); must not be zero.
    /// @param sequencer_ The batch poster.
    /// @param chainId_ L2 chain id.
    /// @param forceDelay_ Seconds before a forced transaction must be included on L2.
    /// @param minDeposit_ Smallest deposit in wei.
    constructor(
        address owner_,
        address sequencer_,
        uint64 chainId_,
        uint64 forceDelay_,
        uint256 minDeposit_
    ) {
        if (owner_ == address(0)) revert ZeroAddress();
        owner = owner_;
        sequencer = sequencer_;
        chainId = chainId_;
        forceDelay = forceDelay_;
        minDeposit = minDeposit_;
        emit OwnershipTransferred(address(0), owner_);
        emit SequencerChanged(address(0), sequencer_);
        // 8 + 20 + 8 = 36 bytes. The inbox address binds the L2 chain to this contract.
        _append(KIND_CONFIG, abi.encodePacked(chainId_, address(this), forceDelay_));
    }

    // ---------------------------------------------------------------- appends

    /// @notice Locks `msg.value` here and credits it to `to` on L2.
    /// @param to The L2 recipient (the STF credits it; no check here).
    /// @return index The message's position in the inbox.
    function deposit(address to) external payable returns (uint256 index) {
        if (msg.value < minDeposit) revert DepositBelowMinimum(msg.value, minDeposit);
        // The message carries the amount as u128; more than 2^128 wei cannot exist, but a
        // silent truncation would credit less than was locked, so it is checked anyway.
        if (msg.value > type(uint128).max) revert DepositTooLarge(msg.value);
        // 20 + 20 + 16 = 56 bytes.
        index = _append(KIND_DEPOSIT, abi.encodePacked(msg.sender, to, uint128(msg.value)));
        emit Deposit(index, msg.sender, to, msg.value);
    }

    /// @notice Appends the sequencer's batch `seq`.
    /// @dev `seq` must be exactly the next sequence number, so a retried post of a batch that
    ///      already landed reverts instead of appending it twice. The batch's own header
    ///      starts with its seq; requiring it to match ties the data to the number checked.
    /// @param data `seq (u64) ‖ txRoot ‖ claimedStateRoot ‖ compressed txs` (docs/spec/inbox.md).
    /// @param seq The batch's sequence number; must equal `nextBatchSeq()`.
    /// @return index The message's position in the inbox.
    function appendBatch(bytes calldata data, uint64 seq) external returns (uint256 index) {
        if (msg.sender != sequencer) revert NotSequencer(msg.sender);
        if (seq != nextSeq) revert WrongBatchSequence(seq, nextSeq);
        if (data.length < 8) revert BatchTooShort(data.length);
        uint64 inData = uint64(bytes8(data[:8]));
        if (inData != seq) revert BatchSeqMismatch(inData, seq);
        nextSeq = seq + 1;
        index = _appendCalldata(KIND_BATCH, data);
        emit BatchAppended(seq, index);
    }

    /// @notice Queues a signed L2 transaction that the sequencer cannot censor: L2 must
    ///         include it once `forceDelay` has passed.
    /// @dev Validity (signature, nonce, encoding) is the STF's business; L1 checks only size.
    /// @param signedTx One signed transaction (docs/spec/tx.md).
    /// @return index The message's position in the inbox.
    function forceTransaction(bytes calldata signedTx) external returns (uint256 index) {
        index = _appendCalldata(KIND_FORCED_TX, signedTx);
        emit ForcedTx(index, msg.sender);
    }

    /// @notice Appends an empty message: one L2 block that lets an idle chain advance its
    ///         clock and drain due forced transactions without the sequencer.
    /// @return index The message's position in the inbox.
    function tick() external returns (uint256 index) {
        index = _append(KIND_TICK, "");
    }

    // ---------------------------------------------------------------- views

    /// @notice Number of messages appended so far (message 0 is the Config).
    function messageCount() external view returns (uint256) {
        return accumulators.length;
    }

    /// @notice The accumulator `acc_index`, the chain after message `index`.
    /// @param index A message position below `messageCount()`.
    function accumulator(uint256 index) external view returns (bytes32) {
        if (index >= accumulators.length) revert NoSuchMessage(index);
        return accumulators[index];
    }

    /// @notice The sequence number the next `appendBatch` must carry.
    function nextBatchSeq() external view returns (uint64) {
        return nextSeq;
    }

    // ---------------------------------------------------------------- administration

    /// @notice Replaces the batch poster.
    /// @dev Zero is allowed: it stops batch posting (forced transactions and ticks keep the
    ///      chain moving) and the owner can set a sequencer again.
    /// @param next The new sequencer.
    function setSequencer(address next) external onlyOwner {
        emit SequencerChanged(sequencer, next);
        sequencer = next;
    }

    /// @notice Wires the Outbox, once. The Outbox is deployed after the Inbox (it takes the
    ///         Inbox's address), hence not a constructor argument.
    /// @dev Once only, so the owner can never redirect the escrow to another releaser;
    ///      zero is refused because it could never be corrected.
    /// @param outbox_ The Outbox contract.
    function setOutbox(address outbox_) external onlyOwner {
        if (outbox != address(0)) revert OutboxAlreadySet();
        if (outbox_ == address(0)) revert ZeroAddress();
        outbox = outbox_;
        emit OutboxSet(outbox_);
    }

    /// @notice Hands ownership to `next` (one step).
    /// @dev Zero is refused: it would leave the sequencer unchangeable forever.
    /// @param next The new owner.
    function transferOwnership(address next) external onlyOwner {
        if (next == address(0)) revert ZeroAddress();
        emit OwnershipTransferred(owner, next);
        owner = next;
    }

    // ---------------------------------------------------------------- escrow

    /// @notice Pays `amount` wei of escrowed ETH to `to`; only the Outbox, for a proven
    ///         withdrawal it has already marked spent.
    /// @dev All gas is forwarded so contract recipients (multisigs, bridges) can run code.
    ///      A failed send reverts the whole withdrawal, spent flag included, so it can be
    ///      retried; a recipient that re-enters the Outbox finds its withdrawal spent.
    /// @param to The L1 recipient.
    /// @param amount Wei to send.
    function release(address to, uint256 amount) external {
        if (msg.sender != outbox) revert NotOutbox(msg.sender);
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert EthTransferFailed(to, amount);
    }

    // ---------------------------------------------------------------- internals

    /// Stamps the header, extends the accumulator chain and publishes the message: data the
    /// contract built itself (Config, Deposit, Tick), in memory.
    function _append(uint8 kind, bytes memory data) private returns (uint256 index) {
        if (data.length > MAX_MESSAGE_BYTES) revert MessageTooLarge(data.length);
        bytes32 header;
        bytes32 acc;
        (index, header, acc) = _chain(kind, data.length, InboxAccumulator.dataRootMemory(data));
        emit MessageAppended(index, kind, header, acc, data);
    }

    /// The same for data straight from the caller (batches, forced transactions): the data
    /// tree is hashed from calldata and the log copies the bytes from there, so the message is
    /// never held in memory twice.
    function _appendCalldata(uint8 kind, bytes calldata data) private returns (uint256 index) {
        if (data.length > MAX_MESSAGE_BYTES) revert MessageTooLarge(data.length);
        bytes32 header;
        bytes32 acc;
        (index, header, acc) = _chain(kind, data.length, InboxAccumulator.dataRootCalldata(data));
        // The full data goes into the log, not storage: nodes rebuild messages from it. Under
        // EIP-7623 a data-heavy transaction pays a calldata floor of 40 gas per non-zero byte
        // (10 per token) against 16 standard, so execution up to 24 gas a non-zero byte is
        // already paid for by the floor. The log costs 8 gas a byte and the data tree, hashed
        // from calldata in place, about 4 more, so a batch of dense data pays the floor and
        // nothing more from about 3 KB up: a full-size one executes in 1.70M gas against 3.15M
        // of headroom and costs 5.26M in all, the floor exactly (8.33M, 6.21M of it execution,
        // when the tree was built over a memory copy). A 1 KB batch is above its floor and
        // costs 94.6k (56.8k execution, mostly the accumulator's storage slot).
        // test_FullSizeMessagesFitInOneTransaction and test_SmallBatchGas log these figures.
        emit MessageAppended(index, kind, header, acc, data);
    }

    /// Extends the accumulator chain by a message of `header ‖ data`, `dataLength` bytes of
    /// data whose tree has root `dataRoot`.
    function _chain(uint8 kind, uint256 dataLength, bytes32 dataRoot)
        private
        returns (uint256 index, bytes32 header, bytes32 acc)
    {
        header = _header(kind);
        index = accumulators.length;
        bytes32 prev = index == 0 ? bytes32(0) : accumulators[index - 1];
        // The message is `header ‖ data`: at least 32 bytes, at most 32 + 131,072.
        acc = InboxAccumulator.accumulate(
            prev, uint64(INBOX_HEADER_BYTES + dataLength), header, dataRoot
        );
        accumulators.push(acc);
    }

    /// `kind (u8) ‖ 0 × 7 ‖ l1BlockNumber (u64) ‖ l1Timestamp (u64) ‖ 0 × 8`, big-endian.
    /// The casts cannot truncate for any real block number or timestamp (< 2^64).
    function _header(uint8 kind) private view returns (bytes32) {
        return bytes32(
            (uint256(kind) << 248) | (uint256(uint64(block.number)) << 128)
                | (uint256(uint64(block.timestamp)) << 64)
        );
    }
}
