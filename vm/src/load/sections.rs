//! Parses the sections of a validated module and checks them against the subset.

use wasmparser::{
    CompositeInnerType, ConstExpr, DataKind, ElementItems, ElementKind, Operator, Parser, Payload,
    RefType, TableInit, TypeRef,
};

use super::imports::{ImportValues, Imports};
use crate::error::LoadError;
use crate::module::{Export, FuncType, HostFunc, ValType};

/// A function of the index space before flattening.
pub(super) enum ParsedFunc {
    Host(HostFunc, u32),
    Defined(u32),
}

/// The table before its elements are placed.
pub(super) struct ParsedTable {
    pub initial: u32,
}

/// Everything `flatten` needs, in the module's own terms.
pub(super) struct Parsed<'a> {
    pub types: Vec<FuncType>,
    pub functions: Vec<ParsedFunc>,
    pub bodies: Vec<(wasmparser::FunctionBody<'a>, u32)>,
    pub table: Option<ParsedTable>,
    /// Active element segments: (offset, function indices or None for a null ref).
    pub elements: Vec<(u32, Vec<Option<u32>>)>,
    /// (initial pages, maximum pages).
    pub memory: Option<(u32, Option<u32>)>,
    /// Active data segments: (offset, bytes).
    pub data: Vec<(u32, &'a [u8])>,
    /// (type, mutable, initial value).
    pub globals: Vec<(ValType, bool, u64)>,
    pub exports: Vec<(String, Export)>,
    pub start: Option<u32>,
}

fn outside(what: impl Into<String>, offset: u64) -> LoadError {
    LoadError::OutsideSubset {
        what: what.into(),
        func: None,
        offset,
    }
}

fn unknown_import(import: &wasmparser::Import) -> LoadError {
    LoadError::Unlinkable(format!("unknown import {}.{}", import.module, import.name))
}

/// An imported memory or table of `provided` limits satisfies the import's limits if it is
/// at least as large and its maximum is at most the import's (the spec's subtyping).
fn check_limits(
    want_initial: u64,
    want_max: Option<u64>,
    initial: u32,
    max: Option<u32>,
) -> Result<(), LoadError> {
    let fits = want_initial <= initial as u64
        && match (want_max, max) {
            (None, _) => true,
            (Some(want), Some(have)) => have as u64 <= want,
            (Some(_), None) => false,
        };
    if fits {
        Ok(())
    } else {
        Err(LoadError::Unlinkable("incompatible import type".into()))
    }
}

fn val_type(t: wasmparser::ValType, offset: u64) -> Result<ValType, LoadError> {
    match t {
        wasmparser::ValType::I32 => Ok(ValType::I32),
        wasmparser::ValType::I64 => Ok(ValType::I64),
        other => Err(outside(format!("value type {other}"), offset)),
    }
}

fn invalid(e: wasmparser::BinaryReaderError) -> LoadError {
    LoadError::Invalid {
        message: e.message().to_string(),
        offset: e.offset(),
    }
}

/// Evaluates a constant expression of the subset: one `i32.const`, `i64.const` or
/// `global.get` of an earlier global, then `end`.
fn const_expr(
    expr: &ConstExpr,
    globals: &[(ValType, bool, u64)],
    imported: usize,
) -> Result<u64, LoadError> {
    let mut reader = expr.get_operators_reader();
    let mut value = None;
    while !reader.eof() {
        let (op, offset) = reader.read_with_offset().map_err(invalid)?;
        match op {
            Operator::I32Const { value: v } if value.is_none() => value = Some(v as u32 as u64),
            Operator::I64Const { value: v } if value.is_none() => value = Some(v as u64),
            Operator::GlobalGet { global_index } if value.is_none() => {
                // WebAssembly 1.0 constants may read only imported globals.
                let g = globals
                    .get(global_index as usize)
                    .filter(|_| (global_index as usize) < imported)
                    .ok_or_else(|| {
                        outside(
                            "global.get of a module-defined global in a constant",
                            offset,
                        )
                    })?;
                value = Some(g.2);
            }
            Operator::End => {}
            other => {
                return Err(outside(
                    format!(
                        "constant expression operator {}",
                        super::operators::op_name(&other)
                    ),
                    offset,
                ));
            }
        }
    }
    value.ok_or_else(|| outside("empty constant expression", reader.original_position()))
}

pub(super) fn parse<'a>(bytes: &'a [u8], imports: &Imports) -> Result<Parsed<'a>, LoadError> {
    let mut p = Parsed {
        types: Vec::new(),
        functions: Vec::new(),
        bodies: Vec::new(),
        table: None,
        elements: Vec::new(),
        memory: None,
        data: Vec::new(),
        globals: Vec::new(),
        exports: Vec::new(),
        start: None,
    };
    let mut defined_index = 0usize;
    let mut imported_globals = 0usize;
    let num_imported_funcs = std::cell::Cell::new(0u32);
    for payload in Parser::new(0).parse_all(bytes) {
        let payload = payload.map_err(invalid)?;
        match payload {
            Payload::Version { .. } | Payload::End(_) | Payload::CustomSection(_) => {}
            Payload::TypeSection(reader) => {
                let offset = reader.range().start;
                for group in reader {
                    let group = group.map_err(invalid)?;
                    if group.is_explicit_rec_group() {
                        return Err(outside("explicit recursion group (gc)", offset));
                    }
                    for sub in group.into_types() {
                        if !sub.is_final || !sub.supertype_idxs.is_empty() {
                            return Err(outside("subtyping (gc)", offset));
                        }
                        let CompositeInnerType::Func(f) = &sub.composite_type.inner else {
                            return Err(outside("non-function type (gc)", offset));
                        };
                        let params = f
                            .params()
                            .iter()
                            .map(|&t| val_type(t, offset))
                            .collect::<Result<Vec<_>, _>>()?;
                        let results = f
                            .results()
                            .iter()
                            .map(|&t| val_type(t, offset))
                            .collect::<Result<Vec<_>, _>>()?;
                        if results.len() > 1 {
                            return Err(outside("multiple results (multi-value)", offset));
                        }
                        p.types.push(FuncType { params, results });
                    }
                }
            }
            Payload::ImportSection(reader) => {
                let offset = reader.range().start;
                for import in reader.into_imports() {
                    let import = import.map_err(invalid)?;
                    let key = (import.module.to_string(), import.name.to_string());
                    let provided = imports.values.get(&key);
                    match import.ty {
                        TypeRef::Func(type_index) | TypeRef::FuncExact(type_index) => {
                            if import.module != HostFunc::MODULE {
                                if provided == Some(&ImportValues::Func) {
                                    return Err(outside(
                                        format!(
                                            "imported function {}.{}",
                                            import.module, import.name
                                        ),
                                        offset,
                                    ));
                                }
                                return Err(unknown_import(&import));
                            }
                            let host = HostFunc::from_name(import.name).ok_or_else(|| {
                                LoadError::Unlinkable(format!(
                                    "unknown import fuse.{}",
                                    import.name
                                ))
                            })?;
                            if p.types.get(type_index as usize) != Some(&host.signature()) {
                                return Err(LoadError::Unlinkable(format!(
                                    "incompatible import type for fuse.{}",
                                    import.name
                                )));
                            }
                            p.functions.push(ParsedFunc::Host(host, type_index));
                            num_imported_funcs.set(num_imported_funcs.get() + 1);
                        }
                        TypeRef::Global(g) => {
                            let t = val_type(g.content_type, offset)?;
                            let value = match (provided, t, g.mutable) {
                                (Some(ImportValues::GlobalI32(v)), ValType::I32, false) => {
                                    *v as u64
                                }
                                (Some(ImportValues::GlobalI64(v)), ValType::I64, false) => *v,
                                (Some(_), _, _) => {
                                    return Err(LoadError::Unlinkable(format!(
                                        "incompatible import type for {}.{}",
                                        import.module, import.name
                                    )));
                                }
                                (None, _, _) => {
                                    return Err(unknown_import(&import));
                                }
                            };
                            p.globals.push((t, false, value));
                            imported_globals += 1;
                        }
                        TypeRef::Memory(m) => {
                            if m.memory64 || m.shared || m.page_size_log2.is_some() {
                                return Err(outside(
                                    "memory64, shared or custom-page memory",
                                    offset,
                                ));
                            }
                            let Some(ImportValues::Memory { initial, max }) = provided else {
                                return Err(unknown_import(&import));
                            };
                            check_limits(m.initial, m.maximum, *initial, *max)?;
                            p.memory = Some((*initial, *max));
                        }
                        TypeRef::Table(t) => {
                            if t.element_type != RefType::FUNCREF || t.table64 || t.shared {
                                return Err(outside("non-funcref or 64-bit table", offset));
                            }
                            let Some(ImportValues::Table { initial, max }) = provided else {
                                return Err(unknown_import(&import));
                            };
                            check_limits(t.initial, t.maximum, *initial, *max)?;
                            p.table = Some(ParsedTable { initial: *initial });
                        }
                        TypeRef::Tag(_) => return Err(outside("tag import (exceptions)", offset)),
                    }
                }
            }
            Payload::FunctionSection(reader) => {
                for ty in reader {
                    p.functions.push(ParsedFunc::Defined(ty.map_err(invalid)?));
                }
            }
            Payload::TableSection(reader) => {
                let offset = reader.range().start;
                for table in reader {
                    let table = table.map_err(invalid)?;
                    if p.table.is_some() {
                        return Err(outside("more than one table (reference types)", offset));
                    }
                    if table.ty.element_type != RefType::FUNCREF
                        || table.ty.table64
                        || table.ty.shared
                    {
                        return Err(outside("non-funcref or 64-bit table", offset));
                    }
                    if !matches!(table.init, TableInit::RefNull) {
                        return Err(outside("table initializer expression", offset));
                    }
                    let initial = u32::try_from(table.ty.initial)
                        .map_err(|_| LoadError::Limit("table too large".into()))?;
                    p.table = Some(ParsedTable { initial });
                }
            }
            Payload::MemorySection(reader) => {
                let offset = reader.range().start;
                for m in reader {
                    let m = m.map_err(invalid)?;
                    if p.memory.is_some() {
                        return Err(outside("more than one memory (multi-memory)", offset));
                    }
                    if m.memory64 || m.shared || m.page_size_log2.is_some() {
                        return Err(outside("memory64, shared or custom-page memory", offset));
                    }
                    // Valid wasm32 memories have at most 65536 pages.
                    p.memory = Some((m.initial as u32, m.maximum.map(|x| x as u32)));
                }
            }
            Payload::TagSection(reader) => {
                return Err(outside("tag section (exceptions)", reader.range().start));
            }
            Payload::GlobalSection(reader) => {
                let offset = reader.range().start;
                for g in reader {
                    let g = g.map_err(invalid)?;
                    if g.ty.shared {
                        return Err(outside("shared global", offset));
                    }
                    let t = val_type(g.ty.content_type, offset)?;
                    let v = const_expr(&g.init_expr, &p.globals, imported_globals)?;
                    let v = if t == ValType::I32 {
                        v & 0xffff_ffff
                    } else {
                        v
                    };
                    p.globals.push((t, g.ty.mutable, v));
                }
            }
            Payload::ExportSection(reader) => {
                for e in reader {
                    let e = e.map_err(invalid)?;
                    let export = match e.kind {
                        wasmparser::ExternalKind::Func | wasmparser::ExternalKind::FuncExact => {
                            Export::Func(e.index)
                        }
                        wasmparser::ExternalKind::Global => Export::Global(e.index),
                        wasmparser::ExternalKind::Memory => Export::Memory,
                        wasmparser::ExternalKind::Table => Export::Table,
                        wasmparser::ExternalKind::Tag => {
                            return Err(outside("tag export (exceptions)", 0));
                        }
                    };
                    p.exports.push((e.name.to_string(), export));
                }
            }
            Payload::StartSection { func, .. } => p.start = Some(func),
            Payload::ElementSection(reader) => {
                let offset = reader.range().start;
                for el in reader {
                    let el = el.map_err(invalid)?;
                    let ElementKind::Active {
                        table_index,
                        offset_expr,
                    } = el.kind
                    else {
                        return Err(outside(
                            "passive or declared element segment (bulk memory)",
                            offset,
                        ));
                    };
                    if table_index.unwrap_or(0) != 0 {
                        return Err(outside("element segment for a second table", offset));
                    }
                    let at = const_expr(&offset_expr, &p.globals, imported_globals)? as u32;
                    let mut items = Vec::new();
                    match el.items {
                        ElementItems::Functions(r) => {
                            for f in r {
                                items.push(Some(f.map_err(invalid)?));
                            }
                        }
                        ElementItems::Expressions(..) => {
                            return Err(outside("element expressions (reference types)", offset));
                        }
                    }
                    p.elements.push((at, items));
                }
            }
            // Only a count; the opcodes that would use it (memory.init, data.drop) are rejected.
            Payload::DataCountSection { .. } => {}
            Payload::DataSection(reader) => {
                let offset = reader.range().start;
                for d in reader {
                    let d = d.map_err(invalid)?;
                    let DataKind::Active {
                        memory_index: 0,
                        offset_expr,
                    } = d.kind
                    else {
                        return Err(outside("passive data segment (bulk memory)", offset));
                    };
                    let at = const_expr(&offset_expr, &p.globals, imported_globals)? as u32;
                    p.data.push((at, d.data));
                }
            }
            Payload::CodeSectionStart { .. } => {}
            Payload::CodeSectionEntry(body) => {
                let index = num_imported_funcs.get() + defined_index as u32;
                defined_index += 1;
                p.bodies.push((body, index));
            }
            other => {
                let offset = other.as_section().map(|(_, r)| r.start).unwrap_or(0);
                return Err(outside("section outside WebAssembly 1.0", offset));
            }
        }
    }
    Ok(p)
}
