// SPDX-License-Identifier: MIT
pragma solidity ^0.8.37;

// Generated from primitives/src/isa.rs by fuse-verifier (verifier/src/solidity.rs); do not
// edit — run, from the repository root,
//     FUSE_WRITE_SOLIDITY=1 cargo test -p fuse-verifier --test it solidity
// to write it again (without the variable the same test checks that it is up to date;
// docs/spec/isa.md#adding-an-opcode).
//
// Every opcode of the flat ISA (docs/spec/isa.md), named after its Rust `Opcode` variant in
// SCREAMING_SNAKE_CASE: an underscore before every capital letter but the first, digits
// kept with the word before them (`I32Add` is `I32_ADD`, `I64ExtendI32S`
// `I64_EXTEND_I32_S`, `ReadInbox` `READ_INBOX`); its comment is the mnemonic. The high byte
// of an opcode is its class (`CLASS_*`: the module that proves it), and the low bytes of a
// class run from 0 to the low byte of its `LAST_*` without a gap. The values are `uint16`
// but the constants `uint256`, and the provers compare them constant first
// (`I32_ADD == op`): solc masks a narrower constant wherever it is used, and pushes a
// literal right operand of `==` last but a constant first, so only this way do the
// contracts compile exactly as with the literals they replaced.

// ---------------------------------------------------------------- control class

/// @dev The control class: `op >> 8`.
uint256 constant CLASS_CONTROL = 0x00;
/// @dev Its last opcode.
uint256 constant LAST_CONTROL = 0x0011;

/// @dev unreachable
uint256 constant UNREACHABLE = 0x0000;
/// @dev drop
uint256 constant DROP = 0x0001;
/// @dev nip
uint256 constant NIP = 0x0002;
/// @dev select
uint256 constant SELECT = 0x0003;
/// @dev br
uint256 constant BR = 0x0004;
/// @dev br_if
uint256 constant BR_IF = 0x0005;
/// @dev br_if_zero
uint256 constant BR_IF_ZERO = 0x0006;
/// @dev br_table
uint256 constant BR_TABLE = 0x0007;
/// @dev call
uint256 constant CALL = 0x0008;
/// @dev call_indirect
uint256 constant CALL_INDIRECT = 0x0009;
/// @dev return
uint256 constant RETURN = 0x000a;
/// @dev local.get
uint256 constant LOCAL_GET = 0x000b;
/// @dev local.set
uint256 constant LOCAL_SET = 0x000c;
/// @dev local.tee
uint256 constant LOCAL_TEE = 0x000d;
/// @dev global.get
uint256 constant GLOBAL_GET = 0x000e;
/// @dev global.set
uint256 constant GLOBAL_SET = 0x000f;
/// @dev const
uint256 constant CONST = 0x0010;
/// @dev finish
uint256 constant FINISH = 0x0011;

// ---------------------------------------------------------------- math class

/// @dev The math class: `op >> 8`.
uint256 constant CLASS_MATH = 0x01;
/// @dev Its last opcode.
uint256 constant LAST_MATH = 0x0141;

/// @dev i32.eqz
uint256 constant I32_EQZ = 0x0100;
/// @dev i32.eq
uint256 constant I32_EQ = 0x0101;
/// @dev i32.ne
uint256 constant I32_NE = 0x0102;
/// @dev i32.lt_s
uint256 constant I32_LT_S = 0x0103;
/// @dev i32.lt_u
uint256 constant I32_LT_U = 0x0104;
/// @dev i32.gt_s
uint256 constant I32_GT_S = 0x0105;
/// @dev i32.gt_u
uint256 constant I32_GT_U = 0x0106;
/// @dev i32.le_s
uint256 constant I32_LE_S = 0x0107;
/// @dev i32.le_u
uint256 constant I32_LE_U = 0x0108;
/// @dev i32.ge_s
uint256 constant I32_GE_S = 0x0109;
/// @dev i32.ge_u
uint256 constant I32_GE_U = 0x010a;
/// @dev i64.eqz
uint256 constant I64_EQZ = 0x010b;
/// @dev i64.eq
uint256 constant I64_EQ = 0x010c;
/// @dev i64.ne
uint256 constant I64_NE = 0x010d;
/// @dev i64.lt_s
uint256 constant I64_LT_S = 0x010e;
/// @dev i64.lt_u
uint256 constant I64_LT_U = 0x010f;
/// @dev i64.gt_s
uint256 constant I64_GT_S = 0x0110;
/// @dev i64.gt_u
uint256 constant I64_GT_U = 0x0111;
/// @dev i64.le_s
uint256 constant I64_LE_S = 0x0112;
/// @dev i64.le_u
uint256 constant I64_LE_U = 0x0113;
/// @dev i64.ge_s
uint256 constant I64_GE_S = 0x0114;
/// @dev i64.ge_u
uint256 constant I64_GE_U = 0x0115;
/// @dev i32.clz
uint256 constant I32_CLZ = 0x0116;
/// @dev i32.ctz
uint256 constant I32_CTZ = 0x0117;
/// @dev i32.popcnt
uint256 constant I32_POPCNT = 0x0118;
/// @dev i32.add
uint256 constant I32_ADD = 0x0119;
/// @dev i32.sub
uint256 constant I32_SUB = 0x011a;
/// @dev i32.mul
uint256 constant I32_MUL = 0x011b;
/// @dev i32.div_s
uint256 constant I32_DIV_S = 0x011c;
/// @dev i32.div_u
uint256 constant I32_DIV_U = 0x011d;
/// @dev i32.rem_s
uint256 constant I32_REM_S = 0x011e;
/// @dev i32.rem_u
uint256 constant I32_REM_U = 0x011f;
/// @dev i32.and
uint256 constant I32_AND = 0x0120;
/// @dev i32.or
uint256 constant I32_OR = 0x0121;
/// @dev i32.xor
uint256 constant I32_XOR = 0x0122;
/// @dev i32.shl
uint256 constant I32_SHL = 0x0123;
/// @dev i32.shr_s
uint256 constant I32_SHR_S = 0x0124;
/// @dev i32.shr_u
uint256 constant I32_SHR_U = 0x0125;
/// @dev i32.rotl
uint256 constant I32_ROTL = 0x0126;
/// @dev i32.rotr
uint256 constant I32_ROTR = 0x0127;
/// @dev i64.clz
uint256 constant I64_CLZ = 0x0128;
/// @dev i64.ctz
uint256 constant I64_CTZ = 0x0129;
/// @dev i64.popcnt
uint256 constant I64_POPCNT = 0x012a;
/// @dev i64.add
uint256 constant I64_ADD = 0x012b;
/// @dev i64.sub
uint256 constant I64_SUB = 0x012c;
/// @dev i64.mul
uint256 constant I64_MUL = 0x012d;
/// @dev i64.div_s
uint256 constant I64_DIV_S = 0x012e;
/// @dev i64.div_u
uint256 constant I64_DIV_U = 0x012f;
/// @dev i64.rem_s
uint256 constant I64_REM_S = 0x0130;
/// @dev i64.rem_u
uint256 constant I64_REM_U = 0x0131;
/// @dev i64.and
uint256 constant I64_AND = 0x0132;
/// @dev i64.or
uint256 constant I64_OR = 0x0133;
/// @dev i64.xor
uint256 constant I64_XOR = 0x0134;
/// @dev i64.shl
uint256 constant I64_SHL = 0x0135;
/// @dev i64.shr_s
uint256 constant I64_SHR_S = 0x0136;
/// @dev i64.shr_u
uint256 constant I64_SHR_U = 0x0137;
/// @dev i64.rotl
uint256 constant I64_ROTL = 0x0138;
/// @dev i64.rotr
uint256 constant I64_ROTR = 0x0139;
/// @dev i32.wrap_i64
uint256 constant I32_WRAP_I64 = 0x013a;
/// @dev i64.extend_i32_s
uint256 constant I64_EXTEND_I32_S = 0x013b;
/// @dev i64.extend_i32_u
uint256 constant I64_EXTEND_I32_U = 0x013c;
/// @dev i32.extend8_s
uint256 constant I32_EXTEND8_S = 0x013d;
/// @dev i32.extend16_s
uint256 constant I32_EXTEND16_S = 0x013e;
/// @dev i64.extend8_s
uint256 constant I64_EXTEND8_S = 0x013f;
/// @dev i64.extend16_s
uint256 constant I64_EXTEND16_S = 0x0140;
/// @dev i64.extend32_s
uint256 constant I64_EXTEND32_S = 0x0141;

// ---------------------------------------------------------------- memory class

/// @dev The memory class: `op >> 8`.
uint256 constant CLASS_MEMORY = 0x02;
/// @dev Its last opcode.
uint256 constant LAST_MEMORY = 0x0214;

/// @dev i32.load
uint256 constant I32_LOAD = 0x0200;
/// @dev i64.load
uint256 constant I64_LOAD = 0x0201;
/// @dev i32.load8_s
uint256 constant I32_LOAD8_S = 0x0202;
/// @dev i32.load8_u
uint256 constant I32_LOAD8_U = 0x0203;
/// @dev i32.load16_s
uint256 constant I32_LOAD16_S = 0x0204;
/// @dev i32.load16_u
uint256 constant I32_LOAD16_U = 0x0205;
/// @dev i64.load8_s
uint256 constant I64_LOAD8_S = 0x0206;
/// @dev i64.load8_u
uint256 constant I64_LOAD8_U = 0x0207;
/// @dev i64.load16_s
uint256 constant I64_LOAD16_S = 0x0208;
/// @dev i64.load16_u
uint256 constant I64_LOAD16_U = 0x0209;
/// @dev i64.load32_s
uint256 constant I64_LOAD32_S = 0x020a;
/// @dev i64.load32_u
uint256 constant I64_LOAD32_U = 0x020b;
/// @dev i32.store
uint256 constant I32_STORE = 0x020c;
/// @dev i64.store
uint256 constant I64_STORE = 0x020d;
/// @dev i32.store8
uint256 constant I32_STORE8 = 0x020e;
/// @dev i32.store16
uint256 constant I32_STORE16 = 0x020f;
/// @dev i64.store8
uint256 constant I64_STORE8 = 0x0210;
/// @dev i64.store16
uint256 constant I64_STORE16 = 0x0211;
/// @dev i64.store32
uint256 constant I64_STORE32 = 0x0212;
/// @dev memory.size
uint256 constant MEMORY_SIZE = 0x0213;
/// @dev memory.grow
uint256 constant MEMORY_GROW = 0x0214;

// ---------------------------------------------------------------- host class

/// @dev The host class: `op >> 8`.
uint256 constant CLASS_HOST = 0x03;
/// @dev Its last opcode.
uint256 constant LAST_HOST = 0x0308;

/// @dev host.read_inbox
uint256 constant READ_INBOX = 0x0300;
/// @dev host.read_preimage
uint256 constant READ_PREIMAGE = 0x0301;
/// @dev host.keccak256
uint256 constant KECCAK256 = 0x0302;
/// @dev host.ecrecover
uint256 constant ECRECOVER = 0x0303;
/// @dev host.get_bytes32
uint256 constant GET_BYTES32 = 0x0304;
/// @dev host.set_bytes32
uint256 constant SET_BYTES32 = 0x0305;
/// @dev host.get_u64
uint256 constant GET_U64 = 0x0306;
/// @dev host.set_u64
uint256 constant SET_U64 = 0x0307;
/// @dev host.halt
uint256 constant HALT = 0x0308;
