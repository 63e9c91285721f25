//! Values for non-host imports, for running spec tests.

use std::collections::BTreeMap;

/// What an import resolves to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImportValues {
    /// An immutable global of type i32 with this value.
    GlobalI32(u32),
    /// An immutable global of type i64 with this value.
    GlobalI64(u64),
    /// A fresh memory with these limits (pages).
    Memory {
        /// Initial pages.
        initial: u32,
        /// Maximum pages.
        max: Option<u32>,
    },
    /// A function that exists outside the machine (the spec tests' `print`s): a module that
    /// imports it is outside the subset, not unlinkable.
    Func,
    /// A fresh, empty funcref table with these limits.
    Table {
        /// Initial elements.
        initial: u32,
        /// Maximum elements.
        max: Option<u32>,
    },
}

/// Non-host imports a module may use, by (module, name). Because the machine runs a single
/// module, an imported memory or table is a fresh one of the given limits, not shared.
#[derive(Clone, Debug, Default)]
pub struct Imports {
    /// The resolvable imports.
    pub values: BTreeMap<(String, String), ImportValues>,
}

impl Imports {
    /// The `spectest` module of the WebAssembly spec testsuite (its globals, memory, table).
    pub fn spectest() -> Self {
        let mut values = BTreeMap::new();
        let mut put = |name: &str, v| {
            values.insert(("spectest".to_string(), name.to_string()), v);
        };
        for print in [
            "print",
            "print_i32",
            "print_i64",
            "print_f32",
            "print_f64",
            "print_i32_f32",
            "print_f64_f64",
        ] {
            put(print, ImportValues::Func);
        }
        put("global_i32", ImportValues::GlobalI32(666));
        put("global_i64", ImportValues::GlobalI64(666));
        put(
            "memory",
            ImportValues::Memory {
                initial: 1,
                max: Some(2),
            },
        );
        put(
            "table",
            ImportValues::Table {
                initial: 10,
                max: Some(20),
            },
        );
        Imports { values }
    }
}
