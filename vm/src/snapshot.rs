//! Snapshots: a whole machine as bytes (postcard), so a prover can resume from a checkpoint.
//!
//! A snapshot holds the machine state and the root of its module, not the module itself:
//! restoring takes the module and checks the root. Hash caches are not saved; a restored
//! machine rebuilds them, so its hash is computed from scratch — which is also how tests
//! check the incremental hash.

use std::sync::Arc;

use alloy_primitives::B256;
use serde::{Deserialize, Serialize};

use crate::cache::HashCache;
use crate::machine::{Frame, Machine, Status};
use crate::{GlobalState, Module, PAGE_SIZE};

/// Why a snapshot cannot be restored.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// The bytes do not decode.
    #[error("snapshot does not decode: {0}")]
    Decode(#[from] postcard::Error),
    /// The snapshot was taken of another module.
    #[error("snapshot is of module {found}, not {expected}")]
    WrongModule {
        /// The module given.
        expected: B256,
        /// The module in the snapshot.
        found: B256,
    },
    /// The state is not one the machine can be in.
    #[error("inconsistent snapshot: {0}")]
    Inconsistent(&'static str),
}

/// Version tag of the format; bumped on any change.
const FORMAT: u32 = 1;

#[derive(Serialize, Deserialize)]
struct Snapshot {
    format: u32,
    module_root: B256,
    status: Status,
    pc: u32,
    values: Vec<u64>,
    stack_base: u32,
    locals: Vec<u64>,
    locals_base: u32,
    num_locals: u32,
    frames: Vec<Frame>,
    globals: Vec<u64>,
    memory: Vec<u8>,
    gs: GlobalState,
    steps: u64,
}

impl Machine {
    /// The machine as bytes.
    pub fn snapshot(&self) -> Vec<u8> {
        let s = Snapshot {
            format: FORMAT,
            module_root: self.module.root,
            status: self.status,
            pc: self.pc,
            values: self.values.clone(),
            stack_base: self.stack_base,
            locals: self.locals.clone(),
            locals_base: self.locals_base,
            num_locals: self.num_locals,
            frames: self.frames.clone(),
            globals: self.globals.clone(),
            memory: self.memory.clone(),
            gs: self.gs,
            steps: self.steps,
        };
        postcard::to_allocvec(&s).expect("serializing to a Vec cannot fail")
    }

    /// Restores a machine of `module` from a snapshot; checks that the state is consistent
    /// (bad bytes are an error, never a panic later).
    pub fn restore(module: Arc<Module>, bytes: &[u8]) -> Result<Machine, SnapshotError> {
        let s: Snapshot = postcard::from_bytes(bytes)?;
        if s.format != FORMAT {
            return Err(SnapshotError::Inconsistent("unknown snapshot format"));
        }
        if s.module_root != module.root {
            return Err(SnapshotError::WrongModule {
                expected: module.root,
                found: s.module_root,
            });
        }
        check(&module, &s)?;
        let mut cache = HashCache::for_state(&module, &s.globals, &s.memory);
        cache.reset_frames();
        for _ in &s.frames {
            cache.on_call();
        }
        Ok(Machine {
            cache,
            status: s.status,
            pc: s.pc,
            values: s.values,
            stack_base: s.stack_base,
            locals: s.locals,
            locals_base: s.locals_base,
            num_locals: s.num_locals,
            frames: s.frames,
            globals: s.globals,
            memory: s.memory,
            gs: s.gs,
            steps: s.steps,
            module,
        })
    }
}

/// Whether `pc` lies in a function whose frames have `num_locals` locals.
fn in_body(module: &Module, pc: u32, num_locals: u32) -> bool {
    module
        .body_at(pc)
        .is_some_and(|b| b.num_locals == num_locals)
}

fn check(module: &Module, s: &Snapshot) -> Result<(), SnapshotError> {
    use SnapshotError::Inconsistent as Bad;
    if s.pc as usize >= module.code.len() {
        return Err(Bad("pc outside the code"));
    }
    if s.globals.len() != module.globals.len() {
        return Err(Bad("wrong number of globals"));
    }
    let max_pages = module.memory.map(|m| m.max_pages as usize).unwrap_or(0);
    if !s.memory.len().is_multiple_of(PAGE_SIZE) || s.memory.len() / PAGE_SIZE > max_pages {
        return Err(Bad("memory size"));
    }
    if s.frames.len() > crate::MAX_FRAMES {
        return Err(Bad("too many frames"));
    }
    // Frames' stacks and locals are nested regions, bottom to top.
    let (mut stack, mut locals) = (0u64, 0u64);
    for f in &s.frames {
        if (f.stack_base as u64) < stack || (f.locals_base as u64) < locals {
            return Err(Bad("frames out of order"));
        }
        if f.return_pc as usize >= module.code.len() {
            return Err(Bad("return pc outside the code"));
        }
        // A frame's locals are indexed by the instructions of the function its pc lies in
        // (unchecked in the step loop), so that function must be the frame's.
        if !in_body(module, f.return_pc, f.num_locals) {
            return Err(Bad("return pc outside its frame's function"));
        }
        stack = f.stack_base as u64;
        locals = f.locals_base as u64 + f.num_locals as u64;
    }
    // A finished machine's pc has moved past `finish` and is never used again.
    if s.status != Status::Finished && !in_body(module, s.pc, s.num_locals) {
        return Err(Bad("pc outside its frame's function"));
    }
    if (s.stack_base as u64) < stack
        || s.stack_base as usize > s.values.len()
        || (s.locals_base as u64) < locals
        || s.locals_base as u64 + s.num_locals as u64 != s.locals.len() as u64
    {
        return Err(Bad("current frame out of range"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{MemoryHost, load};

    /// `$wide` has 9 locals, `run` none; a call of `$wide` from `run`, and `$wide`'s
    /// `local.get 8` at entry.
    const GUEST: &str = r#"
        (module
          (func $wide (param i32) (result i32) (local i64 i64 i64 i64 i64 i64 i64 i64)
            local.get 8
            i32.wrap_i64
            local.get 0
            i32.add)
          (func (export "run") (result i32)
            i32.const 1
            i32.const 2
            call $wide
            i32.add))
    "#;

    /// A machine stopped in `run` before its call, and its snapshot decoded.
    fn in_run() -> (Arc<Module>, Snapshot) {
        let buf = wast::parser::ParseBuffer::new(GUEST).unwrap();
        let mut wat: wast::Wat = wast::parser::parse(&buf).unwrap();
        let module = Arc::new(load(&wat.encode().unwrap()).unwrap());
        let mut m = Machine::new(module.clone(), GlobalState::default());
        m.invoke(module.exported_func("run").unwrap(), &[]).unwrap();
        m.run(&mut MemoryHost::default(), 2).unwrap();
        assert_eq!(m.call_depth(), 1);
        let s = postcard::from_bytes(&m.snapshot()).unwrap();
        (module, s)
    }

    fn wide_entry(module: &Module) -> u32 {
        match module.functions[0] {
            crate::module::Function::Defined { entry_pc, .. } => entry_pc,
            _ => unreachable!(),
        }
    }

    fn restore(module: &Arc<Module>, s: &Snapshot) -> Result<Machine, SnapshotError> {
        Machine::restore(module.clone(), &postcard::to_allocvec(s).unwrap())
    }

    #[test]
    fn pc_in_another_function_is_rejected() {
        let (module, mut s) = in_run();
        assert!(restore(&module, &s).is_ok());
        // pc at `$wide`'s `local.get 8` while the frame is `run`'s (no locals).
        s.pc = wide_entry(&module);
        let err = restore(&module, &s).expect_err("forged pc accepted");
        assert!(
            err.to_string().contains("pc outside its frame's function"),
            "{err}"
        );
    }

    #[test]
    fn return_pc_in_another_function_is_rejected() {
        let (module, mut s) = in_run();
        // The saved entry frame (no locals) made to resume inside `$wide`.
        s.frames[0].return_pc = wide_entry(&module) + 1;
        let err = restore(&module, &s).expect_err("forged return pc accepted");
        assert!(err.to_string().contains("return pc outside"), "{err}");
    }

    #[test]
    fn too_few_values_trap_instead_of_reading_below_the_frame() {
        let (module, mut s) = in_run();
        // Before `call $wide` (which takes one argument) with an empty stack: not a state
        // valid code reaches, but one restore cannot tell from a real one.
        assert_eq!(module.code[s.pc as usize].op, crate::isa::Opcode::Call);
        s.values.truncate(s.stack_base as usize);
        let mut m = restore(&module, &s).unwrap();
        assert_eq!(m.run(&mut MemoryHost::default(), 10).unwrap(), 1);
        assert_eq!(m.status(), Status::Errored(crate::Trap::Unreachable));
        assert_eq!(m.stack(), &[] as &[u64]);
    }
}
