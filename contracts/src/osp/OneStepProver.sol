// SPDX-License-Identifier: MIT
pragma solidity ^0.8.37;

import {MachineHashes} from "./MachineHashes.sol";
import {Decoder} from "./Decoder.sol";
import {MerkleLib} from "./MerkleLib.sol";
import {MachineLib} from "./MachineLib.sol";
import {
    BadInstruction,
    BadMerkleProof,
    TrailingBytes,
    UnknownOpcode,
    WrongPreState
} from "./Errors.sol";
import {ExecutionContext, Instruction, Machine} from "./Types.sol";
import {TAG_CODE, STATUS_RUNNING, STATUS_ERRORED} from "./Constants.sol";
// Opcodes are compared constant first (`I32_ADD == op`): solc then emits the same code as for
// the literal opcode numbers this replaced (Opcodes.sol says why).
import {
    CLASS_CONTROL,
    CLASS_MATH,
    CLASS_MEMORY,
    CLASS_HOST,
    LAST_CONTROL,
    LAST_MATH,
    LAST_MEMORY,
    LAST_HOST
} from "./Opcodes.sol";
import {ProverControl} from "./ProverControl.sol";
import {ProverMath} from "./ProverMath.sol";
import {ProverMemory} from "./ProverMemory.sol";
import {ProverHost} from "./ProverHost.sol";

// Truncating casts are the semantics here (i32 values are the low 32 bits of a slot, fields
// are bit slices of a word), so the lint that flags them is off for this item.
// forge-lint: disable-next-item(unsafe-typecast)
/// @title OneStepProver — the entry of the one-step proof (Rust `fuse_verifier::verify`).
/// @notice Given a machine hash and a proof (docs/spec/proof-format.md), returns the machine
///         hash one step later, or reverts with the reason the proof is rejected. It decodes
///         and checks the header, fetches the instruction at pc from the code tree, and hands
///         the step to the module of the opcode's class (its high byte, `CLASS_*` in
///         Opcodes.sol).
///         The modules are separate contracts so each stays under the code-size limit.
contract OneStepProver is MachineHashes {
    ProverControl public immutable proverControl;
    ProverMath public immutable proverMath;
    ProverMemory public immutable proverMemory;
    ProverHost public immutable proverHost;

    constructor(ProverControl control, ProverMath math, ProverMemory memory_, ProverHost host) {
        proverControl = control;
        proverMath = math;
        proverMemory = memory_;
        proverHost = host;
    }

    function proveOneStep(ExecutionContext calldata context, bytes32 preHash, bytes calldata proof)
        external
        view
        returns (bytes32 postHash)
    {
        (Machine memory mach, uint256 off) = MachineLib.decodeMachine(proof);
        if (mach.status != STATUS_RUNNING) {
            // A halted machine is unchanged by a step.
            if (MachineLib.hashMachine(mach) != preHash) revert WrongPreState();
            if (off != proof.length) revert TrailingBytes();
            return preHash;
        }
        bytes32 world = MachineLib.worldHash(mach);
        if (MachineLib.hashMachineWithWorld(mach, world) != preHash) revert WrongPreState();

        if (mach.codeDepth < 32 && mach.pc >> mach.codeDepth != 0) {
            // pc outside the code: the step traps and nothing is read.
            if (off != proof.length) revert TrailingBytes();
            return _errored(mach, world);
        }
        Instruction memory inst;
        (inst, off) = _readInstruction(mach, proof, off);

        Machine memory result;
        uint256 consumed;
        (result, consumed) = _dispatch(context, mach, inst, proof[off:]);
        if (off + consumed != proof.length) revert TrailingBytes();

        // A trap changes nothing but the status.
        if (result.status == STATUS_ERRORED) return _errored(mach, world);
        if (result.status != STATUS_RUNNING) return MachineLib.hashMachine(result);
        // Most steps leave globals, memory and the global state alone: reuse the world hash.
        bytes32 postWorld =
            MachineLib.sameWorld(mach, result) ? world : MachineLib.worldHash(result);
        return MachineLib.hashMachineWithWorld(result, postWorld);
    }

    /// The hash of the pre-state with status errored.
    function _errored(Machine memory mach, bytes32 world) private pure returns (bytes32) {
        mach.status = STATUS_ERRORED;
        return MachineLib.hashMachineWithWorld(mach, world);
    }

    /// Reads the code leaf at pc and its siblings, checks them against the code root and
    /// decodes the leaf.
    function _readInstruction(Machine memory mach, bytes calldata proof, uint256 off)
        private
        pure
        returns (Instruction memory inst, uint256 next)
    {
        bytes32 leaf;
        (leaf,, next) =
            MerkleLib.proveLeaf(TAG_CODE, mach.codeRoot, mach.pc, mach.codeDepth, proof, off);
        inst = decodeInstruction(leaf);
    }

    /// `op (u16) ‖ depth ‖ 00 ‖ a (u32) ‖ b (u64) ‖ 16 zero bytes` (docs/spec/isa.md).
    function decodeInstruction(bytes32 leaf) internal pure returns (Instruction memory inst) {
        uint256 l = uint256(leaf);
        if ((l >> 224) & 0xff != 0 || uint128(l) != 0) revert BadInstruction();
        inst.op = uint16(l >> 240);
        inst.depth = uint8(l >> 232);
        inst.a = uint32(l >> 192);
        inst.b = uint64(l >> 128);
        if (!isOpcode(inst.op)) revert UnknownOpcode(inst.op);
    }

    /// Whether `op` is assigned in docs/spec/isa.md: the low bytes of a class have no gap
    /// (Opcodes.sol).
    function isOpcode(uint16 op) internal pure returns (bool) {
        uint256 class = op >> 8;
        uint256 code = op & 0xff;
        if (CLASS_CONTROL == class) return code <= LAST_CONTROL & 0xff;
        if (CLASS_MATH == class) return code <= LAST_MATH & 0xff;
        if (CLASS_MEMORY == class) return code <= LAST_MEMORY & 0xff;
        if (CLASS_HOST == class) return code <= LAST_HOST & 0xff;
        return false;
    }

    function _dispatch(
        ExecutionContext calldata context,
        Machine memory mach,
        Instruction memory inst,
        bytes calldata witness
    ) private view returns (Machine memory, uint256) {
        uint256 class = inst.op >> 8;
        if (CLASS_CONTROL == class) {
            return proverControl.executeOneStep(context, mach, inst, witness);
        }
        if (CLASS_MATH == class) return proverMath.executeOneStep(context, mach, inst, witness);
        if (CLASS_MEMORY == class) {
            return proverMemory.executeOneStep(context, mach, inst, witness);
        }
        return proverHost.executeOneStep(context, mach, inst, witness);
    }
}
