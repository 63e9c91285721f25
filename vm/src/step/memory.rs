//! Memory-class semantics: loads, stores, size, grow. Little-endian, as wasm.

use crate::error::Trap;
use crate::isa::Opcode;

/// Bytes a load or store touches.
#[inline(always)]
pub fn access_size(op: Opcode) -> usize {
    use Opcode::*;
    match op {
        I32Load8S | I32Load8U | I64Load8S | I64Load8U | I32Store8 | I64Store8 => 1,
        I32Load16S | I32Load16U | I64Load16S | I64Load16U | I32Store16 | I64Store16 => 2,
        I32Load | I64Load32S | I64Load32U | I32Store | I64Store32 => 4,
        I64Load | I64Store => 8,
        _ => unreachable!("{op:?} is not a load or store"),
    }
}

/// The effective address of an access, or a trap if any byte of it is out of bounds.
#[inline(always)]
pub fn effective(memory_len: usize, base: u64, offset: u32, size: usize) -> Result<usize, Trap> {
    let ea = (base as u32 as u64) + offset as u64;
    if ea + size as u64 > memory_len as u64 {
        Err(Trap::OutOfBoundsMemory)
    } else {
        Ok(ea as usize)
    }
}

/// Reads and extends a loaded value.
#[inline(always)]
pub fn load(op: Opcode, memory: &[u8], ea: usize) -> u64 {
    use Opcode::*;
    let mut raw = [0u8; 8];
    let size = access_size(op);
    raw[..size].copy_from_slice(&memory[ea..ea + size]);
    let v = u64::from_le_bytes(raw);
    match op {
        I32Load | I64Load | I32Load8U | I32Load16U | I64Load8U | I64Load16U | I64Load32U => v,
        I32Load8S => v as u8 as i8 as i32 as u32 as u64,
        I32Load16S => v as u16 as i16 as i32 as u32 as u64,
        I64Load8S => v as u8 as i8 as i64 as u64,
        I64Load16S => v as u16 as i16 as i64 as u64,
        I64Load32S => v as u32 as i32 as i64 as u64,
        _ => unreachable!("{op:?} is not a load"),
    }
}

/// Writes the low bytes of `value`.
#[inline(always)]
pub fn store(op: Opcode, memory: &mut [u8], ea: usize, value: u64) {
    let size = access_size(op);
    memory[ea..ea + size].copy_from_slice(&value.to_le_bytes()[..size]);
}

/// The effective address of an access at `base` (an i32 operand) plus a static `offset`:
/// at most 2^33, so neither it nor `ea + size` can wrap.
#[inline(always)]
fn ea(base: u64, offset: u32) -> usize {
    ((base as u32 as u64) + offset as u64) as usize
}

/// Executes load `op` of the address `base` (the popped operand) plus `offset`: the same as
/// [`effective`] then [`load`], with one bounds check and, for a constant `op`, one move.
#[inline(always)]
pub fn load_at(op: Opcode, memory: &[u8], base: u64, offset: u32) -> Result<u64, Trap> {
    use Opcode::*;
    #[inline(always)]
    fn le<const N: usize>(memory: &[u8], at: usize) -> Result<u64, Trap> {
        let Some(bytes) = memory.get(at..at + N) else {
            return Err(Trap::OutOfBoundsMemory);
        };
        let mut raw = [0u8; 8];
        raw[..N].copy_from_slice(bytes);
        Ok(u64::from_le_bytes(raw))
    }
    let at = ea(base, offset);
    let v = match access_size(op) {
        1 => le::<1>(memory, at)?,
        2 => le::<2>(memory, at)?,
        4 => le::<4>(memory, at)?,
        _ => le::<8>(memory, at)?,
    };
    Ok(match op {
        I32Load8S => v as u8 as i8 as i32 as u32 as u64,
        I32Load16S => v as u16 as i16 as i32 as u32 as u64,
        I64Load8S => v as u8 as i8 as i64 as u64,
        I64Load16S => v as u16 as i16 as i64 as u64,
        I64Load32S => v as u32 as i32 as i64 as u64,
        _ => v,
    })
}

/// Executes store `op` of `value` at `base + offset` (as [`effective`] then [`store`], with
/// one bounds check); returns the effective address.
#[inline(always)]
pub fn store_at(
    op: Opcode,
    memory: &mut [u8],
    base: u64,
    offset: u32,
    value: u64,
) -> Result<usize, Trap> {
    #[inline(always)]
    fn put<const N: usize>(memory: &mut [u8], at: usize, v: u64) -> Result<usize, Trap> {
        let Some(dst) = memory.get_mut(at..at + N) else {
            return Err(Trap::OutOfBoundsMemory);
        };
        dst.copy_from_slice(&v.to_le_bytes()[..N]);
        Ok(at)
    }
    let at = ea(base, offset);
    match access_size(op) {
        1 => put::<1>(memory, at, value),
        2 => put::<2>(memory, at, value),
        4 => put::<4>(memory, at, value),
        _ => put::<8>(memory, at, value),
    }
}
