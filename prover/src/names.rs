//! The committed guest's function names: `test-vectors/guest/names.json`, a map from function
//! index to the demangled Rust path, for debuggers and the dispute viewer.
//!
//! The committed module is stripped (its bytes are what L1 commits to, and names would only
//! make them larger). The names come from a second build of the same sources with the same
//! settings but `strip = false`: linking keeps the `name` section (and DWARF) and changes
//! nothing else. [`check_same_code`] proves that for every build — every section but the
//! custom ones must be byte-identical to the committed module's — so a name can never be
//! attached to a function the committed guest does not have.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;

use alloy_primitives::{B256, keccak256};
use anyhow::{Context as _, bail, ensure};
use serde::{Deserialize, Serialize};
use wasmparser::{KnownCustom, Name, Parser, Payload};

/// The committed name map, relative to the repository root.
pub const NAMES_PATH: &str = "test-vectors/guest/names.json";

/// Function names of one module.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NameMap {
    /// keccak256 of the stripped module the names belong to.
    pub wasm_keccak: B256,
    /// Function index (imports first, as wasm counts) → demangled name without its hash.
    pub functions: BTreeMap<u32, String>,
}

impl NameMap {
    /// The name of function `index`, if the map has one.
    pub fn function(&self, index: u32) -> Option<&str> {
        self.functions.get(&index).map(String::as_str)
    }

    /// The names a build kept, checked to belong to `stripped`: the `name` section of
    /// `named`, whose other sections must equal `stripped`'s ([`check_same_code`]).
    pub fn of_build(named: &[u8], stripped: &[u8]) -> anyhow::Result<NameMap> {
        check_same_code(named, stripped)?;
        Ok(NameMap {
            wasm_keccak: keccak256(stripped),
            functions: function_names(named)?,
        })
    }

    /// Its JSON text (pretty, with a final newline), as committed.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("a name map always serializes");
        s.push('\n');
        s
    }
}

/// The committed guest's name map (compiled in), or `None` if it does not belong to the
/// committed module (a stale file: `fuse-l2 guest build --write` regenerates it, and the test
/// suite's rebuild check fails before that could land).
pub fn committed() -> Option<&'static NameMap> {
    static NAMES: OnceLock<Option<NameMap>> = OnceLock::new();
    NAMES
        .get_or_init(|| {
            let map: NameMap =
                serde_json::from_str(include_str!("../../test-vectors/guest/names.json")).ok()?;
            (map.wasm_keccak == keccak256(crate::guest::WASM)).then_some(map)
        })
        .as_ref()
}

/// Every section that is not a custom section, as raw bytes in order.
fn code_sections(wasm: &[u8]) -> anyhow::Result<Vec<(u8, &[u8])>> {
    let mut out = Vec::new();
    for payload in Parser::new(0).parse_all(wasm) {
        let payload = payload.context("the module does not parse")?;
        if let Some((id, range)) = payload.as_section()
            && id != 0
        {
            out.push((id, &wasm[range.start as usize..range.end as usize]));
        }
    }
    Ok(out)
}

/// Fails unless `a` and `b` have the same sections but custom ones, byte for byte: the same
/// types, imports, functions, tables, memory, globals, exports, elements, code and data.
pub fn check_same_code(a: &[u8], b: &[u8]) -> anyhow::Result<()> {
    let (sa, sb) = (code_sections(a)?, code_sections(b)?);
    ensure!(
        sa.len() == sb.len(),
        "the named build has {} non-custom sections, the committed module {}",
        sa.len(),
        sb.len()
    );
    for ((ia, da), (ib, db)) in sa.iter().zip(&sb) {
        if ia != ib || da != db {
            bail!(
                "section {ia} of the named build differs from section {ib} of the committed \
                 module ({} vs {} bytes): the names would not be this module's",
                da.len(),
                db.len()
            );
        }
    }
    Ok(())
}

/// The function names of `wasm`'s `name` section, demangled and without their hashes.
pub fn function_names(wasm: &[u8]) -> anyhow::Result<BTreeMap<u32, String>> {
    let mut names = BTreeMap::new();
    for payload in Parser::new(0).parse_all(wasm) {
        let Payload::CustomSection(c) = payload? else {
            continue;
        };
        let KnownCustom::Name(reader) = c.as_known() else {
            continue;
        };
        for sub in reader {
            if let Name::Function(map) = sub? {
                for naming in map {
                    let naming = naming?;
                    let name = format!("{:#}", rustc_demangle::demangle(naming.name));
                    names.insert(naming.index, name);
                }
            }
        }
    }
    ensure!(!names.is_empty(), "the build kept no function names");
    Ok(names)
}

/// Reads a committed name map file.
pub fn read(root: &Path) -> anyhow::Result<NameMap> {
    let text = std::fs::read_to_string(root.join(NAMES_PATH))
        .with_context(|| format!("reading {NAMES_PATH}"))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {NAMES_PATH}"))
}
