//! Errors of loading and running.

use thiserror::Error;

/// Why a machine stopped with status `Errored`: a WebAssembly trap, or a host call the guest
/// made wrongly. Never a host-side failure (see [`HostError`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error, serde::Serialize, serde::Deserialize)]
pub enum Trap {
    /// `unreachable` executed.
    #[error("unreachable")]
    Unreachable,
    /// Integer division or remainder by zero.
    #[error("integer divide by zero")]
    DivideByZero,
    /// Signed division overflow (`MIN / -1`).
    #[error("integer overflow")]
    IntegerOverflow,
    /// A load or store outside linear memory.
    #[error("out of bounds memory access")]
    OutOfBoundsMemory,
    /// An element segment outside the table (at instantiation).
    #[error("out of bounds table access")]
    OutOfBoundsTable,
    /// `call_indirect` past the table's end.
    #[error("undefined element")]
    UndefinedElement,
    /// `call_indirect` of an empty table slot.
    #[error("uninitialized element")]
    UninitializedElement,
    /// `call_indirect` whose signature does not match.
    #[error("indirect call type mismatch")]
    IndirectCallTypeMismatch,
    /// More than [`crate::MAX_FRAMES`] nested calls.
    #[error("call stack exhausted")]
    CallStackExhausted,
    /// A host call with a bad argument (misaligned or out-of-bounds pointer, bad index, length).
    #[error("bad host call argument")]
    BadHostCall,
}

/// Input the host cannot supply: an error to the caller of the machine, never a machine
/// status (the message may simply not be on L1 yet).
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum HostError {
    /// The inbox has no message at this position (yet).
    #[error("inbox message {0} is not available")]
    MissingMessage(u64),
    /// No preimage is known for this hash.
    #[error("no preimage known for {0}")]
    MissingPreimage(alloy_primitives::B256),
    /// The host's own failure.
    #[error("host failure: {0}")]
    Other(String),
}

/// Why a module did not load.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum LoadError {
    /// The bytes are not a valid WebAssembly module.
    #[error("invalid module at byte {offset:#x}: {message}")]
    Invalid {
        /// What the validator said.
        message: String,
        /// Byte offset in the module.
        offset: u64,
    },
    /// A valid module that uses something outside the machine's subset.
    #[error("outside the subset: {what}{} at byte {offset:#x}", .func.map(|f| format!(" in function {f}")).unwrap_or_default())]
    OutsideSubset {
        /// The opcode, type or section, by name.
        what: String,
        /// The function index, for an opcode.
        func: Option<u32>,
        /// Byte offset in the module.
        offset: u64,
    },
    /// An import the machine does not provide, or provides with another type.
    #[error("unlinkable: {0}")]
    Unlinkable(String),
    /// Instantiation trapped (a data or element segment out of bounds).
    #[error("instantiation trapped: {0}")]
    Instantiation(Trap),
    /// The module exceeds a limit of the machine (code size, locals...).
    #[error("machine limit exceeded: {0}")]
    Limit(String),
}
