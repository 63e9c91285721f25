//! The wasmtime twin: the same module under wasmtime, with the same host interface.
//!
//! Validators compute assertions with it (fast); the stepping machine is used only to bisect
//! and prove. The configuration is deterministic and enables exactly the machine's subset
//! (WebAssembly 1.0 + mutable globals + sign extension): no SIMD, threads, bulk memory,
//! reference types or multi-value; NaN canonicalization on (floats are rejected anyway);
//! fuel-bounded; memory-limited. Host calls run [`crate::step::host::call`], the same code the
//! machine runs. A trap or fuel exhaustion here is never authoritative: the caller re-runs
//! the block in the stepping machine. A finished run is a result only from a [`Twin::metered`]
//! engine within [`BLOCK_FUEL`]: wasmtime's own fuel can undercount the machine's steps.

use wasmtime::{
    Caller, Config, Engine, Extern, Global, GlobalType, Instance, Linker, Memory, MemoryType,
    Module as WtModule, Mutability, Ref, RefType, Store, StoreLimits, StoreLimitsBuilder, Table,
    TableType, Val, ValType as WtValType,
};

use crate::error::{HostError, Trap};
use crate::host::{Host, MemoryHost};
use crate::module::HostFunc;
use crate::spectest::Outcome;
use crate::step::Fault;
use crate::{GlobalState, MAX_MEMORY_PAGES, PAGE_SIZE};

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
pub const BLOCK_FUEL: u64 = crate::MAX_STEPS - ENTRY_STEPS;

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
    pub fn metered(module: &crate::Module) -> Result<Self, Unmeterable> {
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
            match instance.get_typed_func::<(), ()>(&mut store, crate::load::ENTRY_EXPORT) {
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

fn wt_type(t: crate::module::ValType) -> WtValType {
    match t {
        crate::module::ValType::I32 => WtValType::I32,
        crate::module::ValType::I64 => WtValType::I64,
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
    match crate::step::host::call(f, &args, mem, gs, host.as_mut()) {
        Ok(effect) => {
            if let (Some(r), Some(slot)) = (effect.result, results.first_mut()) {
                *slot = match slot {
                    Val::I64(_) => Val::I64(r as i64),
                    _ => Val::I32(r as u32 as i32),
                };
                if f.signature().results[0] == crate::module::ValType::I64 {
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
        Err(Fault::Trap(t)) => Err(wasmtime::Error::msg(format!("host call trapped: {t}"))),
        Err(Fault::Host(h)) => Err(wasmtime::Error::new(HostFailure(h))),
    }
}

/// A spec-test instance in the twin.
pub struct SpecInstance {
    store: Store<State>,
    instance: Instance,
}

impl SpecInstance {
    /// Fuel left in the instance's store (0 also when overdrawn).
    pub fn fuel_left(&self) -> u64 {
        self.store.get_fuel().expect("fuel is enabled")
    }
}

impl crate::spectest::Twin for Twin {
    type Instance = SpecInstance;

    fn instantiate(&mut self, bytes: &[u8]) -> Result<Result<SpecInstance, Trap>, String> {
        let module = self.compile(bytes).map_err(|e| format!("{e:#}"))?;
        let mut store = self.store(
            Box::new(MemoryHost::default()),
            GlobalState::default(),
            crate::spectest::STEP_LIMIT * 4,
        );
        let mut linker = self.linker();
        define_spectest(&mut linker, &mut store).map_err(|e| format!("{e:#}"))?;
        match linker.instantiate(&mut store, &module) {
            Ok(instance) => Ok(Ok(SpecInstance { store, instance })),
            Err(e) if e.downcast_ref::<wasmtime::Trap>().is_some() => Ok(Err(Trap::Unreachable)),
            Err(e) => Err(format!("{e:#}")),
        }
    }

    fn invoke(
        &mut self,
        inst: &mut SpecInstance,
        name: &str,
        args: &[u64],
    ) -> Result<Outcome, String> {
        let func = inst
            .instance
            .get_func(&mut inst.store, name)
            .ok_or_else(|| format!("no export {name}"))?;
        let ty = func.ty(&inst.store);
        let params: Vec<Val> = ty
            .params()
            .zip(args)
            .map(|(t, a)| match t {
                WtValType::I64 => Val::I64(*a as i64),
                _ => Val::I32(*a as u32 as i32),
            })
            .collect();
        let mut results: Vec<Val> = ty.results().map(|_| Val::I32(0)).collect();
        match func.call(&mut inst.store, &params, &mut results) {
            Ok(()) => Ok(Outcome::Values(results.iter().map(val_bits).collect())),
            Err(e) if e.downcast_ref::<wasmtime::Trap>().is_some() => {
                Ok(Outcome::Trap(Trap::Unreachable))
            }
            Err(e) => Err(format!("{e:#}")),
        }
    }
}

/// The `spectest` imports, as `crate::Imports::spectest` describes them.
fn define_spectest(linker: &mut Linker<State>, store: &mut Store<State>) -> wasmtime::Result<()> {
    let g32 = Global::new(
        &mut *store,
        GlobalType::new(WtValType::I32, Mutability::Const),
        Val::I32(666),
    )?;
    let g64 = Global::new(
        &mut *store,
        GlobalType::new(WtValType::I64, Mutability::Const),
        Val::I64(666),
    )?;
    let mem = Memory::new(&mut *store, MemoryType::new(1, Some(2)))?;
    let table = Table::new(
        &mut *store,
        TableType::new(RefType::FUNCREF, 10, Some(20)),
        Ref::Func(None),
    )?;
    linker.define(&mut *store, "spectest", "global_i32", g32)?;
    linker.define(&mut *store, "spectest", "global_i64", g64)?;
    linker.define(&mut *store, "spectest", "memory", mem)?;
    linker.define(&mut *store, "spectest", "table", table)?;
    Ok(())
}
