//! wasm bytes → [`Module`]: validate, check the subset, flatten, commit.
//!
//! Validation uses wasmparser with the current standard's features, so a module the spec
//! calls invalid is reported as [`LoadError::Invalid`]; a valid module that uses anything
//! outside WebAssembly 1.0 integers + mutable globals + sign extension is reported as
//! [`LoadError::OutsideSubset`] naming the construct, function and byte offset
//! (docs/design.md#rule-14). Loading never panics on any input.

mod assemble;
mod flatten;
mod imports;
mod operators;
mod sections;

pub use imports::{ImportValues, Imports};

use crate::error::LoadError;
use crate::module::Module;

/// The export the synthetic entry calls for a rollup guest (docs/spec/guest-abi.md).
pub const ENTRY_EXPORT: &str = "fuse_entry";

/// Loads a module whose only imports are the `fuse` host functions.
pub fn load(bytes: &[u8]) -> Result<Module, LoadError> {
    load_with(bytes, &Imports::default())
}

/// Loads a module, resolving non-host imports (globals, a memory, a table) with `imports`.
/// Used by the spec-test runner; the rollup guest imports only host functions.
pub fn load_with(bytes: &[u8], imports: &Imports) -> Result<Module, LoadError> {
    let mut validator =
        wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::default());
    validator
        .validate_all(bytes)
        .map_err(|e| LoadError::Invalid {
            message: e.message().to_string(),
            offset: e.offset(),
        })?;
    let parsed = sections::parse(bytes, imports)?;
    let module = assemble::build(parsed)?;
    // The subset's own checks name the construct; this one makes sure nothing else slipped
    // through, with the exact feature set the wasmtime twin enables.
    let mut subset = wasmparser::Validator::new_with_features(subset_features());
    subset
        .validate_all(bytes)
        .map_err(|e| LoadError::OutsideSubset {
            what: e.message().to_string(),
            func: None,
            offset: e.offset(),
        })?;
    Ok(module)
}

/// WebAssembly 1.0 + mutable globals + sign extension (docs/design.md#rule-14). Floats stay on
/// here only so that the subset checks above can name the float opcode or type they reject.
pub fn subset_features() -> wasmparser::WasmFeatures {
    use wasmparser::WasmFeatures as F;
    F::WASM1 | F::SIGN_EXTENSION
}
