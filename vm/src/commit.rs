//! The module commitment: code, table, globals and memory trees, the static hash, and the
//! module hash whose initial value is the module root (docs/spec/machine-hash.md).

use alloy_primitives::B256;

use crate::merkle::{self, Tree};
use crate::module::{Function, Module};

pub use fuse_primitives::tags::{TAG_MODULE, TAG_STATIC};

/// `keccak256(0x05 ‖ codeRoot ‖ tableRoot ‖ codeDepth (u8))`, 66 bytes.
pub fn static_hash(code_root: B256, table_root: B256, code_depth: u8) -> B256 {
    let mut buf = [0u8; 66];
    buf[0] = TAG_STATIC;
    buf[1..33].copy_from_slice(code_root.as_slice());
    buf[33..65].copy_from_slice(table_root.as_slice());
    buf[65] = code_depth;
    crate::hash::keccak(&buf)
}

/// `keccak256(0x04 ‖ static ‖ globalsRoot ‖ memoryRoot ‖ memoryPages (u32))`, 101 bytes.
pub fn module_hash(static_hash: B256, globals_root: B256, memory_root: B256, pages: u32) -> B256 {
    let mut buf = [0u8; 101];
    buf[0] = TAG_MODULE;
    buf[1..33].copy_from_slice(static_hash.as_slice());
    buf[33..65].copy_from_slice(globals_root.as_slice());
    buf[65..97].copy_from_slice(memory_root.as_slice());
    buf[97..101].copy_from_slice(&pages.to_be_bytes());
    crate::hash::keccak(&buf)
}

/// A table element's leaf: `1 ‖ typeId (u32) ‖ entryPc (u32) ‖ params (u32) ‖ locals (u32) ‖
/// zeros`; an empty slot is all zero.
pub fn table_leaf(module: &Module, element: Option<u32>) -> B256 {
    let mut leaf = [0u8; 32];
    if let Some(f) = element
        && let Some(Function::Defined {
            type_index,
            entry_pc,
            num_locals,
        }) = module.functions.get(f as usize)
    {
        let params = module.types[*type_index as usize].params.len() as u32;
        leaf[0] = 1;
        leaf[1..5].copy_from_slice(&module.canonical_type[*type_index as usize].to_be_bytes());
        leaf[5..9].copy_from_slice(&entry_pc.to_be_bytes());
        leaf[9..13].copy_from_slice(&params.to_be_bytes());
        leaf[13..17].copy_from_slice(&num_locals.to_be_bytes());
    }
    B256::from(leaf)
}

/// The code tree.
pub fn code_tree(module: &Module) -> Tree {
    let leaves = module.code.iter().map(|i| B256::from(i.leaf())).collect();
    Tree::new(merkle::TAG_CODE, module.code_depth, leaves)
}

/// The table tree (empty when the module has no table).
pub fn table_tree(module: &Module) -> Tree {
    let leaves = module
        .table
        .as_ref()
        .map(|t| t.iter().map(|e| table_leaf(module, *e)).collect())
        .unwrap_or_default();
    Tree::new(merkle::TAG_TABLE, module.table_depth, leaves)
}

/// The module's static hash (code and table never change).
pub fn module_static_hash(module: &Module) -> B256 {
    static_hash(
        code_tree(module).root(),
        table_tree(module).root(),
        module.code_depth,
    )
}

/// The module root: the module hash of the module as loaded.
pub fn module_root(module: &Module) -> B256 {
    let globals_root = Tree::new(
        merkle::TAG_GLOBALS,
        module.globals_depth,
        merkle::pack_values(&module.globals),
    )
    .root();
    let memory_root = Tree::new(
        merkle::TAG_MEMORY,
        module.memory_depth,
        merkle::chunk_leaves(&module.initial_memory),
    )
    .root();
    module_hash(
        module.static_hash,
        globals_root,
        memory_root,
        module.memory.map(|m| m.initial_pages).unwrap_or(0),
    )
}
