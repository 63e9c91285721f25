//! Three-way agreement (ArbOS issue, "Done when"): on generated inboxes — valid traffic,
//! forced transactions across the delay, and garbage in every field — the native state
//! transition, the committed guest in the wasmtime twin and the same guest in the stepping
//! machine reach identical global states after every message, and the machine's run ends
//! `Finished` (never `Errored`) for every message. If they ever disagreed, an honest
//! validator (twin) could lose a dispute the machine settles.
//!
//! Case counts scale with `FUSE_TEST_SCALE` (DESIGN.md rule 16).

#[path = "../../vm/arbos/tests/common/mod.rs"]
mod common;

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use alloy::signers::local::PrivateKeySigner;
use common::{CHAIN_ID, INBOX, sign, sign_on, wallet};
use fuse_arbos::batch::{self, BatchHeader};
use fuse_arbos::message::{
    Config, Deposit, Header, KIND_BATCH, KIND_CONFIG, KIND_DEPOSIT, KIND_FORCED_TX, KIND_TICK,
    message,
};
use fuse_arbos::state::State;
use fuse_arbos::stf::{self, execute_block};
use fuse_arbos::testing::MemoryEnv;
use fuse_arbos::tx::{KIND_TRANSFER, KIND_WITHDRAW, SignedTx};
use fuse_prover::block::{ChainHost, Executor, to_vm};
use fuse_vm::twin::TwinExit;
use fuse_vm::{GlobalState, MAX_STEPS, Status};
use proptest::prelude::*;

const FORCE_DELAY: u64 = 60;
const ACCOUNTS: u8 = 5;

fn executor() -> &'static Executor {
    static E: OnceLock<Executor> = OnceLock::new();
    E.get_or_init(|| Executor::guest().expect("the committed guest loads and compiles"))
}

fn wallets() -> &'static Vec<PrivateKeySigner> {
    static W: OnceLock<Vec<PrivateKeySigner>> = OnceLock::new();
    W.get_or_init(|| (1..=ACCOUNTS).map(wallet).collect())
}

fn address(i: u8) -> [u8; 20] {
    wallets()[(i % ACCOUNTS) as usize].address().into()
}

/// An amount, biased to the edges the STF checks.
#[derive(Clone, Copy, Debug)]
enum Amount {
    Small(u64),
    Zero,
    Max,
    NearMax(u16),
}

impl Amount {
    fn value(self) -> u128 {
        match self {
            Amount::Small(v) => v as u128,
            Amount::Zero => 0,
            Amount::Max => u128::MAX,
            Amount::NearMax(d) => u128::MAX - d as u128,
        }
    }
}

/// What may be wrong with a signed transaction.
#[derive(Clone, Copy, Debug)]
enum TxFault {
    None,
    /// A byte of the signed encoding flipped (any field: kind, to, amount, nonce, r, s, v).
    FlipByte(u8, u8),
    /// `s` replaced by `n − s` with `v` flipped: the same signer, but high-s.
    HighS,
    /// Signed for another chain.
    WrongChain,
}

#[derive(Clone, Copy, Debug)]
struct TxPlan {
    withdraw: bool,
    from: u8,
    to: u8,
    amount: Amount,
    /// Added to the sender's current nonce (−1: replay, +1: from the future).
    nonce_skew: i8,
    fault: TxFault,
}

/// What may be wrong with a batch as a whole.
#[derive(Clone, Debug)]
enum BatchFault {
    None,
    /// The claimed state root is right (otherwise it is zero: advisory either way).
    HonestClaim,
    FlipByte(u16, u8),
    Truncate(u16),
    WrongTxRoot,
    /// A size prefix over the cap (a decompression bomb's announcement).
    Bomb,
    /// The compressed payload replaced by random bytes.
    Garbage(Vec<u8>),
}

#[derive(Clone, Debug)]
enum Plan {
    Deposit(u8, Amount),
    Batch(Vec<TxPlan>, BatchFault),
    Forced(TxPlan),
    Tick(u16),
    /// A message with a random header (any kind, any L1 block and time) and random data.
    Garbage(u8, u64, u64, Vec<u8>),
}

/// Deposits are larger than transfers, so most valid-looking transfers are covered.
fn amount(small: std::ops::Range<u64>) -> impl Strategy<Value = Amount> {
    prop_oneof![
        8 => small.prop_map(Amount::Small),
        1 => Just(Amount::Zero),
        1 => Just(Amount::Max),
        1 => any::<u16>().prop_map(Amount::NearMax),
    ]
}

fn tx_plan() -> impl Strategy<Value = TxPlan> {
    let fault = prop_oneof![
        8 => Just(TxFault::None),
        1 => (any::<u8>(), 1u8..).prop_map(|(at, x)| TxFault::FlipByte(at, x)),
        1 => Just(TxFault::HighS),
        1 => Just(TxFault::WrongChain),
    ];
    let skew = prop_oneof![8 => Just(0i8), 1 => Just(-1i8), 1 => Just(1i8)];
    (
        prop::bool::weighted(0.2),
        0..ACCOUNTS,
        0..ACCOUNTS,
        amount(1..300),
        skew,
        fault,
    )
        .prop_map(|(withdraw, from, to, amount, nonce_skew, fault)| TxPlan {
            withdraw,
            from,
            to,
            amount,
            nonce_skew,
            fault,
        })
}

fn batch_fault() -> impl Strategy<Value = BatchFault> {
    prop_oneof![
        4 => Just(BatchFault::None),
        3 => Just(BatchFault::HonestClaim),
        1 => (any::<u16>(), 1u8..).prop_map(|(at, x)| BatchFault::FlipByte(at, x)),
        1 => any::<u16>().prop_map(BatchFault::Truncate),
        1 => Just(BatchFault::WrongTxRoot),
        1 => Just(BatchFault::Bomb),
        1 => prop::collection::vec(any::<u8>(), 0..300).prop_map(BatchFault::Garbage),
    ]
}

fn plan() -> impl Strategy<Value = Plan> {
    prop_oneof![
        3 => (0..ACCOUNTS, amount(1_000..100_000)).prop_map(|(to, a)| Plan::Deposit(to, a)),
        4 => (prop::collection::vec(tx_plan(), 0..12), batch_fault())
            .prop_map(|(txs, f)| Plan::Batch(txs, f)),
        2 => tx_plan().prop_map(Plan::Forced),
        2 => any::<u16>().prop_map(|s| Plan::Tick(s % 180)),
        1 => (0u8..8, any::<u64>(), any::<u64>(), prop::collection::vec(any::<u8>(), 0..200))
            .prop_map(|(k, b, t, d)| Plan::Garbage(k, b, t, d)),
    ]
}

/// The native chain, which also turns plans into messages (it knows the nonces).
struct Native {
    env: MemoryEnv,
    gs: stf::GlobalState,
    now: u64,
    seq: u64,
    /// Transactions of the batch being built that should advance their sender's nonce.
    pending: [u64; ACCOUNTS as usize],
}

impl Native {
    fn nonce(&mut self, i: u8) -> u64 {
        match State::load(&mut self.env, &self.gs.state_root).expect("honest host") {
            Some(s) => s.account(&mut self.env, &address(i)).unwrap().nonce,
            None => 0,
        }
    }

    fn tx(&mut self, p: &TxPlan) -> SignedTx {
        let signer = &wallets()[p.from as usize];
        let nonce = (self.nonce(p.from) + self.pending[p.from as usize])
            .wrapping_add_signed(p.nonce_skew as i64);
        if p.nonce_skew == 0
            && matches!(p.fault, TxFault::None)
            && matches!(p.amount, Amount::Small(_))
            && (p.withdraw || p.from != p.to)
        {
            self.pending[p.from as usize] += 1;
        }
        let kind = if p.withdraw {
            KIND_WITHDRAW
        } else {
            KIND_TRANSFER
        };
        let mut t = match p.fault {
            TxFault::WrongChain => sign_on(
                signer,
                CHAIN_ID + 1,
                kind,
                address(p.to),
                p.amount.value(),
                nonce,
            ),
            _ => sign(signer, kind, address(p.to), p.amount.value(), nonce),
        };
        match p.fault {
            TxFault::FlipByte(at, x) => {
                let mut bytes = t.encode();
                let i = at as usize % bytes.len();
                bytes[i] ^= x;
                // A flip that breaks the canonical encoding cannot be carried in a SignedTx;
                // it is then a garbage batch's business, so keep the tx as signed.
                if let Ok((d, [])) = SignedTx::decode(&bytes) {
                    t = d;
                }
            }
            TxFault::HighS => {
                t.s = high_s(&t.s);
                t.v ^= 27 ^ 28;
            }
            _ => {}
        }
        t
    }

    fn message(&mut self, p: &Plan) -> Vec<u8> {
        self.now += 7;
        let (kind, data) = match p {
            Plan::Deposit(to, a) => {
                let d = Deposit {
                    l1_sender: [0xee; 20],
                    to: address(*to),
                    amount: a.value(),
                };
                (KIND_DEPOSIT, d.encode())
            }
            Plan::Forced(t) => {
                let t = self.tx(t);
                self.pending = Default::default();
                (KIND_FORCED_TX, t.encode())
            }
            Plan::Tick(s) => {
                self.now += *s as u64;
                (KIND_TICK, Vec::new())
            }
            Plan::Garbage(kind, block, time, data) => {
                let h = Header {
                    kind: *kind,
                    l1_block_number: *block,
                    l1_timestamp: *time,
                };
                return message(&h, data);
            }
            Plan::Batch(txs, fault) => (KIND_BATCH, self.batch(txs, fault)),
        };
        let h = Header {
            kind,
            l1_block_number: 100 + self.gs.inbox_position,
            l1_timestamp: self.now,
        };
        message(&h, &data)
    }

    fn batch(&mut self, plans: &[TxPlan], fault: &BatchFault) -> Vec<u8> {
        self.seq += 1;
        let txs: Vec<SignedTx> = plans.iter().map(|p| self.tx(p)).collect();
        self.pending = Default::default();
        let mut header = BatchHeader {
            seq: self.seq,
            tx_root: batch::tx_root(&mut self.env, &txs),
            claimed_state_root: [0; 32],
        };
        if let BatchFault::HonestClaim = fault {
            // A probe run on a copy learns the root the transactions reach.
            let mut probe = self.env.clone();
            probe.inbox = message(
                &Header {
                    kind: KIND_BATCH,
                    l1_block_number: 100 + self.gs.inbox_position,
                    l1_timestamp: self.now,
                },
                &batch::encode_batch(&header, &txs),
            );
            let (_, r) = execute_block(&mut probe, self.gs).unwrap();
            header.claimed_state_root = r.batch.unwrap().reached.unwrap_or_default();
        }
        if let BatchFault::WrongTxRoot = fault {
            header.tx_root[0] ^= 1;
        }
        let mut data = batch::encode_batch(&header, &txs);
        match fault {
            BatchFault::FlipByte(at, x) => {
                let i = *at as usize % data.len();
                data[i] ^= x;
            }
            BatchFault::Truncate(n) => data.truncate(*n as usize % data.len()),
            BatchFault::Bomb => data[72..76].copy_from_slice(&u32::MAX.to_be_bytes()),
            BatchFault::Garbage(g) => {
                data.truncate(72);
                data.extend_from_slice(g);
            }
            _ => {}
        }
        data
    }

    fn execute(&mut self, message: &[u8]) -> stf::GlobalState {
        self.env.inbox = message.to_vec();
        let (gs, report) = execute_block(&mut self.env, self.gs).expect("an honest host");
        for r in &report.receipts {
            let n = if r.result.is_ok() {
                &EXECUTED
            } else {
                &SKIPPED
            };
            n.fetch_add(1, Ordering::Relaxed);
        }
        self.gs = gs;
        gs
    }
}

/// `n − s` for the secp256k1 order `n`.
fn high_s(s: &[u8; 32]) -> [u8; 32] {
    const N: [u8; 32] =
        alloy::hex!("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");
    let mut out = [0u8; 32];
    let mut borrow = 0i16;
    for i in (0..32).rev() {
        let d = N[i] as i16 - s[i] as i16 - borrow;
        borrow = (d < 0) as i16;
        out[i] = d.rem_euclid(256) as u8;
    }
    out
}

static MESSAGES: AtomicU64 = AtomicU64::new(0);
static STEPS: AtomicU64 = AtomicU64::new(0);
static MOST_STEPS: AtomicU64 = AtomicU64::new(0);
static EXECUTED: AtomicU64 = AtomicU64::new(0);
static SKIPPED: AtomicU64 = AtomicU64::new(0);

/// Runs a chain: Config, then the plans; checks the three executors after every message.
fn agree(plans: &[Plan]) -> Result<(), TestCaseError> {
    let mut native = Native {
        env: common::env(),
        gs: stf::GlobalState::default(),
        now: 1_700_000_000,
        seq: 0,
        pending: Default::default(),
    };
    native.env.ecrecover = Some(fuse_vm::host::ecrecover);
    let config = Config {
        chain_id: CHAIN_ID,
        inbox: INBOX,
        force_delay: FORCE_DELAY,
    };
    let first = message(
        &Header {
            kind: KIND_CONFIG,
            l1_block_number: 100,
            l1_timestamp: native.now,
        },
        &config.encode(),
    );
    let (twin_host, mut machine_host) = (ChainHost::new(), ChainHost::new());
    let mut gs = GlobalState::default();
    let ex = executor();
    // Every account starts funded, so most well-formed transactions execute.
    let funding: Vec<Plan> = (0..ACCOUNTS)
        .map(|a| Plan::Deposit(a, Amount::Small(1_000_000)))
        .collect();
    let all = funding.iter().chain(plans).map(Some);
    for (i, plan) in std::iter::once(None).chain(all).enumerate() {
        let msg = match plan {
            None => first.clone(),
            Some(p) => native.message(p),
        };
        twin_host.store().push_message(&msg);
        machine_host.store().push_message(&msg);
        let expected = to_vm(&native.execute(&msg));
        let run = ex
            .run_machine(&mut machine_host, gs)
            .expect("every input exists");
        prop_assert_eq!(
            run.status,
            Status::Finished,
            "message {} ({:?}) did not finish in the machine",
            i,
            plan
        );
        prop_assert_eq!(
            run.global_state,
            expected,
            "machine vs native at message {} ({:?})",
            i,
            plan
        );
        let twin = ex
            .run_twin(twin_host.clone(), gs, MAX_STEPS)
            .expect("every input exists");
        prop_assert_eq!(
            twin,
            TwinExit::Finished(expected),
            "twin vs native at message {} ({:?})",
            i,
            plan
        );
        gs = expected;
        MESSAGES.fetch_add(1, Ordering::Relaxed);
        STEPS.fetch_add(run.steps, Ordering::Relaxed);
        MOST_STEPS.fetch_max(run.steps, Ordering::Relaxed);
    }
    Ok(())
}

#[test]
fn native_twin_and_machine_agree_after_every_message() {
    let cases = fuse_vm::testing::cases(64);
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases,
        failure_persistence: None,
        rng_algorithm: proptest::test_runner::RngAlgorithm::ChaCha,
        ..ProptestConfig::default()
    });
    let result = runner.run(&prop::collection::vec(plan(), 1..24), |plans| agree(&plans));
    if let Err(e) = result {
        panic!("{e}");
    }
    println!(
        "three-way agreement: {} chains, {} messages compared (native = twin = machine), \
         {} txs executed and {} skipped, {} machine steps, at most {} in one block",
        cases,
        MESSAGES.load(Ordering::Relaxed),
        EXECUTED.load(Ordering::Relaxed),
        SKIPPED.load(Ordering::Relaxed),
        STEPS.load(Ordering::Relaxed),
        MOST_STEPS.load(Ordering::Relaxed)
    );
}
