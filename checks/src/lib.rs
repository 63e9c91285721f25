//! fuse-checks — tests of the repository as a whole, in `tests/it`:
//! - `docs`: every reference to the docs (paths, anchors, "rule N") resolves inside the
//!   repository;
//! - `arrows`: each crate depends only on the crates its layer allows (read from
//!   `cargo metadata`), so the architecture in docs/design.md cannot rot silently.
//!
//! The library is empty; it depends on no other crate of the workspace.
#![forbid(unsafe_code)]
