//! A loaded module: the flat program and everything the machine starts from.

use alloy_primitives::B256;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::isa::Instruction;

/// A value type of the subset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ValType {
    /// 32-bit integer, held zero-extended in a 64-bit slot.
    I32,
    /// 64-bit integer.
    I64,
}

/// A function signature of the subset: integer params, at most one integer result.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FuncType {
    /// Parameter types.
    pub params: Vec<ValType>,
    /// Result types (zero or one).
    pub results: Vec<ValType>,
}

/// A host function the guest imports from module `"fuse"` (docs/spec/guest-abi.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum HostFunc {
    /// `read_inbox(offset: i32, dest: i32) -> i32`
    ReadInbox,
    /// `read_preimage(hash_ptr: i32, offset: i32, dest: i32) -> i32`
    ReadPreimage,
    /// `keccak256(src: i32, len: i32, dest: i32)`
    Keccak256,
    /// `ecrecover(input_ptr: i32, dest: i32)`
    Ecrecover,
    /// `get_bytes32(index: i32, dest: i32)`
    GetBytes32,
    /// `set_bytes32(index: i32, src: i32)`
    SetBytes32,
    /// `get_u64(index: i32) -> i64`
    GetU64,
    /// `set_u64(index: i32, value: i64)`
    SetU64,
    /// `halt()`
    Halt,
}

impl HostFunc {
    /// The import module every host function lives in.
    pub const MODULE: &'static str = "fuse";

    /// Every host function.
    pub const ALL: [HostFunc; 9] = [
        HostFunc::ReadInbox,
        HostFunc::ReadPreimage,
        HostFunc::Keccak256,
        HostFunc::Ecrecover,
        HostFunc::GetBytes32,
        HostFunc::SetBytes32,
        HostFunc::GetU64,
        HostFunc::SetU64,
        HostFunc::Halt,
    ];

    /// The import name.
    pub fn name(self) -> &'static str {
        match self {
            HostFunc::ReadInbox => "read_inbox",
            HostFunc::ReadPreimage => "read_preimage",
            HostFunc::Keccak256 => "keccak256",
            HostFunc::Ecrecover => "ecrecover",
            HostFunc::GetBytes32 => "get_bytes32",
            HostFunc::SetBytes32 => "set_bytes32",
            HostFunc::GetU64 => "get_u64",
            HostFunc::SetU64 => "set_u64",
            HostFunc::Halt => "halt",
        }
    }

    /// The host function imported as `name`.
    pub fn from_name(name: &str) -> Option<HostFunc> {
        HostFunc::ALL.into_iter().find(|h| h.name() == name)
    }

    /// Its signature.
    pub fn signature(self) -> FuncType {
        use ValType::*;
        let (params, results): (&[ValType], &[ValType]) = match self {
            HostFunc::ReadInbox => (&[I32, I32], &[I32]),
            HostFunc::ReadPreimage => (&[I32, I32, I32], &[I32]),
            HostFunc::Keccak256 => (&[I32, I32, I32], &[]),
            HostFunc::Ecrecover => (&[I32, I32], &[]),
            HostFunc::GetBytes32 => (&[I32, I32], &[]),
            HostFunc::SetBytes32 => (&[I32, I32], &[]),
            HostFunc::GetU64 => (&[I32], &[I64]),
            HostFunc::SetU64 => (&[I32, I64], &[]),
            HostFunc::Halt => (&[], &[]),
        };
        FuncType {
            params: params.to_vec(),
            results: results.to_vec(),
        }
    }

    /// The flat opcode a direct call to it becomes.
    pub fn opcode(self) -> crate::isa::Opcode {
        use crate::isa::Opcode;
        match self {
            HostFunc::ReadInbox => Opcode::ReadInbox,
            HostFunc::ReadPreimage => Opcode::ReadPreimage,
            HostFunc::Keccak256 => Opcode::Keccak256,
            HostFunc::Ecrecover => Opcode::Ecrecover,
            HostFunc::GetBytes32 => Opcode::GetBytes32,
            HostFunc::SetBytes32 => Opcode::SetBytes32,
            HostFunc::GetU64 => Opcode::GetU64,
            HostFunc::SetU64 => Opcode::SetU64,
            HostFunc::Halt => Opcode::Halt,
        }
    }
}

/// A function of the module's function index space.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Function {
    /// An imported host function.
    Host {
        /// Which one.
        host: HostFunc,
        /// Its type index.
        type_index: u32,
    },
    /// A function defined in the module.
    Defined {
        /// Its type index.
        type_index: u32,
        /// The pc of its first flat instruction.
        entry_pc: u32,
        /// Parameters plus declared locals.
        num_locals: u32,
    },
}

impl Function {
    /// The function's type index.
    pub fn type_index(&self) -> u32 {
        match self {
            Function::Host { type_index, .. } | Function::Defined { type_index, .. } => *type_index,
        }
    }
}

/// What an export names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Export {
    /// A function index.
    Func(u32),
    /// A global index.
    Global(u32),
    /// The memory.
    Memory,
    /// The table.
    Table,
}

/// Linear memory geometry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemoryLimits {
    /// Initial size in 64 KiB pages.
    pub initial_pages: u32,
    /// Pages `memory.grow` may reach: the declared maximum, or [`crate::MAX_MEMORY_PAGES`].
    pub max_pages: u32,
}

/// A loaded, validated and flattened module, ready to run.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Module {
    /// The flat program; pc 0 is the synthetic entry.
    pub code: Vec<Instruction>,
    /// Signatures by type index.
    pub types: Vec<FuncType>,
    /// Canonical type id by type index: structurally equal types share an id, which is what
    /// `call_indirect` compares.
    pub canonical_type: Vec<u32>,
    /// The function index space (imports first).
    pub functions: Vec<Function>,
    /// The table's elements (function indices), if the module has a table.
    pub table: Option<Vec<Option<u32>>>,
    /// Initial global values.
    pub globals: Vec<u64>,
    /// Global types (and mutability).
    pub global_types: Vec<(ValType, bool)>,
    /// Memory geometry, if the module has a memory.
    pub memory: Option<MemoryLimits>,
    /// Initial memory contents (data segments applied), `initial_pages` long.
    pub initial_memory: Vec<u8>,
    /// Exports by name (sorted, so iteration order is fixed).
    pub exports: BTreeMap<String, Export>,
    /// The pc of the synthetic entry's `finish` instruction.
    pub finish_pc: u32,
    /// Depth of the memory Merkle tree (from the memory's maximum size).
    pub memory_depth: u8,
    /// Depth of the globals Merkle tree.
    pub globals_depth: u8,
    /// Depth of the table Merkle tree.
    pub table_depth: u8,
    /// Depth of the code Merkle tree.
    pub code_depth: u8,
    /// The static hash: code and table, which never change (docs/spec/machine-hash.md).
    pub static_hash: B256,
    /// The module root (docs/spec/machine-hash.md).
    pub root: B256,
    /// The code and table trees, built the first time a proof needs a path into them.
    #[serde(skip)]
    pub(crate) proof_trees: std::sync::OnceLock<ProofTrees>,
    /// Where each function's flat code lies, by pc: the synthetic entry first, then every
    /// defined function in code order; together they cover the code. Not committed (derived
    /// from the code); lets a restored snapshot be checked against the function of each pc.
    pub bodies: Vec<Body>,
    /// The most values any function ever has on its own value stack (static, from
    /// validation). The step loop reserves this much room on entering a frame, so pushes
    /// need no capacity check.
    pub max_stack_height: u32,
}

/// The trees of a module's fixed parts, kept for proofs.
#[derive(Clone, Debug)]
pub(crate) struct ProofTrees {
    pub(crate) code: crate::merkle::Tree,
    pub(crate) table: crate::merkle::Tree,
}

/// The flat code of one function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Body {
    /// Its first pc.
    pub start: u32,
    /// One past its last pc.
    pub end: u32,
    /// Locals of a frame running it, parameters included (0 for the synthetic entry).
    pub num_locals: u32,
}

impl Module {
    /// The signature of function `index`.
    pub fn func_type(&self, index: u32) -> Option<&FuncType> {
        let f = self.functions.get(index as usize)?;
        self.types.get(f.type_index() as usize)
    }

    /// The code and table trees (built once).
    pub(crate) fn proof_trees(&self) -> &ProofTrees {
        self.proof_trees.get_or_init(|| {
            let mut code = crate::commit::code_tree(self);
            let mut table = crate::commit::table_tree(self);
            code.update();
            table.update();
            ProofTrees { code, table }
        })
    }

    /// The function body whose code holds `pc`, if any.
    pub fn body_at(&self, pc: u32) -> Option<&Body> {
        let i = self.bodies.partition_point(|b| b.end <= pc);
        self.bodies.get(i).filter(|b| b.start <= pc)
    }

    /// The function exported as `name`, if any.
    pub fn exported_func(&self, name: &str) -> Option<u32> {
        match self.exports.get(name) {
            Some(Export::Func(i)) => Some(*i),
            _ => None,
        }
    }
}

/// Depth of the Merkle tree over `leaves` leaves: `ceil(log2(leaves))`, 0 for one leaf or none.
pub fn tree_depth(leaves: u64) -> u8 {
    if leaves <= 1 {
        0
    } else {
        (64 - (leaves - 1).leading_zeros()) as u8
    }
}

/// Depth of the locals tree of a frame with `num_locals` locals (four 8-byte values a leaf).
pub fn locals_depth(num_locals: u32) -> u8 {
    tree_depth((num_locals as u64).div_ceil(4))
}
