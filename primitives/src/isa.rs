//! The flat instruction set the machine executes (docs/spec/isa.md).
//!
//! WebAssembly's structured control flow is lowered at load time (see `load::flatten`) to a
//! flat stream of [`Instruction`]s with absolute jump targets. Every instruction has one fixed
//! 32-byte encoding ([`Instruction::leaf`]), which is a leaf of the code Merkle tree, so a
//! proof fetches one instruction with one short path.

use serde::{Deserialize, Serialize};

macro_rules! opcodes {
    ($($(#[$m:meta])* $name:ident = $val:expr, $class:ident, $mnemonic:expr;)*) => {
        /// One flat opcode. The numeric value is part of the code commitment.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[repr(u16)]
        // Each variant is named for its mnemonic; docs/spec/isa.md describes it.
        #[allow(missing_docs)]
        pub enum Opcode {
            $($(#[$m])* $name = $val,)*
        }

        impl Opcode {
            /// Every opcode, in numeric order.
            pub const ALL: &'static [Opcode] = &[$(Opcode::$name,)*];

            /// The opcode with numeric value `v`, if any.
            pub fn from_u16(v: u16) -> Option<Opcode> {
                match v {
                    $($val => Some(Opcode::$name),)*
                    _ => None,
                }
            }

            /// The class that executes, proves and verifies it.
            pub fn class(self) -> OpClass {
                match self {
                    $(Opcode::$name => OpClass::$class,)*
                }
            }

            /// The name docs/spec/isa.md uses.
            pub fn mnemonic(self) -> &'static str {
                match self {
                    $(Opcode::$name => $mnemonic,)*
                }
            }
        }
    };
}

/// The four opcode classes; the Rust step, prover, verifier and the Solidity OSP modules
/// are split the same way.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum OpClass {
    /// Control flow, calls, stack shuffling, locals and globals.
    Control,
    /// Integer arithmetic, comparison, bit operations and conversions.
    Math,
    /// Linear memory loads, stores, size and grow.
    Memory,
    /// Host I/O: inbox, preimages, precompiles, global state, halt.
    Host,
}

opcodes! {
    /// Trap: wasm `unreachable`.
    Unreachable = 0x0000, Control, "unreachable";
    /// Pop one value.
    Drop = 0x0001, Control, "drop";
    /// Pop the top value `v`, pop one more, push `v` (lowers branch stack cleanup).
    Nip = 0x0002, Control, "nip";
    /// Pop c, b, a; push (c != 0 ? a : b).
    Select = 0x0003, Control, "select";
    /// pc ← a.
    Br = 0x0004, Control, "br";
    /// Pop c; if c != 0 { pc ← a }.
    BrIf = 0x0005, Control, "br_if";
    /// Pop c; if c == 0 { pc ← a }.
    BrIfZero = 0x0006, Control, "br_if_zero";
    /// Pop i (u32); pc ← a + min(i, b). The b + 1 instructions at a.. are `br`s.
    BrTable = 0x0007, Control, "br_table";
    /// Call the function at pc a; b = params << 32 | locals; depth = locals tree depth.
    Call = 0x0008, Control, "call";
    /// Pop i; call table element i if its type id is a; b = table size; depth = table depth.
    CallIndirect = 0x0009, Control, "call_indirect";
    /// Return to the caller, carrying a (0 or 1) result values.
    Return = 0x000a, Control, "return";
    /// Push local a; depth = locals tree depth.
    LocalGet = 0x000b, Control, "local.get";
    /// Pop into local a.
    LocalSet = 0x000c, Control, "local.set";
    /// Copy the top value into local a.
    LocalTee = 0x000d, Control, "local.tee";
    /// Push global a; depth = globals tree depth.
    GlobalGet = 0x000e, Control, "global.get";
    /// Pop into global a.
    GlobalSet = 0x000f, Control, "global.set";
    /// Push b (an i32 constant is zero-extended).
    Const = 0x0010, Control, "const";
    /// End of the synthetic entry: the machine is finished.
    Finish = 0x0011, Control, "finish";

    I32Eqz = 0x0100, Math, "i32.eqz";
    I32Eq = 0x0101, Math, "i32.eq";
    I32Ne = 0x0102, Math, "i32.ne";
    I32LtS = 0x0103, Math, "i32.lt_s";
    I32LtU = 0x0104, Math, "i32.lt_u";
    I32GtS = 0x0105, Math, "i32.gt_s";
    I32GtU = 0x0106, Math, "i32.gt_u";
    I32LeS = 0x0107, Math, "i32.le_s";
    I32LeU = 0x0108, Math, "i32.le_u";
    I32GeS = 0x0109, Math, "i32.ge_s";
    I32GeU = 0x010a, Math, "i32.ge_u";
    I64Eqz = 0x010b, Math, "i64.eqz";
    I64Eq = 0x010c, Math, "i64.eq";
    I64Ne = 0x010d, Math, "i64.ne";
    I64LtS = 0x010e, Math, "i64.lt_s";
    I64LtU = 0x010f, Math, "i64.lt_u";
    I64GtS = 0x0110, Math, "i64.gt_s";
    I64GtU = 0x0111, Math, "i64.gt_u";
    I64LeS = 0x0112, Math, "i64.le_s";
    I64LeU = 0x0113, Math, "i64.le_u";
    I64GeS = 0x0114, Math, "i64.ge_s";
    I64GeU = 0x0115, Math, "i64.ge_u";
    I32Clz = 0x0116, Math, "i32.clz";
    I32Ctz = 0x0117, Math, "i32.ctz";
    I32Popcnt = 0x0118, Math, "i32.popcnt";
    I32Add = 0x0119, Math, "i32.add";
    I32Sub = 0x011a, Math, "i32.sub";
    I32Mul = 0x011b, Math, "i32.mul";
    I32DivS = 0x011c, Math, "i32.div_s";
    I32DivU = 0x011d, Math, "i32.div_u";
    I32RemS = 0x011e, Math, "i32.rem_s";
    I32RemU = 0x011f, Math, "i32.rem_u";
    I32And = 0x0120, Math, "i32.and";
    I32Or = 0x0121, Math, "i32.or";
    I32Xor = 0x0122, Math, "i32.xor";
    I32Shl = 0x0123, Math, "i32.shl";
    I32ShrS = 0x0124, Math, "i32.shr_s";
    I32ShrU = 0x0125, Math, "i32.shr_u";
    I32Rotl = 0x0126, Math, "i32.rotl";
    I32Rotr = 0x0127, Math, "i32.rotr";
    I64Clz = 0x0128, Math, "i64.clz";
    I64Ctz = 0x0129, Math, "i64.ctz";
    I64Popcnt = 0x012a, Math, "i64.popcnt";
    I64Add = 0x012b, Math, "i64.add";
    I64Sub = 0x012c, Math, "i64.sub";
    I64Mul = 0x012d, Math, "i64.mul";
    I64DivS = 0x012e, Math, "i64.div_s";
    I64DivU = 0x012f, Math, "i64.div_u";
    I64RemS = 0x0130, Math, "i64.rem_s";
    I64RemU = 0x0131, Math, "i64.rem_u";
    I64And = 0x0132, Math, "i64.and";
    I64Or = 0x0133, Math, "i64.or";
    I64Xor = 0x0134, Math, "i64.xor";
    I64Shl = 0x0135, Math, "i64.shl";
    I64ShrS = 0x0136, Math, "i64.shr_s";
    I64ShrU = 0x0137, Math, "i64.shr_u";
    I64Rotl = 0x0138, Math, "i64.rotl";
    I64Rotr = 0x0139, Math, "i64.rotr";
    I32WrapI64 = 0x013a, Math, "i32.wrap_i64";
    I64ExtendI32S = 0x013b, Math, "i64.extend_i32_s";
    I64ExtendI32U = 0x013c, Math, "i64.extend_i32_u";
    I32Extend8S = 0x013d, Math, "i32.extend8_s";
    I32Extend16S = 0x013e, Math, "i32.extend16_s";
    I64Extend8S = 0x013f, Math, "i64.extend8_s";
    I64Extend16S = 0x0140, Math, "i64.extend16_s";
    I64Extend32S = 0x0141, Math, "i64.extend32_s";

    /// Pop address; push the loaded value. a = static offset; depth = memory tree depth.
    I32Load = 0x0200, Memory, "i32.load";
    I64Load = 0x0201, Memory, "i64.load";
    I32Load8S = 0x0202, Memory, "i32.load8_s";
    I32Load8U = 0x0203, Memory, "i32.load8_u";
    I32Load16S = 0x0204, Memory, "i32.load16_s";
    I32Load16U = 0x0205, Memory, "i32.load16_u";
    I64Load8S = 0x0206, Memory, "i64.load8_s";
    I64Load8U = 0x0207, Memory, "i64.load8_u";
    I64Load16S = 0x0208, Memory, "i64.load16_s";
    I64Load16U = 0x0209, Memory, "i64.load16_u";
    I64Load32S = 0x020a, Memory, "i64.load32_s";
    I64Load32U = 0x020b, Memory, "i64.load32_u";
    /// Pop value, pop address; store. a = static offset; depth = memory tree depth.
    I32Store = 0x020c, Memory, "i32.store";
    I64Store = 0x020d, Memory, "i64.store";
    I32Store8 = 0x020e, Memory, "i32.store8";
    I32Store16 = 0x020f, Memory, "i32.store16";
    I64Store8 = 0x0210, Memory, "i64.store8";
    I64Store16 = 0x0211, Memory, "i64.store16";
    I64Store32 = 0x0212, Memory, "i64.store32";
    /// Push the memory size in pages.
    MemorySize = 0x0213, Memory, "memory.size";
    /// Pop n; grow by n pages up to a (max pages); push the old size or 0xffff_ffff.
    MemoryGrow = 0x0214, Memory, "memory.grow";

    /// read_inbox(offset, dest) -> len.
    ReadInbox = 0x0300, Host, "host.read_inbox";
    /// read_preimage(hash_ptr, offset, dest) -> len.
    ReadPreimage = 0x0301, Host, "host.read_preimage";
    /// keccak256(src, len, dest).
    Keccak256 = 0x0302, Host, "host.keccak256";
    /// ecrecover(input_ptr, dest).
    Ecrecover = 0x0303, Host, "host.ecrecover";
    /// get_bytes32(index, dest).
    GetBytes32 = 0x0304, Host, "host.get_bytes32";
    /// set_bytes32(index, src).
    SetBytes32 = 0x0305, Host, "host.set_bytes32";
    /// get_u64(index) -> value.
    GetU64 = 0x0306, Host, "host.get_u64";
    /// set_u64(index, value).
    SetU64 = 0x0307, Host, "host.set_u64";
    /// halt(): the machine is finished.
    Halt = 0x0308, Host, "host.halt";
}

impl Opcode {
    /// Whether this math op takes one operand (the rest of the math class takes two).
    pub fn is_unary_math(self) -> bool {
        use Opcode::*;
        matches!(
            self,
            I32Eqz
                | I64Eqz
                | I32Clz
                | I32Ctz
                | I32Popcnt
                | I64Clz
                | I64Ctz
                | I64Popcnt
                | I32WrapI64
                | I64ExtendI32S
                | I64ExtendI32U
                | I32Extend8S
                | I32Extend16S
                | I64Extend8S
                | I64Extend16S
                | I64Extend32S
        )
    }

    /// Whether it is a store (pops an address and a value).
    pub fn is_store(self) -> bool {
        use Opcode::*;
        matches!(
            self,
            I32Store | I64Store | I32Store8 | I32Store16 | I64Store8 | I64Store16 | I64Store32
        )
    }
}

/// One flat instruction: an opcode and its immediates. What each immediate means depends on
/// the opcode (docs/spec/isa.md); unused ones are zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Instruction {
    /// What to do.
    pub op: Opcode,
    /// A tree depth the instruction needs (locals, globals, memory or table), bound by the code
    /// commitment so a proof cannot choose it.
    pub depth: u8,
    /// First immediate (a jump target, an index, a static offset...).
    pub a: u32,
    /// Second immediate (a constant, a count...).
    pub b: u64,
}

impl Instruction {
    /// An instruction with no immediates.
    pub const fn simple(op: Opcode) -> Self {
        Instruction {
            op,
            depth: 0,
            a: 0,
            b: 0,
        }
    }

    /// Its code-tree leaf: `op (u16 BE) ‖ depth ‖ 0x00 ‖ a (u32 BE) ‖ b (u64 BE) ‖ 16 zero bytes`.
    pub fn leaf(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        out[0..2].copy_from_slice(&(self.op as u16).to_be_bytes());
        out[2] = self.depth;
        out[4..8].copy_from_slice(&self.a.to_be_bytes());
        out[8..16].copy_from_slice(&self.b.to_be_bytes());
        out
    }

    /// Decodes a code-tree leaf; `None` for an unknown opcode or non-zero padding.
    pub fn from_leaf(leaf: &[u8; 32]) -> Option<Self> {
        if leaf[3] != 0 || leaf[16..].iter().any(|&b| b != 0) {
            return None;
        }
        Some(Instruction {
            op: Opcode::from_u16(u16::from_be_bytes([leaf[0], leaf[1]]))?,
            depth: leaf[2],
            a: u32::from_be_bytes(leaf[4..8].try_into().ok()?),
            b: u64::from_be_bytes(leaf[8..16].try_into().ok()?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaf_round_trips_every_opcode() {
        for &op in Opcode::ALL {
            let i = Instruction {
                op,
                depth: 7,
                a: 0xdead_beef,
                b: u64::MAX - 1,
            };
            assert_eq!(Instruction::from_leaf(&i.leaf()), Some(i));
            assert_eq!(Opcode::from_u16(op as u16), Some(op));
        }
        let mut bad = Instruction::simple(Opcode::Drop).leaf();
        bad[31] = 1;
        assert_eq!(Instruction::from_leaf(&bad), None);
        assert_eq!(Opcode::from_u16(0xffff), None);
    }
}
