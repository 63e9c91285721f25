//! What a party claims in a challenge over a range of blocks: the global state after each
//! block (level 1) and the machine hash after each step of a block (level 2). [`Truth`] is
//! the honest party's, computed by the stepping machine; [`super::Liar`] departs from it.

use std::collections::BTreeMap;
use std::sync::Arc;

use alloy_primitives::B256;
use anyhow::{Context as _, bail};
use fuse_vm::hash::stuck_state_hash;
use fuse_vm::{GlobalState, Module, Status};

use crate::block::ChainHost;
use crate::checkpoints::{Budget, Trace};

/// A party's claims over a range of `blocks()` blocks from the parent assertion's state.
pub trait History {
    /// Blocks in the range.
    fn blocks(&self) -> u64;

    /// The global state it claims after `i` blocks (`0 ≤ i ≤ blocks()`; 0 is the parent's).
    fn global_state(&mut self, i: u64) -> anyhow::Result<GlobalState>;

    /// The machine hashes it claims for block `b` (from state `b` to `b + 1`) after each of
    /// `steps`, in order.
    fn machine_hashes(&mut self, b: u64, steps: &[u64]) -> anyhow::Result<Vec<B256>>;

    /// The one-step proof of step `t` of block `b` and the machine hash the prover computes
    /// from it. Only the true machine yields proofs, whoever asks.
    fn prove(&mut self, b: u64, t: u64) -> anyhow::Result<(Vec<u8>, B256)>;

    /// The global-state hash it claims after `i` blocks (`STUCK` at and after a block it
    /// claims cannot finish).
    fn block_hash(&mut self, i: u64) -> anyhow::Result<B256> {
        Ok(self.global_state(i)?.hash())
    }
}

/// The honest history: the real global states of the range and the stepping machine's hashes
/// inside each block, from checkpointed traces recorded on first use. A range may reach a
/// block that cannot finish (it errors, or still runs at `MAX_STEPS`): then the states stop
/// at that block's start, and every later point of level 1 is `STUCK`
/// (docs/spec/protocol.md, "A block that cannot finish").
pub struct Truth {
    module: Arc<Module>,
    host: ChainHost,
    states: Vec<GlobalState>,
    /// Blocks in the range: `states.len() - 1`, or more when the range is stuck.
    blocks: u64,
    budget: Budget,
    traces: BTreeMap<u64, Trace>,
}

impl Truth {
    /// The history of the range whose global states (after 0..=N blocks) are `states`, as
    /// a validator that executed it knows them; `host` serves the blocks' inputs.
    pub fn new(module: Arc<Module>, host: ChainHost, states: Vec<GlobalState>) -> Truth {
        assert!(!states.is_empty(), "a range starts at a state");
        Truth {
            module,
            host,
            blocks: states.len() as u64 - 1,
            states,
            budget: Budget::default(),
            traces: BTreeMap::new(),
        }
    }

    /// The history of a range of `blocks` blocks in which block `states.len() - 1` cannot
    /// finish: `states` are the global states before each block up to and including it.
    pub fn stuck(
        module: Arc<Module>,
        host: ChainHost,
        states: Vec<GlobalState>,
        blocks: u64,
    ) -> Truth {
        assert!(
            !states.is_empty() && (states.len() as u64) <= blocks,
            "a stuck range holds the states up to its stuck block, which is inside it"
        );
        Truth {
            blocks,
            ..Truth::new(module, host, states)
        }
    }

    /// The block of the range that cannot finish, if one does not.
    pub fn stuck_block(&self) -> Option<u64> {
        let known = self.states.len() as u64 - 1;
        (known < self.blocks).then_some(known)
    }

    /// Runs `blocks` blocks from `start` in the stepping machine and keeps their states.
    pub fn execute(
        module: Arc<Module>,
        host: ChainHost,
        start: GlobalState,
        blocks: u64,
    ) -> anyhow::Result<Truth> {
        let mut truth = Truth::new(module, host, vec![start]);
        for b in 0..blocks {
            let trace = truth.trace(b)?;
            if trace.status() != Status::Finished {
                bail!(
                    "block {b} ended {:?} after {} steps",
                    trace.status(),
                    trace.steps()
                );
            }
            let next = trace.global_state();
            truth.states.push(next);
            truth.blocks += 1;
        }
        Ok(truth)
    }

    /// Sets how the traces of blocks not yet traced keep snapshots.
    pub fn with_budget(mut self, budget: Budget) -> Truth {
        self.budget = budget;
        self
    }

    /// The same history with no traces recorded yet: another party's copy of the truth,
    /// without running the range's blocks again.
    pub fn fork(&self) -> Truth {
        Truth {
            module: self.module.clone(),
            host: self.host.clone(),
            states: self.states.clone(),
            blocks: self.blocks,
            budget: self.budget,
            traces: BTreeMap::new(),
        }
    }

    /// The host the blocks read from.
    pub fn host(&self) -> &ChainHost {
        &self.host
    }

    /// The module the blocks run.
    pub fn module(&self) -> &Arc<Module> {
        &self.module
    }

    /// The real global states after 0..=N blocks.
    pub fn states(&self) -> &[GlobalState] {
        &self.states
    }

    /// Block `b`'s trace, recorded on first use.
    pub fn trace(&mut self, b: u64) -> anyhow::Result<&Trace> {
        let start = *self
            .states
            .get(b as usize)
            .with_context(|| format!("block {b} is not in the range"))?;
        if !self.traces.contains_key(&b) {
            let trace = Trace::record(self.module.clone(), self.host.clone(), start, self.budget)
                .with_context(|| format!("running block {b}"))?;
            // A validator's states come from the wasmtime twin; a machine that ends elsewhere
            // would make it defend a claim it cannot prove.
            let finished = trace.status() == Status::Finished;
            if let Some(next) = self.states.get(b as usize + 1)
                && (!finished || trace.global_state() != *next)
            {
                bail!(
                    "block {b}: the stepping machine ends {:?} at {:?}, not at the state the range holds",
                    trace.status(),
                    trace.global_state()
                );
            }
            if self.stuck_block() == Some(b) && trace.status() == Status::Finished {
                bail!("block {b} finishes in the stepping machine, but the range holds it stuck");
            }
            self.traces.insert(b, trace);
        }
        Ok(&self.traces[&b])
    }
}

impl History for Truth {
    fn blocks(&self) -> u64 {
        self.blocks
    }

    fn global_state(&mut self, i: u64) -> anyhow::Result<GlobalState> {
        if let Some(b) = self.stuck_block()
            && i > b
            && i <= self.blocks
        {
            bail!("no state after {i} blocks: block {b} of the range cannot finish");
        }
        self.states
            .get(i as usize)
            .copied()
            .with_context(|| format!("no state after {i} blocks: the range has {}", self.blocks()))
    }

    fn block_hash(&mut self, i: u64) -> anyhow::Result<B256> {
        match self.stuck_block() {
            Some(b) if i > b && i <= self.blocks => Ok(stuck_state_hash()),
            _ => Ok(self.global_state(i)?.hash()),
        }
    }

    fn machine_hashes(&mut self, b: u64, steps: &[u64]) -> anyhow::Result<Vec<B256>> {
        Ok(self.trace(b)?.hashes_at(steps)?)
    }

    fn prove(&mut self, b: u64, t: u64) -> anyhow::Result<(Vec<u8>, B256)> {
        Ok(self.trace(b)?.prove_at(t)?)
    }
}
