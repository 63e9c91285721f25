//! Host I/O (mirrors `contracts/src/osp/ProverHost.sol`): inbox reads against the L1
//! accumulator, preimage reads against their hash, the keccak and ecrecover precompiles
//! computed as the EVM computes them, the global state, halt (docs/spec/guest-abi.md).

use alloy_primitives::{B256, keccak256};

use crate::inbox::{accumulate, data_depth};
use crate::machine::{Machine, STATUS_ERRORED, STATUS_FINISHED};
use crate::memory_lib::{memory_bytes, read_bytes, write_word};
use crate::merkle::read_leaf_proof;
use crate::proof::Decoder;
use crate::{VerifyContext, VerifyError};
use fuse_primitives::isa::{Instruction, Opcode as O};
use fuse_primitives::tags::{TAG_ACCUMULATOR, TAG_DATA};
use fuse_primitives::{GlobalState, INBOX_HEADER_BYTES as HEADER_BYTES, MAX_PREIMAGE};

/// Executes one host-class instruction.
pub fn execute_one_step(
    ctx: &dyn VerifyContext,
    mach: &mut Machine,
    inst: Instruction,
    d: &mut Decoder,
) -> Result<(), VerifyError> {
    match inst.op {
        O::ReadInbox => execute_read_inbox(ctx, mach, inst, d),
        O::ReadPreimage => execute_read_preimage(mach, inst, d),
        O::Keccak256 => execute_keccak256(mach, inst, d),
        O::Ecrecover => execute_ecrecover(mach, inst, d),
        O::GetBytes32 => execute_get_bytes32(mach, inst, d),
        O::SetBytes32 => execute_set_bytes32(mach, inst, d),
        O::GetU64 => execute_get_u64(mach),
        O::SetU64 => execute_set_u64(mach),
        O::Halt => {
            execute_halt(mach);
            Ok(())
        }
        op => unreachable!("{op:?} is not a host opcode"),
    }
}

/// Whether `len` bytes at `ptr` are 32-byte aligned and inside memory (else the call traps).
pub fn span(mach: &Machine, ptr: u64, len: u64) -> bool {
    let p = ptr as u32 as u64;
    p.is_multiple_of(32) && p + len <= memory_bytes(mach.memory_pages)
}

fn trap(mach: &mut Machine) -> Result<(), VerifyError> {
    mach.status = STATUS_ERRORED;
    Ok(())
}

fn execute_read_inbox(
    ctx: &dyn VerifyContext,
    mach: &mut Machine,
    inst: Instruction,
    d: &mut Decoder,
) -> Result<(), VerifyError> {
    let dest = mach.stack.pop_u32()?;
    let offset = mach.stack.pop_u32()?;
    if !offset.is_multiple_of(32) || !span(mach, dest, 32) {
        return trap(mach);
    }
    let position = mach.gs.inbox_position;
    let prev = d.read_bytes32()?;
    let length = d.read_u64()?;
    let header = d.read_bytes32()?;
    let data_root = d.read_bytes32()?;
    let expected = ctx
        .inbox_accumulator(position)
        .ok_or(VerifyError::InboxMessageMissing(position))?;
    if accumulate(prev, length, header, data_root) != expected {
        return Err(VerifyError::BadMerkleProof(TAG_ACCUMULATOR));
    }
    let word = if offset >= length {
        B256::ZERO
    } else if offset == 0 {
        header
    } else {
        let index = (offset - HEADER_BYTES as u64) / 32;
        read_leaf_proof(d, TAG_DATA, data_depth(length), index, data_root)?.leaf
    };
    write_word(d, mach, inst.depth, dest, word)?;
    mach.stack.push(if offset >= length {
        0
    } else {
        (length - offset).min(32)
    });
    Ok(())
}

fn execute_read_preimage(
    mach: &mut Machine,
    inst: Instruction,
    d: &mut Decoder,
) -> Result<(), VerifyError> {
    let dest = mach.stack.pop_u32()?;
    let offset = mach.stack.pop_u32()?;
    let hash_ptr = mach.stack.pop_u32()?;
    if !offset.is_multiple_of(32) || !span(mach, hash_ptr, 32) || !span(mach, dest, 32) {
        return trap(mach);
    }
    let hash = B256::from_slice(&read_bytes(d, mach, inst.depth, hash_ptr, 32)?);
    let len = d.read_u16()? as usize;
    if len > MAX_PREIMAGE {
        return Err(VerifyError::BadPreimage);
    }
    let preimage = d.read_bytes(len)?;
    if keccak256(preimage) != hash {
        return Err(VerifyError::BadPreimage);
    }
    let (word, n) = chunk(preimage, offset);
    write_word(d, mach, inst.depth, dest, B256::from(word))?;
    mach.stack.push(n);
    Ok(())
}

fn execute_keccak256(
    mach: &mut Machine,
    inst: Instruction,
    d: &mut Decoder,
) -> Result<(), VerifyError> {
    let dest = mach.stack.pop_u32()?;
    let len = mach.stack.pop_u32()?;
    let src = mach.stack.pop_u32()?;
    if len > MAX_PREIMAGE as u64 || !span(mach, src, len) || !span(mach, dest, 32) {
        return trap(mach);
    }
    let input = read_bytes(d, mach, inst.depth, src, len)?;
    write_word(d, mach, inst.depth, dest, keccak256(&input))
}

fn execute_ecrecover(
    mach: &mut Machine,
    inst: Instruction,
    d: &mut Decoder,
) -> Result<(), VerifyError> {
    let dest = mach.stack.pop_u32()?;
    let input = mach.stack.pop_u32()?;
    if !span(mach, input, 128) || !span(mach, dest, 32) {
        return trap(mach);
    }
    let bytes: [u8; 128] = read_bytes(d, mach, inst.depth, input, 128)?
        .try_into()
        .unwrap();
    write_word(d, mach, inst.depth, dest, B256::from(ecrecover(&bytes)))
}

fn execute_get_bytes32(
    mach: &mut Machine,
    inst: Instruction,
    d: &mut Decoder,
) -> Result<(), VerifyError> {
    let dest = mach.stack.pop_u32()?;
    let index = mach.stack.pop_u32()? as u32;
    let Some(value) = mach.gs.bytes32(index) else {
        return trap(mach);
    };
    if !span(mach, dest, 32) {
        return trap(mach);
    }
    write_word(d, mach, inst.depth, dest, value)
}

fn execute_set_bytes32(
    mach: &mut Machine,
    inst: Instruction,
    d: &mut Decoder,
) -> Result<(), VerifyError> {
    let src = mach.stack.pop_u32()?;
    let index = mach.stack.pop_u32()? as u32;
    if index >= GlobalState::BYTES32_FIELDS || !span(mach, src, 32) {
        return trap(mach);
    }
    let value = B256::from_slice(&read_bytes(d, mach, inst.depth, src, 32)?);
    mach.gs.set_bytes32(index, value);
    Ok(())
}

fn execute_get_u64(mach: &mut Machine) -> Result<(), VerifyError> {
    let index = mach.stack.pop_u32()? as u32;
    match mach.gs.u64(index) {
        Some(v) => mach.stack.push(v),
        None => return trap(mach),
    }
    Ok(())
}

fn execute_set_u64(mach: &mut Machine) -> Result<(), VerifyError> {
    let value = mach.stack.pop()?;
    let index = mach.stack.pop_u32()? as u32;
    if !mach.gs.set_u64(index, value) {
        return trap(mach);
    }
    Ok(())
}

fn execute_halt(mach: &mut Machine) {
    mach.status = STATUS_FINISHED;
}

/// The 32 bytes of `data` at `offset`, zero-padded past its end, and how many are real: what
/// `read_inbox` and `read_preimage` write and return.
fn chunk(data: &[u8], offset: u64) -> ([u8; 32], u64) {
    let mut out = [0u8; 32];
    let start = usize::try_from(offset)
        .unwrap_or(usize::MAX)
        .min(data.len());
    let n = (data.len() - start).min(32);
    out[..n].copy_from_slice(&data[start..start + n]);
    (out, n as u64)
}

/// Precompile 0x01 as the EVM runs it (docs/design.md#rule-10): `input` is
/// `hash ‖ v ‖ r ‖ s`; the signer's address left-padded to 32 bytes, or 32 zero bytes when
/// recovery fails.
fn ecrecover(input: &[u8; 128]) -> [u8; 32] {
    let mut out = [0u8; 32];
    if let Ok(result) = revm::precompile::secp256k1::ec_recover_run(input, u64::MAX)
        && result.bytes.len() == 32
    {
        out.copy_from_slice(&result.bytes);
    }
    out
}
