//! Incremental hashing of the machine state.
//!
//! The step loop records almost nothing: it notes written memory leaves and pushes or pops a
//! slot per call or return. Everything else is found at hash time by comparing the state with
//! what was hashed last time, which costs a few memory compares and no keccak for the parts
//! that did not change:
//! - value stacks: a `(value, prev, hash)` entry per slot; an entry is reused only if both its
//!   value and its predecessor's hash still match (a frame's chain restarts at its base);
//! - locals: each frame keeps a copy of the locals it hashed and its tree, rehashing only the
//!   leaves whose values changed;
//! - saved frames: their chain hash is computed once, when first needed, and kept until popped;
//! - globals: a copy and a tree, like locals; memory: a tree over written leaves;
//! - module and world hashes: recomputed only when an input changed.

use alloy_primitives::B256;

use crate::commit;
use crate::machine::Machine;
use crate::merkle::{self, Tree};
use crate::module::{Module, locals_depth};
use crate::{GlobalState, hash};

pub use fuse_primitives::tags::{TAG_FRAME, TAG_VALUE_STACK};

/// Memory leaves noted before the cache gives up on the list and rescans all of memory.
const MAX_DIRTY_LEAVES: usize = 1 << 16;

/// `keccak256(0x07 ‖ prev ‖ value (u64))`.
#[inline]
pub fn value_stack_push(prev: &B256, value: u64) -> B256 {
    let mut buf = [0u8; 41];
    buf[0] = TAG_VALUE_STACK;
    buf[1..33].copy_from_slice(prev.as_slice());
    buf[33..41].copy_from_slice(&value.to_be_bytes());
    crate::hash::keccak(&buf)
}

/// `keccak256(0x08 ‖ prev ‖ depth (u32) ‖ returnPc (u32) ‖ valueStack ‖ localsRoot)`, where
/// `depth` is the number of saved frames including this one.
pub fn frame_push(
    prev: &B256,
    depth: u32,
    return_pc: u32,
    value_stack: &B256,
    locals_root: &B256,
) -> B256 {
    let mut buf = [0u8; 105];
    buf[0] = TAG_FRAME;
    buf[1..33].copy_from_slice(prev.as_slice());
    buf[33..37].copy_from_slice(&depth.to_be_bytes());
    buf[37..41].copy_from_slice(&return_pc.to_be_bytes());
    buf[41..73].copy_from_slice(value_stack.as_slice());
    buf[73..105].copy_from_slice(locals_root.as_slice());
    crate::hash::keccak(&buf)
}

#[derive(Clone, Copy, Debug)]
struct StackEntry {
    /// False until the entry has been computed (a zeroed entry must never match).
    valid: bool,
    value: u64,
    prev: B256,
    hash: B256,
}

#[derive(Clone, Debug)]
struct LocalsCache {
    copy: Vec<u64>,
    tree: Tree,
}

/// Hash caches of one machine; not part of its state (a restored machine rebuilds them).
#[derive(Clone, Debug)]
pub struct HashCache {
    static_hash: B256,
    stack: Vec<StackEntry>,
    /// One per frame, the current one last.
    locals: Vec<Option<LocalsCache>>,
    /// Chain hash up to and including each saved frame.
    frames: Vec<Option<B256>>,
    globals_copy: Vec<u64>,
    globals_tree: Tree,
    memory_tree: Tree,
    memory_dirty: Vec<u32>,
    memory_rescan: bool,
    module: Option<(B256, B256, u32, B256)>,
    world: Option<(B256, GlobalState, B256)>,
}

/// The parts of a running machine's hash.
pub struct Parts {
    /// Hash of the current frame's value stack.
    pub value_stack: B256,
    /// Root of the current frame's locals tree.
    pub locals: B256,
    /// Chain hash of the saved frames.
    pub frames: B256,
    /// World hash (module hash and global-state hash).
    pub world: B256,
}

impl HashCache {
    /// Caches for a machine freshly created from `module`.
    pub fn new(module: &Module) -> Self {
        Self::for_state(module, &module.globals, &module.initial_memory)
    }

    /// Caches for a machine of `module` whose globals and memory are these.
    pub fn for_state(module: &Module, globals: &[u64], memory: &[u8]) -> Self {
        HashCache {
            static_hash: module.static_hash,
            stack: Vec::new(),
            locals: vec![None],
            frames: Vec::new(),
            globals_copy: globals.to_vec(),
            globals_tree: Tree::new(
                merkle::TAG_GLOBALS,
                module.globals_depth,
                merkle::pack_values(globals),
            ),
            memory_tree: Tree::new(
                merkle::TAG_MEMORY,
                module.memory_depth,
                merkle::chunk_leaves(memory),
            ),
            memory_dirty: Vec::new(),
            memory_rescan: false,
            module: None,
            world: None,
        }
    }

    /// Forgets every frame (the spec-test runner starts each invocation from a fresh frame).
    pub fn reset_frames(&mut self) {
        self.locals.clear();
        self.locals.push(None);
        self.frames.clear();
    }

    #[inline]
    pub(crate) fn on_call(&mut self) {
        self.frames.push(None);
        self.locals.push(None);
    }

    #[inline]
    pub(crate) fn on_return(&mut self) {
        self.frames.pop();
        self.locals.pop();
    }

    /// Notes a write of `size` bytes at `addr` in memory.
    #[inline]
    pub(crate) fn touch_memory(&mut self, addr: usize, size: usize) {
        let first = addr >> 5;
        let last = (addr + size - 1) >> 5;
        if self.memory_dirty.len() >= MAX_DIRTY_LEAVES {
            self.memory_rescan = true;
            self.memory_dirty.clear();
        }
        self.memory_dirty.push(first as u32);
        if last != first {
            self.memory_dirty.push(last as u32);
        }
    }

    // ---- for proofs: valid right after `parts`, which leaves every cache clean ----

    /// The hash of the stack `values[base..end]` whose entries `parts` computed.
    pub(crate) fn stack_prefix(&self, base: usize, end: usize) -> B256 {
        if end <= base {
            hash::EMPTY
        } else {
            debug_assert!(self.stack[end - 1].valid);
            self.stack[end - 1].hash
        }
    }

    /// The locals tree of frame `frame` (the current frame is the last).
    pub(crate) fn locals_tree(&self, frame: usize) -> &Tree {
        &self.locals[frame]
            .as_ref()
            .expect("parts() hashed every frame's locals")
            .tree
    }

    /// The frame-chain hash up to and including saved frame `i`.
    pub(crate) fn frame_hash(&self, i: usize) -> B256 {
        self.frames[i].expect("parts() hashed every saved frame")
    }

    /// The globals tree.
    pub(crate) fn globals_tree(&self) -> &Tree {
        &self.globals_tree
    }

    /// The memory tree.
    pub(crate) fn memory_tree(&self) -> &Tree {
        &self.memory_tree
    }

    fn stack_hash(&mut self, values: &[u64], base: usize) -> B256 {
        if self.stack.len() < values.len() {
            self.stack.resize(
                values.len(),
                StackEntry {
                    valid: false,
                    value: 0,
                    prev: B256::ZERO,
                    hash: B256::ZERO,
                },
            );
        }
        let mut prev = hash::EMPTY;
        for (i, &v) in values.iter().enumerate().skip(base) {
            let e = &mut self.stack[i];
            if !e.valid || e.value != v || e.prev != prev {
                *e = StackEntry {
                    valid: true,
                    value: v,
                    prev,
                    hash: value_stack_push(&prev, v),
                };
            }
            prev = e.hash;
        }
        prev
    }

    fn locals_root(slot: &mut Option<LocalsCache>, locals: &[u64]) -> B256 {
        match slot {
            Some(c) if c.copy.len() == locals.len() => {
                for (leaf, (now, was)) in locals.chunks(4).zip(c.copy.chunks_mut(4)).enumerate() {
                    if now != was {
                        was.copy_from_slice(now);
                        c.tree.set_leaf(leaf, merkle::pack_leaf(now));
                    }
                }
                c.tree.root()
            }
            _ => {
                let mut tree = Tree::new(
                    merkle::TAG_LOCALS,
                    locals_depth(locals.len() as u32),
                    merkle::pack_values(locals),
                );
                let root = tree.root();
                *slot = Some(LocalsCache {
                    copy: locals.to_vec(),
                    tree,
                });
                root
            }
        }
    }

    fn globals_root(&mut self, globals: &[u64]) -> B256 {
        for (leaf, (now, was)) in globals
            .chunks(4)
            .zip(self.globals_copy.chunks_mut(4))
            .enumerate()
        {
            if now != was {
                was.copy_from_slice(now);
                self.globals_tree.set_leaf(leaf, merkle::pack_leaf(now));
            }
        }
        self.globals_tree.root()
    }

    fn memory_root(&mut self, memory: &[u8]) -> B256 {
        let leaves = memory.len() / 32;
        if self.memory_tree.len() < leaves {
            self.memory_tree.grow_to(leaves);
        }
        let leaf_at = |i: usize| B256::from_slice(&memory[32 * i..32 * i + 32]);
        if self.memory_rescan {
            for i in 0..leaves {
                let now = leaf_at(i);
                if self.memory_tree.leaf(i) != now {
                    self.memory_tree.set_leaf(i, now);
                }
            }
            self.memory_rescan = false;
        }
        for i in std::mem::take(&mut self.memory_dirty) {
            let i = i as usize;
            if i < leaves {
                self.memory_tree.set_leaf(i, leaf_at(i));
            }
        }
        self.memory_tree.root()
    }
}

/// Computes the parts of a running machine's hash, updating the caches.
pub fn parts(m: &mut Machine) -> Parts {
    let c = &mut m.cache;
    // Saved frames, bottom-up from the first one not hashed yet.
    let mut prev = hash::EMPTY;
    for i in 0..m.frames.len() {
        if let Some(h) = c.frames[i] {
            prev = h;
            continue;
        }
        let f = m.frames[i];
        let stack_end = if i + 1 < m.frames.len() {
            m.frames[i + 1].stack_base as usize
        } else {
            m.stack_base as usize
        };
        let stack = c.stack_hash(&m.values[..stack_end], f.stack_base as usize);
        let locals = &m.locals[f.locals_base as usize..(f.locals_base + f.num_locals) as usize];
        let locals_root = HashCache::locals_root(&mut c.locals[i], locals);
        let h = frame_push(&prev, (i + 1) as u32, f.return_pc, &stack, &locals_root);
        c.frames[i] = Some(h);
        prev = h;
    }
    let frames = prev;
    let value_stack = c.stack_hash(&m.values, m.stack_base as usize);
    let current = m.frames.len();
    let locals =
        HashCache::locals_root(&mut c.locals[current], &m.locals[m.locals_base as usize..]);
    let globals_root = c.globals_root(&m.globals);
    let memory_root = c.memory_root(&m.memory);
    let pages = (m.memory.len() / crate::PAGE_SIZE) as u32;
    let module_hash = match c.module {
        Some((g, mem, p, h)) if g == globals_root && mem == memory_root && p == pages => h,
        _ => {
            let h = commit::module_hash(c.static_hash, globals_root, memory_root, pages);
            c.module = Some((globals_root, memory_root, pages, h));
            h
        }
    };
    let world = match c.world {
        Some((mh, gs, w)) if mh == module_hash && gs == m.gs => w,
        _ => {
            let w = hash::world_hash(module_hash, m.gs.hash());
            c.world = Some((module_hash, m.gs, w));
            w
        }
    };
    Parts {
        value_stack,
        locals,
        frames,
        world,
    }
}
