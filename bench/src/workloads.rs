//! The fixed VM benchmark workloads, as WebAssembly text.

/// An integer compute loop: an i32 mul/xor/add chain and a counter, 15 instructions an
/// iteration.
pub const COMPUTE: &str = r#"
(module
  (func (export "run") (param $n i32) (result i32)
    (local $i i32) (local $x i32)
    (local.set $x (i32.const 1))
    (loop $l
      local.get $x
      i32.const 0x9e3779b1
      i32.mul
      local.get $i
      i32.xor
      i32.const 7
      i32.add
      local.set $x
      local.get $i
      i32.const 1
      i32.add
      local.tee $i
      local.get $n
      i32.lt_u
      br_if $l)
    local.get $x))
"#;

/// Steps of one [`COMPUTE`] iteration.
pub const COMPUTE_STEPS: u64 = 15;

/// A memory loop: i32.load and i32.store striding 68 bytes over a 1 MiB region, 20
/// instructions an iteration.
pub const MEMORY: &str = r#"
(module
  (memory 17 17)
  (func (export "run") (param $n i32) (result i32)
    (local $i i32) (local $addr i32) (local $acc i32)
    (loop $l
      local.get $addr
      local.get $addr
      i32.load
      local.get $acc
      i32.add
      local.tee $acc
      i32.store
      local.get $addr
      i32.const 68
      i32.add
      i32.const 0xffffc
      i32.and
      local.set $addr
      local.get $i
      i32.const 1
      i32.add
      local.tee $i
      local.get $n
      i32.lt_u
      br_if $l)
    local.get $acc))
"#;

/// Steps of one [`MEMORY`] iteration.
pub const MEMORY_STEPS: u64 = 20;

/// A call-heavy loop: one call of a three-instruction function an iteration, 13 steps.
pub const CALLS: &str = r#"
(module
  (func $add3 (param i32) (result i32)
    local.get 0
    i32.const 3
    i32.add)
  (func (export "run") (param $n i32) (result i32)
    (local $i i32) (local $x i32)
    (loop $l
      local.get $x
      call $add3
      local.set $x
      local.get $i
      i32.const 1
      i32.add
      local.tee $i
      local.get $n
      i32.lt_u
      br_if $l)
    local.get $x))
"#;

/// Steps of one [`CALLS`] iteration (the call, three body instructions and the return).
pub const CALLS_STEPS: u64 = 13;

/// Compiles WebAssembly text to binary.
pub fn wat(text: &str) -> anyhow::Result<Vec<u8>> {
    let buf = wast::parser::ParseBuffer::new(text)?;
    let mut module: wast::Wat = wast::parser::parse(&buf)?;
    Ok(module.encode()?)
}
