//! The loops that drive the [`Sequencer`] (docs/node.md): the committer (group commit: one
//! flush for everything accepted since the last, then waiters are told), the L1 follower
//! (messages up to `head − confirmations` executed in inbox order), the batch poster
//! (every `batch_interval`, or sooner once `batch_bytes` of transactions wait) and finality
//! (transactions `FINALIZED` once an assertion covering them is confirmed; the validator that
//! asserts and confirms runs beside these, `fuse-validator`). Each loop holds
//! the sequencer's lock only for synchronous work, never across an L1 call. The loops record
//! the figures of `crate::metrics` as they go, and the follower beats [`Beats`] for the
//! operator's health check.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

use alloy_primitives::B256;

use crate::metrics as figures;
use crate::{Sequencer, StoreFail};
use fuse_l1::rollup::RollupL1;
use fuse_l1::{L1, reorg};
use fuse_metrics::Heartbeat;

/// Roughly what one transfer adds to a batch on L1 (docs/benchmarks.md, `bench stf`).
const BYTES_PER_TX: usize = 90;

/// How the loops pace themselves.
#[derive(Clone, Debug)]
pub struct ServiceConfig {
    /// L1 blocks a message waits before the follower executes it.
    pub confirmations: u64,
    /// Execute messages up to the L1's `finalized` block instead, where the endpoint has one
    /// (`confirmations` deep where it has not).
    pub finalized: bool,
    /// How often the follower asks L1 for its head.
    pub poll_interval: Duration,
    /// Longest a transaction waits for a batch.
    pub batch_interval: Duration,
    /// Post sooner once about this many batch bytes wait.
    pub batch_bytes: usize,
    /// Longest the committer sleeps with nothing to write (ingress wakes it sooner).
    pub commit_interval: Duration,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        ServiceConfig {
            confirmations: 0,
            finalized: false,
            poll_interval: Duration::from_millis(500),
            batch_interval: Duration::from_secs(2),
            batch_bytes: 64 * 1024,
            commit_interval: Duration::from_millis(2),
        }
    }
}

/// The sequencer shared between the loops and the RPC server.
pub type Shared = Arc<Mutex<Sequencer>>;

/// Locks the sequencer. A panic while it was held is a bug that may have left it half
/// updated, so every other user stops too rather than serve a state nobody checked.
pub fn lock(s: &Shared) -> MutexGuard<'_, Sequencer> {
    s.lock()
        .expect("the sequencer was poisoned by an earlier panic")
}

/// What the follower's heartbeats say, for the operator's health check.
#[derive(Clone, Debug, Default)]
pub struct Beats {
    /// Beats each time the L1 answers the follower with its head.
    pub l1: Heartbeat,
    /// Beats after each follower round that worked (with or without new messages).
    pub follower: Heartbeat,
}

/// The running loops; dropping it stops them.
pub struct Service<L> {
    /// The sequencer the loops drive, shared with the RPC server.
    pub sequencer: Shared,
    /// The rollup's L1 contracts the loops follow and post batches to.
    pub rollup: RollupL1<L>,
    /// Every commit group up to this number is on disk (see sequencer/commit.rs), for
    /// waiters on durability.
    pub durable: watch::Receiver<u64>,
    /// Wakes the committer (ingress calls it after an acceptance).
    pub wake: Arc<Notify>,
    /// The follower's heartbeats.
    pub beats: Beats,
    tasks: Vec<JoinHandle<()>>,
}

impl<L> Drop for Service<L> {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

impl<L: L1 + Clone + 'static> Service<L> {
    /// Starts the loops over `sequencer` and the rollup on `rollup`.
    pub fn start(sequencer: Sequencer, rollup: RollupL1<L>, config: ServiceConfig) -> Service<L> {
        let sequencer = Arc::new(Mutex::new(sequencer));
        let (tx, durable) = watch::channel(0);
        let wake = Arc::new(Notify::new());
        let beats = Beats::default();
        let tasks = vec![
            tokio::spawn(committer(
                sequencer.clone(),
                tx,
                config.commit_interval,
                wake.clone(),
            )),
            tokio::spawn(follower(
                sequencer.clone(),
                rollup.clone(),
                config.clone(),
                beats.clone(),
            )),
            tokio::spawn(poster(sequencer.clone(), rollup.clone(), config.clone())),
            tokio::spawn(finality(sequencer.clone(), rollup.clone(), config)),
        ];
        Service {
            sequencer,
            rollup,
            durable,
            wake,
            beats,
            tasks,
        }
    }
}

/// Group commit as soon as the previous write is done: what arrived during a write is the
/// next group. With nothing to write it sleeps until ingress wakes it (or `every` passes,
/// for changes that do not wake it).
async fn committer(s: Shared, durable: watch::Sender<u64>, every: Duration, wake: Arc<Notify>) {
    loop {
        // The write blocks on an fsync: off the async workers, and outside the sequencer's
        // lock so ingress goes on meanwhile.
        let shared = s.clone();
        let mut idle = true;
        match tokio::task::spawn_blocking(move || commit_group(&shared)).await {
            Ok(Ok(count)) if count > 0 => {
                tracing::debug!(count, "accepted in L2 (durable)");
                idle = false;
            }
            Ok(Ok(_)) => {}
            // Nothing was acknowledged; the group waits on the line for the next tick.
            Ok(Err(e)) => tracing::error!(error = %e, "group commit failed"),
            Err(e) => tracing::error!(error = %e, "the committer's write panicked"),
        }
        // Also covers groups the sequencer's own flushes made durable.
        let done = lock(&s).durable();
        durable.send_if_modified(|d| std::mem::replace(d, done) != done);
        if idle {
            tokio::select! {
                _ = wake.notified() => {}
                _ = tokio::time::sleep(every) => {}
            }
        }
    }
}

/// Takes the next group under the sequencer's lock and writes it outside, holding the commit
/// line throughout (sequencer/commit.rs); returns how many acceptances became durable.
fn commit_group(s: &Shared) -> Result<usize, StoreFail> {
    let (line, store) = lock(s).commit_handles();
    // The line is taken with the sequencer locked (the lock order), but never waited for
    // under that lock here: a long write on the line (a batch's canonical state) must not
    // stall ingress. Busy: let go and look again shortly.
    let (group, mut held) = loop {
        let mut seq = lock(s);
        match line.try_lock() {
            Ok(mut held) => match seq.take_group(&mut held) {
                Some(group) => break (group, held),
                None => return Ok(0),
            },
            Err(std::sync::TryLockError::WouldBlock) => {
                drop(seq);
                std::thread::sleep(Duration::from_micros(200));
            }
            Err(std::sync::TryLockError::Poisoned(_)) => {
                panic!("the commit line was poisoned by an earlier panic")
            }
        }
    };
    let group = Sequencer::write_group(&store, &mut held, group)?;
    drop(held);
    lock(s).group_landed(&group);
    figures::count(figures::status::ACCEPTED, group.ids().len());
    Ok(group.ids().len())
}

async fn follower<L: L1>(s: Shared, rollup: RollupL1<L>, config: ServiceConfig, beats: Beats) {
    // Where the last run stopped (a missing record, or a failed read, means from the start:
    // executed messages are skipped, so rescanning is only slower).
    let mut scanned: Option<u64> = lock(&s).l1_scanned().unwrap_or_else(|e| {
        tracing::warn!(error = %e, "reading the followed L1 position; rescanning from 0");
        None
    });
    loop {
        match follow_once(&s, &rollup, &config, &mut scanned, &beats.l1).await {
            Ok(n) => {
                if n > 0 {
                    tracing::info!(messages = n, "executed L1 messages");
                }
                beats.follower.beat();
            }
            Err(e) => {
                let e = format!("{e:#}");
                tracing::warn!(error = %e, "following L1 (will retry)");
                beats.follower.fail(e);
            }
        }
        if let Some(b) = scanned {
            metrics::gauge!(figures::FOLLOWED_BLOCK).set(b as f64);
        }
        let position = lock(&s).canonical().inbox_position;
        metrics::gauge!(figures::INBOX_POSITION).set(position as f64);
        tokio::time::sleep(config.poll_interval).await;
    }
}

/// One round of the follower: first makes sure no reorg replaced what it read (and undoes
/// what it did if one did), then reads the messages of the confirmed blocks not scanned yet.
async fn follow_once<L: L1>(
    s: &Shared,
    rollup: &RollupL1<L>,
    config: &ServiceConfig,
    scanned: &mut Option<u64>,
    l1_beat: &Heartbeat,
) -> anyhow::Result<usize> {
    let last = match checked(s, rollup).await? {
        Check::Same(last) => last,
        Check::Wait => return Ok(0),
        Check::Fork(fork) => {
            let depth = scanned.map_or(0, |b| (b + 1).saturating_sub(fork));
            let taken_back = lock(s).roll_back_to_block(fork)?;
            metrics::counter!(figures::REORGS).increment(1);
            metrics::counter!(figures::REORGED_MESSAGES).increment(taken_back);
            tracing::warn!(
                fork_block = fork,
                depth,
                messages = taken_back,
                "an L1 reorg replaced followed blocks; took back their messages and re-reading from the fork"
            );
            *scanned = fork.checked_sub(1);
            None
        }
    };
    let head = match rollup.l1.head().await {
        Ok(head) => head,
        Err(e) => {
            l1_beat.fail(&e);
            return Err(e.into());
        }
    };
    l1_beat.beat();
    metrics::gauge!(fuse_l1::metrics::HEAD_BLOCK).set(head.number as f64);
    let target = reorg::safe_block(
        &rollup.l1,
        head.number,
        config.confirmations,
        config.finalized,
    )
    .await?
    .unwrap_or(0);
    let from = scanned.map_or(0, |b| b + 1);
    if from > target {
        // Time alone can make a queued forced transaction count in the soft state.
        lock(s).observe_l1_time(head.timestamp)?;
        return Ok(0);
    }
    // The target's hash is read before and after its messages: equal, they came from the
    // chain that hash names (a reorg in between shows as a change, and the round is retried).
    let before = rollup.l1.block_hash(target).await?;
    let messages = rollup.messages(from, target).await?;
    let after = rollup.l1.block_hash(target).await?;
    let (Some(hash), true) = (after, before == after) else {
        anyhow::bail!("L1 block {target} changed while its messages were read; reading again");
    };
    // The range read continues what was read before only if the last block followed is
    // still there: a reorg between the check above and the read is caught here, and the
    // next round undoes it.
    if let Some((number, hash)) = last
        && reorg::check(&rollup.l1, number, hash).await? != reorg::Tip::Same
    {
        anyhow::bail!(
            "L1 block {number} was replaced while the next blocks were read; reading again"
        );
    }
    let n = {
        let mut seq = lock(s);
        let n = seq.execute_messages(&messages)?;
        seq.observe_l1_time(head.timestamp)?;
        seq.record_followed(target, hash.0)?;
        n
    };
    // What they did is written outside the lock, like an ingress group.
    let shared = s.clone();
    tokio::task::spawn_blocking(move || commit_group(&shared)).await??;
    *scanned = Some(target);
    Ok(n)
}

/// What the follower's round found of the last block it read.
enum Check {
    /// Still there (or nothing read yet): read on from it.
    Same(Option<(u64, B256)>),
    /// The endpoint's chain is shorter than it: it lags, or a reorg shortened the chain;
    /// look again next round.
    Wait,
    /// A reorg replaced it: every block from this one on must be read again.
    Fork(u64),
}

/// Whether a reorg replaced the last block the follower read; if so, the fork point, found
/// among the recently followed blocks.
async fn checked<L: L1>(s: &Shared, rollup: &RollupL1<L>) -> anyhow::Result<Check> {
    let followed: Vec<(u64, B256)> = lock(s)
        .followed_blocks()?
        .into_iter()
        .map(|(n, h)| (n, B256::from(h)))
        .collect();
    let Some(&(number, hash)) = followed.last() else {
        return Ok(Check::Same(None));
    };
    match reorg::check(&rollup.l1, number, hash).await? {
        reorg::Tip::Same => return Ok(Check::Same(Some((number, hash)))),
        reorg::Tip::Missing => return Ok(Check::Wait),
        reorg::Tip::Replaced => {}
    }
    let kept = reorg::last_kept(&rollup.l1, &followed).await?;
    anyhow::ensure!(
        kept != Some(number),
        "the endpoint answers block {number} with two hashes (backends on different chains?); \
         looking again"
    );
    // None of them kept: from the block after the last final message (below it nothing may
    // change, reorg.rs), or from the start.
    Ok(Check::Fork(match kept {
        Some(b) => b + 1,
        None => lock(s).final_block()?.map_or(0, |b| b + 1),
    }))
}

async fn poster<L: L1>(s: Shared, rollup: RollupL1<L>, config: ServiceConfig) {
    let mut last = Instant::now();
    let check = config.batch_interval.min(Duration::from_millis(50));
    loop {
        tokio::time::sleep(check).await;
        let (waiting, pending) = {
            let seq = lock(&s);
            (seq.unbatched(), seq.pending_count())
        };
        metrics::gauge!(figures::UNBATCHED_TXS).set(waiting as f64);
        metrics::gauge!(figures::PENDING_TXS).set(pending as f64);
        let due = last.elapsed() >= config.batch_interval;
        if waiting == 0 && !due {
            continue;
        }
        if !due && waiting * BYTES_PER_TX < config.batch_bytes {
            continue;
        }
        last = Instant::now();
        if let Err(e) = post_once(&s, &rollup).await {
            tracing::warn!(error = %e, "posting a batch (will retry)");
        }
    }
}

/// Posts the next batch, if any. A batch refused because the Inbox already holds its number
/// landed earlier (a post whose answer was lost): the follower will record it.
async fn post_once<L: L1>(s: &Shared, rollup: &RollupL1<L>) -> anyhow::Result<()> {
    // Transactions accepted after forced ones the soft state ran ahead land after those are
    // due, so the chain runs them in the same order (sequencer/forced.rs).
    let hold = lock(s).hold_posting_until();
    if hold > 0 {
        let now = rollup.l1.head().await?.timestamp;
        if now < hold {
            tracing::debug!(now, hold, "batch held until forced transactions are due");
            return Ok(());
        }
    }
    // A batch whose L1 transaction a reorg removed is posted again: the Inbox (at the latest
    // block) no longer holds its number. Sent again under the same number, it can land only
    // once: if the first transaction comes back, the second is refused.
    let unseen = lock(s).posted_unseen()?;
    if let Some(&oldest) = unseen.first() {
        let next = rollup.next_batch_seq().await?;
        // Every one the Inbox does not hold at once: a later one waiting for the follower to
        // see an earlier would stall posting for a confirmation window each.
        for &seq in unseen.iter().filter(|&&seq| seq >= next.max(oldest)) {
            tracing::warn!(
                seq,
                "a posted batch is no longer on L1 (a reorg); posting it again"
            );
            lock(s).batch_vanished(seq)?;
        }
    }
    let Some((seq, rec)) = lock(s).batch_to_post()? else {
        return Ok(());
    };
    match rollup.append_batch(rec.data.clone(), seq).await {
        Ok(receipt) => {
            lock(s).batch_posted(seq, receipt.tx_hash.0)?;
            metrics::counter!(figures::BATCHES_POSTED).increment(1);
            metrics::counter!(figures::BATCH_BYTES).increment(rec.data.len() as u64);
            tracing::info!(seq, txs = rec.count, bytes = rec.data.len(), l1_tx = %receipt.tx_hash, "posted batch");
            Ok(())
        }
        Err(e) if e.to_string().contains("WrongBatchSequence") => {
            let next = rollup.next_batch_seq().await?;
            if next > seq {
                tracing::info!(seq, "batch already on L1; the follower records it");
                Ok(())
            } else {
                anyhow::bail!("the Inbox expects batch {next}, this node has {seq} next")
            }
        }
        Err(e) => Err(e.into()),
    }
}

/// Marks transactions `FINALIZED` as assertions are confirmed on L1 — by this node's
/// validator or anyone else's — once the follower has executed what they cover.
async fn finality<L: L1>(s: Shared, rollup: RollupL1<L>, config: ServiceConfig) {
    loop {
        if let Err(e) = finalize_once(&s, &rollup, &config).await {
            tracing::warn!(error = %e, "following confirmations (will retry)");
        }
        tokio::time::sleep(config.poll_interval).await;
    }
}

async fn finalize_once<L: L1>(
    s: &Shared,
    rollup: &RollupL1<L>,
    config: &ServiceConfig,
) -> anyhow::Result<()> {
    // Read at the safe point, as messages are: a confirmation in a block a reorg may still
    // replace is not final yet (and undo records below it are dropped).
    let head = rollup.l1.head().await?.number;
    let Some(safe) =
        reorg::safe_block(&rollup.l1, head, config.confirmations, config.finalized).await?
    else {
        return Ok(());
    };
    let (latest, a) = rollup.confirmed_at(safe).await?;
    if latest == 0 {
        return Ok(());
    }
    let position = a.afterInbox;
    let mut seq = lock(s);
    if seq.canonical().inbox_position < position {
        // The follower has not executed it yet.
        return Ok(());
    }
    // A confirmed state this node did not compute is never shown to users as final: either
    // this node's STF or the chain's validators are wrong, and someone must look.
    let ours = seq.state_at(position)?.map(|gs| gs.hash());
    if ours != Some(a.afterStateHash) {
        anyhow::bail!(
            "assertion {latest} was confirmed with state {} after message {position}, but this              node computed {ours:?}: not finalizing",
            a.afterStateHash
        );
    }
    let n = seq.finalize(latest, position)?;
    if n > 0 {
        tracing::info!(assertion = latest, transactions = n, "finalized");
    }
    Ok(())
}
