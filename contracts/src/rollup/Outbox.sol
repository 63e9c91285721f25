// SPDX-License-Identifier: MIT
pragma solidity ^0.8.37;

import {Inbox} from "./Inbox.sol";
import {IOutboxRoots} from "./IOutboxRoots.sol";
import {MerkleLib} from "../osp/MerkleLib.sol";

/// @title Outbox — pays L2 withdrawals out of the Inbox's escrow.
/// @notice L2 appends every withdrawal to one depth-32 append-only Merkle tree whose root is
///         part of the global state (docs/spec/outbox.md). Once the Rollup has confirmed an
///         assertion carrying that root, anyone may present a withdrawal and its 32 siblings;
///         the Outbox checks the proof, marks the leaf index spent and has the Inbox pay.
///
///         A leaf index is spent at most once across all roots: the tree is append-only, so
///         every later confirmed root contains the same leaf at the same index, and the index
///         (not the root or the leaf hash) is what must never pay twice.
contract Outbox {
    /// Height of the withdrawal tree: 2^32 leaves.
    uint256 public constant TREE_DEPTH = 32;
    /// Domain tag of a withdrawal leaf preimage.
    uint8 public constant TAG_LEAF = 0x30;
    /// Domain tag of an inner node of the withdrawal tree.
    uint8 public constant TAG_NODE = 0x31;

    /// The escrow that pays out.
    Inbox public immutable inbox;
    /// Which outbox roots are confirmed (the Rollup).
    IOutboxRoots public immutable roots;

    /// Spent leaf indices, 256 to a word: bit `i & 255` of `spentWords[i >> 8]`. Withdrawals
    /// arrive roughly in index order, so most of them flip a bit in a word that is already
    /// non-zero (a 5,000-gas write) rather than create a slot (22,100 gas) as a
    /// `mapping(uint64 => bool)` would for every withdrawal.
    mapping(uint256 => uint256) private spentWords;

    event Withdrawal(
        uint64 indexed index, address indexed l1Recipient, uint128 amount, bytes32 txId
    );

    error ZeroAddress();
    error RootNotConfirmed(bytes32 root);
    error IndexOutOfRange(uint64 index);
    error AlreadySpent(uint64 index);
    error InvalidProof();

    /// @param inbox_ The Inbox holding the escrow (its `outbox` must be set to this contract).
    /// @param roots_ The source of confirmed outbox roots (the Rollup).
    constructor(address inbox_, address roots_) {
        // Both are immutable: a zero address could never be corrected.
        if (inbox_ == address(0) || roots_ == address(0)) revert ZeroAddress();
        inbox = Inbox(inbox_);
        roots = IOutboxRoots(roots_);
    }

    /// @notice Pays the withdrawal at leaf `index` of the tree with root `outboxRoot`.
    /// @dev Anyone may submit; the ETH always goes to `l1Recipient`, which the leaf commits.
    ///      The index is marked spent before the Inbox sends the ETH, so a recipient that
    ///      re-enters with the same proof gets `AlreadySpent`. If the send fails the whole
    ///      call reverts (the spent mark too) and the withdrawal can be retried later.
    /// @param index The leaf's index in the withdrawal tree (below 2^32).
    /// @param l2Sender The L2 account that withdrew.
    /// @param l1Recipient Who receives the ETH.
    /// @param amount Wei to pay.
    /// @param txId The id of the L2 transaction that withdrew.
    /// @param outboxRoot A confirmed outbox root containing the leaf.
    /// @param proof The 32 siblings of the leaf, bottom-up.
    function withdraw(
        uint64 index,
        address l2Sender,
        address l1Recipient,
        uint128 amount,
        bytes32 txId,
        bytes32 outboxRoot,
        bytes32[32] calldata proof
    ) external {
        if (!roots.isConfirmedOutboxRoot(outboxRoot)) {
            revert RootNotConfirmed(outboxRoot);
        }
        // The proof walks 32 bits of the index; a larger index would share a path with a
        // smaller one, so it is refused rather than given a second spent flag.
        if (index > type(uint32).max) revert IndexOutOfRange(index);
        (uint256 word, uint256 mask) = _spentSlot(index);
        if (spentWords[word] & mask != 0) revert AlreadySpent(index);

        bytes32 leaf = withdrawalLeaf(index, l2Sender, l1Recipient, amount, txId);
        if (rootFromProof(index, leaf, proof) != outboxRoot) revert InvalidProof();

        // Effects before the interaction (checks-effects-interactions).
        spentWords[word] |= mask;
        emit Withdrawal(index, l1Recipient, amount, txId);
        inbox.release(l1Recipient, amount);
    }

    /// @notice Whether the withdrawal at leaf `index` has been paid.
    /// @param index A leaf index.
    function spent(uint64 index) external view returns (bool) {
        (uint256 word, uint256 mask) = _spentSlot(index);
        return spentWords[word] & mask != 0;
    }

    /// @notice The withdrawal leaf:
    ///         `keccak256(0x30 ‖ index (u64) ‖ l2Sender ‖ l1Recipient ‖ amount (u128) ‖ txId)`,
    ///         97 bytes (docs/spec/outbox.md).
    function withdrawalLeaf(
        uint64 index,
        address l2Sender,
        address l1Recipient,
        uint128 amount,
        bytes32 txId
    ) public pure returns (bytes32) {
        return keccak256(abi.encodePacked(TAG_LEAF, index, l2Sender, l1Recipient, amount, txId));
    }

    /// @notice The root that `leaf` at `index` gives with `proof` (32 siblings, bottom-up):
    ///         at height h the node is the right child iff bit h of `index` is 1; inner nodes
    ///         are `keccak256(0x31 ‖ left ‖ right)`. Only bits 0..31 of `index` are read.
    function rootFromProof(uint64 index, bytes32 leaf, bytes32[32] calldata proof)
        public
        pure
        returns (bytes32 node)
    {
        node = leaf;
        for (uint256 h = 0; h < TREE_DEPTH; h++) {
            node = (index >> h) & 1 == 0
                ? MerkleLib.node(TAG_NODE, node, proof[h])
                : MerkleLib.node(TAG_NODE, proof[h], node);
        }
    }

    function _spentSlot(uint64 index) private pure returns (uint256 word, uint256 mask) {
        word = uint256(index) >> 8;
        mask = uint256(1) << (index & 0xff);
    }
}
