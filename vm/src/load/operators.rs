//! Operator tables of the subset: names, the math opcodes, and what may appear at all.

use wasmparser::Operator;

use crate::isa::Opcode;

/// The wasm name of an operator, for error messages.
pub(crate) fn op_name(op: &Operator) -> String {
    let dbg = format!("{op:?}");
    let end = dbg.find([' ', '{', '(']).unwrap_or(dbg.len());
    dbg[..end].to_string()
}

/// Math opcodes: (flat opcode, values popped, values pushed).
pub(super) fn math_op(op: &Operator) -> Option<(Opcode, u32, u32)> {
    use Opcode as O;
    let unary = |o| Some((o, 1, 1));
    let binary = |o| Some((o, 2, 1));
    match op {
        Operator::I32Eqz => unary(O::I32Eqz),
        Operator::I64Eqz => unary(O::I64Eqz),
        Operator::I32Eq => binary(O::I32Eq),
        Operator::I32Ne => binary(O::I32Ne),
        Operator::I32LtS => binary(O::I32LtS),
        Operator::I32LtU => binary(O::I32LtU),
        Operator::I32GtS => binary(O::I32GtS),
        Operator::I32GtU => binary(O::I32GtU),
        Operator::I32LeS => binary(O::I32LeS),
        Operator::I32LeU => binary(O::I32LeU),
        Operator::I32GeS => binary(O::I32GeS),
        Operator::I32GeU => binary(O::I32GeU),
        Operator::I64Eq => binary(O::I64Eq),
        Operator::I64Ne => binary(O::I64Ne),
        Operator::I64LtS => binary(O::I64LtS),
        Operator::I64LtU => binary(O::I64LtU),
        Operator::I64GtS => binary(O::I64GtS),
        Operator::I64GtU => binary(O::I64GtU),
        Operator::I64LeS => binary(O::I64LeS),
        Operator::I64LeU => binary(O::I64LeU),
        Operator::I64GeS => binary(O::I64GeS),
        Operator::I64GeU => binary(O::I64GeU),
        Operator::I32Clz => unary(O::I32Clz),
        Operator::I32Ctz => unary(O::I32Ctz),
        Operator::I32Popcnt => unary(O::I32Popcnt),
        Operator::I32Add => binary(O::I32Add),
        Operator::I32Sub => binary(O::I32Sub),
        Operator::I32Mul => binary(O::I32Mul),
        Operator::I32DivS => binary(O::I32DivS),
        Operator::I32DivU => binary(O::I32DivU),
        Operator::I32RemS => binary(O::I32RemS),
        Operator::I32RemU => binary(O::I32RemU),
        Operator::I32And => binary(O::I32And),
        Operator::I32Or => binary(O::I32Or),
        Operator::I32Xor => binary(O::I32Xor),
        Operator::I32Shl => binary(O::I32Shl),
        Operator::I32ShrS => binary(O::I32ShrS),
        Operator::I32ShrU => binary(O::I32ShrU),
        Operator::I32Rotl => binary(O::I32Rotl),
        Operator::I32Rotr => binary(O::I32Rotr),
        Operator::I64Clz => unary(O::I64Clz),
        Operator::I64Ctz => unary(O::I64Ctz),
        Operator::I64Popcnt => unary(O::I64Popcnt),
        Operator::I64Add => binary(O::I64Add),
        Operator::I64Sub => binary(O::I64Sub),
        Operator::I64Mul => binary(O::I64Mul),
        Operator::I64DivS => binary(O::I64DivS),
        Operator::I64DivU => binary(O::I64DivU),
        Operator::I64RemS => binary(O::I64RemS),
        Operator::I64RemU => binary(O::I64RemU),
        Operator::I64And => binary(O::I64And),
        Operator::I64Or => binary(O::I64Or),
        Operator::I64Xor => binary(O::I64Xor),
        Operator::I64Shl => binary(O::I64Shl),
        Operator::I64ShrS => binary(O::I64ShrS),
        Operator::I64ShrU => binary(O::I64ShrU),
        Operator::I64Rotl => binary(O::I64Rotl),
        Operator::I64Rotr => binary(O::I64Rotr),
        Operator::I32WrapI64 => unary(O::I32WrapI64),
        Operator::I64ExtendI32S => unary(O::I64ExtendI32S),
        Operator::I64ExtendI32U => unary(O::I64ExtendI32U),
        Operator::I32Extend8S => unary(O::I32Extend8S),
        Operator::I32Extend16S => unary(O::I32Extend16S),
        Operator::I64Extend8S => unary(O::I64Extend8S),
        Operator::I64Extend16S => unary(O::I64Extend16S),
        Operator::I64Extend32S => unary(O::I64Extend32S),
        _ => None,
    }
}

/// Whether the machine runs `op` (checked even in unreachable code, which is not emitted).
pub(super) fn supported(op: &Operator) -> bool {
    math_op(op).is_some()
        || matches!(
            op,
            Operator::Unreachable
                | Operator::Nop
                | Operator::Br { .. }
                | Operator::BrIf { .. }
                | Operator::BrTable { .. }
                | Operator::Return
                | Operator::Call { .. }
                | Operator::CallIndirect { table_index: 0, .. }
                | Operator::Drop
                | Operator::Select
                | Operator::LocalGet { .. }
                | Operator::LocalSet { .. }
                | Operator::LocalTee { .. }
                | Operator::GlobalGet { .. }
                | Operator::GlobalSet { .. }
                | Operator::I32Load { .. }
                | Operator::I64Load { .. }
                | Operator::I32Load8S { .. }
                | Operator::I32Load8U { .. }
                | Operator::I32Load16S { .. }
                | Operator::I32Load16U { .. }
                | Operator::I64Load8S { .. }
                | Operator::I64Load8U { .. }
                | Operator::I64Load16S { .. }
                | Operator::I64Load16U { .. }
                | Operator::I64Load32S { .. }
                | Operator::I64Load32U { .. }
                | Operator::I32Store { .. }
                | Operator::I64Store { .. }
                | Operator::I32Store8 { .. }
                | Operator::I32Store16 { .. }
                | Operator::I64Store8 { .. }
                | Operator::I64Store16 { .. }
                | Operator::I64Store32 { .. }
                | Operator::MemorySize { mem: 0 }
                | Operator::MemoryGrow { mem: 0 }
                | Operator::I32Const { .. }
                | Operator::I64Const { .. }
        )
}
