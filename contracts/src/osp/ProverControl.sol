// SPDX-License-Identifier: MIT
pragma solidity ^0.8.37;

import {Hashing} from "./Hashing.sol";
import {Decoder} from "./Decoder.sol";
import {MerkleLib} from "./MerkleLib.sol";
import {ValueStackLib} from "./MachineLib.sol";
import {BadFrame, StackUnderflow, UnknownOpcode} from "./Errors.sol";
import {ExecutionContext, Instruction, Machine, ValueStack, Frame} from "./Types.sol";
import {
    TAG_LOCALS,
    TAG_GLOBALS,
    TAG_TABLE,
    STATUS_FINISHED,
    STATUS_ERRORED,
    MAX_FRAMES
} from "./Constants.sol";
// Opcodes are compared constant first (`I32_ADD == op`): solc then emits the same code as for
// the literal opcode numbers this replaced (Opcodes.sol says why).
import {
    UNREACHABLE,
    DROP,
    NIP,
    SELECT,
    BR,
    BR_IF,
    BR_IF_ZERO,
    BR_TABLE,
    CALL,
    CALL_INDIRECT,
    RETURN,
    LOCAL_GET,
    LOCAL_SET,
    LOCAL_TEE,
    GLOBAL_GET,
    GLOBAL_SET,
    CONST,
    FINISH
} from "./Opcodes.sol";

// Truncating casts are the semantics here (i32 values are the low 32 bits of a slot, fields
// are bit slices of a word), so the lint that flags them is off for this item.
// forge-lint: disable-next-item(unsafe-typecast)
/// @title ProverControl — one-step proofs of control and stack opcodes (`CLASS_CONTROL`,
///        Opcodes.sol).
/// @notice Calls, returns, branches, stack shuffling, locals and globals
///         (docs/spec/proof-format.md, "Execution"; Rust `fuse_verifier::control`). Called by
///         `OneStepProver` with the decoded pre-state; returns the post-state and how many
///         witness bytes it read.
contract ProverControl {
    using ValueStackLib for ValueStack;

    function executeOneStep(
        ExecutionContext calldata,
        Machine calldata startMach,
        Instruction calldata inst,
        bytes calldata witness
    ) external view returns (Machine memory mach, uint256 consumed) {
        mach = startMach;
        Instruction memory i = inst;
        // Every instruction but a jump moves to pc + 1; a call saves this as its return pc.
        unchecked {
            mach.pc = startMach.pc + 1;
        }
        uint16 op = i.op;
        if (UNREACHABLE == op) mach.status = STATUS_ERRORED;
        else if (DROP == op) executeDrop(mach);
        else if (NIP == op) executeNip(mach);
        else if (SELECT == op) executeSelect(mach);
        else if (BR == op) executeBr(mach, i);
        else if (BR_IF == op || BR_IF_ZERO == op) executeBrIf(mach, i);
        else if (BR_TABLE == op) executeBrTable(mach, i);
        else if (CALL == op) consumed = executeCall(mach, i, witness);
        else if (CALL_INDIRECT == op) consumed = executeCallIndirect(mach, i, witness);
        else if (RETURN == op) consumed = executeReturn(mach, i, witness);
        else if (LOCAL_GET == op) consumed = executeLocalGet(mach, i, witness);
        else if (LOCAL_SET == op) consumed = executeLocalSet(mach, i, witness);
        else if (LOCAL_TEE == op) consumed = executeLocalTee(mach, i, witness);
        else if (GLOBAL_GET == op) consumed = executeGlobalGet(mach, i, witness);
        else if (GLOBAL_SET == op) consumed = executeGlobalSet(mach, i, witness);
        else if (CONST == op) executeConst(mach, i);
        else if (FINISH == op) executeFinish(mach);
        else revert UnknownOpcode(op);
    }

    function executeDrop(Machine memory mach) internal pure {
        mach.stack.pop();
    }

    function executeNip(Machine memory mach) internal pure {
        uint64 v = mach.stack.pop();
        mach.stack.pop();
        mach.stack.push(v);
    }

    function executeSelect(Machine memory mach) internal pure {
        uint64 c = mach.stack.pop();
        uint64 b = mach.stack.pop();
        uint64 a = mach.stack.pop();
        mach.stack.push(uint32(c) != 0 ? a : b);
    }

    function executeBr(Machine memory mach, Instruction memory inst) internal pure {
        mach.pc = inst.a;
    }

    /// `br_if` jumps when the condition (as i32) is non-zero, `br_if_zero` when it is zero.
    function executeBrIf(Machine memory mach, Instruction memory inst) internal pure {
        bool nonZero = uint32(mach.stack.pop()) != 0;
        if (nonZero == (BR_IF == inst.op)) mach.pc = inst.a;
    }

    function executeBrTable(Machine memory mach, Instruction memory inst) internal pure {
        uint64 i = uint32(mach.stack.pop());
        uint64 slot = i < inst.b ? i : inst.b;
        unchecked {
            mach.pc = inst.a + uint32(slot);
        }
    }

    /// `a` = entry pc, `b` = params << 32 | locals, `depth` = the callee's locals depth.
    function executeCall(Machine memory mach, Instruction memory inst, bytes calldata w)
        internal
        pure
        returns (uint256 off)
    {
        Frame memory saved;
        (saved, off) = readFrame(mach, w, 0);
        enterFunction(mach, saved.depth, inst.a, uint32(inst.b >> 32), inst.depth);
    }

    /// `a` = type id, `b` = table size, `depth` = table depth.
    function executeCallIndirect(Machine memory mach, Instruction memory inst, bytes calldata w)
        internal
        pure
        returns (uint256 off)
    {
        uint64 i = uint32(mach.stack.pop());
        if (i >= inst.b) {
            mach.status = STATUS_ERRORED; // undefined element
            return 0;
        }
        bytes32 leaf;
        (leaf,, off) = MerkleLib.proveLeaf(TAG_TABLE, mach.tableRoot, i, inst.depth, w, 0);
        // 01 ‖ typeId (u32) ‖ entryPc (u32) ‖ params (u32) ‖ locals (u32) ‖ zeros
        uint256 l = uint256(leaf);
        if (l >> 248 == 0 || uint32(l >> 216) != inst.a) {
            mach.status = STATUS_ERRORED; // uninitialized element or type mismatch
            return off;
        }
        uint32 numLocals = uint32(l >> 120);
        uint8 depth = MerkleLib.treeDepth((uint256(numLocals) + 3) / 4);
        Frame memory saved;
        (saved, off) = readFrame(mach, w, off);
        enterFunction(mach, saved.depth, uint32(l >> 184), uint32(l >> 152), depth);
    }

    /// `a` = number of results (0 or 1).
    function executeReturn(Machine memory mach, Instruction memory inst, bytes calldata w)
        internal
        pure
        returns (uint256 off)
    {
        bool hasResult = inst.a == 1;
        uint64 result;
        if (hasResult) result = mach.stack.pop();
        if (mach.frames == Hashing.EMPTY) {
            mach.status = STATUS_ERRORED; // a return from the synthetic entry's frame
            return 0;
        }
        Frame memory saved;
        (saved, off) = readFrame(mach, w, 0);
        mach.stack = ValueStack(saved.valueStack, new uint64[](1), 0);
        if (hasResult) mach.stack.push(result);
        mach.locals = saved.locals;
        mach.frames = saved.prev;
        mach.pc = saved.returnPc;
    }

    function executeLocalGet(Machine memory mach, Instruction memory inst, bytes calldata w)
        internal
        pure
        returns (uint256 off)
    {
        bytes32 leaf;
        (leaf,, off) = MerkleLib.proveLeaf(TAG_LOCALS, mach.locals, inst.a / 4, inst.depth, w, 0);
        mach.stack.push(MerkleLib.getSlot(leaf, inst.a % 4));
    }

    function executeLocalSet(Machine memory mach, Instruction memory inst, bytes calldata w)
        internal
        pure
        returns (uint256 off)
    {
        uint64 v = mach.stack.pop();
        (mach.locals, off) = _writeSlot(TAG_LOCALS, mach.locals, inst, w, v);
    }

    function executeLocalTee(Machine memory mach, Instruction memory inst, bytes calldata w)
        internal
        pure
        returns (uint256 off)
    {
        uint64 v = mach.stack.pop();
        mach.stack.push(v);
        (mach.locals, off) = _writeSlot(TAG_LOCALS, mach.locals, inst, w, v);
    }

    function executeGlobalGet(Machine memory mach, Instruction memory inst, bytes calldata w)
        internal
        pure
        returns (uint256 off)
    {
        bytes32 leaf;
        (leaf,, off) =
            MerkleLib.proveLeaf(TAG_GLOBALS, mach.globalsRoot, inst.a / 4, inst.depth, w, 0);
        mach.stack.push(MerkleLib.getSlot(leaf, inst.a % 4));
    }

    function executeGlobalSet(Machine memory mach, Instruction memory inst, bytes calldata w)
        internal
        pure
        returns (uint256 off)
    {
        uint64 v = mach.stack.pop();
        (mach.globalsRoot, off) = _writeSlot(TAG_GLOBALS, mach.globalsRoot, inst, w, v);
    }

    function executeConst(Machine memory mach, Instruction memory inst) internal pure {
        mach.stack.push(inst.b);
    }

    function executeFinish(Machine memory mach) internal pure {
        mach.status = STATUS_FINISHED;
    }

    /// The frame witness, read only when `frames` is not empty; with no saved frame the
    /// saved depth is 0 and nothing is read.
    function readFrame(Machine memory mach, bytes calldata w, uint256 off)
        internal
        pure
        returns (Frame memory f, uint256 next)
    {
        if (mach.frames == Hashing.EMPTY) return (f, off);
        (f.prev, off) = Decoder.readBytes32(w, off);
        (f.depth, off) = Decoder.readU32(w, off);
        (f.returnPc, off) = Decoder.readU32(w, off);
        (f.valueStack, off) = Decoder.readBytes32(w, off);
        (f.locals, next) = Decoder.readBytes32(w, off);
        if (Hashing.framePush(f.prev, f.depth, f.returnPc, f.valueStack, f.locals) != mach.frames) {
            revert BadFrame();
        }
    }

    /// What `call` and `call_indirect` share: the depth check, moving the params into the
    /// callee's locals, saving the caller's frame (return pc = `mach.pc`, already pc + 1) and
    /// starting the callee with an empty value stack.
    function enterFunction(
        Machine memory mach,
        uint32 savedDepth,
        uint32 entryPc,
        uint32 params,
        uint8 localsDepth
    ) internal pure {
        if (savedDepth >= MAX_FRAMES) {
            mach.status = STATUS_ERRORED; // call stack exhausted
            return;
        }
        if (params > mach.stack.len) revert StackUnderflow();
        uint64[] memory args = new uint64[](params);
        for (uint256 k = params; k > 0; k--) {
            args[k - 1] = mach.stack.pop();
        }
        mach.frames =
            Hashing.framePush(mach.frames, savedDepth + 1, mach.pc, mach.stack.hash(), mach.locals);
        mach.locals = MerkleLib.buildLocalsRoot(args, localsDepth);
        mach.stack = ValueStack(Hashing.EMPTY, new uint64[](0), 0);
        mach.pc = entryPc;
    }

    /// Writes `v` into slot `a mod 4` of leaf `a / 4` of a locals or globals tree.
    function _writeSlot(
        uint8 tag,
        bytes32 root,
        Instruction memory inst,
        bytes calldata w,
        uint64 v
    ) private pure returns (bytes32, uint256) {
        (bytes32 leaf, bytes calldata siblings, uint256 off) =
            MerkleLib.proveLeaf(tag, root, inst.a / 4, inst.depth, w, 0);
        leaf = MerkleLib.setSlot(leaf, inst.a % 4, v);
        return (MerkleLib.rootFromProof(tag, inst.a / 4, leaf, siblings), off);
    }
}
