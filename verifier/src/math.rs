//! Integer math (mirrors `contracts/src/osp/ProverMath.sol`): unary and binary operations on
//! the top of the stack; division traps.
//!
//! The operations are written here again, the way `ProverMath.sol` writes them (wide
//! arithmetic masked to the width, signed views by casts, SWAR popcount), and never taken from
//! the machine: a bug in the machine's math must show up as a disagreement with this file.

use fuse_primitives::isa::{Instruction, Opcode};

use crate::machine::{Machine, STATUS_ERRORED};
use crate::proof::Decoder;
use crate::{VerifyContext, VerifyError};

/// The low 32 bits of a slot.
const M32: u64 = 0xffff_ffff;

/// Executes one math-class instruction.
pub fn execute_one_step(
    _ctx: &dyn VerifyContext,
    mach: &mut Machine,
    inst: Instruction,
    _d: &mut Decoder,
) -> Result<(), VerifyError> {
    if is_unary(inst.op) {
        execute_unary(mach, inst)
    } else {
        execute_binary(mach, inst)
    }
}

/// Whether a math opcode takes one operand.
pub fn is_unary(op: Opcode) -> bool {
    // Which ops take one operand is the ISA's to say (docs/spec/isa.md), not the machine's.
    op.is_unary_math()
}

fn execute_unary(mach: &mut Machine, inst: Instruction) -> Result<(), VerifyError> {
    let a = mach.stack.pop()?;
    mach.stack.push(unary_op(inst.op, a));
    Ok(())
}

fn execute_binary(mach: &mut Machine, inst: Instruction) -> Result<(), VerifyError> {
    let b = mach.stack.pop()?;
    let a = mach.stack.pop()?;
    match binary_op(inst.op, a, b) {
        Some(r) => mach.stack.push(r),
        // Division by zero or signed overflow: the machine traps.
        None => mach.status = STATUS_ERRORED,
    }
    Ok(())
}

/// A unary op on `a`.
pub fn unary_op(op: Opcode, a: u64) -> u64 {
    use Opcode::*;
    let a32 = a & M32;
    match op {
        I32Eqz => (a32 == 0) as u64,
        I64Eqz => (a == 0) as u64,
        I32Clz => clz(a32) - 32,
        I32Ctz => ctz(a32, 32),
        I32Popcnt => popcnt(a32),
        I64Clz => clz(a),
        I64Ctz => ctz(a, 64),
        I64Popcnt => popcnt(a),
        I32WrapI64 | I64ExtendI32U => a32,
        I64ExtendI32S => a32 as u32 as i32 as i64 as u64,
        I32Extend8S => (a as u8 as i8 as i32 as u32) as u64,
        I32Extend16S => (a as u16 as i16 as i32 as u32) as u64,
        I64Extend8S => a as u8 as i8 as i64 as u64,
        I64Extend16S => a as u16 as i16 as i64 as u64,
        I64Extend32S => a as u32 as i32 as i64 as u64,
        _ => unreachable!("{op:?} is not a unary math op"),
    }
}

/// `a op b` with `a` the deeper operand; `None` for division by zero and signed overflow.
pub fn binary_op(op: Opcode, a: u64, b: u64) -> Option<u64> {
    let v = op as u16;
    if v <= Opcode::I32GeU as u16 {
        Some(cmp32(op, a as u32, b as u32) as u64)
    } else if v <= Opcode::I64GeU as u16 {
        Some(cmp64(op, a, b) as u64)
    } else if v <= Opcode::I32Rotr as u16 {
        bin32(op, a as u32, b as u32)
    } else {
        bin64(op, a, b)
    }
}

fn cmp32(op: Opcode, x: u32, y: u32) -> bool {
    use Opcode::*;
    let (sx, sy) = (x as i32, y as i32);
    match op {
        I32Eq => x == y,
        I32Ne => x != y,
        I32LtS => sx < sy,
        I32LtU => x < y,
        I32GtS => sx > sy,
        I32GtU => x > y,
        I32LeS => sx <= sy,
        I32LeU => x <= y,
        I32GeS => sx >= sy,
        I32GeU => x >= y,
        _ => unreachable!("{op:?} is not an i32 comparison"),
    }
}

fn cmp64(op: Opcode, x: u64, y: u64) -> bool {
    use Opcode::*;
    let (sx, sy) = (x as i64, y as i64);
    match op {
        I64Eq => x == y,
        I64Ne => x != y,
        I64LtS => sx < sy,
        I64LtU => x < y,
        I64GtS => sx > sy,
        I64GtU => x > y,
        I64LeS => sx <= sy,
        I64LeU => x <= y,
        I64GeS => sx >= sy,
        I64GeU => x >= y,
        _ => unreachable!("{op:?} is not an i64 comparison"),
    }
}

/// i32 arithmetic in a wider integer, masked to 32 bits at the end.
fn bin32(op: Opcode, x: u32, y: u32) -> Option<u64> {
    use Opcode::*;
    let (wx, wy) = (x as u128, y as u128);
    let s = y & 31;
    let r: u128 = match op {
        I32Add => wx + wy,
        I32Sub => wx + (1 << 32) - wy,
        I32Mul => wx * wy,
        I32DivS => {
            if y == 0 || (x == 0x8000_0000 && y == u32::MAX) {
                return None;
            }
            ((x as i32) / (y as i32)) as u32 as u128
        }
        I32DivU => (x.checked_div(y)?) as u128,
        I32RemS => {
            if y == 0 {
                return None;
            }
            // MIN rem -1 is 0 (and would overflow as a division).
            if y == u32::MAX {
                0
            } else {
                ((x as i32) % (y as i32)) as u32 as u128
            }
        }
        I32RemU => (x.checked_rem(y)?) as u128,
        I32And => wx & wy,
        I32Or => wx | wy,
        I32Xor => wx ^ wy,
        I32Shl => wx << s,
        I32ShrS => ((x as i32) >> s) as u32 as u128,
        I32ShrU => wx >> s,
        I32Rotl => (wx << s) | (wx >> (32 - s)),
        I32Rotr => (wx >> s) | (wx << (32 - s)),
        _ => unreachable!("{op:?} is not i32 arithmetic"),
    };
    Some((r & M32 as u128) as u64)
}

/// i64 arithmetic in a wider integer, masked to 64 bits at the end.
fn bin64(op: Opcode, x: u64, y: u64) -> Option<u64> {
    use Opcode::*;
    let (wx, wy) = (x as u128, y as u128);
    let s = (y & 63) as u32;
    let r: u128 = match op {
        I64Add => wx + wy,
        I64Sub => wx + (1 << 64) - wy,
        // The full product needs 128 bits; only the low 64 are kept.
        I64Mul => wx.wrapping_mul(wy),
        I64DivS => {
            if y == 0 || (x == 1 << 63 && y == u64::MAX) {
                return None;
            }
            ((x as i64) / (y as i64)) as u64 as u128
        }
        I64DivU => (x.checked_div(y)?) as u128,
        I64RemS => {
            if y == 0 {
                return None;
            }
            if y == u64::MAX {
                0
            } else {
                ((x as i64) % (y as i64)) as u64 as u128
            }
        }
        I64RemU => (x.checked_rem(y)?) as u128,
        I64And => wx & wy,
        I64Or => wx | wy,
        I64Xor => wx ^ wy,
        I64Shl => wx << s,
        I64ShrS => ((x as i64) >> s) as u64 as u128,
        I64ShrU => wx >> s,
        I64Rotl => (wx << s) | (wx >> (64 - s)),
        I64Rotr => (wx >> s) | (wx << (64 - s)),
        _ => unreachable!("{op:?} is not i64 arithmetic"),
    };
    Some((r & u64::MAX as u128) as u64)
}

/// Leading zeros of `x` as a 64-bit integer, by halving (64 for zero).
fn clz(x: u64) -> u64 {
    if x == 0 {
        return 64;
    }
    let (mut n, mut v) = (0, x);
    for width in [32u32, 16, 8, 4, 2, 1] {
        if v >> (64 - width) == 0 {
            n += width as u64;
            v <<= width;
        }
    }
    n
}

/// Trailing zeros of `x` as a `width`-bit integer (`width` for zero): the position of the
/// lowest set bit, which `x & -x` isolates.
fn ctz(x: u64, width: u64) -> u64 {
    if x == 0 {
        return width;
    }
    63 - clz(x & x.wrapping_neg())
}

/// Set bits of a 64-bit value (the classic SWAR count).
fn popcnt(x: u64) -> u64 {
    let x = x - ((x >> 1) & 0x5555_5555_5555_5555);
    let x = (x & 0x3333_3333_3333_3333) + ((x >> 2) & 0x3333_3333_3333_3333);
    let x = (x + (x >> 4)) & 0x0f0f_0f0f_0f0f_0f0f;
    x.wrapping_mul(0x0101_0101_0101_0101) >> 56
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_counts_at_the_edges() {
        assert_eq!(unary_op(Opcode::I32Clz, 0), 32);
        assert_eq!(unary_op(Opcode::I32Clz, 1), 31);
        assert_eq!(unary_op(Opcode::I32Clz, 0xffff_ffff_8000_0000), 0);
        assert_eq!(unary_op(Opcode::I64Clz, 0), 64);
        assert_eq!(unary_op(Opcode::I64Clz, u64::MAX), 0);
        assert_eq!(unary_op(Opcode::I32Ctz, 0), 32);
        assert_eq!(unary_op(Opcode::I32Ctz, 1 << 32), 32);
        assert_eq!(unary_op(Opcode::I64Ctz, 1 << 63), 63);
        assert_eq!(unary_op(Opcode::I64Popcnt, u64::MAX), 64);
        assert_eq!(unary_op(Opcode::I32Popcnt, u64::MAX), 32);
    }

    #[test]
    fn traps_and_wraps() {
        assert_eq!(binary_op(Opcode::I32DivS, 0x8000_0000, 0xffff_ffff), None);
        assert_eq!(
            binary_op(Opcode::I32RemS, 0x8000_0000, 0xffff_ffff),
            Some(0)
        );
        assert_eq!(binary_op(Opcode::I64DivU, 5, 0), None);
        assert_eq!(binary_op(Opcode::I32Sub, 0, 1), Some(0xffff_ffff));
        assert_eq!(binary_op(Opcode::I64Sub, 0, 1), Some(u64::MAX));
        assert_eq!(binary_op(Opcode::I64Mul, u64::MAX, u64::MAX), Some(1));
        assert_eq!(binary_op(Opcode::I32Rotl, 0x8000_0001, 1), Some(3));
        assert_eq!(binary_op(Opcode::I64Rotr, 1, 0), Some(1));
        assert_eq!(binary_op(Opcode::I32Shl, 1, 33), Some(2));
    }
}
