//! Witnesses of control instructions: the saved frame a call or return touches, the locals
//! or globals leaf, the table element of `call_indirect` (docs/spec/proof-format.md).

use alloy_primitives::B256;

use super::Writer;
use crate::isa::{Instruction, Opcode as O};
use crate::machine::Machine;
use crate::module::Function;

/// Values the instruction pops.
pub(super) fn pops(m: &Machine, ins: Instruction) -> usize {
    match ins.op {
        O::Drop | O::BrIf | O::BrIfZero | O::BrTable | O::LocalSet | O::LocalTee => 1,
        O::GlobalSet => 1,
        O::Nip => 2,
        O::Select => 3,
        O::Call => (ins.b >> 32) as usize,
        O::CallIndirect => 1 + indirect_callee(m, ins).map_or(0, |(_, params, _)| params as usize),
        O::Return => ins.a as usize,
        _ => 0,
    }
}

/// The table leaf `call_indirect` reads, and the callee's (entry pc, params, locals) if the
/// call goes through (no trap on the element or its type).
fn indirect_callee(m: &Machine, ins: Instruction) -> Option<(u32, u32, u32)> {
    let i = *m.stack().last()? as u32 as u64;
    if i >= ins.b {
        return None;
    }
    let f = (*m.module.table.as_ref()?.get(i as usize)?)?;
    let Function::Defined {
        type_index,
        entry_pc,
        num_locals,
    } = m.module.functions[f as usize]
    else {
        return None;
    };
    if m.module.canonical_type[type_index as usize] != ins.a {
        return None;
    }
    let params = m.module.types[type_index as usize].params.len() as u32;
    Some((entry_pc, params, num_locals))
}

/// Writes the instruction's witness.
pub(super) fn witness(m: &Machine, ins: Instruction, w: &mut Writer) {
    match ins.op {
        O::Call | O::Return => frame(m, w),
        O::CallIndirect => {
            let Some(&top) = m.stack().last() else {
                return;
            };
            let i = top as u32 as u64;
            if i >= ins.b {
                return;
            }
            let table = &m.module.proof_trees().table;
            w.leaf_proof(&table.leaf(i as usize), &table.path(i as usize));
            if indirect_callee(m, ins).is_some() {
                frame(m, w);
            }
        }
        O::LocalGet | O::LocalSet | O::LocalTee => {
            let tree = m.cache.locals_tree(m.frames.len());
            let i = (ins.a / 4) as usize;
            w.leaf_proof(&tree.leaf(i), &tree.path(i));
        }
        O::GlobalGet | O::GlobalSet => {
            let tree = m.cache.globals_tree();
            let i = (ins.a / 4) as usize;
            w.leaf_proof(&tree.leaf(i), &tree.path(i));
        }
        _ => {}
    }
}

/// The top saved frame's preimage, if there is one.
fn frame(m: &Machine, w: &mut Writer) {
    let n = m.frames.len();
    if n == 0 {
        return;
    }
    let f = m.frames[n - 1];
    let prev = if n >= 2 {
        m.cache.frame_hash(n - 2)
    } else {
        crate::hash::EMPTY
    };
    let stack = m
        .cache
        .stack_prefix(f.stack_base as usize, m.stack_base as usize);
    let locals: B256 = m
        .cache
        .locals_tree(n - 1)
        .clean_root()
        .expect("hash() left every tree clean");
    w.bytes32(&prev);
    w.u32(n as u32);
    w.u32(f.return_pc);
    w.bytes32(&stack);
    w.bytes32(&locals);
}
