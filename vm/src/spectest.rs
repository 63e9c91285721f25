//! Runs WebAssembly spec-test scripts (`.wast`) through the stepping machine.
//!
//! Every assertion kind of the suite is handled. A module outside the subset is *skipped*
//! with the reason, and so is every assertion that needs it; nothing outside the subset is
//! ever counted as passed. When a [`Twin`] is given, every module and invocation also runs
//! under it and any disagreement is a failure.

use std::collections::BTreeMap;
use std::sync::Arc;

use wast::core::{WastArgCore, WastRetCore};
use wast::parser::{self, ParseBuffer};
use wast::{QuoteWat, Wast, WastArg, WastDirective, WastExecute, WastInvoke, WastRet};

use crate::module::{Export, ValType};
use crate::{GlobalState, Imports, LoadError, Machine, MemoryHost, Module, Status, Trap};

/// Steps one invocation may take before the runner calls it a failure (the suite's
/// functions take far fewer).
pub const STEP_LIMIT: u64 = 200_000_000;

/// What an invocation ended with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Returned these values (i32 results zero-extended).
    Values(Vec<u64>),
    /// Trapped.
    Trap(Trap),
    /// The executor ran out of a resource it counts its own way (the twin's fuel or native
    /// stack); only the twin reports this.
    Exhausted,
}

/// A second executor the runner checks the machine against (the wasmtime twin).
pub trait Twin {
    /// An instance of the module.
    type Instance;
    /// Instantiates `bytes`; `Err` with the trap if instantiation traps, or a message if the
    /// twin refuses the module.
    fn instantiate(&mut self, bytes: &[u8]) -> Result<Result<Self::Instance, Trap>, String>;
    /// Invokes export `name` with `args`.
    fn invoke(
        &mut self,
        instance: &mut Self::Instance,
        name: &str,
        args: &[u64],
    ) -> Result<Outcome, String>;
}

/// No second executor: `run_wast_with::<NoTwin>(text, None, …)` runs the machine alone.
#[derive(Debug)]
pub enum NoTwin {}

impl Twin for NoTwin {
    type Instance = NoTwin;

    fn instantiate(&mut self, _: &[u8]) -> Result<Result<NoTwin, Trap>, String> {
        match *self {}
    }

    fn invoke(&mut self, instance: &mut NoTwin, _: &str, _: &[u64]) -> Result<Outcome, String> {
        match *instance {}
    }
}

/// Per-file totals.
#[derive(Clone, Debug, Default)]
pub struct FileReport {
    /// Assertions that held.
    pub passed: u64,
    /// Assertions that did not hold, or disagreements with the twin.
    pub failed: u64,
    /// Assertions not run because their module is outside the subset.
    pub skipped: u64,
    /// One line per failure.
    pub failures: Vec<String>,
    /// Skip reasons with counts.
    pub skip_reasons: BTreeMap<String, u64>,
}

enum Slot<I> {
    Ready {
        machine: Box<Machine>,
        twin: Option<I>,
    },
    Skipped(String),
}

/// How the runner executes a machine: `run` by default; the proof tests step it one
/// instruction at a time and prove every step.
pub type Executor<'e> =
    dyn FnMut(&mut Machine, &mut MemoryHost, u64) -> Result<u64, crate::HostError> + 'e;

struct Runner<'t, T: Twin> {
    twin: Option<&'t mut T>,
    exec: &'t mut Executor<'t>,
    report: FileReport,
    instances: Vec<Slot<T::Instance>>,
    current: Option<usize>,
    named: BTreeMap<String, usize>,
    /// Registered names and the instance each names.
    registered: BTreeMap<String, usize>,
}

fn line_of(text: &str, span: wast::token::Span) -> usize {
    span.linecol_in(text).0 + 1
}

/// Runs one `.wast` file's text.
pub fn run_wast<T: Twin>(text: &str, twin: Option<&mut T>) -> FileReport {
    run_wast_with(text, twin, &mut |m, h, n| m.run(h, n))
}

/// Runs one `.wast` file's text, executing machines with `exec`.
pub fn run_wast_with<'t, T: Twin>(
    text: &str,
    twin: Option<&'t mut T>,
    exec: &'t mut Executor<'t>,
) -> FileReport {
    let mut runner = Runner {
        twin,
        exec,
        report: FileReport::default(),
        instances: Vec::new(),
        current: None,
        named: BTreeMap::new(),
        registered: BTreeMap::new(),
    };
    let buf = match ParseBuffer::new(text) {
        Ok(b) => b,
        Err(e) => {
            runner.fail(format!("cannot lex: {e}"));
            return runner.report;
        }
    };
    let wast: Wast = match parser::parse(&buf) {
        Ok(w) => w,
        Err(e) => {
            runner.fail(format!("cannot parse: {e}"));
            return runner.report;
        }
    };
    for directive in wast.directives {
        let line = line_of(text, directive.span());
        runner.directive(directive, line);
    }
    runner.report
}

impl<T: Twin> Runner<'_, T> {
    fn fail(&mut self, msg: String) {
        self.report.failed += 1;
        self.report.failures.push(msg);
    }

    fn skip(&mut self, reason: &str) {
        self.report.skipped += 1;
        *self
            .report
            .skip_reasons
            .entry(reason.to_string())
            .or_default() += 1;
    }

    fn pass(&mut self) {
        self.report.passed += 1;
    }

    /// Loads module bytes: `Ok(module)`, or why not (as a load error).
    fn load(&self, bytes: &[u8]) -> Result<Module, LoadError> {
        // A module importing from another registered instance needs cross-module linking,
        // which a single-module machine does not do.
        for payload in wasmparser::Parser::new(0).parse_all(bytes) {
            if let Ok(wasmparser::Payload::ImportSection(r)) = payload {
                for i in r.into_imports().flatten() {
                    if self.registered.contains_key(i.module) {
                        return Err(LoadError::OutsideSubset {
                            what: format!("import from another instance ({}.{})", i.module, i.name),
                            func: None,
                            offset: 0,
                        });
                    }
                }
            }
        }
        crate::load_with(bytes, &Imports::spectest())
    }

    fn instantiate(
        &mut self,
        bytes: &[u8],
        line: usize,
    ) -> Result<Slot<T::Instance>, (Trap, Option<String>)> {
        let module = match self.load(bytes) {
            Ok(m) => Arc::new(m),
            Err(LoadError::OutsideSubset { what, .. }) => return Ok(Slot::Skipped(what)),
            Err(LoadError::Instantiation(t)) => return Err((t, None)),
            Err(e) => {
                return Err((
                    Trap::Unreachable,
                    Some(format!("line {line}: module did not load: {e}")),
                ));
            }
        };
        let mut machine = Machine::new(module, GlobalState::default());
        let mut host = MemoryHost::default();
        let ran = (self.exec)(&mut machine, &mut host, STEP_LIMIT);
        let vm_result = match (ran, machine.status()) {
            (Ok(_), Status::Finished) => Ok(()),
            (Ok(_), Status::Errored(t)) => Err(t),
            (r, s) => {
                return Err((
                    Trap::Unreachable,
                    Some(format!("line {line}: start did not finish: {r:?} {s:?}")),
                ));
            }
        };
        let twin = match self.twin.as_deref_mut() {
            Some(tw) => match tw.instantiate(bytes) {
                Ok(Ok(i)) if vm_result.is_ok() => Some(i),
                Ok(Err(t)) if vm_result == Err(t) => None,
                Ok(other) => {
                    let twin_says = other
                        .err()
                        .map(|t| format!("trap {t}"))
                        .unwrap_or("ok".into());
                    return Err((
                        Trap::Unreachable,
                        Some(format!(
                            "line {line}: twin disagrees on instantiation: machine {vm_result:?}, twin {twin_says}"
                        )),
                    ));
                }
                Err(e) => {
                    return Err((
                        Trap::Unreachable,
                        Some(format!("line {line}: twin refused the module: {e}")),
                    ));
                }
            },
            None => None,
        };
        match vm_result {
            Ok(()) => Ok(Slot::Ready {
                machine: Box::new(machine),
                twin,
            }),
            Err(t) => Err((t, None)),
        }
    }

    fn index(&self, name: Option<wast::token::Id>) -> Option<usize> {
        match name {
            Some(id) => self.named.get(id.name()).copied(),
            None => self.current,
        }
    }

    fn slot_mut(&mut self, name: Option<wast::token::Id>) -> Option<&mut Slot<T::Instance>> {
        let i = self.index(name)?;
        self.instances.get_mut(i)
    }

    /// A module that links to a registered instance can change that instance's memory or
    /// table; since the linker is not modelled, the instance's later results are not
    /// checkable: its assertions become skips.
    fn taint_linked(&mut self, bytes: &[u8]) {
        for payload in wasmparser::Parser::new(0).parse_all(bytes) {
            if let Ok(wasmparser::Payload::ImportSection(r)) = payload {
                for i in r.into_imports().flatten() {
                    if let Some(&at) = self.registered.get(i.module) {
                        self.instances[at] =
                            Slot::Skipped("state shared with a linked module".into());
                    }
                }
            }
        }
    }

    /// Runs an invocation on the machine (and twin); `Err` is a skip reason or failure text.
    fn invoke(&mut self, inv: &WastInvoke, line: usize) -> Result<Outcome, Result<String, String>> {
        match self.slot_mut(inv.module) {
            Some(Slot::Skipped(reason)) => return Err(Ok(reason.clone())),
            None => return Err(Err(format!("line {line}: no module instance"))),
            Some(Slot::Ready { .. }) => {}
        }
        let mut args = Vec::new();
        for a in &inv.args {
            match a {
                WastArg::Core(WastArgCore::I32(v)) => args.push(*v as u32 as u64),
                WastArg::Core(WastArgCore::I64(v)) => args.push(*v as u64),
                _ => return Err(Ok("non-integer argument".into())),
            }
        }
        let at = self.index(inv.module);
        let twin = self.twin.as_deref_mut();
        let slot = at.and_then(|i| self.instances.get_mut(i));
        let (machine, twin_instance) = match slot {
            Some(Slot::Ready { machine, twin }) => (machine, twin),
            Some(Slot::Skipped(reason)) => return Err(Ok(reason.clone())),
            None => return Err(Err(format!("line {line}: no module instance"))),
        };
        let module = machine.module().clone();
        let Some(Export::Func(func)) = module.exports.get(inv.name) else {
            return Err(Err(format!(
                "line {line}: no exported function {}",
                inv.name
            )));
        };
        let results: Vec<ValType> = module
            .func_type(*func)
            .map(|t| t.results.clone())
            .unwrap_or_default();
        if let Err(e) = machine.invoke(*func, &args) {
            return Err(Ok(e));
        }
        let mut host = MemoryHost::default();
        let outcome = match (self.exec)(machine, &mut host, STEP_LIMIT) {
            Err(e) => return Err(Err(format!("line {line}: host error {e}"))),
            Ok(_) => match machine.status() {
                Status::Finished => {
                    let vals = machine.stack().to_vec();
                    Outcome::Values(
                        vals.iter()
                            .zip(&results)
                            .map(|(v, t)| {
                                if *t == ValType::I32 {
                                    *v & 0xffff_ffff
                                } else {
                                    *v
                                }
                            })
                            .collect(),
                    )
                }
                Status::Errored(t) => Outcome::Trap(t),
                Status::Running => {
                    return Err(Err(format!(
                        "line {line}: {} did not finish in {STEP_LIMIT} steps",
                        inv.name
                    )));
                }
            },
        };
        if let (Some(tw), Some(ti)) = (twin, twin_instance.as_mut()) {
            match tw.invoke(ti, inv.name, &args) {
                Ok(theirs) if same_outcome(&theirs, &outcome) => {}
                Ok(theirs) => {
                    return Err(Err(format!(
                        "line {line}: twin disagrees on {}: machine {outcome:?}, twin {theirs:?}",
                        inv.name
                    )));
                }
                Err(e) => {
                    return Err(Err(format!(
                        "line {line}: twin failed on {}: {e}",
                        inv.name
                    )));
                }
            }
        }
        Ok(outcome)
    }

    /// A module the script expects the loader to reject as `kind`. Text that does not even
    /// encode (`bytes` is `None`) was rejected before any binary existed: a pass. A module
    /// outside the subset is a skip: the machine cannot tell what the spec expects of it.
    fn expect_rejected(
        &mut self,
        bytes: Option<Vec<u8>>,
        kind: &str,
        message: &str,
        line: usize,
        wanted: fn(&LoadError) -> bool,
    ) {
        let Some(bytes) = bytes else {
            self.pass();
            return;
        };
        match self.load(&bytes) {
            Err(e) if wanted(&e) => self.pass(),
            Err(LoadError::OutsideSubset { what, .. }) => self.skip(&what),
            Err(e) => self.fail(format!(
                "line {line}: expected {kind} (\"{message}\"), got {e}"
            )),
            Ok(_) => self.fail(format!("line {line}: {kind} module loaded (\"{message}\")")),
        }
    }

    fn encode(module: &mut QuoteWat) -> Option<Vec<u8>> {
        module.encode().ok()
    }

    fn directive(&mut self, d: WastDirective, line: usize) {
        match d {
            WastDirective::Module(mut m) => {
                let name = m.name().map(|n| n.name().to_string());
                let Some(bytes) = Self::encode(&mut m) else {
                    self.fail(format!("line {line}: module does not encode"));
                    self.current = None;
                    return;
                };
                let slot = match self.instantiate(&bytes, line) {
                    Ok(slot) => {
                        if let Slot::Skipped(reason) = &slot {
                            let reason = reason.clone();
                            self.skip(&reason);
                        } else {
                            self.pass();
                        }
                        slot
                    }
                    Err((t, msg)) => {
                        self.fail(
                            msg.unwrap_or(format!("line {line}: instantiation trapped: {t}")),
                        );
                        Slot::Skipped("module failed to instantiate".into())
                    }
                };
                if matches!(&slot, Slot::Skipped(_)) {
                    self.taint_linked(&bytes);
                }
                self.instances.push(slot);
                let at = self.instances.len() - 1;
                if let Some(n) = name {
                    self.named.insert(n, at);
                }
                self.current = Some(at);
            }
            WastDirective::ModuleDefinition(_) | WastDirective::ModuleInstance { .. } => {
                self.skip("module definitions and instances (component model)");
            }
            WastDirective::Register { name, module, .. } => match self.index(module) {
                Some(at) => {
                    self.registered.insert(name.to_string(), at);
                    self.pass();
                }
                None => self.fail(format!("line {line}: register of no instance")),
            },
            WastDirective::Invoke(inv) => match self.invoke(&inv, line) {
                Ok(_) => self.pass(),
                Err(Ok(reason)) => self.skip(&reason),
                Err(Err(msg)) => self.fail(msg),
            },
            WastDirective::AssertReturn { exec, results, .. } => match exec {
                WastExecute::Invoke(inv) => match self.invoke(&inv, line) {
                    Ok(Outcome::Values(got)) => match expected(&results) {
                        Some(want) if want == got => self.pass(),
                        Some(want) => self.fail(format!(
                            "line {line}: {} returned {got:?}, expected {want:?}",
                            inv.name
                        )),
                        None => self.skip("non-integer result"),
                    },
                    Ok(other) => self.fail(format!(
                        "line {line}: {} gave {other:?}, expected values",
                        inv.name
                    )),
                    Err(Ok(reason)) => self.skip(&reason),
                    Err(Err(msg)) => self.fail(msg),
                },
                WastExecute::Get { module, global, .. } => {
                    let Some(slot) = self.slot_mut(module) else {
                        self.fail(format!("line {line}: no module instance"));
                        return;
                    };
                    let got = match slot {
                        Slot::Skipped(r) => {
                            let r = r.clone();
                            self.skip(&r);
                            return;
                        }
                        Slot::Ready { machine, .. } => match machine.module().exports.get(global) {
                            Some(Export::Global(g)) => {
                                let (t, _) = machine.module().global_types[*g as usize];
                                let v = machine.globals()[*g as usize];
                                Some(if t == ValType::I32 {
                                    v & 0xffff_ffff
                                } else {
                                    v
                                })
                            }
                            _ => None,
                        },
                    };
                    match (got, expected(&results)) {
                        (Some(g), Some(w)) if w == vec![g] => self.pass(),
                        (_, None) => self.skip("non-integer result"),
                        (g, w) => self.fail(format!(
                            "line {line}: global {global} is {g:?}, expected {w:?}"
                        )),
                    }
                }
                WastExecute::Wat(_) => self.skip("assert_return on a module"),
            },
            WastDirective::AssertTrap { exec, message, .. } => match exec {
                WastExecute::Invoke(inv) => match self.invoke(&inv, line) {
                    // The machine names its trap as the suite does.
                    Ok(Outcome::Trap(t)) if message.starts_with(&t.to_string()) => self.pass(),
                    Ok(other) => self.fail(format!(
                        "line {line}: {} gave {other:?}, expected trap \"{message}\"",
                        inv.name
                    )),
                    Err(Ok(reason)) => self.skip(&reason),
                    Err(Err(msg)) => self.fail(msg),
                },
                WastExecute::Wat(mut wat) => {
                    let Ok(bytes) = wat.encode() else {
                        self.fail(format!("line {line}: module does not encode"));
                        return;
                    };
                    match self.instantiate(&bytes, line) {
                        Err((_, None)) => self.pass(),
                        Err((_, Some(msg))) => self.fail(msg),
                        Ok(Slot::Skipped(reason)) => self.skip(&reason),
                        Ok(Slot::Ready { .. }) => self.fail(format!(
                            "line {line}: module instantiated, expected trap \"{message}\""
                        )),
                    }
                }
                WastExecute::Get { .. } => self.skip("assert_trap on a global"),
            },
            WastDirective::AssertExhaustion { call, .. } => match self.invoke(&call, line) {
                Ok(Outcome::Trap(Trap::CallStackExhausted)) => self.pass(),
                Ok(other) => self.fail(format!(
                    "line {line}: {} gave {other:?}, expected exhaustion",
                    call.name
                )),
                Err(Ok(reason)) => self.skip(&reason),
                Err(Err(msg)) => self.fail(msg),
            },
            WastDirective::AssertInvalid {
                mut module,
                message,
                ..
            } => {
                let bytes = Self::encode(&mut module);
                self.expect_rejected(bytes, "invalid", message, line, |e| {
                    matches!(e, LoadError::Invalid { .. })
                });
            }
            WastDirective::AssertMalformed {
                mut module,
                message,
                ..
            } => {
                let bytes = Self::encode(&mut module);
                self.expect_rejected(bytes, "malformed", message, line, |e| {
                    matches!(e, LoadError::Invalid { .. })
                });
            }
            WastDirective::AssertUnlinkable {
                mut module,
                message,
                ..
            } => match module.encode() {
                Err(_) => self.fail(format!("line {line}: module does not encode")),
                Ok(bytes) => self.expect_rejected(Some(bytes), "unlinkable", message, line, |e| {
                    matches!(e, LoadError::Unlinkable(_) | LoadError::Instantiation(_))
                }),
            },
            _ => self.skip("directive outside the core 1.0 suite (threads, exceptions, custom)"),
        }
    }
}

fn same_outcome(a: &Outcome, b: &Outcome) -> bool {
    match (a, b) {
        (Outcome::Values(x), Outcome::Values(y)) => x == y,
        (Outcome::Trap(x), Outcome::Trap(y)) => x == y,
        // The twin's native stack is smaller than the machine's frame limit.
        (Outcome::Trap(Trap::CallStackExhausted), Outcome::Exhausted)
        | (Outcome::Exhausted, Outcome::Trap(Trap::CallStackExhausted)) => true,
        _ => false,
    }
}

/// The expected integer results, or `None` if any is not an integer.
fn expected(results: &[WastRet]) -> Option<Vec<u64>> {
    results
        .iter()
        .map(|r| match r {
            WastRet::Core(WastRetCore::I32(v)) => Some(*v as u32 as u64),
            WastRet::Core(WastRetCore::I64(v)) => Some(*v as u64),
            _ => None,
        })
        .collect()
}
