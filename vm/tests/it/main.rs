//! fuse-vm's integration tests, one binary (each module is one suite).

mod constructor_vectors;
mod inbox_vectors;
mod isa_doc;
mod proofs;
mod worked_example;
