//! The machine state, its status and its hash.
//!
//! State (everything that can change future execution, and nothing else, is in the hash):
//! status, pc, the current frame's value stack and locals, the saved frames, globals, linear
//! memory, the global state, and the module (code and table, fixed). Each frame has its own
//! value stack: a call saves the caller's stack in its frame and the callee starts empty.
//!
//! Hashing is incremental (see [`crate::cache`]): stack prefix hashes are cached, trees
//! rehash only the paths of leaves written since the last hash.

use std::sync::Arc;

use alloy_primitives::B256;
use serde::{Deserialize, Serialize};

use crate::cache::HashCache;
use crate::error::Trap;
use crate::module::{Function, Module};
use crate::{GlobalState, hash};

/// Whether the machine can step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Status {
    /// It has more instructions to run.
    Running,
    /// It ran `finish` or `halt`: the block is done; only the global state matters now.
    Finished,
    /// It trapped; the trap kind is for diagnosis and is not part of the hash.
    Errored(Trap),
}

impl Status {
    /// Whether a step leaves the machine unchanged.
    pub fn is_halted(self) -> bool {
        self != Status::Running
    }
}

/// A caller's frame, saved while its callee runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Frame {
    /// Where the caller resumes.
    pub return_pc: u32,
    /// Where the caller's value stack starts in [`Machine::values`].
    pub stack_base: u32,
    /// Where the caller's locals start in [`Machine::locals`].
    pub locals_base: u32,
    /// How many locals the caller has.
    pub num_locals: u32,
}

/// The one-step machine.
#[derive(Clone, Debug)]
pub struct Machine {
    pub(crate) module: Arc<Module>,
    pub(crate) status: Status,
    pub(crate) pc: u32,
    /// Every frame's value stack, the current frame's on top from `stack_base`.
    pub(crate) values: Vec<u64>,
    pub(crate) stack_base: u32,
    /// Every frame's locals, the current frame's from `locals_base`.
    pub(crate) locals: Vec<u64>,
    pub(crate) locals_base: u32,
    pub(crate) num_locals: u32,
    pub(crate) frames: Vec<Frame>,
    pub(crate) globals: Vec<u64>,
    pub(crate) memory: Vec<u8>,
    pub(crate) gs: GlobalState,
    pub(crate) steps: u64,
    pub(crate) cache: HashCache,
}

impl Machine {
    /// A machine at the synthetic entry (pc 0) of `module`, about to run one block from `gs`.
    /// Its hash is `initial_machine_hash(module.root, gs.hash())`.
    pub fn new(module: Arc<Module>, gs: GlobalState) -> Self {
        let cache = HashCache::new(&module);
        Machine {
            status: Status::Running,
            pc: 0,
            values: Vec::with_capacity(1024),
            stack_base: 0,
            locals: Vec::with_capacity(1024),
            locals_base: 0,
            num_locals: 0,
            frames: Vec::new(),
            globals: module.globals.clone(),
            memory: module.initial_memory.clone(),
            gs,
            steps: 0,
            cache,
            module,
        }
    }

    /// The module it runs.
    pub fn module(&self) -> &Arc<Module> {
        &self.module
    }

    /// Its status.
    pub fn status(&self) -> Status {
        self.status
    }

    /// The next instruction's index.
    pub fn pc(&self) -> u32 {
        self.pc
    }

    /// Steps executed since the machine was created (halted steps included).
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// The rollup global state as the guest has left it so far.
    pub fn global_state(&self) -> &GlobalState {
        &self.gs
    }

    /// The current frame's value stack, bottom first.
    pub fn stack(&self) -> &[u64] {
        &self.values[self.stack_base as usize..]
    }

    /// The current frame's locals.
    pub fn frame_locals(&self) -> &[u64] {
        &self.locals[self.locals_base as usize..]
    }

    /// Global values.
    pub fn globals(&self) -> &[u64] {
        &self.globals
    }

    /// Linear memory.
    pub fn memory(&self) -> &[u8] {
        &self.memory
    }

    /// Current memory size in pages.
    pub fn memory_pages(&self) -> u32 {
        (self.memory.len() / crate::PAGE_SIZE) as u32
    }

    /// Number of saved frames (call depth).
    pub fn call_depth(&self) -> usize {
        self.frames.len()
    }

    /// The saved frames, outermost first (profilers read the return pcs).
    pub fn frames(&self) -> &[Frame] {
        &self.frames
    }

    /// The machine hash (docs/spec/machine-hash.md), computed incrementally.
    pub fn hash(&mut self) -> B256 {
        match self.status {
            Status::Finished => hash::finished_machine_hash(self.gs.hash()),
            Status::Running | Status::Errored(_) => {
                let status = if self.status == Status::Running {
                    hash::STATUS_RUNNING
                } else {
                    hash::STATUS_ERRORED
                };
                let parts = crate::cache::parts(self);
                hash::machine_hash(
                    status,
                    self.pc,
                    parts.value_stack,
                    parts.locals,
                    parts.frames,
                    parts.world,
                )
            }
        }
    }

    /// Prepares a call of function `func` with `args` from a fresh synthetic frame, keeping
    /// globals and memory: how the spec-test runner invokes exports. The machine then runs
    /// until it finishes (results on [`Machine::stack`]) or errors.
    pub fn invoke(&mut self, func: u32, args: &[u64]) -> Result<(), String> {
        let Some(Function::Defined { .. }) = self.module.functions.get(func as usize) else {
            return Err(format!("function {func} is not a defined function"));
        };
        self.status = Status::Running;
        self.values.clear();
        self.locals.clear();
        self.frames.clear();
        self.stack_base = 0;
        self.locals_base = 0;
        self.num_locals = 0;
        self.values.extend_from_slice(args);
        self.cache.reset_frames();
        let finish = self.module.finish_pc;
        let module = self.module.clone();
        if let Err(trap) = self.enter(&module, func, finish) {
            self.status = Status::Errored(trap);
        }
        Ok(())
    }

    /// Calls function `func` (defined), returning to `return_pc`: moves its params from the
    /// value stack into a fresh frame's locals and jumps to its entry.
    pub(crate) fn enter(&mut self, module: &Module, func: u32, return_pc: u32) -> Result<(), Trap> {
        let Some(Function::Defined {
            type_index,
            entry_pc,
            num_locals,
        }) = module.functions.get(func as usize)
        else {
            return Err(Trap::Unreachable);
        };
        let params = module.types[*type_index as usize].params.len() as u32;
        self.call(*entry_pc, params, *num_locals, return_pc)
    }

    /// The call transition shared by `call`, `call_indirect` and [`Machine::invoke`].
    #[inline]
    pub(crate) fn call(
        &mut self,
        entry_pc: u32,
        params: u32,
        num_locals: u32,
        return_pc: u32,
    ) -> Result<(), Trap> {
        if self.frames.len() >= crate::MAX_FRAMES {
            return Err(Trap::CallStackExhausted);
        }
        // Only a corrupt state (a forged snapshot, wrong invoke arguments) has fewer values
        // than the callee takes: a trap, not a panic.
        if self.values.len() < self.stack_base as usize + params as usize {
            return Err(Trap::Unreachable);
        }
        let args_at = self.values.len() - params as usize;
        self.frames.push(Frame {
            return_pc,
            stack_base: self.stack_base,
            locals_base: self.locals_base,
            num_locals: self.num_locals,
        });
        let locals_base = self.locals.len();
        self.locals.extend_from_slice(&self.values[args_at..]);
        self.locals.resize(locals_base + num_locals as usize, 0);
        self.values.truncate(args_at);
        self.cache.on_call();
        self.stack_base = args_at as u32;
        self.locals_base = locals_base as u32;
        self.num_locals = num_locals;
        self.pc = entry_pc;
        Ok(())
    }

    /// The return transition: drops the callee's stack and locals, restores the caller and
    /// pushes the result (if `arity` is 1).
    #[inline]
    pub(crate) fn ret(&mut self, arity: u32) -> Result<(), Trap> {
        let result = if arity > 0 {
            self.values.last().copied()
        } else {
            None
        };
        // Valid code never returns from the synthetic entry's frame: a trap, not a panic.
        let Some(frame) = self.frames.pop() else {
            return Err(Trap::Unreachable);
        };
        self.values.truncate(self.stack_base as usize);
        self.locals.truncate(self.locals_base as usize);
        self.cache.on_return();
        if let Some(v) = result {
            self.values.push(v);
        }
        self.stack_base = frame.stack_base;
        self.locals_base = frame.locals_base;
        self.num_locals = frame.num_locals;
        self.pc = frame.return_pc;
        Ok(())
    }
}
