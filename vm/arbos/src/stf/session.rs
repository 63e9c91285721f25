//! Transactions executed one at a time exactly as a batch executes them: the sequencer's soft
//! state (docs/spec/state.md, "Soft state"). A batch's transactions run in order on the state
//! its block reached after draining the forced queue; a session runs the same per-transaction
//! code ([`Block::execute_tx`]) on a given state and hands back each receipt at once, so the
//! sequencer can answer `ACCEPTED_IN_L2` or a rejection before the batch exists.
//!
//! The guest never builds a session; it is native-only API over the one block function.

use alloc::vec::Vec;

use super::{Block, BlockReport, GlobalState, Receipt};
use crate::env::Env;
use crate::state::{Corrupt, State};
use crate::tx::{self, Domain, SignedTx};

/// A state and the transactions executed on it so far.
pub struct TxSession<'a, E: Env + ?Sized> {
    block: Block<'a, E>,
}

impl<'a, E: Env + ?Sized> TxSession<'a, E> {
    /// A session on `gs`; `None` if the chain is not configured yet (no transaction can run
    /// before message 0).
    pub fn begin(env: &'a mut E, gs: &GlobalState) -> Result<Option<Self>, Corrupt> {
        const {
            assert!(
                E::REPORT,
                "a session reports each receipt: its Env must set REPORT"
            );
        }
        let Some(state) = State::load(env, &gs.state_root.0)? else {
            return Ok(None);
        };
        let config = state.system.config;
        let domain = tx::domain_separator(
            env,
            &Domain {
                chain_id: config.chain_id,
                inbox: config.inbox,
            },
        );
        Ok(Some(TxSession {
            block: Block {
                env,
                state,
                outbox_root: gs.outbox_root.0,
                outbox: None,
                queue: None,
                domain,
                report: BlockReport::default(),
            },
        }))
    }

    /// Executes one transaction (its canonical `encoding`, which fixes its id) as a batch
    /// would, and returns its receipt: `Ok` if it changed the state, the skip otherwise.
    pub fn execute(&mut self, t: &SignedTx, encoding: &[u8]) -> Result<Receipt, Corrupt> {
        let id = tx::id_of_encoding(self.block.env, encoding);
        self.block.execute_tx(t, &id, false)?;
        Ok(self
            .block
            .report
            .receipts
            .last()
            .cloned()
            .expect("REPORT is set, so every executed tx leaves a receipt"))
    }

    /// The state root reached so far: what a batch of these transactions claims.
    pub fn state_root(&mut self) -> [u8; 32] {
        self.block.state.store(self.block.env)
    }

    /// The outbox root after the withdrawals so far.
    pub fn outbox_root(&self) -> [u8; 32] {
        self.block.outbox_root
    }

    /// Withdrawal leaves appended so far, with their outbox index.
    pub fn withdrawals(&self) -> &[(u64, [u8; 32])] {
        &self.block.report.withdrawals
    }

    /// Every receipt so far, in order.
    pub fn receipts(&self) -> &[Receipt] {
        &self.block.report.receipts
    }

    /// Ends the session: the state and outbox roots reached, and the receipts.
    pub fn finish(mut self) -> ([u8; 32], [u8; 32], Vec<Receipt>) {
        let root = self.state_root();
        (root, self.block.outbox_root, self.block.report.receipts)
    }
}
