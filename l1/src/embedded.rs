//! The embedded L1: the project's in-process EVM ([`Evm`], revm at the pinned fork) made into
//! a chain — every transaction is mined in its own block, blocks carry timestamps from a clock
//! ([`EmbeddedClock`]: manual for tests, the system clock for the devnet), and events are kept
//! with their block so [`L1::logs`] answers like `eth_getLogs`.
//!
//! Accounts are not signed for: a handle sends as the address it was made for
//! ([`EmbeddedL1::as_account`]); all handles share one chain. Transaction hashes are
//! `keccak256(sender ‖ nonce)`, unique on this chain (there is no signed transaction to hash).
//!
//! revm's EVM is not `Send` (its interpreter shares buffers through `Rc`), so the chain lives
//! on its own thread and handles send it jobs; each answer comes back on a oneshot channel, and
//! the chain executes one transaction at a time, like a real one.

mod eth;

pub(crate) use eth::Simulation;
pub use eth::{BlockSel, RawTxError};

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;
use std::time::{SystemTime, UNIX_EPOCH};

use alloy::consensus::Header;
use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use fuse_contracts::evm::{Evm, EvmError, Transact, TxKind};

use super::{DevClock, L1, L1Error, L1Head, L1Log, L1Receipt, L1Tx};

/// Where block timestamps come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EmbeddedClock {
    /// Starts at the given time; each block is one second after the last, and only
    /// [`DevClock::advance`] moves it further. Tests use this.
    Manual(u64),
    /// The system clock (never going back; blocks within one second share its timestamp). The
    /// devnet uses this.
    System,
}

struct Chain {
    evm: Evm,
    clock: EmbeddedClock,
    head: L1Head,
    logs: Vec<L1Log>,
    /// Every block, by number (block 0 is genesis).
    blocks: Vec<EmbeddedBlock>,
    /// Lookups only (never iterated), so the map's order cannot leak anywhere.
    block_numbers: HashMap<B256, u64>,
    mined: HashMap<B256, Mined>,
}

/// A block of the embedded chain. Its header is a real Ethereum header (hashed as one) with
/// the fields this chain has: parent, number, timestamp, gas limit and used, a zero base fee;
/// the state, transaction and receipt roots are left empty — the chain keeps no tries.
#[derive(Clone, Debug)]
pub struct EmbeddedBlock {
    /// Its Ethereum header, with the fields above set.
    pub header: Header,
    /// The block hash: `keccak256` of the RLP-encoded header, as on Ethereum.
    pub hash: B256,
    /// At most one: every transaction is mined in its own block.
    pub txs: Vec<B256>,
}

/// A mined transaction (succeeded or not), as a receipt reports it.
#[derive(Clone, Debug)]
pub struct Mined {
    /// The transaction hash: keccak of its EIP-2718 encoding for a signed transaction,
    /// `keccak256(sender ‖ nonce)` for the chain's own unsigned sends.
    pub hash: B256,
    /// The sender: the recovered signer, or the account of the handle that sent it.
    pub from: Address,
    /// The account called, `None` for a contract creation.
    pub to: Option<Address>,
    /// The block it was mined in (a block of its own).
    pub block_number: u64,
    /// Whether it ran to the end; `false` for a revert or a halt (receipt status 0).
    pub success: bool,
    /// Gas it spent, also its block's gas used.
    pub gas_used: u64,
    /// The contract a successful creation deployed.
    pub contract_address: Option<Address>,
    /// The events it emitted; empty when it failed (a failed run's logs are discarded).
    pub logs: Vec<alloy_primitives::Log>,
    /// The EIP-2718 type of the signed transaction (2 for the chain's own unsigned sends).
    pub tx_type: u8,
}

impl Chain {
    fn now(&self) -> u64 {
        match self.clock {
            EmbeddedClock::Manual(_) => 0,
            EmbeddedClock::System => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0),
        }
    }

    /// Opens the next block, at least `min_step` seconds after the last.
    fn next_block(&mut self, min_step: u64) {
        let time = self.head.timestamp.saturating_add(min_step).max(self.now());
        let parent_hash = self.blocks.last().map(|b| b.hash).unwrap_or_default();
        self.head = L1Head {
            number: self.head.number + 1,
            timestamp: time,
        };
        self.push_block(parent_hash);
    }

    fn push_block(&mut self, parent_hash: B256) {
        let header = Header {
            parent_hash,
            number: self.head.number,
            timestamp: self.head.timestamp,
            gas_limit: Evm::BLOCK_GAS_LIMIT,
            base_fee_per_gas: Some(0),
            ..Header::default()
        };
        let hash = header.hash_slow();
        self.block_numbers.insert(hash, header.number);
        self.blocks.push(EmbeddedBlock {
            header,
            hash,
            txs: Vec::new(),
        });
        self.evm.set_block(self.head.number, self.head.timestamp);
    }

    /// Drops the block just opened for a transaction that turned out invalid (never mined).
    fn drop_block(&mut self) {
        if let Some(b) = self.blocks.pop() {
            self.block_numbers.remove(&b.hash);
        }
        let last = &self.blocks.last().expect("genesis stays").header;
        self.head = L1Head {
            number: last.number,
            timestamp: last.timestamp,
        };
        self.evm.set_block(self.head.number, self.head.timestamp);
    }

    /// Mines `tx` under `hash` in a block of its own. An invalid transaction (nonce, funds,
    /// gas) is not mined; a reverted one is, with a failed receipt, as on a real chain.
    fn mine(&mut self, hash: B256, tx: Transact<'_>, tx_type: u8) -> Result<L1Receipt, L1Error> {
        // On the system clock, blocks mined within one second share its timestamp: a burst of
        // transactions must not push the chain's time ahead of the wall clock (deadlines and
        // challenge clocks would then lag real time by a second a transaction).
        let step = match self.clock {
            EmbeddedClock::Manual(_) => 1,
            EmbeddedClock::System => 0,
        };
        self.next_block(step);
        let result = self.evm.transact(tx);
        let (success, gas_used, contract_address, logs, error) = match result {
            Ok((out, address)) => (true, out.gas_used, address, out.logs, None),
            Err(EvmError::Revert { output, gas_used }) => (
                false,
                gas_used,
                None,
                Vec::new(),
                Some(L1Error::Reverted { data: output }),
            ),
            Err(EvmError::Halt { reason, gas_used }) => (
                false,
                gas_used,
                None,
                Vec::new(),
                Some(L1Error::Rejected(format!("halted: {reason}"))),
            ),
            Err(e) => {
                self.drop_block();
                return Err(map_err(e));
            }
        };
        let block = self.blocks.last_mut().expect("just opened");
        self.block_numbers.remove(&block.hash);
        block.header.gas_used = gas_used;
        block.txs.push(hash);
        block.hash = block.header.hash_slow();
        self.block_numbers.insert(block.hash, block.header.number);
        let to = match tx.kind {
            TxKind::Call(to) => Some(to),
            TxKind::Create => None,
        };
        let mined = Mined {
            hash,
            from: tx.from,
            to,
            block_number: self.head.number,
            success,
            gas_used,
            contract_address,
            logs,
            tx_type,
        };
        let l1_logs: Vec<L1Log> = mined
            .logs
            .iter()
            .map(|log| L1Log {
                log: log.clone(),
                block_number: self.head.number,
                tx_hash: hash,
            })
            .collect();
        self.logs.extend(l1_logs.iter().cloned());
        self.mined.insert(hash, mined);
        match error {
            Some(e) => Err(e),
            None => Ok(L1Receipt {
                tx_hash: hash,
                block_number: self.head.number,
                gas_used,
                contract_address,
                logs: l1_logs,
            }),
        }
    }
}

fn map_err(e: EvmError) -> L1Error {
    match e {
        EvmError::Revert { output, .. } => L1Error::Reverted { data: output },
        EvmError::Halt { reason, .. } => L1Error::Rejected(format!("halted: {reason}")),
        EvmError::Invalid(s) => L1Error::Rejected(s),
        EvmError::NoAddress => L1Error::Rejected("deployment returned no address".into()),
    }
}

type Job = Box<dyn FnOnce(&mut Chain) + Send>;

/// A handle on the embedded chain, sending as one account.
#[derive(Clone)]
pub struct EmbeddedL1 {
    jobs: mpsc::Sender<Job>,
    from: Address,
}

impl EmbeddedL1 {
    /// A fresh chain at block 1 on its own thread (which ends when the last handle is
    /// dropped); the returned handle's account holds 10^24 wei.
    pub fn new(clock: EmbeddedClock) -> EmbeddedL1 {
        let (jobs, rx) = mpsc::channel::<Job>();
        let from = Evm::new().sender;
        std::thread::Builder::new()
            .name("embedded-l1".into())
            .spawn(move || {
                let start = match clock {
                    EmbeddedClock::Manual(t) => t,
                    EmbeddedClock::System => 0,
                };
                let mut chain = Chain {
                    evm: Evm::new(),
                    clock,
                    head: L1Head {
                        number: 0,
                        timestamp: start,
                    },
                    logs: Vec::new(),
                    blocks: Vec::new(),
                    block_numbers: HashMap::new(),
                    mined: HashMap::new(),
                };
                chain.push_block(B256::ZERO);
                chain.next_block(0);
                while let Ok(job) = rx.recv() {
                    // A job that panics loses only its own answer (its caller sees the L1
                    // as stopped for that call); the chain keeps what was committed.
                    let _ = catch_unwind(AssertUnwindSafe(|| job(&mut chain)));
                }
            })
            .expect("spawning the embedded L1's thread");
        EmbeddedL1 { jobs, from }
    }

    /// A handle on the same chain sending as `account`.
    pub fn as_account(&self, account: Address) -> EmbeddedL1 {
        EmbeddedL1 {
            jobs: self.jobs.clone(),
            from: account,
        }
    }

    /// Sets the balance of `who` (a faucet for dev accounts).
    pub async fn fund(&self, who: Address, wei: U256) -> Result<(), L1Error> {
        self.with(move |c| c.evm.fund(who, wei)).await
    }

    /// Runs `f` on the chain's thread and returns its answer.
    async fn with<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Chain) -> R + Send + 'static,
    ) -> Result<R, L1Error> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |c| {
            let _ = tx.send(f(c));
        });
        let stopped = || L1Error::Transport("the embedded L1 has stopped".into());
        self.jobs.send(job).map_err(|_| stopped())?;
        rx.await.map_err(|_| stopped())
    }
}

impl L1 for EmbeddedL1 {
    fn signer(&self) -> Address {
        self.from
    }

    async fn head(&self) -> Result<L1Head, L1Error> {
        self.with(|c| c.head).await
    }

    async fn block_hash(&self, number: u64) -> Result<Option<B256>, L1Error> {
        // A block's hash is final once its job returns: every transaction gets a block of
        // its own, hashed before the job ends.
        self.with(move |c| {
            let i = usize::try_from(number).ok()?;
            c.blocks
                .get(i)
                .filter(|b| b.header.number == number)
                .map(|b| b.hash)
        })
        .await
    }

    async fn send(&self, tx: L1Tx) -> Result<L1Receipt, L1Error> {
        let from = self.from;
        self.with(move |chain| {
            let hash = embedded_tx_hash(from, chain.evm.nonce(from));
            let kind = match tx.to {
                Some(to) => TxKind::Call(to),
                None => TxKind::Create,
            };
            let receipt = chain.mine(hash, Transact::commit(from, kind, &tx.data, tx.value), 2)?;
            if tx.to.is_none() && receipt.contract_address.is_none() {
                return Err(L1Error::Rejected("deployment returned no address".into()));
            }
            Ok(receipt)
        })
        .await?
    }

    async fn call(&self, to: Address, data: Bytes) -> Result<Bytes, L1Error> {
        let me = self.from;
        self.with(move |chain| {
            let sender = std::mem::replace(&mut chain.evm.sender, me);
            let out = chain.evm.call(to, &data);
            chain.evm.sender = sender;
            out.map(|o| o.output).map_err(map_err)
        })
        .await?
    }

    async fn logs(&self, address: Address, from: u64, to: u64) -> Result<Vec<L1Log>, L1Error> {
        self.with(move |chain| {
            chain
                .logs
                .iter()
                .filter(|l| l.log.address == address && (from..=to).contains(&l.block_number))
                .cloned()
                .collect()
        })
        .await
    }

    async fn balance(&self, who: Address) -> Result<U256, L1Error> {
        self.with(move |c| c.evm.balance(who)).await
    }

    async fn nonce(&self, who: Address) -> Result<u64, L1Error> {
        self.with(move |c| c.evm.nonce(who)).await
    }
}

impl DevClock for EmbeddedL1 {
    async fn advance(&self, seconds: u64) -> Result<(), L1Error> {
        self.with(move |c| c.next_block(seconds.max(1))).await
    }
}

/// The tx hash the embedded chain gives `from`'s transaction with `nonce`.
pub(crate) fn embedded_tx_hash(from: Address, nonce: u64) -> B256 {
    keccak256([from.as_slice(), &nonce.to_be_bytes()].concat())
}
