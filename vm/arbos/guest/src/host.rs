//! The host calls of module `fuse` (docs/spec/guest-abi.md) and [`GuestEnv`], the STF's
//! [`Env`] over them.
//!
//! The host reads and writes whole 32-byte words at 32-byte-aligned addresses (so a one-step
//! proof touches one memory leaf per word): fuse-arbos's [`Word`] and [`Buf`], which the STF
//! builds its hash inputs in, so they reach the host without a copy.

use core::mem::MaybeUninit;

use fuse_arbos::env::{Buf, Env, MAX_PREIMAGE, Word};

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

pub(crate) fn get_bytes32(index: u32) -> [u8; 32] {
    let mut w = Word([0; 32]);
    // SAFETY: `w` is 32 writable bytes at an aligned address, and the index is a field the
    // host knows (a wrong one would trap, not write).
    unsafe { fuse_get_bytes32(index, w.0.as_mut_ptr()) };
    w.0
}

pub(crate) fn set_bytes32(index: u32, value: &Word) {
    // SAFETY: the host reads 32 bytes at an aligned address.
    unsafe { fuse_set_bytes32(index, value.0.as_ptr()) }
}

pub(crate) fn get_u64(index: u32) -> u64 {
    // SAFETY: no memory is touched.
    unsafe { fuse_get_u64(index) }
}

pub(crate) fn set_u64(index: u32, value: u64) {
    // SAFETY: no memory is touched.
    unsafe { fuse_set_u64(index, value) }
}

/// The STF's host inside the machine: every method is one host call.
pub(crate) struct GuestEnv;

impl Env for GuestEnv {
    /// The guest drops the report: nothing is built.
    const REPORT: bool = false;

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
            // Unaligned input (an encoding in a `Vec`): copy it to aligned scratch. Left
            // uninitialized past `data`, since the host reads exactly `data.len()` bytes and
            // zeroing 256 bytes would cost more steps than the copy.
            let mut buf = MaybeUninit::<Buf<{ MAX_PREIMAGE / 32 }>>::uninit();
            let dst = buf.as_mut_ptr().cast::<u8>();
            // SAFETY: `dst` has room for MAX_PREIMAGE ≥ data.len() bytes and does not overlap
            // `data`; the host reads only the bytes written; `out` is 32 aligned bytes.
            unsafe {
                core::ptr::copy_nonoverlapping(data.as_ptr(), dst, data.len());
                fuse_keccak256(dst, data.len() as u32, out.0.as_mut_ptr());
            }
        }
        out.0
    }

    fn preimage(&mut self, hash: &[u8; 32], out: &mut [Word]) -> usize {
        // The host reads the hash from an aligned address: copy it there unless it is.
        let copy;
        let h = if (hash.as_ptr() as usize).is_multiple_of(32) {
            hash.as_ptr()
        } else {
            copy = Word(*hash);
            copy.0.as_ptr()
        };
        let mut total = 0;
        for (i, w) in out.iter_mut().enumerate() {
            // SAFETY: `h` and `w` are 32 aligned bytes; the offset is a multiple of 32.
            let n = unsafe { fuse_read_preimage(h, 32 * i as u32, w.0.as_mut_ptr()) };
            total += n as usize;
            if n < 32 {
                break;
            }
        }
        total
    }

    fn inbox_word(&mut self, offset: u32, out: &mut Word) -> u32 {
        // SAFETY: `out` is 32 aligned bytes; `offset` is a multiple of 32 by the trait's
        // contract (the host traps otherwise).
        unsafe { fuse_read_inbox(offset, out.0.as_mut_ptr()) }
    }

    fn ecrecover(&mut self, input: &Buf<4>) -> [u8; 32] {
        let mut out = Word([0; 32]);
        // SAFETY: 128 readable and 32 writable bytes, both aligned.
        unsafe { fuse_ecrecover(input.bytes().as_ptr(), out.0.as_mut_ptr()) };
        out.0
    }
}
