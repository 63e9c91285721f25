//! The workload of `bench stf`: a chain whose genesis holds many funded accounts (1,000 of
//! them sign), the messages it sends, and each message run in the stepping machine, the
//! wasmtime twin and natively, with the three checked against each other.

use std::time::Instant;

use alloy::signers::SignerSync;
use alloy::signers::local::PrivateKeySigner;
use alloy_primitives::{B256, keccak256};
use anyhow::{Context as _, bail, ensure};
use fuse_arbos::batch::{self, BatchHeader};
use fuse_arbos::message::{Config, Header, KIND_BATCH, KIND_CONFIG, message};
use fuse_arbos::state::{Account, State};
use fuse_arbos::stf::{self, BlockReport, execute_block};
use fuse_arbos::testing::MemoryEnv;
use fuse_arbos::trie::ACCOUNTS;
use fuse_arbos::tx::{self, Domain, SignedTx};
use fuse_prover::block::{ChainHost, Executor};
use fuse_twin::TwinExit;
use fuse_vm::Status;

pub(crate) const CHAIN_ID: u64 = 412_346;
pub(crate) const INBOX: [u8; 20] = [0x1b; 20];
pub(crate) const FORCE_DELAY: u64 = 60;
/// Accounts that sign; the rest of a chain's accounts only exist in the trie.
pub(crate) const SENDERS: usize = 1_000;

/// A chain under measurement: the native STF and a host for the guest, kept in step.
pub(crate) struct Chain {
    pub(crate) env: MemoryEnv,
    pub(crate) host: ChainHost,
    pub(crate) gs: stf::GlobalState,
    pub(crate) now: u64,
    pub(crate) seq: u64,
    pub(crate) keys: Vec<PrivateKeySigner>,
    pub(crate) senders: Vec<[u8; 20]>,
    pub(crate) nonces: Vec<u64>,
    pub(crate) domain: [u8; 32],
    /// Seconds of L1 time between messages.
    pub(crate) clock_step: u64,
}

/// One block, measured.
pub(crate) struct Block {
    pub(crate) steps: u64,
    pub(crate) memory_pages: u32,
    pub(crate) machine_s: f64,
    pub(crate) twin_s: f64,
    pub(crate) native_s: f64,
    pub(crate) report: BlockReport,
}

impl Chain {
    /// A configured chain whose genesis holds `accounts` funded accounts.
    pub(crate) fn genesis(accounts: u64) -> anyhow::Result<Chain> {
        let mut env = MemoryEnv {
            ecrecover: Some(fuse_vm::host::ecrecover),
            ..MemoryEnv::default()
        };
        let config = Config {
            chain_id: CHAIN_ID,
            inbox: INBOX,
            force_delay: FORCE_DELAY,
        };
        let now = 1_700_000_000;
        let first = message(
            &Header {
                kind: KIND_CONFIG,
                l1_block_number: 100,
                l1_timestamp: now,
            },
            &config.encode(),
        );
        env.inbox = first.clone();
        let (mut gs, _) = execute_block(&mut env, stf::GlobalState::default())
            .map_err(|_| anyhow::anyhow!("the Config block failed"))?;
        let keys: Vec<PrivateKeySigner> = (0..SENDERS as u64)
            .map(|i| PrivateKeySigner::from_bytes(&keccak256(i.to_be_bytes())))
            .collect::<Result<_, _>>()?;
        let senders: Vec<[u8; 20]> = keys.iter().map(|k| k.address().into()).collect();
        let rich = Account {
            balance: 1 << 100,
            nonce: 0,
        }
        .to_bytes();
        let funded = Account {
            balance: 1 << 60,
            nonce: 0,
        }
        .to_bytes();
        let mut entries: Vec<([u8; 20], [u8; 24])> = senders.iter().map(|a| (*a, rich)).collect();
        for i in senders.len() as u64..accounts {
            let h = keccak256([b"account".as_slice(), &i.to_be_bytes()].concat());
            entries.push((h[12..].try_into().expect("20 bytes"), funded));
        }
        entries.sort_unstable_by_key(|e| e.0);
        entries.dedup_by_key(|e| e.0);
        let mut state = State::load(&mut env, &gs.state_root)
            .ok()
            .flatten()
            .context("the configured state loads")?;
        state.accounts_root = ACCOUNTS.build(&mut env, &entries);
        gs.state_root = state.store(&mut env).into();
        let host = ChainHost::new();
        {
            let mut store = host.store();
            store.push_message(&first);
            for (h, p) in &env.preimages {
                store.insert_preimage(B256::from(*h), p);
            }
        }
        let domain = tx::domain_separator(
            &mut env,
            &Domain {
                chain_id: CHAIN_ID,
                inbox: INBOX,
            },
        );
        Ok(Chain {
            env,
            host,
            gs,
            now,
            seq: 0,
            keys,
            senders,
            nonces: vec![0; SENDERS],
            domain,
            clock_step: 12,
        })
    }

    pub(crate) fn header(&self, kind: u8) -> Header {
        Header {
            kind,
            l1_block_number: 100 + self.gs.inbox_position,
            l1_timestamp: self.now,
        }
    }

    /// A transaction from sender `from`, signed with its next nonce.
    pub(crate) fn sign(&mut self, from: usize, kind: u8, to: [u8; 20], amount: u128) -> SignedTx {
        let mut t = SignedTx {
            kind,
            to,
            amount,
            nonce: self.nonces[from],
            r: [0; 32],
            s: [0; 32],
            v: 0,
        };
        self.nonces[from] += 1;
        let digest = tx::digest(&mut self.env, &self.domain, &t).expect("a known kind");
        let sig = self.keys[from]
            .sign_hash_sync(&B256::from(digest))
            .expect("signing a digest");
        t.r = sig.r().to_be_bytes();
        t.s = sig.s().to_be_bytes();
        t.v = 27 + sig.v() as u8;
        t
    }

    /// `n` transfers (or withdrawals) among the senders, each from a different sender while
    /// there are enough of them.
    pub(crate) fn txs(&mut self, n: usize, kind: u8) -> Vec<SignedTx> {
        (0..n)
            .map(|i| {
                let from = i % SENDERS;
                let to = self.senders[(i * 7 + 1) % SENDERS];
                self.sign(from, kind, to, 1 + i as u128)
            })
            .collect()
    }

    /// The data [`Chain::batch_data`] will produce next, without taking the sequence number.
    pub(crate) fn clone_batch_data(&mut self, txs: &[SignedTx]) -> Vec<u8> {
        let data = self.batch_data(txs);
        self.seq -= 1;
        data
    }

    /// The data of a batch of `txs` with the next sequence number and the right tx root.
    pub(crate) fn batch_data(&mut self, txs: &[SignedTx]) -> Vec<u8> {
        self.seq += 1;
        let h = BatchHeader {
            seq: self.seq,
            tx_root: batch::tx_root(&mut self.env, txs),
            claimed_state_root: [0; 32],
        };
        batch::encode_batch(&h, txs)
    }

    /// A machine at the start of the block of a new message, and its host.
    pub(crate) fn machine_for(
        &mut self,
        ex: &Executor,
        kind: u8,
        data: &[u8],
    ) -> anyhow::Result<(fuse_vm::Machine, ChainHost)> {
        let msg = message(&self.header(kind), data);
        let pos = self.host.store().push_message(&msg);
        ensure!(pos == self.gs.inbox_position, "inbox out of step");
        Ok((ex.machine(self.gs), self.host.clone()))
    }

    /// Executes one message in the machine, the twin and natively; checks they agree.
    pub(crate) fn run(&mut self, ex: &Executor, kind: u8, data: &[u8]) -> anyhow::Result<Block> {
        self.now += self.clock_step;
        let msg = message(&self.header(kind), data);
        let pos = self.host.store().push_message(&msg);
        ensure!(pos == self.gs.inbox_position, "inbox out of step");
        let gs = self.gs;
        let t = Instant::now();
        let run = ex.run_machine(&mut self.host, gs)?;
        let machine_s = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let twin = ex.run_twin(self.host.clone(), gs, fuse_twin::BLOCK_FUEL)?;
        let twin_s = t.elapsed().as_secs_f64();
        self.env.inbox = msg;
        let t = Instant::now();
        let (next, report) = execute_block(&mut self.env, self.gs)
            .map_err(|_| anyhow::anyhow!("the native STF found a corrupt state"))?;
        let native_s = t.elapsed().as_secs_f64();
        if run.status != Status::Finished {
            bail!(
                "the machine ended {:?} on a kind-{kind} message",
                run.status
            );
        }
        ensure!(run.global_state == next, "machine and native STF disagree");
        ensure!(
            twin == TwinExit::Finished(next),
            "twin and native STF disagree: {twin:?}"
        );
        self.gs = next;
        Ok(Block {
            steps: run.steps,
            memory_pages: run.memory_pages,
            machine_s,
            twin_s,
            native_s,
            report,
        })
    }

    pub(crate) fn batch(&mut self, ex: &Executor, txs: &[SignedTx]) -> anyhow::Result<Block> {
        let data = self.batch_data(txs);
        let b = self.run(ex, KIND_BATCH, &data)?;
        let ok = b
            .report
            .receipts
            .iter()
            .filter(|r| r.result.is_ok())
            .count();
        ensure!(
            ok == txs.len(),
            "{} of {} transactions executed",
            ok,
            txs.len()
        );
        Ok(b)
    }
}
