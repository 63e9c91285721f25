//! `fuse-l2 wallet`: a user's side of the rollup over the sequencer's JSON-RPC
//! (docs/spec/rpc.md). `transfer` and `withdraw` sign locally (EIP-712, docs/spec/tx.md) with
//! the chain's domain read from `fuse_chainInfo` and the sender's next nonce from its soft
//! state; `status` and `balance` read.
//!
//! `proof` fetches a withdrawal's proof once final; `deposit`, `claim` and `force` are L1
//! transactions sent to `--l1-rpc` with the same key (the contract addresses come from the
//! sequencer's `fuse_chainInfo`): the devnet's embedded L1, which it serves over Ethereum
//! JSON-RPC, or the chain a `fuse-l2 node` runs on.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use alloy::signers::local::PrivateKeySigner;
use alloy_primitives::{Address, hex};
use anyhow::Context as _;
use fuse_arbos::tx::{Domain, KIND_TRANSFER, KIND_WITHDRAW};
use jsonrpsee::core::client::ClientT;
use jsonrpsee::http_client::{HttpClient, HttpClientBuilder};
use jsonrpsee::rpc_params;
use serde_json::{Value, json};

use fuse_exec::wallet::sign;
use fuse_l1::RpcL1;
use fuse_l1::rollup::RollupL1;
use fuse_node::rpc::ChainInfo;

/// What to do.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum Wallet {
    /// Send an L2 transfer through the sequencer and follow it until it is posted to L1.
    Transfer(TxArgs),
    /// Withdraw to an L1 address (an L2 transaction; it is paid on L1 after finality).
    Withdraw(TxArgs),
    /// Print a transaction's status.
    Status(StatusArgs),
    /// Print an account's balance and nonce, soft and canonical.
    Balance(BalanceArgs),
    /// Print a withdrawal's proof (once a confirmed assertion covers it).
    Proof(StatusArgs),
    /// Deposit ETH from L1 to an L2 account (an L1 transaction to the Inbox).
    Deposit(DepositArgs),
    /// Claim a final withdrawal on L1 (an L1 transaction to the Outbox; anyone may send it).
    Claim(ClaimArgs),
    /// The escape hatch: send a signed L2 transfer or withdrawal through
    /// `Inbox.forceTransaction` on L1; it executes after the force delay even if the
    /// sequencer ignores it.
    Force(ForceArgs),
}

/// The L1 and the key that signs there.
#[derive(Debug, clap::Args)]
pub(crate) struct L1Args {
    /// The L1's JSON-RPC URL.
    #[arg(long, env = "FUSE_L1_RPC", hide_env_values = true)]
    pub l1_rpc: String,
    /// The L1 key (hex).
    #[arg(long, env = "FUSE_KEY", hide_env_values = true)]
    pub(crate) key: String,
}

/// Arguments of `deposit`.
#[derive(Debug, clap::Args)]
pub(crate) struct DepositArgs {
    #[command(flatten)]
    pub(crate) rpc: Rpc,
    #[command(flatten)]
    pub l1: L1Args,
    /// The L2 account credited (default: the key's own address).
    #[arg(long)]
    pub(crate) to: Option<Address>,
    /// Wei to deposit.
    #[arg(long)]
    pub(crate) amount: u128,
}

/// Arguments of `claim`.
#[derive(Debug, clap::Args)]
pub(crate) struct ClaimArgs {
    #[command(flatten)]
    pub(crate) rpc: Rpc,
    #[command(flatten)]
    pub l1: L1Args,
    /// The withdrawal's transaction id.
    pub(crate) id: String,
}

/// Arguments of `force`.
#[derive(Debug, clap::Args)]
pub(crate) struct ForceArgs {
    #[command(flatten)]
    pub(crate) rpc: Rpc,
    #[command(flatten)]
    pub l1: L1Args,
    /// `transfer` or `withdraw`.
    #[arg(long, default_value = "transfer")]
    pub(crate) kind: String,
    /// The recipient.
    #[arg(long)]
    pub(crate) to: Address,
    /// Wei.
    #[arg(long)]
    pub(crate) amount: u128,
    /// The L2 nonce (default: the sender's next nonce in the soft state).
    #[arg(long)]
    pub(crate) nonce: Option<u64>,
}

/// The sequencer to talk to.
#[derive(Debug, clap::Args)]
pub(crate) struct Rpc {
    /// The sequencer's JSON-RPC URL.
    #[arg(long, env = "FUSE_RPC", default_value = "http://127.0.0.1:8547")]
    pub(crate) rpc: String,
}

/// Arguments of `transfer` and `withdraw`.
#[derive(Debug, clap::Args)]
pub(crate) struct TxArgs {
    #[command(flatten)]
    pub(crate) rpc: Rpc,
    /// The sender's private key (hex).
    #[arg(long, env = "FUSE_KEY", hide_env_values = true)]
    pub(crate) key: String,
    /// The recipient (an L2 address for a transfer, an L1 address for a withdrawal).
    #[arg(long)]
    pub(crate) to: Address,
    /// The amount in wei.
    #[arg(long)]
    pub(crate) amount: u128,
    /// The nonce (default: the sender's next nonce in the soft state).
    #[arg(long)]
    pub(crate) nonce: Option<u64>,
    /// Return once accepted instead of following the transaction until it is on L1.
    #[arg(long)]
    pub(crate) no_follow: bool,
}

/// Arguments of `status`.
#[derive(Debug, clap::Args)]
pub(crate) struct StatusArgs {
    #[command(flatten)]
    pub(crate) rpc: Rpc,
    /// The transaction id (`0x` and 64 hex digits).
    pub(crate) id: String,
}

/// Arguments of `balance`.
#[derive(Debug, clap::Args)]
pub(crate) struct BalanceArgs {
    #[command(flatten)]
    pub(crate) rpc: Rpc,
    /// The L2 account.
    pub(crate) address: Address,
}

/// A JSON-RPC error as a person reads it: the node's message and code, or where the node
/// could not be reached.
fn readable(url: &str) -> impl Fn(jsonrpsee::core::client::Error) -> anyhow::Error + '_ {
    move |e| match e {
        jsonrpsee::core::client::Error::Call(e) => {
            anyhow::anyhow!("{} (JSON-RPC error {})", e.message(), e.code())
        }
        other => anyhow::anyhow!(
            "cannot reach the sequencer at {url}: {other} (is `fuse-l2 devnet` running? --rpc)"
        ),
    }
}

/// The rollup's contracts (addresses from the sequencer) on the L1 at `--l1-rpc`, signing
/// with `--key`.
async fn l1_rollup(rpc: &Rpc, l1: &L1Args) -> anyhow::Result<(PrivateKeySigner, RollupL1<RpcL1>)> {
    let key = parse_key(&l1.key)?;
    let c = client(rpc)?;
    let info = chain_info(&c, &rpc.rpc).await?;
    let handle = RpcL1::connect(&l1.l1_rpc, key.clone())?;
    Ok((key, RollupL1::at(handle, info.deployment())))
}

fn parse_key(s: &str) -> anyhow::Result<PrivateKeySigner> {
    crate::commands::keys::parse_hex(s, "--key")
}

async fn soft_nonce(c: &HttpClient, url: &str, who: Address) -> anyhow::Result<u64> {
    let v: Value = c
        .request("fuse_getAccount", rpc_params![who])
        .await
        .map_err(readable(url))?;
    v["soft"]["nonce"]
        .as_u64()
        .context("no nonce in the answer")
}

/// Prints the answer of `method(id)` as JSON.
async fn print_by_id(a: &StatusArgs, method: &str) -> anyhow::Result<ExitCode> {
    let v: Value = client(&a.rpc)?
        .request(method, rpc_params![&a.id])
        .await
        .map_err(readable(&a.rpc.rpc))?;
    println!("{}", serde_json::to_string_pretty(&v)?);
    Ok(ExitCode::SUCCESS)
}

/// The chain the sequencer serves (chain id, contract addresses).
async fn chain_info(c: &HttpClient, url: &str) -> anyhow::Result<ChainInfo> {
    c.request("fuse_chainInfo", rpc_params![])
        .await
        .map_err(readable(url))
}

fn client(rpc: &Rpc) -> anyhow::Result<HttpClient> {
    HttpClientBuilder::default()
        .request_timeout(Duration::from_secs(30))
        .build(&rpc.rpc)
        .with_context(|| format!("bad --rpc URL {:?}", rpc.rpc))
}

/// Awaits an L1 transaction under a spinner: a block or more on a public chain.
async fn spin_l1<T>(doing: &str, tx: impl std::future::Future<Output = T>) -> T {
    let message = format!("{doing}: waiting for the L1 transaction to be mined");
    crate::progress::spin("wallet", &message, tx).await
}

/// Runs the command.
pub(crate) fn run(w: Wallet) -> anyhow::Result<ExitCode> {
    tokio::runtime::Runtime::new()?.block_on(async {
        match w {
            Wallet::Transfer(a) => send(a, KIND_TRANSFER).await,
            Wallet::Withdraw(a) => send(a, KIND_WITHDRAW).await,
            Wallet::Status(a) => print_by_id(&a, "fuse_getTransactionStatus").await,
            Wallet::Proof(a) => print_by_id(&a, "fuse_getWithdrawalProof").await,
            Wallet::Deposit(a) => {
                let (key, rollup) = l1_rollup(&a.rpc, &a.l1).await?;
                let to = a.to.unwrap_or(key.address());
                let deposit = rollup.deposit(to, alloy_primitives::U256::from(a.amount));
                let r = spin_l1("depositing", deposit).await?;
                println!(
                    "deposited {} wei for {to} in L1 tx {} (block {})",
                    a.amount, r.tx_hash, r.block_number
                );
                println!(
                    "  credited on L2 once the sequencer reads it: fuse-l2 wallet balance {to}"
                );
                Ok(ExitCode::SUCCESS)
            }
            Wallet::Claim(a) => {
                let (_, rollup) = l1_rollup(&a.rpc, &a.l1).await?;
                let c = client(&a.rpc)?;
                let claim: fuse_l1::rollup::WithdrawalClaim = c
                    .request("fuse_getWithdrawalProof", rpc_params![a.id])
                    .await
                    .map_err(readable(&a.rpc.rpc))?;
                let r = spin_l1("claiming", rollup.withdraw(&claim)).await?;
                println!(
                    "paid {} wei to {} on L1 (tx {}, against assertion {})",
                    claim.amount, claim.l1_recipient, r.tx_hash, claim.assertion
                );
                Ok(ExitCode::SUCCESS)
            }
            Wallet::Force(a) => {
                let (key, rollup) = l1_rollup(&a.rpc, &a.l1).await?;
                let kind = match a.kind.as_str() {
                    "transfer" => KIND_TRANSFER,
                    "withdraw" => KIND_WITHDRAW,
                    other => anyhow::bail!("--kind {other:?}: expected transfer or withdraw"),
                };
                let c = client(&a.rpc)?;
                let nonce = match a.nonce {
                    Some(n) => n,
                    None => soft_nonce(&c, &a.rpc.rpc, key.address()).await?,
                };
                // The domain as L1 has it: the Inbox the transaction is forced through.
                let domain = Domain {
                    chain_id: rollup.chain_id().await?,
                    inbox: rollup.contracts.inbox.into(),
                };
                let tx =
                    sign(&key, &domain, kind, a.to.into(), a.amount, nonce).expect("a known kind");
                let r = spin_l1("forcing", rollup.force_transaction(tx.encode())).await?;
                println!(
                    "forced tx {} through the Inbox (L1 tx {}); it runs after the force delay",
                    alloy_primitives::B256::from(alloy_primitives::keccak256(tx.encode())),
                    r.tx_hash
                );
                Ok(ExitCode::SUCCESS)
            }
            Wallet::Balance(a) => {
                let c = client(&a.rpc)?;
                let v: Value = c
                    .request("fuse_getAccount", rpc_params![a.address])
                    .await
                    .map_err(readable(&a.rpc.rpc))?;
                println!("account    {}", a.address);
                for view in ["soft", "canonical"] {
                    println!(
                        "{view:<10} balance {} wei, nonce {}",
                        v[view]["balance"].as_str().unwrap_or("?"),
                        v[view]["nonce"]
                    );
                }
                Ok(ExitCode::SUCCESS)
            }
        }
    })
}

async fn send(a: TxArgs, kind: u8) -> anyhow::Result<ExitCode> {
    let key = parse_key(&a.key)?;
    let c = client(&a.rpc)?;
    let info = chain_info(&c, &a.rpc.rpc).await?;
    let nonce = match a.nonce {
        Some(n) => n,
        None => {
            let v: Value = c
                .request("fuse_getAccount", rpc_params![key.address()])
                .await
                .map_err(readable(&a.rpc.rpc))?;
            v["soft"]["nonce"]
                .as_u64()
                .context("no nonce in the answer")?
        }
    };
    let domain = Domain {
        chain_id: info.chain_id,
        inbox: info.inbox.into(),
    };
    let tx = sign(&key, &domain, kind, a.to.into(), a.amount, nonce).expect("a known kind");
    let encoded = format!("0x{}", hex::encode(tx.encode()));
    let opts = json!({ "from": key.address(), "wait": true });
    let v: Value = c
        .request("fuse_sendTransaction", rpc_params![encoded, opts])
        .await
        .map_err(readable(&a.rpc.rpc))
        .context("the sequencer refused the transaction")?;
    let id = v["id"].as_str().unwrap_or_default().to_string();
    println!("tx {id}");
    println!("  {}", v["status"].as_str().unwrap_or_default());
    if a.no_follow {
        return Ok(ExitCode::SUCCESS);
    }
    let start = Instant::now();
    let mut last = v["status"].as_str().unwrap_or_default().to_string();
    let spinner = crate::progress::spinner("wallet");
    while start.elapsed() < Duration::from_secs(120) {
        spinner.set_message(format!("{last}, waiting for its batch on L1"));
        tokio::time::sleep(Duration::from_millis(250)).await;
        let s: Value = c
            .request("fuse_getTransactionStatus", rpc_params![&id])
            .await
            .map_err(readable(&a.rpc.rpc))?;
        let status = s["status"].as_str().unwrap_or_default().to_string();
        if status != last {
            spinner.suspend(|| match status.as_str() {
                "POSTED" => println!(
                    "  POSTED in batch {} (L1 tx {}) after {:.1} s",
                    s["batch"],
                    s["l1Tx"].as_str().unwrap_or("?"),
                    start.elapsed().as_secs_f64()
                ),
                "REJECTED" => println!(
                    "  REJECTED: {}",
                    s["reason"].as_str().unwrap_or("no reason given")
                ),
                other => println!("  {other}"),
            });
            last = status;
        }
        match last.as_str() {
            "POSTED" | "FINALIZED" => return Ok(ExitCode::SUCCESS),
            // Accepted, then not executed (docs/spec/rpc.md, "Statuses"): say so in the exit
            // code too.
            "REJECTED" => return Ok(ExitCode::FAILURE),
            _ => {}
        }
    }
    spinner.finish_and_clear();
    println!("  still {last} after 120 s; follow it with `fuse-l2 wallet status {id}`");
    Ok(ExitCode::FAILURE)
}
