//! Assembles the [`Module`]: synthetic entry, function bodies, call targets, table,
//! globals, memory, depths and the module root.

use std::collections::BTreeMap;

use super::flatten::{FuncCompiler, MAX_LOCALS};
use super::sections::{Parsed, ParsedFunc};
use crate::error::{LoadError, Trap};
use crate::isa::{Instruction, Opcode};
use crate::module::{Body, Function, MemoryLimits, Module, locals_depth, tree_depth};

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
    let mut bodies = vec![Body {
        start: 0,
        end: code.len() as u32,
        num_locals: 0,
    }];
    // The synthetic entry's own stack stays empty (its calls take no arguments).
    let mut max_stack_height = 0;

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
            max_height: 0,
            unreachable: false,
            canonical: &canonical,
        };
        fc.compile(body, ty.results.len() as u32)?;
        max_stack_height = max_stack_height.max(fc.max_height);
        bodies.push(Body {
            start: entry_pc,
            end: code.len() as u32,
            num_locals,
        });
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
    check_flow(&code, &functions)?;
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
        proof_trees: Default::default(),
        bodies,
        max_stack_height,
    };
    module.static_hash = crate::commit::module_static_hash(&module);
    module.root = crate::commit::module_root(&module);
    Ok(module)
}

/// Checks that control never leaves the code: every jump target, function entry and
/// instruction that control falls through to is in range. The step loop fetches
/// instructions unchecked on the strength of this. What the flattener emits always passes
/// (a function body ends in `return`, `br`, `br_table` or `unreachable`); a failure would
/// be a loader bug, reported rather than run.
fn check_flow(code: &[Instruction], functions: &[Function]) -> Result<(), LoadError> {
    let len = code.len() as u64;
    for (pc, ins) in code.iter().enumerate() {
        let next = pc as u64 + 1;
        let ok = match ins.op {
            Opcode::Br => (ins.a as u64) < len,
            Opcode::BrTable => (ins.a as u64).saturating_add(ins.b) < len,
            Opcode::BrIf | Opcode::BrIfZero | Opcode::Call => (ins.a as u64) < len && next < len,
            // Control does not fall through these (`finish` and `halt` stop the machine).
            Opcode::Return | Opcode::Unreachable | Opcode::Finish | Opcode::Halt => true,
            _ => next < len,
        };
        if !ok {
            return Err(LoadError::Limit(format!(
                "flat code at pc {pc} leads outside the code (a loader bug)"
            )));
        }
    }
    for f in functions {
        if let Function::Defined { entry_pc, .. } = f
            && *entry_pc as u64 >= len
        {
            return Err(LoadError::Limit(format!(
                "function entry {entry_pc} outside the code (a loader bug)"
            )));
        }
    }
    Ok(())
}
