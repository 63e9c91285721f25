//! The dispute logic both parties of a challenge run (docs/spec/protocol.md, "Challenges"):
//! the segments and their hashes ([`segment`]), a party's claims ([`history`]: the honest
//! [`Truth`], a [`Liar`]), the challenge as a party follows it ([`game`]) and the move to
//! make on a turn ([`strategy`]). Sending moves to L1 is the caller's: the node's validator,
//! the contract tests and the replay each speak to their own L1.

pub mod game;
pub mod history;
pub mod liar;
pub mod segment;
pub mod strategy;

pub use game::Game;
pub use history::{History, Truth};
pub use liar::{Liar, Lie, falsify, falsify_with};
pub use segment::Segment;
pub use strategy::{Decision, Move, decide};
