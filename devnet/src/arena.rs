//! Validators played against each other in lockstep on one L1: a fresh rollup, some traffic on
//! its Inbox, then rounds in which every validator polls once and the L1 clock moves on —
//! one second after a round that sent anything, a larger step after an idle one, so a party
//! out of moves runs out its clock in few rounds while a party with moves never loses time it
//! did not spend. Tests, `bench dispute` and `replay --record` play disputes here; the devnet
//! runs the same validators as background tasks instead.

use alloy::signers::local::PrivateKeySigner;
use alloy_primitives::{Address, B256, U256};
use anyhow::{Context as _, bail};
use fuse_arbos::batch::{self, BatchHeader};
use fuse_arbos::tx::{Domain, KIND_TRANSFER, KIND_WITHDRAW, SignedTx};
use fuse_contracts::deploy::RollupConfig;

use fuse_exec::env::NodeEnv;
use fuse_exec::wallet::sign;
use fuse_l1::rollup::RollupL1;
use fuse_l1::{DevClock, L1};
use fuse_validator::Validator;

/// The chain id of arena rollups.
pub const ARENA_CHAIN_ID: u64 = 412_346;
/// Seconds the clock moves after a round in which nobody sent anything.
pub const IDLE_STEP: u64 = 30;

/// A rollup configuration for disputes: the committed guest's module root, `period` seconds
/// to challenge, half of it on each party's clock (so every challenge ends in time, docs/spec/
/// protocol.md "Clocks").
pub fn arena_config(owner: Address, period: u64, degree: u64) -> RollupConfig {
    let c = RollupConfig::new(
        owner,
        ARENA_CHAIN_ID,
        600,
        fuse_prover::guest::module().root,
        period,
    )
    .with_bond(U256::from(10u128.pow(18)));
    RollupConfig { degree, ..c }
}

/// A deterministic L2 wallet.
pub fn user(seed: u8) -> PrivateKeySigner {
    PrivateKeySigner::from_bytes(&B256::repeat_byte(seed)).expect("a non-zero seed is a key")
}

/// Appends traffic to the Inbox as the sequencer (`rollup`'s account): a deposit for each of
/// three users, then one batch of `transfers` transfers among them and a withdrawal. Returns
/// the Inbox's message count after it.
pub async fn post_traffic<L: L1>(rollup: &RollupL1<L>, transfers: usize) -> anyhow::Result<u64> {
    let users: Vec<PrivateKeySigner> = (1..=3).map(user).collect();
    for u in &users {
        rollup
            .deposit(u.address(), U256::from(10u128.pow(18)))
            .await
            .context("depositing")?;
    }
    let domain = Domain {
        chain_id: rollup.chain_id().await?,
        inbox: rollup.contracts.inbox.into(),
    };
    let mut nonces = [0u64; 3];
    let mut txs: Vec<SignedTx> = Vec::new();
    for i in 0..transfers {
        let (from, to) = (i % 3, (i + 1) % 3);
        let t = sign(
            &users[from],
            &domain,
            KIND_TRANSFER,
            users[to].address().into(),
            1_000 + i as u128,
            nonces[from],
        )
        .context("signing")?;
        nonces[from] += 1;
        txs.push(t);
    }
    let w = sign(
        &users[0],
        &domain,
        KIND_WITHDRAW,
        users[0].address().into(),
        5_000,
        nonces[0],
    )
    .context("signing")?;
    txs.push(w);
    let seq = rollup.next_batch_seq().await?;
    let header = BatchHeader {
        seq,
        tx_root: batch::tx_root(&mut NodeEnv::new(), &txs),
        claimed_state_root: [0; 32],
    };
    rollup
        .append_batch(batch::encode_batch(&header, &txs), seq)
        .await
        .context("appending the batch")?;
    Ok(rollup.message_count().await?)
}

/// How a lockstep run ended.
#[derive(Clone, Debug, Default)]
pub struct Resolution {
    /// Rounds played.
    pub rounds: usize,
    /// Every challenge: id, winner, loser, how it ended.
    pub challenges: Vec<(u64, Address, Address, &'static str)>,
    /// The latest confirmed assertion and the inbox position it covers.
    pub confirmed: (u64, u64),
    /// That assertion's state hash.
    pub confirmed_hash: B256,
}

/// Polls every validator once a round until an assertion covering `target` messages is
/// confirmed and no challenge is open, moving `clock` as described above; fails after
/// `max_rounds`.
pub async fn resolve<L, C>(
    validators: &mut [Validator<L>],
    clock: &C,
    target: u64,
    max_rounds: usize,
) -> anyhow::Result<Resolution>
where
    L: L1 + Clone + 'static,
    C: DevClock + L1,
{
    for round in 1..=max_rounds {
        let before = clock.head().await?.number;
        for v in validators.iter_mut() {
            v.poll()
                .await
                .with_context(|| format!("round {round}: validator {}", v.config.name))?;
        }
        let rollup = &validators[0].rollup;
        let latest = rollup.latest_confirmed().await?;
        let confirmed = rollup.assertion(latest).await?;
        let covered = confirmed.afterInbox;
        let view = &validators[0].view();
        let open = view.challenges.values().any(|c| c.ended.is_none());
        if covered >= target && !open {
            let challenges = view
                .challenges
                .iter()
                .filter_map(|(&id, c)| {
                    let (w, l, r) = c.ended?;
                    Some((id, w, l, fuse_l1::rollup::end_reason(r)))
                })
                .collect();
            return Ok(Resolution {
                rounds: round,
                challenges,
                confirmed: (latest, covered),
                confirmed_hash: confirmed.afterStateHash,
            });
        }
        let sent = clock.head().await?.number > before;
        clock
            .advance(if sent { 1 } else { IDLE_STEP })
            .await
            .context("moving the L1 clock")?;
    }
    bail!("not resolved after {max_rounds} rounds")
}
