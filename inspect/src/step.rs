//! The machine at one step, as a person reads it ([`StepView`]), and what changed between
//! two steps ([`diff`]): what `fuse-l2 trace` prints and the viewer shows of the disputed
//! step.

use std::collections::BTreeMap;

use alloy_primitives::B256;
use fuse_prover::names::NameMap;
use fuse_vm::module::Function;
use fuse_vm::{Machine, Module, Status};
use serde::Serialize;

use crate::model::{FunctionView, GlobalStateView, InstructionView};

/// How many values of the value stack's top a view keeps.
pub const STACK_SHOWN: usize = 8;
/// How many of the current frame's locals a view keeps.
pub const LOCALS_SHOWN: usize = 32;
/// Bytes of memory a view shows by default at an address.
pub const MEMORY_SHOWN: u32 = 32;

/// Names a pc's function: the module's function index space, with names where a map has them.
pub struct Functions<'a> {
    module: &'a Module,
    names: Option<&'a NameMap>,
    /// Entry pc → function index, for defined functions.
    by_entry: BTreeMap<u32, u32>,
}

impl<'a> Functions<'a> {
    /// The functions of `module`, named by `names` if given.
    pub fn new(module: &'a Module, names: Option<&'a NameMap>) -> Functions<'a> {
        let by_entry = module
            .functions
            .iter()
            .enumerate()
            .filter_map(|(i, f)| match f {
                Function::Defined { entry_pc, .. } => Some((*entry_pc, i as u32)),
                Function::Host { .. } => None,
            })
            .collect();
        Functions {
            module,
            names,
            by_entry,
        }
    }

    /// The function whose code holds `pc` (`None` for the synthetic entry and past the code).
    pub fn at(&self, pc: u32) -> Option<FunctionView> {
        let body = self.module.body_at(pc)?;
        let index = *self.by_entry.get(&body.start)?;
        Some(FunctionView {
            index,
            name: self
                .names
                .and_then(|n| n.function(index))
                .map(str::to_string),
        })
    }

    /// The instruction at `pc` with its function, if `pc` is in the code.
    pub fn instruction(&self, pc: u32) -> Option<InstructionView> {
        let inst = self.module.code.get(pc as usize)?;
        Some(InstructionView {
            opcode: inst.op.mnemonic().to_string(),
            class: format!("{:?}", inst.op.class()).to_lowercase(),
            pc,
            a: inst.a,
            b: inst.b.to_string(),
            function: self.at(pc),
        })
    }
}

/// One frame of the call stack.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CallView {
    /// The function running in it.
    pub function: Option<FunctionView>,
    /// Where it is: the current pc for the innermost frame, the return pc for callers.
    pub pc: u32,
}

/// Bytes of memory at an address.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MemoryView {
    /// The first byte's address.
    pub address: u32,
    /// The bytes (hex, without `0x`), fewer at the end of memory.
    pub bytes: String,
}

/// The machine after some steps of a block.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StepView {
    /// Steps run since the block started.
    pub step: u64,
    /// `running`, `finished`, or `errored (trap)`.
    pub status: String,
    /// The machine hash (docs/spec/machine-hash.md).
    pub hash: B256,
    /// The next instruction, if running.
    pub instruction: Option<InstructionView>,
    /// Values on the current frame's value stack.
    pub stack_depth: usize,
    /// Its top values, the top first (hex).
    pub stack_top: Vec<String>,
    /// The current frame's locals, local 0 first (at most [`LOCALS_SHOWN`], hex).
    pub locals: Vec<String>,
    /// How many locals the frame has.
    pub locals_count: usize,
    /// The call stack, innermost first (empty once the machine halted).
    pub call_stack: Vec<CallView>,
    /// Memory at the requested address (or the one the next instruction touches).
    pub memory: Option<MemoryView>,
    /// Memory size in pages.
    pub memory_pages: u32,
    /// The rollup global state as the guest has left it so far.
    pub global_state: GlobalStateView,
}

/// A 64-bit value as the views write it.
pub fn hex(v: u64) -> String {
    format!("{v:#x}")
}

/// The status as a word.
pub fn status_name(s: Status) -> String {
    match s {
        Status::Running => "running".into(),
        Status::Finished => "finished".into(),
        Status::Errored(trap) => format!("errored ({trap:?})"),
    }
}

/// The address a load or store at the machine's pc touches (its static offset added), if the
/// next instruction is one.
pub fn touched_address(m: &Machine) -> Option<u32> {
    let inst = m.module().code.get(m.pc() as usize)?;
    let name = inst.op.mnemonic();
    let stack = m.stack();
    // A load pops its address; a store pops the value, then the address below it.
    let below = if name.contains(".load") {
        0
    } else if name.contains(".store") {
        1
    } else {
        return None;
    };
    let base = *stack.get(stack.len().checked_sub(1 + below)?)? as u32;
    Some(base.wrapping_add(inst.a))
}

impl StepView {
    /// The view of `m` (its hash brought up to date), with memory at `memory` (address,
    /// length) or, if `None`, at the address the next instruction touches.
    pub fn of(m: &mut Machine, fns: &Functions, memory: Option<(u32, u32)>) -> StepView {
        let hash = m.hash();
        let running = m.status() == Status::Running;
        let stack = m.stack();
        let locals = m.frame_locals();
        // A halted machine has no frames to speak of: a finished one ran `finish`, an errored
        // one is stopped where it trapped (its pc still shows where).
        let mut call_stack = Vec::new();
        if running {
            call_stack.push(CallView {
                function: fns.at(m.pc()),
                pc: m.pc(),
            });
            call_stack.extend(m.frames().iter().rev().map(|f| CallView {
                function: fns.at(f.return_pc),
                pc: f.return_pc,
            }));
        }
        let memory = memory
            .or_else(|| touched_address(m).map(|a| (a, MEMORY_SHOWN)))
            .map(|(address, len)| {
                let mem = m.memory();
                let from = (address as usize).min(mem.len());
                let to = from.saturating_add(len as usize).min(mem.len());
                MemoryView {
                    address,
                    bytes: alloy_primitives::hex::encode(&mem[from..to]),
                }
            });
        let gs = m.global_state();
        StepView {
            step: m.steps(),
            status: status_name(m.status()),
            hash,
            instruction: running.then(|| fns.instruction(m.pc())).flatten(),
            stack_depth: stack.len(),
            stack_top: stack
                .iter()
                .rev()
                .take(STACK_SHOWN)
                .map(|&v| hex(v))
                .collect(),
            locals: locals.iter().take(LOCALS_SHOWN).map(|&v| hex(v)).collect(),
            locals_count: locals.len(),
            call_stack,
            memory,
            memory_pages: m.memory_pages(),
            global_state: global_state_view(gs),
        }
    }
}

/// The view of a global state.
pub fn global_state_view(gs: &fuse_vm::GlobalState) -> GlobalStateView {
    GlobalStateView {
        state_root: gs.state_root,
        outbox_root: gs.outbox_root,
        inbox_position: gs.inbox_position,
        block_number: gs.block_number,
    }
}

/// One difference between two machines.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Change {
    /// What differs (`pc`, `stack`, `local 3`, `memory 0x1000..0x1008`, `global 0`).
    pub what: String,
    /// Its value in the first machine.
    pub before: String,
    /// Its value in the second.
    pub after: String,
}

/// Most memory ranges a diff lists (a long diff says how many more there were).
const MEMORY_RANGES_SHOWN: usize = 16;

/// What differs from `a` to `b` (two machines of the same block), in a fixed order: status,
/// pc, steps, the value stack (what was popped and pushed above the common bottom), locals,
/// globals, memory (by changed range), call depth, the global state.
pub fn diff(a: &Machine, b: &Machine, fns: &Functions) -> Vec<Change> {
    let mut out = Vec::new();
    let mut field = |what: &str, x: String, y: String| {
        if x != y {
            out.push(Change {
                what: what.into(),
                before: x,
                after: y,
            });
        }
    };
    field("steps", a.steps().to_string(), b.steps().to_string());
    field("status", status_name(a.status()), status_name(b.status()));
    let name = |pc: u32| {
        let f = fns
            .at(pc)
            .and_then(|f| f.name.or(Some(format!("func {}", f.index))));
        match f {
            Some(f) => format!("{pc} ({f})"),
            None => pc.to_string(),
        }
    };
    field("pc", name(a.pc()), name(b.pc()));
    field(
        "call depth",
        a.call_depth().to_string(),
        b.call_depth().to_string(),
    );
    let (sa, sb) = (a.stack(), b.stack());
    let common = sa.iter().zip(sb).take_while(|(x, y)| x == y).count();
    let list = |s: &[u64]| {
        let v: Vec<String> = s.iter().map(|&v| hex(v)).collect();
        format!("[{}]", v.join(", "))
    };
    field(
        &format!("stack above depth {common}"),
        list(&sa[common..]),
        list(&sb[common..]),
    );
    if a.call_depth() == b.call_depth() {
        let (la, lb) = (a.frame_locals(), b.frame_locals());
        for i in 0..la.len().max(lb.len()) {
            let get = |l: &[u64]| l.get(i).map_or("—".to_string(), |&v| hex(v));
            field(&format!("local {i}"), get(la), get(lb));
        }
    } else {
        field(
            "locals",
            format!("{} in the frame", a.frame_locals().len()),
            format!("{} in the frame", b.frame_locals().len()),
        );
    }
    for (i, (x, y)) in a.globals().iter().zip(b.globals()).enumerate() {
        field(&format!("global {i}"), hex(*x), hex(*y));
    }
    field(
        "memory pages",
        a.memory_pages().to_string(),
        b.memory_pages().to_string(),
    );
    let ranges = changed_ranges(a.memory(), b.memory());
    let more = ranges.len().saturating_sub(MEMORY_RANGES_SHOWN);
    for (from, to) in ranges.into_iter().take(MEMORY_RANGES_SHOWN) {
        let show = |m: &[u8]| alloy_primitives::hex::encode(&m[from.min(m.len())..to.min(m.len())]);
        field(
            &format!("memory {from:#x}..{to:#x}"),
            show(a.memory()),
            show(b.memory()),
        );
    }
    if more > 0 {
        field(
            "memory",
            String::new(),
            format!("{more} more changed ranges"),
        );
    }
    out.extend(global_state_changes(a.global_state(), b.global_state()));
    out
}

/// The fields of the rollup's global state that differ from `a` to `b`.
pub fn global_state_changes(a: &fuse_vm::GlobalState, b: &fuse_vm::GlobalState) -> Vec<Change> {
    [
        (
            "state root",
            a.state_root.to_string(),
            b.state_root.to_string(),
        ),
        (
            "outbox root",
            a.outbox_root.to_string(),
            b.outbox_root.to_string(),
        ),
        (
            "inbox position",
            a.inbox_position.to_string(),
            b.inbox_position.to_string(),
        ),
        (
            "block number",
            a.block_number.to_string(),
            b.block_number.to_string(),
        ),
    ]
    .into_iter()
    .filter(|(_, x, y)| x != y)
    .map(|(what, before, after)| Change {
        what: what.into(),
        before,
        after,
    })
    .collect()
}

/// The byte ranges `[from, to)` where `a` and `b` differ (bytes past the shorter one count as
/// differing), adjacent differences merged.
fn changed_ranges(a: &[u8], b: &[u8]) -> Vec<(usize, usize)> {
    let n = a.len().max(b.len());
    let mut out: Vec<(usize, usize)> = Vec::new();
    // 32-byte chunks first: memory is up to 16 MiB and mostly unchanged.
    let mut at = 0;
    while at < n {
        let end = (at + 32).min(n);
        if a.get(at..end) != b.get(at..end) {
            for i in at..end {
                if a.get(i) != b.get(i) {
                    match out.last_mut() {
                        Some((_, to)) if *to == i => *to = i + 1,
                        _ => out.push((i, i + 1)),
                    }
                }
            }
        }
        at = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::changed_ranges;

    #[test]
    fn changed_ranges_merge_adjacent_bytes_and_count_a_longer_tail() {
        let a = [0u8; 70];
        let mut b = [0u8; 72];
        b[3] = 1;
        b[4] = 2;
        b[40] = 9;
        assert_eq!(changed_ranges(&a, &b), vec![(3, 5), (40, 41), (70, 72)]);
        assert!(changed_ranges(&a, &a).is_empty());
    }
}
