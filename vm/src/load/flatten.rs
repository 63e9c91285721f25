//! Lowers structured control flow to the flat ISA and assembles the [`Module`].
//!
//! Each function's body becomes a run of flat instructions with absolute jump targets. A
//! callee starts with an empty value stack of its own (the caller's is saved in its frame), so
//! `return` never cleans up; a branch that leaves a block cleans up with `drop` (no result) or
//! `nip` (one result) as many times as the static stack height says. Unreachable code is not
//! emitted.

use std::collections::BTreeMap;

use wasmparser::{BlockType, Operator};

use super::sections::{Parsed, ParsedFunc};
use crate::error::{LoadError, Trap};
use crate::isa::{Instruction, Opcode};
use crate::module::{Function, MemoryLimits, Module, locals_depth, tree_depth};

/// Most flat instructions a module may have.
pub const MAX_CODE: usize = 1 << 24;
/// Most locals (params included) a function may have.
pub const MAX_LOCALS: u32 = 50_000;

/// The wasm name of an operator, for error messages.
pub(super) fn op_name(op: &Operator) -> String {
    let dbg = format!("{op:?}");
    let end = dbg.find([' ', '{', '(']).unwrap_or(dbg.len());
    dbg[..end].to_string()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Block,
    Loop,
    If,
    Function,
}

struct Ctl {
    kind: Kind,
    /// Operand-stack height when the construct was entered.
    height: u32,
    /// Values the construct leaves (0 or 1).
    arity: u32,
    /// Where a branch to a loop goes.
    loop_pc: u32,
    /// Forward branches to patch with the end's pc.
    patches: Vec<usize>,
    /// An `if`'s jump to its `else` (or end), until patched.
    else_patch: Option<usize>,
    /// The construct was entered in unreachable code.
    dead_at_entry: bool,
}

struct FuncCompiler<'m> {
    code: &'m mut Vec<Instruction>,
    call_patches: &'m mut Vec<(usize, u32)>,
    parsed: &'m Parsed<'m>,
    func_index: u32,
    table_size: u32,
    table_depth: u8,
    memory_depth: u8,
    max_pages: u32,
    globals_depth: u8,
    num_locals: u32,
    ctls: Vec<Ctl>,
    height: u32,
    unreachable: bool,
    canonical: &'m [u32],
}

impl FuncCompiler<'_> {
    fn pc(&self) -> u32 {
        self.code.len() as u32
    }

    fn emit(&mut self, i: Instruction) -> usize {
        self.code.push(i);
        self.code.len() - 1
    }

    fn op(&mut self, op: Opcode) {
        self.emit(Instruction::simple(op));
    }

    fn with(&mut self, op: Opcode, a: u32, b: u64, depth: u8) -> usize {
        self.emit(Instruction { op, depth, a, b })
    }

    fn outside(&self, what: String, offset: u64) -> LoadError {
        LoadError::OutsideSubset {
            what,
            func: Some(self.func_index),
            offset,
        }
    }

    fn block_arity(&self, bt: BlockType, offset: u64) -> Result<u32, LoadError> {
        match bt {
            BlockType::Empty => Ok(0),
            BlockType::Type(wasmparser::ValType::I32 | wasmparser::ValType::I64) => Ok(1),
            BlockType::Type(t) => Err(self.outside(format!("block type {t}"), offset)),
            BlockType::FuncType(_) => {
                Err(self.outside("block with a function type (multi-value)".into(), offset))
            }
        }
    }

    fn pop(&mut self, n: u32) {
        self.height = self.height.saturating_sub(n);
    }

    /// Cleans the stack for a branch to the construct `depth` labels out, then branches.
    /// Returns the index of a forward `br` to patch, if the target is a block's end.
    fn branch(&mut self, depth: u32) {
        let target = self.ctls.len() - 1 - depth as usize;
        let ctl = &self.ctls[target];
        if ctl.kind == Kind::Function {
            let arity = ctl.arity;
            self.with(Opcode::Return, arity, 0, 0);
            return;
        }
        let arity = if ctl.kind == Kind::Loop { 0 } else { ctl.arity };
        let drops = self.height.saturating_sub(ctl.height + arity);
        let cleanup = if arity == 0 {
            Opcode::Drop
        } else {
            Opcode::Nip
        };
        for _ in 0..drops {
            self.op(cleanup);
        }
        if self.ctls[target].kind == Kind::Loop {
            let pc = self.ctls[target].loop_pc;
            self.with(Opcode::Br, pc, 0, 0);
        } else {
            let at = self.with(Opcode::Br, 0, 0, 0);
            self.ctls[target].patches.push(at);
        }
    }

    /// Whether a branch `depth` labels out needs no cleanup and no return, so a single
    /// conditional jump can take it.
    fn direct_target(&self, depth: u32) -> bool {
        let ctl = &self.ctls[self.ctls.len() - 1 - depth as usize];
        let arity = if ctl.kind == Kind::Loop { 0 } else { ctl.arity };
        ctl.kind != Kind::Function && self.height == ctl.height + arity
    }

    /// Emits `op` (a conditional or table jump) aimed at the construct `depth` labels out.
    fn jump_to(&mut self, op: Opcode, depth: u32) {
        let target = self.ctls.len() - 1 - depth as usize;
        if self.ctls[target].kind == Kind::Loop {
            let pc = self.ctls[target].loop_pc;
            self.with(op, pc, 0, 0);
        } else {
            let at = self.with(op, 0, 0, 0);
            self.ctls[target].patches.push(at);
        }
    }

    fn patch(&mut self, at: usize, pc: u32) {
        self.code[at].a = pc;
    }

    fn mem_op(
        &mut self,
        op: Opcode,
        memarg: &wasmparser::MemArg,
        pops: u32,
        pushes: u32,
        offset: u64,
    ) -> Result<(), LoadError> {
        if memarg.target != wasmparser::MemArgTarget::Memory(0) {
            return Err(self.outside("multi-memory access".into(), offset));
        }
        let static_offset = u32::try_from(memarg.offset)
            .map_err(|_| self.outside("memory offset beyond 32 bits (memory64)".into(), offset))?;
        let depth = self.memory_depth;
        self.with(op, static_offset, 0, depth);
        self.pop(pops);
        self.height += pushes;
        Ok(())
    }

    fn call(&mut self, callee: u32) {
        let parsed = self.parsed;
        let (params, results, host) = match &parsed.functions[callee as usize] {
            ParsedFunc::Host(h, t) => {
                let ty = &parsed.types[*t as usize];
                (ty.params.len() as u32, ty.results.len() as u32, Some(*h))
            }
            ParsedFunc::Defined(t) => {
                let ty = &parsed.types[*t as usize];
                (ty.params.len() as u32, ty.results.len() as u32, None)
            }
        };
        match host {
            Some(h) => {
                self.op(h.opcode());
            }
            None => {
                let at = self.with(Opcode::Call, 0, 0, 0);
                self.call_patches.push((at, callee));
            }
        }
        self.pop(params);
        self.height += results;
    }

    fn compile(&mut self, body: &wasmparser::FunctionBody, results: u32) -> Result<(), LoadError> {
        let invalid = |e: wasmparser::BinaryReaderError| LoadError::Invalid {
            message: e.message().to_string(),
            offset: e.offset(),
        };
        self.ctls.push(Ctl {
            kind: Kind::Function,
            height: 0,
            arity: results,
            loop_pc: 0,
            patches: Vec::new(),
            else_patch: None,
            dead_at_entry: false,
        });
        let mut reader = body.get_operators_reader().map_err(invalid)?;
        while !reader.eof() {
            let (op, offset) = reader.read_with_offset().map_err(invalid)?;
            if self.code.len() >= MAX_CODE {
                return Err(LoadError::Limit(format!(
                    "more than {MAX_CODE} flat instructions"
                )));
            }
            self.operator(op, offset)?;
        }
        Ok(())
    }

    fn operator(&mut self, op: Operator, offset: u64) -> Result<(), LoadError> {
        use Opcode as O;
        // Structure is tracked in unreachable code too; nothing else is emitted there.
        match op {
            Operator::Block { blockty } | Operator::Loop { blockty } | Operator::If { blockty } => {
                let arity = self.block_arity(blockty, offset)?;
                let kind = match op {
                    Operator::Block { .. } => Kind::Block,
                    Operator::Loop { .. } => Kind::Loop,
                    _ => Kind::If,
                };
                let mut else_patch = None;
                if kind == Kind::If && !self.unreachable {
                    self.pop(1);
                    else_patch = Some(self.with(O::BrIfZero, 0, 0, 0));
                }
                let loop_pc = self.pc();
                self.ctls.push(Ctl {
                    kind,
                    height: self.height,
                    arity,
                    loop_pc,
                    patches: Vec::new(),
                    else_patch,
                    dead_at_entry: self.unreachable,
                });
                return Ok(());
            }
            Operator::Else => {
                let reachable_end = !self.unreachable;
                if reachable_end {
                    let at = self.with(O::Br, 0, 0, 0);
                    self.ctls.last_mut().expect("validated").patches.push(at);
                }
                let pc = self.pc();
                let ctl = self.ctls.last_mut().expect("validated");
                let else_patch = ctl.else_patch.take();
                self.height = ctl.height;
                self.unreachable = ctl.dead_at_entry;
                if let Some(at) = else_patch {
                    self.patch(at, pc);
                }
                return Ok(());
            }
            Operator::End => {
                let ctl = self.ctls.pop().expect("validated");
                if ctl.kind == Kind::Function {
                    if !self.unreachable {
                        self.with(O::Return, ctl.arity, 0, 0);
                    }
                    return Ok(());
                }
                let pc = self.pc();
                if let Some(at) = ctl.else_patch {
                    self.patch(at, pc);
                }
                for at in ctl.patches {
                    self.patch(at, pc);
                }
                self.height = ctl.height + ctl.arity;
                self.unreachable = ctl.dead_at_entry;
                return Ok(());
            }
            _ => {}
        }
        if self.unreachable {
            // Still reject what the machine cannot run, even in dead code.
            return self.check_supported(&op, offset);
        }
        match op {
            Operator::Unreachable => {
                self.op(O::Unreachable);
                self.unreachable = true;
            }
            Operator::Nop => {}
            Operator::Br { relative_depth } => {
                self.branch(relative_depth);
                self.unreachable = true;
            }
            Operator::BrIf { relative_depth } => {
                self.pop(1);
                if self.direct_target(relative_depth) {
                    self.jump_to(O::BrIf, relative_depth);
                } else {
                    let skip = self.with(O::BrIfZero, 0, 0, 0);
                    self.branch(relative_depth);
                    let pc = self.pc();
                    self.patch(skip, pc);
                }
            }
            Operator::BrTable { targets } => {
                self.pop(1);
                let mut all = Vec::new();
                for t in targets.targets() {
                    all.push(t.map_err(|e| LoadError::Invalid {
                        message: e.message().to_string(),
                        offset: e.offset(),
                    })?);
                }
                all.push(targets.default());
                let n = all.len() as u32 - 1;
                let base = self.pc() + 1;
                self.with(O::BrTable, base, n as u64, 0);
                let mut slots = Vec::new();
                for _ in &all {
                    slots.push(self.with(O::Br, 0, 0, 0));
                }
                // Targets that need cleanup or a return get a stub; the rest are jumped to.
                let mut stubs: BTreeMap<u32, u32> = BTreeMap::new();
                for (slot, &depth) in slots.iter().zip(&all) {
                    if self.direct_target(depth) {
                        let target = self.ctls.len() - 1 - depth as usize;
                        if self.ctls[target].kind == Kind::Loop {
                            let pc = self.ctls[target].loop_pc;
                            self.patch(*slot, pc);
                        } else {
                            self.ctls[target].patches.push(*slot);
                        }
                    } else if let Some(&stub) = stubs.get(&depth) {
                        self.patch(*slot, stub);
                    } else {
                        let stub = self.pc();
                        self.branch(depth);
                        stubs.insert(depth, stub);
                        self.patch(*slot, stub);
                    }
                }
                self.unreachable = true;
            }
            Operator::Return => {
                let arity = self.ctls[0].arity;
                self.with(O::Return, arity, 0, 0);
                self.unreachable = true;
            }
            Operator::Call { function_index } => self.call(function_index),
            Operator::CallIndirect {
                type_index,
                table_index,
            } => {
                if table_index != 0 {
                    return Err(self.outside("call_indirect on a second table".into(), offset));
                }
                let ty = &self.parsed.types[type_index as usize];
                let (params, results) = (ty.params.len() as u32, ty.results.len() as u32);
                let (canonical, size, depth) = (
                    self.canonical[type_index as usize],
                    self.table_size,
                    self.table_depth,
                );
                self.with(O::CallIndirect, canonical, size as u64, depth);
                self.pop(1 + params);
                self.height += results;
            }
            Operator::Drop => {
                self.op(O::Drop);
                self.pop(1);
            }
            Operator::Select => {
                self.op(O::Select);
                self.pop(2);
            }
            Operator::LocalGet { local_index } => {
                let d = locals_depth(self.num_locals);
                self.with(O::LocalGet, local_index, 0, d);
                self.height += 1;
            }
            Operator::LocalSet { local_index } => {
                let d = locals_depth(self.num_locals);
                self.with(O::LocalSet, local_index, 0, d);
                self.pop(1);
            }
            Operator::LocalTee { local_index } => {
                let d = locals_depth(self.num_locals);
                self.with(O::LocalTee, local_index, 0, d);
            }
            Operator::GlobalGet { global_index } => {
                let d = self.globals_depth;
                self.with(O::GlobalGet, global_index, 0, d);
                self.height += 1;
            }
            Operator::GlobalSet { global_index } => {
                let d = self.globals_depth;
                self.with(O::GlobalSet, global_index, 0, d);
                self.pop(1);
            }
            Operator::I32Load { memarg } => self.mem_op(O::I32Load, &memarg, 1, 1, offset)?,
            Operator::I64Load { memarg } => self.mem_op(O::I64Load, &memarg, 1, 1, offset)?,
            Operator::I32Load8S { memarg } => self.mem_op(O::I32Load8S, &memarg, 1, 1, offset)?,
            Operator::I32Load8U { memarg } => self.mem_op(O::I32Load8U, &memarg, 1, 1, offset)?,
            Operator::I32Load16S { memarg } => self.mem_op(O::I32Load16S, &memarg, 1, 1, offset)?,
            Operator::I32Load16U { memarg } => self.mem_op(O::I32Load16U, &memarg, 1, 1, offset)?,
            Operator::I64Load8S { memarg } => self.mem_op(O::I64Load8S, &memarg, 1, 1, offset)?,
            Operator::I64Load8U { memarg } => self.mem_op(O::I64Load8U, &memarg, 1, 1, offset)?,
            Operator::I64Load16S { memarg } => self.mem_op(O::I64Load16S, &memarg, 1, 1, offset)?,
            Operator::I64Load16U { memarg } => self.mem_op(O::I64Load16U, &memarg, 1, 1, offset)?,
            Operator::I64Load32S { memarg } => self.mem_op(O::I64Load32S, &memarg, 1, 1, offset)?,
            Operator::I64Load32U { memarg } => self.mem_op(O::I64Load32U, &memarg, 1, 1, offset)?,
            Operator::I32Store { memarg } => self.mem_op(O::I32Store, &memarg, 2, 0, offset)?,
            Operator::I64Store { memarg } => self.mem_op(O::I64Store, &memarg, 2, 0, offset)?,
            Operator::I32Store8 { memarg } => self.mem_op(O::I32Store8, &memarg, 2, 0, offset)?,
            Operator::I32Store16 { memarg } => self.mem_op(O::I32Store16, &memarg, 2, 0, offset)?,
            Operator::I64Store8 { memarg } => self.mem_op(O::I64Store8, &memarg, 2, 0, offset)?,
            Operator::I64Store16 { memarg } => self.mem_op(O::I64Store16, &memarg, 2, 0, offset)?,
            Operator::I64Store32 { memarg } => self.mem_op(O::I64Store32, &memarg, 2, 0, offset)?,
            Operator::MemorySize { mem } => {
                if mem != 0 {
                    return Err(self.outside("multi-memory".into(), offset));
                }
                self.op(O::MemorySize);
                self.height += 1;
            }
            Operator::MemoryGrow { mem } => {
                if mem != 0 {
                    return Err(self.outside("multi-memory".into(), offset));
                }
                let (max, depth) = (self.max_pages, self.memory_depth);
                self.with(O::MemoryGrow, max, 0, depth);
            }
            Operator::I32Const { value } => {
                self.with(O::Const, 0, value as u32 as u64, 0);
                self.height += 1;
            }
            Operator::I64Const { value } => {
                self.with(O::Const, 0, value as u64, 0);
                self.height += 1;
            }
            other => {
                let Some((opcode, pops, pushes)) = math_op(&other) else {
                    return Err(self.outside(format!("opcode {}", op_name(&other)), offset));
                };
                self.op(opcode);
                self.pop(pops);
                self.height += pushes;
            }
        }
        Ok(())
    }

    fn check_supported(&self, op: &Operator, offset: u64) -> Result<(), LoadError> {
        let supported = math_op(op).is_some()
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
            );
        if supported {
            Ok(())
        } else {
            Err(self.outside(format!("opcode {}", op_name(op)), offset))
        }
    }
}

/// Math opcodes: (flat opcode, values popped, values pushed).
fn math_op(op: &Operator) -> Option<(Opcode, u32, u32)> {
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

/// Assembles the module: synthetic entry, function bodies, call targets, table, globals,
/// memory, depths and the module root.
pub(super) fn build(p: Parsed) -> Result<Module, LoadError> {
    let invalid = |e: wasmparser::BinaryReaderError| LoadError::Invalid {
        message: e.message().to_string(),
        offset: e.offset(),
    };
    // Canonical type ids: structurally equal types share the id of the first one.
    let mut canonical = Vec::with_capacity(p.types.len());
    for (i, t) in p.types.iter().enumerate() {
        let first = p.types.iter().position(|u| u == t).unwrap_or(i);
        canonical.push(first as u32);
    }

    let (memory, memory_depth) = match p.memory {
        Some((initial, max)) => {
            let max_pages = max
                .unwrap_or(crate::MAX_MEMORY_PAGES)
                .min(crate::MAX_MEMORY_PAGES);
            if initial > max_pages {
                return Err(LoadError::Limit(format!("memory of {initial} pages")));
            }
            let depth = tree_depth(max_pages.max(1) as u64 * crate::LEAVES_PER_PAGE);
            (
                Some(MemoryLimits {
                    initial_pages: initial,
                    max_pages,
                }),
                depth,
            )
        }
        None => (None, 0),
    };
    let table_size = p.table.as_ref().map(|t| t.initial).unwrap_or(0);
    if table_size > crate::MAX_TABLE_SIZE {
        return Err(LoadError::Limit(format!("table of {table_size} elements")));
    }
    let table_depth = tree_depth(table_size as u64);
    let globals_depth = tree_depth((p.globals.len() as u64).div_ceil(4));

    let mut code = Vec::new();
    let mut call_patches = Vec::new();
    // The synthetic entry: start function, then the guest entry, then finish.
    let mut entry_calls = Vec::new();
    if let Some(start) = p.start {
        entry_calls.push(start);
    }
    let exports: BTreeMap<String, crate::module::Export> = p.exports.iter().cloned().collect();
    if let Some(crate::module::Export::Func(f)) = exports.get(super::ENTRY_EXPORT) {
        let t = match &p.functions[*f as usize] {
            ParsedFunc::Host(_, t) | ParsedFunc::Defined(t) => *t,
        };
        let ty = &p.types[t as usize];
        if !ty.params.is_empty() || !ty.results.is_empty() {
            return Err(LoadError::Unlinkable(format!(
                "export {} must have type () -> ()",
                super::ENTRY_EXPORT
            )));
        }
        entry_calls.push(*f);
    }
    for f in entry_calls {
        match &p.functions[f as usize] {
            ParsedFunc::Host(h, _) => code.push(Instruction::simple(h.opcode())),
            ParsedFunc::Defined(_) => {
                call_patches.push((code.len(), f));
                code.push(Instruction::simple(Opcode::Call));
            }
        }
    }
    let finish_pc = code.len() as u32;
    code.push(Instruction::simple(Opcode::Finish));

    let mut functions: Vec<Function> = p
        .functions
        .iter()
        .map(|f| match f {
            ParsedFunc::Host(host, t) => Function::Host {
                host: *host,
                type_index: *t,
            },
            ParsedFunc::Defined(t) => Function::Defined {
                type_index: *t,
                entry_pc: 0,
                num_locals: 0,
            },
        })
        .collect();

    for (body, index) in &p.bodies {
        let ParsedFunc::Defined(t) = p.functions[*index as usize] else {
            return Err(LoadError::Invalid {
                message: "code for an imported function".into(),
                offset: body.range().start,
            });
        };
        let ty = &p.types[t as usize];
        let mut num_locals = ty.params.len() as u32;
        for local in body.get_locals_reader().map_err(invalid)? {
            let (count, vt) = local.map_err(invalid)?;
            if !matches!(vt, wasmparser::ValType::I32 | wasmparser::ValType::I64) {
                return Err(LoadError::OutsideSubset {
                    what: format!("local of type {vt}"),
                    func: Some(*index),
                    offset: body.range().start,
                });
            }
            num_locals = num_locals.saturating_add(count);
            if num_locals > MAX_LOCALS {
                return Err(LoadError::Limit(format!(
                    "function {index} has more than {MAX_LOCALS} locals"
                )));
            }
        }
        let entry_pc = code.len() as u32;
        let mut fc = FuncCompiler {
            code: &mut code,
            call_patches: &mut call_patches,
            parsed: &p,
            func_index: *index,
            table_size,
            table_depth,
            memory_depth,
            max_pages: memory.map(|m| m.max_pages).unwrap_or(0),
            globals_depth,
            num_locals,
            ctls: Vec::new(),
            height: 0,
            unreachable: false,
            canonical: &canonical,
        };
        fc.compile(body, ty.results.len() as u32)?;
        functions[*index as usize] = Function::Defined {
            type_index: t,
            entry_pc,
            num_locals,
        };
    }
    for (at, callee) in call_patches {
        let Function::Defined {
            type_index,
            entry_pc,
            num_locals,
        } = functions[callee as usize]
        else {
            unreachable!("host calls are emitted inline");
        };
        let params = p.types[type_index as usize].params.len() as u64;
        code[at].a = entry_pc;
        code[at].b = (params << 32) | num_locals as u64;
        code[at].depth = locals_depth(num_locals);
    }

    // Instantiation: element segments, then data segments (the spec's order).
    let table = match p.table {
        Some(t) => {
            let mut elems = vec![None; t.initial as usize];
            for (at, items) in &p.elements {
                let end = *at as u64 + items.len() as u64;
                if end > elems.len() as u64 {
                    return Err(LoadError::Instantiation(Trap::OutOfBoundsTable));
                }
                for (i, item) in items.iter().enumerate() {
                    if let Some(f) = item
                        && matches!(functions[*f as usize], Function::Host { .. })
                    {
                        return Err(LoadError::OutsideSubset {
                            what: "host function in a table".into(),
                            func: Some(*f),
                            offset: 0,
                        });
                    }
                    elems[*at as usize + i] = *item;
                }
            }
            Some(elems)
        }
        None => {
            if p.elements.iter().any(|(_, items)| !items.is_empty()) {
                return Err(LoadError::Instantiation(Trap::OutOfBoundsTable));
            }
            None
        }
    };
    let mut initial_memory = vec![
        0u8;
        memory
            .map(|m| m.initial_pages as usize * crate::PAGE_SIZE)
            .unwrap_or(0)
    ];
    for (at, bytes) in &p.data {
        let end = *at as u64 + bytes.len() as u64;
        if end > initial_memory.len() as u64 {
            return Err(LoadError::Instantiation(Trap::OutOfBoundsMemory));
        }
        initial_memory[*at as usize..end as usize].copy_from_slice(bytes);
    }

    // The wasmtime twin reaches guest memory only through an export, so a guest that calls
    // the host and has a memory must export it as "memory" (docs/spec/guest-abi.md).
    let calls_host = functions.iter().any(|f| matches!(f, Function::Host { .. }));
    if calls_host
        && memory.is_some()
        && exports.get("memory") != Some(&crate::module::Export::Memory)
    {
        return Err(LoadError::Unlinkable(
            "a guest that imports host functions must export its memory as \"memory\"".into(),
        ));
    }
    let code_depth = tree_depth(code.len() as u64);
    let mut module = Module {
        code,
        types: p.types,
        canonical_type: canonical,
        functions,
        table,
        globals: p.globals.iter().map(|g| g.2).collect(),
        global_types: p.globals.iter().map(|g| (g.0, g.1)).collect(),
        memory,
        initial_memory,
        exports,
        finish_pc,
        memory_depth,
        globals_depth,
        table_depth,
        code_depth,
        static_hash: Default::default(),
        root: Default::default(),
    };
    module.static_hash = crate::commit::module_static_hash(&module);
    module.root = crate::commit::module_root(&module);
    Ok(module)
}
