//! The validator's own copy of the chain: it follows the Inbox from its events, checks each
//! message against the Inbox's accumulator, and executes every message in the guest — in the
//! wasmtime twin, re-run in the stepping machine when the twin traps or runs out of fuel
//! (docs/design.md#rule-3: the machine is authoritative). The states it reaches are what the
//! validator asserts and defends; it shares nothing with the sequencer, so a node's native
//! STF and its guest are checked against each other rather than trusted together.

use std::sync::Arc;

use alloy_primitives::B256;
use anyhow::{Context as _, bail, ensure};
use fuse_arbos::message::KIND_TICK;
use fuse_prover::block::{ChainHost, Executor};
use fuse_prover::checkpoints::Budget;
use fuse_prover::dispute::Truth;
use fuse_twin::BLOCK_FUEL;
use fuse_twin::TwinExit;
use fuse_vm::{GlobalState, Status};

use fuse_l1::L1;
use fuse_l1::reorg::{self, Followed};
use fuse_l1::rollup::{InboxMessage, RollupL1};

/// How a block was computed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReplicaStats {
    /// Blocks the twin finished.
    pub twin: u64,
    /// Blocks re-run in the stepping machine after the twin trapped or ran out of fuel.
    pub machine: u64,
    /// Messages taken back because an L1 reorg replaced the blocks they came from.
    pub reorged: u64,
}

/// The chain as this validator computed it.
pub struct Replica {
    executor: Arc<Executor>,
    host: ChainHost,
    /// `states[p]`: the global state after messages `0 .. p` (`states[0]` is genesis).
    states: Vec<GlobalState>,
    /// The kind of each message read (its first byte).
    kinds: Vec<u8>,
    /// The L1 block each message read was appended in.
    blocks: Vec<u64>,
    /// The last block of recent reads, to notice a reorg.
    followed: Followed,
    /// The first L1 block whose Inbox events are not read yet.
    next_block: u64,
    /// Why execution stopped, if a block did not finish: the replica stops there and the range
    /// holding the block is claimed STUCK (docs/design.md#rule-2).
    stuck: Option<String>,
    /// Fuel a block gets in the twin.
    fuel: u64,
    /// Where its blocks were executed (the twin or the stepping machine), so far.
    pub stats: ReplicaStats,
}

impl Replica {
    /// An empty replica of the chain that runs `executor`'s guest.
    pub fn new(executor: Arc<Executor>) -> Replica {
        Replica {
            executor,
            host: ChainHost::new(),
            states: vec![GlobalState::default()],
            kinds: Vec::new(),
            blocks: Vec::new(),
            followed: Followed::default(),
            next_block: 0,
            stuck: None,
            fuel: BLOCK_FUEL,
            stats: ReplicaStats::default(),
        }
    }

    /// Gives each block `fuel` in the twin instead of `BLOCK_FUEL` (tests make the twin run
    /// out, to exercise the stepping machine's re-run).
    pub fn with_fuel(mut self, fuel: u64) -> Replica {
        self.fuel = fuel;
        self
    }

    /// The global states after messages `0 ..= executed()`.
    pub fn states(&self) -> &[GlobalState] {
        &self.states
    }

    /// Why execution stopped, if a block did not finish in the stepping machine.
    pub fn stuck(&self) -> Option<&str> {
        self.stuck.as_deref()
    }

    /// The message whose block cannot finish, if one did not: every range that holds it is
    /// claimed `STUCK` (docs/spec/protocol.md, "A block that cannot finish").
    pub fn stuck_at(&self) -> Option<u64> {
        self.stuck.is_some().then(|| self.executed())
    }

    /// The module root of the guest it runs.
    pub fn module_root(&self) -> B256 {
        self.executor.module().root
    }

    /// The last L1 block whose Inbox messages it has read, once it read any.
    pub fn followed_block(&self) -> Option<u64> {
        self.next_block.checked_sub(1)
    }

    /// Messages read from the Inbox.
    pub fn message_count(&self) -> u64 {
        self.kinds.len() as u64
    }

    /// Messages executed: states are known for positions `0 ..= executed()`.
    pub fn executed(&self) -> u64 {
        self.states.len() as u64 - 1
    }

    /// The global state after messages `0 .. position`, once executed.
    pub fn state(&self, position: u64) -> Option<GlobalState> {
        self.states.get(usize::try_from(position).ok()?).copied()
    }

    /// Whether any message in `from .. to` is more than a tick.
    pub fn any_substantive(&self, from: u64, to: u64) -> bool {
        (from..to.min(self.message_count())).any(|i| self.kinds[i as usize] != KIND_TICK)
    }

    /// The first message in `from .. to` of kind `kind`.
    pub fn first_of_kind(&self, from: u64, to: u64, kind: u8) -> Option<u64> {
        (from..to.min(self.message_count())).find(|&i| self.kinds[i as usize] == kind)
    }

    /// Reads the Inbox's messages appended in L1 blocks up to `head − confirmations` (or the
    /// `finalized` block, [`reorg::safe_block`]) since the last call, checking that they continue the inbox and that their accumulators are
    /// the ones this replica computes.
    pub async fn follow<L: L1>(
        &mut self,
        rollup: &RollupL1<L>,
        confirmations: u64,
        finalized: bool,
    ) -> anyhow::Result<u64> {
        match self.followed.check(&rollup.l1).await? {
            reorg::Check::Same => {}
            reorg::Check::Wait => return Ok(0),
            reorg::Check::Fork(fork) => {
                let taken = self.rewind(fork);
                tracing::warn!(
                    fork_block = fork,
                    messages = taken,
                    "an L1 reorg replaced blocks the replica read; took their messages back"
                );
            }
        }
        let head = rollup.l1.head().await?.number;
        let Some(to) = reorg::safe_block(&rollup.l1, head, confirmations, finalized).await? else {
            return Ok(0);
        };
        if to < self.next_block {
            return Ok(0);
        }
        // The target's hash before and after its messages: equal, they came from that chain.
        let before = rollup.l1.block_hash(to).await?;
        let messages = rollup.messages(self.next_block, to).await?;
        let after = rollup.l1.block_hash(to).await?;
        let (Some(hash), true) = (after, before == after) else {
            bail!("L1 block {to} changed while the Inbox's messages were read");
        };
        ensure!(
            self.followed.still_there(&rollup.l1).await?,
            "the last L1 block read was replaced while the next were read; reading again"
        );
        let n = messages.len() as u64;
        for m in &messages {
            self.push(m)?;
        }
        self.followed.push(to, hash);
        self.next_block = to + 1;
        Ok(n)
    }

    /// Takes back the messages read from L1 block `fork` on, with the states computed from
    /// them; the next follow reads from `fork`. Returns how many were taken back.
    fn rewind(&mut self, fork: u64) -> u64 {
        let keep = self.blocks.partition_point(|&b| b < fork);
        let taken = self.blocks.len() - keep;
        self.kinds.truncate(keep);
        self.blocks.truncate(keep);
        self.host.store().truncate_messages(keep as u64);
        // The block that could not finish (message `executed()` when stuck) may be one
        // taken back.
        if self.executed() >= keep as u64 {
            self.stuck = None;
        }
        self.states.truncate(keep + 1);
        self.next_block = self.next_block.min(fork);
        self.stats.reorged += taken as u64;
        taken as u64
    }

    fn push(&mut self, m: &InboxMessage) -> anyhow::Result<()> {
        let expected = self.message_count();
        if m.index < expected {
            // Read before a failure part-way through an earlier call.
            return Ok(());
        }
        ensure!(
            m.index == expected,
            "the Inbox's events skip from message {} to {}",
            expected.wrapping_sub(1),
            m.index
        );
        let bytes = m.bytes();
        let mut store = self.host.store();
        let at = store.push_message(&bytes);
        let ours = store.accumulators()[at as usize];
        ensure!(
            ours == m.accumulator,
            "message {at}: the Inbox's accumulator {} is not {ours}, computed from its bytes",
            m.accumulator
        );
        drop(store);
        // An empty message has no kind byte; the STF skips it like an unknown kind.
        self.kinds.push(bytes.first().copied().unwrap_or(u8::MAX));
        self.blocks.push(m.l1_block);
        Ok(())
    }

    /// Executes every message read and not yet executed; returns how many ran. Blocking
    /// (a block takes milliseconds in the twin, more in the machine): call it off the async
    /// workers.
    pub fn execute(&mut self) -> anyhow::Result<u64> {
        let mut ran = 0;
        while self.stuck.is_none() && self.executed() < self.message_count() {
            let p = self.executed();
            let gs = self.states[p as usize];
            let next = match self.executor.run_twin(self.host.clone(), gs, self.fuel) {
                Ok(TwinExit::Finished(next)) => {
                    self.stats.twin += 1;
                    next
                }
                Ok(exit) => {
                    tracing::warn!(
                        message = p,
                        ?exit,
                        "the twin did not finish; re-running the block in the stepping machine"
                    );
                    let run = self
                        .executor
                        .run_machine(&mut self.host.clone(), gs)
                        .with_context(|| format!("message {p} in the stepping machine"))?;
                    self.stats.machine += 1;
                    if run.status != Status::Finished {
                        let why = format!(
                            "block {p} ended {:?} after {} steps in the stepping machine: no \
                             assertion can pass it until a new module root is scheduled",
                            run.status, run.steps
                        );
                        tracing::error!("{why}");
                        self.stuck = Some(why);
                        break;
                    }
                    run.global_state
                }
                Err(e) => bail!("message {p}: the host failed: {e}"),
            };
            self.states.push(next);
            ran += 1;
        }
        Ok(ran)
    }

    /// Runs the chain again from inbox position `from` (already executed) in `executor`'s
    /// guest: the states after `from` are dropped and computed anew. After a confirmed `STUCK`
    /// claim the chain re-runs its range from where it started, under the next module root
    /// (docs/spec/protocol.md, "A block that cannot finish").
    pub fn restart(&mut self, from: u64, executor: Arc<Executor>) -> anyhow::Result<()> {
        ensure!(
            from <= self.executed(),
            "a restart at message {from}, past the executed {}",
            self.executed()
        );
        self.states.truncate(from as usize + 1);
        self.executor = executor;
        self.stuck = None;
        Ok(())
    }

    /// The honest history of the blocks `from .. to` (inbox positions), for a challenge over
    /// that range — stuck at the block that cannot finish when the range holds it.
    pub fn truth(&self, from: u64, to: u64, budget: Budget) -> anyhow::Result<Truth> {
        if let Some(p) = self.stuck_at()
            && from <= p
            && p < to
            && to <= self.message_count()
        {
            let states = self.states[from as usize..=p as usize].to_vec();
            let module = self.executor.module().clone();
            return Ok(
                Truth::stuck(module, self.host.clone(), states, to - from).with_budget(budget)
            );
        }
        ensure!(
            from < to && to <= self.executed(),
            "the range {from}..{to} is not executed (executed up to {})",
            self.executed()
        );
        let states = self.states[from as usize..=to as usize].to_vec();
        Ok(
            Truth::new(self.executor.module().clone(), self.host.clone(), states)
                .with_budget(budget),
        )
    }
}
