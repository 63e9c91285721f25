//! The L2 state behind the state root (docs/spec/state.md): the account trie and the
//! system record (configuration, outbox count, forced-transaction queue, last batch).

use crate::env::{Buf, Env, keccak_pair};
use crate::message::Config;
use crate::trie::{ACCOUNTS, Path, TrieError};

/// A key's path in the account trie ([`State::account_path`]).
pub type AccountPath = Path<20, 24>;

/// Tag of the state root's preimage.
pub const TAG_STATE: u8 = 0x40;
/// Tag of the system record.
pub const TAG_SYSTEM: u8 = 0x41;
/// Bytes of the system record's preimage.
const SYSTEM_BYTES: usize = 102;

/// The state root, or the system record it points at, is not what the STF wrote: impossible
/// for a root the STF made itself (docs/design.md#rule-8), so it means a broken host.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Corrupt;

impl From<TrieError> for Corrupt {
    fn from(_: TrieError) -> Self {
        Corrupt
    }
}

/// An account.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Account {
    /// Wei.
    pub balance: u128,
    /// Transactions executed from it.
    pub nonce: u64,
}

impl Account {
    /// The trie value: balance (u128 BE) ‖ nonce (u64 BE).
    pub fn to_bytes(self) -> [u8; 24] {
        let mut v = [0u8; 24];
        v[..16].copy_from_slice(&self.balance.to_be_bytes());
        v[16..].copy_from_slice(&self.nonce.to_be_bytes());
        v
    }

    /// The inverse of [`Account::to_bytes`].
    pub fn from_bytes(v: &[u8; 24]) -> Account {
        Account {
            balance: u128::from_be_bytes(v[..16].try_into().unwrap()),
            nonce: u64::from_be_bytes(v[16..].try_into().unwrap()),
        }
    }
}

/// The chain's own records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct System {
    /// From message 0.
    pub config: Config,
    /// Withdrawals appended to the outbox so far.
    pub outbox_count: u64,
    /// Root of the forced-transaction queue.
    pub forced_root: [u8; 32],
    /// Queue entries executed.
    pub forced_head: u64,
    /// Queue entries appended.
    pub forced_tail: u64,
    /// Sequence number of the last batch executed.
    pub last_batch_seq: u64,
    /// Whether its claimed state root was the one reached.
    pub last_batch_root_matched: bool,
}

impl System {
    /// The record's bytes, at the front of a word buffer (hashed in place).
    fn encode(&self) -> Buf<4> {
        let mut buf = Buf::<4>::new();
        let b = buf.bytes_mut();
        b[0] = TAG_SYSTEM;
        b[1..9].copy_from_slice(&self.config.chain_id.to_be_bytes());
        b[9..29].copy_from_slice(&self.config.inbox);
        b[29..37].copy_from_slice(&self.config.force_delay.to_be_bytes());
        b[37..45].copy_from_slice(&self.outbox_count.to_be_bytes());
        b[45..77].copy_from_slice(&self.forced_root);
        b[77..85].copy_from_slice(&self.forced_head.to_be_bytes());
        b[85..93].copy_from_slice(&self.forced_tail.to_be_bytes());
        b[93..101].copy_from_slice(&self.last_batch_seq.to_be_bytes());
        b[101] = self.last_batch_root_matched as u8;
        buf
    }

    fn decode(b: &[u8]) -> Result<System, Corrupt> {
        if b.len() != SYSTEM_BYTES || b[0] != TAG_SYSTEM || b[101] > 1 {
            return Err(Corrupt);
        }
        let u64_at = |at: usize| u64::from_be_bytes(b[at..at + 8].try_into().unwrap());
        Ok(System {
            config: Config {
                chain_id: u64_at(1),
                inbox: b[9..29].try_into().unwrap(),
                force_delay: u64_at(29),
            },
            outbox_count: u64_at(37),
            forced_root: b[45..77].try_into().unwrap(),
            forced_head: u64_at(77),
            forced_tail: u64_at(85),
            last_batch_seq: u64_at(93),
            last_batch_root_matched: b[101] == 1,
        })
    }
}

/// The state a block works on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct State {
    /// Root of the account trie.
    pub accounts_root: [u8; 32],
    /// The system record.
    pub system: System,
}

impl State {
    /// The state behind `state_root`; `None` for the unconfigured chain (`0x00…00`).
    pub fn load<E: Env + ?Sized>(
        env: &mut E,
        state_root: &[u8; 32],
    ) -> Result<Option<State>, Corrupt> {
        if *state_root == [0u8; 32] {
            return Ok(None);
        }
        let mut buf = Buf::<3>::new();
        let n = env.preimage(state_root, &mut buf.0);
        let b = buf.bytes();
        if n != 65 || b[0] != TAG_STATE {
            return Err(Corrupt);
        }
        let accounts_root: [u8; 32] = b[1..33].try_into().unwrap();
        let system_hash: [u8; 32] = b[33..65].try_into().unwrap();
        // One word more than the record, so a longer preimage reads as the wrong length.
        let mut buf = Buf::<4>::new();
        let n = env.preimage(&system_hash, &mut buf.0);
        Ok(Some(State {
            accounts_root,
            system: System::decode(&buf.bytes()[..n])?,
        }))
    }

    /// Writes the state; returns its root.
    pub fn store<E: Env + ?Sized>(&self, env: &mut E) -> [u8; 32] {
        let system = env.keccak(&self.system.encode().bytes()[..SYSTEM_BYTES]);
        keccak_pair(env, TAG_STATE, &self.accounts_root, &system)
    }

    /// The account at `address` (zero if it never received anything).
    pub fn account<E: Env + ?Sized>(
        &self,
        env: &mut E,
        address: &[u8; 20],
    ) -> Result<Account, Corrupt> {
        Ok(ACCOUNTS
            .get(env, &self.accounts_root, address)?
            .map(|v| Account::from_bytes(&v))
            .unwrap_or_default())
    }

    /// The account at `address` and its path in the account trie, for
    /// [`State::set_account_at`] (a read-then-write walks the trie once).
    pub fn account_path<E: Env + ?Sized>(
        &self,
        env: &mut E,
        address: &[u8; 20],
    ) -> Result<(Account, AccountPath), Corrupt> {
        let (value, path) = ACCOUNTS.locate(env, &self.accounts_root, address)?;
        Ok((
            value.map(|v| Account::from_bytes(&v)).unwrap_or_default(),
            path,
        ))
    }

    /// Sets the account of `path` (from [`State::account_path`]). If the accounts changed
    /// since the path was taken, it is walked again: never a write on a stale path.
    pub fn set_account_at<E: Env + ?Sized>(
        &mut self,
        env: &mut E,
        path: &AccountPath,
        account: Account,
    ) -> Result<(), Corrupt> {
        self.accounts_root = if path.root == self.accounts_root {
            ACCOUNTS.set_at(env, path, &account.to_bytes())?
        } else {
            ACCOUNTS.set(env, &self.accounts_root, &path.key, &account.to_bytes())?
        };
        Ok(())
    }

    /// Sets the account at `address`.
    pub fn set_account<E: Env + ?Sized>(
        &mut self,
        env: &mut E,
        address: &[u8; 20],
        account: Account,
    ) -> Result<(), Corrupt> {
        self.accounts_root =
            ACCOUNTS.set(env, &self.accounts_root, address, &account.to_bytes())?;
        Ok(())
    }
}
