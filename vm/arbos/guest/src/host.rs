//! The host calls of module `fuse` (docs/spec/guest-abi.md) and [`GuestEnv`], the STF's
//! [`Env`] over them.
//!
//! The host reads and writes whole 32-byte words at 32-byte-aligned addresses (so a one-step
//! proof touches one memory leaf per word); [`Word`] and [`Words`] are those buffers.

use fuse_arbos::env::{Env, MAX_PREIMAGE};

#[link(wasm_import_module = "fuse")]
unsafe extern "C" {
    #[link_name = "read_inbox"]
    fn fuse_read_inbox(offset: u32, dest: *mut u8) -> u32;
    #[link_name = "read_preimage"]
    fn fuse_read_preimage(hash: *const u8, offset: u32, dest: *mut u8) -> u32;
    #[link_name = "keccak256"]
    fn fuse_keccak256(src: *const u8, len: u32, dest: *mut u8);
    #[link_name = "ecrecover"]
    fn fuse_ecrecover(input: *const u8, dest: *mut u8);
    #[link_name = "get_bytes32"]
    fn fuse_get_bytes32(index: u32, dest: *mut u8);
    #[link_name = "set_bytes32"]
    fn fuse_set_bytes32(index: u32, src: *const u8);
    #[link_name = "get_u64"]
    fn fuse_get_u64(index: u32) -> u64;
    #[link_name = "set_u64"]
    fn fuse_set_u64(index: u32, value: u64);
}

/// One 32-byte word at a 32-byte-aligned address.
#[repr(C, align(32))]
pub struct Word(pub [u8; 32]);

/// `N` bytes at a 32-byte-aligned address.
#[repr(C, align(32))]
struct Words<const N: usize>([u8; N]);

pub fn get_bytes32(index: u32) -> [u8; 32] {
    let mut w = Word([0; 32]);
    // SAFETY: `w` is 32 writable bytes at an aligned address, and the index is a field the
    // host knows (a wrong one would trap, not write).
    unsafe { fuse_get_bytes32(index, w.0.as_mut_ptr()) };
    w.0
}

pub fn set_bytes32(index: u32, value: &Word) {
    // SAFETY: the host reads 32 bytes at an aligned address.
    unsafe { fuse_set_bytes32(index, value.0.as_ptr()) }
}

pub fn get_u64(index: u32) -> u64 {
    // SAFETY: no memory is touched.
    unsafe { fuse_get_u64(index) }
}

pub fn set_u64(index: u32, value: u64) {
    // SAFETY: no memory is touched.
    unsafe { fuse_set_u64(index, value) }
}

/// The STF's host inside the machine: every method is one host call.
pub struct GuestEnv;

impl Env for GuestEnv {
    fn keccak(&mut self, data: &[u8]) -> [u8; 32] {
        if data.len() > MAX_PREIMAGE {
            // The host would trap on it too; say so here, where the cause is visible.
            panic!("keccak input over MAX_PREIMAGE");
        }
        let mut out = Word([0; 32]);
        if (data.as_ptr() as usize).is_multiple_of(32) {
            // SAFETY: `data` is readable for its length at an aligned address; `out` is 32
            // writable aligned bytes.
            unsafe { fuse_keccak256(data.as_ptr(), data.len() as u32, out.0.as_mut_ptr()) };
        } else {
            let mut buf = Words([0u8; MAX_PREIMAGE]);
            buf.0[..data.len()].copy_from_slice(data);
            // SAFETY: as above, from the aligned copy.
            unsafe { fuse_keccak256(buf.0.as_ptr(), data.len() as u32, out.0.as_mut_ptr()) };
        }
        out.0
    }

    fn preimage_chunk(&mut self, hash: &[u8; 32], offset: u32) -> ([u8; 32], u32) {
        let h = Word(*hash);
        let mut out = Word([0; 32]);
        // SAFETY: both buffers are 32 aligned bytes; `offset` is a multiple of 32 by the
        // trait's contract (the host traps otherwise).
        let n = unsafe { fuse_read_preimage(h.0.as_ptr(), offset, out.0.as_mut_ptr()) };
        (out.0, n)
    }

    fn inbox_chunk(&mut self, offset: u32) -> ([u8; 32], u32) {
        let mut out = Word([0; 32]);
        // SAFETY: as for `preimage_chunk`.
        let n = unsafe { fuse_read_inbox(offset, out.0.as_mut_ptr()) };
        (out.0, n)
    }

    fn ecrecover(&mut self, input: &[u8; 128]) -> [u8; 32] {
        let i = Words(*input);
        let mut out = Word([0; 32]);
        // SAFETY: 128 readable and 32 writable bytes, both aligned.
        unsafe { fuse_ecrecover(i.0.as_ptr(), out.0.as_mut_ptr()) };
        out.0
    }
}
