//! Math-class semantics: integer arithmetic, comparisons, bit operations, conversions.
//!
//! Values are 64-bit slots; an i32 is held zero-extended, so every i32 result is masked.

use crate::error::Trap;
use crate::isa::Opcode;

#[inline(always)]
fn b(x: bool) -> u64 {
    x as u64
}

#[inline(always)]
fn w(x: u32) -> u64 {
    x as u64
}

/// A unary math op on `a`.
#[inline(always)]
pub fn unary(op: Opcode, a: u64) -> u64 {
    use Opcode::*;
    let a32 = a as u32;
    match op {
        I32Eqz => b(a32 == 0),
        I64Eqz => b(a == 0),
        I32Clz => w(a32.leading_zeros()),
        I32Ctz => w(a32.trailing_zeros()),
        I32Popcnt => w(a32.count_ones()),
        I64Clz => a.leading_zeros() as u64,
        I64Ctz => a.trailing_zeros() as u64,
        I64Popcnt => a.count_ones() as u64,
        I32WrapI64 => w(a32),
        I64ExtendI32S => a32 as i32 as i64 as u64,
        I64ExtendI32U => w(a32),
        I32Extend8S => w(a as u8 as i8 as i32 as u32),
        I32Extend16S => w(a as u16 as i16 as i32 as u32),
        I64Extend8S => a as u8 as i8 as i64 as u64,
        I64Extend16S => a as u16 as i16 as i64 as u64,
        I64Extend32S => a as u32 as i32 as i64 as u64,
        _ => unreachable!("{op:?} is not a unary math op"),
    }
}

/// A binary math op on `a` (deeper) and `c` (top).
#[inline(always)]
pub fn binary(op: Opcode, a: u64, c: u64) -> Result<u64, Trap> {
    use Opcode::*;
    let (x, y) = (a as u32, c as u32);
    let (xs, ys) = (x as i32, y as i32);
    let (ls, rs) = (a as i64, c as i64);
    Ok(match op {
        I32Eq => b(x == y),
        I32Ne => b(x != y),
        I32LtS => b(xs < ys),
        I32LtU => b(x < y),
        I32GtS => b(xs > ys),
        I32GtU => b(x > y),
        I32LeS => b(xs <= ys),
        I32LeU => b(x <= y),
        I32GeS => b(xs >= ys),
        I32GeU => b(x >= y),
        I64Eq => b(a == c),
        I64Ne => b(a != c),
        I64LtS => b(ls < rs),
        I64LtU => b(a < c),
        I64GtS => b(ls > rs),
        I64GtU => b(a > c),
        I64LeS => b(ls <= rs),
        I64LeU => b(a <= c),
        I64GeS => b(ls >= rs),
        I64GeU => b(a >= c),
        I32Add => w(x.wrapping_add(y)),
        I32Sub => w(x.wrapping_sub(y)),
        I32Mul => w(x.wrapping_mul(y)),
        I32DivS => {
            if y == 0 {
                return Err(Trap::DivideByZero);
            }
            if xs == i32::MIN && ys == -1 {
                return Err(Trap::IntegerOverflow);
            }
            w((xs / ys) as u32)
        }
        I32DivU => w(x.checked_div(y).ok_or(Trap::DivideByZero)?),
        I32RemS => {
            if y == 0 {
                return Err(Trap::DivideByZero);
            }
            w(xs.wrapping_rem(ys) as u32)
        }
        I32RemU => w(x.checked_rem(y).ok_or(Trap::DivideByZero)?),
        I32And => w(x & y),
        I32Or => w(x | y),
        I32Xor => w(x ^ y),
        I32Shl => w(x.wrapping_shl(y)),
        I32ShrS => w(xs.wrapping_shr(y) as u32),
        I32ShrU => w(x.wrapping_shr(y)),
        I32Rotl => w(x.rotate_left(y & 31)),
        I32Rotr => w(x.rotate_right(y & 31)),
        I64Add => a.wrapping_add(c),
        I64Sub => a.wrapping_sub(c),
        I64Mul => a.wrapping_mul(c),
        I64DivS => {
            if c == 0 {
                return Err(Trap::DivideByZero);
            }
            if ls == i64::MIN && rs == -1 {
                return Err(Trap::IntegerOverflow);
            }
            (ls / rs) as u64
        }
        I64DivU => a.checked_div(c).ok_or(Trap::DivideByZero)?,
        I64RemS => {
            if c == 0 {
                return Err(Trap::DivideByZero);
            }
            ls.wrapping_rem(rs) as u64
        }
        I64RemU => a.checked_rem(c).ok_or(Trap::DivideByZero)?,
        I64And => a & c,
        I64Or => a | c,
        I64Xor => a ^ c,
        I64Shl => a.wrapping_shl(c as u32),
        I64ShrS => ls.wrapping_shr(c as u32) as u64,
        I64ShrU => a.wrapping_shr(c as u32),
        I64Rotl => a.rotate_left((c & 63) as u32),
        I64Rotr => a.rotate_right((c & 63) as u32),
        _ => unreachable!("{op:?} is not a binary math op"),
    })
}
