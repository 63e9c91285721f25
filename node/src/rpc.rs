//! The sequencer's JSON-RPC 2.0 API over HTTP (jsonrpsee), specified with examples in
//! docs/spec/rpc.md. Handlers validate every parameter and answer a JSON-RPC error with a
//! clear message for anything wrong; jsonrpsee answers malformed JSON, unknown methods and
//! oversized bodies itself, and the server keeps serving.

use std::net::SocketAddr;

use alloy_primitives::{Address, B256, hex};
use jsonrpsee::server::{RpcModule, ServerConfig, ServerHandle};
use jsonrpsee::types::{ErrorObjectOwned, Params};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::watch;

use fuse_exec::env::recover_ahead;
use fuse_sequencer::service::{Shared, lock};
use fuse_sequencer::store::TxStatus;
use fuse_sequencer::{ClaimError, Rejection};

/// A transaction was refused at ingress (`data.reason` names why).
pub const TX_REJECTED: i32 = -32000;
/// No transaction with that id is known.
pub const UNKNOWN_TX: i32 = -32001;
/// The withdrawal exists but no confirmed assertion covers it yet.
pub const NOT_FINAL: i32 = -32002;
/// The node could not answer (its store failed); retry later.
pub const INTERNAL: i32 = -32603;
/// Parameters that do not parse.
pub const INVALID_PARAMS: i32 = -32602;

/// Largest request body accepted: a signed transaction is 87 bytes, so 64 KiB leaves room
/// for any legitimate call and refuses floods.
pub const MAX_REQUEST_BYTES: u32 = 64 * 1024;

/// Open connections served at once (jsonrpsee's default, 100, refuses a busy wallet
/// backend's pool with HTTP 429).
pub const MAX_CONNECTIONS: usize = 4_096;
/// Open connections served at once from one client network (an IPv4 /24).
pub const MAX_CONNECTIONS_PER_CLIENT: usize = 64;

/// The limits of the API's HTTP front (fuse_serve; docs/spec/rpc.md, "Limits").
pub fn limits() -> fuse_serve::Limits {
    fuse_serve::Limits {
        max_connections: MAX_CONNECTIONS,
        per_client: MAX_CONNECTIONS_PER_CLIENT,
        max_body: MAX_REQUEST_BYTES as usize,
        ..fuse_serve::Limits::default()
    }
}

/// What `fuse_chainInfo` answers.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ChainInfo {
    /// The L2 chain id (the Inbox's, in message 0).
    pub chain_id: u64,
    /// The Inbox (messages, accumulators, the ETH escrow).
    pub inbox: Address,
    /// The Outbox (withdrawals against confirmed roots).
    pub outbox: Address,
    /// The Rollup (assertions, stakes).
    pub rollup: Address,
    /// The ChallengeManager.
    pub challenge_manager: Address,
    /// The one-step prover's entry contract.
    pub one_step_prover: Address,
    /// The module root new assertions' children run, as read when the node started.
    pub module_root: B256,
    /// The L1 block the Inbox was created in: where a follower starts reading the rollup's
    /// events (0 from a node that does not know it).
    #[serde(default)]
    pub deployed_at_block: u64,
}

impl ChainInfo {
    /// The contracts' addresses and deployment block, as the L1 handles take them.
    pub fn deployment(&self) -> fuse_l1::rollup::Deployment {
        fuse_l1::rollup::Deployment {
            inbox: self.inbox,
            outbox: self.outbox,
            rollup: self.rollup,
            challenges: self.challenge_manager,
            osp: self.one_step_prover,
            block: self.deployed_at_block,
        }
    }
}

/// What the handlers share.
#[derive(Clone)]
pub struct RpcContext {
    /// The sequencer the handlers query and submit to.
    pub sequencer: Shared,
    /// The highest commit group on disk, to wait on before acknowledging a transaction.
    pub durable: watch::Receiver<u64>,
    /// The chain's EIP-712 domain separator, for recovering signers before the lock.
    pub separator: [u8; 32],
    /// Tells the committer there is something to write.
    pub wake: std::sync::Arc<tokio::sync::Notify>,
    /// What `fuse_chainInfo` answers.
    pub info: ChainInfo,
    /// The node's validator's health, if it runs one.
    pub validator: Option<watch::Receiver<fuse_validator::health::Health>>,
}

fn error(code: i32, message: impl Into<String>, data: Option<Value>) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(code, message.into(), data)
}

fn invalid(message: impl Into<String>) -> ErrorObjectOwned {
    error(INVALID_PARAMS, message, None)
}

/// Invalid params, said as a sentence: `expected` and what the parser objected to (its
/// message, never the error object's debug form).
fn bad_params(expected: &str, e: ErrorObjectOwned) -> ErrorObjectOwned {
    let why = e
        .data()
        .and_then(|d| serde_json::from_str::<String>(d.get()).ok())
        .unwrap_or_else(|| e.message().to_string());
    invalid(format!("{expected}: {why}"))
}

fn internal(e: impl std::fmt::Display) -> ErrorObjectOwned {
    error(INTERNAL, format!("internal error: {e}"), None)
}

fn parse_hex<const N: usize>(what: &str, s: &str) -> Result<[u8; N], ErrorObjectOwned> {
    let bytes = hex::decode(s).map_err(|e| invalid(format!("{what}: not hex ({e})")))?;
    bytes
        .try_into()
        .map_err(|_| invalid(format!("{what}: expected {N} bytes")))
}

fn rejection_data(r: &Rejection) -> Value {
    let name = format!("{r:?}");
    let kind = name
        .split(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or_default()
        .to_string();
    json!({ "reason": kind })
}

/// Options of `fuse_sendTransaction`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SendOptions {
    /// The sender the wallet means; a signature that recovers to anyone else is refused
    /// (a wrong chain id or key).
    from: Option<Address>,
    /// Answer only once the transaction is durable (`ACCEPTED_IN_L2`).
    #[serde(default)]
    wait: bool,
}

fn status_json(ctx: &RpcContext, id: &[u8; 32]) -> Result<Value, ErrorObjectOwned> {
    let seq = lock(&ctx.sequencer);
    if seq.is_unsaved(id) {
        return Ok(json!({ "id": B256::from(*id), "status": "PENDING" }));
    }
    let rec = seq.store().tx(id).map_err(internal)?;
    // A refusal at ingress is remembered in memory only, and is newer than a stored
    // `REJECTED` of the same bytes; a stored acceptance is newer than either.
    let stored_rejection = matches!(&rec, Some(r) if matches!(r.status, TxStatus::Rejected { .. }));
    if (rec.is_none() || stored_rejection)
        && let Some(reason) = seq.recent_rejection(id)
    {
        return Ok(json!({ "id": B256::from(*id), "status": "REJECTED", "reason": reason }));
    }
    let Some(rec) = rec else {
        return Err(error(
            UNKNOWN_TX,
            format!("unknown transaction {}", B256::from(*id)),
            None,
        ));
    };
    let mut v = json!({ "id": B256::from(*id) });
    match rec.status {
        TxStatus::AcceptedInL2 => v["status"] = "ACCEPTED_IN_L2".into(),
        TxStatus::Posted { batch } => {
            v["status"] = "POSTED".into();
            v["batch"] = batch.into();
            let b = seq.store().batch(batch).map_err(internal)?;
            if let Some(tx) = b.as_ref().and_then(|b| b.l1_tx) {
                v["l1Tx"] = json!(B256::from(tx));
            }
            if let Some(m) = b.and_then(|b| b.message) {
                v["inboxIndex"] = m.into();
            }
        }
        TxStatus::Finalized { batch, message } => {
            v["status"] = "FINALIZED".into();
            v["batch"] = batch.into();
            v["inboxIndex"] = message.into();
        }
        TxStatus::Rejected { reason } => {
            v["status"] = "REJECTED".into();
            v["reason"] = reason.into();
        }
        TxStatus::Forced { message } => {
            v["status"] = "FORCED".into();
            v["inboxIndex"] = message.into();
            v["executed"] = false.into();
        }
        TxStatus::ForcedRan { message } => {
            v["status"] = "FORCED".into();
            v["inboxIndex"] = message.into();
            v["executed"] = true.into();
        }
    }
    Ok(v)
}

async fn send_transaction(
    params: Params<'static>,
    ctx: &RpcContext,
) -> Result<Value, ErrorObjectOwned> {
    let mut seq_params = params.sequence();
    let tx: String = seq_params
        .next()
        .map_err(|e| bad_params("expected [\"0x<signed tx>\", {options}]", e))?;
    let opts: Option<SendOptions> = seq_params
        .optional_next()
        .map_err(|e| bad_params("options", e))?;
    let opts = opts.unwrap_or_default();
    let bytes = hex::decode(&tx).map_err(|e| invalid(format!("transaction: not hex ({e})")))?;
    // The costly part of ingress, done before taking the lock.
    let recovery = recover_ahead(&bytes, &ctx.separator);
    let (id, taken) = {
        let mut seq = lock(&ctx.sequencer);
        if let Some(r) = recovery {
            seq.env_mut().remember(r);
        }
        // Kept only for a transaction that is accepted (its rebuilds reuse it).
        let forget = |seq: &mut fuse_sequencer::Sequencer| {
            if let Some((input, _)) = &recovery {
                seq.env_mut().forget_recovery(input);
            }
        };
        match seq.submit(&bytes, opts.from.map(Into::into)) {
            Ok(id) => {
                ctx.wake.notify_one();
                (id, seq.taken())
            }
            Err((id, r)) => {
                // `Known`: the same bytes are pending, and their recovery with them.
                if !matches!(r, Rejection::Known { .. }) {
                    forget(&mut seq);
                }
                if let Some(id) = id {
                    seq.record_rejection(id, &r);
                }
                fuse_sequencer::metrics::count(fuse_sequencer::metrics::status::REFUSED, 1);
                return Err(error(TX_REJECTED, r.to_string(), Some(rejection_data(&r))));
            }
        }
    };
    if !opts.wait {
        return Ok(json!({ "id": B256::from(id), "status": "PENDING" }));
    }
    // It joined group `taken + 1` (sequencer/commit.rs): durable once that group landed.
    let mut durable = ctx.durable.clone();
    durable
        .wait_for(|&n| n > taken)
        .await
        .map_err(|_| internal("the node is shutting down"))?;
    status_json(ctx, &id)
}

fn account(params: Params<'_>, ctx: &RpcContext) -> Result<Value, ErrorObjectOwned> {
    let (address,): (Address,) = params
        .parse()
        .map_err(|e| bad_params("expected [\"0x<address>\"]", e))?;
    let mut seq = lock(&ctx.sequencer);
    let soft = seq.account(&address.into(), true).map_err(internal)?;
    let canonical = seq.account(&address.into(), false).map_err(internal)?;
    let finalized = seq.finalized_account(&address.into()).map_err(internal)?;
    Ok(json!({
        "address": address,
        "soft": { "balance": soft.balance.to_string(), "nonce": soft.nonce },
        "canonical": { "balance": canonical.balance.to_string(), "nonce": canonical.nonce },
        "finalized": { "balance": finalized.balance.to_string(), "nonce": finalized.nonce },
    }))
}

/// The API's methods over `ctx`.
pub fn module(ctx: RpcContext) -> RpcModule<RpcContext> {
    let mut m = RpcModule::new(ctx);
    m.register_async_method("fuse_sendTransaction", |params, ctx, _| async move {
        send_transaction(params, &ctx).await
    })
    .expect("unique method name");
    m.register_method("fuse_getTransactionStatus", |params, ctx, _| {
        let (id,): (String,) = params
            .parse()
            .map_err(|e| bad_params("expected [\"0x<tx id>\"]", e))?;
        let id = parse_hex::<32>("tx id", &id)?;
        status_json(ctx, &id)
    })
    .expect("unique method name");
    m.register_method("fuse_getAccount", |params, ctx, _| account(params, ctx))
        .expect("unique method name");
    m.register_method("fuse_getWithdrawalProof", |params, ctx, _| {
        let (id,): (String,) = params
            .parse()
            .map_err(|e| bad_params("expected [\"0x<tx id>\"]", e))?;
        let id = parse_hex::<32>("tx id", &id)?;
        match lock(&ctx.sequencer).withdrawal_claim(&id) {
            Ok(claim) => Ok(serde_json::to_value(claim).expect("serializable")),
            Err(ClaimError::Unknown) => Err(error(
                UNKNOWN_TX,
                format!("no withdrawal by transaction {} is on L1", B256::from(id)),
                None,
            )),
            Err(e @ (ClaimError::NotFinal { .. } | ClaimError::NotExecuted { .. })) => {
                Err(error(NOT_FINAL, e.to_string(), None))
            }
            Err(ClaimError::Sequencer(e)) => Err(internal(e)),
        }
    })
    .expect("unique method name");
    m.register_method("fuse_chainInfo", |_, ctx, _| {
        Ok::<_, ErrorObjectOwned>(serde_json::to_value(&ctx.info).expect("serializable"))
    })
    .expect("unique method name");
    m.register_method("fuse_validatorStatus", |_, ctx, _| {
        let v = match &ctx.validator {
            Some(rx) => serde_json::to_value(&*rx.borrow()).expect("serializable"),
            None => serde_json::json!({ "state": "none" }),
        };
        Ok::<_, ErrorObjectOwned>(v)
    })
    .expect("unique method name");
    m
}

/// Serves the API on `addr` (port 0 picks a free one); returns the bound address.
pub async fn serve(
    addr: SocketAddr,
    ctx: RpcContext,
) -> std::io::Result<(SocketAddr, ServerHandle)> {
    let config = ServerConfig::builder()
        .max_request_body_size(MAX_REQUEST_BYTES)
        .build();
    fuse_serve::start(addr, module(ctx), config, limits()).await
}
