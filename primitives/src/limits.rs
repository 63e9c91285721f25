//! The limits every side of the protocol must agree on: a proof that one side accepts and
//! the other refuses over a limit would split the chain.

/// Bytes in a wasm page.
pub const PAGE_SIZE: usize = 65536;
/// Memory-tree leaves (32 bytes each) in a page.
pub const LEAVES_PER_PAGE: u64 = (PAGE_SIZE / 32) as u64;
/// Most pages a memory may reach (wasm32's whole address space).
pub const MAX_MEMORY_PAGES: u32 = 65536;
/// Most elements a table may have.
pub const MAX_TABLE_SIZE: u32 = 1 << 20;
/// Most saved frames (call depth); one more call traps with `CallStackExhausted`.
pub const MAX_FRAMES: usize = 1 << 14;
/// Steps a block may take (docs/design.md#rule-2); level 2 of a challenge bisects exactly
/// `[0, MAX_STEPS]`.
pub const MAX_STEPS: u64 = 1 << 32;
/// Most bytes a preimage or a keccak input of the guest may have (docs/design.md#rule-8 and
/// docs/design.md#rule-9): one keccak permutation's worth of rate, rounded to whole words,
/// so a one-step proof of `read_preimage` or `keccak256` stays small.
pub const MAX_PREIMAGE: usize = 256;
/// Bytes of an inbox message's header; its data follows (docs/spec/inbox.md).
pub const INBOX_HEADER_BYTES: usize = 32;
/// Deepest Merkle tree any structure uses (memory: 2^32 bytes / 32 = 2^27 leaves).
pub const MAX_TREE_DEPTH: usize = 40;
