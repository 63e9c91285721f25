//! The contracts a challenge runs on, deployed fresh on any [`L1`]: the OneStepProver (entry
//! and its four class modules), the ChallengeManager, and two stand-ins — an `InboxDouble`
//! holding the recorded inbox accumulators (all a one-step proof reads of the Inbox) and a
//! `ChallengeResultRecorder` in the Rollup's place (it opens the challenge and receives the
//! result). A challenge's moves, proof and outcome depend on nothing else, so a vector replays
//! without rebuilding the rollup that produced it.

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::{SolCall, SolValue};
use anyhow::{Context as _, ensure};
use fuse_contracts::deploy::Deployment;
use fuse_contracts::osp::{
    InboxDouble, OneStepProver, ProverControl, ProverHost, ProverMath, ProverMemory,
};
use fuse_contracts::rollup::{ChallengeManager, ChallengeResultRecorder};

use fuse_l1::rollup::RollupL1;
use fuse_l1::{L1, L1Receipt, L1Tx};

/// The deployed set.
#[derive(Clone, Copy, Debug)]
pub struct ChallengeSet {
    /// The ChallengeManager.
    pub manager: Address,
    /// The `ChallengeResultRecorder` standing in for the Rollup.
    pub recorder: Address,
    /// The OneStepProver's entry contract.
    pub osp: Address,
    /// The `InboxDouble` holding the recorded accumulators.
    pub inbox: Address,
}

async fn create<L: L1>(l1: &L, code: Vec<u8>) -> anyhow::Result<Address> {
    let r = l1
        .send(L1Tx {
            to: None,
            data: code.into(),
            value: U256::ZERO,
            urgent: false,
        })
        .await
        .context("deploying")?;
    r.contract_address
        .context("a creation without a contract address")
}

async fn call<L: L1>(l1: &L, to: Address, data: Vec<u8>) -> anyhow::Result<L1Receipt> {
    Ok(l1
        .send(L1Tx {
            to: Some(to),
            data: data.into(),
            value: U256::ZERO,
            urgent: false,
        })
        .await?)
}

impl ChallengeSet {
    /// Deploys the set from `l1`'s account: the manager with bisection `degree` and `clock`
    /// seconds a party, over an inbox holding `accumulators`.
    pub async fn deploy<L: L1>(
        l1: &L,
        accumulators: &[B256],
        degree: u64,
        clock: u64,
    ) -> anyhow::Result<ChallengeSet> {
        let control = create(l1, ProverControl::BYTECODE.to_vec()).await?;
        let math = create(l1, ProverMath::BYTECODE.to_vec()).await?;
        let memory = create(l1, ProverMemory::BYTECODE.to_vec()).await?;
        let host = create(l1, ProverHost::BYTECODE.to_vec()).await?;
        let mut code = OneStepProver::BYTECODE.to_vec();
        code.extend((control, math, memory, host).abi_encode_params());
        let osp = create(l1, code).await?;
        let inbox = create(l1, InboxDouble::BYTECODE.to_vec()).await?;
        for acc in accumulators {
            let push = InboxDouble::pushCall { accumulator_: *acc };
            call(l1, inbox, push.abi_encode()).await?;
        }
        let recorder = create(l1, ChallengeResultRecorder::BYTECODE.to_vec()).await?;
        let mut code = ChallengeManager::BYTECODE.to_vec();
        code.extend(
            (recorder, osp, inbox, U256::from(degree), U256::from(clock)).abi_encode_params(),
        );
        let manager = create(l1, code).await?;
        Ok(ChallengeSet {
            manager,
            recorder,
            osp,
            inbox,
        })
    }

    /// Opens a challenge over `blocks` blocks from `start` whose defender claims `end`;
    /// returns its id and the receipt.
    #[allow(clippy::too_many_arguments)]
    pub async fn open<L: L1>(
        &self,
        l1: &L,
        challenger: Address,
        defender: Address,
        start: B256,
        end: B256,
        blocks: u64,
        module_root: B256,
    ) -> anyhow::Result<(u64, L1Receipt)> {
        let before = self.count(l1).await?;
        let open = ChallengeResultRecorder::createChallengeCall {
            manager: self.manager,
            challenger,
            defender,
            startStateHash: start,
            endStateHash: end,
            numBlocks: U256::from(blocks),
            moduleRoot: module_root,
        };
        let r = call(l1, self.recorder, open.abi_encode()).await?;
        let id = self.count(l1).await?;
        ensure!(id == before + 1, "no challenge was created");
        Ok((id, r))
    }

    async fn count<L: L1>(&self, l1: &L) -> anyhow::Result<u64> {
        let out = l1
            .call(
                self.manager,
                ChallengeManager::challengeCountCall {}.abi_encode().into(),
            )
            .await?;
        Ok(ChallengeManager::challengeCountCall::abi_decode_returns(&out)?.saturating_to())
    }

    /// A handle that sends the manager's moves as `l1`'s account (only `challenges` is set:
    /// [`RollupL1::send_move`], `timeout` and `challenge_state` use nothing else).
    pub fn party<L: L1>(&self, l1: L) -> RollupL1<L> {
        RollupL1::at(
            l1,
            Deployment {
                inbox: self.inbox,
                outbox: Address::ZERO,
                rollup: Address::ZERO,
                challenges: self.manager,
                osp: self.osp,
                block: 0,
            },
        )
    }

    /// The winner and loser of challenge `id` (zeros while open).
    pub async fn result<L: L1>(&self, l1: &L, id: u64) -> anyhow::Result<(Address, Address)> {
        let q = ChallengeManager::resultCall { id: U256::from(id) };
        let out = l1.call(self.manager, q.abi_encode().into()).await?;
        let r = ChallengeManager::resultCall::abi_decode_returns(&out)?;
        Ok((r.winner, r.loser))
    }
}
