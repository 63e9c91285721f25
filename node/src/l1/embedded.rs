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

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;
use std::time::{SystemTime, UNIX_EPOCH};

use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use fuse_contracts::evm::{CallOutcome, Evm, EvmError};

use super::{DevClock, L1, L1Error, L1Head, L1Log, L1Receipt, L1Tx};

/// Where block timestamps come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EmbeddedClock {
    /// Starts at the given time; each block is one second after the last, and only
    /// [`DevClock::advance`] moves it further. Tests use this.
    Manual(u64),
    /// The system clock (never going back, at least one second a block). The devnet uses this.
    System,
}

struct Chain {
    evm: Evm,
    clock: EmbeddedClock,
    head: L1Head,
    logs: Vec<L1Log>,
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
        let time = (self.head.timestamp + min_step).max(self.now());
        self.head = L1Head {
            number: self.head.number + 1,
            timestamp: time,
        };
        self.evm.set_block(self.head.number, self.head.timestamp);
    }

    fn receipt(&mut self, from: Address, nonce: u64, out: CallOutcome) -> L1Receipt {
        let tx_hash = embedded_tx_hash(from, nonce);
        let logs: Vec<L1Log> = out
            .logs
            .into_iter()
            .map(|log| L1Log {
                log,
                block_number: self.head.number,
                tx_hash,
            })
            .collect();
        self.logs.extend(logs.iter().cloned());
        L1Receipt {
            tx_hash,
            block_number: self.head.number,
            gas_used: out.gas_used,
            contract_address: None,
            logs,
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
                };
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

    async fn send(&self, tx: L1Tx) -> Result<L1Receipt, L1Error> {
        let from = self.from;
        self.with(move |chain| {
            chain.next_block(1);
            let nonce = chain.evm.nonce(from);
            match tx.to {
                Some(to) => {
                    let out = chain
                        .evm
                        .send(from, to, &tx.data, tx.value)
                        .map_err(map_err)?;
                    Ok(chain.receipt(from, nonce, out))
                }
                None => {
                    let (address, out) = chain.evm.deploy_from(from, &tx.data).map_err(map_err)?;
                    let mut receipt = chain.receipt(from, nonce, out);
                    receipt.contract_address = Some(address);
                    Ok(receipt)
                }
            }
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
pub fn embedded_tx_hash(from: Address, nonce: u64) -> B256 {
    keccak256([from.as_slice(), &nonce.to_be_bytes()].concat())
}
