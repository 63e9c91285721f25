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
