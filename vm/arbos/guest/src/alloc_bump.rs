//! The guest's allocator: a bump allocator over `memory.grow`.
//!
//! Hand-written rather than a general allocator (talc, dlmalloc) because a block is one fresh
//! instance: memory starts from the module's image every block and is dropped with the
//! machine, so freeing buys nothing and every instruction of bookkeeping is a machine step a
//! validator pays for and a dispute bisects through. It gives back only the most recent
//! allocation (the common case of a temporary, and of a growing `Vec` at the top), which
//! keeps peak memory within the cap the link arguments set (16 MiB, a 19-deep memory tree).
//! Running past the cap is an allocation failure, which panics, which traps.

use core::alloc::{GlobalAlloc, Layout};
use core::arch::wasm32;

const PAGE: usize = 65536;

struct Bump;

#[global_allocator]
static ALLOCATOR: Bump = Bump;

/// Next free byte (0 until the first allocation) and the end of memory.
static mut NEXT: usize = 0;
static mut END: usize = 0;

unsafe extern "C" {
    /// Set by the linker: the first byte after the data segments and the stack.
    static __heap_base: u8;
}

/// Makes `[.., end)` addressable; false if memory cannot grow that far.
///
/// SAFETY (callers): single-threaded, so the statics are never aliased.
unsafe fn reserve(end: usize) -> bool {
    // SAFETY: see above.
    unsafe {
        if END == 0 {
            NEXT = &raw const __heap_base as usize;
            END = wasm32::memory_size(0) * PAGE;
        }
        if end <= END {
            return true;
        }
        let pages = (end - END).div_ceil(PAGE);
        if wasm32::memory_grow(0, pages) == usize::MAX {
            return false;
        }
        END += pages * PAGE;
        true
    }
}

// SAFETY: `alloc` returns a block aligned as asked, inside memory it has grown to hold it, and
// past every live block (the bump pointer moves past each block it hands out), or null;
// `dealloc` only moves the pointer back when the freed block is the last one handed out, so a
// live block is never handed out again.
unsafe impl GlobalAlloc for Bump {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the guest is single-threaded (`reserve`).
        unsafe {
            if END == 0 && !reserve(0) {
                return core::ptr::null_mut();
            }
            let start = NEXT.next_multiple_of(layout.align());
            let Some(end) = start.checked_add(layout.size()) else {
                return core::ptr::null_mut();
            };
            if !reserve(end) {
                return core::ptr::null_mut();
            }
            NEXT = end;
            start as *mut u8
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: single-threaded; `ptr` came from `alloc` with `layout`.
        unsafe {
            if ptr as usize + layout.size() == NEXT {
                NEXT = ptr as usize;
            }
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: single-threaded; `ptr` came from `alloc` with `layout`.
        unsafe {
            let top = ptr as usize + layout.size() == NEXT;
            if top {
                let Some(end) = (ptr as usize).checked_add(new_size) else {
                    return core::ptr::null_mut();
                };
                if !reserve(end) {
                    return core::ptr::null_mut();
                }
                NEXT = end;
                return ptr;
            }
            let Ok(new) = Layout::from_size_align(new_size, layout.align()) else {
                return core::ptr::null_mut();
            };
            let out = self.alloc(new);
            if !out.is_null() {
                core::ptr::copy_nonoverlapping(ptr, out, layout.size().min(new_size));
            }
            out
        }
    }
}
