//! fuse-twin — the wasmtime twin: the same module under wasmtime, with the same host
//! interface.
//!
//! Validators compute assertions with it (fast); the stepping machine is used only to bisect
//! and prove. The configuration is deterministic and enables exactly the machine's subset
//! (WebAssembly 1.0 + mutable globals + sign extension): no SIMD, threads, bulk memory,
//! reference types or multi-value; NaN canonicalization on (floats are rejected anyway);
//! fuel-bounded; memory-limited. Host calls run [`fuse_vm::step::host::call`], the same code the
//! machine runs. A trap or fuel exhaustion here is never authoritative: the caller re-runs
//! the block in the stepping machine. A finished run is a result only from a [`Twin::metered`]
//! engine within [`BLOCK_FUEL`]: wasmtime's own fuel can undercount the machine's steps.
#![forbid(unsafe_code)]

use wasmtime::{
    Caller, Config, Engine, Extern, Linker, Module as WtModule, Store, StoreLimits,
    StoreLimitsBuilder, Val, ValType as WtValType,
};

use fuse_vm::error::{HostError, Trap};
use fuse_vm::host::Host;
use fuse_vm::module::HostFunc;
use fuse_vm::step::Fault;
use fuse_vm::{GlobalState, MAX_MEMORY_PAGES, PAGE_SIZE};

#[cfg(feature = "test-utils")]
pub mod spectest;

/// Native stack wasmtime may use. Every call takes at least 16 bytes of it (a return address
/// and a saved frame pointer: wasmtime keeps frame pointers in compiled wasm), so 128 KiB
/// holds at most 8,192 nested calls and recursion traps here well before the machine's
/// `MAX_FRAMES` (16,384): the twin never finishes a block where the machine errors.
pub const MAX_WASM_STACK: usize = 128 * 1024;

/// Machine steps a block takes besides its wasm operators: the synthetic entry's calls (the
/// start function, the guest entry) and `finish`.
pub const ENTRY_STEPS: u64 = 3;

/// Fuel a metered twin run of a block may use and still be accepted as a result: a run that
/// used no more finishes in the machine within `MAX_STEPS` ([`Twin::metered`]).
pub const BLOCK_FUEL: u64 = fuse_vm::MAX_STEPS - ENTRY_STEPS;

/// A module the twin cannot meter exactly: a branch may take more machine steps than one
/// operator's fuel cost can say (its stack cleanup is longer than 252 values).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a branch may drop up to {0} values: more machine steps than a fuel cost can express")]
pub struct Unmeterable(pub u32);

/// How a twin run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TwinExit {
    /// The entry returned or `halt` was called: the global state after the block.
    Finished(GlobalState),
    /// The guest trapped (the message names the trap).
    Trapped(String),
    /// It ran out of fuel.
    OutOfFuel,
}

struct State {
    host: Box<dyn Host + Send>,
    gs: GlobalState,
    limits: StoreLimits,
    halted: bool,
}

/// A host error raised inside a host function, told apart from guest traps after the call.
#[derive(Debug)]
struct HostFailure(HostError);

impl std::fmt::Display for HostFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "host error: {}", self.0)
    }
}

impl std::error::Error for HostFailure {}

/// A raised `halt`: unwinds the guest, then counts as finishing.
#[derive(Debug)]
struct Halted;

impl std::fmt::Display for Halted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("halt")
    }
}

impl std::error::Error for Halted {}

/// A trap raised inside a host function, kept as the machine's [`Trap`] so the caller can
/// compare it with the machine's.
#[derive(Debug)]
struct HostTrap(Trap);

impl std::fmt::Display for HostTrap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "host call trapped: {}", self.0)
    }
}

impl std::error::Error for HostTrap {}

/// How a twin call that failed ended, in the machine's terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TwinTrap {
    /// A trap the machine has too, with the same meaning.
    Guest(Trap),
    /// wasmtime ran out of a resource it counts differently from the machine (fuel, native
    /// stack): never a verdict on the module.
    Exhausted,
}

/// Names the trap behind a failed call, or `None` if the failure is not a trap (a host
/// error, a `halt`, an engine fault). wasmtime reports an out-of-range `call_indirect` as a
/// table access; in the subset no other table access exists at run time.
pub fn twin_trap(e: &wasmtime::Error) -> Option<TwinTrap> {
    if let Some(HostTrap(t)) = e.downcast_ref::<HostTrap>() {
        return Some(TwinTrap::Guest(*t));
    }
    use wasmtime::Trap as W;
    let trap = match e.downcast_ref::<W>()? {
        W::UnreachableCodeReached => Trap::Unreachable,
        W::IntegerDivisionByZero => Trap::DivideByZero,
        W::IntegerOverflow => Trap::IntegerOverflow,
        W::MemoryOutOfBounds => Trap::OutOfBoundsMemory,
        W::TableOutOfBounds => Trap::UndefinedElement,
        W::IndirectCallToNull => Trap::UninitializedElement,
        W::BadSignature => Trap::IndirectCallTypeMismatch,
        W::StackOverflow | W::OutOfFuel => return Some(TwinTrap::Exhausted),
        // Anything else comes from a feature outside the subset, which the twin's engine
        // does not enable: name it as a trap the machine never raises for it, so a
        // comparison fails loudly instead of matching by accident.
        _ => Trap::BadHostCall,
    };
    Some(TwinTrap::Guest(trap))
}

/// The wasmtime engine, configured for the subset.
#[derive(Clone)]
pub struct Twin {
    engine: Engine,
}

impl Default for Twin {
    fn default() -> Self {
        Self::new()
    }
}

impl Twin {
    /// An engine with the deterministic configuration and wasmtime's own fuel costs.
    pub fn new() -> Self {
        Self::with_costs(None)
    }

    /// An engine whose fuel bounds the stepping machine's steps on `module`: every wasm
    /// operator costs at least the steps its lowering takes (docs/spec/isa.md, "The
    /// lowering"). wasmtime charges nothing for `drop`, `return`, `else`, `end` and
    /// `unreachable`, which the machine executes as a step each, and one unit for a branch
    /// that the machine may run as its stack cleanup (one `drop` or `nip` a value) plus the
    /// jump; so a run that uses `F` fuel takes at most `F` machine steps, plus
    /// [`ENTRY_STEPS`]. A block whose run used at most [`BLOCK_FUEL`] therefore finishes in the
    /// machine within `MAX_STEPS`, and only such a run may stand in for the machine.
    pub fn metered(module: &fuse_vm::Module) -> Result<Self, Unmeterable> {
        // A branch: its cleanup (at most the deepest stack any function reaches), the jump,
        // and for br_if / br_table the test and the table's slot.
        let cleanup = module.max_stack_height;
        let branch = u8::try_from(cleanup.saturating_add(3)).map_err(|_| Unmeterable(cleanup))?;
        let mut cost = wasmtime::OperatorCost::new();
        cost.Drop = 1;
        cost.Unreachable = 1;
        cost.Return = 1;
        cost.Else = 1;
        cost.End = 1;
        cost.Br = branch;
        cost.BrIf = branch;
        cost.BrTable = branch;
        Ok(Self::with_costs(Some(cost)))
    }

    fn with_costs(cost: Option<wasmtime::OperatorCost>) -> Self {
        let mut c = Config::new();
        // Disable everything past WebAssembly 1.0, then turn on exactly the subset.
        let wasm1 = wasmtime::WasmFeatures::MUTABLE_GLOBAL
            | wasmtime::WasmFeatures::SIGN_EXTENSION
            | wasmtime::WasmFeatures::FLOATS;
        c.wasm_features(wasmtime::WasmFeatures::all(), false)
            .wasm_features(wasm1, true)
            .cranelift_nan_canonicalization(true)
            .consume_fuel(true)
            .max_wasm_stack(MAX_WASM_STACK);
        if let Some(cost) = cost {
            c.operator_cost(cost);
        }
        // Compilation is serial: wasmtime is built without its parallel-compilation feature.
        let engine = Engine::new(&c).expect("the twin's configuration is valid");
        Twin { engine }
    }

    /// Compiles a module.
    pub fn compile(&self, wasm: &[u8]) -> wasmtime::Result<WtModule> {
        WtModule::new(&self.engine, wasm)
    }

    fn store(&self, host: Box<dyn Host + Send>, gs: GlobalState, fuel: u64) -> Store<State> {
        let limits = StoreLimitsBuilder::new()
            .memory_size(MAX_MEMORY_PAGES as usize * PAGE_SIZE)
            .instances(1)
            .build();
        let mut store = Store::new(
            &self.engine,
            State {
                host,
                gs,
                limits,
                halted: false,
            },
        );
        store.limiter(|s| &mut s.limits);
        store.set_fuel(fuel).expect("fuel is enabled");
        store
    }

    fn linker(&self) -> Linker<State> {
        let mut linker = Linker::new(&self.engine);
        for f in HostFunc::ALL {
            let sig = f.signature();
            let ty = wasmtime::FuncType::new(
                &self.engine,
                sig.params.iter().map(|t| wt_type(*t)),
                sig.results.iter().map(|t| wt_type(*t)),
            );
            linker
                .func_new(
                    HostFunc::MODULE,
                    f.name(),
                    ty,
                    move |caller, params, results| host_call(caller, f, params, results),
                )
                .expect("host functions have distinct names");
        }
        linker
    }

    /// Runs one block: instantiates `module` (start function, then `fuse_entry`) from `gs`
    /// with at most `fuel` units of fuel. Returns how it ended, the host, and the fuel used
    /// (`u64::MAX` if it may have used more than it was given: wasmtime checks fuel at loop
    /// heads and calls, so a straight run can overdraw it). A host error (input not
    /// available) is an `Err`.
    pub fn run_block<H: Host + Send + 'static>(
        &self,
        module: &WtModule,
        gs: GlobalState,
        host: H,
        fuel: u64,
    ) -> Result<(TwinExit, Box<dyn Host + Send>, u64), HostError> {
        let mut store = self.store(Box::new(host), gs, fuel);
        let linker = self.linker();
        let result = linker.instantiate(&mut store, module).and_then(|instance| {
            match instance.get_typed_func::<(), ()>(&mut store, fuse_vm::load::ENTRY_EXPORT) {
                Ok(entry) => entry.call(&mut store, ()),
                Err(_) => Ok(()),
            }
        });
        let exit = match result {
            Ok(()) => TwinExit::Finished(store.data().gs),
            Err(e) => classify(e, &store)?,
        };
        let left = store.get_fuel().expect("fuel is enabled");
        let used = if left == 0 { u64::MAX } else { fuel - left };
        let state = store.into_data();
        Ok((exit, state.host, used))
    }
}

fn classify(e: wasmtime::Error, store: &Store<State>) -> Result<TwinExit, HostError> {
    if let Some(HostFailure(h)) = e.downcast_ref::<HostFailure>() {
        return Err(h.clone());
    }
    if store.data().halted || e.downcast_ref::<Halted>().is_some() {
        return Ok(TwinExit::Finished(store.data().gs));
    }
    if let Some(wasmtime::Trap::OutOfFuel) = e.downcast_ref::<wasmtime::Trap>() {
        return Ok(TwinExit::OutOfFuel);
    }
    Ok(TwinExit::Trapped(format!("{e:#}")))
}

fn wt_type(t: fuse_vm::module::ValType) -> WtValType {
    match t {
        fuse_vm::module::ValType::I32 => WtValType::I32,
        fuse_vm::module::ValType::I64 => WtValType::I64,
    }
}

fn val_bits(v: &Val) -> u64 {
    match v {
        Val::I32(x) => *x as u32 as u64,
        Val::I64(x) => *x as u64,
        _ => 0,
    }
}

fn host_call(
    mut caller: Caller<'_, State>,
    f: HostFunc,
    params: &[Val],
    results: &mut [Val],
) -> wasmtime::Result<()> {
    let args: Vec<u64> = params.iter().map(val_bits).collect();
    let memory = match caller.get_export("memory") {
        Some(Extern::Memory(m)) => Some(m),
        _ => None,
    };
    let mut empty: [u8; 0] = [];
    let (mem, state) = match memory {
        Some(m) => m.data_and_store_mut(&mut caller),
        None => (&mut empty[..], caller.data_mut()),
    };
    let State {
        host, gs, halted, ..
    } = state;
    match fuse_vm::step::host::call(f, &args, mem, gs, host.as_mut()) {
        Ok(effect) => {
            if let (Some(r), Some(slot)) = (effect.result, results.first_mut()) {
                *slot = match slot {
                    Val::I64(_) => Val::I64(r as i64),
                    _ => Val::I32(r as u32 as i32),
                };
                if f.signature().results[0] == fuse_vm::module::ValType::I64 {
                    *slot = Val::I64(r as i64);
                } else {
                    *slot = Val::I32(r as u32 as i32);
                }
            }
            if effect.halt {
                *halted = true;
                return Err(wasmtime::Error::new(Halted));
            }
            Ok(())
        }
        Err(Fault::Trap(t)) => Err(wasmtime::Error::new(HostTrap(t))),
        Err(Fault::Host(h)) => Err(wasmtime::Error::new(HostFailure(h))),
    }
}
