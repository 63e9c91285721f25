//! fuse-l1's integration tests, one binary: the rollup over each L1 back end (embedded, the
//! devnet's Ethereum endpoint, anvil) and the embedded chain's Ethereum JSON-RPC server.

mod eth_rpc;
mod fee_attacks;
mod fees;
mod l1_backends;
mod safe_point;
