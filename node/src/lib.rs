//! fuse-node — the node process (docs/node.md): the sequencer with its loops and store
//! (`fuse-sequencer`), the L2 JSON-RPC API over it ([`rpc`], specified in docs/spec/rpc.md),
//! and optionally an honest validator beside it (`fuse-validator`), over any L1 with the
//! rollup deployed ([`node`]). `fuse-l2 node` runs one on a JSON-RPC L1; the devnet runs one
//! on the embedded L1. [`ops`] serves what an operator watches (`/metrics`, `/health`).
//!
//! Layer: it assembles the sequencer, the validator, the L1 and the HTTP front
//! (`fuse-serve`). It may not depend on the devnet, the benchmarks or the binary.
#![forbid(unsafe_code)]

pub mod node;
pub mod ops;
pub mod rpc;
