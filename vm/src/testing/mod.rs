//! Test support shared by every crate's property and fuzz suites: case counts
//! ([`cases`]), proven stepping ([`steps`]) and random programs ([`programs`]).

pub mod programs;
pub mod steps;

pub use fuse_primitives::testing::{SCALE_ENV, cases};
