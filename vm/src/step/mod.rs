//! One step: fetch the instruction at pc and execute it (docs/spec/isa.md).
//!
//! The loop is one `match` over the opcode; the semantics of each class live beside it
//! (`control` here, [`math`], [`memory`], [`host`]). A trap leaves every part of the state
//! as it was except the status, which becomes `Errored`; a host error leaves the machine
//! unchanged and goes to the caller.
//!
//! While [`Machine::run`] loops, the value stack is a raw view of `Machine::values`
//! ([`stack::Stack`]) and pc, the current frame's locals and the step budget live in locals;
//! `Machine`'s own fields are brought up to date before anything outside the loop (calls,
//! returns, host calls) looks at them, and on every way out.

pub mod host;
pub mod math;
pub mod memory;
mod stack;

use crate::error::{HostError, Trap};
use crate::host::Host;
use crate::isa::Opcode;
use crate::machine::{Machine, Status};
use crate::module::{Function, Module};
use stack::{Locals, Stack};

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

/// How the loop ended.
enum Exit {
    /// The step budget is spent.
    Budget,
    /// The instruction being executed did not complete; it counts as a step unless the host
    /// failed.
    Fault(Fault),
    /// `finish` or `halt` completed.
    Finished,
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
        if max_steps == 0 || self.status != Status::Running {
            return Ok(0);
        }
        let module = self.module.clone();
        // The loop indexes locals unchecked on the strength of this (see `stack::Locals`);
        // every state the machine reaches by itself satisfies it.
        let frame_ok = module
            .body_at(self.pc)
            .is_some_and(|b| b.num_locals == self.num_locals)
            && self.locals.len() as u64 >= self.locals_base as u64 + self.num_locals as u64;
        if !frame_ok {
            self.status = Status::Errored(Trap::Unreachable);
            self.steps += 1;
            return Ok(1);
        }
        let mut left = max_steps;
        let mut pc = self.pc;
        let exit = self.run_loop(&module, host, &mut pc, &mut left);
        self.pc = pc;
        let mut done = max_steps - left;
        let result = match exit {
            Exit::Budget => Ok(()),
            Exit::Finished => {
                self.status = Status::Finished;
                done += 1;
                Ok(())
            }
            Exit::Fault(Fault::Trap(t)) => {
                self.status = Status::Errored(t);
                done += 1;
                Ok(())
            }
            Exit::Fault(Fault::Host(e)) => Err(e),
        };
        self.steps += done;
        result.map(|()| done)
    }

    /// The loop proper. `left` counts the steps still allowed, excluding the instruction
    /// that ended the loop by [`Exit::Fault`] or [`Exit::Finished`]; `pc` is that
    /// instruction's (for a trap) or the next one's.
    #[inline(always)]
    fn run_loop<H: Host>(
        &mut self,
        module: &Module,
        host: &mut H,
        pc_out: &mut u32,
        left: &mut u64,
    ) -> Exit {
        use Opcode as O;
        let code = &module.code[..];
        let reserve = module.max_stack_height as usize;
        let mut budget = *left;
        // The loop follows a pointer to the instruction at pc rather than pc itself.
        // SAFETY (of every `at!`): `code.add(pc)` for a pc < code.len(). `run` checked the
        // first pc on entry (it lies in a body). Every later one is a jump target or an
        // instruction's successor (checked in range by the loader's `check_flow`), a
        // function entry (a body start), or a return pc (a call's successor, or checked by
        // restore to lie in a body). `finish` and `halt` leave the loop before their
        // successor, which may be one past the end, is dereferenced.
        macro_rules! at {
            ($pc:expr) => {
                // SAFETY: `$pc < code.len()`, as the comment above argues.
                unsafe { code.as_ptr().add($pc as usize) }
            };
        }
        let mut ip = at!(*pc_out);
        // The pc of `ip`.
        macro_rules! pc {
            () => {
                // SAFETY: `ip` points into `code` (or one past it), see `at!`.
                unsafe { ip.offset_from(code.as_ptr()) as u32 }
            };
        }
        // The instruction after `ip`'s (see `at!`).
        macro_rules! next {
            () => {
                // SAFETY: `ip` is at an instruction of `code`, so `ip + 1` is inside it or one
                // past its end (never dereferenced then, see `at!`).
                unsafe { ip.add(1) }
            };
        }
        let mut s = Stack::enter(&mut self.values, self.stack_base, reserve);
        let mut l = Locals::enter(&mut self.locals, self.locals_base);
        // The unchecked accesses of the loop, one place for each reason it may skip a check.
        // The `k`-th value from the top.
        macro_rules! top {
            ($k:expr) => {
                // SAFETY: every arm runs `need!(n)` with `n >= k` before it reads (or sets)
                // slot `k`, so `1 <= k <= height`.
                unsafe { s.get($k) }
            };
        }
        macro_rules! set_top {
            ($k:expr, $v:expr) => {{
                let v = $v;
                // SAFETY: as in `top!`.
                unsafe { s.set($k, v) }
            }};
        }
        macro_rules! push {
            ($v:expr) => {{
                let v = $v;
                // SAFETY: `enter` reserved the module's `max_stack_height` (see `Stack::push`).
                unsafe { s.push(v) }
            }};
        }
        macro_rules! local {
            ($i:expr) => {
                // SAFETY: `$i` is the immediate of a validated local instruction of the
                // function the frame runs (see `Locals::get`).
                unsafe { l.get($i) }
            };
        }
        macro_rules! set_local {
            ($i:expr, $v:expr) => {{
                let v = $v;
                // SAFETY: as in `local!`.
                unsafe { l.set($i, v) }
            }};
        }

        // Leaves the loop with `$exit`, the value stack written back.
        macro_rules! leave {
            ($exit:expr) => {{
                s.leave(&mut self.values);
                *pc_out = pc!();
                *left = budget;
                return $exit;
            }};
        }
        macro_rules! trap {
            ($t:expr) => {
                leave!(Exit::Fault(Fault::Trap($t)))
            };
        }
        // Traps unless the current frame holds at least `$n` values. Valid code never fails
        // this; it keeps a forged state from reading below the frame.
        macro_rules! need {
            ($n:expr) => {
                if s.height() < $n {
                    trap!(Trap::Unreachable)
                }
            };
        }
        macro_rules! unop {
            ($op:expr) => {{
                need!(1);
                set_top!(1, math::unary($op, top!(1)));
                next!()
            }};
        }
        macro_rules! binop {
            ($op:expr) => {{
                need!(2);
                match math::binary($op, top!(2), top!(1)) {
                    Ok(r) => {
                        set_top!(2, r);
                        s.drop_n(1);
                    }
                    Err(t) => trap!(t),
                }
                next!()
            }};
        }
        macro_rules! load {
            ($op:expr, $offset:expr) => {{
                need!(1);
                match memory::load_at($op, &self.memory, top!(1), $offset) {
                    Ok(v) => set_top!(1, v),
                    Err(t) => trap!(t),
                }
                next!()
            }};
        }
        macro_rules! store {
            ($op:expr, $offset:expr) => {{
                need!(2);
                match memory::store_at($op, &mut self.memory, top!(2), $offset, top!(1)) {
                    Ok(ea) => self.cache.touch_memory(ea, memory::access_size($op)),
                    Err(t) => trap!(t),
                }
                s.drop_n(2);
                next!()
            }};
        }
        // Brings `Machine` up to date, runs `$body` (a call, return or host call, which may
        // move the value stack), and picks up the new frame.
        macro_rules! out_of_line {
            ($body:expr) => {{
                s.leave(&mut self.values);
                self.pc = pc!();
                let r = $body;
                s = Stack::enter(&mut self.values, self.stack_base, reserve);
                l = Locals::enter(&mut self.locals, self.locals_base);
                r
            }};
        }

        loop {
            // SAFETY: `ip` points at an instruction of `code` (see `at!`). A reference, not a
            // copy: each arm loads only the immediates it uses.
            let ins = unsafe { &*ip };
            let next = next!();
            ip = match ins.op {
                // ---- control and stack ----
                O::Unreachable => trap!(Trap::Unreachable),
                O::Drop => {
                    need!(1);
                    s.drop_n(1);
                    next
                }
                O::Nip => {
                    need!(2);
                    set_top!(2, top!(1));
                    s.drop_n(1);
                    next
                }
                O::Select => {
                    need!(3);
                    if top!(1) as u32 == 0 {
                        set_top!(3, top!(2));
                    }
                    s.drop_n(2);
                    next
                }
                O::Br => at!(ins.a),
                O::BrIf => {
                    need!(1);
                    let c = top!(1) as u32;
                    s.drop_n(1);
                    if c != 0 { at!(ins.a) } else { next }
                }
                O::BrIfZero => {
                    need!(1);
                    let c = top!(1) as u32;
                    s.drop_n(1);
                    if c == 0 { at!(ins.a) } else { next }
                }
                O::BrTable => {
                    need!(1);
                    let i = top!(1) as u32 as u64;
                    s.drop_n(1);
                    at!(ins.a + i.min(ins.b) as u32)
                }
                O::Call => {
                    let params = (ins.b >> 32) as u32;
                    let num_locals = ins.b as u32;
                    let r = out_of_line!(self.call(ins.a, params, num_locals, pc!() + 1));
                    if let Err(t) = r {
                        trap!(t)
                    }
                    at!(self.pc)
                }
                O::CallIndirect => {
                    need!(1);
                    let i = top!(1) as u32;
                    let table = module.table.as_deref().unwrap_or(&[]);
                    if i as u64 >= ins.b || i as usize >= table.len() {
                        trap!(Trap::UndefinedElement)
                    }
                    let Some(f) = table[i as usize] else {
                        trap!(Trap::UninitializedElement)
                    };
                    let Function::Defined {
                        type_index,
                        entry_pc,
                        num_locals,
                    } = module.functions[f as usize]
                    else {
                        trap!(Trap::UninitializedElement)
                    };
                    if module.canonical_type[type_index as usize] != ins.a {
                        trap!(Trap::IndirectCallTypeMismatch)
                    }
                    let params = module.types[type_index as usize].params.len() as u32;
                    if self.frames.len() >= crate::MAX_FRAMES {
                        trap!(Trap::CallStackExhausted)
                    }
                    // Checked before the index is popped, so a trap changes nothing.
                    need!(1 + params as usize);
                    s.drop_n(1);
                    let r = out_of_line!(self.call(entry_pc, params, num_locals, pc!() + 1));
                    if let Err(t) = r {
                        trap!(t)
                    }
                    at!(self.pc)
                }
                O::Return => {
                    need!(ins.a as usize);
                    let r = out_of_line!(self.ret(ins.a));
                    if let Err(t) = r {
                        trap!(t)
                    }
                    at!(self.pc)
                }
                O::LocalGet => {
                    push!(local!(ins.a));
                    next
                }
                O::LocalSet => {
                    need!(1);
                    set_local!(ins.a, top!(1));
                    s.drop_n(1);
                    next
                }
                O::LocalTee => {
                    need!(1);
                    set_local!(ins.a, top!(1));
                    next
                }
                O::GlobalGet => {
                    push!(self.globals[ins.a as usize]);
                    next
                }
                O::GlobalSet => {
                    need!(1);
                    self.globals[ins.a as usize] = top!(1);
                    s.drop_n(1);
                    next
                }
                O::Const => {
                    push!(ins.b);
                    next
                }
                O::Finish => {
                    ip = next;
                    leave!(Exit::Finished)
                }

                // ---- math ----
                // One arm per opcode, so `math::unary` inlines to the one operation.
                O::I32Eqz => unop!(O::I32Eqz),
                O::I64Eqz => unop!(O::I64Eqz),
                O::I32Clz => unop!(O::I32Clz),
                O::I32Ctz => unop!(O::I32Ctz),
                O::I32Popcnt => unop!(O::I32Popcnt),
                O::I64Clz => unop!(O::I64Clz),
                O::I64Ctz => unop!(O::I64Ctz),
                O::I64Popcnt => unop!(O::I64Popcnt),
                O::I32WrapI64 => unop!(O::I32WrapI64),
                O::I64ExtendI32S => unop!(O::I64ExtendI32S),
                O::I64ExtendI32U => unop!(O::I64ExtendI32U),
                O::I32Extend8S => unop!(O::I32Extend8S),
                O::I32Extend16S => unop!(O::I32Extend16S),
                O::I64Extend8S => unop!(O::I64Extend8S),
                O::I64Extend16S => unop!(O::I64Extend16S),
                O::I64Extend32S => unop!(O::I64Extend32S),
                // Each binary op gets its own arm with a constant opcode, so `math::binary`
                // inlines to the one operation (no second dispatch in the hot loop).
                O::I32Eq => binop!(O::I32Eq),
                O::I32Ne => binop!(O::I32Ne),
                O::I32LtS => binop!(O::I32LtS),
                O::I32LtU => binop!(O::I32LtU),
                O::I32GtS => binop!(O::I32GtS),
                O::I32GtU => binop!(O::I32GtU),
                O::I32LeS => binop!(O::I32LeS),
                O::I32LeU => binop!(O::I32LeU),
                O::I32GeS => binop!(O::I32GeS),
                O::I32GeU => binop!(O::I32GeU),
                O::I64Eq => binop!(O::I64Eq),
                O::I64Ne => binop!(O::I64Ne),
                O::I64LtS => binop!(O::I64LtS),
                O::I64LtU => binop!(O::I64LtU),
                O::I64GtS => binop!(O::I64GtS),
                O::I64GtU => binop!(O::I64GtU),
                O::I64LeS => binop!(O::I64LeS),
                O::I64LeU => binop!(O::I64LeU),
                O::I64GeS => binop!(O::I64GeS),
                O::I64GeU => binop!(O::I64GeU),
                O::I32Add => binop!(O::I32Add),
                O::I32Sub => binop!(O::I32Sub),
                O::I32Mul => binop!(O::I32Mul),
                O::I32DivS => binop!(O::I32DivS),
                O::I32DivU => binop!(O::I32DivU),
                O::I32RemS => binop!(O::I32RemS),
                O::I32RemU => binop!(O::I32RemU),
                O::I32And => binop!(O::I32And),
                O::I32Or => binop!(O::I32Or),
                O::I32Xor => binop!(O::I32Xor),
                O::I32Shl => binop!(O::I32Shl),
                O::I32ShrS => binop!(O::I32ShrS),
                O::I32ShrU => binop!(O::I32ShrU),
                O::I32Rotl => binop!(O::I32Rotl),
                O::I32Rotr => binop!(O::I32Rotr),
                O::I64Add => binop!(O::I64Add),
                O::I64Sub => binop!(O::I64Sub),
                O::I64Mul => binop!(O::I64Mul),
                O::I64DivS => binop!(O::I64DivS),
                O::I64DivU => binop!(O::I64DivU),
                O::I64RemS => binop!(O::I64RemS),
                O::I64RemU => binop!(O::I64RemU),
                O::I64And => binop!(O::I64And),
                O::I64Or => binop!(O::I64Or),
                O::I64Xor => binop!(O::I64Xor),
                O::I64Shl => binop!(O::I64Shl),
                O::I64ShrS => binop!(O::I64ShrS),
                O::I64ShrU => binop!(O::I64ShrU),
                O::I64Rotl => binop!(O::I64Rotl),
                O::I64Rotr => binop!(O::I64Rotr),

                // ---- memory ----
                // One arm per opcode, like the binary ops, so each access has a constant size.
                O::I32Load => load!(O::I32Load, ins.a),
                O::I64Load => load!(O::I64Load, ins.a),
                O::I32Load8S => load!(O::I32Load8S, ins.a),
                O::I32Load8U => load!(O::I32Load8U, ins.a),
                O::I32Load16S => load!(O::I32Load16S, ins.a),
                O::I32Load16U => load!(O::I32Load16U, ins.a),
                O::I64Load8S => load!(O::I64Load8S, ins.a),
                O::I64Load8U => load!(O::I64Load8U, ins.a),
                O::I64Load16S => load!(O::I64Load16S, ins.a),
                O::I64Load16U => load!(O::I64Load16U, ins.a),
                O::I64Load32S => load!(O::I64Load32S, ins.a),
                O::I64Load32U => load!(O::I64Load32U, ins.a),
                O::I32Store => store!(O::I32Store, ins.a),
                O::I64Store => store!(O::I64Store, ins.a),
                O::I32Store8 => store!(O::I32Store8, ins.a),
                O::I32Store16 => store!(O::I32Store16, ins.a),
                O::I64Store8 => store!(O::I64Store8, ins.a),
                O::I64Store16 => store!(O::I64Store16, ins.a),
                O::I64Store32 => store!(O::I64Store32, ins.a),
                O::MemorySize => {
                    push!((self.memory.len() / crate::PAGE_SIZE) as u64);
                    next
                }
                O::MemoryGrow => {
                    need!(1);
                    let old = (self.memory.len() / crate::PAGE_SIZE) as u64;
                    let delta = top!(1) as u32 as u64;
                    let result = if old + delta > ins.a as u64 {
                        u32::MAX as u64
                    } else {
                        self.memory
                            .resize(((old + delta) as usize) * crate::PAGE_SIZE, 0);
                        old
                    };
                    set_top!(1, result);
                    next
                }

                // ---- host I/O ----
                O::ReadInbox
                | O::ReadPreimage
                | O::Keccak256
                | O::Ecrecover
                | O::GetBytes32
                | O::SetBytes32
                | O::GetU64
                | O::SetU64
                | O::Halt => {
                    let r = out_of_line!(host::exec(self, ins.op, host));
                    match r {
                        Ok(()) if self.status == Status::Finished => {
                            ip = next;
                            leave!(Exit::Finished)
                        }
                        Ok(()) => next,
                        Err(f) => leave!(Exit::Fault(f)),
                    }
                }
            };
            budget -= 1;
            if budget == 0 {
                leave!(Exit::Budget)
            }
        }
    }
}
