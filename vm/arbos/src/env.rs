//! The world of the state transition: what it asks of its host (docs/spec/guest-abi.md).
//!
//! In the guest every method is one host call of the one-step machine (module `fuse`); natively
//! (the sequencer, tests) the node implements them over its own store. The STF never sees
//! anything else, so the two builds cannot differ in what they read.

/// Bytes a keccak input or a preimage may have (DESIGN.md rules 8 and 9).
pub const MAX_PREIMAGE: usize = 256;

/// The host of the state transition.
pub trait Env {
    /// `keccak256(data)`, `data.len() ≤ MAX_PREIMAGE`. The host records `data` as the
    /// preimage of the result, so the STF can read it back later ([`Env::preimage_chunk`]).
    fn keccak(&mut self, data: &[u8]) -> [u8; 32];

    /// The 32 bytes of the preimage of `hash` starting at `offset` (a multiple of 32),
    /// zero-padded past its end, and how many of them are real. Only for hashes the STF
    /// computed itself with [`Env::keccak`] (rule 8), so the host always has them.
    fn preimage_chunk(&mut self, hash: &[u8; 32], offset: u32) -> ([u8; 32], u32);

    /// The 32 bytes of the current inbox message starting at `offset` (a multiple of 32),
    /// zero-padded, and how many are real.
    fn inbox_chunk(&mut self, offset: u32) -> ([u8; 32], u32);

    /// EVM precompile 0x01 on `hash ‖ v ‖ r ‖ s`: the signer left-padded to 32 bytes, or
    /// zeros when recovery fails.
    fn ecrecover(&mut self, input: &[u8; 128]) -> [u8; 32];
}

/// Reads the whole preimage of `hash` (at most `MAX_PREIMAGE` bytes) into `out`; returns its
/// length.
pub fn read_preimage<E: Env + ?Sized>(
    env: &mut E,
    hash: &[u8; 32],
    out: &mut [u8; MAX_PREIMAGE],
) -> usize {
    let mut len = 0;
    while len < MAX_PREIMAGE {
        let (chunk, n) = env.preimage_chunk(hash, len as u32);
        let n = (n as usize).min(32);
        out[len..len + n].copy_from_slice(&chunk[..n]);
        len += n;
        if n < 32 {
            break;
        }
    }
    len
}
