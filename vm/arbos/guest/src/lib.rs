//! fuse-guest — the module the one-step machine and the wasmtime twin run for every L2 block.
//!
//! A thin shell over [`fuse_arbos::stf::execute_block`]: `fuse_entry` reads the global state
//! through the host calls of module `fuse` (docs/spec/guest-abi.md), executes the block of the
//! message at its inbox position, and writes the next global state back. Everything the
//! state transition asks of the world goes through [`host::GuestEnv`], the guest's
//! implementation of [`fuse_arbos::env::Env`].
//!
//! Built only for `wasm32v1-none`, reproducibly (docs/design.md#rule-15): `fuse-l2 guest build`
//! (fuse-prover's `guest` module) runs cargo with the flags that make the bytes independent
//! of where the checkout lives, and the result is committed at `test-vectors/guest/`. On any
//! other target the crate is empty, so workspace builds and clippy pass over it.
#![cfg_attr(target_arch = "wasm32", no_std)]

#[cfg(target_arch = "wasm32")]
mod alloc_bump;
#[cfg(target_arch = "wasm32")]
mod entry;
#[cfg(target_arch = "wasm32")]
mod host;
#[cfg(target_arch = "wasm32")]
mod mem;
