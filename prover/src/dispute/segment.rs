//! Segments and split points, exactly as docs/spec/protocol.md ("Segments and split points")
//! and `ChallengeManager.sol` (`splitPoint`, `hashSegment`) define them.

use alloy_primitives::{B256, U256, keccak256};
use alloy_sol_types::SolValue;

/// Level 1 bisects the global states after each block of the disputed range.
pub const LEVEL_BLOCKS: u8 = 1;
/// Level 2 bisects the machine hashes after each step of one block.
pub const LEVEL_STEPS: u8 = 2;

/// Point `i` of an interval of `length` cut into `k` parts, from its start:
/// `floor(i × length / k)`. Computed in 128 bits, as the contract's 256 bits never overflow
/// for `length < 2^64` and `i ≤ k ≤ 1024`.
pub fn split(length: u64, k: u64, i: u64) -> u64 {
    assert!(k > 0 && i <= k, "split({length}, {k}, {i})");
    (i as u128 * length as u128 / k as u128) as u64
}

/// The points `start + split(i)` for `i = 0..=k`.
pub fn points(start: u64, length: u64, k: u64) -> Vec<u64> {
    (0..=k).map(|i| start + split(length, k, i)).collect()
}

/// How many parts an interval of `length` is cut into by a manager of bisection `degree`.
pub fn parts(length: u64, degree: u64) -> u64 {
    length.min(degree)
}

/// A segment of a challenge: `hashes[i]` is the claimed state at point `start + split(i)`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Segment {
    /// [`LEVEL_BLOCKS`] or [`LEVEL_STEPS`].
    pub level: u8,
    /// The first point (a block index at level 1, a step at level 2).
    pub start: u64,
    /// Points from `start` to the segment's end.
    pub length: u64,
    /// The claimed states at the split points, both ends included.
    pub hashes: Vec<B256>,
}

impl Segment {
    /// The segment a challenge opens with: the whole range of `blocks`, from the parent's
    /// state hash to the defender's claimed end (`k = 1` whatever the length).
    pub fn opening(start: B256, end: B256, blocks: u64) -> Segment {
        Segment {
            level: LEVEL_BLOCKS,
            start: 0,
            length: blocks,
            hashes: vec![start, end],
        }
    }

    /// How many sub-intervals it has.
    pub fn k(&self) -> u64 {
        self.hashes.len() as u64 - 1
    }

    /// Its points, one per hash.
    pub fn points(&self) -> Vec<u64> {
        points(self.start, self.length, self.k())
    }

    /// Sub-interval `i`: its first point and its length.
    pub fn interval(&self, i: u64) -> (u64, u64) {
        let k = self.k();
        let from = split(self.length, k, i);
        (self.start + from, split(self.length, k, i + 1) - from)
    }

    /// The form the ChallengeManager stores: `keccak256(abi.encode(level, start, length,
    /// hashes))`, the four values as a parameter list.
    pub fn hash(&self) -> B256 {
        // A uint8 is ABI-encoded as one left-padded word, the same as a uint256 of its value.
        let params = (
            U256::from(self.level),
            U256::from(self.start),
            U256::from(self.length),
            self.hashes.clone(),
        );
        keccak256(params.abi_encode_params())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_cover_the_interval_exactly() {
        assert_eq!(points(10, 7, 3), vec![10, 12, 14, 17]);
        assert_eq!(points(0, 1 << 32, 16)[16], 1 << 32);
        let s = Segment {
            level: LEVEL_STEPS,
            start: 100,
            length: 10,
            hashes: vec![B256::ZERO; 5],
        };
        let lengths: Vec<u64> = (0..4).map(|i| s.interval(i).1).collect();
        assert_eq!(lengths, vec![2, 3, 2, 3]);
        assert_eq!(s.interval(3), (107, 3));
        assert_eq!(parts(3, 16), 3);
        assert_eq!(parts(1 << 32, 16), 16);
    }

    #[test]
    fn the_hash_covers_every_field() {
        let s = Segment::opening(B256::repeat_byte(1), B256::repeat_byte(2), 5);
        let mut seen = vec![s.hash()];
        for change in 0..4 {
            let mut t = s.clone();
            match change {
                0 => t.level = LEVEL_STEPS,
                1 => t.start = 1,
                2 => t.length = 6,
                _ => t.hashes[1] = B256::repeat_byte(3),
            }
            assert!(!seen.contains(&t.hash()), "change {change}");
            seen.push(t.hash());
        }
    }
}
