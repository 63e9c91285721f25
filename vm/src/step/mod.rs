//! One step: fetch the instruction at pc and execute it (docs/spec/isa.md).
//!
//! The loop is one `match` over the opcode; the semantics of each class live beside it
//! (`control` here, [`math`], [`memory`], [`host`]). A trap leaves every part of the state
//! as it was except the status, which becomes `Errored`; a host error leaves the machine
//! unchanged and goes to the caller.

pub mod host;
pub mod math;
pub mod memory;

use crate::error::{HostError, Trap};
use crate::host::Host;
use crate::isa::{Instruction, Opcode};
use crate::machine::{Machine, Status};
use crate::module::Module;

/// Why an instruction did not complete.
pub enum Fault {
    /// The guest trapped.
    Trap(Trap),
    /// The host could not supply an input.
    Host(HostError),
}

impl From<Trap> for Fault {
    fn from(t: Trap) -> Self {
        Fault::Trap(t)
    }
}

impl Machine {
    /// Executes one instruction (nothing if halted).
    pub fn step<H: Host>(&mut self, host: &mut H) -> Result<(), HostError> {
        self.run(host, 1).map(|_| ())
    }

    /// Executes up to `max_steps` instructions, stopping early when the machine halts.
    /// Returns how many it executed. On a host error the machine is left before the
    /// instruction that needed the input, so the call can be repeated once it is available.
    pub fn run<H: Host>(&mut self, host: &mut H, max_steps: u64) -> Result<u64, HostError> {
        let module = self.module.clone();
        let mut done = 0;
        // pc lives in a register while the loop runs; `self.pc` is written back on exit.
        let mut pc = self.pc;
        while done < max_steps && self.status == Status::Running {
            let Some(&ins) = module.code.get(pc as usize) else {
                self.status = Status::Errored(Trap::Unreachable);
                done += 1;
                break;
            };
            match self.exec(&module, pc, ins, host) {
                Ok(next) => pc = next,
                // A trap leaves pc at the trapping instruction.
                Err(Fault::Trap(t)) => self.status = Status::Errored(t),
                Err(Fault::Host(e)) => {
                    self.pc = pc;
                    self.steps += done;
                    return Err(e);
                }
            }
            done += 1;
        }
        self.pc = pc;
        self.steps += done;
        Ok(done)
    }

    #[inline(always)]
    fn pop(&mut self) -> u64 {
        self.values.pop().unwrap_or(0)
    }

    #[inline(always)]
    fn top(&self) -> u64 {
        self.values.last().copied().unwrap_or(0)
    }

    /// A binary math op: traps (for division) before anything changes.
    #[inline(always)]
    fn binop(&mut self, op: Opcode) -> Result<(), Trap> {
        let len = self.values.len();
        if len < 2 {
            return Err(Trap::Unreachable);
        }
        let r = math::binary(op, self.values[len - 2], self.values[len - 1])?;
        self.values[len - 2] = r;
        self.values.truncate(len - 1);
        Ok(())
    }

    /// Executes `ins` (at `pc`) and returns the next pc. `self.pc` is only read and written
    /// by calls and returns.
    #[inline(always)]
    fn exec<H: Host>(
        &mut self,
        module: &Module,
        pc: u32,
        ins: Instruction,
        host: &mut H,
    ) -> Result<u32, Fault> {
        use Opcode as O;
        let next = pc + 1;
        match ins.op {
            // ---- control and stack ----
            O::Unreachable => return Err(Trap::Unreachable.into()),
            O::Drop => {
                self.pop();
            }
            O::Nip => {
                let v = self.pop();
                self.pop();
                self.values.push(v);
            }
            O::Select => {
                let c = self.pop();
                let b = self.pop();
                if c as u32 == 0 {
                    self.pop();
                    self.values.push(b);
                }
            }
            O::Br => {
                return Ok(ins.a);
            }
            O::BrIf => {
                if self.pop() as u32 != 0 {
                    return Ok(ins.a);
                }
            }
            O::BrIfZero => {
                if self.pop() as u32 == 0 {
                    return Ok(ins.a);
                }
            }
            O::BrTable => {
                let i = self.pop() as u32 as u64;
                return Ok(ins.a + i.min(ins.b) as u32);
            }
            O::Call => {
                let params = (ins.b >> 32) as u32;
                let num_locals = ins.b as u32;
                self.call(ins.a, params, num_locals, next)?;
                return Ok(self.pc);
            }
            O::CallIndirect => {
                let i = self.top() as u32;
                let table = module.table.as_deref().unwrap_or(&[]);
                if i as u64 >= ins.b || i as usize >= table.len() {
                    return Err(Trap::UndefinedElement.into());
                }
                let Some(f) = table[i as usize] else {
                    return Err(Trap::UninitializedElement.into());
                };
                let crate::module::Function::Defined {
                    type_index,
                    entry_pc,
                    num_locals,
                } = module.functions[f as usize]
                else {
                    return Err(Trap::UninitializedElement.into());
                };
                if module.canonical_type[type_index as usize] != ins.a {
                    return Err(Trap::IndirectCallTypeMismatch.into());
                }
                let params = module.types[type_index as usize].params.len() as u32;
                if self.frames.len() >= crate::MAX_FRAMES {
                    return Err(Trap::CallStackExhausted.into());
                }
                self.pop();
                self.call(entry_pc, params, num_locals, next)?;
                return Ok(self.pc);
            }
            O::Return => {
                self.ret(ins.a)?;
                return Ok(self.pc);
            }
            O::LocalGet => {
                let v = self.locals[(self.locals_base + ins.a) as usize];
                self.values.push(v);
            }
            O::LocalSet => {
                let v = self.pop();
                self.locals[(self.locals_base + ins.a) as usize] = v;
            }
            O::LocalTee => {
                let v = self.top();
                self.locals[(self.locals_base + ins.a) as usize] = v;
            }
            O::GlobalGet => {
                let v = self.globals[ins.a as usize];
                self.values.push(v);
            }
            O::GlobalSet => {
                let v = self.pop();
                self.globals[ins.a as usize] = v;
            }
            O::Const => self.values.push(ins.b),
            O::Finish => {
                self.status = Status::Finished;
            }

            // ---- math ----
            O::I32Eqz
            | O::I64Eqz
            | O::I32Clz
            | O::I32Ctz
            | O::I32Popcnt
            | O::I64Clz
            | O::I64Ctz
            | O::I64Popcnt
            | O::I32WrapI64
            | O::I64ExtendI32S
            | O::I64ExtendI32U
            | O::I32Extend8S
            | O::I32Extend16S
            | O::I64Extend8S
            | O::I64Extend16S
            | O::I64Extend32S => {
                let a = self.pop();
                self.values.push(math::unary(ins.op, a));
            }
            // Each binary op gets its own arm with a constant opcode, so `math::binary`
            // inlines to the one operation (no second dispatch in the hot loop).
            O::I32Eq => self.binop(O::I32Eq)?,
            O::I32Ne => self.binop(O::I32Ne)?,
            O::I32LtS => self.binop(O::I32LtS)?,
            O::I32LtU => self.binop(O::I32LtU)?,
            O::I32GtS => self.binop(O::I32GtS)?,
            O::I32GtU => self.binop(O::I32GtU)?,
            O::I32LeS => self.binop(O::I32LeS)?,
            O::I32LeU => self.binop(O::I32LeU)?,
            O::I32GeS => self.binop(O::I32GeS)?,
            O::I32GeU => self.binop(O::I32GeU)?,
            O::I64Eq => self.binop(O::I64Eq)?,
            O::I64Ne => self.binop(O::I64Ne)?,
            O::I64LtS => self.binop(O::I64LtS)?,
            O::I64LtU => self.binop(O::I64LtU)?,
            O::I64GtS => self.binop(O::I64GtS)?,
            O::I64GtU => self.binop(O::I64GtU)?,
            O::I64LeS => self.binop(O::I64LeS)?,
            O::I64LeU => self.binop(O::I64LeU)?,
            O::I64GeS => self.binop(O::I64GeS)?,
            O::I64GeU => self.binop(O::I64GeU)?,
            O::I32Add => self.binop(O::I32Add)?,
            O::I32Sub => self.binop(O::I32Sub)?,
            O::I32Mul => self.binop(O::I32Mul)?,
            O::I32DivS => self.binop(O::I32DivS)?,
            O::I32DivU => self.binop(O::I32DivU)?,
            O::I32RemS => self.binop(O::I32RemS)?,
            O::I32RemU => self.binop(O::I32RemU)?,
            O::I32And => self.binop(O::I32And)?,
            O::I32Or => self.binop(O::I32Or)?,
            O::I32Xor => self.binop(O::I32Xor)?,
            O::I32Shl => self.binop(O::I32Shl)?,
            O::I32ShrS => self.binop(O::I32ShrS)?,
            O::I32ShrU => self.binop(O::I32ShrU)?,
            O::I32Rotl => self.binop(O::I32Rotl)?,
            O::I32Rotr => self.binop(O::I32Rotr)?,
            O::I64Add => self.binop(O::I64Add)?,
            O::I64Sub => self.binop(O::I64Sub)?,
            O::I64Mul => self.binop(O::I64Mul)?,
            O::I64DivS => self.binop(O::I64DivS)?,
            O::I64DivU => self.binop(O::I64DivU)?,
            O::I64RemS => self.binop(O::I64RemS)?,
            O::I64RemU => self.binop(O::I64RemU)?,
            O::I64And => self.binop(O::I64And)?,
            O::I64Or => self.binop(O::I64Or)?,
            O::I64Xor => self.binop(O::I64Xor)?,
            O::I64Shl => self.binop(O::I64Shl)?,
            O::I64ShrS => self.binop(O::I64ShrS)?,
            O::I64ShrU => self.binop(O::I64ShrU)?,
            O::I64Rotl => self.binop(O::I64Rotl)?,
            O::I64Rotr => self.binop(O::I64Rotr)?,

            // ---- memory ----
            O::I32Load
            | O::I64Load
            | O::I32Load8S
            | O::I32Load8U
            | O::I32Load16S
            | O::I32Load16U
            | O::I64Load8S
            | O::I64Load8U
            | O::I64Load16S
            | O::I64Load16U
            | O::I64Load32S
            | O::I64Load32U => {
                let size = memory::access_size(ins.op);
                let ea = memory::effective(self.memory.len(), self.top(), ins.a, size)?;
                let v = memory::load(ins.op, &self.memory, ea);
                let len = self.values.len();
                self.values[len - 1] = v;
            }
            O::I32Store
            | O::I64Store
            | O::I32Store8
            | O::I32Store16
            | O::I64Store8
            | O::I64Store16
            | O::I64Store32 => {
                let len = self.values.len();
                let size = memory::access_size(ins.op);
                let ea = memory::effective(self.memory.len(), self.values[len - 2], ins.a, size)?;
                memory::store(ins.op, &mut self.memory, ea, self.values[len - 1]);
                self.cache.touch_memory(ea, size);
                self.values.truncate(len - 2);
            }
            O::MemorySize => {
                let pages = (self.memory.len() / crate::PAGE_SIZE) as u64;
                self.values.push(pages);
            }
            O::MemoryGrow => {
                let old = (self.memory.len() / crate::PAGE_SIZE) as u64;
                let delta = self.top() as u32 as u64;
                let result = if old + delta > ins.a as u64 {
                    u32::MAX as u64
                } else {
                    self.memory
                        .resize(((old + delta) as usize) * crate::PAGE_SIZE, 0);
                    old
                };
                let len = self.values.len();
                self.values[len - 1] = result;
            }

            // ---- host I/O ----
            op => host::exec(self, op, host)?,
        }
        Ok(next)
    }
}
