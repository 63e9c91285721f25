//! What the generator built, and a model of its accounts that says what each receipt must be;
//! the tallies the bounds are checked on.

use super::*;

/// Whose signature a generated transaction carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Sig {
    /// Its sender's, over exactly these fields: no fault, or a flip that broke the canonical
    /// encoding and was dropped.
    Sender,
    /// The sender's, made high-s: refused before recovery.
    HighS,
    /// Not the sender's (a flipped byte, another chain's domain): it recovers another
    /// address, or none.
    Other,
}

/// What the generator built a transaction to be: enough to predict its receipt.
#[derive(Clone, Copy, Debug)]
pub(super) struct Built {
    pub(super) id: [u8; 32],
    pub(super) from: u8,
    pub(super) to: u8,
    pub(super) withdraw: bool,
    pub(super) amount: u128,
    pub(super) nonce: u64,
    pub(super) sig: Sig,
    /// Built to execute: the sender's signature, its next nonce as the generator knows it, an
    /// amount every funded account holds, not a transfer to itself.
    pub(super) valid: bool,
    /// Built to be skipped whatever the nonces are when it runs: a signature that is not the
    /// sender's, a zero or unpayable amount, or a transfer to itself.
    pub(super) hostile: bool,
}

/// The generator's accounts as a block runs, from the state it starts on: what each receipt
/// must be, transaction by transaction (the block's rules, docs/spec/state.md).
pub(super) struct Model {
    pub(super) nonce: [u64; ACCOUNTS as usize],
    pub(super) balance: [u128; ACCOUNTS as usize],
}

impl Model {
    /// The receipt's result `b` must have, applying it; `None` for a signature that is not
    /// the sender's (skipped, but for a reason that depends on whose it recovers to).
    pub(super) fn apply(&mut self, b: &Built) -> Option<Result<(), Skip>> {
        match b.sig {
            Sig::Sender => {}
            Sig::HighS => return Some(Err(Skip::BadSignature)),
            Sig::Other => return None,
        }
        let (f, t) = (b.from as usize, b.to as usize);
        Some(if b.nonce != self.nonce[f] {
            Err(Skip::WrongNonce)
        } else if b.amount == 0 {
            Err(Skip::ZeroAmount)
        } else if b.amount > self.balance[f] {
            Err(Skip::InsufficientBalance)
        } else if !b.withdraw && f == t {
            Err(Skip::SelfTransfer)
        } else if !b.withdraw && self.balance[t].checked_add(b.amount).is_none() {
            Err(Skip::Overflow)
        } else {
            self.balance[f] -= b.amount;
            if !b.withdraw {
                self.balance[t] += b.amount;
            }
            self.nonce[f] += 1;
            Ok(())
        })
    }
}

/// Checks receipt `r` of transaction `b` against the model (which it advances) and counts it.
pub(super) fn check(
    model: &mut Model,
    b: &Built,
    r: &Receipt,
    tally: &Tally,
) -> Result<(), TestCaseError> {
    prop_assert_eq!(r.id, b.id, "a receipt of another transaction");
    match model.apply(b) {
        Some(want) => prop_assert_eq!(r.result, want, "{:?}", b),
        None => {
            prop_assert!(r.result.is_err(), "a tx signed by another ran: {:?}", b);
            prop_assert_ne!(r.sender, Some(address(b.from)), "{:?}", b);
        }
    }
    let (seen, ran) = if b.valid {
        (&tally.valid, &tally.valid_ran)
    } else if b.hostile {
        (&tally.hostile, &tally.hostile_ran)
    } else {
        (&tally.skewed, &tally.skewed_ran)
    };
    seen.fetch_add(1, Ordering::Relaxed);
    ran.fetch_add(r.result.is_ok() as u64, Ordering::Relaxed);
    Ok(())
}

/// Transactions that reached the STF by what they were built to be (valid, hostile, or
/// well-formed with a skewed nonce), and how many of each executed.
pub(super) struct Tally {
    pub(super) valid: AtomicU64,
    pub(super) valid_ran: AtomicU64,
    pub(super) hostile: AtomicU64,
    pub(super) hostile_ran: AtomicU64,
    pub(super) skewed: AtomicU64,
    pub(super) skewed_ran: AtomicU64,
}

impl Tally {
    pub(super) const fn new() -> Tally {
        Tally {
            valid: AtomicU64::new(0),
            valid_ran: AtomicU64::new(0),
            hostile: AtomicU64::new(0),
            hostile_ran: AtomicU64::new(0),
            skewed: AtomicU64::new(0),
            skewed_ran: AtomicU64::new(0),
        }
    }

    pub(super) fn get(&self) -> [u64; 6] {
        [
            &self.valid,
            &self.valid_ran,
            &self.hostile,
            &self.hostile_ran,
            &self.skewed,
            &self.skewed_ran,
        ]
        .map(|a| a.load(Ordering::Relaxed))
    }
}
