//! Sending on a real chain: priced under a ceiling, chased until mined, replaced when stuck.
//!
//! A transaction is signed here (not by a provider filler) so its hash is known before it is
//! sent: a resend whose first answer was lost ("already known") is recognised as the same
//! transaction, and a replacement (same nonce, higher fees) is a new signature over the same
//! call. Fees follow EIP-1559: the endpoint's estimate (about twice the base fee plus a tip),
//! a larger tip for an urgent transaction (a challenge move whose clock runs low), and never
//! more than the operator's ceiling per gas. A transaction not mined within
//! [`FeePolicy::replace_after`] is sent again with both fees raised by
//! [`FeePolicy::bump_percent`] (nodes refuse a replacement raising either by less than 10%) —
//! or, at the ceiling, left to wait, with a warning. One the endpoint no longer knows at all
//! (a reorg removed its block and it was not pooled again) is sent again, the same bytes.
//! One that outlives the receipt timeout
//! still pending leaves its nonce to the next send, which replaces it: callers treat a
//! failed send as "not done" and try again, so the nonce is never left as a gap.

use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use alloy::eips::eip2718::Encodable2718;
use alloy::network::{NetworkTransactionBuilder, TransactionBuilder};
use alloy::providers::Provider;
use alloy::rpc::types::{BlockNumberOrTag, TransactionReceipt, TransactionRequest};
use alloy_primitives::B256;

use super::{RECEIPT_TIMEOUT, RpcL1, map_err};
use crate::{L1Error, L1Tx};

/// How transactions are priced and chased.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FeePolicy {
    /// The most any transaction pays per gas (base fee plus tip), in wei; `None`: the
    /// endpoint's estimate, however high.
    pub max_fee_per_gas: Option<u128>,
    /// How long a transaction may wait unmined before it is replaced (an urgent one: a third
    /// of it).
    pub replace_after: Duration,
    /// By how many percent a replacement raises both fees.
    pub bump_percent: u128,
}

impl Default for FeePolicy {
    fn default() -> FeePolicy {
        FeePolicy {
            max_fee_per_gas: None,
            // Three Ethereum blocks.
            replace_after: Duration::from_secs(36),
            bump_percent: 25,
        }
    }
}

/// The tip of an urgent transaction: this many times the estimate, and at least
/// [`URGENT_MIN_TIP`].
const URGENT_TIP_FACTOR: u128 = 3;
/// 2 gwei: above what most blocks' marginal transactions tip on Ethereum.
const URGENT_MIN_TIP: u128 = 2_000_000_000;

/// The two EIP-1559 prices of one signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Fees {
    max: u128,
    tip: u128,
}

/// A transaction still pending when its send gave up: the next send takes its nonce, with
/// fees that may replace it.
#[derive(Clone, Copy, Debug)]
pub(super) struct Stuck {
    nonce: u64,
    fees: Fees,
}

/// What one raw send was answered.
enum Sent {
    /// In the pool (just now, or already: a resend of the same bytes).
    Pooled,
    /// The nonce is used: one of this nonce's transactions was mined.
    NonceUsed,
    /// A replacement the pool refused as too cheap: the next round bumps again.
    Underpriced,
    /// Refused for a fee cap below the base fee (some nodes pool such a transaction until
    /// the base fee falls; anvil and others refuse it): sent again next round.
    BelowBaseFee,
}

impl FeePolicy {
    /// The prices for a new transaction from the endpoint's `estimate`, or for a replacement
    /// of one sent at `previous`; `None` if a replacement cannot be priced higher (the
    /// ceiling is reached).
    pub(super) fn price(
        &self,
        estimate: (u128, u128),
        urgent: bool,
        previous: Option<Fees>,
    ) -> Option<Fees> {
        let (mut max, mut tip) = estimate;
        if urgent {
            let raised = tip.saturating_mul(URGENT_TIP_FACTOR).max(URGENT_MIN_TIP);
            max = max.saturating_add(raised - tip.min(raised));
            tip = raised;
        }
        if let Some(p) = previous {
            let bump = |v: u128| v.saturating_mul(100 + self.bump_percent) / 100 + 1;
            max = max.max(bump(p.max));
            tip = tip.max(bump(p.tip));
        }
        if let Some(ceiling) = self.max_fee_per_gas {
            max = max.min(ceiling);
        }
        tip = tip.min(max);
        let fees = Fees { max, tip };
        match previous {
            // Below the pool's replacement rule: sending it would only be refused.
            Some(p) if fees.max <= p.max || fees.tip <= p.tip => None,
            _ => Some(fees),
        }
    }
}

impl RpcL1 {
    /// Signs, sends and chases `tx` until mined (see the module's doc).
    pub(super) async fn send_priced(&self, tx: L1Tx) -> Result<TransactionReceipt, L1Error> {
        let _one_at_a_time = self.sending.lock().await;
        let stuck = self
            .stuck
            .lock()
            .expect("never poisoned: no panics held")
            .take();
        let nonce = match stuck {
            Some(s) => s.nonce,
            None => self
                .provider
                .get_transaction_count(self.signer)
                .pending()
                .await
                .map_err(map_err)?,
        };
        let mut req = TransactionRequest::default()
            .with_from(self.signer)
            .with_nonce(nonce)
            .with_value(tx.value)
            .with_chain_id(self.chain_id().await?);
        req = match tx.to {
            Some(to) => req.with_to(to).with_input(tx.data),
            None => req.with_deploy_code(tx.data),
        };
        // A revert shows here, before anything is signed.
        let gas = self
            .provider
            .estimate_gas(req.clone())
            .await
            .map_err(map_err)?;
        // State may change between the estimate and the block (a challenge move's gas
        // depends on the segment it answers): a fifth more, which costs only if used.
        req = req.with_gas_limit(gas.saturating_add(gas / 5));
        let mut fees = match stuck {
            Some(s) => self
                .reprice(tx.urgent, Some(s.fees))
                .await?
                .unwrap_or(s.fees),
            None => self
                .reprice(tx.urgent, None)
                .await?
                .expect("a first price always exists"),
        };
        self.warn_if_capped(fees).await?;
        let replace_after = if tx.urgent {
            self.fees.replace_after / 3
        } else {
            self.fees.replace_after
        };
        let deadline = tokio::time::Instant::now() + RECEIPT_TIMEOUT;
        let mut hashes: Vec<B256> = Vec::new();
        // The last signature the pool took.
        let mut last_raw: Option<Vec<u8>> = None;
        let mut send_now = true;
        loop {
            if send_now {
                let (hash, raw) = self.sign(&req, fees).await?;
                let pooled = match self.push(&raw).await? {
                    Sent::Pooled => true,
                    Sent::NonceUsed if hashes.is_empty() => {
                        return Err(L1Error::Rejected(format!(
                            "nonce {nonce} is already used (mined meanwhile, or another sender \
                             with this key)"
                        )));
                    }
                    // One of ours with this nonce was mined: its receipt is polled below.
                    Sent::NonceUsed | Sent::Underpriced => false,
                    Sent::BelowBaseFee => {
                        self.stats.capped.fetch_add(1, Relaxed);
                        if hashes.is_empty() {
                            // Nothing in the pool yet: wait a round, then offer it again.
                            if tokio::time::Instant::now() >= deadline {
                                return Err(L1Error::Transport(format!(
                                    "the L1 base fee stayed above the fee ceiling for {} s; \
                                     nothing was sent",
                                    RECEIPT_TIMEOUT.as_secs()
                                )));
                            }
                            let round_end =
                                (tokio::time::Instant::now() + replace_after).min(deadline);
                            tokio::time::sleep_until(round_end).await;
                            fees = self
                                .reprice(tx.urgent, None)
                                .await?
                                .expect("a first price always exists");
                            continue;
                        }
                        false
                    }
                };
                if pooled {
                    if hashes.is_empty() {
                        self.stats.sent.fetch_add(1, Relaxed);
                    } else {
                        self.stats.replaced.fetch_add(1, Relaxed);
                        tracing::info!(
                            nonce,
                            %hash,
                            max_fee = fees.max,
                            tip = fees.tip,
                            "replaced a transaction not mined in time"
                        );
                    }
                    hashes.push(hash);
                    last_raw = Some(raw);
                }
            }
            let round_end = (tokio::time::Instant::now() + replace_after).min(deadline);
            match self.any_receipt(&hashes, round_end).await? {
                Polled::Mined(r) => return Ok(*r),
                Polled::Waiting => {}
                // Gone from the pool and from the chain (a reorg removed its block and the
                // endpoint did not pool it again, or the pool evicted it): the same bytes go
                // again, so it keeps its nonce and cannot land twice.
                Polled::Dropped => {
                    // Sent again only if it is next in line: with earlier nonces of ours also
                    // gone (the reorg took them and no pool kept them), it would wait behind
                    // the gap, and land later, out of turn, after new sends filled it.
                    let next = self
                        .provider
                        .get_transaction_count(self.signer)
                        .await
                        .map_err(map_err)?;
                    let raw = match &last_raw {
                        Some(raw) if next == nonce => raw,
                        _ => {
                            return Err(L1Error::Transport(format!(
                                "transaction {} (nonce {nonce}) was dropped before it was mined \
                                 (an L1 reorg, or the pool evicted it); the account's next \
                                 nonce is {next}",
                                hashes.last().copied().unwrap_or_default()
                            )));
                        }
                    };
                    if let Sent::NonceUsed = self.push(raw).await? {
                        return Err(L1Error::Transport(format!(
                            "transaction {} was dropped and its nonce {nonce} used since",
                            hashes.last().copied().unwrap_or_default()
                        )));
                    }
                    tracing::info!(
                        nonce,
                        "sent again a transaction the endpoint no longer knew"
                    );
                    send_now = false;
                    continue;
                }
            }
            if tokio::time::Instant::now() >= deadline {
                // Still pending: the next send takes over its nonce.
                *self.stuck.lock().expect("never poisoned: no panics held") =
                    Some(Stuck { nonce, fees });
                return Err(L1Error::Transport(format!(
                    "transaction {} not mined within {} s; the next send replaces it",
                    hashes.last().copied().unwrap_or_default(),
                    RECEIPT_TIMEOUT.as_secs()
                )));
            }
            match self.reprice(tx.urgent, Some(fees)).await? {
                Some(higher) => {
                    fees = higher;
                    send_now = true;
                }
                None => {
                    self.warn_if_capped(fees).await?;
                    send_now = false;
                }
            }
        }
    }

    async fn reprice(&self, urgent: bool, previous: Option<Fees>) -> Result<Option<Fees>, L1Error> {
        let e = self
            .provider
            .estimate_eip1559_fees()
            .await
            .map_err(map_err)?;
        Ok(self.fees.price(
            (e.max_fee_per_gas, e.max_priority_fee_per_gas),
            urgent,
            previous,
        ))
    }

    /// The latest base fee, if the chain has one.
    pub(super) async fn base_fee(&self) -> Result<Option<u128>, L1Error> {
        let block = self
            .provider
            .get_block_by_number(BlockNumberOrTag::Latest)
            .await
            .map_err(map_err)?;
        Ok(block.and_then(|b| b.header.base_fee_per_gas.map(u128::from)))
    }

    /// Says so when the ceiling keeps `fees` below the base fee: the transaction cannot be
    /// mined until the base fee falls.
    async fn warn_if_capped(&self, fees: Fees) -> Result<(), L1Error> {
        let Some(ceiling) = self.fees.max_fee_per_gas else {
            return Ok(());
        };
        if let Some(base) = self.base_fee().await?
            && fees.max < base
        {
            self.stats.capped.fetch_add(1, Relaxed);
            tracing::warn!(
                base_fee = base,
                ceiling,
                "the L1 base fee is above the fee ceiling: the transaction waits until it falls"
            );
        }
        Ok(())
    }

    async fn sign(&self, req: &TransactionRequest, fees: Fees) -> Result<(B256, Vec<u8>), L1Error> {
        let envelope = req
            .clone()
            .with_max_fee_per_gas(fees.max)
            .with_max_priority_fee_per_gas(fees.tip)
            .build(&self.wallet)
            .await
            .map_err(|e| L1Error::Rejected(format!("signing: {e}")))?;
        Ok((*envelope.tx_hash(), envelope.encoded_2718()))
    }

    async fn push(&self, raw: &[u8]) -> Result<Sent, L1Error> {
        match self.provider.send_raw_transaction(raw).await {
            Ok(_) => Ok(Sent::Pooled),
            Err(e) => match e.as_error_resp().map(|r| r.message.to_ascii_lowercase()) {
                // The retry layer sent it again after a lost answer, or an earlier round did.
                Some(m) if m.contains("already known") || m.contains("already imported") => {
                    Ok(Sent::Pooled)
                }
                Some(m) if m.contains("known transaction") => Ok(Sent::Pooled),
                Some(m) if m.contains("nonce too low") => Ok(Sent::NonceUsed),
                Some(m) if m.contains("underpriced") => Ok(Sent::Underpriced),
                Some(m)
                    if m.contains("less than block base fee")
                        || m.contains("fee cap less than") =>
                {
                    Ok(Sent::BelowBaseFee)
                }
                _ => Err(map_err(e)),
            },
        }
    }

    /// The receipt of whichever of `hashes` (one nonce, so at most one) is mined, polling
    /// until `until`; [`Polled::Dropped`] as soon as the endpoint knows none of them (asked
    /// three times in a row: behind a load balancer one node may not have seen what another
    /// took, and a private pool answers nothing until mined — a resend of the same bytes is
    /// harmless either way).
    async fn any_receipt(
        &self,
        hashes: &[B256],
        until: tokio::time::Instant,
    ) -> Result<Polled, L1Error> {
        let mut wait = Duration::from_millis(50);
        let mut unknown = 0;
        loop {
            let mut known = false;
            for &h in hashes.iter().rev() {
                if let Some(r) = self
                    .provider
                    .get_transaction_receipt(h)
                    .await
                    .map_err(map_err)?
                {
                    return Ok(Polled::Mined(Box::new(r)));
                }
                known |= self
                    .provider
                    .get_transaction_by_hash(h)
                    .await
                    .map_err(map_err)?
                    .is_some();
            }
            unknown = if known { 0 } else { unknown + 1 };
            if unknown >= 3 {
                return Ok(Polled::Dropped);
            }
            let now = tokio::time::Instant::now();
            if now >= until {
                return Ok(Polled::Waiting);
            }
            tokio::time::sleep(wait.min(until - now)).await;
            wait = (wait * 2).min(Duration::from_secs(2));
        }
    }
}

/// What waiting for a receipt found.
enum Polled {
    /// One of the signatures was mined.
    Mined(Box<TransactionReceipt>),
    /// Still pending at the end of the round.
    Waiting,
    /// Neither pooled nor mined any more.
    Dropped,
}

#[cfg(test)]
mod tests {
    use super::{FeePolicy, Fees, URGENT_MIN_TIP};

    const GWEI: u128 = 1_000_000_000;

    #[test]
    fn prices_follow_the_estimate_the_urgency_the_bump_and_the_ceiling() {
        let p = FeePolicy::default();
        let est = (30 * GWEI, GWEI);
        assert_eq!(
            p.price(est, false, None),
            Some(Fees {
                max: 30 * GWEI,
                tip: GWEI
            })
        );
        // Urgent: three times the tip (at least 2 gwei), the max raised by as much.
        assert_eq!(
            p.price(est, true, None),
            Some(Fees {
                max: 32 * GWEI,
                tip: 3 * GWEI
            })
        );
        assert_eq!(p.price((10, 1), true, None).unwrap().tip, URGENT_MIN_TIP);
        // A replacement raises both by at least the bump, even if the estimate fell.
        let first = p.price(est, false, None).unwrap();
        let again = p.price((20 * GWEI, GWEI / 2), false, Some(first)).unwrap();
        assert!(again.max >= first.max * 125 / 100 && again.tip >= first.tip * 125 / 100);
        // ... or follows the estimate when it rose further.
        let spiked = p.price((300 * GWEI, 2 * GWEI), false, Some(first)).unwrap();
        assert_eq!(spiked.max, 300 * GWEI);

        let capped = FeePolicy {
            max_fee_per_gas: Some(40 * GWEI),
            ..p
        };
        let at_cap = capped.price((300 * GWEI, 2 * GWEI), false, None).unwrap();
        assert_eq!(at_cap.max, 40 * GWEI);
        assert!(at_cap.tip <= at_cap.max);
        // At the ceiling a replacement cannot be priced higher: none is sent.
        assert_eq!(
            capped.price((300 * GWEI, 2 * GWEI), false, Some(at_cap)),
            None
        );
        // The tip never exceeds the max.
        let tiny = FeePolicy {
            max_fee_per_gas: Some(GWEI),
            ..p
        };
        let f = tiny.price(est, true, None).unwrap();
        assert_eq!(
            f,
            Fees {
                max: GWEI,
                tip: GWEI
            }
        );
    }
}
