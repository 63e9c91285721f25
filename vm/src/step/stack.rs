//! Raw views of the current frame's value stack and locals, used only inside
//! [`Machine::run`](crate::machine::Machine::run).
//!
//! Why raw: a `Vec` push checks capacity and writes the length back to memory on every
//! value, and indexing checks bounds; the loop moves that work to frame entry. The views
//! own nothing: `Machine::values` and `Machine::locals` stay the owners, and every view is
//! rebuilt (`enter`) after anything else may have changed or moved them.

/// The current frame's value stack: `height` values from `frame` (= `values[base..]`).
///
/// Invariants, from [`Stack::enter`] until [`Stack::leave`], while nothing else touches
/// the `Vec`: `frame` points at element `base` of its buffer, the first `base + height`
/// elements are initialized, and `base + height + room <= capacity`, where `room` is the
/// room reserved at entry minus the net pushes since.
pub(super) struct Stack {
    frame: *mut u64,
    base: usize,
    height: usize,
}

impl Stack {
    /// Views `values` with the current frame from `base`, reserving room for `reserve` more
    /// values.
    #[inline(always)]
    pub(super) fn enter(values: &mut Vec<u64>, base: u32, reserve: usize) -> Stack {
        values.reserve(reserve);
        // A base past the end would only come from a corrupt state; clamping keeps
        // `height` meaningful (the frame then looks empty and pops trap).
        let base = (base as usize).min(values.len());
        Stack {
            // SAFETY: base <= len <= capacity, so the offset stays inside the allocation
            // (or one past it).
            frame: unsafe { values.as_mut_ptr().add(base) },
            base,
            height: values.len() - base,
        }
    }

    /// Writes the height back into `values` (the `Vec` the view was made from).
    #[inline(always)]
    pub(super) fn leave(&self, values: &mut Vec<u64>) {
        // SAFETY: base + height <= capacity, and every element below it was initialized
        // (the initial length was, pushes write before counting); u64 needs no drop.
        unsafe { values.set_len(self.base + self.height) }
    }

    /// Values in the current frame.
    #[inline(always)]
    pub(super) fn height(&self) -> usize {
        self.height
    }

    /// The `k`-th value from the top (1 = top).
    ///
    /// # Safety
    ///
    /// `1 <= k <= self.height()`: the slot is then an initialized element of the current
    /// frame. The run loop checks it with `need!` before every read.
    #[inline(always)]
    pub(super) unsafe fn get(&self, k: usize) -> u64 {
        debug_assert!(k >= 1 && k <= self.height);
        // SAFETY: the caller guarantees `1 <= k <= height` (see `# Safety`).
        unsafe { *self.frame.add(self.height - k) }
    }

    /// Overwrites the `k`-th value from the top (1 = top).
    ///
    /// # Safety
    ///
    /// As [`Stack::get`]: `1 <= k <= self.height()`.
    #[inline(always)]
    pub(super) unsafe fn set(&mut self, k: usize, v: u64) {
        debug_assert!(k >= 1 && k <= self.height);
        // SAFETY: the caller guarantees `1 <= k <= height` (see `# Safety`).
        unsafe { *self.frame.add(self.height - k) = v }
    }

    /// Pops `n` values. The caller has checked `n <= height`.
    #[inline(always)]
    pub(super) fn drop_n(&mut self, n: usize) {
        debug_assert!(n <= self.height);
        self.height -= n;
    }

    /// Pushes `v` without a capacity check.
    ///
    /// # Safety
    ///
    /// `base + height < capacity`: there is room for one more value. Why the run loop always
    /// has it: on entering a frame (run, call, return) `enter` reserved the module's
    /// `max_stack_height`, the most values any function's own stack holds at any point
    /// (computed by the loader from wasmparser-validated code). Inside a frame every
    /// instruction changes the height by exactly its static effect (pops that would go
    /// below the frame trap instead), so the frame never grows by more than that bound
    /// above its height at entry.
    #[inline(always)]
    pub(super) unsafe fn push(&mut self, v: u64) {
        // SAFETY: the caller guarantees room for one more value (see `# Safety`).
        unsafe { self.frame.add(self.height).write(v) };
        self.height += 1;
    }
}

/// The current frame's locals: `locals[locals_base..]`.
pub(super) struct Locals {
    frame: *mut u64,
}

impl Locals {
    /// Views the current frame's locals.
    #[inline(always)]
    pub(super) fn enter(locals: &mut Vec<u64>, base: u32) -> Locals {
        let base = (base as usize).min(locals.len());
        Locals {
            // SAFETY: base <= len: inside the allocation or one past it.
            frame: unsafe { locals.as_mut_ptr().add(base) },
        }
    }

    /// Local `i` of the current frame.
    ///
    /// # Safety
    ///
    /// `i` is below the current frame's local count, whose slots lie inside the `Vec` the
    /// view was made from. In the run loop `i` comes from a local instruction of the function
    /// the frame runs: wasmparser validated `i < num_locals` of that function, and the
    /// machine keeps `locals.len() >= locals_base + num_locals` with `num_locals` that
    /// function's (`run` checks both on entry; a call sets them from the callee's
    /// definition, a return restores the caller's).
    #[inline(always)]
    pub(super) unsafe fn get(&self, i: u32) -> u64 {
        // SAFETY: the caller guarantees `i` is a local of the current frame.
        unsafe { *self.frame.add(i as usize) }
    }

    /// Sets local `i` of the current frame.
    ///
    /// # Safety
    ///
    /// As [`Locals::get`].
    #[inline(always)]
    pub(super) unsafe fn set(&mut self, i: u32, v: u64) {
        // SAFETY: the caller guarantees `i` is a local of the current frame.
        unsafe { *self.frame.add(i as usize) = v }
    }
}
