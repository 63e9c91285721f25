//! Short random programs for the proof suites: a module whose exported `run` executes a
//! random, valid, typed sequence of instructions that favours the edges a proof must get
//! right — integer extremes, divisions by zero, memory accesses at leaf boundaries and at the
//! end of memory, `memory.grow` at its limit, `call_indirect` to empty slots and wrong types,
//! branches that clean the stack, recursion — over random memory, locals and globals.
//!
//! Deterministic: the same seed gives the same program.

use std::fmt::Write;

use alloy_primitives::B256;

use crate::{MemoryHost, inbox};

/// A small deterministic generator (xorshift64), so a failing case replays from its seed.
pub struct Rng(u64);

impl Rng {
    /// A generator from `seed`.
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9e37_79b9_7f4a_7c15 | 1)
    }

    /// The next value.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A value below `n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// One of `items`.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Ty {
    I32,
    I64,
}

impl Ty {
    fn name(self) -> &'static str {
        match self {
            Ty::I32 => "i32",
            Ty::I64 => "i64",
        }
    }
}

const I32_EDGES: &[i64] = &[
    0,
    1,
    -1,
    2,
    31,
    32,
    33,
    i32::MIN as i64,
    i32::MAX as i64,
    0x8000,
];
const I64_EDGES: &[i64] = &[0, 1, -1, 63, 64, i64::MIN, i64::MAX, 1 << 32, -(1 << 32)];
const UNARY_I32: &[&str] = &["eqz", "clz", "ctz", "popcnt", "extend8_s", "extend16_s"];
const UNARY_I64: &[&str] = &[
    "clz",
    "ctz",
    "popcnt",
    "extend8_s",
    "extend16_s",
    "extend32_s",
];
const BINARY: &[&str] = &[
    "add", "sub", "mul", "div_s", "div_u", "rem_s", "rem_u", "and", "or", "xor", "shl", "shr_s",
    "shr_u", "rotl", "rotr", "eq", "ne", "lt_s", "lt_u", "gt_s", "gt_u", "le_s", "le_u", "ge_s",
    "ge_u",
];
const LOADS_I32: &[(&str, u64)] = &[
    ("i32.load", 4),
    ("i32.load8_s", 1),
    ("i32.load8_u", 1),
    ("i32.load16_s", 2),
    ("i32.load16_u", 2),
];
const LOADS_I64: &[(&str, u64)] = &[
    ("i64.load", 8),
    ("i64.load8_s", 1),
    ("i64.load8_u", 1),
    ("i64.load16_s", 2),
    ("i64.load16_u", 2),
    ("i64.load32_s", 4),
    ("i64.load32_u", 4),
];
const STORES: &[(&str, Ty)] = &[
    ("i32.store", Ty::I32),
    ("i32.store8", Ty::I32),
    ("i32.store16", Ty::I32),
    ("i64.store", Ty::I64),
    ("i64.store8", Ty::I64),
    ("i64.store16", Ty::I64),
    ("i64.store32", Ty::I64),
];

/// Locals of `run`: five i32 then three i64 (two locals leaves).
const LOCALS: [Ty; 8] = [
    Ty::I32,
    Ty::I32,
    Ty::I32,
    Ty::I32,
    Ty::I32,
    Ty::I64,
    Ty::I64,
    Ty::I64,
];
/// Globals: three i32 then three i64 (two globals leaves).
const GLOBALS: [Ty; 6] = [Ty::I32, Ty::I32, Ty::I32, Ty::I64, Ty::I64, Ty::I64];

struct Gen<'r> {
    rng: &'r mut Rng,
    out: String,
    stack: Vec<Ty>,
}

impl Gen<'_> {
    fn emit(&mut self, s: &str) {
        self.out.push_str("    ");
        self.out.push_str(s);
        self.out.push('\n');
    }

    fn constant(&mut self, ty: Ty) {
        let v = if self.rng.below(3) == 0 {
            self.rng.next_u64() as i64
        } else if ty == Ty::I32 {
            *self.rng.pick(I32_EDGES)
        } else {
            *self.rng.pick(I64_EDGES)
        };
        let v = if ty == Ty::I32 { v as i32 as i64 } else { v };
        self.emit(&format!("{}.const {v}", ty.name()));
        self.stack.push(ty);
    }

    /// An address near a leaf boundary, the end of the first page, or out of bounds.
    fn address(&mut self) {
        // Out of bounds about one time in twenty, so most programs run to their end.
        let a = match self.rng.below(20) {
            0..=4 => 32 * self.rng.below(64) + 32 - self.rng.below(8),
            5..=7 => 65536 - 40 - self.rng.below(24),
            8 => 65536 * 2 - self.rng.below(12),
            9..=12 => self.rng.below(4096),
            _ => 32 * self.rng.below(1800) + self.rng.below(32),
        };
        self.emit(&format!("i32.const {}", a as u32 as i32));
        self.stack.push(Ty::I32);
    }

    fn top(&self) -> Option<Ty> {
        self.stack.last().copied()
    }

    fn top2_same(&self) -> Option<Ty> {
        let n = self.stack.len();
        (n >= 2 && self.stack[n - 1] == self.stack[n - 2]).then(|| self.stack[n - 1])
    }

    /// One random instruction (or a short fixed pattern) that keeps the code valid.
    fn step(&mut self) {
        match self.rng.below(22) {
            0..=3 => {
                let ty = if self.rng.below(2) == 0 {
                    Ty::I32
                } else {
                    Ty::I64
                };
                self.constant(ty);
            }
            4 => {
                if let Some(ty) = self.top() {
                    let op = match ty {
                        Ty::I32 => *self.rng.pick(UNARY_I32),
                        Ty::I64 => *self.rng.pick(UNARY_I64),
                    };
                    self.emit(&format!("{}.{op}", ty.name()));
                    if op == "eqz" {
                        self.stack.pop();
                        self.stack.push(Ty::I32);
                    }
                }
            }
            5..=7 => {
                if let Some(ty) = self.top2_same() {
                    let mut op = *self.rng.pick(BINARY);
                    // Divisions trap on zero (and MIN / -1): keep them, but rarer.
                    if op.starts_with("div") || op.starts_with("rem") {
                        op = *self.rng.pick(BINARY);
                    }
                    self.emit(&format!("{}.{op}", ty.name()));
                    self.stack.pop();
                    if op.starts_with(['e', 'n', 'l', 'g']) {
                        self.stack.pop();
                        self.stack.push(Ty::I32);
                    }
                }
            }
            8 => match self.top() {
                Some(Ty::I64) => {
                    self.emit("i32.wrap_i64");
                    self.stack.pop();
                    self.stack.push(Ty::I32);
                }
                Some(Ty::I32) => {
                    let op = if self.rng.below(2) == 0 { "s" } else { "u" };
                    self.emit(&format!("i64.extend_i32_{op}"));
                    self.stack.pop();
                    self.stack.push(Ty::I64);
                }
                None => {}
            },
            9 | 10 => {
                self.address();
                self.stack.pop();
                let offset = *self.rng.pick(&[0u64, 1, 7, 31, 32, 0, 3]);
                let (op, ty) = if self.rng.below(2) == 0 {
                    (self.rng.pick(LOADS_I32).0, Ty::I32)
                } else {
                    (self.rng.pick(LOADS_I64).0, Ty::I64)
                };
                self.emit(&format!("{op} offset={offset}"));
                self.stack.push(ty);
            }
            11 | 12 => {
                self.address();
                let &(op, ty) = self.rng.pick(STORES);
                self.constant(ty);
                let offset = self.rng.below(40);
                self.emit(&format!("{op} offset={offset}"));
                self.stack.truncate(self.stack.len() - 2);
            }
            13 => {
                let i = self.rng.below(LOCALS.len() as u64) as usize;
                let ty = LOCALS[i];
                match (self.rng.below(3), self.top()) {
                    (1, Some(t)) if t == ty => {
                        self.emit(&format!("local.set {i}"));
                        self.stack.pop();
                    }
                    (2, Some(t)) if t == ty => self.emit(&format!("local.tee {i}")),
                    _ => {
                        self.emit(&format!("local.get {i}"));
                        self.stack.push(ty);
                    }
                }
            }
            14 => {
                let i = self.rng.below(GLOBALS.len() as u64) as usize;
                let ty = GLOBALS[i];
                if self.top() == Some(ty) && self.rng.below(2) == 0 {
                    self.emit(&format!("global.set {i}"));
                    self.stack.pop();
                } else {
                    self.emit(&format!("global.get {i}"));
                    self.stack.push(ty);
                }
            }
            15 => {
                if let Some(ty) = self.top2_same() {
                    self.constant(Ty::I32);
                    self.emit("select");
                    self.stack.truncate(self.stack.len() - 3);
                    self.stack.push(ty);
                } else if !self.stack.is_empty() {
                    self.emit("drop");
                    self.stack.pop();
                }
            }
            16 => {
                if self.rng.below(2) == 0 {
                    self.emit("memory.size");
                } else {
                    let delta = *self.rng.pick(&[0i64, 1, 2, 3, -1]);
                    self.emit(&format!("i32.const {delta}"));
                    self.emit("memory.grow");
                }
                self.stack.push(Ty::I32);
            }
            17 => {
                // call_indirect: slots 0-1 hold $add (type 0), slot 2 $inc (type 1), slot 3
                // is empty, 4 and beyond are outside the table.
                let slot = [0, 1, 0, 1, 0, 1, 2, 3, 4][self.rng.below(9) as usize];
                self.emit("i32.const 7");
                self.emit("i32.const 9");
                self.emit(&format!("i32.const {slot}"));
                self.emit("call_indirect (type 0)");
                self.stack.push(Ty::I32);
            }
            18 => {
                let n = self.rng.below(12);
                self.emit(&format!("i32.const {n}"));
                self.emit("call $rec");
                self.stack.push(Ty::I32);
            }
            19 => {
                // A branch out of a block that leaves values to clean up (drop or nip).
                let (a, b, c) = (self.rng.below(3), self.rng.below(100), self.rng.below(2));
                self.emit(&format!(
                    "(block (result i32) (i32.const {a}) (i32.const {b}) (br_if 0 (i32.const {c})) \
                     (drop) (drop) (i32.const 5))"
                ));
                self.stack.push(Ty::I32);
            }
            20 => {
                let k = self.rng.below(5);
                self.emit(&format!(
                    "(block (block (block (br_table 0 1 2 (i32.const {k}))) \
                     (local.set 3 (i32.const 11))) (local.set 3 (i32.const 22)))"
                ));
                self.emit("local.get 3");
                self.stack.push(Ty::I32);
            }
            _ => {
                let n = self.rng.below(4);
                self.emit(&format!(
                    "(local.set 4 (i32.const {n})) (block (loop (br_if 1 (i32.eqz (local.get 4))) \
                     (local.set 4 (i32.sub (local.get 4) (i32.const 1))) (br 0)))"
                ));
            }
        }
    }
}

/// A module whose exported `run: () -> i64` runs `len` random instructions (then folds the
/// stack into its result), from `seed`.
pub fn random_program(seed: u64, len: usize) -> String {
    let mut rng = Rng::new(seed);
    let mut g = Gen {
        rng: &mut rng,
        out: String::new(),
        stack: Vec::new(),
    };
    for _ in 0..len {
        g.step();
    }
    // Fold the stack into one i64 (local 5 is an i64 scratch), so every value matters.
    loop {
        let Some(ty) = g.stack.pop() else {
            g.emit("i64.const 0");
            break;
        };
        if ty == Ty::I32 {
            g.emit("i64.extend_i32_u");
        }
        let Some(below) = g.stack.pop() else {
            break;
        };
        g.emit("local.set 5");
        if below == Ty::I32 {
            g.emit("i64.extend_i32_u");
        }
        g.emit("local.get 5");
        g.emit("i64.xor");
        g.stack.push(Ty::I64);
    }
    let body = g.out;
    let mut data = String::new();
    for _ in 0..96 {
        let _ = write!(data, "\\{:02x}", rng.below(256));
    }
    let g0 = rng.next_u64() as i32;
    let g3 = rng.next_u64() as i64;
    format!(
        r#"(module
  (type (func (param i32 i32) (result i32)))
  (type (func (param i64) (result i64)))
  (memory 1 2)
  (global (mut i32) (i32.const {g0}))
  (global (mut i32) (i32.const 0))
  (global (mut i32) (i32.const -1))
  (global (mut i64) (i64.const {g3}))
  (global (mut i64) (i64.const 0))
  (global (mut i64) (i64.const -1))
  (table 4 funcref)
  (elem (i32.const 0) $add $add $inc)
  (data (i32.const 16) "{data}")
  (func $add (type 0) (i32.add (local.get 0) (local.get 1)))
  (func $inc (type 1) (i64.add (local.get 0) (i64.const 1)))
  (func $rec (param i32) (result i32)
    (if (result i32) (local.get 0)
      (then (i32.add (call $rec (i32.sub (local.get 0) (i32.const 1))) (i32.const 3)))
      (else (i32.const 0))))
  (func (export "run") (result i64)
    (local i32 i32 i32 i32 i32 i64 i64 i64)
{body}  )
)"#
    )
}

/// Module bytes from WebAssembly text (panics on bad text: test support).
pub fn wat(text: &str) -> Vec<u8> {
    try_wat(text).unwrap_or_else(|e| panic!("{e}"))
}

/// Module bytes from WebAssembly text, or why the text is not a module.
pub fn try_wat(text: &str) -> Result<Vec<u8>, String> {
    let buf = wast::parser::ParseBuffer::new(text).map_err(|e| e.to_string())?;
    let mut w: wast::Wat = wast::parser::parse(&buf).map_err(|e| e.to_string())?;
    w.encode().map_err(|e| e.to_string())
}

/// The import list of every host function (module `fuse`), for test modules.
pub const HOST_IMPORTS: &str = r#"  (import "fuse" "read_inbox" (func $read_inbox (param i32 i32) (result i32)))
  (import "fuse" "read_preimage" (func $read_preimage (param i32 i32 i32) (result i32)))
  (import "fuse" "keccak256" (func $keccak (param i32 i32 i32)))
  (import "fuse" "ecrecover" (func $ecrecover (param i32 i32)))
  (import "fuse" "get_bytes32" (func $get_bytes32 (param i32 i32)))
  (import "fuse" "set_bytes32" (func $set_bytes32 (param i32 i32)))
  (import "fuse" "get_u64" (func $get_u64 (param i32) (result i64)))
  (import "fuse" "set_u64" (func $set_u64 (param i32 i64)))
  (import "fuse" "halt" (func $halt))"#;

/// A guest that uses every host function; the message it reads is at inbox position 2.
pub fn host_guest() -> String {
    format!(
        r#"(module
{HOST_IMPORTS}
  (memory (export "memory") 1 1)
  (func (export "fuse_entry")
    (local $n i32) (local $off i32)
    ;; the whole message (and one word past its end) to 0x100..
    (block (loop
      (local.set $n (i32.add (local.get $n)
        (call $read_inbox (local.get $off) (i32.add (i32.const 0x100) (local.get $off)))))
      (local.set $off (i32.add (local.get $off) (i32.const 32)))
      (br_if 0 (i32.lt_u (local.get $off) (i32.const 224)))))
    (call $keccak (i32.const 0x100) (i32.const 40) (i32.const 0x200))
    (local.set $n (i32.add (local.get $n)
      (call $read_preimage (i32.const 0x200) (i32.const 32) (i32.const 0x220))))
    (drop (call $read_preimage (i32.const 0x200) (i32.const 64) (i32.const 0x240)))
    (call $keccak (i32.const 0x100) (i32.const 0) (i32.const 0x260))
    (call $keccak (i32.const 0x100) (i32.const 256) (i32.const 0x280))
    (call $ecrecover (i32.const 0x100) (i32.const 0x400))
    (call $set_bytes32 (i32.const 0) (i32.const 0x200))
    (call $set_bytes32 (i32.const 1) (i32.const 0x400))
    (call $set_u64 (i32.const 0) (i64.add (call $get_u64 (i32.const 0)) (i64.const 1)))
    (call $set_u64 (i32.const 1) (i64.extend_i32_u (local.get $n)))
    (call $get_bytes32 (i32.const 0) (i32.const 0x500))
    (call $halt)))"#
    )
}

/// The inbox [`host_guest`] reads, and its accumulators. Messages 0..=2; message 2 is 150 bytes (a header and four data chunks, the last partial).
pub fn host_inbox() -> (MemoryHost, Vec<B256>) {
    let mut h = MemoryHost::default();
    h.messages.insert(0, b"config".to_vec());
    h.messages.insert(1, vec![0xaa; 64]);
    h.messages
        .insert(2, (0..150u8).map(|i| i.wrapping_mul(37)).collect());
    let accs = inbox::accumulators(h.messages.values().map(Vec::as_slice));
    (h, accs)
}

/// Every step of [`host_guest`] run at inbox position 2, proven and checked by the Rust
/// verifier, and the inbox accumulators the proofs need.
pub fn host_guest_steps() -> (Vec<crate::testing::steps::ProvenStep>, Vec<B256>) {
    let module = std::sync::Arc::new(crate::load(&wat(&host_guest())).expect("loads"));
    let (mut host, accs) = host_inbox();
    let gs = crate::GlobalState {
        inbox_position: 2,
        ..Default::default()
    };
    let mut m = crate::Machine::new(module, gs);
    let mut steps = Vec::new();
    crate::testing::steps::prove_steps(&mut m, &mut host, &accs, 100_000, &mut |s| steps.push(s))
        .expect("the inbox has every message");
    assert_eq!(m.status(), crate::Status::Finished);
    assert_eq!(m.global_state().inbox_position, 3);
    (steps, accs)
}

/// The `.wast` files of the official spec testsuite (`../shared/wasm-testsuite` beside the
/// checkout), sorted.
pub fn spec_suite_files() -> Vec<std::path::PathBuf> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/wasm-testsuite");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("../shared/wasm-testsuite beside the checkout")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "wast"))
        .collect();
    files.sort();
    files
}
