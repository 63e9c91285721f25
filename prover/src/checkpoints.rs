//! Checkpoints: machine snapshots kept every `interval` steps while a block runs once, so the
//! machine hash or the one-step proof at any step costs at most `interval` steps from the
//! nearest snapshot instead of a run from the block's start.
//!
//! A snapshot is a clone of the machine with its hash caches brought up to date (so the hash
//! after a few more steps rehashes only what they wrote). The spacing adapts to the block:
//! recording starts dense and, whenever the snapshots would exceed their budget, drops every
//! other one and doubles the interval — the block's length is not known before it has run,
//! and this keeps both the memory bound and the worst replay within 2× of the best spacing
//! for the block. docs/decisions.md ("Checkpoints") records the budget.

use std::sync::Arc;

use alloy_primitives::B256;
use fuse_vm::{GlobalState, Host, HostError, MAX_STEPS, Machine, Module, Status};

use crate::block::ChainHost;

/// How a [`Trace`] keeps its snapshots.
#[derive(Clone, Copy, Debug)]
pub struct Budget {
    /// Most snapshots kept at once (≥ 2).
    pub max_snapshots: usize,
    /// The spacing recording starts with (a power of two).
    pub first_interval: u64,
}

impl Default for Budget {
    /// 64 snapshots, from one every 2^16 steps. The guest's machine is a few MiB (memory
    /// plus its hash tree), so 64 stay in the low hundreds of MiB; a 10^9-step block ends
    /// up with one every 2^24 steps (~0.1 s to replay at the machine's speed).
    fn default() -> Budget {
        Budget {
            max_snapshots: 64,
            first_interval: 1 << 16,
        }
    }
}

/// One block's execution in the stepping machine, with snapshots along the way.
pub struct Trace {
    host: ChainHost,
    /// Snapshot `j` is the machine after `j × interval` steps.
    snapshots: Vec<Machine>,
    interval: u64,
    /// Steps until the machine halted (or `MAX_STEPS` if it never did).
    steps: u64,
    /// The machine at the end: halted, or after `MAX_STEPS`.
    last: Machine,
    end_hash: B256,
}

impl Trace {
    /// Runs the block from `start` to its end (at most `MAX_STEPS`), keeping snapshots.
    pub fn record(
        module: Arc<Module>,
        host: ChainHost,
        start: GlobalState,
        budget: Budget,
    ) -> Result<Trace, HostError> {
        assert!(budget.max_snapshots >= 2 && budget.first_interval.is_power_of_two());
        let mut host = host;
        let mut m = Machine::new(module, start);
        m.hash();
        let mut snapshots = vec![m.clone()];
        let mut interval = budget.first_interval;
        while m.status() == Status::Running && m.steps() < MAX_STEPS {
            let next = (m.steps() / interval + 1) * interval;
            run_to(&mut m, &mut host, next.min(MAX_STEPS))?;
            if m.status() != Status::Running || m.steps() != next {
                break;
            }
            if snapshots.len() == budget.max_snapshots {
                // Keep the even multiples of the doubled interval.
                let mut j = 0;
                snapshots.retain(|_| {
                    j += 1;
                    (j - 1) % 2 == 0
                });
                interval *= 2;
            }
            if m.steps().is_multiple_of(interval) {
                m.hash();
                snapshots.push(m.clone());
            }
        }
        let end_hash = m.hash();
        Ok(Trace {
            host,
            snapshots,
            interval,
            steps: m.steps(),
            last: m,
            end_hash,
        })
    }

    /// Steps the block took (`MAX_STEPS` if it never halted).
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// How the block ended.
    pub fn status(&self) -> Status {
        self.last.status()
    }

    /// The global state the machine left (the block's result if it finished).
    pub fn global_state(&self) -> GlobalState {
        *self.last.global_state()
    }

    /// Snapshots kept, and their spacing in steps.
    pub fn snapshots(&self) -> (usize, u64) {
        (self.snapshots.len(), self.interval)
    }

    /// The machine after `t` steps (`t ≤ MAX_STEPS`; a halted machine stays as it is).
    pub fn machine_at(&self, t: u64) -> Result<Machine, HostError> {
        assert!(t <= MAX_STEPS, "step {t} is past MAX_STEPS");
        if t >= self.steps {
            return Ok(self.last.clone());
        }
        let j = ((t / self.interval) as usize).min(self.snapshots.len() - 1);
        let mut m = self.snapshots[j].clone();
        run_to(&mut m, &mut self.host.clone(), t)?;
        Ok(m)
    }

    /// The machine hash after `t` steps.
    pub fn hash_at(&self, t: u64) -> Result<B256, HostError> {
        if t >= self.steps {
            return Ok(self.end_hash);
        }
        Ok(self.machine_at(t)?.hash())
    }

    /// The machine hashes after each of `steps`, computed on every core: consecutive points
    /// go to the same worker, which carries its machine forward from one point to the next
    /// when no snapshot is nearer.
    pub fn hashes_at(&self, steps: &[u64]) -> Result<Vec<B256>, HostError> {
        let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
        let chunk = steps.len().div_ceil(workers).max(1);
        std::thread::scope(|s| {
            let jobs: Vec<_> = steps
                .chunks(chunk)
                .map(|part| s.spawn(move || self.hashes_in_order(part)))
                .collect();
            let mut out = Vec::with_capacity(steps.len());
            for job in jobs {
                out.extend(job.join().expect("a hashing worker panicked")?);
            }
            Ok(out)
        })
    }

    fn hashes_in_order(&self, steps: &[u64]) -> Result<Vec<B256>, HostError> {
        let mut host = self.host.clone();
        let mut out = Vec::with_capacity(steps.len());
        let mut current: Option<Machine> = None;
        for &t in steps {
            if t >= self.steps {
                out.push(self.end_hash);
                continue;
            }
            // Carry the previous point's machine forward unless a snapshot is nearer.
            let floor = t - t % self.interval;
            let mut m = match current.take() {
                Some(m) if m.steps() <= t && m.steps() >= floor => m,
                _ => self.machine_at(floor)?,
            };
            run_to(&mut m, &mut host, t)?;
            out.push(m.hash());
            current = Some(m);
        }
        Ok(out)
    }

    /// The one-step proof of step `t` (from the machine after `t` steps) and the hash the
    /// prover computes from it: the machine's after `t + 1` steps.
    pub fn prove_at(&self, t: u64) -> Result<(Vec<u8>, B256), HostError> {
        let mut m = self.machine_at(t)?;
        let mut host = self.host.clone();
        let proof = m.prove(&mut host)?;
        m.step(&mut host)?;
        Ok((proof, m.hash()))
    }
}

/// Runs `m` until it has taken `t` steps in all or halts.
fn run_to<H: Host>(m: &mut Machine, host: &mut H, t: u64) -> Result<(), HostError> {
    while m.status() == Status::Running && m.steps() < t {
        m.run(host, t - m.steps())?;
    }
    Ok(())
}
