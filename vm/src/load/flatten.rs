//! Lowers structured control flow of one function body to the flat ISA.
//!
//! Each function's body becomes a run of flat instructions with absolute jump targets. A
//! callee starts with an empty value stack of its own (the caller's is saved in its frame), so
//! `return` never cleans up; a branch that leaves a block cleans up with `drop` (no result) or
//! `nip` (one result) as many times as the static stack height says. Unreachable code is not
//! emitted.

use std::collections::BTreeMap;

use wasmparser::{BlockType, Operator};

use super::operators::{math_op, op_name, supported};
use super::sections::{Parsed, ParsedFunc};
use crate::error::LoadError;
use crate::isa::{Instruction, Opcode};
use crate::module::locals_depth;

/// Most flat instructions a module may have.
pub(crate) const MAX_CODE: usize = 1 << 24;
/// Most locals (params included) a function may have.
pub(crate) const MAX_LOCALS: u32 = 50_000;

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Block,
    Loop,
    If,
    Function,
}

pub(super) struct Ctl {
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

pub(super) struct FuncCompiler<'m> {
    pub(super) code: &'m mut Vec<Instruction>,
    pub(super) call_patches: &'m mut Vec<(usize, u32)>,
    pub(super) parsed: &'m Parsed<'m>,
    pub(super) func_index: u32,
    pub(super) table_size: u32,
    pub(super) table_depth: u8,
    pub(super) memory_depth: u8,
    pub(super) max_pages: u32,
    pub(super) globals_depth: u8,
    pub(super) num_locals: u32,
    pub(super) ctls: Vec<Ctl>,
    pub(super) height: u32,
    /// The greatest `height` after any operator: the function's maximum stack height.
    pub(super) max_height: u32,
    pub(super) unreachable: bool,
    pub(super) canonical: &'m [u32],
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
                // Host calls read and write memory words: their proofs need the memory
                // tree's depth, bound by the code like every other depth.
                let depth = self.memory_depth;
                self.with(h.opcode(), 0, 0, depth);
            }
            None => {
                let at = self.with(Opcode::Call, 0, 0, 0);
                self.call_patches.push((at, callee));
            }
        }
        self.pop(params);
        self.height += results;
    }

    pub(super) fn compile(
        &mut self,
        body: &wasmparser::FunctionBody,
        results: u32,
    ) -> Result<(), LoadError> {
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
            // Within one operator the height never exceeds the larger of its heights before
            // and after (pops come first), so this bounds every height the code reaches.
            self.max_height = self.max_height.max(self.height);
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
        if supported(op) {
            Ok(())
        } else {
            Err(self.outside(format!("opcode {}", op_name(op)), offset))
        }
    }
}
