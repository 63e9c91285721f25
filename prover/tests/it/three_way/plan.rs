//! What the three-way generator may build: amounts biased to the STF's edges, transaction and
//! batch faults, and the proptest strategies over them.

use proptest::prelude::*;

use super::ACCOUNTS;

/// An amount, biased to the edges the STF checks.
#[derive(Clone, Copy, Debug)]
pub(super) enum Amount {
    Small(u64),
    Zero,
    Max,
    NearMax(u16),
}

impl Amount {
    pub(super) fn value(self) -> u128 {
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
pub(super) enum TxFault {
    None,
    /// A byte of the signed encoding flipped (any field: kind, to, amount, nonce, r, s, v).
    FlipByte(u8, u8),
    /// `s` replaced by `n − s` with `v` flipped: the same signer, but high-s.
    HighS,
    /// Signed for another chain.
    WrongChain,
}

#[derive(Clone, Copy, Debug)]
pub(super) struct TxPlan {
    pub(super) withdraw: bool,
    pub(super) from: u8,
    pub(super) to: u8,
    pub(super) amount: Amount,
    /// Added to the sender's current nonce (−1: replay, +1: from the future).
    pub(super) nonce_skew: i8,
    pub(super) fault: TxFault,
}

/// What may be wrong with a batch as a whole.
#[derive(Clone, Debug)]
pub(super) enum BatchFault {
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
pub(super) enum Plan {
    Deposit(u8, Amount),
    Batch(Vec<TxPlan>, BatchFault),
    Forced(TxPlan),
    Tick(u16),
    /// A message with a random header (any kind, any L1 block and time) and random data.
    Garbage(u8, u64, u64, Vec<u8>),
}

/// Deposits are larger than transfers, so most valid-looking transfers are covered.
pub(super) fn amount(small: std::ops::Range<u64>) -> impl Strategy<Value = Amount> {
    prop_oneof![
        8 => small.prop_map(Amount::Small),
        1 => Just(Amount::Zero),
        1 => Just(Amount::Max),
        1 => any::<u16>().prop_map(Amount::NearMax),
    ]
}

pub(super) fn tx_plan() -> impl Strategy<Value = TxPlan> {
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

pub(super) fn batch_fault() -> impl Strategy<Value = BatchFault> {
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

pub(super) fn plan() -> impl Strategy<Value = Plan> {
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
