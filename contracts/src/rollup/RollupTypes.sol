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
/// `parent.afterInbox .. parent.nextInbox - 1`, one block per message.
struct Assertion {
    /// The assertion it extends (genesis: itself, id 0).
    uint64 parent;
    /// `parent.height + 1` (genesis 0).
    uint64 height;
    /// The claimed `inboxPosition` (always the parent's `nextInbox`).
    uint64 afterInbox;
    /// The inbox's message count when this assertion was created: where its children end.
    uint64 nextInbox;
    /// When its first child was created; its children's deadline is this plus the period.
    uint64 firstChildAt;
    /// Children ever created, and those not rejected.
    uint64 children;
    uint64 liveChildren;
    /// Stakers whose current assertion this is.
    uint64 directStakers;
    AssertionStatus status;
    /// `Hashing.globalStateHash` of the claimed state.
    bytes32 afterStateHash;
    /// The claimed state's outbox root (payable by the Outbox once confirmed).
    bytes32 outboxRoot;
    /// The module root its block range runs (the parent's `childModuleRoot`).
    bytes32 moduleRoot;
    /// The module root given to every child: fixed when the first child is created, so
    /// rivals always share one root (rule 11).
    bytes32 childModuleRoot;
}

/// `staked`: has a live bond on `current`. `removed`: lost its bond (a challenge loss or a
/// rejected branch) while challenges were still open; it cannot stake again until those
/// are forfeited, so `forfeitChallenge` can tell a removed party from a re-staked one.
struct Staker {
    uint64 current;
    uint64 openChallenges;
    bool staked;
    bool removed;
}
