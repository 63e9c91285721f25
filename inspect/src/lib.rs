//! fuse-inspect — seeing a dispute: the machine at any step, a one-step proof decoded, and
//! the dispute viewer, one self-contained HTML page per challenge.
//!
//! - [`chain`]: a chain's blocks from its inbox (the state each starts from, any block's trace
//!   in the stepping machine), for the step debugger `fuse-l2 trace`.
//! - [`step`]: the machine at one step as a person reads it ([`step::StepView`]: the
//!   instruction, its function by name, the value stack's top, the locals, memory at an
//!   address, the call stack) and what changed between two steps ([`step::diff`]).
//! - [`proof`]: a one-step proof decoded by the verifier's own code path
//!   (`fuse_verifier::explain`): the instruction, the values read and written, the Merkle
//!   paths and their sizes, the pre-state and the proven post-state.
//! - [`model`]: what a viewer page shows, as data ([`model::DisputeView`]); built from a
//!   dispute vector by `fuse_devnet::replay::view` and from a live challenge by the node.
//! - [`html`]: the page itself — inline CSS, SVG drawn by an inline script from the embedded
//!   JSON, no network fetches — so it opens from a file in any browser.
//! - `browser` (feature `test-utils`): headless Chromium, for tests that open the page and
//!   read the DOM its script drew, or take a screenshot of it.
//!
//! Function names come from the committed guest's name map (`fuse_prover::names`), which is
//! checked to belong to the same code. Nothing here decides anything: it reads machines and
//! proofs and shows them.
#![forbid(unsafe_code)]

#[cfg(feature = "test-utils")]
pub mod browser;
pub mod chain;
#[cfg(feature = "test-utils")]
pub mod dom;
pub mod html;
pub mod model;
pub mod proof;
pub mod step;
