// SPDX-License-Identifier: MIT
pragma solidity ^0.8.37;

import {Test} from "forge-std/Test.sol";
import {Inbox} from "../src/rollup/Inbox.sol";
import {Outbox} from "../src/rollup/Outbox.sol";
import {OutboxRootsDouble} from "../src/testing/OutboxRootsDouble.sol";
import {MerkleLib} from "../src/osp/MerkleLib.sol";

/// One withdrawal leaf's fields (docs/spec/outbox.md).
struct W {
    uint64 index;
    address l2Sender;
    address l1Recipient;
    uint128 amount;
    bytes32 txId;
}

/// A recipient whose receive() tries to withdraw the same leaf again. With `catchInner` it
/// swallows the inner revert (the outer withdrawal then completes); without, it re-raises it
/// (its receive() fails, so the whole withdrawal reverts).
contract ReentrantRecipient {
    Outbox immutable outbox;
    bool immutable catchInner;
    W w;
    bytes32 root;
    bytes32[32] proof;
    bool entered;
    bytes public innerError;

    constructor(Outbox outbox_, bool catchInner_) {
        (outbox, catchInner) = (outbox_, catchInner_);
    }

    function arm(W memory w_, bytes32 root_, bytes32[32] memory proof_) external {
        (w, root, proof) = (w_, root_, proof_);
    }

    receive() external payable {
        if (entered) return;
        entered = true;
        try outbox.withdraw(w.index, w.l2Sender, w.l1Recipient, w.amount, w.txId, root, proof) {}
        catch (bytes memory err) {
            innerError = err;
            if (!catchInner) {
                assembly ("memory-safe") {
                    revert(add(err, 32), mload(err))
                }
            }
        }
    }
}

/// A recipient that refuses ETH until told otherwise.
contract ToggleRecipient {
    bool public accept;

    function setAccept(bool ok) external {
        accept = ok;
    }

    receive() external payable {
        require(accept, "not accepting");
    }
}

/// The L1 Outbox: proofs against a depth-32 tree built here by hand from docs/spec/outbox.md,
/// paid from the Inbox's escrow, and the ways a withdrawal must not be paid.
contract OutboxTest is Test {
    bytes32 constant EMPTY_ROOT =
        0x8bed07d479db91ab738637eb8512c1f407082437f561baa7ac136ed05d85f6ca;

    address owner = makeAddr("owner");
    address depositor = makeAddr("depositor");
    Inbox inbox;
    OutboxRootsDouble roots;
    Outbox outbox;
    /// z[h]: the root of an empty subtree of height h.
    bytes32[33] z;

    W[] ws;
    bytes32[] leaves;

    function setUp() public {
        inbox = new Inbox(owner, makeAddr("sequencer"), 0xF05E, 86_400, 0.01 ether);
        roots = new OutboxRootsDouble();
        outbox = new Outbox(address(inbox), address(roots));
        vm.prank(owner);
        inbox.setOutbox(address(outbox));
        // Fund the escrow the way L1 users do.
        vm.deal(depositor, 10 ether);
        vm.prank(depositor);
        inbox.deposit{value: 10 ether}(depositor);

        for (uint256 h = 0; h < 32; h++) {
            z[h + 1] = keccak256(abi.encodePacked(uint8(0x31), z[h], z[h]));
        }
    }

    // ------------------------------------------------------------ the tree, by hand

    function _leaf(W memory w) internal pure returns (bytes32) {
        bytes memory pre =
            abi.encodePacked(uint8(0x30), w.index, w.l2Sender, w.l1Recipient, w.amount, w.txId);
        assert(pre.length == 97);
        return keccak256(pre);
    }

    function _add(uint64 index, address to, uint128 amount) internal returns (W memory w) {
        w = W(index, makeAddr("l2sender"), to, amount, keccak256(abi.encode("tx", index)));
        ws.push(w);
        leaves.push(_leaf(w));
    }

    /// The node at height `h` covering leaves `[p << h, (p + 1) << h)`.
    function _node(uint256 h, uint256 p) internal view returns (bytes32) {
        bool any;
        for (uint256 i = 0; i < ws.length; i++) {
            if (ws[i].index >> h == p) any = true;
        }
        if (!any) return z[h];
        if (h == 0) {
            for (uint256 i = 0; i < ws.length; i++) {
                if (ws[i].index == p) return leaves[i];
            }
        }
        return
            keccak256(abi.encodePacked(uint8(0x31), _node(h - 1, 2 * p), _node(h - 1, 2 * p + 1)));
    }

    function _root() internal view returns (bytes32) {
        return _node(32, 0);
    }

    function _proof(uint64 index) internal view returns (bytes32[32] memory s) {
        for (uint256 h = 0; h < 32; h++) {
            s[h] = _node(h, (uint256(index) >> h) ^ 1);
        }
    }

    /// Three leaves in the first word of the tree and one at the very last index; the root
    /// confirmed.
    function _standardTree() internal returns (bytes32 root) {
        _add(0, makeAddr("r0"), 1 ether);
        _add(1, makeAddr("r1"), 2 ether);
        _add(5, makeAddr("r5"), 0.5 ether);
        _add(type(uint32).max, makeAddr("rmax"), 3);
        root = _root();
        roots.setConfirmed(root, true);
    }

    function _withdraw(W memory w, bytes32 root, bytes32[32] memory proof) internal {
        outbox.withdraw(w.index, w.l2Sender, w.l1Recipient, w.amount, w.txId, root, proof);
    }

    // ------------------------------------------------------------ the spec's constants

    function test_EmptyOutboxRoot() public view {
        assertEq(z[32], EMPTY_ROOT);
        assertEq(MerkleLib.zeroHash(0x31, 32), EMPTY_ROOT);
        // The contract's proof walk over an empty tree: leaf 0 with siblings z_0 .. z_31.
        bytes32[32] memory s;
        for (uint256 h = 0; h < 32; h++) {
            s[h] = z[h];
        }
        assertEq(outbox.rootFromProof(0, bytes32(0), s), EMPTY_ROOT);
        assertEq(outbox.rootFromProof(type(uint32).max, bytes32(0), s), EMPTY_ROOT);
    }

    function test_WithdrawalLeafMatchesSpec() public {
        W memory w = W(7, address(0xA11CE), address(0xB0B), 123, bytes32(uint256(0xdead)));
        assertEq(
            outbox.withdrawalLeaf(w.index, w.l2Sender, w.l1Recipient, w.amount, w.txId), _leaf(w)
        );
        // The preimage, field by field: tag, u64 index, two addresses, u128 amount, txId.
        bytes memory pre = bytes.concat(
            hex"30",
            hex"0000000000000007",
            hex"00000000000000000000000000000000000a11ce",
            hex"0000000000000000000000000000000000000b0b",
            hex"0000000000000000000000000000007b",
            bytes32(uint256(0xdead))
        );
        assertEq(pre.length, 97);
        assertEq(_leaf(w), keccak256(pre));
        _add(0, address(1), 1);
        assertEq(outbox.rootFromProof(0, leaves[0], _proof(0)), _root());
    }

    // ------------------------------------------------------------ happy path

    function test_WithdrawPaysFromEscrow() public {
        bytes32 root = _standardTree();
        uint256 escrow = address(inbox).balance;
        for (uint256 i = 0; i < ws.length; i++) {
            W memory w = ws[i];
            assertFalse(outbox.spent(w.index));
            vm.expectEmit(address(outbox));
            emit Outbox.Withdrawal(w.index, w.l1Recipient, w.amount, w.txId);
            vm.prank(makeAddr("anyone")); // anyone may submit; the leaf fixes the recipient
            _withdraw(w, root, _proof(w.index));
            assertTrue(outbox.spent(w.index));
            assertEq(w.l1Recipient.balance, w.amount);
            escrow -= w.amount;
            assertEq(address(inbox).balance, escrow);
        }
    }

    function test_SpentBitsAreIndependent() public {
        bytes32 root = _standardTree();
        _withdraw(ws[1], root, _proof(1));
        assertTrue(outbox.spent(1));
        assertFalse(outbox.spent(0));
        assertFalse(outbox.spent(5));
        assertFalse(outbox.spent(257));
        assertFalse(outbox.spent(type(uint32).max));
        _withdraw(ws[0], root, _proof(0));
        assertTrue(outbox.spent(0) && outbox.spent(1));
    }

    // ------------------------------------------------------------ attacks

    function test_RevertWhen_DoubleWithdrawal() public {
        bytes32 root = _standardTree();
        _withdraw(ws[2], root, _proof(5));
        vm.expectRevert(abi.encodeWithSelector(Outbox.AlreadySpent.selector, 5));
        _withdraw(ws[2], root, _proof(5));

        // A later root holds the same leaf at the same index: still spent.
        _add(6, makeAddr("r6"), 1);
        bytes32 later = _root();
        roots.setConfirmed(later, true);
        vm.expectRevert(abi.encodeWithSelector(Outbox.AlreadySpent.selector, 5));
        _withdraw(ws[2], later, _proof(5));
        assertEq(ws[2].l1Recipient.balance, ws[2].amount);
    }

    function test_RevertWhen_RootNotConfirmed() public {
        _add(0, makeAddr("r0"), 1 ether);
        bytes32 root = _root();
        vm.expectRevert(abi.encodeWithSelector(Outbox.RootNotConfirmed.selector, root));
        _withdraw(ws[0], root, _proof(0));

        // Confirmed, then un-confirmed (a rejected branch): refused again.
        roots.setConfirmed(root, true);
        roots.setConfirmed(root, false);
        vm.expectRevert(abi.encodeWithSelector(Outbox.RootNotConfirmed.selector, root));
        _withdraw(ws[0], root, _proof(0));
        assertFalse(outbox.spent(0));
    }

    function test_RevertWhen_ForgedProof() public {
        bytes32 root = _standardTree();
        W memory w = ws[2];

        bytes32[32] memory p = _proof(5);
        p[3] ^= bytes32(uint256(1)); // a flipped sibling
        vm.expectRevert(Outbox.InvalidProof.selector);
        _withdraw(w, root, p);

        W memory forged = ws[2]; // a copy (ws[2] is in storage)
        forged.index = 4; // a wrong index (the sibling of the real one)
        vm.expectRevert(Outbox.InvalidProof.selector);
        _withdraw(forged, root, _proof(5));
        vm.expectRevert(Outbox.InvalidProof.selector);
        _withdraw(forged, root, _proof(4));

        forged = ws[2];
        forged.amount = w.amount + 1; // a wrong amount
        vm.expectRevert(Outbox.InvalidProof.selector);
        _withdraw(forged, root, _proof(5));

        forged = ws[2];
        forged.l1Recipient = address(this); // a redirected payout
        vm.expectRevert(Outbox.InvalidProof.selector);
        _withdraw(forged, root, _proof(5));

        assertFalse(outbox.spent(5));
        _withdraw(w, root, _proof(5));
    }

    function test_RevertWhen_IndexOutOfRange() public {
        bytes32 root = _standardTree();
        W memory w = ws[0];
        w.index = uint64(1) << 32; // bits 0..31 equal leaf 0's path
        vm.expectRevert(abi.encodeWithSelector(Outbox.IndexOutOfRange.selector, w.index));
        _withdraw(w, root, _proof(0));
    }

    /// The Outbox marks the leaf spent before the Inbox sends, so the re-entered withdrawal
    /// always fails with AlreadySpent. What follows is the recipient's choice: if it swallows
    /// that revert the outer withdrawal completes (paid once); if it re-raises it, its
    /// receive() fails, the Inbox reverts with EthTransferFailed and nothing is paid or spent.
    function test_ReentrantRecipientCannotWithdrawTwice() public {
        ReentrantRecipient catching = new ReentrantRecipient(outbox, true);
        ReentrantRecipient raising = new ReentrantRecipient(outbox, false);
        W memory a = _add(0, address(catching), 1 ether);
        W memory b = _add(1, address(raising), 1 ether);
        bytes32 root = _root();
        roots.setConfirmed(root, true);
        catching.arm(a, root, _proof(0));
        raising.arm(b, root, _proof(1));
        uint256 escrow = address(inbox).balance;

        _withdraw(a, root, _proof(0));
        assertEq(catching.innerError(), abi.encodeWithSelector(Outbox.AlreadySpent.selector, 0));
        assertEq(address(catching).balance, 1 ether);
        assertEq(address(inbox).balance, escrow - 1 ether, "paid exactly once");
        assertTrue(outbox.spent(0));

        vm.expectRevert(
            abi.encodeWithSelector(Inbox.EthTransferFailed.selector, address(raising), 1 ether)
        );
        _withdraw(b, root, _proof(1));
        assertEq(address(raising).balance, 0);
        assertEq(address(inbox).balance, escrow - 1 ether, "nothing more paid");
        assertFalse(outbox.spent(1));
    }

    function test_FailedEthSendRevertsAndCanBeRetried() public {
        ToggleRecipient r = new ToggleRecipient();
        W memory w = _add(3, address(r), 2 ether);
        bytes32 root = _root();
        roots.setConfirmed(root, true);

        vm.expectRevert(
            abi.encodeWithSelector(Inbox.EthTransferFailed.selector, address(r), 2 ether)
        );
        _withdraw(w, root, _proof(3));
        assertFalse(outbox.spent(3));

        r.setAccept(true);
        _withdraw(w, root, _proof(3));
        assertTrue(outbox.spent(3));
        assertEq(address(r).balance, 2 ether);
    }

    function test_RevertWhen_EscrowShortThenRetried() public {
        W memory w = _add(0, makeAddr("whale"), 11 ether);
        bytes32 root = _root();
        roots.setConfirmed(root, true);
        vm.expectRevert(
            abi.encodeWithSelector(Inbox.EthTransferFailed.selector, w.l1Recipient, 11 ether)
        );
        _withdraw(w, root, _proof(0));
        assertFalse(outbox.spent(0));

        vm.deal(depositor, 1 ether);
        vm.prank(depositor);
        inbox.deposit{value: 1 ether}(depositor);
        _withdraw(w, root, _proof(0));
        assertEq(w.l1Recipient.balance, 11 ether);
    }

    function test_RevertWhen_OutboxNotWiredToInbox() public {
        Outbox stray = new Outbox(address(inbox), address(roots));
        bytes32 root = _standardTree();
        vm.expectRevert(abi.encodeWithSelector(Inbox.NotOutbox.selector, address(stray)));
        stray.withdraw(
            ws[0].index,
            ws[0].l2Sender,
            ws[0].l1Recipient,
            ws[0].amount,
            ws[0].txId,
            root,
            _proof(0)
        );
    }

    function test_RevertWhen_ConstructedWithZeroAddress() public {
        vm.expectRevert(Outbox.ZeroAddress.selector);
        new Outbox(address(0), address(roots));
        vm.expectRevert(Outbox.ZeroAddress.selector);
        new Outbox(address(inbox), address(0));
    }
}
