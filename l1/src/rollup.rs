//! The rollup's contracts over any [`L1`]: deploy the whole set ([`Deployment::plan`], the
//! same plan the in-process tests use), append to the Inbox (deposits, batches, forced txs,
//! ticks), read its state, and rebuild its messages from `MessageAppended` events — the only
//! way the node learns what is on L1 (docs/spec/inbox.md: the events carry every byte).

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::{SolCall, SolError, SolEvent, SolInterface};
use fuse_arbos::message::{Header, message};
pub use fuse_contracts::deploy::Deployment;
use fuse_contracts::deploy::RollupConfig;
use fuse_contracts::rollup::rollup_contract::Hashing;
use fuse_contracts::rollup::{ChallengeManager, Inbox, Outbox, Rollup};
use fuse_primitives::GlobalState;

use super::{L1, L1Error, L1Receipt, L1Tx};

mod disputes;
pub use disputes::*;

/// One inbox message as the Inbox's event recorded it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InboxMessage {
    /// Its position in the inbox (message 0 is the chain's `Config`).
    pub index: u64,
    /// The header the Inbox stamped: the message kind and the L1 block number and timestamp
    /// it was appended at.
    pub header: Header,
    /// The message's bytes after the header.
    pub data: Vec<u8>,
    /// The Inbox's accumulator after it.
    pub accumulator: B256,
    /// The L1 block that appended it.
    pub l1_block: u64,
    /// The hash of the L1 transaction that appended it.
    pub l1_tx: B256,
}

impl InboxMessage {
    /// The message as the STF reads it: `header ‖ data`.
    pub fn bytes(&self) -> Vec<u8> {
        message(&self.header, &self.data)
    }
}

/// A global state as the contracts' ABI carries it (`Hashing.GlobalState`).
pub fn sol_global_state(gs: &GlobalState) -> Hashing::GlobalState {
    Hashing::GlobalState {
        stateRoot: gs.state_root,
        outboxRoot: gs.outbox_root,
        inboxPosition: gs.inbox_position,
        blockNumber: gs.block_number,
    }
}

/// Why a deployment failed.
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    /// A creation or a wiring call failed on L1.
    #[error(transparent)]
    L1(#[from] L1Error),
    /// A contract did not land where the plan predicted from the deployer's nonce (another
    /// transaction from the deployer got in between), so the contracts' immutable links to
    /// each other would be wrong.
    #[error("contract {index} of the plan landed at {got:?}, planned {planned}")]
    WrongAddress {
        /// The creation's position in the plan (nonce order).
        index: usize,
        /// The address the plan predicted.
        planned: Address,
        /// Where the receipt says it landed (`None`: no contract was created).
        got: Option<Address>,
    },
}

/// Names the custom error in revert data from any of the rollup's contracts (or a plain
/// `Error(string)`), for logs and user-facing messages.
pub fn revert_reason(data: &[u8]) -> String {
    if let Ok(e) = Inbox::InboxErrors::abi_decode(data) {
        return format!("Inbox.{e:?}");
    }
    if let Ok(e) = Rollup::RollupErrors::abi_decode(data) {
        return format!("Rollup.{e:?}");
    }
    if let Ok(e) = Outbox::OutboxErrors::abi_decode(data) {
        return format!("Outbox.{e:?}");
    }
    if let Ok(e) = ChallengeManager::ChallengeManagerErrors::abi_decode(data) {
        return format!("ChallengeManager.{e:?}");
    }
    if let Ok(s) = alloy_sol_types::Revert::abi_decode(data) {
        return format!("Error({:?})", s.reason);
    }
    format!("0x{}", alloy_primitives::hex::encode(data))
}

/// The rollup's contracts on one L1, used from one signing account.
#[derive(Clone)]
pub struct RollupL1<L> {
    /// The L1 handle; its signer sends every transaction.
    pub l1: L,
    /// The addresses of the Inbox, Outbox, Rollup, ChallengeManager and one-step prover.
    pub contracts: Deployment,
}

impl<L: L1> RollupL1<L> {
    /// The contracts already deployed at `contracts`.
    pub fn at(l1: L, contracts: Deployment) -> RollupL1<L> {
        RollupL1 { l1, contracts }
    }

    /// Deploys the whole set from the L1 handle's signer (which must be the configured owner).
    pub async fn deploy(l1: L, config: RollupConfig) -> Result<RollupL1<L>, DeployError> {
        let deployer = l1.signer();
        let nonce = l1.nonce(deployer).await?;
        let mut plan = Deployment::plan(deployer, nonce, config);
        for (index, (planned, code)) in plan.creations.iter().enumerate() {
            let receipt = l1
                .send(L1Tx {
                    to: None,
                    data: code.clone().into(),
                    value: U256::ZERO,
                    urgent: false,
                })
                .await?;
            if receipt.contract_address != Some(*planned) {
                return Err(DeployError::WrongAddress {
                    index,
                    planned: *planned,
                    got: receipt.contract_address,
                });
            }
            if index == 0 {
                plan.deployment.block = receipt.block_number;
            }
        }
        for (to, data) in plan.calls {
            l1.send(L1Tx {
                to: Some(to),
                data: data.into(),
                value: U256::ZERO,
                urgent: false,
            })
            .await?;
        }
        Ok(RollupL1 {
            l1,
            contracts: plan.deployment,
        })
    }

    async fn send<C: SolCall>(
        &self,
        to: Address,
        call: C,
        value: U256,
    ) -> Result<L1Receipt, L1Error> {
        self.l1
            .send(L1Tx {
                to: Some(to),
                data: call.abi_encode().into(),
                value,
                urgent: false,
            })
            .await
    }

    async fn view<C: SolCall>(&self, to: Address, call: C) -> Result<C::Return, L1Error> {
        let out = self.l1.call(to, call.abi_encode().into()).await?;
        C::abi_decode_returns(&out)
            .map_err(|e| L1Error::Transport(format!("undecodable return data: {e}")))
    }

    /// Deposits `amount` wei for `to` on L2.
    pub async fn deposit(&self, to: Address, amount: U256) -> Result<L1Receipt, L1Error> {
        self.send(self.contracts.inbox, Inbox::depositCall { to }, amount)
            .await
    }

    /// Appends batch `seq` (its data starts with `seq`, docs/spec/inbox.md "The header and the message kinds").
    pub async fn append_batch(&self, data: Vec<u8>, seq: u64) -> Result<L1Receipt, L1Error> {
        let call = Inbox::appendBatchCall {
            data: data.into(),
            seq,
        };
        self.send(self.contracts.inbox, call, U256::ZERO).await
    }

    /// Forces one signed L2 transaction through the Inbox (the escape hatch).
    pub async fn force_transaction(&self, signed_tx: Vec<u8>) -> Result<L1Receipt, L1Error> {
        let call = Inbox::forceTransactionCall {
            signedTx: signed_tx.into(),
        };
        self.send(self.contracts.inbox, call, U256::ZERO).await
    }

    /// Appends an empty message.
    pub async fn tick(&self) -> Result<L1Receipt, L1Error> {
        self.send(self.contracts.inbox, Inbox::tickCall {}, U256::ZERO)
            .await
    }

    /// The sequence number the Inbox expects of the next batch.
    pub async fn next_batch_seq(&self) -> Result<u64, L1Error> {
        self.view(self.contracts.inbox, Inbox::nextBatchSeqCall {})
            .await
    }

    /// Messages in the Inbox.
    pub async fn message_count(&self) -> Result<u64, L1Error> {
        let n = self
            .view(self.contracts.inbox, Inbox::messageCountCall {})
            .await?;
        Ok(n.saturating_to())
    }

    /// The accumulator after message `index`.
    pub async fn accumulator(&self, index: u64) -> Result<B256, L1Error> {
        let call = Inbox::accumulatorCall {
            index: U256::from(index),
        };
        self.view(self.contracts.inbox, call).await
    }

    /// The messages appended in L1 blocks `from ..= to` (none before the deployment block),
    /// in inbox order.
    pub async fn messages(&self, from: u64, to: u64) -> Result<Vec<InboxMessage>, L1Error> {
        let from = from.max(self.contracts.block);
        if from > to {
            return Ok(Vec::new());
        }
        let logs = self.l1.logs(self.contracts.inbox, from, to).await?;
        let mut out = Vec::new();
        for l in logs {
            if l.log.topics().first() != Some(&Inbox::MessageAppended::SIGNATURE_HASH) {
                continue;
            }
            let e = Inbox::MessageAppended::decode_log(&l.log)
                .map_err(|e| L1Error::Transport(format!("undecodable MessageAppended: {e}")))?;
            out.push(InboxMessage {
                index: e.index.saturating_to(),
                header: Header::from_word(&e.header.0),
                data: e.data.data.to_vec(),
                accumulator: e.accumulator,
                l1_block: l.block_number,
                l1_tx: l.tx_hash,
            });
        }
        Ok(out)
    }

    /// Claims `gs` after the blocks of `parent`'s range, staking `bond` (a new stake) or
    /// moving the sender's stake (`bond` zero). Returns the id of the assertion the sender
    /// now stands on — the new one, or the sibling that already made the same claim (the
    /// Rollup stakes on it instead) — and the receipt.
    pub async fn create_assertion(
        &self,
        parent: u64,
        gs: &GlobalState,
        bond: U256,
    ) -> Result<(u64, L1Receipt), L1Error> {
        let call = Rollup::createAssertionCall {
            parentId: U256::from(parent),
            afterState: sol_global_state(gs),
        };
        let receipt = self.send(self.contracts.rollup, call, bond).await?;
        self.staked_by(receipt)
    }

    /// Claims that a block of `parent`'s children's range cannot finish (`createStuckAssertion`)
    /// and stakes on that claim, as [`Self::create_assertion`] does.
    pub async fn create_stuck_assertion(
        &self,
        parent: u64,
        bond: U256,
    ) -> Result<(u64, L1Receipt), L1Error> {
        let call = Rollup::createStuckAssertionCall {
            parentId: U256::from(parent),
        };
        let receipt = self.send(self.contracts.rollup, call, bond).await?;
        self.staked_by(receipt)
    }

    /// The assertion a `createAssertion` or `createStuckAssertion` receipt staked on: the one
    /// it created, or the existing sibling with the same claim.
    fn staked_by(&self, receipt: L1Receipt) -> Result<(u64, L1Receipt), L1Error> {
        let ours = || {
            receipt
                .logs
                .iter()
                .filter(|l| l.log.address == self.contracts.rollup)
        };
        let id = ours()
            .find_map(|l| Rollup::AssertionCreated::decode_log(&l.log).ok())
            .map(|e| e.id)
            .or_else(|| {
                ours().find_map(|l| {
                    Rollup::Staked::decode_log(&l.log)
                        .ok()
                        .map(|e| e.assertionId)
                })
            })
            .or_else(|| {
                ours().find_map(|l| Rollup::StakerMoved::decode_log(&l.log).ok().map(|e| e.to))
            })
            .map(|id| id.saturating_to())
            .ok_or_else(|| L1Error::Transport("createAssertion emitted no stake event".into()));
        Ok((id?, receipt))
    }

    /// Confirms assertion `id`.
    pub async fn confirm(&self, id: u64) -> Result<L1Receipt, L1Error> {
        let call = Rollup::confirmCall { id: U256::from(id) };
        self.send(self.contracts.rollup, call, U256::ZERO).await
    }

    /// Assertion `id` as the Rollup stores it.
    pub async fn assertion(&self, id: u64) -> Result<Rollup::Assertion, L1Error> {
        let call = Rollup::getAssertionCall { id: U256::from(id) };
        self.view(self.contracts.rollup, call).await
    }

    /// When the children of `parent` can be decided (zero if it has none).
    pub async fn deadline(&self, parent: u64) -> Result<u64, L1Error> {
        let call = Rollup::deadlineCall {
            parentId: U256::from(parent),
        };
        Ok(self
            .view(self.contracts.rollup, call)
            .await?
            .saturating_to())
    }

    /// The latest confirmed assertion and its record as of L1 block `block` (a safe point:
    /// a confirmation a reorg could still undo is not read).
    pub async fn confirmed_at(&self, block: u64) -> Result<(u64, Rollup::Assertion), L1Error> {
        let to = self.contracts.rollup;
        let out = self
            .l1
            .call_at(
                to,
                Rollup::latestConfirmedCall {}.abi_encode().into(),
                block,
            )
            .await?;
        let id: u64 = Rollup::latestConfirmedCall::abi_decode_returns(&out)
            .map_err(|e| L1Error::Transport(format!("undecodable return data: {e}")))?
            .saturating_to();
        let call = Rollup::getAssertionCall { id: U256::from(id) };
        let out = self.l1.call_at(to, call.abi_encode().into(), block).await?;
        let a = Rollup::getAssertionCall::abi_decode_returns(&out)
            .map_err(|e| L1Error::Transport(format!("undecodable return data: {e}")))?;
        Ok((id, a))
    }

    /// The latest confirmed assertion.
    pub async fn latest_confirmed(&self) -> Result<u64, L1Error> {
        let n = self
            .view(self.contracts.rollup, Rollup::latestConfirmedCall {})
            .await?;
        Ok(n.saturating_to())
    }

    /// The L2 chain id (the Inbox's, in message 0).
    pub async fn chain_id(&self) -> Result<u64, L1Error> {
        self.view(self.contracts.inbox, Inbox::chainIdCall {}).await
    }

    /// The module root new assertions' children run.
    pub async fn module_root(&self) -> Result<B256, L1Error> {
        self.view(self.contracts.rollup, Rollup::moduleRootCall {})
            .await
    }

    /// Schedules `root` as the module root of families started `moduleRootDelay` from now
    /// (the owner only).
    pub async fn schedule_module_root(&self, root: B256) -> Result<L1Receipt, L1Error> {
        let call = Rollup::scheduleModuleRootCall { next: root };
        self.send(self.contracts.rollup, call, U256::ZERO).await
    }

    /// The bond a new stake pays.
    pub async fn bond(&self) -> Result<U256, L1Error> {
        self.view(self.contracts.rollup, Rollup::bondCall {}).await
    }

    /// The account credited with what is left of every lost bond after refunds.
    pub async fn escrow(&self) -> Result<Address, L1Error> {
        self.view(self.contracts.rollup, Rollup::escrowCall {})
            .await
    }

    /// Seconds a family stays open after its first child.
    pub async fn challenge_period(&self) -> Result<u64, L1Error> {
        let p = self
            .view(self.contracts.rollup, Rollup::challengePeriodCall {})
            .await?;
        Ok(p.saturating_to())
    }

    /// Whether `who` has a live stake.
    pub async fn is_staked(&self, who: Address) -> Result<bool, L1Error> {
        let s = self
            .view(self.contracts.rollup, Rollup::stakersCall(who))
            .await?;
        Ok(s.staked)
    }

    /// The assertion `who`'s stake is on.
    pub async fn staker(&self, who: Address) -> Result<u64, L1Error> {
        let s = self
            .view(self.contracts.rollup, Rollup::stakersCall(who))
            .await?;
        Ok(s.current)
    }

    /// Pays a withdrawal on L1 against a confirmed outbox root.
    pub async fn withdraw(&self, w: &WithdrawalClaim) -> Result<L1Receipt, L1Error> {
        let call = Outbox::withdrawCall {
            index: w.index,
            l2Sender: w.l2_sender,
            l1Recipient: w.l1_recipient,
            amount: w.amount,
            txId: w.tx_id,
            outboxRoot: w.outbox_root,
            proof: w.proof,
        };
        self.send(self.contracts.outbox, call, U256::ZERO).await
    }
}

/// Everything `Outbox.withdraw` needs (docs/spec/outbox.md), as `fuse_getWithdrawalProof`
/// answers it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WithdrawalClaim {
    /// The withdrawal's leaf index in the outbox tree (below 2^32); the Outbox pays each
    /// index once.
    pub index: u64,
    /// The L2 account that withdrew.
    pub l2_sender: Address,
    /// The L1 account the Outbox pays.
    pub l1_recipient: Address,
    /// Wei paid to `l1_recipient` (a decimal string in JSON).
    #[serde(with = "u128_string")]
    pub amount: u128,
    /// The id of the L2 transaction that withdrew (`keccak256` of its encoding).
    pub tx_id: B256,
    /// The confirmed outbox root the proof leads to.
    pub outbox_root: B256,
    /// The leaf's 32 sibling hashes in the outbox tree, bottom-up.
    pub proof: [B256; 32],
    /// The confirmed assertion whose outbox root this is.
    pub assertion: u64,
}

/// Amounts travel as decimal strings (JSON numbers lose precision past 2^53).
mod u128_string {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub(super) fn serialize<S: Serializer>(v: &u128, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.to_string())
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u128, D::Error> {
        String::deserialize(d)?.parse().map_err(D::Error::custom)
    }
}
