//! The programs behind the one-step proof vectors: at least one case for every opcode of the
//! ISA, plus traps, memory boundaries, every host call and its traps, ecrecover edge inputs
//! and halted machines.

use alloy_primitives::{B256, U256, keccak256};
use fuse_vm::isa::{OpClass, Opcode};
use fuse_vm::testing::programs::HOST_IMPORTS;

use super::{Case, Target};

/// A module whose `fuse_entry` runs `body`, with `extra` module fields beside it.
fn module(extra: &str, body: &str) -> String {
    format!("(module {extra}\n  (func (export \"fuse_entry\") {body}))")
}

fn op(o: Opcode) -> Target {
    Target::Op(o, 0)
}

fn control() -> Vec<Case> {
    use Opcode as O;
    let callee = r#"(func $f (param i32 i64) (result i32) (local i32 i32 i32 i32) (local.get 0))"#;
    let table = r#"(type $t (func (param i32) (result i32)))
  (type $u (func (param i64) (result i64)))
  (table 4 funcref) (elem (i32.const 0) $id $inc $id)
  (func $id (type $t) (local.get 0))
  (func $inc (type $u) (i64.add (local.get 0) (i64.const 1)))"#;
    let indirect =
        |slot: u32| format!("(drop (call_indirect (type $t) (i32.const 5) (i32.const {slot})))");
    let locals = "(local i32 i32 i32 i32 i32 i32 i64 i64 i64)";
    let globals = "(global (mut i32) (i32.const 1)) (global (mut i32) (i32.const 2)) \
                   (global (mut i64) (i64.const 3)) (global (mut i64) (i64.const 4)) \
                   (global (mut i64) (i64.const -5))";
    vec![
        Case::new("unreachable", module("", "unreachable"), op(O::Unreachable)),
        Case::new("drop", module("", "(drop (i32.const 5))"), op(O::Drop)),
        Case::new(
            "nip/branch-cleanup",
            module(
                "",
                "(drop (block (result i32) (i32.const 1) (i32.const 2) (br 0)))",
            ),
            op(O::Nip),
        ),
        Case::new(
            "select/true",
            module(
                "",
                "(drop (select (i32.const 1) (i32.const 2) (i32.const 9)))",
            ),
            op(O::Select),
        ),
        Case::new(
            "select/false",
            module(
                "",
                "(drop (select (i64.const 1) (i64.const 2) (i32.const 0)))",
            ),
            op(O::Select),
        ),
        Case::new(
            "br/loop-back",
            module(
                "(global $n (mut i32) (i32.const 2))",
                "(loop (global.set $n (i32.sub (global.get $n) (i32.const 1))) (br_if 0 (global.get $n)))",
            ),
            op(O::BrIf),
        ),
        Case::new(
            "br/out-of-block",
            module("", "(block (drop (i32.const 1)) (br 0) (unreachable))"),
            op(O::Br),
        ),
        Case::new(
            "br_if/taken",
            module("", "(block (br_if 0 (i32.const 1)) (unreachable))"),
            op(O::BrIf),
        ),
        Case::new(
            "br_if/not-taken",
            module("", "(block (br_if 0 (i32.const 0)))"),
            op(O::BrIf),
        ),
        Case::new(
            "br_if_zero/taken",
            module("", "(if (i32.const 0) (then (drop (i32.const 1))))"),
            op(O::BrIfZero),
        ),
        Case::new(
            "br_if_zero/not-taken",
            module("", "(if (i32.const 7) (then (drop (i32.const 1))))"),
            op(O::BrIfZero),
        ),
        Case::new(
            "br_table/in-range",
            module("", "(block (block (br_table 0 1 (i32.const 1))))"),
            op(O::BrTable),
        ),
        Case::new(
            "br_table/default",
            module("", "(block (block (br_table 0 1 (i32.const 0xffffffff))))"),
            op(O::BrTable),
        ),
        Case::new("call/synthetic-entry", module("", "nop"), op(O::Call)),
        Case::new(
            "call/params-into-locals",
            module(callee, "(drop (call $f (i32.const 3) (i64.const -4)))"),
            Target::Op(O::Call, 1),
        ),
        Case::new(
            "call/frame-limit-traps",
            "(module (func $f (export \"fuse_entry\") (call $f)))",
            Target::Op(O::Call, fuse_vm::MAX_FRAMES),
        ),
        Case::new(
            "call_indirect/ok",
            module(table, &indirect(0)),
            op(O::CallIndirect),
        ),
        Case::new(
            "call_indirect/type-mismatch-traps",
            module(table, &indirect(1)),
            op(O::CallIndirect),
        ),
        Case::new(
            "call_indirect/uninitialized-traps",
            module(table, &indirect(3)),
            op(O::CallIndirect),
        ),
        Case::new(
            "call_indirect/undefined-traps",
            module(table, &indirect(4)),
            op(O::CallIndirect),
        ),
        Case::new(
            "return/one-result",
            module(callee, "(drop (call $f (i32.const 3) (i64.const -4)))"),
            op(O::Return),
        ),
        Case::new("return/no-result", module("", "nop"), op(O::Return)),
        Case::new(
            "local.get/deep-tree",
            module("", &format!("{locals} (drop (local.get 7))")),
            op(O::LocalGet),
        ),
        Case::new(
            "local.set/deep-tree",
            module("", &format!("{locals} (local.set 6 (i64.const -2))")),
            op(O::LocalSet),
        ),
        Case::new(
            "local.tee",
            module("", &format!("{locals} (drop (local.tee 1 (i32.const 77)))")),
            op(O::LocalTee),
        ),
        Case::new(
            "global.get",
            module(globals, "(drop (global.get 4))"),
            op(O::GlobalGet),
        ),
        Case::new(
            "global.set",
            module(globals, "(global.set 2 (i64.const 0x1122334455667788))"),
            op(O::GlobalSet),
        ),
        Case::new(
            "const/i64",
            module("", "(drop (i64.const -1))"),
            op(O::Const),
        ),
        Case::new("finish", module("", "nop"), op(O::Finish)),
        Case::new("halted/finished", module("", "nop"), Target::Halted),
        Case::new("halted/errored", module("", "unreachable"), Target::Halted),
    ]
}

/// Operand pairs of a binary op: a plain one and its edges (division traps, shift counts
/// past the width, signed versus unsigned).
fn binary_operands(name: &str) -> Vec<(&'static str, i64, i64)> {
    let mut v = vec![("plain", -7, 3)];
    if name.contains("div") || name.contains("rem") {
        v.push(("by-zero-traps", 9, 0));
        v.push(("min-by-minus-one", i64::MIN, -1));
    } else if name.contains("sh") || name.contains("rot") {
        v.push(("count-past-width", 0x1234_5678, 67));
    } else {
        v.push(("extremes", i64::MIN, i64::MAX));
    }
    v
}

fn math() -> Vec<Case> {
    let mut out = Vec::new();
    for &o in Opcode::ALL.iter().filter(|o| o.class() == OpClass::Math) {
        let name = o.mnemonic();
        let (ty, rest) = name.split_once('.').unwrap();
        if o.is_unary_math() {
            // The operand type: conversions name it after their source.
            let src = match rest {
                "wrap_i64" => "i64",
                "extend_i32_s" | "extend_i32_u" => "i32",
                _ => ty,
            };
            for (label, v) in [("zero", 0i64), ("mixed", 0x8000_0f80_8001_00f0u64 as i64)] {
                let value = if src == "i32" { v as i32 as i64 } else { v };
                let body = format!("(drop ({name} ({src}.const {value})))");
                out.push(Case::new(
                    format!("{name}/{label}"),
                    module("", &body),
                    op(o),
                ));
            }
            continue;
        }
        for (label, a, b) in binary_operands(rest) {
            let (a, b) = if ty == "i32" {
                (a as i32 as i64, b as i32 as i64)
            } else {
                (a, b)
            };
            let body = format!("(drop ({name} ({ty}.const {a}) ({ty}.const {b})))");
            out.push(Case::new(
                format!("{name}/{label}"),
                module("", &body),
                op(o),
            ));
        }
    }
    out
}

/// Bytes a load or store touches, by mnemonic.
fn width(name: &str) -> u32 {
    if name.ends_with('8') || name.contains("8_") {
        1
    } else if name.ends_with("16") || name.contains("16_") {
        2
    } else if name.ends_with("32") || name.contains("32_") || name.starts_with("i32") {
        4
    } else {
        8
    }
}

fn memory() -> Vec<Case> {
    use Opcode as O;
    let mem = r#"(memory 1 2) (data (i32.const 0) "\01\02\03\04\05\06\07\08\09\0a\0b\0c\0d\0e\0f\10\11\12\13\14\15\16\17\18\19\1a\1b\1c\1d\1e\1f\80\81\82\83\84\85\86\87\88\89")"#;
    let mut out = Vec::new();
    for &o in Opcode::ALL.iter().filter(|o| o.class() == OpClass::Memory) {
        let name = o.mnemonic();
        if o == O::MemorySize || o == O::MemoryGrow {
            continue;
        }
        let size = width(name);
        let ty = &name[..3];
        let is_store = name.contains("store");
        // Aligned, across a leaf boundary (one byte before it for 1-byte accesses), past
        // the end of memory.
        let cross = if size == 1 { 31 } else { 32 - size / 2 };
        for (label, addr, offset) in [
            ("aligned", 64u32, 0u32),
            ("leaf-boundary", cross - 3, 3),
            ("out-of-bounds-traps", 65536 - size + 1, 0),
        ] {
            let value = if ty == "i32" {
                "-0x01234567"
            } else {
                "-0x0123456789abcdef"
            };
            let body = if is_store {
                format!("({name} offset={offset} (i32.const {addr}) ({ty}.const {value}))")
            } else {
                format!("(drop ({name} offset={offset} (i32.const {addr})))")
            };
            out.push(Case::new(
                format!("{name}/{label}"),
                module(mem, &body),
                op(o),
            ));
        }
    }
    out.push(Case::new(
        "memory.size",
        module(mem, "(drop (memory.size))"),
        op(O::MemorySize),
    ));
    out.push(Case::new(
        "memory.grow/ok",
        module(mem, "(drop (memory.grow (i32.const 1)))"),
        op(O::MemoryGrow),
    ));
    out.push(Case::new(
        "memory.grow/past-limit",
        module(mem, "(drop (memory.grow (i32.const 2)))"),
        op(O::MemoryGrow),
    ));
    out
}

/// `bytes` as a WebAssembly data string.
fn data_string(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("\\{b:02x}")).collect()
}

/// A host-call case: data at 0x100, the call in `body`, `messages` from position 0 with the
/// block at position 1.
fn host_case(name: &str, data: &[u8], body: &str, target: Opcode, preimages: Vec<Vec<u8>>) -> Case {
    let extra = format!(
        "{HOST_IMPORTS}\n  (memory (export \"memory\") 1 1)\n  (data (i32.const 0x100) \"{}\")",
        data_string(data)
    );
    Case {
        name: name.into(),
        wat: module(&extra, body),
        inbox_position: 1,
        messages: vec![
            b"message zero".to_vec(),
            (0..150u8).map(|i| i ^ 0x5a).collect(),
        ],
        preimages,
        target: Target::Op(target, 0),
    }
}

/// secp256k1's group order n.
const SECP256K1_N: U256 = U256::from_limbs([
    0xbfd2_5e8c_d036_4141,
    0xbaae_dce6_af48_a03b,
    0xffff_ffff_ffff_fffe,
    0xffff_ffff_ffff_ffff,
]);

/// The ecrecover input `hash ‖ v ‖ r ‖ s`.
fn ecrecover_input(hash: B256, v: u64, r: U256, s: U256) -> Vec<u8> {
    let mut out = hash.to_vec();
    out.extend_from_slice(&U256::from(v).to_be_bytes::<32>());
    out.extend_from_slice(&r.to_be_bytes::<32>());
    out.extend_from_slice(&s.to_be_bytes::<32>());
    out
}

/// Inputs for ecrecover's edge cases: a real signature (by a fixed key) and its mutations.
fn ecrecover_cases() -> Vec<(&'static str, Vec<u8>)> {
    use k256::ecdsa::SigningKey;
    let key = SigningKey::from_bytes(&[0x11u8; 32].into()).expect("a valid key");
    let hash = keccak256(b"fuse-l2 ecrecover vector");
    let (sig, recid) = key
        .sign_prehash_recoverable(hash.as_slice())
        .expect("signs");
    let bytes = sig.to_bytes();
    let r = U256::from_be_slice(&bytes[..32]);
    let s = U256::from_be_slice(&bytes[32..]);
    let v = 27 + recid.to_byte() as u64;
    // An x with no curve point: recovery fails for both parities.
    let off_curve = (1u64..)
        .map(U256::from)
        .find(|x| {
            let zero = |v| {
                fuse_vm::host::ecrecover(&ecrecover_input(hash, v, *x, s).try_into().unwrap())
                    == [0u8; 32]
            };
            zero(27) && zero(28)
        })
        .unwrap();
    vec![
        ("valid", ecrecover_input(hash, v, r, s)),
        ("other-parity", ecrecover_input(hash, 55 - v, r, s)),
        ("high-s", ecrecover_input(hash, 55 - v, r, SECP256K1_N - s)),
        ("r-zero", ecrecover_input(hash, v, U256::ZERO, s)),
        ("s-zero", ecrecover_input(hash, v, r, U256::ZERO)),
        ("s-equals-n", ecrecover_input(hash, v, r, SECP256K1_N)),
        ("r-off-curve", ecrecover_input(hash, v, off_curve, s)),
        ("v-0", ecrecover_input(hash, 0, r, s)),
        ("v-1", ecrecover_input(hash, 1, r, s)),
        ("v-29", ecrecover_input(hash, 29, r, s)),
    ]
}

fn host() -> Vec<Case> {
    use Opcode as O;
    let mut out = Vec::new();
    let read = |offset: u32, dest: u32| {
        format!("(drop (call $read_inbox (i32.const {offset}) (i32.const {dest})))")
    };
    for (label, offset, dest) in [
        ("header", 0, 0x200),
        ("first-data-chunk", 32, 0x200),
        ("last-partial-chunk", 128, 0x200),
        ("past-the-end", 160, 0x200),
        ("misaligned-offset-traps", 33, 0x200),
        ("dest-out-of-bounds-traps", 0, 65536 - 16),
    ] {
        out.push(host_case(
            &format!("read_inbox/{label}"),
            &[],
            &read(offset, dest),
            O::ReadInbox,
            vec![],
        ));
    }
    let preimage: Vec<u8> = (0..70u8).collect();
    let big: Vec<u8> = (0..=255u8).collect();
    let mut hashes = keccak256(&preimage).to_vec();
    hashes.extend_from_slice(keccak256(&big).as_slice());
    let read_pre = |at: u32, offset: u32| {
        format!(
            "(drop (call $read_preimage (i32.const {at}) (i32.const {offset}) (i32.const 0x300)))"
        )
    };
    for (label, at, offset) in [
        ("first-chunk", 0x100, 0),
        ("partial-chunk", 0x100, 64),
        ("past-the-end", 0x100, 96),
        ("256-byte-preimage", 0x120, 224),
        ("misaligned-offset-traps", 0x100, 4),
        ("misaligned-hash-traps", 0x101, 0),
    ] {
        out.push(host_case(
            &format!("read_preimage/{label}"),
            &hashes,
            &read_pre(at, offset),
            O::ReadPreimage,
            vec![preimage.clone(), big.clone()],
        ));
    }
    let data: Vec<u8> = (0..=255u8).rev().collect();
    for (label, src, len) in [
        ("empty", 0x100, 0),
        ("one-word", 0x100, 32),
        ("partial-word", 0x100, 40),
        ("256-bytes", 0x100, 256),
        ("too-long-traps", 0x100, 257),
        ("misaligned-traps", 0x104, 32),
    ] {
        let body = format!("(call $keccak (i32.const {src}) (i32.const {len}) (i32.const 0x300))");
        out.push(host_case(
            &format!("keccak256/{label}"),
            &data,
            &body,
            O::Keccak256,
            vec![],
        ));
    }
    for (label, input) in ecrecover_cases() {
        let body = "(call $ecrecover (i32.const 0x100) (i32.const 0x300))";
        out.push(host_case(
            &format!("ecrecover/{label}"),
            &input,
            body,
            O::Ecrecover,
            vec![],
        ));
    }
    out.push(host_case(
        "ecrecover/input-out-of-bounds-traps",
        &[],
        "(call $ecrecover (i32.const 65440) (i32.const 0x300))",
        O::Ecrecover,
        vec![],
    ));
    let word: Vec<u8> = (1..=32u8).collect();
    for (label, index) in [
        ("state-root", 0),
        ("outbox-root", 1),
        ("bad-index-traps", 2),
    ] {
        let get = format!("(call $get_bytes32 (i32.const {index}) (i32.const 0x300))");
        out.push(host_case(
            &format!("get_bytes32/{label}"),
            &word,
            &get,
            O::GetBytes32,
            vec![],
        ));
        let set = format!("(call $set_bytes32 (i32.const {index}) (i32.const 0x100))");
        out.push(host_case(
            &format!("set_bytes32/{label}"),
            &word,
            &set,
            O::SetBytes32,
            vec![],
        ));
    }
    for (label, index) in [
        ("inbox-position", 0),
        ("block-number", 1),
        ("bad-index-traps", 2),
    ] {
        let get = format!("(drop (call $get_u64 (i32.const {index})))");
        out.push(host_case(
            &format!("get_u64/{label}"),
            &[],
            &get,
            O::GetU64,
            vec![],
        ));
        let set = format!("(call $set_u64 (i32.const {index}) (i64.const -9))");
        out.push(host_case(
            &format!("set_u64/{label}"),
            &[],
            &set,
            O::SetU64,
            vec![],
        ));
    }
    out.push(host_case("halt", &[], "(call $halt)", O::Halt, vec![]));
    out
}

/// Every case, in file order: control, math, memory, host.
pub fn cases() -> Vec<Case> {
    let mut all = control();
    all.extend(math());
    all.extend(memory());
    all.extend(host());
    all
}
