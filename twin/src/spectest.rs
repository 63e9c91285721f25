//! The twin as the spec-test runner's second executor ([`fuse_vm::spectest::Twin`]): every
//! module and invocation of the suite runs here too, and any disagreement is a failure.

use wasmtime::{
    Global, GlobalType, Instance, Linker, Memory, MemoryType, Mutability, Ref, RefType, Store,
    Table, TableType, Val, ValType as WtValType,
};

use fuse_vm::spectest::Outcome;
use fuse_vm::{GlobalState, MemoryHost, Trap};

use crate::{State, Twin, TwinTrap, twin_trap, val_bits};

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

impl fuse_vm::spectest::Twin for Twin {
    type Instance = SpecInstance;

    fn instantiate(&mut self, bytes: &[u8]) -> Result<Result<SpecInstance, Trap>, String> {
        let module = self.compile(bytes).map_err(|e| format!("{e:#}"))?;
        let mut store = self.store(
            Box::new(MemoryHost::default()),
            GlobalState::default(),
            fuse_vm::spectest::STEP_LIMIT * 4,
        );
        let mut linker = self.linker();
        define_spectest(&mut linker, &mut store).map_err(|e| format!("{e:#}"))?;
        match linker.instantiate(&mut store, &module) {
            Ok(instance) => Ok(Ok(SpecInstance { store, instance })),
            Err(e) => match twin_trap(&e) {
                Some(TwinTrap::Guest(t)) => Ok(Err(t)),
                Some(TwinTrap::Exhausted) => Ok(Err(Trap::CallStackExhausted)),
                None => Err(format!("{e:#}")),
            },
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
            Err(e) => match twin_trap(&e) {
                Some(TwinTrap::Guest(t)) => Ok(Outcome::Trap(t)),
                Some(TwinTrap::Exhausted) => Ok(Outcome::Exhausted),
                None => Err(format!("{e:#}")),
            },
        }
    }
}

/// The `spectest` imports, as `fuse_vm::Imports::spectest` describes them.
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
