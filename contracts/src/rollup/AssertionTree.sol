// SPDX-License-Identifier: MIT
pragma solidity ^0.8.37;

import {Assertion, AssertionStatus} from "./RollupTypes.sol";

/// @title AssertionTree — walks and stake counters over the Rollup's assertions.
/// @notice The Rollup keeps every live line of assertions within `MAX_PENDING_DEPTH` levels
///         below the latest confirmed assertion (docs/spec/protocol.md, "The tree"), so each
///         walk here is bounded: a new bond's count climbs at most that many levels, a removed
///         stake's the same, and finding where two stakers' lines fork reads at most twice
///         that many parents.
library AssertionTree {
    /// Levels a pending assertion may sit below the latest confirmed one.
    uint256 internal constant MAX_PENDING_DEPTH = 32;

    error NotInLatestSubtree(uint256 id);
    error TooDeep(uint256 depth, uint256 max);
    error SameLine(uint256 a, uint256 b);

    /// How many levels `id` sits below `latest`, checking that every assertion on the way
    /// up is pending: `id` is `latest` itself or on a live line under it.
    function depthBelow(mapping(uint256 => Assertion) storage t, uint256 id, uint256 latest)
        internal
        view
        returns (uint256 depth)
    {
        uint256 top = t[latest].height;
        uint256 h = t[id].height;
        if (h < top || t[id].status == AssertionStatus.None) revert NotInLatestSubtree(id);
        depth = h - top;
        if (depth > MAX_PENDING_DEPTH) revert NotInLatestSubtree(id);
        uint256 cur = id;
        for (uint256 i = 0; i < depth; i++) {
            Assertion storage a = t[cur];
            if (a.status != AssertionStatus.Pending) revert NotInLatestSubtree(id);
            cur = a.parent;
        }
        if (cur != latest) revert NotInLatestSubtree(id);
    }

    /// A new bond lands on `id`: it is a direct staker there and in the subtree of every
    /// pending assertion from `id` up.
    function addBond(mapping(uint256 => Assertion) storage t, uint256 id) internal {
        t[id].directStakers += 1;
        _countUp(t, id, true);
    }

    /// A stake moves from `parentId` to its child `childId`: the parent's subtree still
    /// holds it, so only the child's count changes.
    function moveDown(mapping(uint256 => Assertion) storage t, uint256 parentId, uint256 childId)
        internal
    {
        t[parentId].directStakers -= 1;
        Assertion storage c = t[childId];
        c.directStakers += 1;
        c.subtreeStakers += 1;
    }

    /// A bond leaves `id` for good (lost, or withdrawn from a confirmed assertion).
    function removeBond(mapping(uint256 => Assertion) storage t, uint256 id) internal {
        t[id].directStakers -= 1;
        _countUp(t, id, false);
    }

    /// The children `(x, y)` of the assertion where the line through `a` and the line
    /// through `b` part: `x` is `a`'s ancestor (or `a`), `y` is `b`'s. Both must be pending
    /// and on live lines under `latest`; lines where one contains the other do not part.
    function fork(mapping(uint256 => Assertion) storage t, uint256 a, uint256 b, uint256 latest)
        internal
        view
        returns (uint256 x, uint256 y)
    {
        uint256 da = depthBelow(t, a, latest);
        uint256 db = depthBelow(t, b, latest);
        if (da == 0) revert NotInLatestSubtree(a);
        if (db == 0) revert NotInLatestSubtree(b);
        (x, y) = (a, b);
        for (; da > db; da--) {
            x = t[x].parent;
        }
        for (; db > da; db--) {
            y = t[y].parent;
        }
        if (x == y) revert SameLine(a, b);
        // Both lines meet at `latest` at the latest, so this stops within `da` levels.
        while (t[x].parent != t[y].parent) {
            x = t[x].parent;
            y = t[y].parent;
        }
    }

    /// Adds or removes one stake in the subtree counts from `id` up to the first assertion
    /// that is no longer pending (the latest confirmed one, on a live line).
    function _countUp(mapping(uint256 => Assertion) storage t, uint256 id, bool add) private {
        uint256 cur = id;
        for (uint256 i = 0; i <= MAX_PENDING_DEPTH; i++) {
            Assertion storage a = t[cur];
            if (a.status != AssertionStatus.Pending) return;
            if (add) a.subtreeStakers += 1;
            else a.subtreeStakers -= 1;
            cur = a.parent;
        }
    }
}
