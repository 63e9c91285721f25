//! The node's durable state: one redb database (ACID, crash-safe) under `--data-dir`.
//!
//! Writers collect [`Changes`] and commit them in one transaction, so a group of
//! transactions acknowledged together is durable together (group commit: one fsync for many
//! transactions, never one each). A crash between commits loses only what no caller was told
//! about. Records are postcard-encoded; the tables are listed below.

use std::path::Path;

use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};

/// tx id → [`TxRecord`].
const TXS: TableDefinition<[u8; 32], &[u8]> = TableDefinition::new("txs");
/// acceptance sequence number → tx id: the order the soft state executed them in.
const ACCEPTED: TableDefinition<u64, [u8; 32]> = TableDefinition::new("accepted");
/// batch sequence number → [`BatchRecord`].
const BATCHES: TableDefinition<u64, &[u8]> = TableDefinition::new("batches");
/// inbox index → [`StoredMessage`]: the canonical inbox as read from L1.
const MESSAGES: TableDefinition<u64, &[u8]> = TableDefinition::new("messages");
/// inbox position → the 80-byte global state after executing the messages before it.
const STATES: TableDefinition<u64, &[u8]> = TableDefinition::new("states");
/// keccak → preimage: the preimages of data directories written before the log below; read
/// at start, no longer written.
const PREIMAGES: TableDefinition<[u8; 32], &[u8]> = TableDefinition::new("preimages");
/// commit number → the preimages that commit added (postcard `Vec<Preimage>`): every
/// state-tree and outbox node canonical execution hashed. The node reads them all into memory
/// at start and never looks one up on disk, so an append-only log serves: one insert at the
/// end of the table per commit instead of thousands at random keys (a batch's canonical state
/// was most of a commit's time when each node was its own key).
const PREIMAGE_LOG: TableDefinition<u64, &[u8]> = TableDefinition::new("preimage_log");
/// tx id → [`WithdrawalRecord`].
const WITHDRAWALS: TableDefinition<[u8; 32], &[u8]> = TableDefinition::new("withdrawals");
/// name → value: small singletons (the deployment, scan positions).
const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
/// inbox index → [`Undo`]: the records executing that message overwrote, as they were
/// before it, until the message is finalized (store/undo.rs).
const UNDO: TableDefinition<u64, &[u8]> = TableDefinition::new("undo");
/// L1 block number → its hash when the follower read up to it: the last
/// [`FOLLOWED_KEPT`] rounds, to find where a reorg forked (store/undo.rs).
const FOLLOWED: TableDefinition<u64, [u8; 32]> = TableDefinition::new("followed");

mod undo;
pub use undo::{Change, FOLLOWED_KEPT, NoUndo, Undo};

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be opened, read or written (including the data directory's
    /// I/O).
    #[error("store: {0}")]
    Db(#[from] redb::Error),
    /// A stored record is not valid postcard for its type.
    #[error("store: a record does not decode ({0}); the data directory is damaged")]
    Decode(#[from] postcard::Error),
}

impl From<redb::TransactionError> for StoreError {
    fn from(e: redb::TransactionError) -> Self {
        StoreError::Db(e.into())
    }
}
impl From<redb::TableError> for StoreError {
    fn from(e: redb::TableError) -> Self {
        StoreError::Db(e.into())
    }
}
impl From<redb::StorageError> for StoreError {
    fn from(e: redb::StorageError) -> Self {
        StoreError::Db(e.into())
    }
}
impl From<redb::CommitError> for StoreError {
    fn from(e: redb::CommitError) -> Self {
        StoreError::Db(e.into())
    }
}
impl From<redb::DatabaseError> for StoreError {
    fn from(e: redb::DatabaseError) -> Self {
        StoreError::Db(e.into())
    }
}

/// Where a transaction stands (docs/spec/rpc.md, "Statuses").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TxStatus {
    /// In the soft state, not yet in a batch on L1.
    AcceptedInL2,
    /// In batch `batch`, appended to L1.
    Posted {
        /// The sequence number of the batch that holds it.
        batch: u64,
    },
    /// In batch `batch`, whose inbox message `message` is covered by a confirmed assertion.
    Finalized {
        /// The sequence number of the batch that held it.
        batch: u64,
        /// The inbox index of that batch's message.
        message: u64,
    },
    /// Never executed: refused at ingress, dropped from the soft state after acceptance
    /// (before any batch held it), or skipped by the chain when its batch ran; the reason
    /// says which.
    Rejected {
        /// Why, in the words of the ingress refusal or the chain's skip.
        reason: String,
    },
    /// Sent to L1 through `forceTransaction` (inbox message `message`), not through the
    /// sequencer; recorded so its withdrawal, if any, can be proven.
    Forced {
        /// The inbox index of the message that queued it.
        message: u64,
    },
    /// Came through the forced queue (inbox message `message`) and executed — also a
    /// transaction the sequencer had taken whose forced copy (the same bytes) ran first.
    /// (Last, so stored records keep their encoding.)
    ForcedRan {
        /// The inbox index of the message that queued it.
        message: u64,
    },
}

/// One transaction the sequencer has answered for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxRecord {
    /// Its canonical encoding (docs/spec/tx.md).
    pub encoding: Vec<u8>,
    /// The recovered sender (zero for a rejection before recovery).
    pub sender: [u8; 20],
    /// Its acceptance sequence number (`u64::MAX` if rejected).
    pub accepted: u64,
    /// Where it stands now.
    pub status: TxStatus,
}

/// A batch the sequencer built.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchRecord {
    /// Acceptance numbers `first .. first + count` are its transactions, in order (a number
    /// whose transaction was dropped after acceptance is skipped: its record is `REJECTED`).
    pub first: u64,
    /// How many acceptance numbers it spans, from `first`.
    pub count: u64,
    /// The exact `appendBatch` data: a retried post sends the same bytes.
    pub data: Vec<u8>,
    /// The L1 transaction that appended it, once known.
    pub l1_tx: Option<[u8; 32]>,
    /// Its inbox index, once the canonical follower has seen it.
    pub message: Option<u64>,
}

/// One canonical inbox message and where it came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredMessage {
    /// `header ‖ data`.
    pub bytes: Vec<u8>,
    /// The L1 block that appended it.
    pub l1_block: u64,
    /// The hash of the L1 transaction that appended it.
    pub l1_tx: [u8; 32],
}

/// A withdrawal's outbox leaf and the fields the Outbox needs to pay it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WithdrawalRecord {
    /// Its position in the outbox (the leaf's index in the outbox tree).
    pub index: u64,
    /// The outbox leaf: `keccak256(0x30 ‖ index ‖ l2Sender ‖ l1Recipient ‖ amount ‖ txId)`.
    pub leaf: [u8; 32],
    /// The L2 account that withdrew (the transaction's recovered sender).
    pub l2_sender: [u8; 20],
    /// The L1 address the Outbox pays (the transaction's `to`).
    pub l1_recipient: [u8; 20],
    /// The amount withdrawn, in wei.
    pub amount: u128,
    /// The inbox message whose block appended it (the outbox root after that message holds
    /// it).
    pub message: u64,
}

/// A keccak and its preimage.
pub use fuse_exec::Preimage;

/// Writes to commit together.
#[derive(Default, Debug)]
pub struct Changes {
    /// Transaction records to write, by tx id.
    pub txs: Vec<([u8; 32], TxRecord)>,
    /// Acceptance number → tx id entries to write.
    pub accepted: Vec<(u64, [u8; 32])>,
    /// Batch records to write, by batch sequence number.
    pub batches: Vec<(u64, BatchRecord)>,
    /// Canonical inbox messages to write, by inbox index.
    pub messages: Vec<(u64, StoredMessage)>,
    /// Global states to write, by the inbox position they are after (80 bytes each).
    pub states: Vec<(u64, [u8; 80])>,
    /// New preimages, appended to the preimage log as one entry.
    pub preimages: Vec<Preimage>,
    /// Withdrawal records to write, by the tx id that made them.
    pub withdrawals: Vec<([u8; 32], WithdrawalRecord)>,
    /// Singletons to set, by name.
    pub meta: Vec<(&'static str, Vec<u8>)>,
    /// What each executed message overwrote, by its inbox index.
    pub undo: Vec<(u64, Undo)>,
    /// L1 blocks followed, with their hashes.
    pub followed: Vec<(u64, [u8; 32])>,
    /// Undo records below this inbox index are no longer needed (the messages are final).
    pub forget_undo_below: Option<u64>,
}

impl Changes {
    /// Appends `later`'s writes after these (a later write to the same key wins, as it would
    /// in a later commit).
    pub fn append(&mut self, mut later: Changes) {
        self.txs.append(&mut later.txs);
        self.accepted.append(&mut later.accepted);
        self.batches.append(&mut later.batches);
        self.messages.append(&mut later.messages);
        self.states.append(&mut later.states);
        self.preimages.append(&mut later.preimages);
        self.withdrawals.append(&mut later.withdrawals);
        self.meta.append(&mut later.meta);
        self.undo.append(&mut later.undo);
        self.followed.append(&mut later.followed);
        self.forget_undo_below = self.forget_undo_below.max(later.forget_undo_below);
    }

    /// Whether there is nothing to write.
    pub fn is_empty(&self) -> bool {
        self.txs.is_empty()
            && self.accepted.is_empty()
            && self.batches.is_empty()
            && self.messages.is_empty()
            && self.states.is_empty()
            && self.preimages.is_empty()
            && self.withdrawals.is_empty()
            && self.meta.is_empty()
            && self.undo.is_empty()
            && self.followed.is_empty()
            && self.forget_undo_below.is_none()
    }
}

/// The database.
pub struct Store {
    db: Database,
}

fn enc<T: Serialize>(v: &T) -> Vec<u8> {
    postcard::to_allocvec(v).expect("records always encode")
}

impl Store {
    /// Opens (or creates) `dir/fuse.redb`.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        std::fs::create_dir_all(dir).map_err(|e| StoreError::Db(redb::Error::Io(e)))?;
        let db = Database::create(dir.join("fuse.redb"))?;
        // Create every table so readers never meet a missing one.
        let w = db.begin_write()?;
        w.open_table(TXS)?;
        w.open_table(ACCEPTED)?;
        w.open_table(BATCHES)?;
        w.open_table(MESSAGES)?;
        w.open_table(STATES)?;
        w.open_table(PREIMAGES)?;
        w.open_table(PREIMAGE_LOG)?;
        w.open_table(WITHDRAWALS)?;
        w.open_table(META)?;
        w.open_table(UNDO)?;
        w.open_table(FOLLOWED)?;
        w.commit()?;
        Ok(Store { db })
    }

    /// Commits `c` atomically and durably.
    pub fn commit(&self, c: &Changes) -> Result<(), StoreError> {
        if c.is_empty() {
            return Ok(());
        }
        let w = self.db.begin_write()?;
        write(&w, c)?;
        w.commit()?;
        Ok(())
    }

    fn get<K, T>(
        &self,
        table: TableDefinition<K, &[u8]>,
        key: K::SelfType<'_>,
    ) -> Result<Option<T>, StoreError>
    where
        K: redb::Key + 'static,
        T: for<'de> Deserialize<'de>,
    {
        let r = self.db.begin_read()?;
        let t = r.open_table(table)?;
        match t.get(key)? {
            Some(v) => Ok(Some(postcard::from_bytes(v.value())?)),
            None => Ok(None),
        }
    }

    /// A transaction's record.
    pub fn tx(&self, id: &[u8; 32]) -> Result<Option<TxRecord>, StoreError> {
        self.get(TXS, *id)
    }

    /// A batch's record.
    pub fn batch(&self, seq: u64) -> Result<Option<BatchRecord>, StoreError> {
        self.get(BATCHES, seq)
    }

    /// Batches from `seq` on, in order.
    pub fn batches_from(&self, seq: u64) -> Result<Vec<(u64, BatchRecord)>, StoreError> {
        let r = self.db.begin_read()?;
        let t = r.open_table(BATCHES)?;
        let mut out = Vec::new();
        for e in t.range(seq..)? {
            let (k, v) = e?;
            out.push((k.value(), postcard::from_bytes(v.value())?));
        }
        Ok(out)
    }

    /// Accepted tx ids from acceptance number `from` on, in order.
    pub fn accepted_from(&self, from: u64) -> Result<Vec<(u64, [u8; 32])>, StoreError> {
        self.accepted_range(from, u64::MAX)
    }

    /// At most `count` accepted tx ids from acceptance number `from` on, in order.
    pub fn accepted_range(
        &self,
        from: u64,
        count: u64,
    ) -> Result<Vec<(u64, [u8; 32])>, StoreError> {
        let r = self.db.begin_read()?;
        let t = r.open_table(ACCEPTED)?;
        let mut out = Vec::new();
        for e in t.range(from..from.saturating_add(count))? {
            let (k, v) = e?;
            out.push((k.value(), v.value()));
        }
        Ok(out)
    }

    /// A canonical message.
    pub fn message(&self, index: u64) -> Result<Option<StoredMessage>, StoreError> {
        self.get(MESSAGES, index)
    }

    /// How many canonical messages are stored (they are stored without gaps).
    pub fn message_count(&self) -> Result<u64, StoreError> {
        let r = self.db.begin_read()?;
        let t = r.open_table(MESSAGES)?;
        Ok(t.last()?.map_or(0, |(k, _)| k.value() + 1))
    }

    /// The global state at inbox position `position` (80 bytes, docs/spec/machine-hash.md
    /// field order).
    pub fn state(&self, position: u64) -> Result<Option<[u8; 80]>, StoreError> {
        let r = self.db.begin_read()?;
        let t = r.open_table(STATES)?;
        Ok(t.get(position)?.and_then(|v| v.value().try_into().ok()))
    }

    /// A withdrawal by its tx id.
    pub fn withdrawal(&self, id: &[u8; 32]) -> Result<Option<WithdrawalRecord>, StoreError> {
        self.get(WITHDRAWALS, *id)
    }

    /// A singleton.
    pub fn meta(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let r = self.db.begin_read()?;
        let t = r.open_table(META)?;
        Ok(t.get(key)?.map(|v| v.value().to_vec()))
    }

    /// Every stored preimage, for loading the host at start.
    pub fn preimages(&self) -> Result<Vec<Preimage>, StoreError> {
        let r = self.db.begin_read()?;
        let t = r.open_table(PREIMAGES)?;
        let mut out = Vec::new();
        for e in t.iter()? {
            let (k, v) = e?;
            out.push((k.value(), v.value().to_vec()));
        }
        for e in r.open_table(PREIMAGE_LOG)?.iter()? {
            let (_, v) = e?;
            out.extend(postcard::from_bytes::<Vec<Preimage>>(v.value())?);
        }
        Ok(out)
    }
}

/// Writes `c` in the open write transaction `w`.
fn write(w: &redb::WriteTransaction, c: &Changes) -> Result<(), StoreError> {
    let mut t = w.open_table(TXS)?;
    for (k, v) in &c.txs {
        t.insert(k, enc(v).as_slice())?;
    }
    let mut t = w.open_table(ACCEPTED)?;
    for (k, v) in &c.accepted {
        t.insert(k, v)?;
    }
    let mut t = w.open_table(BATCHES)?;
    for (k, v) in &c.batches {
        t.insert(k, enc(v).as_slice())?;
    }
    let mut t = w.open_table(MESSAGES)?;
    for (k, v) in &c.messages {
        t.insert(k, enc(v).as_slice())?;
    }
    let mut t = w.open_table(STATES)?;
    for (k, v) in &c.states {
        t.insert(k, v.as_slice())?;
    }
    if !c.preimages.is_empty() {
        let mut t = w.open_table(PREIMAGE_LOG)?;
        let next = t.last()?.map_or(0, |(k, _)| k.value() + 1);
        t.insert(next, enc(&c.preimages).as_slice())?;
    }
    let mut t = w.open_table(WITHDRAWALS)?;
    for (k, v) in &c.withdrawals {
        t.insert(k, enc(v).as_slice())?;
    }
    let mut t = w.open_table(META)?;
    for (k, v) in &c.meta {
        t.insert(*k, v.as_slice())?;
    }
    undo::write(w, c)?;
    Ok(())
}
