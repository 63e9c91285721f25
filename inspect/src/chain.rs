//! A chain's blocks from its inbox, for the step debugger: the global state each block starts
//! from (found by running the blocks before it, in the wasmtime twin where it can and in the
//! stepping machine where it cannot) and any block's trace in the stepping machine, where
//! every step can be looked at.

use std::sync::Arc;

use anyhow::{Context as _, bail};
use fuse_prover::block::{ChainHost, Executor};
use fuse_prover::checkpoints::{Budget, Trace};
use fuse_twin::TwinExit;
use fuse_vm::{GlobalState, MAX_STEPS, Module, Status};

/// An inbox and the states its blocks start from, as far as they have been run.
pub struct Chain {
    executor: Executor,
    host: ChainHost,
    /// `states[b]`: the global state block `b` starts from (`states[0]` is genesis).
    states: Vec<GlobalState>,
}

impl Chain {
    /// The chain of `messages` (message 0 first) under the module `wasm` (`None`: the
    /// committed guest).
    pub fn new<'a>(
        wasm: Option<&[u8]>,
        messages: impl IntoIterator<Item = &'a [u8]>,
    ) -> anyhow::Result<Chain> {
        let executor = match wasm {
            None => Executor::guest()?,
            Some(w) => Executor::new(w).context("the module does not load")?,
        };
        let host = ChainHost::new();
        for m in messages {
            host.store().push_message(m);
        }
        Ok(Chain {
            executor,
            host,
            states: vec![GlobalState::default()],
        })
    }

    /// The module the blocks run.
    pub fn module(&self) -> &Arc<Module> {
        self.executor.module()
    }

    /// Blocks in the chain: one per inbox message.
    pub fn blocks(&self) -> u64 {
        self.host.store().message_count()
    }

    /// The accumulators of the inbox (what a proof's context reads).
    pub fn accumulators(&self) -> Vec<alloy_primitives::B256> {
        self.host.store().accumulators().to_vec()
    }

    /// The global state block `b` starts from, running the blocks before it that have not
    /// run yet; `progress(done, of)` is told after each.
    pub fn start_of(
        &mut self,
        b: u64,
        progress: &mut dyn FnMut(u64, u64),
    ) -> anyhow::Result<GlobalState> {
        if b >= self.blocks() {
            bail!(
                "block {b} is past the inbox: it holds {} messages (blocks 0..{})",
                self.blocks(),
                self.blocks()
            );
        }
        while (self.states.len() as u64) <= b {
            let n = self.states.len() as u64 - 1;
            let from = self.states[n as usize];
            let next = match self.executor.run_twin(self.host.clone(), from, MAX_STEPS)? {
                TwinExit::Finished(gs) => gs,
                TwinExit::Trapped(_) | TwinExit::OutOfFuel => {
                    let run = self.executor.run_machine(&mut self.host.clone(), from)?;
                    if run.status != Status::Finished {
                        bail!(
                            "block {n} ends {:?} after {} steps, so no block after it runs",
                            run.status,
                            run.steps
                        );
                    }
                    run.global_state
                }
            };
            self.states.push(next);
            progress(n + 1, b);
        }
        Ok(self.states[b as usize])
    }

    /// Block `b` run in the stepping machine with snapshots, so any step is cheap to see.
    pub fn trace(&mut self, b: u64, progress: &mut dyn FnMut(u64, u64)) -> anyhow::Result<Trace> {
        let start = self.start_of(b, progress)?;
        Trace::record(
            self.module().clone(),
            self.host.clone(),
            start,
            Budget::default(),
        )
        .with_context(|| format!("running block {b} in the stepping machine"))
    }
}
