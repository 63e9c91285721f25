//! The validator's durable record of its disputes: one redb database
//! (`<data dir>/validator.redb`) holding, per challenge it is in, its role, the rival
//! assertions, and every move it decided — written before the move is sent (with the segment
//! it answers) and again once mined (with the L1 transaction and gas). After a restart the
//! game itself is rebuilt from the ChallengeManager's events; the record tells which of its
//! own moves were sent before the crash (a move whose answer was lost is recognised by its
//! segment on L1, never sent twice) and carries the dispute's history across restarts.

use std::path::Path;

use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};

/// challenge id → [`DisputeRecord`] (postcard).
const DISPUTES: TableDefinition<u64, &[u8]> = TableDefinition::new("disputes");
/// name → value: small singletons (a lying validator's resolved lie).
const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");

/// The validator's side in a challenge.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    /// It opened the challenge against a rival assertion.
    Challenger,
    /// Its assertion was challenged.
    Defender,
}

/// One move this validator decided.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoveRecord {
    /// `bisect`, `enterLevelTwo`, `proveOneStep` or `timeout`.
    pub name: String,
    /// The level of the segment it answers (1: blocks, 2: machine steps).
    pub level: u8,
    /// That segment's first point (a block index at level 1, a step at level 2).
    pub start: u64,
    /// Points from `start` to that segment's end.
    pub length: u64,
    /// That segment's hash as on L1: after a restart, whether it is still current tells
    /// whether the move landed.
    pub segment_hash: [u8; 32],
    /// The disputed sub-interval.
    pub index: u64,
    /// Whether it was sent, mined, or lost to a stop.
    pub state: MoveState,
    /// Seconds left on this validator's clock when it moved.
    pub clock_left: u64,
}

/// Where a move stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MoveState {
    /// Recorded, then sent (or about to be): the answer is not in yet.
    Sending,
    /// Mined in `l1_tx`, costing `gas`.
    Mined {
        /// The hash of the L1 transaction that carried it.
        l1_tx: [u8; 32],
        /// The L1 gas it used.
        gas: u64,
    },
    /// Sent before a stop; it landed (its segment was answered) but its receipt was lost.
    LandedAnswerLost,
    /// Sent before a stop or failed; it never landed and was decided again.
    Dropped,
}

/// How a challenge ended for this validator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    /// Whether this validator won.
    pub won: bool,
    /// `one-step proof`, `timeout` or `forfeit`.
    pub reason: String,
}

/// One challenge this validator is in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisputeRecord {
    /// The challenge's id on the ChallengeManager.
    pub id: u64,
    /// Its side in the challenge.
    pub role: Role,
    /// The other validator's L1 address.
    pub opponent: [u8; 20],
    /// The defender's assertion, whose block range the game is over.
    pub x: u64,
    /// The challenger's rival assertion, `x`'s sibling.
    pub y: u64,
    /// The inbox positions the disputed range runs between.
    pub range: (u64, u64),
    /// Every move it decided, in order.
    pub moves: Vec<MoveRecord>,
    /// How it ended, once it has.
    pub outcome: Option<Outcome>,
}

/// The database.
pub struct DisputeStore {
    db: Database,
}

fn enc<T: Serialize>(v: &T) -> Vec<u8> {
    postcard::to_allocvec(v).expect("records always encode")
}

impl DisputeStore {
    /// Opens (or creates) `dir/validator.redb`.
    pub fn open(dir: &Path) -> anyhow::Result<DisputeStore> {
        std::fs::create_dir_all(dir)?;
        let db = Database::create(dir.join("validator.redb"))?;
        let w = db.begin_write()?;
        w.open_table(DISPUTES)?;
        w.open_table(META)?;
        w.commit()?;
        Ok(DisputeStore { db })
    }

    /// Writes `record` (durable when this returns).
    pub fn put(&self, record: &DisputeRecord) -> anyhow::Result<()> {
        let w = self.db.begin_write()?;
        w.open_table(DISPUTES)?
            .insert(record.id, enc(record).as_slice())?;
        w.commit()?;
        Ok(())
    }

    /// Writes singleton `key` (durable when this returns).
    pub fn put_meta(&self, key: &str, value: &[u8]) -> anyhow::Result<()> {
        let w = self.db.begin_write()?;
        w.open_table(META)?.insert(key, value)?;
        w.commit()?;
        Ok(())
    }

    /// Singleton `key`, if written.
    pub fn meta(&self, key: &str) -> anyhow::Result<Option<Vec<u8>>> {
        let r = self.db.begin_read()?;
        let t = r.open_table(META)?;
        Ok(t.get(key)?.map(|v| v.value().to_vec()))
    }

    /// Challenge `id`'s record, if this validator is in it.
    pub fn get(&self, id: u64) -> anyhow::Result<Option<DisputeRecord>> {
        let r = self.db.begin_read()?;
        let t = r.open_table(DISPUTES)?;
        Ok(match t.get(id)? {
            Some(v) => Some(postcard::from_bytes(v.value())?),
            None => None,
        })
    }

    /// Every record, by challenge id.
    pub fn all(&self) -> anyhow::Result<Vec<DisputeRecord>> {
        let r = self.db.begin_read()?;
        let t = r.open_table(DISPUTES)?;
        let mut out = Vec::new();
        for e in t.iter()? {
            out.push(postcard::from_bytes(e?.1.value())?);
        }
        Ok(out)
    }
}
