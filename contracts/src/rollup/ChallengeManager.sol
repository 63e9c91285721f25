// SPDX-License-Identifier: MIT
pragma solidity ^0.8.37;

import {OneStepProver} from "../osp/OneStepProver.sol";
import {IOneStepInbox} from "../osp/IOneStepInbox.sol";
import {ExecutionContext} from "../osp/Types.sol";
import {Hashing} from "../osp/Hashing.sol";
import "../osp/Constants.sol" as Constants;
import {IChallengeResultReceiver} from "./IChallengeResultReceiver.sol";

/// A claim over an interval (docs/spec/protocol.md, "Segments and split points"): `hashes[i]`
/// is the state at point `start + splitPoint(0, length, k, i)` with `k = hashes.length - 1`.
/// Level 1 points count blocks (global-state hashes), level 2 points count steps of the one
/// disputed block (machine hashes).
struct Segment {
    uint8 level;
    uint256 start;
    uint256 length;
    bytes32[] hashes;
}

/// @title ChallengeManager — the two-level bisection game between two stakers.
/// @notice The Rollup opens a challenge between a challenger and a defender over a range of
///         blocks; the parties then take turns narrowing the interval they disagree on:
///         block ranges (level 1) down to one block, then machine steps of that block
///         (level 2) down to one step, which the OneStepProver settles. Each party has a chess
///         clock; running out of it loses. The result goes back to the Rollup through
///         `IChallengeResultReceiver.completeChallenge`, exactly once.
///
///         Only the hash of the current segment is stored,
///         `keccak256(abi.encode(level, start, length, hashes))` (the four values as a
///         parameter list, not the struct as one tuple); every move resubmits the segment,
///         and `SegmentPosted` publishes each one so parties and observers can follow.
contract ChallengeManager {
    // ---------------------------------------------------------------- constants

    /// Steps a block runs at level 2 (docs/design.md#rule-2): the level-2 segment is
    /// `[0, MAX_STEPS]`.
    uint256 public constant MAX_STEPS = Constants.MAX_STEPS;
    /// Largest accepted degree. A move carries `2 (degree + 1)` hashes of calldata; past this
    /// a move would approach a block's calldata budget and the game could become unplayable.
    uint256 public constant MAX_DEGREE = 1024;
    /// Level of block-range segments (global-state hashes).
    uint8 public constant LEVEL_BLOCKS = 1;
    /// Level of step-range segments (machine hashes of one block).
    uint8 public constant LEVEL_STEPS = 2;

    // ---------------------------------------------------------------- types

    enum Status {
        None,
        Open,
        ChallengerWon,
        DefenderWon
    }

    enum Party {
        Challenger,
        Defender
    }

    enum EndReason {
        OneStepProof,
        Timeout,
        Forfeit
    }

    /// One challenge. The first slot holds everything a move changes besides the segment
    /// hash, so a move writes two slots.
    struct Challenge {
        uint64 lastMoveAt;
        uint64 challengerClock;
        uint64 defenderClock;
        uint8 level;
        Party turn;
        Status status;
        address challenger;
        address defender;
        bytes32 segmentHash;
        bytes32 moduleRoot;
    }

    // ---------------------------------------------------------------- configuration

    /// The only caller of `createChallenge` and `forfeit`, and the receiver of results.
    IChallengeResultReceiver public immutable rollup;
    /// Settles single steps and provides the machine hashes that join the two levels.
    OneStepProver public immutable osp;
    /// The inbox `read_inbox` steps are proven against.
    IOneStepInbox public immutable inbox;
    /// Most sub-intervals a segment is cut into: `k = min(degree, length)`.
    uint256 public immutable degree;
    /// Each party's time budget in seconds, for the whole challenge (both levels).
    uint256 public immutable clock;

    // ---------------------------------------------------------------- state

    /// Number of challenges created; ids run from 1, so 0 never names a challenge.
    uint256 public challengeCount;
    mapping(uint256 => Challenge) private challenges;

    // ---------------------------------------------------------------- events

    event ChallengeCreated(
        uint256 indexed id, address indexed challenger, address indexed defender, bytes32 moduleRoot
    );
    /// The new current segment of challenge `id`, claimed by `claimant` (the defender for the
    /// initial segment, otherwise the mover). The last one is what the next move resubmits.
    event SegmentPosted(
        uint256 indexed id,
        address indexed claimant,
        uint8 level,
        uint256 start,
        uint256 length,
        bytes32[] hashes
    );
    /// `prover` showed that one step from `preHash` gives `provenPostHash`, not the claimed
    /// `claimedPostHash`.
    event OneStepProven(
        uint256 indexed id,
        address indexed prover,
        bytes32 preHash,
        bytes32 claimedPostHash,
        bytes32 provenPostHash
    );
    event ChallengeEnded(
        uint256 indexed id, address indexed winner, address indexed loser, EndReason reason
    );

    // ---------------------------------------------------------------- errors

    error ZeroAddress();
    error DegreeOutOfRange(uint256 degree);
    error ClockOutOfRange(uint256 clock);
    error NotRollup(address caller);
    error SameParty(address party);
    error BadBlockCount(uint256 numBlocks);
    error ChallengeNotOpen(uint256 id);
    error NotYourTurn(address caller, address mover);
    error ClockExpired(uint256 elapsed, uint256 budget);
    error ClockNotExpired(uint256 elapsed, uint256 budget);
    error SegmentMismatch();
    error IndexOutOfRange(uint256 index, uint256 k);
    error WrongLevel(uint8 level);
    error IntervalIsOneStep();
    error IntervalNotOneStep(uint256 length);
    error WrongHashCount(uint256 given, uint256 expected);
    error WrongStart(bytes32 given, bytes32 expected);
    error WrongInitialMachineHash(bytes32 given, bytes32 expected);
    error EndNotDisputed();
    error ClaimStands();
    error NotAParty(address account);
    error StuckIsAbsorbing();
    error StuckNeedsFinishedMachine();
    error NotAgainstStuck();

    /// @param rollup_ The Rollup: opens challenges, forfeits them, receives results.
    /// @param osp_ The one-step prover (its machine-hash functions join the levels).
    /// @param inbox_ The inbox one-step proofs read from.
    /// @param degree_ Sub-intervals per bisection, `2 ..= MAX_DEGREE`.
    /// @param clock_ Each party's budget in seconds, `1 ..= 2^64 - 1`.
    constructor(
        IChallengeResultReceiver rollup_,
        OneStepProver osp_,
        IOneStepInbox inbox_,
        uint256 degree_,
        uint256 clock_
    ) {
        // All immutable: a zero address could never be corrected.
        if (
            address(rollup_) == address(0) || address(osp_) == address(0)
                || address(inbox_) == address(0)
        ) revert ZeroAddress();
        if (degree_ < 2 || degree_ > MAX_DEGREE) revert DegreeOutOfRange(degree_);
        // A zero clock would force every reply into the opponent's block.
        if (clock_ == 0 || clock_ > type(uint64).max) revert ClockOutOfRange(clock_);
        rollup = rollup_;
        osp = osp_;
        inbox = inbox_;
        degree = degree_;
        clock = clock_;
    }

    // ---------------------------------------------------------------- creation

    /// @notice Opens a challenge over `numBlocks` blocks from `startStateHash`; the defender
    ///         claims they end in `endStateHash`, and the challenger moves first.
    /// @dev Only the Rollup, which has already checked the parties' stakes and rival
    ///      assertions. The initial segment has two hashes (`k = 1`) whatever `numBlocks`.
    /// @param challenger The party that disputes the claim (moves first).
    /// @param defender The party whose side claims `endStateHash`.
    /// @param startStateHash The agreed global-state hash (the parent assertion's).
    /// @param endStateHash The defender side's claimed global-state hash after the range.
    /// @param numBlocks Blocks in the range, `1 ..= 2^64 - 1` (inbox positions are u64).
    /// @param moduleRoot The module root of the defender side's assertion (docs/design.md#rule-11).
    /// @return id The new challenge's id (from 1).
    function createChallenge(
        address challenger,
        address defender,
        bytes32 startStateHash,
        bytes32 endStateHash,
        uint256 numBlocks,
        bytes32 moduleRoot
    ) external returns (uint256 id) {
        if (msg.sender != address(rollup)) revert NotRollup(msg.sender);
        if (challenger == address(0) || defender == address(0)) revert ZeroAddress();
        // Turns are told apart by address.
        if (challenger == defender) revert SameParty(challenger);
        if (numBlocks == 0 || numBlocks > type(uint64).max) revert BadBlockCount(numBlocks);
        id = ++challengeCount;
        bytes32[] memory hashes = new bytes32[](2);
        hashes[0] = startStateHash;
        hashes[1] = endStateHash;
        Challenge storage c = challenges[id];
        // forge-lint: disable-next-line(unsafe-typecast)
        c.lastMoveAt = uint64(block.timestamp);
        // forge-lint: disable-next-line(unsafe-typecast)
        c.challengerClock = uint64(clock);
        // forge-lint: disable-next-line(unsafe-typecast)
        c.defenderClock = uint64(clock);
        c.level = LEVEL_BLOCKS;
        c.turn = Party.Challenger;
        c.status = Status.Open;
        c.challenger = challenger;
        c.defender = defender;
        c.segmentHash = keccak256(abi.encode(LEVEL_BLOCKS, uint256(0), numBlocks, hashes));
        c.moduleRoot = moduleRoot;
        emit ChallengeCreated(id, challenger, defender, moduleRoot);
        emit SegmentPosted(id, defender, LEVEL_BLOCKS, 0, numBlocks, hashes);
    }

    // ---------------------------------------------------------------- moves

    /// @notice Disputes sub-interval `index` of the current segment (agreeing with
    ///         `hashes[index]`, not with `hashes[index + 1]`) and claims `next` over it, at
    ///         the same level.
    /// @param id The challenge.
    /// @param old The current segment, as last posted.
    /// @param index The disputed sub-interval, `< old.hashes.length - 1`; its length `>= 2`.
    /// @param next `min(degree, length) + 1` hashes; `next[0] == old.hashes[index]` and the
    ///        last differs from `old.hashes[index + 1]`.
    function bisect(uint256 id, Segment calldata old, uint256 index, bytes32[] calldata next)
        external
    {
        Challenge storage c = challenges[id];
        (uint256 from, uint256 len) = _beginMove(id, c, old, index);
        // A one-step interval cannot be cut; it is settled by the other two moves.
        if (len < 2) revert IntervalIsOneStep();
        uint256 k = len < degree ? len : degree;
        if (next.length != k + 1) revert WrongHashCount(next.length, k + 1);
        // Keeping the agreed start is what stops a party from re-arguing agreed parts.
        if (next[0] != old.hashes[index]) revert WrongStart(next[0], old.hashes[index]);
        if (next[k] == old.hashes[index + 1]) revert EndNotDisputed();
        if (old.level == LEVEL_BLOCKS) _requireAbsorbing(next);
        _post(id, c, old.level, from, len, next);
    }

    /// @notice Disputes the one-block sub-interval `index` of a level-1 segment: agrees with
    ///         the global state `s = hashes[index]`, not with `e = hashes[index + 1]`, and
    ///         claims the machine hashes of that block over `[0, MAX_STEPS]`.
    /// @param id The challenge.
    /// @param old The current (level-1) segment.
    /// @param index The disputed sub-interval; its length must be 1.
    /// @param next `degree + 1` machine hashes; `next[0]` is
    ///        `osp.initialMachineHash(moduleRoot, s)` and the last is not
    ///        `osp.finishedMachineHash(e)`.
    function enterLevelTwo(uint256 id, Segment calldata old, uint256 index, bytes32[] calldata next)
        external
    {
        Challenge storage c = challenges[id];
        (, uint256 len) = _beginMove(id, c, old, index);
        if (old.level != LEVEL_BLOCKS) revert WrongLevel(old.level);
        if (len != 1) revert IntervalNotOneStep(len);
        // Against a claim that the block cannot finish, only a finished machine disputes
        // anything: a mover posting the true unfinished trace would leave its opponent no
        // step to prove.
        if (old.hashes[index + 1] == Hashing.STUCK) revert StuckNeedsFinishedMachine();
        _enterLevelTwo(id, c, old.hashes[index], next);
        // Claiming that the block ends in the disputed state would dispute nothing.
        if (next[degree] == osp.finishedMachineHash(old.hashes[index + 1])) {
            revert EndNotDisputed();
        }
    }

    /// @notice Disputes the one-block sub-interval `index` of a level-1 segment whose end is
    ///         `Hashing.STUCK` (the opponent claims the block from `s = hashes[index]` cannot
    ///         finish): claims that it finishes in the global state whose hash is
    ///         `finishedState`, with the machine hashes of that block over `[0, MAX_STEPS]`.
    /// @param next `degree + 1` machine hashes; `next[0]` is
    ///        `osp.initialMachineHash(moduleRoot, s)` and the last is
    ///        `osp.finishedMachineHash(finishedState)`.
    function enterLevelTwoFinishing(
        uint256 id,
        Segment calldata old,
        uint256 index,
        bytes32[] calldata next,
        bytes32 finishedState
    ) external {
        Challenge storage c = challenges[id];
        (, uint256 len) = _beginMove(id, c, old, index);
        if (old.level != LEVEL_BLOCKS) revert WrongLevel(old.level);
        if (len != 1) revert IntervalNotOneStep(len);
        if (old.hashes[index + 1] != Hashing.STUCK) revert NotAgainstStuck();
        _enterLevelTwo(id, c, old.hashes[index], next);
        if (next[degree] != osp.finishedMachineHash(finishedState)) {
            revert StuckNeedsFinishedMachine();
        }
    }

    /// @notice Settles the one-step sub-interval `index` of a level-2 segment: the mover wins
    ///         if the step from `hashes[index]` does not give `hashes[index + 1]`.
    /// @dev A proof the OneStepProver rejects reverts with its error; a proof that reaches
    ///      the claimed hash reverts with `ClaimStands`: the claim is right, and a mover that
    ///      has nothing else to dispute can only let its clock run out.
    /// @param id The challenge.
    /// @param old The current (level-2) segment.
    /// @param index The disputed step; its interval length must be 1.
    /// @param proof The one-step proof of the machine `hashes[index]` (docs/spec/proof-format.md).
    function proveOneStep(uint256 id, Segment calldata old, uint256 index, bytes calldata proof)
        external
    {
        Challenge storage c = challenges[id];
        (, uint256 len) = _beginMove(id, c, old, index);
        if (old.level != LEVEL_STEPS) revert WrongLevel(old.level);
        if (len != 1) revert IntervalNotOneStep(len);
        bytes32 pre = old.hashes[index];
        bytes32 claimed = old.hashes[index + 1];
        bytes32 post = osp.proveOneStep(ExecutionContext(inbox), pre, proof);
        if (post == claimed) revert ClaimStands();
        emit OneStepProven(id, msg.sender, pre, claimed, post);
        // _beginMove has already passed the turn, so the prover is the party not on turn.
        _end(id, c, _other(c.turn), EndReason.OneStepProof, true);
    }

    /// @notice Ends a challenge whose party to move has used up its clock: that party loses.
    ///         Anyone may call it.
    /// @param id The challenge.
    function timeout(uint256 id) external {
        Challenge storage c = challenges[id];
        if (c.status != Status.Open) revert ChallengeNotOpen(id);
        uint256 elapsed = block.timestamp - c.lastMoveAt;
        uint256 budget = c.turn == Party.Challenger ? c.challengerClock : c.defenderClock;
        // Strictly more: a move at exactly the budget is still allowed.
        if (elapsed <= budget) revert ClockNotExpired(elapsed, budget);
        _end(id, c, _other(c.turn), EndReason.Timeout, true);
    }

    /// @notice Ends challenge `id` because `loser` was removed by a loss elsewhere: the other
    ///         party wins. Only the Rollup.
    /// @dev Not reported through `completeChallenge`: the Rollup asked for this ending and
    ///      gets the winner as the return value; a callback would re-enter it mid-call and it
    ///      would have to tell a forfeit (nobody slashed) from a loss (loser slashed).
    /// @param id The challenge.
    /// @param loser The removed party (the challenger or the defender of `id`).
    /// @return winner The other party.
    function forfeit(uint256 id, address loser) external returns (address winner) {
        if (msg.sender != address(rollup)) revert NotRollup(msg.sender);
        Challenge storage c = challenges[id];
        if (c.status != Status.Open) revert ChallengeNotOpen(id);
        Party winning;
        if (loser == c.challenger) winning = Party.Defender;
        else if (loser == c.defender) winning = Party.Challenger;
        else revert NotAParty(loser);
        winner = _end(id, c, winning, EndReason.Forfeit, false);
    }

    // ---------------------------------------------------------------- views

    /// @notice Everything stored about challenge `id` (all zero if it does not exist).
    function getChallenge(uint256 id) external view returns (Challenge memory) {
        return challenges[id];
    }

    /// @notice The party whose turn it is, or zero if the challenge is not open.
    function mover(uint256 id) external view returns (address) {
        Challenge storage c = challenges[id];
        if (c.status != Status.Open) return address(0);
        return c.turn == Party.Challenger ? c.challenger : c.defender;
    }

    /// @notice Each party's budget left now: the party to move has the time since the last
    ///         move deducted (floored at zero). Zero for both once the challenge is not open.
    function remainingTime(uint256 id)
        external
        view
        returns (uint256 challengerLeft, uint256 defenderLeft)
    {
        Challenge storage c = challenges[id];
        if (c.status != Status.Open) return (0, 0);
        challengerLeft = c.challengerClock;
        defenderLeft = c.defenderClock;
        uint256 elapsed = block.timestamp - c.lastMoveAt;
        if (c.turn == Party.Challenger) {
            challengerLeft = elapsed >= challengerLeft ? 0 : challengerLeft - elapsed;
        } else {
            defenderLeft = elapsed >= defenderLeft ? 0 : defenderLeft - elapsed;
        }
    }

    /// @notice The winner and the loser of an ended challenge (zeros while open or unknown).
    function result(uint256 id) external view returns (address winner, address loser) {
        Challenge storage c = challenges[id];
        if (c.status == Status.ChallengerWon) return (c.challenger, c.defender);
        if (c.status == Status.DefenderWon) return (c.defender, c.challenger);
    }

    /// @notice The stored form of a segment.
    function hashSegment(Segment calldata s) external pure returns (bytes32) {
        return keccak256(abi.encode(s.level, s.start, s.length, s.hashes));
    }

    /// @notice Point `i` of a segment over `[start, start + length]` cut into `k` parts:
    ///         `start + floor(i * length / k)`
    ///         (docs/spec/protocol.md#segments-and-split-points). Every split in this contract
    ///         goes through here.
    /// @dev Reverts (panic) for `k == 0` or on overflow; the contract's own calls have
    ///      `k <= MAX_DEGREE`, `i <= k` and `length < 2^64`, far from it.
    function splitPoint(uint256 start, uint256 length, uint256 k, uint256 i)
        public
        pure
        returns (uint256)
    {
        return start + (i * length) / k;
    }

    // ---------------------------------------------------------------- internals

    /// The checks every move shares: the challenge is open, it is the sender's turn and the
    /// sender's clock has not run out (charging it and passing the turn), `old` is the stored
    /// segment and `index` names one of its sub-intervals. Returns that sub-interval's start
    /// and length.
    function _beginMove(uint256 id, Challenge storage c, Segment calldata old, uint256 index)
        private
        returns (uint256 from, uint256 len)
    {
        if (c.status != Status.Open) revert ChallengeNotOpen(id);
        uint256 elapsed = block.timestamp - c.lastMoveAt;
        uint256 budget;
        if (c.turn == Party.Challenger) {
            if (msg.sender != c.challenger) revert NotYourTurn(msg.sender, c.challenger);
            budget = c.challengerClock;
            if (elapsed > budget) revert ClockExpired(elapsed, budget);
            // forge-lint: disable-next-line(unsafe-typecast)
            c.challengerClock = uint64(budget - elapsed);
            c.turn = Party.Defender;
        } else {
            if (msg.sender != c.defender) revert NotYourTurn(msg.sender, c.defender);
            budget = c.defenderClock;
            if (elapsed > budget) revert ClockExpired(elapsed, budget);
            // forge-lint: disable-next-line(unsafe-typecast)
            c.defenderClock = uint64(budget - elapsed);
            c.turn = Party.Challenger;
        }
        // forge-lint: disable-next-line(unsafe-typecast)
        c.lastMoveAt = uint64(block.timestamp);

        if (keccak256(abi.encode(old.level, old.start, old.length, old.hashes)) != c.segmentHash) {
            revert SegmentMismatch();
        }
        // Stored segments have at least two hashes, so k >= 1.
        uint256 k = old.hashes.length - 1;
        if (index >= k) revert IndexOutOfRange(index, k);
        from = splitPoint(old.start, old.length, k, index);
        len = splitPoint(old.start, old.length, k, index + 1) - from;
    }

    /// Checks and posts the level-2 segment of the one block from global state `from`: the
    /// machine hashes of that block over `[0, MAX_STEPS]`, starting at its initial machine.
    function _enterLevelTwo(uint256 id, Challenge storage c, bytes32 from, bytes32[] calldata next)
        private
    {
        // A mover agreeing that the chain is stuck before the block agrees that it is stuck
        // after it (every later level-1 point of a posted segment is STUCK too).
        if (from == Hashing.STUCK) revert StuckIsAbsorbing();
        // min(degree, MAX_STEPS) is degree: MAX_DEGREE < MAX_STEPS.
        if (next.length != degree + 1) revert WrongHashCount(next.length, degree + 1);
        bytes32 initial = osp.initialMachineHash(c.moduleRoot, from);
        if (next[0] != initial) revert WrongInitialMachineHash(next[0], initial);
        c.level = LEVEL_STEPS;
        _post(id, c, LEVEL_STEPS, 0, MAX_STEPS, next);
    }

    /// A level-1 segment in which a block that cannot finish is followed by a state: once
    /// the chain is stuck it stays stuck.
    function _requireAbsorbing(bytes32[] calldata hashes) private pure {
        bool stuck;
        for (uint256 i = 0; i < hashes.length; i++) {
            if (hashes[i] == Hashing.STUCK) stuck = true;
            else if (stuck) revert StuckIsAbsorbing();
        }
    }

    /// Stores and publishes the mover's new segment.
    function _post(
        uint256 id,
        Challenge storage c,
        uint8 level,
        uint256 start,
        uint256 length,
        bytes32[] calldata hashes
    ) private {
        c.segmentHash = keccak256(abi.encode(level, start, length, hashes));
        emit SegmentPosted(id, msg.sender, level, start, length, hashes);
    }

    function _other(Party p) private pure returns (Party) {
        return p == Party.Challenger ? Party.Defender : Party.Challenger;
    }

    /// Closes the challenge before anything is called out, so a re-entering call finds every
    /// move closed, then reports the result to the Rollup unless it asked for it (forfeit).
    function _end(uint256 id, Challenge storage c, Party winning, EndReason reason, bool report)
        private
        returns (address winner)
    {
        address loser;
        if (winning == Party.Challenger) {
            c.status = Status.ChallengerWon;
            (winner, loser) = (c.challenger, c.defender);
        } else {
            c.status = Status.DefenderWon;
            (winner, loser) = (c.defender, c.challenger);
        }
        emit ChallengeEnded(id, winner, loser, reason);
        if (report) rollup.completeChallenge(id, winner, loser);
    }
}
