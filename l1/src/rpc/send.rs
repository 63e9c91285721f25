//! Sending on a real chain: priced under a ceiling, chased until mined, replaced when stuck.
//!
//! A transaction is signed here (not by a provider filler) so its hash is known before it is
//! sent: a resend whose first answer was lost ("already known") is recognised as the same
//! transaction, and a replacement (same nonce, higher fees) is a new signature over the same
//! call. Fees follow EIP-1559: the endpoint's estimate (about twice the base fee plus a tip),
//! a larger tip for an urgent transaction (a challenge move whose clock runs low), and never
//! more than the operator's ceiling per gas. A transaction not mined within
//! [`FeePolicy::replace_after`] is sent again with both fees raised by
//! [`FeePolicy::bump_percent`] (nodes refuse a replacement raising either by less than 10%)
//! when the market has risen above its bid — a bid still at the market waits for its block —
//! or, at the ceiling, left to wait, with a warning. One the endpoint no longer knows at all
//! (a reorg removed its block and it was not pooled again) is sent again, the same bytes, if
//! it is next in line. Once a signature is pooled, whatever ends the send leaves its nonce
//! to the next send, which replaces it (or fills the gap a reorg left): callers treat a
//! failed send as "not done" and try again, so one intent never becomes two transactions
//! and the nonce is never left as a gap. Every request times out (rpc.rs), so nothing holds
//! the send lock for ever.

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

/// How soon a transaction the pool did not take is offered again.
const NOT_POOLED_RETRY: Duration = Duration::from_secs(2);

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

/// What a refused `eth_sendRawTransaction` means, from the clients' wording (geth, erigon,
/// nethermind, besu, reth, anvil); `None`: a refusal this module does not understand.
fn classify(message: &str) -> Option<Sent> {
    let m = message.replace(['_', ' '], "");
    let any = |words: &[&str]| words.iter().any(|w| m.contains(w));
    // The retry layer sent it again after a lost answer, or an earlier round did.
    if any(&[
        "alreadyknown",
        "alreadyimported",
        "knowntransaction",
        "existingtx",
        "samehash",
    ]) {
        return Some(Sent::Pooled);
    }
    if any(&["noncetoolow", "oldnonce", "nonceistoolow"]) {
        return Some(Sent::NonceUsed);
    }
    if any(&[
        "lessthanblockbasefee",
        "feecaplessthan",
        "belowcurrentbasefee",
        "maxfeepergaslessthan",
    ]) {
        return Some(Sent::BelowBaseFee);
    }
    if any(&[
        "underpriced",
        "feetoolow",
        "replacementnotallowed",
        "couldnotreplace",
    ]) {
        return Some(Sent::Underpriced);
    }
    None
}

impl FeePolicy {
    /// The prices for a new transaction from the endpoint's `estimate`, or for a replacement
    /// of one sent at `previous`. A replacement is priced only when the market rose above
    /// the bid (`force`: always, as when another intent takes over a stuck nonce) and then
    /// above the bid by [`FeePolicy::bump_percent`]; `None` if there is no reason to
    /// replace, or the ceiling forbids it.
    pub(super) fn price(
        &self,
        estimate: (u128, u128),
        urgent: bool,
        previous: Option<Fees>,
        force: bool,
    ) -> Option<Fees> {
        let (mut max, mut tip) = estimate;
        if urgent {
            let raised = tip.saturating_mul(URGENT_TIP_FACTOR).max(URGENT_MIN_TIP);
            max = max.saturating_add(raised - tip.min(raised));
            tip = raised;
        }
        if let Some(p) = previous {
            // A bid still at the market waits for its block: bumping it round after round
            // would only bid against itself.
            if !force && max <= p.max && tip <= p.tip {
                return None;
            }
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
        let stuck = *self.stuck.lock().expect("never poisoned: no panics held");
        let latest = self
            .provider
            .get_transaction_count(self.signer)
            .await
            .map_err(map_err)?;
        // A handed-over nonce is taken only while it is next in line: mined since, or left
        // behind a gap a reorg opened, it is forgotten and the pool's next nonce is used.
        let (nonce, previous) = match stuck {
            Some(s) if s.nonce == latest => (s.nonce, Some(s.fees)),
            // Behind a gap: fill it (a pool may count the stuck one as pending).
            Some(s) if s.nonce > latest => {
                self.hand_over(None);
                (latest, None)
            }
            // One send at a time, each waited for: every earlier nonce of ours is mined, so
            // the next is the latest count — also when a reorg took earlier ones and a pool
            // still counts a stranded one as pending (that one would wait behind the gap).
            _ => {
                self.hand_over(None);
                (latest, None)
            }
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
        let mut fees = match previous {
            // Replacing what holds the nonce: only at a higher price, which the ceiling may
            // forbid — then that transaction is waited for, not sent twice.
            Some(p) => self
                .reprice(tx.urgent, Some(p), true)
                .await?
                .ok_or_else(|| {
                    L1Error::Transport(format!(
                        "a transaction at the fee ceiling still holds nonce {nonce}; waiting for it"
                    ))
                })?,
            None => self
                .reprice(tx.urgent, None, false)
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
        // Every signature that may be in the pool or mined (one nonce: at most one lands).
        let mut hashes: Vec<B256> = Vec::new();
        // The last signature the pool took.
        let mut last_raw: Option<Vec<u8>> = None;
        // A price the pool refused as too low, to bid above next round, and what it said.
        let mut refused: Option<Fees> = previous;
        let mut refusal = String::new();
        let mut send_now = true;
        loop {
            if send_now {
                let (hash, raw) = self.sign(&req, fees).await?;
                // Polled from now on: a "nonce too low" may be this very transaction, mined
                // after an answer was lost.
                hashes.push(hash);
                match self.push(&raw).await {
                    Ok(Sent::Pooled) => {
                        if last_raw.is_none() {
                            self.stats.sent.fetch_add(1, Relaxed);
                            metrics::counter!(crate::metrics::TXS_SENT).increment(1);
                        } else {
                            self.stats.replaced.fetch_add(1, Relaxed);
                            metrics::counter!(crate::metrics::TXS_REPLACED).increment(1);
                            tracing::info!(
                                nonce,
                                %hash,
                                max_fee = fees.max,
                                tip = fees.tip,
                                "replaced a transaction not mined in time"
                            );
                        }
                        last_raw = Some(raw);
                        // Whatever ends this send now, the next one takes over the nonce.
                        self.hand_over(Some(Stuck { nonce, fees }));
                        // A gauge of wei: exact below 2^53, which is 9 million gwei.
                        #[allow(clippy::cast_precision_loss)]
                        metrics::gauge!(crate::metrics::LAST_MAX_FEE).set(fees.max as f64);
                    }
                    Ok(Sent::NonceUsed) => {}
                    Ok(Sent::Underpriced) => {
                        hashes.pop();
                        refused = Some(fees);
                        refusal = "the pool refused the price as underpriced".into();
                    }
                    Ok(Sent::BelowBaseFee) => {
                        hashes.pop();
                        refusal = "the fee ceiling is below the base fee".into();
                        self.stats.capped.fetch_add(1, Relaxed);
                        metrics::counter!(crate::metrics::TXS_CAPPED).increment(1);
                    }
                    Err(e) => {
                        hashes.pop();
                        if last_raw.is_none() {
                            return Err(e);
                        }
                        // An earlier signature is pooled: chase it.
                        tracing::warn!(nonce, error = %e, "a replacement was refused");
                    }
                }
            }
            let round_end = (tokio::time::Instant::now() + replace_after).min(deadline);
            if hashes.is_empty() {
                // Nothing in the pool: wait a little, then offer it again, priced anew.
                if tokio::time::Instant::now() >= deadline {
                    return Err(L1Error::Transport(format!(
                        "nothing with nonce {nonce} was taken by the pool in {} s: {refusal}",
                        RECEIPT_TIMEOUT.as_secs()
                    )));
                }
                let retry = (tokio::time::Instant::now() + replace_after.min(NOT_POOLED_RETRY))
                    .min(deadline);
                tokio::time::sleep_until(retry).await;
                fees = match self.reprice(tx.urgent, refused, true).await? {
                    Some(f) => f,
                    None => fees,
                };
                send_now = true;
                continue;
            }
            match self.any_receipt(&hashes, round_end).await {
                Polled::Mined(r) => {
                    self.hand_over(None);
                    return Ok(*r);
                }
                Polled::Waiting => {
                    // Known but not mined, behind a gap: a reorg took an earlier nonce of ours
                    // and no pool kept it. This one cannot land until the gap is filled, so the
                    // caller sends again from the gap (the stranded one, if it ever lands,
                    // comes after, out of turn, and is refused by the contracts' state).
                    let next = self
                        .provider
                        .get_transaction_count(self.signer)
                        .await
                        .map_err(map_err)?;
                    if next < nonce {
                        self.hand_over(None);
                        return Err(L1Error::Transport(format!(
                            "transaction {} (nonce {nonce}) waits behind a gap: the account's \
                             next nonce is {next} (an L1 reorg took an earlier transaction)",
                            hashes.last().copied().unwrap_or_default()
                        )));
                    }
                }
                // Gone from the pool and from the chain (a reorg removed its block and the
                // endpoint did not pool it again, or the pool evicted it).
                Polled::Dropped => {
                    let next = self
                        .provider
                        .get_transaction_count(self.signer)
                        .await
                        .map_err(map_err)?;
                    match &last_raw {
                        // Next in line: the same bytes go again, so it keeps its nonce and
                        // cannot land twice.
                        Some(raw) if next == nonce => {
                            if let Ok(Sent::Pooled) = self.push(raw).await {
                                tracing::info!(
                                    nonce,
                                    "sent again a transaction the endpoint no longer knew"
                                );
                            }
                        }
                        // Behind a gap (earlier nonces of ours gone too) it would wait, and
                        // land later out of turn; with the nonce used since, it is void.
                        // Either way the caller sends again, with a fresh nonce.
                        _ => {
                            self.hand_over(None);
                            return Err(L1Error::Transport(format!(
                                "transaction {} (nonce {nonce}) was dropped before it was \
                                 mined (an L1 reorg, or the pool evicted it); the account's \
                                 next nonce is {next}",
                                hashes.last().copied().unwrap_or_default()
                            )));
                        }
                    }
                }
            }
            if tokio::time::Instant::now() >= deadline {
                // Still pending: the next send takes over its nonce (handed over above).
                return Err(L1Error::Transport(format!(
                    "transaction {} not mined within {} s; the next send replaces it",
                    hashes.last().copied().unwrap_or_default(),
                    RECEIPT_TIMEOUT.as_secs()
                )));
            }
            match self.reprice(tx.urgent, Some(fees), false).await? {
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

    /// Records (or clears) the transaction whose nonce the next send takes over.
    fn hand_over(&self, stuck: Option<Stuck>) {
        *self.stuck.lock().expect("never poisoned: no panics held") = stuck;
    }

    async fn reprice(
        &self,
        urgent: bool,
        previous: Option<Fees>,
        force: bool,
    ) -> Result<Option<Fees>, L1Error> {
        let e = self
            .provider
            .estimate_eip1559_fees()
            .await
            .map_err(map_err)?;
        Ok(self.fees.price(
            (e.max_fee_per_gas, e.max_priority_fee_per_gas),
            urgent,
            previous,
            force,
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
            metrics::counter!(crate::metrics::TXS_CAPPED).increment(1);
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
                Some(m) => classify(&m).ok_or_else(|| map_err(e)),
                None => Err(map_err(e)),
            },
        }
    }

    /// The receipt of whichever of `hashes` (one nonce, so at most one) is mined, polling
    /// until `until`; [`Polled::Dropped`] once the endpoint has known none of them for three
    /// polls over two seconds or more (behind a load balancer one node may not have seen
    /// what another took, and a private pool answers nothing until mined: a resend of the
    /// same bytes is harmless either way, and this bounds how often it happens). A failed
    /// read is not an answer: polling goes on until `until`.
    async fn any_receipt(&self, hashes: &[B256], until: tokio::time::Instant) -> Polled {
        let mut wait = Duration::from_millis(50);
        let mut unknown: Option<(u32, tokio::time::Instant)> = None;
        loop {
            let mut known = false;
            let mut answered = true;
            for &h in hashes.iter().rev() {
                match self.provider.get_transaction_receipt(h).await {
                    Ok(Some(r)) => return Polled::Mined(Box::new(r)),
                    Ok(None) => {}
                    Err(_) => answered = false,
                }
                match self.provider.get_transaction_by_hash(h).await {
                    Ok(t) => known |= t.is_some(),
                    Err(_) => answered = false,
                }
            }
            if known || !answered {
                unknown = None;
            } else {
                let (n, since) = unknown.unwrap_or((0, tokio::time::Instant::now()));
                if n + 1 >= 3 && since.elapsed() >= Duration::from_secs(2) {
                    return Polled::Dropped;
                }
                unknown = Some((n + 1, since));
            }
            let now = tokio::time::Instant::now();
            if now >= until {
                return Polled::Waiting;
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
            p.price(est, false, None, false),
            Some(Fees {
                max: 30 * GWEI,
                tip: GWEI
            })
        );
        // Urgent: three times the tip (at least 2 gwei), the max raised by as much.
        assert_eq!(
            p.price(est, true, None, false),
            Some(Fees {
                max: 32 * GWEI,
                tip: 3 * GWEI
            })
        );
        assert_eq!(
            p.price((10, 1), true, None, false).unwrap().tip,
            URGENT_MIN_TIP
        );
        // A bid still at the market is not replaced; a forced replacement (another intent
        // taking the nonce over) raises both by at least the bump, even if the estimate fell.
        let first = p.price(est, false, None, false).unwrap();
        assert_eq!(p.price(est, false, Some(first), false), None);
        let again = p
            .price((20 * GWEI, GWEI / 2), false, Some(first), true)
            .unwrap();
        assert!(again.max >= first.max * 125 / 100 && again.tip >= first.tip * 125 / 100);
        // ... and a market that rose is followed.
        let spiked = p
            .price((300 * GWEI, 2 * GWEI), false, Some(first), false)
            .unwrap();
        assert_eq!(spiked.max, 300 * GWEI);

        let capped = FeePolicy {
            max_fee_per_gas: Some(40 * GWEI),
            ..p
        };
        let at_cap = capped
            .price((300 * GWEI, 2 * GWEI), false, None, false)
            .unwrap();
        assert_eq!(at_cap.max, 40 * GWEI);
        assert!(at_cap.tip <= at_cap.max);
        // At the ceiling a replacement cannot be priced higher: none is sent.
        assert_eq!(
            capped.price((300 * GWEI, 2 * GWEI), false, Some(at_cap), true),
            None
        );
        // The tip never exceeds the max.
        let tiny = FeePolicy {
            max_fee_per_gas: Some(GWEI),
            ..p
        };
        let f = tiny.price(est, true, None, false).unwrap();
        assert_eq!(
            f,
            Fees {
                max: GWEI,
                tip: GWEI
            }
        );
    }
}
