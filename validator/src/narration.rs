//! What a validator tells as it goes: the devnet's narration of a dispute, and what tests
//! watch for.

use alloy_primitives::Address;

/// What a validator did, for the devnet's narration and for tests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Narration {
    /// Created assertion `id` under `parent`, claiming the state at inbox `position`.
    Asserted {
        /// The new assertion's id.
        id: u64,
        /// The assertion it extends.
        parent: u64,
        /// The inbox position its claimed state is after.
        position: u64,
        /// Whether the claim differs from the state its replica computed.
        lying: bool,
    },
    /// Claimed that block `position` (an inbox position) of the range under `parent` cannot
    /// finish: assertion `id` claims `STUCK`.
    AssertedStuck {
        /// The new `STUCK` assertion's id.
        id: u64,
        /// The assertion it extends.
        parent: u64,
        /// The inbox position of the block that cannot finish.
        position: u64,
    },
    /// Moved its stake onto assertion `id` (one it agrees with), bonding first if unstaked.
    StakedOn {
        /// The assertion now holding its stake.
        id: u64,
    },
    /// Took its bond back from confirmed assertion `from`, behind the latest confirmed one.
    Unstaked {
        /// The confirmed assertion its stake was on.
        from: u64,
    },
    /// Confirmed assertion `id` once its challenge period passed and no staked rival stood.
    Confirmed {
        /// The assertion confirmed.
        id: u64,
        /// The inbox position its claimed state is after.
        position: u64,
    },
    /// Rejected rival assertion `id` after its family's deadline, with no stake left under it.
    Rejected {
        /// The assertion rejected.
        id: u64,
    },
    /// Is in challenge `id`, one it opened or one opened against it.
    ChallengeOpened {
        /// The challenge's id.
        id: u64,
        /// The defender's assertion, whose block range the game is over.
        x: u64,
        /// The challenger's rival assertion, `x`'s sibling.
        y: u64,
        /// The other validator in the challenge.
        opponent: Address,
        /// How many blocks (inbox messages) the disputed range holds.
        blocks: u64,
    },
    /// Sent a move in challenge `id` and it was mined.
    Moved {
        /// The challenge's id.
        id: u64,
        /// The move's ChallengeManager function (`bisect`, `enterLevelTwo`, ...).
        name: &'static str,
        /// The level of the segment it answered (1: blocks, 2: machine steps).
        level: u8,
        /// The first point of that segment (a block index at level 1, a step at level 2).
        start: u64,
        /// Points from `start` to that segment's end.
        length: u64,
        /// The sub-interval of that segment it disputed.
        index: u64,
        /// L1 gas the move's transaction used.
        gas: u64,
        /// Seconds left on its clock when it moved.
        clock_left: u64,
    },
    /// At the bottom with no move: the true step goes where its opponent said.
    OutOfMoves {
        /// The challenge's id.
        id: u64,
        /// The machine step it has no move at (the start of the one-step interval).
        step: u64,
    },
    /// Ended challenge `id` because its opponent's clock ran out.
    TimedOut {
        /// The challenge's id.
        id: u64,
        /// The opponent whose clock ran out.
        loser: Address,
    },
    /// Ended challenge `id` because its opponent's stake was already removed.
    Forfeited {
        /// The challenge's id.
        id: u64,
    },
    /// Challenge `id` ended on L1.
    Ended {
        /// The challenge's id.
        id: u64,
        /// Whether this validator won it.
        won: bool,
        /// How it ended: `one-step proof`, `timeout` or `forfeit`.
        reason: &'static str,
    },
    /// Withdrew its challenge winnings from the Rollup.
    Withdrew {
        /// The amount withdrawn, in wei.
        wei: u128,
    },
}
