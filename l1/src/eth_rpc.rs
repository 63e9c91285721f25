//! The embedded L1 as an Ethereum JSON-RPC endpoint, so wallets and tools in other processes
//! (`fuse-l2 wallet deposit | claim | force`, alloy, cast) use the devnet's L1 as they would
//! any chain. The subset served, and what it leaves out, is in docs/spec/rpc.md ("The
//! devnet's L1").
//!
//! The chain keeps only its latest state: a state query for an older block is refused with a
//! clear error rather than answered from the wrong state. Every transaction is mined at once,
//! so `pending` is `latest`.

use std::net::SocketAddr;

use alloy::consensus::{Receipt, ReceiptEnvelope, TxType};
use alloy::eips::{BlockId, BlockNumberOrTag};
use alloy::rpc::types::{
    Block, BlockTransactions, FeeHistory, Filter, Header, Log, TransactionReceipt,
    TransactionRequest,
};
use alloy_primitives::{Address, B256, Bytes, U64, U256, hex};
use fuse_contracts::evm::{Evm, EvmError, TxKind};
use jsonrpsee::server::{RpcModule, ServerConfig, ServerHandle};
use jsonrpsee::types::{ErrorObjectOwned, Params};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::embedded::{BlockSel, EmbeddedBlock, RawTxError, Simulation};
use super::{DevClock, EmbeddedL1, L1, L1Error};

/// `eth_call`/`eth_estimateGas` reverted; `data` is the revert data (geth's code).
pub const EXECUTION_REVERTED: i32 = 3;
/// A transaction refused before mining (nonce, chain id, signature…), as geth answers.
pub const TX_REFUSED: i32 = -32000;
const INVALID_PARAMS: i32 = -32602;
const INTERNAL: i32 = -32603;

/// Most reward percentiles one `eth_feeHistory` may ask for (geth's limit), and most cells
/// of its reward matrix (blocks × percentiles: 1,024 blocks at 10, 102 at 100).
const MAX_REWARD_PERCENTILES: usize = 100;
const MAX_REWARD_CELLS: usize = 10_240;

/// Largest request body: a deployment of the biggest contract plus hex encoding.
const MAX_REQUEST_BYTES: u32 = 1024 * 1024;

fn error(code: i32, message: impl Into<String>) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(code, message.into(), None::<()>)
}

fn invalid(message: impl Into<String>) -> ErrorObjectOwned {
    error(INVALID_PARAMS, message)
}

fn internal(e: L1Error) -> ErrorObjectOwned {
    error(INTERNAL, format!("internal error: {e}"))
}

fn to_json(v: impl serde::Serialize) -> Value {
    serde_json::to_value(v).expect("alloy's RPC types serialize")
}

type Answer = Result<Value, ErrorObjectOwned>;

/// Parses the positional parameters: `required` leading ones, then optional ones (absent →
/// `None`).
struct Args<'a> {
    seq: jsonrpsee::types::params::ParamsSequence<'a>,
    method: &'static str,
}

impl<'a> Args<'a> {
    fn new(params: &'a Params<'a>, method: &'static str) -> Args<'a> {
        Args {
            seq: params.sequence(),
            method,
        }
    }

    fn next<T: DeserializeOwned>(&mut self, what: &str) -> Result<T, ErrorObjectOwned> {
        self.seq
            .next()
            .map_err(|e| invalid(format!("{}: {what}: {}", self.method, e.message())))
    }

    fn optional<T: DeserializeOwned>(&mut self, what: &str) -> Result<Option<T>, ErrorObjectOwned> {
        self.seq
            .optional_next()
            .map_err(|e| invalid(format!("{}: {what}: {}", self.method, e.message())))
    }
}

/// Refuses a state query at any block but the latest (the chain keeps no history).
async fn latest_only(l1: &EmbeddedL1, at: Option<BlockId>) -> Result<(), ErrorObjectOwned> {
    let head = l1.head().await.map_err(internal)?;
    let ok = match at {
        None => true,
        Some(BlockId::Number(n)) => match n {
            BlockNumberOrTag::Number(n) => n == head.number,
            BlockNumberOrTag::Earliest => head.number == 0,
            _ => true,
        },
        Some(BlockId::Hash(h)) => l1
            .block(BlockSel::Latest)
            .await
            .map_err(internal)?
            .is_some_and(|b| b.hash == h.block_hash),
    };
    if ok {
        Ok(())
    } else {
        Err(error(
            TX_REFUSED,
            format!(
                "the embedded L1 keeps only its latest state (block {}); ask for `latest`",
                head.number
            ),
        ))
    }
}

fn block_json(b: EmbeddedBlock) -> Value {
    to_json(Block {
        header: Header {
            hash: b.hash,
            inner: b.header,
            total_difficulty: Some(U256::ZERO),
            size: None,
        },
        uncles: Vec::new(),
        transactions: BlockTransactions::<()>::Hashes(b.txs),
        withdrawals: None,
    })
}

async fn get_block(l1: &EmbeddedL1, sel: BlockSel) -> Answer {
    Ok(match l1.block(sel).await.map_err(internal)? {
        Some(b) => block_json(b),
        None => Value::Null,
    })
}

fn tag_to_sel(tag: BlockNumberOrTag) -> BlockSel {
    match tag {
        BlockNumberOrTag::Number(n) => BlockSel::Number(n),
        BlockNumberOrTag::Earliest => BlockSel::Number(0),
        // Every block is final the moment it is mined.
        _ => BlockSel::Latest,
    }
}

fn simulation(req: TransactionRequest) -> Result<Simulation, ErrorObjectOwned> {
    let input = req.input.into_input().unwrap_or_default();
    Ok(Simulation {
        from: req.from.unwrap_or(Address::ZERO),
        kind: req.to.unwrap_or(TxKind::Create),
        data: input,
        value: req.value.unwrap_or_default(),
        gas_limit: match req.gas {
            Some(g) if g > Evm::TX_GAS_LIMIT => {
                return Err(invalid(format!(
                    "gas {g} is above the per-transaction cap {}",
                    Evm::TX_GAS_LIMIT
                )));
            }
            Some(g) => g,
            None => Evm::TX_GAS_LIMIT,
        },
    })
}

fn evm_error(e: EvmError) -> ErrorObjectOwned {
    match e {
        EvmError::Revert { output, .. } => ErrorObjectOwned::owned(
            EXECUTION_REVERTED,
            "execution reverted",
            Some(format!("0x{}", hex::encode(output))),
        ),
        other => error(TX_REFUSED, other.to_string()),
    }
}

/// `eth_estimateGas`: what the call spent before refunds (a transaction must carry that much
/// to run), a quarter more for the 63/64 rule of nested calls, never above the cap.
fn estimate(spent: u64, floor: u64) -> u64 {
    let need = spent.max(floor);
    (need + need / 4 + 10_000).min(Evm::TX_GAS_LIMIT)
}

async fn receipt(l1: &EmbeddedL1, hash: B256) -> Answer {
    let Some((m, block_hash)) = l1.mined(hash).await.map_err(internal)? else {
        return Ok(Value::Null);
    };
    let logs: Vec<Log> = m
        .logs
        .into_iter()
        .enumerate()
        .map(|(i, inner)| Log {
            inner,
            block_hash: Some(block_hash),
            block_number: Some(m.block_number),
            block_timestamp: None,
            transaction_hash: Some(hash),
            transaction_index: Some(0),
            log_index: Some(i as u64),
            removed: false,
        })
        .collect();
    let receipt = Receipt {
        status: m.success.into(),
        cumulative_gas_used: m.gas_used,
        logs,
    }
    .with_bloom();
    let tx_type = TxType::try_from(m.tx_type).unwrap_or(TxType::Eip1559);
    Ok(to_json(TransactionReceipt {
        inner: ReceiptEnvelope::from_typed(tx_type, receipt),
        transaction_hash: hash,
        transaction_index: Some(0),
        block_hash: Some(block_hash),
        block_number: Some(m.block_number),
        gas_used: m.gas_used,
        effective_gas_price: 0,
        blob_gas_used: None,
        blob_gas_price: None,
        from: m.from,
        to: m.to,
        contract_address: m.contract_address,
    }))
}

async fn fee_history(l1: &EmbeddedL1, params: Params<'_>) -> Answer {
    let mut a = Args::new(&params, "eth_feeHistory");
    let count: U64 = a.next("block count")?;
    let newest: BlockNumberOrTag = a.next("newest block")?;
    let percentiles: Vec<f64> = a.optional("reward percentiles")?.unwrap_or_default();
    // The answer is blocks × percentiles: without a cap one small request costs gigabytes.
    if percentiles.len() > MAX_REWARD_PERCENTILES {
        return Err(invalid(format!(
            "eth_feeHistory: at most {MAX_REWARD_PERCENTILES} reward percentiles, got {}",
            percentiles.len()
        )));
    }
    let head = l1.head().await.map_err(internal)?.number;
    let newest = match newest {
        BlockNumberOrTag::Number(n) => n.min(head),
        BlockNumberOrTag::Earliest => 0,
        _ => head,
    };
    let count = count.to::<u64>().clamp(1, 1024).min(newest + 1);
    let n = count as usize;
    if n * percentiles.len() > MAX_REWARD_CELLS {
        return Err(invalid(format!(
            "eth_feeHistory: at most {MAX_REWARD_CELLS} blocks × reward percentiles, got {n} × {}",
            percentiles.len()
        )));
    }
    Ok(to_json(FeeHistory {
        base_fee_per_gas: vec![0; n + 1],
        gas_used_ratio: vec![0.0; n],
        base_fee_per_blob_gas: Vec::new(),
        blob_gas_used_ratio: Vec::new(),
        oldest_block: newest + 1 - count,
        reward: (!percentiles.is_empty()).then(|| vec![vec![0; percentiles.len()]; n]),
    }))
}

fn module(l1: EmbeddedL1) -> RpcModule<EmbeddedL1> {
    let mut m = RpcModule::new(l1);
    let chain_id = Evm::CHAIN_ID;
    m.register_method("eth_chainId", move |_, _, _| {
        Ok::<_, ErrorObjectOwned>(to_json(U64::from(chain_id)))
    })
    .expect("unique method name");
    m.register_method("net_version", move |_, _, _| {
        Ok::<_, ErrorObjectOwned>(json!(chain_id.to_string()))
    })
    .expect("unique method name");
    m.register_method("web3_clientVersion", |_, _, _| {
        Ok::<_, ErrorObjectOwned>(json!(concat!(
            "fuse-l2-embedded-l1/",
            env!("CARGO_PKG_VERSION")
        )))
    })
    .expect("unique method name");
    for zero in ["eth_gasPrice", "eth_maxPriorityFeePerGas"] {
        m.register_method(zero, |_, _, _| {
            Ok::<_, ErrorObjectOwned>(to_json(U64::ZERO))
        })
        .expect("unique method name");
    }
    m.register_async_method("eth_blockNumber", |_, l1, _| async move {
        let head = l1.head().await.map_err(internal)?;
        Answer::Ok(to_json(U64::from(head.number)))
    })
    .expect("unique method name");
    m.register_async_method("eth_getBlockByNumber", |params, l1, _| async move {
        let mut a = Args::new(&params, "eth_getBlockByNumber");
        let tag: BlockNumberOrTag = a.next("block")?;
        // Blocks always list transaction hashes (the chain's own sends have no signed form).
        let _full: Option<bool> = a.optional("full transactions flag")?;
        get_block(&l1, tag_to_sel(tag)).await
    })
    .expect("unique method name");
    m.register_async_method("eth_getBlockByHash", |params, l1, _| async move {
        let mut a = Args::new(&params, "eth_getBlockByHash");
        let hash: B256 = a.next("block hash")?;
        let _full: Option<bool> = a.optional("full transactions flag")?;
        get_block(&l1, BlockSel::Hash(hash)).await
    })
    .expect("unique method name");
    m.register_async_method("eth_getBalance", |params, l1, _| async move {
        let mut a = Args::new(&params, "eth_getBalance");
        let who: Address = a.next("address")?;
        latest_only(&l1, a.optional("block")?).await?;
        Answer::Ok(to_json(l1.balance(who).await.map_err(internal)?))
    })
    .expect("unique method name");
    m.register_async_method("eth_getTransactionCount", |params, l1, _| async move {
        let mut a = Args::new(&params, "eth_getTransactionCount");
        let who: Address = a.next("address")?;
        latest_only(&l1, a.optional("block")?).await?;
        Answer::Ok(to_json(U64::from(l1.nonce(who).await.map_err(internal)?)))
    })
    .expect("unique method name");
    m.register_async_method("eth_call", |params, l1, _| async move {
        let mut a = Args::new(&params, "eth_call");
        let req: TransactionRequest = a.next("transaction")?;
        latest_only(&l1, a.optional("block")?).await?;
        let out = l1.simulate(simulation(req)?).await.map_err(internal)?;
        Answer::Ok(to_json(out.map_err(evm_error)?.output))
    })
    .expect("unique method name");
    m.register_async_method("eth_estimateGas", |params, l1, _| async move {
        let mut a = Args::new(&params, "eth_estimateGas");
        let req: TransactionRequest = a.next("transaction")?;
        latest_only(&l1, a.optional("block")?).await?;
        let out = l1.simulate(simulation(req)?).await.map_err(internal)?;
        let out = out.map_err(evm_error)?;
        Answer::Ok(to_json(U64::from(estimate(out.gas_spent, out.floor_gas))))
    })
    .expect("unique method name");
    m.register_async_method("eth_feeHistory", |params, l1, _| async move {
        fee_history(&l1, params).await
    })
    .expect("unique method name");
    m.register_async_method("eth_sendRawTransaction", |params, l1, _| async move {
        let mut a = Args::new(&params, "eth_sendRawTransaction");
        let raw: Bytes = a.next("signed transaction (hex)")?;
        match l1.send_raw(raw).await.map_err(internal)? {
            Ok(hash) => Answer::Ok(to_json(hash)),
            Err(e @ RawTxError::Decode(_)) => Err(invalid(e.to_string())),
            Err(e) => Err(error(TX_REFUSED, e.to_string())),
        }
    })
    .expect("unique method name");
    m.register_async_method("eth_getTransactionReceipt", |params, l1, _| async move {
        let mut a = Args::new(&params, "eth_getTransactionReceipt");
        let hash: B256 = a.next("transaction hash")?;
        receipt(&l1, hash).await
    })
    .expect("unique method name");
    m.register_async_method("eth_getLogs", |params, l1, _| async move {
        let mut a = Args::new(&params, "eth_getLogs");
        let filter: Filter = a.next("filter")?;
        match l1.filter_logs(filter).await.map_err(internal)? {
            Ok(logs) => Answer::Ok(to_json(logs)),
            Err(e) => Err(invalid(e)),
        }
    })
    .expect("unique method name");
    // anvil's development methods, so tests and scripts move the devnet's clock the same way.
    m.register_async_method("evm_increaseTime", |params, l1, _| async move {
        let mut a = Args::new(&params, "evm_increaseTime");
        let seconds: U64 = a.next("seconds")?;
        // A century at most: the clock must stay far from overflow.
        if seconds > U64::from(100 * 365 * 86_400u64) {
            return Err(invalid("evm_increaseTime: at most a century at a time"));
        }
        l1.advance(seconds.to()).await.map_err(internal)?;
        Answer::Ok(to_json(seconds))
    })
    .expect("unique method name");
    m.register_async_method("evm_mine", |_, l1, _| async move {
        l1.advance(1).await.map_err(internal)?;
        Answer::Ok(json!("0x0"))
    })
    .expect("unique method name");
    m
}

/// Serves `l1` over Ethereum JSON-RPC on `addr` (port 0 picks a free one); returns the bound
/// address. The server stops when the handle is stopped or dropped.
pub async fn serve(
    l1: EmbeddedL1,
    addr: SocketAddr,
) -> std::io::Result<(SocketAddr, ServerHandle)> {
    let config = ServerConfig::builder()
        .max_request_body_size(MAX_REQUEST_BYTES)
        .build();
    let limits = fuse_serve::Limits {
        max_body: MAX_REQUEST_BYTES as usize,
        // Deployments and test tools open many connections from one address.
        per_client: 256,
        body_budget: 64 * 1024 * 1024,
        ..fuse_serve::Limits::default()
    };
    fuse_serve::start(addr, module(l1), config, limits).await
}

#[cfg(test)]
mod tests {
    use super::estimate;
    use fuse_contracts::evm::Evm;

    #[test]
    fn estimate_covers_spent_gas_and_never_exceeds_the_cap() {
        assert_eq!(estimate(21_000, 0), 21_000 + 5_250 + 10_000);
        assert_eq!(estimate(21_000, 30_000), 30_000 + 7_500 + 10_000);
        assert_eq!(estimate(Evm::TX_GAS_LIMIT, 0), Evm::TX_GAS_LIMIT);
    }
}
