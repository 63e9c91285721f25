//! Group commit. Everything the sequencer accepted or recorded since the last commit goes to
//! the store as one **group**, in one write transaction (one fsync for many acceptances).
//!
//! The committer loop (service.rs) takes a group under the sequencer's lock — a cheap move of
//! the buffers — and writes it *outside* the lock, so ingress goes on during the fsync. The
//! sequencer's own flushes (before a batch is posted, after L1 messages are executed) write
//! under the lock. Either way groups must land in the order they were taken, or a later write
//! (say a batch's `POSTED` statuses) could be overwritten by an earlier one landing late; so
//! a group is taken only while holding the [`Line`], which is held until it is written, and
//! the line is only ever taken with the sequencer's lock held (lock order: sequencer, then
//! line). A group whose write failed stays on the line and goes first in the next one.
//!
//! A transaction accepted while `taken == t` joins group `t + 1`; it may be acknowledged
//! `ACCEPTED_IN_L2` once [`Sequencer::durable`] `> t`. `durable` is the number of the last
//! group written, set before the line is let go — so in order, and since a failed group is
//! carried into the next, every group up to it is on disk. The bookkeeping of which ids are
//! still pending follows later ([`Sequencer::group_landed`]); queries compare with `durable`
//! so they never report a written transaction as pending for long, nor a pending one as done.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use super::{META_NEXT_ACCEPTED, Sequencer, SequencerError};
use crate::store::{Changes, Store};

/// The commit line: held from taking a group until it is written.
pub struct Line {
    /// A group whose write failed, written first with the next.
    failed: Option<Group>,
    /// The number of the last group written (shared with the sequencer).
    landed: Arc<AtomicU64>,
}

impl Line {
    /// A line with nothing written yet, publishing to `landed`.
    pub fn new(landed: Arc<AtomicU64>) -> Line {
        Line {
            failed: None,
            landed,
        }
    }
}

/// One group of changes and the acceptances it makes durable.
pub struct Group {
    changes: Changes,
    ids: Vec<[u8; 32]>,
    number: u64,
}

impl Group {
    /// The acceptances this group makes durable, in acceptance order.
    pub fn ids(&self) -> &[[u8; 32]] {
        &self.ids
    }
}

/// Locks the line. A panic while it was held may have lost a group half way, so nobody goes
/// on (the store itself stays consistent: a write transaction is all or nothing).
pub fn hold(line: &Mutex<Line>) -> MutexGuard<'_, Line> {
    line.lock()
        .expect("the commit line was poisoned by an earlier panic")
}

impl Sequencer {
    /// Whether anything accepted or recorded awaits a commit.
    pub fn has_unsaved(&self) -> bool {
        !self.unsaved.is_empty() || !self.unsaved_ids.is_empty()
    }

    /// Groups taken so far: a transaction accepted now joins group `taken() + 1`.
    pub fn taken(&self) -> u64 {
        self.taken
    }

    /// Every group up to this number is on disk.
    pub fn durable(&self) -> u64 {
        self.landed.load(Ordering::Acquire)
    }

    /// The line and the store, for a committer that writes outside the sequencer's lock.
    pub fn commit_handles(&self) -> (Arc<Mutex<Line>>, Arc<Store>) {
        (self.line.clone(), self.store.clone())
    }

    /// Takes everything unsaved as the next group, after a failed one still on the line.
    /// Call with `line` held (and the sequencer locked, as `&mut self` is), then write the
    /// group with [`Sequencer::write_group`] before letting go of the line. `None` if there
    /// is nothing to write.
    pub fn take_group(&mut self, line: &mut Line) -> Option<Group> {
        if !self.has_unsaved() && line.failed.is_none() {
            return None;
        }
        self.unsaved.preimages.extend(self.env.take_fresh());
        self.unsaved.meta.push((
            META_NEXT_ACCEPTED,
            self.next_accepted.to_be_bytes().to_vec(),
        ));
        let changes = std::mem::take(&mut self.unsaved);
        let ids = std::mem::take(&mut self.unsaved_ids);
        self.taken += 1;
        let mut group = line.failed.take().unwrap_or(Group {
            changes: Changes::default(),
            ids: Vec::new(),
            number: 0,
        });
        group.changes.append(changes);
        group.ids.extend(ids);
        group.number = self.taken;
        Some(group)
    }

    /// Writes `group` (with its line held). On failure the group stays on the line, to go
    /// first with the next one; nothing was acknowledged.
    pub fn write_group(store: &Store, line: &mut Line, group: Group) -> Result<Group, StoreFail> {
        match store.commit(&group.changes) {
            Ok(()) => {
                line.landed.fetch_max(group.number, Ordering::Release);
                Ok(group)
            }
            Err(e) => {
                line.failed = Some(group);
                Err(StoreFail(e.into()))
            }
        }
    }

    /// `group` is on disk: forgets its ids as pending.
    pub fn group_landed(&mut self, group: &Group) {
        for id in &group.ids {
            if self
                .undurable
                .get(id)
                .is_some_and(|joins| *joins <= group.number)
            {
                self.undurable.remove(id);
            }
        }
    }

    /// Makes everything accepted or recorded so far durable, under the sequencer's lock (after
    /// any group the committer is writing); returns the ids now acknowledged `ACCEPTED_IN_L2`.
    pub fn flush(&mut self) -> Result<Vec<[u8; 32]>, SequencerError> {
        let line = self.line.clone();
        let mut held = hold(&line);
        let Some(group) = self.take_group(&mut held) else {
            return Ok(Vec::new());
        };
        let group = Self::write_group(&self.store, &mut held, group).map_err(|e| e.0)?;
        self.group_landed(&group);
        Ok(group.ids)
    }
}

/// A group's write failed; it waits on the line for the next attempt.
#[derive(Debug, thiserror::Error)]
#[error("group commit failed: {0}")]
pub struct StoreFail(pub SequencerError);
