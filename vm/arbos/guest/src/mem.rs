//! `memcpy` and `memset` for the guest, replacing compiler-builtins' (whose symbols are weak).
//!
//! Why hand-written: on wasm32 the builtins move 4 bytes per loop iteration, and every
//! instruction is a machine step that validators pay for and disputes bisect through. The
//! STF moves many small structs (keys, hashes, transactions), which LLVM lowers to calls
//! here; moving 8 bytes per load/store, 32 per iteration, cut the steps of a transfer by
//! ~15% (docs/benchmarks.md, `bench stf`). `memmove` and `memcmp` stay the builtins'.
//!
//! LLVM does not turn the loops of functions named `memcpy`/`memset` back into calls to
//! themselves (loop-idiom recognition skips them), so these cannot recurse.

/// Copies `n` bytes from `src` to `dest` (non-overlapping).
///
/// # Safety
/// The C contract: both ranges valid for `n` bytes and disjoint.
#[unsafe(no_mangle)]
// Exported by `no_mangle` (the compiler's own calls resolve to it), not by the module tree.
#[allow(unreachable_pub)]
pub unsafe extern "C" fn memcpy(dest: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    // SAFETY: the caller's contract; unaligned reads and writes are what wasm loads and
    // stores do anyway.
    unsafe {
        let mut i = 0;
        while i + 32 <= n {
            let a = src.add(i).cast::<u64>().read_unaligned();
            let b = src.add(i + 8).cast::<u64>().read_unaligned();
            let c = src.add(i + 16).cast::<u64>().read_unaligned();
            let d = src.add(i + 24).cast::<u64>().read_unaligned();
            dest.add(i).cast::<u64>().write_unaligned(a);
            dest.add(i + 8).cast::<u64>().write_unaligned(b);
            dest.add(i + 16).cast::<u64>().write_unaligned(c);
            dest.add(i + 24).cast::<u64>().write_unaligned(d);
            i += 32;
        }
        while i + 8 <= n {
            let a = src.add(i).cast::<u64>().read_unaligned();
            dest.add(i).cast::<u64>().write_unaligned(a);
            i += 8;
        }
        while i < n {
            *dest.add(i) = *src.add(i);
            i += 1;
        }
    }
    dest
}

/// Sets `n` bytes at `dest` to `c as u8`.
///
/// # Safety
/// The C contract: `dest` valid for `n` bytes.
#[unsafe(no_mangle)]
// Exported by `no_mangle` (the compiler's own calls resolve to it), not by the module tree.
#[allow(unreachable_pub)]
pub unsafe extern "C" fn memset(dest: *mut u8, c: i32, n: usize) -> *mut u8 {
    let byte = c as u8;
    let word = u64::from_ne_bytes([byte; 8]);
    // SAFETY: the caller's contract.
    unsafe {
        let mut i = 0;
        while i + 32 <= n {
            dest.add(i).cast::<u64>().write_unaligned(word);
            dest.add(i + 8).cast::<u64>().write_unaligned(word);
            dest.add(i + 16).cast::<u64>().write_unaligned(word);
            dest.add(i + 24).cast::<u64>().write_unaligned(word);
            i += 32;
        }
        while i + 8 <= n {
            dest.add(i).cast::<u64>().write_unaligned(word);
            i += 8;
        }
        while i < n {
            *dest.add(i) = byte;
            i += 1;
        }
    }
    dest
}
