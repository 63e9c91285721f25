//! Executing one block of the guest: in the stepping machine (authoritative, provable) and in
//! the wasmtime twin (fast), over a chain store both read their inputs from.
//!
//! A validator computes every block with the twin and re-runs it in the machine when the twin
//! traps, runs out of fuel or is not known to stay within the machine's step bound; a
//! challenger runs the machine to bisect and prove. Both take inbox messages and preimages from a [`ChainHost`], a cheap handle on a
//! [`ChainStore`], so a chain's preimages outlive the block that recorded them.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use alloy_primitives::B256;
use fuse_twin::{BLOCK_FUEL, Twin, TwinExit};
use fuse_vm::{GlobalState, Host, HostError, MAX_STEPS, Machine, Module, Status, inbox};

/// A chain's inputs: the inbox (messages and accumulators) and every preimage recorded.
#[derive(Debug, Default)]
pub struct ChainStore {
    messages: Vec<Arc<[u8]>>,
    accumulators: Vec<B256>,
    preimages: BTreeMap<B256, Arc<[u8]>>,
}

impl ChainStore {
    /// Appends a message to the inbox; returns its position.
    pub fn push_message(&mut self, message: &[u8]) -> u64 {
        let prev = self.accumulators.last().copied().unwrap_or_default();
        self.accumulators.push(inbox::append(prev, message));
        self.messages.push(message.into());
        self.messages.len() as u64 - 1
    }

    /// Drops the messages from position `count` on (an L1 reorg took them back); the
    /// preimages stay, as they are found by hash.
    pub fn truncate_messages(&mut self, count: u64) {
        let count = usize::try_from(count).unwrap_or(usize::MAX);
        self.messages.truncate(count);
        self.accumulators.truncate(count);
    }

    /// Adds a preimage (a state the node built or received, e.g. a genesis state).
    pub fn insert_preimage(&mut self, hash: B256, preimage: &[u8]) {
        self.preimages
            .entry(hash)
            .or_insert_with(|| preimage.into());
    }

    /// Messages in the inbox.
    pub fn message_count(&self) -> u64 {
        self.messages.len() as u64
    }

    /// The accumulators, message 0 first (a proof's [`fuse_verifier::VerifyContext`]).
    pub fn accumulators(&self) -> &[B256] {
        &self.accumulators
    }

    /// Preimages recorded.
    pub fn preimage_count(&self) -> usize {
        self.preimages.len()
    }

    /// The preimage of `hash`, if recorded.
    pub fn preimage(&self, hash: &B256) -> Option<&[u8]> {
        self.preimages.get(hash).map(|p| &**p)
    }

    /// Every preimage recorded, by hash.
    pub fn preimages(&self) -> impl Iterator<Item = (&B256, &[u8])> {
        self.preimages.iter().map(|(h, p)| (h, &**p))
    }
}

/// A [`Host`] over a shared [`ChainStore`]. Clones share the store; each keeps the message it
/// is reading, so a block's 32-byte reads do not copy the message again.
#[derive(Clone, Debug, Default)]
pub struct ChainHost {
    store: Arc<Mutex<ChainStore>>,
    message: Option<(u64, Arc<[u8]>)>,
    preimage: Option<Arc<[u8]>>,
}

impl ChainHost {
    /// A handle on a new, empty store.
    pub fn new() -> ChainHost {
        ChainHost::default()
    }

    /// The store, locked.
    pub fn store(&self) -> MutexGuard<'_, ChainStore> {
        // A panic while holding the lock leaves the store consistent (every method is one
        // insertion), so a poisoned lock is still usable.
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Host for ChainHost {
    fn inbox_message(&mut self, position: u64) -> Result<&[u8], HostError> {
        if self.message.as_ref().is_none_or(|(p, _)| *p != position) {
            let m = usize::try_from(position)
                .ok()
                .and_then(|i| self.store().messages.get(i).cloned())
                .ok_or(HostError::MissingMessage(position))?;
            self.message = Some((position, m));
        }
        Ok(self.message.as_ref().map(|(_, m)| &**m).unwrap_or_default())
    }

    fn preimage(&mut self, hash: B256) -> Result<&[u8], HostError> {
        let p = self.store().preimages.get(&hash).cloned();
        self.preimage = Some(p.ok_or(HostError::MissingPreimage(hash))?);
        Ok(self.preimage.as_deref().unwrap_or_default())
    }

    fn record_preimage(&mut self, hash: B256, preimage: &[u8]) {
        self.store()
            .preimages
            .entry(hash)
            .or_insert_with(|| preimage.into());
    }

    fn inbox_accumulator(&mut self, position: u64) -> Result<B256, HostError> {
        usize::try_from(position)
            .ok()
            .and_then(|i| self.store().accumulators.get(i).copied())
            .ok_or(HostError::MissingMessage(position))
    }
}

/// How a block ended in the stepping machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MachineRun {
    /// `Finished`, or `Errored` with the trap; `Running` only if `MAX_STEPS` ran out.
    pub status: Status,
    /// Pages of memory at the end (the guest never shrinks it: its peak).
    pub memory_pages: u32,
    /// The global state after the block (meaningful when finished).
    pub global_state: GlobalState,
    /// Steps taken.
    pub steps: u64,
}

/// A guest module ready for both executors.
pub struct Executor {
    module: Arc<Module>,
    /// A twin whose fuel bounds the machine's steps, or `None` for a module it cannot meter
    /// (then every block runs in the machine).
    twin: Option<(Twin, wasmtime::Module)>,
}

impl Executor {
    /// Loads `wasm` into the machine and compiles it for the metered twin.
    pub fn new(wasm: &[u8]) -> anyhow::Result<Executor> {
        let module = Arc::new(fuse_vm::load(wasm)?);
        let twin = match Twin::metered(&module) {
            Ok(twin) => {
                let compiled = twin
                    .compile(wasm)
                    .map_err(|e| anyhow::anyhow!("wasmtime rejects the module: {e:#}"))?;
                Some((twin, compiled))
            }
            Err(e) => {
                tracing::warn!(error = %e, "the twin cannot meter this module: every block runs in the stepping machine");
                None
            }
        };
        Ok(Executor { module, twin })
    }

    /// The committed guest (crate::guest::WASM).
    pub fn guest() -> anyhow::Result<Executor> {
        Executor::new(crate::guest::WASM)
    }

    /// The machine's module.
    pub fn module(&self) -> &Arc<Module> {
        &self.module
    }

    /// A machine at the start of the block from `gs`.
    pub fn machine(&self, gs: GlobalState) -> Machine {
        Machine::new(self.module.clone(), gs)
    }

    /// Runs the block from `gs` in the stepping machine, up to `MAX_STEPS`.
    pub fn run_machine<H: Host>(
        &self,
        host: &mut H,
        gs: GlobalState,
    ) -> Result<MachineRun, HostError> {
        let mut m = self.machine(gs);
        let mut left = MAX_STEPS;
        while m.status() == Status::Running && left > 0 {
            left -= m.run(host, left)?;
        }
        Ok(MachineRun {
            status: m.status(),
            memory_pages: m.memory_pages(),
            global_state: *m.global_state(),
            steps: m.steps(),
        })
    }

    /// Runs the block from `gs` in the metered twin with at most `fuel` (capped at
    /// [`BLOCK_FUEL`]). `Finished` only when the run stayed within that fuel, so within the
    /// machine's step bound; a run that did not, or a module the twin cannot meter, is
    /// `OutOfFuel`, and the machine decides.
    pub fn run_twin<H: Host + Send + 'static>(
        &self,
        host: H,
        gs: GlobalState,
        fuel: u64,
    ) -> Result<TwinExit, HostError> {
        let Some((twin, compiled)) = &self.twin else {
            return Ok(TwinExit::OutOfFuel);
        };
        let budget = fuel.min(BLOCK_FUEL);
        // Room past the budget, so an overdrawn run is still told apart from one within it.
        let (exit, _, used) = twin.run_block(compiled, gs, host, budget.saturating_mul(2))?;
        Ok(match exit {
            TwinExit::Finished(_) if used > budget => TwinExit::OutOfFuel,
            other => other,
        })
    }
}
