//! Property and fuzz tests of the machine (case counts scale with `FUSE_TEST_SCALE`):
//! - the loader never panics, on raw random bytes or on mutations of a valid module;
//! - on random subset modules (wasm-smith), the machine never panics, agrees with the
//!   wasmtime twin on results and traps, and its incremental hash equals a from-scratch hash
//!   (a snapshot restored at random steps), before and after both run on.

use std::sync::Arc;

use arbitrary::Unstructured;
use fuse_twin::Twin;
use fuse_vm::spectest::{Outcome, Twin as _};
use fuse_vm::{GlobalState, LoadError, Machine, MemoryHost, Status, load, testing::cases};
use proptest::prelude::*;

fn smith_config() -> wasm_smith::Config {
    wasm_smith::Config {
        allow_floats: false,
        bulk_memory_enabled: false,
        reference_types_enabled: false,
        multi_value_enabled: false,
        saturating_float_to_int_enabled: false,
        sign_extension_ops_enabled: true,
        simd_enabled: false,
        relaxed_simd_enabled: false,
        threads_enabled: false,
        tail_call_enabled: false,
        gc_enabled: false,
        exceptions_enabled: false,
        wide_arithmetic_enabled: false,
        extended_const_enabled: false,
        custom_page_sizes_enabled: false,
        compact_imports_enabled: false,
        memory64_enabled: false,
        shared_everything_threads_enabled: false,
        max_memories: 1,
        max_tables: 1,
        max_imports: 0,
        max_memory32_bytes: 4 * 65536,
        export_everything: true,
        min_funcs: 1,
        max_funcs: 8,
        max_instructions: 200,
        ..Default::default()
    }
}

fn smith_module(seed: &[u8]) -> Option<Vec<u8>> {
    let mut u = Unstructured::new(seed);
    wasm_smith::Module::new(smith_config(), &mut u)
        .ok()
        .map(|m| m.to_bytes())
}

const STEPS: u64 = 20_000;

/// Runs every exported function of `bytes` with `args` in the machine and the twin.
/// Returns how many invocations were compared.
fn differential(bytes: &[u8], arg_seed: u64) -> u64 {
    let module = match load(bytes) {
        Ok(m) => Arc::new(m),
        Err(LoadError::Invalid { message, .. }) => {
            panic!("wasm-smith made a module we call invalid: {message}")
        }
        Err(_) => return 0,
    };
    // Metered, so each finished invocation can be checked to use no less fuel than the
    // machine takes steps (what lets a validator trust a finished twin run).
    let metered = Twin::metered(&module).is_ok();
    let mut twin = Twin::metered(&module).unwrap_or_default();
    let mut host = MemoryHost::default();
    let mut machine = Machine::new(module.clone(), GlobalState::default());
    machine.run(&mut host, STEPS).expect("no host input needed");
    let twin_inst = twin
        .instantiate(bytes)
        .expect("twin accepts what the machine loads");
    match (machine.status(), &twin_inst) {
        (Status::Finished, Ok(_)) => {}
        (Status::Errored(_), Err(_)) => return 1,
        (Status::Running, _) => return 0,
        (s, t) => panic!(
            "instantiation disagrees: machine {s:?}, twin trapped: {}",
            t.is_err()
        ),
    }
    let mut twin_inst = twin_inst.unwrap();
    let mut compared = 0;
    for (name, export) in module.exports.clone() {
        let fuse_vm::module::Export::Func(f) = export else {
            continue;
        };
        let Some(ty) = module.func_type(f).cloned() else {
            continue;
        };
        let args: Vec<u64> = (0..ty.params.len() as u64)
            .map(|i| arg_seed.rotate_left(i as u32 * 13) ^ i)
            .zip(&ty.params)
            .map(|(v, t)| {
                if *t == fuse_vm::module::ValType::I32 {
                    v & 0xffff_ffff
                } else {
                    v
                }
            })
            .collect();
        if machine.invoke(f, &args).is_err() {
            continue;
        }
        let steps_before = machine.steps();
        // Hash at every step for a while, checking against a from-scratch hash at a few.
        let mut checks = 0;
        for step in 0..STEPS {
            if machine.status() != Status::Running {
                break;
            }
            machine.step(&mut host).unwrap();
            if step < 300 {
                let h = machine.hash();
                if step % 37 == 5 {
                    let mut restored =
                        Machine::restore(module.clone(), &machine.snapshot()).unwrap();
                    if restored.hash() != h {
                        let a = fuse_vm::cache::parts(&mut machine);
                        let b = fuse_vm::cache::parts(&mut restored);
                        panic!(
                            "incremental hash differs from scratch at step {step}: stack {} locals {} frames {} world {} (depth {}, pc {}) {:?} {:?}",
                            a.value_stack == b.value_stack,
                            a.locals == b.locals,
                            a.frames == b.frames,
                            a.world == b.world,
                            machine.call_depth(),
                            machine.pc(),
                            machine.stack(),
                            restored.stack()
                        );
                    }
                    // The same future: both run on and stay equal.
                    let mut original = machine.clone();
                    for _ in 0..50 {
                        original.step(&mut host).unwrap();
                        restored.step(&mut host).unwrap();
                    }
                    assert_eq!(
                        original.hash(),
                        restored.hash(),
                        "restored machine diverged"
                    );
                    assert_eq!(original.status(), restored.status());
                    checks += 1;
                }
            }
        }
        let _ = checks;
        let mine = match machine.status() {
            Status::Running => continue,
            Status::Errored(t) => Outcome::Trap(t),
            Status::Finished => Outcome::Values(
                machine
                    .stack()
                    .iter()
                    .zip(&ty.results)
                    .map(|(v, t)| {
                        if *t == fuse_vm::module::ValType::I32 {
                            v & 0xffff_ffff
                        } else {
                            *v
                        }
                    })
                    .collect(),
            ),
        };
        let steps = machine.steps() - steps_before;
        let fuel_before = twin_inst.fuel_left();
        let theirs = twin
            .invoke(&mut twin_inst, &name, &args)
            .expect("twin runs");
        let fuel_left = twin_inst.fuel_left();
        match (&mine, &theirs) {
            (Outcome::Values(a), Outcome::Values(b)) => {
                assert_eq!(a, b, "results of {name} differ");
                if metered && fuel_left > 0 {
                    let fuel = fuel_before - fuel_left;
                    assert!(
                        steps <= fuel,
                        "{name}: {steps} machine steps on {fuel} fuel"
                    );
                }
            }
            (Outcome::Trap(a), Outcome::Trap(b)) => {
                assert_eq!(a, b, "{name}: the machine and the twin trap differently")
            }
            // The twin may run out of fuel or native stack where the machine finishes or
            // traps: that block is then re-run in the machine. Never a verdict either way.
            (_, Outcome::Exhausted) => {}
            (Outcome::Values(v), Outcome::Trap(t)) => {
                panic!("{name}: machine returned {v:?}, twin trapped ({t})")
            }
            (Outcome::Trap(t), Outcome::Values(v)) => {
                panic!("{name}: machine trapped ({t}), twin returned {v:?}")
            }
            (Outcome::Exhausted, _) => unreachable!("the machine never reports exhaustion"),
        }
        compared += 1;
    }
    compared
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(256)))]

    #[test]
    fn loader_never_panics_on_random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = load(&bytes);
        let mut with_header = b"\0asm\x01\0\0\0".to_vec();
        with_header.extend_from_slice(&bytes);
        let _ = load(&with_header);
    }

    #[test]
    fn loader_never_panics_on_mutated_modules(
        seed in proptest::collection::vec(any::<u8>(), 64..1024),
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
    ) {
        if let Some(mut bytes) = smith_module(&seed) {
            for (at, v) in flips {
                let i = at.index(bytes.len());
                bytes[i] = v;
            }
            let _ = load(&bytes);
        }
    }
}

/// A small deterministic generator, so a failing case can be replayed by its index.
fn xorshift(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[test]
fn machine_agrees_with_twin_on_random_modules() {
    let n = cases(64) as u64;
    let (mut generated, mut loaded, mut compared) = (0u64, 0u64, 0u64);
    for case in 0..n {
        let mut state = 0x9e37_79b9_7f4a_7c15 ^ (case + 1);
        let len = 256 + (xorshift(&mut state) % 4096) as usize;
        let seed: Vec<u8> = (0..len).map(|_| xorshift(&mut state) as u8).collect();
        let Some(bytes) = smith_module(&seed) else {
            continue;
        };
        generated += 1;
        match load(&bytes) {
            Ok(_) => loaded += 1,
            Err(e) => eprintln!("not loaded: {e}"),
        }
        compared += differential(&bytes, xorshift(&mut state));
    }
    println!(
        "{n} cases: {generated} modules generated, {loaded} loaded, {compared} invocations compared with the twin"
    );
    assert!(loaded * 2 >= n, "too few modules loaded: {loaded} of {n}");
    assert!(
        compared * 2 >= n,
        "too few invocations compared: {compared}"
    );
}
