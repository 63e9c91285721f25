//! The world of the state transition: what it asks of its host (docs/spec/guest-abi.md).
//!
//! In the guest every method is one host call of the one-step machine (module `fuse`); natively
//! (the sequencer, tests) the node implements them over its own store. The STF never sees
//! anything else, so the two builds cannot differ in what they read.

/// Bytes a keccak input or a preimage may have (docs/design.md#rule-9; docs/design.md#rule-8).
pub use fuse_primitives::MAX_PREIMAGE;

/// 32 bytes at a 32-byte-aligned address: the unit the host reads and writes
/// (docs/spec/guest-abi.md). Buffers of words go to host calls as they are, without the copy
/// into an aligned scratch buffer that a plain byte array would need in the guest.
#[repr(C, align(32))]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Word(pub [u8; 32]);

const _: () = assert!(core::mem::size_of::<Word>() == 32 && core::mem::align_of::<Word>() == 32);

/// `W` contiguous words, viewed as `32 × W` bytes: the buffers the STF builds hash inputs in
/// and reads preimages into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Buf<const W: usize>(pub [Word; W]);

impl<const W: usize> Buf<W> {
    /// All zeros.
    pub const fn new() -> Self {
        Buf([Word([0; 32]); W])
    }

    /// The bytes.
    pub fn bytes(&self) -> &[u8] {
        // SAFETY: `Word` is `repr(C)` around `[u8; 32]` with size 32 (checked above), so `W`
        // words are `32 × W` initialized bytes with no padding.
        unsafe { core::slice::from_raw_parts(self.0.as_ptr().cast::<u8>(), 32 * W) }
    }

    /// The bytes, mutably.
    pub fn bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in `bytes`; every byte pattern is a valid `Word`.
        unsafe { core::slice::from_raw_parts_mut(self.0.as_mut_ptr().cast::<u8>(), 32 * W) }
    }
}

impl<const W: usize> Default for Buf<W> {
    fn default() -> Self {
        Self::new()
    }
}

/// The host of the state transition.
pub trait Env {
    /// Whether the block builds its [`crate::stf::BlockReport`] (receipts, withdrawals). The
    /// report is output only — no state depends on it — so the guest, which drops it, turns
    /// it off and spares the steps; native callers keep it.
    const REPORT: bool = true;

    /// `keccak256(data)`, `data.len() ≤ MAX_PREIMAGE`. The host records `data` as the
    /// preimage of the result, so the STF can read it back later ([`Env::preimage`]). In the
    /// guest, `data` at a 32-byte-aligned address (a [`Buf`]) is hashed where it lies.
    fn keccak(&mut self, data: &[u8]) -> [u8; 32];

    /// Reads the preimage of `hash` from its start into `out`, one word per host call,
    /// stopping after the first word that is not full or when `out` is full; words past the
    /// preimage's end are zero-padded. Returns the bytes read: the preimage's length when it
    /// is shorter than `out`, otherwise `32 × out.len()` (so a caller expecting `n` bytes
    /// passes more than `n` and treats any other count as a wrong preimage). Only for hashes
    /// the STF computed itself with [`Env::keccak`] (docs/design.md#rule-8), so the host
    /// always has them.
    fn preimage(&mut self, hash: &[u8; 32], out: &mut [Word]) -> usize;

    /// Writes the 32 bytes of the current inbox message starting at `offset` (a multiple of
    /// 32) to `out`, zero-padded, and returns how many are real.
    fn inbox_word(&mut self, offset: u32, out: &mut Word) -> u32;

    /// EVM precompile 0x01 on `hash ‖ v ‖ r ‖ s`: the signer left-padded to 32 bytes, or
    /// zeros when recovery fails.
    fn ecrecover(&mut self, input: &Buf<4>) -> [u8; 32];
}

/// `tag ‖ left ‖ right` (65 bytes) at the front of a word buffer: the preimage of every inner
/// node (the account trie, the append trees, the tx root, the state root). Written once, not
/// zeroed first: in the guest a zeroing is a `memset` call, which costs more steps than the
/// keccak host call itself.
#[inline(always)]
pub fn pair_preimage(tag: u8, left: &[u8; 32], right: &[u8; 32]) -> Buf<3> {
    let mut buf = core::mem::MaybeUninit::<Buf<3>>::uninit();
    let p = buf.as_mut_ptr().cast::<u8>();
    // SAFETY: the 96 bytes of `buf` are all written (1 + 32 + 32 + 31) before it is read;
    // the sources do not overlap it.
    unsafe {
        p.write(tag);
        core::ptr::copy_nonoverlapping(left.as_ptr(), p.add(1), 32);
        core::ptr::copy_nonoverlapping(right.as_ptr(), p.add(33), 32);
        core::ptr::write_bytes(p.add(65), 0, 31);
        buf.assume_init()
    }
}

/// `keccak256(tag ‖ left ‖ right)`, hashed where it is built (as [`pair_preimage`], without
/// moving the buffer: a 96-byte move is 24 guest steps per node hashed).
pub fn keccak_pair<E: Env + ?Sized>(
    env: &mut E,
    tag: u8,
    left: &[u8; 32],
    right: &[u8; 32],
) -> [u8; 32] {
    let mut buf = core::mem::MaybeUninit::<Buf<3>>::uninit();
    let p = buf.as_mut_ptr().cast::<u8>();
    // SAFETY: the 96 bytes of `buf` are all written (1 + 32 + 32 + 31) before it is read;
    // the sources do not overlap it.
    let buf = unsafe {
        p.write(tag);
        core::ptr::copy_nonoverlapping(left.as_ptr(), p.add(1), 32);
        core::ptr::copy_nonoverlapping(right.as_ptr(), p.add(33), 32);
        core::ptr::write_bytes(p.add(65), 0, 31);
        buf.assume_init_ref()
    };
    env.keccak(&buf.bytes()[..65])
}

/// [`Env::preimage`] over a preimage held in memory: what every host that is not the guest
/// does, with the guest's word-by-word semantics.
pub fn fill_words(data: &[u8], out: &mut [Word]) -> usize {
    let mut total = 0;
    for (i, w) in out.iter_mut().enumerate() {
        let rest = data.get(32 * i..).unwrap_or_default();
        let n = rest.len().min(32);
        w.0 = [0; 32];
        w.0[..n].copy_from_slice(&rest[..n]);
        total += n;
        if n < 32 {
            break;
        }
    }
    total
}
