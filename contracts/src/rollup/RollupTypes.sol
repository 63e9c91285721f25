// SPDX-License-Identifier: MIT
pragma solidity ^0.8.37;

// The Rollup's stored records (docs/spec/protocol.md, "Assertions", "Stakes"), file-level so
// the Rollup's source stays short and tests and bindings name them without the contract.

/// Where an assertion stands. `None` marks an id that was never created.
enum AssertionStatus {
    None,
    Pending,
    Confirmed,
    Rejected
}

/// One assertion: the claimed global state after the inbox range
/// `parent.afterInbox .. parent.nextInbox - 1`, one block per message. The first two slots
/// hold everything the tree walks and the counters read, so a walk costs one load a level.
struct Assertion {
    /// The assertion it extends (genesis: itself, id 0).
    uint64 parent;
    /// `parent.height + 1` (genesis 0).
    uint64 height;
    /// The claimed `inboxPosition` (always the parent's `nextInbox`).
    uint64 afterInbox;
    /// Where its children end: `max(inbox count at creation, afterInbox + 1)`, so every
    /// child consumes at least one message and no assertion is a dead end.
    uint64 nextInbox;
    /// When its first child was created; its children's deadline is this plus the period.
    uint64 firstChildAt;
    /// Children ever created, and those not rejected.
    uint32 children;
    uint32 liveChildren;
    /// Stakers whose current assertion this is.
    uint32 directStakers;
    /// Stakers whose current assertion is this one or a descendant (kept while pending):
    /// zero after its family's deadline means nobody can ever support it again.
    uint32 subtreeStakers;
    AssertionStatus status;
    /// `Hashing.globalStateHash` of the claimed state.
    bytes32 afterStateHash;
    /// The claimed state's outbox root (payable by the Outbox once confirmed).
    bytes32 outboxRoot;
    /// The module root its block range runs (the parent's `childModuleRoot`).
    bytes32 moduleRoot;
    /// The module root given to every child: fixed when the first child is created, so
    /// rivals always share one root.
    bytes32 childModuleRoot;
}

/// A bond and what holds it. `staked`: the bond supports `current`. `removed`: it lost the
/// bond (a challenge) while other challenges were still open; it cannot stake again until
/// those end, and `remaining` is what is left of the bond to refund their winners.
struct Staker {
    uint64 current;
    /// Challenges it is a party to that have not ended.
    uint32 openChallenges;
    /// Open challenges in which its bond holds a refund for the opponent (at most
    /// `Rollup.MAX_RESERVED`).
    uint32 reserved;
    bool staked;
    bool removed;
    /// Wei of a removed staker's bond not yet paid out; the escrow gets the rest once its
    /// last challenge ends.
    uint128 remaining;
}

/// The Rollup's record of a challenge it opened.
struct ChallengeInfo {
    address challenger;
    address defender;
    bool open;
    /// Whether the challenger's (defender's) bond holds a refund for the other party.
    bool challengerReserved;
    bool defenderReserved;
}
