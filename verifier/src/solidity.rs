//! The Solidity files generated from the Rust definitions, so an opcode, a tag, a limit or a
//! verifier error is written once, in Rust (docs/spec/isa.md, "Adding an opcode"):
//!
//! - `contracts/src/osp/Opcodes.sol` ([`opcodes_sol`]) from `fuse_primitives::isa`: one
//!   constant per opcode and the class and last opcode of each class;
//! - `contracts/src/osp/Constants.sol` ([`constants_sol`]) from `fuse_primitives::tags`,
//!   `fuse_primitives::limits` and `GlobalState`: the domain tags, the status bytes and the
//!   limits the Solidity code checks;
//! - `contracts/src/osp/Errors.sol` ([`errors_sol`]) from [`VerifyError`]: its custom errors.
//!
//! Each text is exactly what `forge fmt` leaves as it is. The test `solidity` of the crate's
//! `it` test binary compares each with the committed file byte for byte ([`CHECK_COMMAND`]);
//! with `FUSE_WRITE_SOLIDITY=1` it writes them instead ([`WRITE_COMMAND`]).
//!
//! A constant is typed so the contracts compile to the same bytecode as with the literal it
//! replaced: solc masks a constant narrower than 256 bits (`and(x, 0xffff)`) wherever it is
//! used, which it does not do to a literal, and the optimizer then lays the comparison out
//! differently. So the opcodes, which the provers compare with `uint16` values, are
//! `uint256`; and since solc pushes a literal right operand of `==` last but a constant
//! first, the provers write the constant first (`I32_ADD == op`). The global state's field
//! counts, compared the same way, are `uint256` too; tags, status bytes and limits keep the
//! types the Solidity code already gave them.

use std::fmt::Write as _;

use alloy_primitives::keccak256;
use fuse_primitives::isa::{OpClass, Opcode};
use fuse_primitives::{GlobalState, limits, tags};

use crate::VerifyError;

/// Writes the generated files (run from the repository root).
pub const WRITE_COMMAND: &str =
    "FUSE_WRITE_SOLIDITY=1 cargo test -p fuse-verifier --test it solidity";
/// Checks that the committed files are the generated ones.
pub const CHECK_COMMAND: &str = "cargo test -p fuse-verifier --test it solidity";

/// One generated file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GeneratedFile {
    /// Its path from the repository root.
    pub path: &'static str,
    /// Its whole text.
    pub text: String,
}

/// Every generated file.
pub fn generated_files() -> Vec<GeneratedFile> {
    vec![
        GeneratedFile {
            path: "contracts/src/osp/Opcodes.sol",
            text: opcodes_sol(),
        },
        GeneratedFile {
            path: "contracts/src/osp/Constants.sol",
            text: constants_sol(),
        },
        GeneratedFile {
            path: "contracts/src/osp/Errors.sol",
            text: errors_sol(),
        },
    ]
}

/// `text` as `//` comment lines of at most 92 characters (within `forge fmt`'s 100).
fn comment(text: &str) -> String {
    let mut out = String::new();
    let mut line = String::from("//");
    // Words, with a code span in backticks kept whole.
    let mut words: Vec<String> = Vec::new();
    let mut open = false;
    for word in text.split_whitespace() {
        match words.last_mut() {
            Some(last) if open => {
                last.push(' ');
                last.push_str(word);
            }
            _ => words.push(word.to_string()),
        }
        if word.matches('`').count() % 2 == 1 {
            open = !open;
        }
    }
    for word in &words {
        if line.len() > 2 && line.chars().count() + 1 + word.chars().count() > 92 {
            out.push_str(&line);
            out.push('\n');
            line = String::from("//");
        }
        line.push(' ');
        line.push_str(word);
    }
    out.push_str(&line);
    out.push('\n');
    out
}

/// The license line, the pragma, the "generated" notice naming the Rust `sources`, and what
/// the file holds (`about`).
fn header(sources: &str, about: &str) -> String {
    format!(
        "// SPDX-License-Identifier: MIT\n\
         pragma solidity ^0.8.37;\n\
         \n\
         {}\
         //     {WRITE_COMMAND}\n\
         {}\
         //\n\
         {}",
        comment(&format!(
            "Generated from {sources} by fuse-verifier (verifier/src/solidity.rs); do not edit \
             — run, from the repository root,"
        )),
        comment(
            "to write it again (without the variable the same test checks that it is up to \
             date; docs/spec/isa.md#adding-an-opcode)."
        ),
        comment(about),
    )
}

/// A section title, as the contracts separate their parts.
fn section(out: &mut String, title: &str) {
    let dashes = "-".repeat(64);
    write!(out, "\n// {dashes} {title}\n").unwrap();
}

/// The Solidity name of an opcode: its Rust variant in SCREAMING_SNAKE_CASE, an underscore
/// before every capital letter but the first and digits kept with the word before them
/// (`I32Add` → `I32_ADD`, `I64ExtendI32S` → `I64_EXTEND_I32_S`, `ReadInbox` → `READ_INBOX`).
pub fn opcode_constant(op: Opcode) -> String {
    // The derived `Debug` of a fieldless enum is the variant's name.
    let variant = format!("{op:?}");
    let mut out = String::with_capacity(variant.len() + 4);
    for (i, c) in variant.chars().enumerate() {
        if i > 0 && c.is_ascii_uppercase() {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

/// The Solidity name of a class (`CONTROL`, `MATH`, `MEMORY`, `HOST`).
fn class_name(class: OpClass) -> String {
    format!("{class:?}").to_ascii_uppercase()
}

/// The classes in the order of their opcodes, each with its opcodes.
///
/// The Solidity prover takes the high byte of an opcode as its class and checks an opcode by
/// its low byte against the class's last (`OneStepProver.isOpcode`), so the table must keep
/// each class to one high byte with its low bytes running from 0 without a gap. The
/// generation refuses a table that does not.
pub fn classes() -> Vec<(OpClass, Vec<Opcode>)> {
    let mut out: Vec<(OpClass, Vec<Opcode>)> = Vec::new();
    for &op in Opcode::ALL {
        match out.last_mut() {
            Some((class, ops)) if *class == op.class() => ops.push(op),
            _ => {
                assert!(
                    out.iter().all(|(c, _)| *c != op.class()),
                    "{op:?}: the opcodes of class {:?} are not consecutive",
                    op.class()
                );
                out.push((op.class(), vec![op]));
            }
        }
    }
    let mut high_bytes = Vec::new();
    for (class, ops) in &out {
        let high = ops[0] as u16 >> 8;
        assert!(
            !high_bytes.contains(&high),
            "{class:?} shares its high byte {high:#04x} with another class"
        );
        high_bytes.push(high);
        for (i, &op) in ops.iter().enumerate() {
            assert_eq!(
                op as u16,
                high << 8 | i as u16,
                "{op:?}: the opcodes of class {class:?} must run {:#06x}, {:#06x}, ... without a gap",
                high << 8,
                (high << 8) + 1
            );
        }
    }
    out
}

/// `contracts/src/osp/Opcodes.sol`.
pub fn opcodes_sol() -> String {
    let mut out = header(
        "primitives/src/isa.rs",
        "Every opcode of the flat ISA (docs/spec/isa.md), named after its Rust \
         `Opcode` variant in SCREAMING_SNAKE_CASE: an underscore before every capital letter \
         but the first, digits kept with the word before them (`I32Add` is `I32_ADD`, \
         `I64ExtendI32S` `I64_EXTEND_I32_S`, `ReadInbox` `READ_INBOX`); its comment is the \
         mnemonic. The high byte of an opcode is its class (`CLASS_*`: the module that proves \
         it), and the low bytes of a class run from 0 to the low byte of its `LAST_*` without \
         a gap. The values are `uint16` but the constants `uint256`, and the provers compare \
         them constant first (`I32_ADD == op`): solc masks a narrower constant wherever it is \
         used, and pushes a literal right operand of `==` last but a constant first, so only \
         this way do the contracts compile exactly as with the literals they replaced.",
    );
    for (class, ops) in classes() {
        let name = class_name(class);
        let first = ops[0] as u16;
        let last = *ops.last().unwrap() as u16;
        section(&mut out, &format!("{} class", name.to_ascii_lowercase()));
        write!(
            out,
            "\n/// @dev The {} class: `op >> 8`.\n\
             uint256 constant CLASS_{name} = {:#04x};\n\
             /// @dev Its last opcode.\n\
             uint256 constant LAST_{name} = {last:#06x};\n\n",
            name.to_ascii_lowercase(),
            first >> 8,
        )
        .unwrap();
        for op in ops {
            write!(
                out,
                "/// @dev {}\nuint256 constant {} = {:#06x};\n",
                op.mnemonic(),
                opcode_constant(op),
                op as u16
            )
            .unwrap();
        }
    }
    out
}

/// How a constant's value is written.
#[derive(Clone, Copy)]
enum Radix {
    /// `0x01`: tags.
    Hex,
    /// `65_536`: counts and sizes.
    Decimal,
}

/// One constant of `Constants.sol`.
struct Constant {
    name: &'static str,
    /// Its Solidity type: how the Solidity code uses it, so the compiled code stays the same
    /// as with the literal it replaces.
    ty: &'static str,
    value: u128,
    radix: Radix,
    doc: &'static str,
}

/// A Rust constant's name (its path's last segment) and value.
macro_rules! rust_const {
    ($($path:ident)::+) => {
        (
            stringify!($($path)::+).rsplit(':').next().unwrap().trim(),
            $($path)::+ as u128,
        )
    };
}

fn constant(
    (name, value): (&'static str, u128),
    ty: &'static str,
    radix: Radix,
    doc: &'static str,
) -> Constant {
    Constant {
        name,
        ty,
        value,
        radix,
        doc,
    }
}

fn tag(rust: (&'static str, u128), doc: &'static str) -> Constant {
    constant(rust, "uint8", Radix::Hex, doc)
}

/// The sections of `Constants.sol`: a title and the constants under it.
fn constants() -> Vec<(&'static str, Vec<Constant>)> {
    use Radix::Decimal;
    vec![
        (
            "domain tags",
            vec![
                tag(
                    rust_const!(tags::TAG_MACHINE),
                    "A running or errored machine.",
                ),
                tag(rust_const!(tags::TAG_FINISHED), "A finished machine."),
                tag(
                    rust_const!(tags::TAG_WORLD),
                    "The world hash (module hash and global-state hash).",
                ),
                tag(rust_const!(tags::TAG_MODULE), "A module hash."),
                tag(
                    rust_const!(tags::TAG_STATIC),
                    "A module's static part (code and table).",
                ),
                tag(rust_const!(tags::TAG_GLOBAL_STATE), "The global state."),
                tag(
                    rust_const!(tags::TAG_VALUE_STACK),
                    "One value pushed on the value-stack hash chain.",
                ),
                tag(
                    rust_const!(tags::TAG_FRAME),
                    "One frame pushed on the frame-stack hash chain.",
                ),
                tag(
                    rust_const!(tags::TAG_STUCK),
                    "The level-1 value of a block that cannot finish is `keccak256(TAG_STUCK)`.",
                ),
                tag(rust_const!(tags::TAG_MEMORY), "A memory-tree inner node."),
                tag(rust_const!(tags::TAG_LOCALS), "A locals-tree inner node."),
                tag(rust_const!(tags::TAG_GLOBALS), "A globals-tree inner node."),
                tag(rust_const!(tags::TAG_CODE), "A code-tree inner node."),
                tag(rust_const!(tags::TAG_TABLE), "A table-tree inner node."),
                tag(
                    rust_const!(tags::TAG_DATA),
                    "An inbox message's data-tree inner node.",
                ),
                tag(
                    rust_const!(tags::TAG_ACCUMULATOR),
                    "One step of the inbox accumulator.",
                ),
            ],
        ),
        (
            "status bytes",
            vec![
                constant(
                    rust_const!(tags::STATUS_RUNNING),
                    "uint8",
                    Decimal,
                    "A running machine.",
                ),
                constant(
                    rust_const!(tags::STATUS_FINISHED),
                    "uint8",
                    Decimal,
                    "A finished machine (in a proof header; its hash is under `TAG_FINISHED`).",
                ),
                constant(
                    rust_const!(tags::STATUS_ERRORED),
                    "uint8",
                    Decimal,
                    "An errored machine.",
                ),
            ],
        ),
        (
            "limits",
            vec![
                constant(
                    rust_const!(limits::MAX_FRAMES),
                    "uint32",
                    Decimal,
                    "Most saved frames; a call that finds this many traps.",
                ),
                constant(
                    rust_const!(limits::PAGE_SIZE),
                    "uint256",
                    Decimal,
                    "Bytes in a wasm page.",
                ),
                constant(
                    rust_const!(limits::MAX_PREIMAGE),
                    "uint256",
                    Decimal,
                    "Most bytes of a preimage or a keccak input.",
                ),
                constant(
                    rust_const!(limits::INBOX_HEADER_BYTES),
                    "uint256",
                    Decimal,
                    "Bytes of an inbox message's header; its data follows.",
                ),
                constant(
                    rust_const!(limits::MAX_STEPS),
                    "uint256",
                    Decimal,
                    "Steps a block may take; level 2 of a challenge bisects `[0, MAX_STEPS]`.",
                ),
            ],
        ),
        (
            "global-state fields",
            vec![
                constant(
                    (
                        "GLOBAL_STATE_BYTES32_FIELDS",
                        GlobalState::BYTES32_FIELDS as u128,
                    ),
                    "uint256",
                    Decimal,
                    "32-byte fields, indices of `get_bytes32` and `set_bytes32`.",
                ),
                constant(
                    ("GLOBAL_STATE_U64_FIELDS", GlobalState::U64_FIELDS as u128),
                    "uint256",
                    Decimal,
                    "u64 fields, indices of `get_u64` and `set_u64`.",
                ),
            ],
        ),
    ]
}

/// `65536` as `65_536`: groups of three digits from 10,000 up.
fn decimal(v: u128) -> String {
    let digits = v.to_string();
    if v < 10_000 {
        return digits;
    }
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('_');
        }
        out.push(c);
    }
    out
}

/// `contracts/src/osp/Constants.sol`.
pub fn constants_sol() -> String {
    let mut out = header(
        "primitives/src/tags.rs, primitives/src/limits.rs and primitives/src/global_state.rs",
        "The domain tags and status bytes of the machine hash (docs/spec/machine-hash.md) and \
         the inbox accumulator (docs/spec/inbox.md), the limits the Solidity code checks, and \
         the global state's field counts: the values of the Rust constants of the same names, \
         each typed as the Solidity code uses it.",
    );
    for (title, items) in constants() {
        section(&mut out, title);
        out.push('\n');
        for c in items {
            let bits: u32 = c.ty.trim_start_matches("uint").parse().unwrap();
            assert!(
                bits == 256 || c.value >> bits == 0,
                "{} = {} does not fit in {}",
                c.name,
                c.value,
                c.ty
            );
            let value = match c.radix {
                Radix::Hex => format!("{:#04x}", c.value),
                Radix::Decimal => decimal(c.value),
            };
            write!(
                out,
                "/// @dev {}\n{} constant {} = {value};\n",
                c.doc, c.ty, c.name
            )
            .unwrap();
        }
    }
    out
}

/// A Rust integer type and the Solidity type of the same width.
pub trait SolidityType {
    /// The Solidity type.
    const NAME: &'static str;
}

impl SolidityType for u8 {
    const NAME: &'static str = "uint8";
}
impl SolidityType for u16 {
    const NAME: &'static str = "uint16";
}
impl SolidityType for u32 {
    const NAME: &'static str = "uint32";
}
impl SolidityType for u64 {
    const NAME: &'static str = "uint64";
}

/// The argument of a custom error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SolidityParam {
    /// Its name in Solidity.
    pub name: &'static str,
    /// Its Solidity type.
    pub ty: &'static str,
}

/// A custom error of `Errors.sol`, as [`VerifyError::SOLIDITY`] lists them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SolidityError {
    /// The name, the Rust variant's.
    pub name: &'static str,
    /// Its argument, if any.
    pub param: Option<SolidityParam>,
    /// The lines of the Rust variant's doc comment, each with its leading space.
    pub doc: &'static [&'static str],
}

impl SolidityError {
    /// `Name(type)`, what the selector hashes.
    pub fn signature(&self) -> String {
        format!("{}({})", self.name, self.param.map_or("", |p| p.ty))
    }

    /// The first four bytes of the signature's keccak256.
    pub fn selector(&self) -> [u8; 4] {
        keccak256(self.signature().as_bytes())[..4]
            .try_into()
            .unwrap()
    }

    /// Its declaration with its doc comment.
    fn declaration(&self) -> String {
        let mut out = String::new();
        for line in self.doc {
            writeln!(out, "///{line}").unwrap();
        }
        let param = self
            .param
            .map_or(String::new(), |p| format!("{} {}", p.ty, p.name));
        writeln!(out, "error {}({param});", self.name).unwrap();
        out
    }
}

/// `contracts/src/osp/Errors.sol`.
pub fn errors_sol() -> String {
    let mut out = header(
        "verifier/src/lib.rs (`VerifyError`)",
        "The reasons a one-step proof is rejected (docs/spec/proof-format.md, \"Result and \
         errors\"). The Rust verifier has a `VerifyError` variant of the same name for each. A \
         rejected proof proves nothing: none of these means \"the step failed\" (that is a \
         trap, a machine status).",
    );
    out.push('\n');
    for e in VerifyError::SOLIDITY {
        out.push_str(&e.declaration());
    }
    out
}
