//! The twin never outruns the machine: a metered twin's fuel bounds the stepping machine's
//! steps, so a validator that accepts a twin run within `BLOCK_FUEL` never asserts a block
//! finished that the machine would still be running at `MAX_STEPS`; and deep recursion traps
//! in the twin before the machine's call-depth limit, so the twin never finishes where the
//! machine errors.

use std::sync::Arc;

use fuse_twin::{ENTRY_STEPS, Twin, TwinExit};
use fuse_vm::{GlobalState, Machine, MemoryHost, Status, load};

/// A block built to exploit wasmtime's own fuel costs: every iteration is mostly what
/// wasmtime charges nothing for (`drop`, `block`, `end`, `else`, `nop`, a callee's `end`)
/// and a branch whose stack cleanup the machine runs value by value.
const GAP: &str = r#"
(module
  (memory 1 1)
  (func $leaf (result i32) i32.const 1)
  (func (export "fuse_entry")
    (local $i i32)
    (local.set $i (i32.const 2000))
    (loop $top
      (block $b
        (drop (i32.const 1)) (drop (i32.const 2)) (drop (i32.const 3)) (drop (i32.const 4))
        (drop (i32.const 5)) (drop (i32.const 6)) (drop (i32.const 7)) (drop (i32.const 8))
        i32.const 10 i32.const 11 i32.const 12 i32.const 13 i32.const 14 i32.const 15
        br $b)
      (if (i32.const 1) (then nop) (else nop))
      (drop (call $leaf))
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (br_if $top (local.get $i)))))
"#;

/// Calls itself `n` deep (its argument), then returns.
const RECURSE: &str = r#"
(module
  (memory 1 1)
  (global $n (mut i32) (i32.const 0))
  (func $down (param $d i32)
    (if (local.get $d) (then (call $down (i32.sub (local.get $d) (i32.const 1))))))
  (func (export "fuse_entry") (call $down (global.get $n))))
"#;

use fuse_vm::testing::programs::wat as wasm;

/// Steps the machine takes on the block, and how it ended.
fn machine_steps(wasm: &[u8]) -> (Status, u64) {
    let module = Arc::new(load(wasm).unwrap());
    let mut m = Machine::new(module, GlobalState::default());
    m.run(&mut MemoryHost::default(), 10_000_000).unwrap();
    (m.status(), m.steps())
}

/// How the twin ended on the block and the fuel it used, with plenty given.
fn twin_run(twin: &Twin, wasm: &[u8]) -> (TwinExit, u64) {
    let compiled = twin.compile(wasm).unwrap();
    let (exit, _, used) = twin
        .run_block(
            &compiled,
            GlobalState::default(),
            MemoryHost::default(),
            10_000_000,
        )
        .unwrap();
    (exit, used)
}

#[test]
fn metered_fuel_bounds_the_machine_steps_where_wasmtime_fuel_does_not() {
    let bytes = wasm(GAP);
    let (status, steps) = machine_steps(&bytes);
    assert_eq!(status, Status::Finished);

    // wasmtime's own costs: the twin finishes on far less fuel than the machine takes steps,
    // so a fuel budget of MAX_STEPS would accept blocks the machine cannot finish.
    let (exit, plain) = twin_run(&Twin::new(), &bytes);
    assert!(matches!(exit, TwinExit::Finished(_)));
    assert!(
        plain + ENTRY_STEPS < steps,
        "{plain} fuel, {steps} steps: no gap to exploit"
    );

    // Metered: fuel used is at least the machine's steps (less the entry's).
    let module = load(&bytes).unwrap();
    let metered = Twin::metered(&module).unwrap();
    let (exit, fuel) = twin_run(&metered, &bytes);
    assert!(matches!(exit, TwinExit::Finished(_)));
    assert!(steps <= fuel + ENTRY_STEPS, "{fuel} fuel, {steps} steps");
    println!("a block of {steps} machine steps: {plain} fuel at wasmtime's costs, {fuel} metered");

    // With a budget the machine would not finish in, the metered run is not accepted.
    let budget = steps - ENTRY_STEPS - 1;
    let compiled = metered.compile(&bytes).unwrap();
    let (exit, _, used) = metered
        .run_block(
            &compiled,
            GlobalState::default(),
            MemoryHost::default(),
            2 * budget,
        )
        .unwrap();
    assert!(
        !(matches!(exit, TwinExit::Finished(_)) && used <= budget),
        "accepted a run the machine cannot finish within its budget"
    );
}

#[test]
fn deep_recursion_traps_in_the_twin_before_the_machine_limit() {
    for depth in [9_000u32, 16_383, 16_400] {
        let text = RECURSE.replace("(i32.const 0))", &format!("(i32.const {depth}))"));
        let bytes = wasm(&text);
        let (status, _) = machine_steps(&bytes);
        let module = load(&bytes).unwrap();
        let (exit, _) = twin_run(&Twin::metered(&module).unwrap(), &bytes);
        // The machine finishes below its limit and errors at it; the twin traps either way.
        assert_eq!(
            matches!(status, Status::Finished),
            (depth as usize) < fuse_vm::MAX_FRAMES - 1,
            "depth {depth}: machine {status:?}"
        );
        assert!(
            matches!(exit, TwinExit::Trapped(_)),
            "depth {depth}: the twin {exit:?} where the machine {status:?}"
        );
    }
}
