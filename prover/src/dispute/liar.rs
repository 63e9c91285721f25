//! A party that departs from the truth at a chosen point and defends that claim to the end:
//! the lying validator of tests, demos and dispute vectors.

use alloy_primitives::{B256, keccak256};
use fuse_vm::hash::finished_machine_hash;
use fuse_vm::{GlobalState, MAX_STEPS};

use super::history::History;

/// Where a liar departs from the truth, in the range it asserts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Lie {
    /// The global state after block `block` (0-based in the range) is wrong, and so is every
    /// later one; inside that block every machine hash is real except the last (at
    /// `MAX_STEPS`): a dispute that level 1 narrows and the block's final step settles.
    State {
        /// The first wrong block, 0-based in the range.
        block: u64,
    },
    /// As `State`, and inside block `block` its machine departs at step `step` (≥ 1): every
    /// machine hash it claims from that step on is wrong.
    Step {
        /// The block it lies inside, 0-based in the range.
        block: u64,
        /// The first wrong step of that block (≥ 1).
        step: u64,
    },
}

impl Lie {
    /// The block it departs in.
    pub fn block(&self) -> u64 {
        match *self {
            Lie::State { block } | Lie::Step { block, .. } => block,
        }
    }

    /// A lie chosen from `seed`: a block of `blocks`, and at level 1 only or at a step below
    /// `steps_hint` (a step past the block's end claims a halted machine changed). Splitmix64:
    /// a fixed seed names the same lie on every machine.
    pub fn from_seed(seed: u64, blocks: u64, steps_hint: u64) -> Lie {
        let mut state = seed;
        let mut next = || {
            state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        let block = next() % blocks.max(1);
        match next() % 4 {
            0 => Lie::State { block },
            _ => Lie::Step {
                block,
                step: 1 + next() % steps_hint.max(1),
            },
        }
    }
}

/// The history of a liar: `truth` up to the lie, false from there on.
pub struct Liar<H> {
    truth: H,
    lie: Lie,
    salt: u8,
}

impl<H: History> Liar<H> {
    /// A liar that knows `truth` and departs from it at `lie`.
    pub fn new(truth: H, lie: Lie) -> Self {
        assert!(
            !matches!(lie, Lie::Step { step, .. } if step == 0 || step > MAX_STEPS),
            "a machine lie is at a step in 1..=MAX_STEPS (step 0 is the block's start, fixed \
             by the previous level)"
        );
        Liar {
            truth,
            lie,
            salt: 1,
        }
    }

    /// Falsifies states with `salt` (non-zero) instead of 1, so liars with different salts
    /// claim different wrong states (and fight each other too).
    pub fn with_salt(mut self, salt: u8) -> Self {
        assert!(salt != 0, "a zero salt falsifies nothing");
        self.salt = salt;
        self
    }

    /// Where it lies.
    pub fn lie(&self) -> Lie {
        self.lie
    }

    /// The history it departs from.
    pub fn truth(&mut self) -> &mut H {
        &mut self.truth
    }
}

/// A wrong global state close to the real one: its state root with one bit flipped.
pub fn falsify(gs: GlobalState) -> GlobalState {
    falsify_with(gs, 1)
}

/// A wrong global state: the last byte of its state root XORed with `salt` (non-zero).
pub fn falsify_with(gs: GlobalState, salt: u8) -> GlobalState {
    let mut fake = gs;
    fake.state_root.0[31] ^= salt;
    fake
}

impl<H: History> History for Liar<H> {
    fn blocks(&self) -> u64 {
        self.truth.blocks()
    }

    fn global_state(&mut self, i: u64) -> anyhow::Result<GlobalState> {
        if i <= self.lie.block() {
            return self.truth.global_state(i);
        }
        // Past a block that cannot finish the truth has no state: the liar claims the block
        // finished, in a falsified copy of the state before it one message on per block.
        let real = match self.truth.global_state(i) {
            Ok(real) => real,
            Err(_) => {
                let mut before = self.truth.global_state(self.lie.block())?;
                before.inbox_position += i - self.lie.block();
                before
            }
        };
        Ok(falsify_with(real, self.salt))
    }

    fn machine_hashes(&mut self, b: u64, steps: &[u64]) -> anyhow::Result<Vec<B256>> {
        let mut hashes = self.truth.machine_hashes(b, steps)?;
        if b != self.lie.block() {
            return Ok(hashes);
        }
        let end = finished_machine_hash(self.block_hash(b + 1)?);
        for (h, &t) in hashes.iter_mut().zip(steps) {
            if t == MAX_STEPS {
                *h = end;
            } else if matches!(self.lie, Lie::Step { step, .. } if t >= step) {
                *h =
                    keccak256([b"fuse-l2 lie".as_slice(), &t.to_be_bytes(), h.as_slice()].concat());
            }
        }
        Ok(hashes)
    }

    fn prove(&mut self, b: u64, t: u64) -> anyhow::Result<(Vec<u8>, B256)> {
        self.truth.prove(b, t)
    }
}
