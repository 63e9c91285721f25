//! The block function: one inbox message takes the global state to the next
//! (docs/spec/state.md, "A block"). Hostile input never halts the chain: whatever the message
//! holds, the block ends with a defined global state, skipping what does not validate.

use alloc::vec::Vec;

use crate::append_tree::AppendTree;
use crate::batch::{self, BatchHeader};
use crate::env::{Buf, Env, MAX_PREIMAGE};
use crate::message::{
    self, Config, Deposit, Header, KIND_BATCH, KIND_CONFIG, KIND_DEPOSIT, KIND_FORCED_TX,
    MAX_MESSAGE_BYTES,
};
use crate::state::{Account, Corrupt, State, System};
use crate::tx::{self, Domain, KIND_TRANSFER, KIND_WITHDRAW, SignedTx};

mod session;
pub use session::TxSession;

/// Tag of a withdrawal leaf.
pub const TAG_WITHDRAWAL: u8 = 0x30;
/// Tag of a forced-queue entry.
pub const TAG_FORCED_ENTRY: u8 = 0x70;
/// Inner tag of the forced-transaction queue.
pub const FORCED_TAG: u8 = 0x71;
/// Most queued forced transactions executed in one block.
pub const MAX_FORCED_PER_BLOCK: u64 = 64;

/// What a block reads and writes: the machine's global state, the same type
/// (docs/spec/machine-hash.md). Its roots are docs/spec/state.md's and docs/spec/outbox.md's.
pub use fuse_primitives::GlobalState;

/// Why a transaction did not execute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Skip {
    /// An unknown kind.
    UnknownKind,
    /// `v ∉ {27, 28}`, high-s, or recovery failed.
    BadSignature,
    /// Not the sender's next nonce (replayed or from the future).
    WrongNonce,
    /// A zero amount.
    ZeroAmount,
    /// More than the sender's balance.
    InsufficientBalance,
    /// A transfer to the sender itself.
    SelfTransfer,
    /// The recipient's balance would overflow.
    Overflow,
    /// The outbox is full (2^32 withdrawals).
    OutboxFull,
}

/// What happened to one transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Receipt {
    /// `keccak256(encoding)`.
    pub id: [u8; 32],
    /// The recovered sender, if the signature was valid.
    pub sender: Option<[u8; 20]>,
    /// `Ok` if it executed.
    pub result: Result<(), Skip>,
    /// Whether it came through the forced queue.
    pub forced: bool,
}

/// What a block did, for the native caller (the guest drops it).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BlockReport {
    /// The message's header.
    pub header: Option<Header>,
    /// Every transaction executed or skipped, in order.
    pub receipts: Vec<Receipt>,
    /// What became of a `Batch` message.
    pub batch: Option<BatchOutcome>,
    /// Withdrawal leaves appended, with their outbox index.
    pub withdrawals: Vec<(u64, [u8; 32])>,
}

/// What became of a `Batch` message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BatchOutcome {
    /// The state root its transactions reached (before the batch's own record is written),
    /// which is what its claim is compared with; `None` if it was skipped whole (it did not
    /// decode, broke a cap, or its tx root differed).
    pub reached: Option<[u8; 32]>,
    /// Whether the claimed state root was `reached`.
    pub matched: bool,
}

/// The block's working state.
struct Block<'a, E: Env + ?Sized> {
    env: &'a mut E,
    state: State,
    outbox_root: [u8; 32],
    /// The two append trees, set up on first use: each costs 32 keccaks (its zero hashes),
    /// which most blocks (no withdrawal, no forced tx) need not pay.
    outbox: Option<AppendTree>,
    queue: Option<AppendTree>,
    domain: [u8; 32],
    report: BlockReport,
}

/// Executes the block of the message the host serves, from `gs`.
pub fn execute_block<E: Env + ?Sized>(
    env: &mut E,
    gs: GlobalState,
) -> Result<(GlobalState, BlockReport), Corrupt> {
    let header = message::read_header(env);
    let mut next = gs;
    next.inbox_position = gs.inbox_position.wrapping_add(1);
    next.block_number = gs.block_number.wrapping_add(1);
    let report = BlockReport {
        header: Some(header),
        ..BlockReport::default()
    };
    let Some(state) = State::load(env, &gs.state_root.0)? else {
        // Unconfigured: only message 0, a Config, does anything.
        if gs.inbox_position == 0 && header.kind == KIND_CONFIG {
            let data = message::read_data(env, MAX_MESSAGE_BYTES);
            if let Some(config) = data.as_ref().and_then(|d| Config::decode(d.bytes())) {
                let state = State {
                    accounts_root: [0u8; 32],
                    system: System {
                        config,
                        outbox_count: 0,
                        forced_root: AppendTree::new(env, FORCED_TAG).empty_root(),
                        forced_head: 0,
                        forced_tail: 0,
                        last_batch_seq: 0,
                        last_batch_root_matched: false,
                    },
                };
                next.state_root = state.store(env).into();
                next.outbox_root = AppendTree::outbox(env).empty_root().into();
            }
        }
        return Ok((next, report));
    };
    let config = state.system.config;
    let domain = tx::domain_separator(
        env,
        &Domain {
            chain_id: config.chain_id,
            inbox: config.inbox,
        },
    );
    let mut b = Block {
        env,
        state,
        outbox_root: gs.outbox_root.0,
        outbox: None,
        queue: None,
        domain,
        report,
    };
    b.drain_forced(header.l1_timestamp)?;
    // Only the kinds that carry data read it: a Tick, a second Config or an unknown kind is
    // an empty block whatever follows its header, and costs no reads.
    if matches!(header.kind, KIND_DEPOSIT | KIND_BATCH | KIND_FORCED_TX) {
        let data = message::read_data(b.env, MAX_MESSAGE_BYTES);
        match (header.kind, data) {
            (KIND_DEPOSIT, Some(d)) => {
                if let Some(dep) = Deposit::decode(d.bytes()) {
                    b.deposit(&dep)?;
                }
            }
            (KIND_BATCH, Some(d)) => b.batch(d.bytes())?,
            (KIND_FORCED_TX, Some(d)) => b.enqueue_forced(header.l1_timestamp, d.bytes())?,
            // Oversized data: an empty block.
            _ => {}
        }
    }
    next.state_root = b.state.store(b.env).into();
    next.outbox_root = b.outbox_root.into();
    Ok((next, b.report))
}

impl<E: Env + ?Sized> Block<'_, E> {
    fn deposit(&mut self, d: &Deposit) -> Result<(), Corrupt> {
        let (mut a, path) = self.state.account_path(self.env, &d.to)?;
        // More wei than exist cannot arrive; if it did, the deposit is dropped, not wrapped.
        if let Some(balance) = a.balance.checked_add(d.amount) {
            a.balance = balance;
            self.state.set_account_at(self.env, &path, a)?;
        }
        Ok(())
    }

    fn batch(&mut self, data: &[u8]) -> Result<(), Corrupt> {
        let skipped = Some(BatchOutcome {
            reached: None,
            matched: false,
        });
        let Some((header, payload, txs)) = batch::decode_batch_spans(data) else {
            self.report.batch = skipped;
            return Ok(());
        };
        let BatchHeader {
            seq,
            tx_root,
            claimed_state_root,
        } = header;
        let ids: Vec<[u8; 32]> = txs
            .iter()
            .map(|(_, span)| tx::id_of_encoding(self.env, &payload[span.clone()]))
            .collect();
        if batch::root_of_ids(self.env, ids.clone()) != tx_root {
            self.report.batch = skipped;
            return Ok(());
        }
        for ((t, _), id) in txs.iter().zip(&ids) {
            self.execute_tx(t, id, false)?;
        }
        // The claim is compared with the state reached; it is recorded, never trusted.
        let reached = self.state.store(self.env);
        let matched = reached == claimed_state_root;
        self.state.system.last_batch_seq = seq;
        self.state.system.last_batch_root_matched = matched;
        self.report.batch = Some(BatchOutcome {
            reached: Some(reached),
            matched,
        });
        Ok(())
    }

    /// Queues a forced transaction (`data` must be exactly one canonical signed tx).
    fn enqueue_forced(&mut self, l1_timestamp: u64, data: &[u8]) -> Result<(), Corrupt> {
        let Ok((_, rest)) = SignedTx::decode(data) else {
            return Ok(());
        };
        if !rest.is_empty() || 9 + data.len() > MAX_PREIMAGE {
            return Ok(());
        }
        let mut entry = Vec::with_capacity(9 + data.len());
        entry.push(TAG_FORCED_ENTRY);
        entry.extend_from_slice(&l1_timestamp.to_be_bytes());
        entry.extend_from_slice(data);
        let leaf = self.env.keccak(&entry);
        let env = &mut *self.env;
        let queue = self
            .queue
            .get_or_insert_with(|| AppendTree::new(env, FORCED_TAG));
        let sys = &mut self.state.system;
        sys.forced_root = queue
            .append(env, &sys.forced_root, sys.forced_tail, &leaf)
            .map_err(|_| Corrupt)?;
        sys.forced_tail += 1;
        Ok(())
    }

    /// Executes the queued forced transactions that are due, oldest first, at most
    /// [`MAX_FORCED_PER_BLOCK`].
    fn drain_forced(&mut self, now: u64) -> Result<(), Corrupt> {
        for _ in 0..MAX_FORCED_PER_BLOCK {
            let sys = self.state.system;
            if sys.forced_head >= sys.forced_tail || sys.forced_head > u32::MAX as u64 {
                break;
            }
            let env = &mut *self.env;
            let leaf = self
                .queue
                .get_or_insert_with(|| AppendTree::new(env, FORCED_TAG))
                .get(env, &sys.forced_root, sys.forced_head as u32)
                .map_err(|_| Corrupt)?;
            let mut words = Buf::<{ MAX_PREIMAGE / 32 }>::new();
            let n = self.env.preimage(&leaf, &mut words.0);
            let buf = words.bytes();
            if n < 9 || buf[0] != TAG_FORCED_ENTRY {
                return Err(Corrupt);
            }
            let queued_at = u64::from_be_bytes(buf[1..9].try_into().unwrap());
            if queued_at.saturating_add(sys.config.force_delay) > now {
                break;
            }
            let (t, rest) = SignedTx::decode(&buf[9..n]).map_err(|_| Corrupt)?;
            let encoding = &buf[9..n - rest.len()];
            self.state.system.forced_head += 1;
            let id = tx::id_of_encoding(self.env, encoding);
            self.execute_tx(&t, &id, true)?;
        }
        Ok(())
    }

    fn execute_tx(&mut self, t: &SignedTx, id: &[u8; 32], forced: bool) -> Result<(), Corrupt> {
        let id = *id;
        let (sender, result) = match tx::digest(self.env, &self.domain, t) {
            None => (None, Err(Skip::UnknownKind)),
            Some(digest) => match tx::recover_sender(self.env, &digest, t) {
                None => (None, Err(Skip::BadSignature)),
                Some(s) => (Some(s), self.apply(&s, t, &id)?),
            },
        };
        if !E::REPORT {
            return Ok(());
        }
        self.report.receipts.push(Receipt {
            id,
            sender,
            result,
            forced,
        });
        Ok(())
    }

    /// Applies a correctly signed transaction from `sender`.
    fn apply(
        &mut self,
        sender: &[u8; 20],
        t: &SignedTx,
        id: &[u8; 32],
    ) -> Result<Result<(), Skip>, Corrupt> {
        let env = &mut *self.env;
        // The sender's path is kept: it is written back on the trie it was read from (the
        // recipient is only read in between), so a debit walks the trie once.
        let (mut from, from_path) = self.state.account_path(env, sender)?;
        if t.nonce != from.nonce {
            return Ok(Err(Skip::WrongNonce));
        }
        if t.amount == 0 {
            return Ok(Err(Skip::ZeroAmount));
        }
        let Some(left) = from.balance.checked_sub(t.amount) else {
            return Ok(Err(Skip::InsufficientBalance));
        };
        match t.kind {
            KIND_TRANSFER => {
                if t.to == *sender {
                    return Ok(Err(Skip::SelfTransfer));
                }
                let mut to = self.state.account(env, &t.to)?;
                let Some(credited) = to.balance.checked_add(t.amount) else {
                    return Ok(Err(Skip::Overflow));
                };
                to.balance = credited;
                from = Account {
                    balance: left,
                    nonce: from.nonce + 1,
                };
                self.state.set_account_at(env, &from_path, from)?;
                self.state.set_account(env, &t.to, to)?;
            }
            KIND_WITHDRAW => {
                let index = self.state.system.outbox_count;
                if index > u32::MAX as u64 {
                    return Ok(Err(Skip::OutboxFull));
                }
                let leaf = withdrawal_leaf(env, index, sender, &t.to, t.amount, id);
                self.outbox_root = self
                    .outbox
                    .get_or_insert_with(|| AppendTree::outbox(env))
                    .append(env, &self.outbox_root, index, &leaf)
                    .map_err(|_| Corrupt)?;
                self.state.system.outbox_count = index + 1;
                from = Account {
                    balance: left,
                    nonce: from.nonce + 1,
                };
                self.state.set_account_at(env, &from_path, from)?;
                if E::REPORT {
                    self.report.withdrawals.push((index, leaf));
                }
            }
            _ => return Ok(Err(Skip::UnknownKind)),
        }
        Ok(Ok(()))
    }
}

/// `keccak256(0x30 ‖ index (u64) ‖ l2Sender ‖ l1Recipient ‖ amount (u128) ‖ txId)`, 97 bytes.
pub fn withdrawal_leaf<E: Env + ?Sized>(
    env: &mut E,
    index: u64,
    l2_sender: &[u8; 20],
    l1_recipient: &[u8; 20],
    amount: u128,
    tx_id: &[u8; 32],
) -> [u8; 32] {
    let mut words = Buf::<4>::new();
    let b = &mut words.bytes_mut()[..97];
    b[0] = TAG_WITHDRAWAL;
    b[1..9].copy_from_slice(&index.to_be_bytes());
    b[9..29].copy_from_slice(l2_sender);
    b[29..49].copy_from_slice(l1_recipient);
    b[49..65].copy_from_slice(&amount.to_be_bytes());
    b[65..].copy_from_slice(tx_id);
    env.keccak(&words.bytes()[..97])
}
