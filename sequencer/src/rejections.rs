//! Why transactions are refused at ingress ([`Rejection`]), and the refusals remembered in
//! memory for a while so a wallet can ask why
//! (docs/spec/rpc.md, "Statuses"). A refusal costs its sender nothing, so it must cost the
//! node nothing lasting: nothing is written to disk, and the window is bounded — a flood of
//! garbage pushes out older refusals instead of growing the node (docs/decisions.md).

use std::collections::{HashMap, VecDeque};

/// Why a transaction was refused at ingress. Each maps to a JSON-RPC error.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// The bytes do not decode as one transaction, or the node could not read what it needed
    /// to check it; the text says which.
    #[error("malformed transaction: {0}")]
    Malformed(&'static str),
    /// No `Config` message has been executed yet, so there is no chain to run it on.
    #[error("the chain is not configured yet (no Config message on L1)")]
    NotConfigured,
    /// The same encoding was already accepted (a rejected one may be sent again).
    #[error("transaction already known ({status})")]
    Known {
        /// The known transaction's status (`PENDING` while its acceptance is not durable).
        status: String,
    },
    /// The signature is malformed or does not recover to any sender.
    #[error("bad signature (v must be 27 or 28, s low, and the signature must recover)")]
    BadSignature,
    /// The signature recovers, but not to the sender the caller named.
    #[error("the signature recovers to {recovered}, not {claimed}: wrong chain id, inbox or key")]
    WrongSigner {
        /// The sender the caller said signed it (a checksummed address).
        claimed: String,
        /// The sender the signature recovers to (a checksummed address).
        recovered: String,
    },
    /// The nonce is below the sender's next nonce in the soft state: a replay.
    #[error("nonce {got} already used (the account's next nonce is {expected})")]
    NonceTooLow {
        /// The transaction's nonce.
        got: u64,
        /// The sender's next nonce in the soft state.
        expected: u64,
    },
    /// The nonce is above the sender's next nonce in the soft state: one from the future.
    #[error("nonce gap: got {got}, the account's next nonce is {expected}")]
    NonceGap {
        /// The transaction's nonce.
        got: u64,
        /// The sender's next nonce in the soft state.
        expected: u64,
    },
    /// The transaction moves zero wei.
    #[error("amount must be positive")]
    ZeroAmount,
    /// The transaction moves more than the sender holds in the soft state.
    #[error("insufficient balance: {balance} wei, the transaction moves {amount}")]
    InsufficientBalance {
        /// The sender's balance in the soft state, in wei.
        balance: u128,
        /// The amount the transaction moves, in wei.
        amount: u128,
    },
    /// The recipient is the sender itself.
    #[error("a transfer to the sender itself")]
    SelfTransfer,
    /// Crediting the amount would overflow the recipient's balance.
    #[error("amount overflows the recipient's balance")]
    Overflow,
    /// The transaction's kind byte is not one the STF knows.
    #[error("unknown transaction kind")]
    UnknownKind,
    /// The outbox already holds its maximum of 2^32 withdrawals.
    #[error("the outbox is full")]
    OutboxFull,
}

/// Refusals remembered at most: about 4 MiB at the longest reason.
pub(crate) const REMEMBERED_REJECTIONS: usize = 16_384;

/// The window of recent refusals, oldest evicted first.
#[derive(Default)]
pub(super) struct Recent {
    /// Each remembered id's reason and the number of its entry in `order`.
    reasons: HashMap<[u8; 32], (u64, String)>,
    /// Entries in the order they were made; one whose number no longer matches `reasons`
    /// was replaced or forgotten and is skipped when it comes out.
    order: VecDeque<(u64, [u8; 32])>,
    next: u64,
}

impl Recent {
    /// Remembers that `id` was refused for `reason` (replacing an earlier reason).
    pub(crate) fn remember(&mut self, id: [u8; 32], reason: String) {
        let n = self.next;
        self.next += 1;
        self.reasons.insert(id, (n, reason));
        self.order.push_back((n, id));
        while self.reasons.len() > REMEMBERED_REJECTIONS
            || self.order.len() > 2 * REMEMBERED_REJECTIONS
        {
            let Some((n, id)) = self.order.pop_front() else {
                break;
            };
            if self.reasons.get(&id).is_some_and(|(m, _)| *m == n) {
                self.reasons.remove(&id);
            }
        }
    }

    /// Forgets `id` (it was sent again and accepted).
    pub(crate) fn forget(&mut self, id: &[u8; 32]) {
        self.reasons.remove(id);
    }

    /// Why `id` was refused, if remembered.
    pub(crate) fn reason(&self, id: &[u8; 32]) -> Option<&str> {
        self.reasons.get(id).map(|(_, r)| r.as_str())
    }

    /// How many refusals are remembered.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.reasons.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(i: u64) -> [u8; 32] {
        let mut b = [0; 32];
        b[..8].copy_from_slice(&i.to_be_bytes());
        b
    }

    #[test]
    fn a_flood_keeps_the_latest_refusals_and_no_more() {
        let mut r = Recent::default();
        let n = 3 * REMEMBERED_REJECTIONS as u64;
        for i in 0..n {
            r.remember(id(i), format!("reason {i}"));
        }
        assert_eq!(r.len(), REMEMBERED_REJECTIONS);
        assert!(r.order.len() <= 2 * REMEMBERED_REJECTIONS);
        assert_eq!(r.reason(&id(0)), None, "the oldest went first");
        assert_eq!(
            r.reason(&id(n - 1)),
            Some(format!("reason {}", n - 1).as_str())
        );
    }

    #[test]
    fn a_refusal_again_or_an_acceptance_replaces_the_old_entry() {
        let mut r = Recent::default();
        r.remember(id(1), "first".into());
        for i in 2..REMEMBERED_REJECTIONS as u64 {
            r.remember(id(i), "filler".into());
        }
        // Refused again just before it would go out: the new reason stays past the old slot.
        r.remember(id(1), "again".into());
        r.remember(id(1_000_000), "pushes the oldest entry out".into());
        r.remember(id(1_000_001), "and the next".into());
        assert_eq!(r.reason(&id(1)), Some("again"));
        r.forget(&id(1));
        assert_eq!(r.reason(&id(1)), None);
    }
}
