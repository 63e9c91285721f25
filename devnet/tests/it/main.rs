//! fuse-devnet's integration tests, one binary: whole flows on the devnet and in the arena —
//! the L2 API, finality, disputes between real validators, stuck blocks, the committed
//! dispute vectors replayed and shown as the dispute viewer shows them.

mod dispute_vectors;
mod disputes;
mod finality;
mod reorgs;
mod rpc;
mod stuck;
mod viewer_model;
