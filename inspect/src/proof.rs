//! A one-step proof decoded for a reader ([`ProofView`]): the verifier's [`explain`] — the
//! same code path as the verdict — turned into what it read, what it wrote and the paths it
//! carried, with the instruction named from the module and its name map.

use alloy_primitives::B256;
use fuse_primitives::tags::{TAG_CODE, TAG_DATA, TAG_GLOBALS, TAG_LOCALS, TAG_MEMORY, TAG_TABLE};
use fuse_verifier::machine::{Machine as Revealed, STATUS_ERRORED, STATUS_FINISHED};
use fuse_verifier::{VerifyContext, explain};

use crate::model::{InstructionView, MachineView, PathView, ProofPart, ProofView, SlotView};
use crate::step::{Functions, global_state_changes, global_state_view, hex};

/// The name of the tree a tag heads.
pub fn tree_name(tag: u8) -> String {
    match tag {
        TAG_CODE => "code".into(),
        TAG_MEMORY => "memory".into(),
        TAG_LOCALS => "locals".into(),
        TAG_GLOBALS => "globals".into(),
        TAG_TABLE => "table".into(),
        TAG_DATA => "inbox data".into(),
        other => format!("tag {other:#04x}"),
    }
}

fn status_word(status: u8) -> String {
    match status {
        STATUS_FINISHED => "finished".into(),
        STATUS_ERRORED => "errored".into(),
        _ => "running".into(),
    }
}

fn machine_view(m: &Revealed) -> MachineView {
    MachineView {
        status: status_word(m.status),
        pc: m.pc,
        stack: m.stack.values.iter().map(|&v| hex(v)).collect(),
        stack_rest: m.stack.rest,
        locals: m.locals,
        frames: m.frames,
        memory_root: m.memory_root,
        memory_pages: m.memory_pages,
        globals_root: m.globals_root,
        global_state: global_state_view(&m.gs),
    }
}

/// The proof of step `step` of block `block`, from `pre` with the opponent's `claimed`
/// result, decoded. A proof the verifier rejects still gets a view, with the reason and only
/// its size.
pub fn proof_view(
    block: u64,
    step: u64,
    proof: &[u8],
    pre: B256,
    claimed: B256,
    context: &dyn VerifyContext,
    fns: &Functions,
) -> ProofView {
    let e = match explain(pre, proof, context) {
        Ok(e) => e,
        Err(err) => {
            return ProofView {
                block,
                step,
                bytes: proof.len(),
                parts: vec![ProofPart {
                    what: "undecoded".into(),
                    bytes: proof.len(),
                }],
                instruction: None,
                pre,
                claimed,
                proven: B256::ZERO,
                pre_state: machine_view(&Revealed::default()),
                post_state: None,
                read: Vec::new(),
                written: Vec::new(),
                paths: Vec::new(),
                rejected: Some(format!("{} ({err})", err.solidity_name())),
            };
        }
    };
    let mut parts = vec![ProofPart {
        what: "header (machine)".into(),
        bytes: e.header_bytes,
    }];
    if e.instruction_bytes > 0 {
        parts.push(ProofPart {
            what: "instruction and code path".into(),
            bytes: e.instruction_bytes,
        });
    }
    let witness = proof.len() - e.header_bytes - e.instruction_bytes;
    if witness > 0 {
        parts.push(ProofPart {
            what: "witness".into(),
            bytes: witness,
        });
    }
    let instruction = e.instruction.map(|inst| InstructionView {
        opcode: inst.op.mnemonic().to_string(),
        class: format!("{:?}", inst.op.class()).to_lowercase(),
        pc: e.pre.pc,
        a: inst.a,
        b: inst.b.to_string(),
        function: fns.at(e.pre.pc),
    });
    let paths: Vec<PathView> = e
        .paths
        .iter()
        .map(|p| PathView {
            tree: tree_name(p.tag),
            index: p.index,
            depth: p.depth,
            leaf: p.leaf,
            bytes: 32 * (1 + p.depth as usize),
        })
        .collect();
    let (mut read, mut written) = (Vec::new(), Vec::new());
    if let Some(post) = &e.post {
        // The prover reveals exactly the values the step pops (the verifier rejects a proof
        // that reveals fewer), so they are what it read, and the revealed top after the step is
        // what it pushed. A trap writes nothing.
        let trapped = post.status == fuse_verifier::machine::STATUS_ERRORED;
        let top_first = |values: &[u64], out: &mut Vec<SlotView>| {
            for (k, v) in values.iter().rev().enumerate() {
                out.push(SlotView {
                    what: format!("stack[top-{k}]"),
                    value: hex(*v),
                });
            }
        };
        top_first(&e.pre.stack.values, &mut read);
        if !trapped {
            top_first(&post.stack.values, &mut written);
        }
        for p in paths.iter().filter(|p| p.tree != "code") {
            read.push(SlotView {
                what: format!("{} leaf {}", p.tree, p.index),
                value: p.leaf.to_string(),
            });
        }
        let (p, q) = (&e.pre, post);
        let mut fields = vec![
            ("status", status_word(p.status), status_word(q.status)),
            ("locals root", p.locals.to_string(), q.locals.to_string()),
            ("frames", p.frames.to_string(), q.frames.to_string()),
            (
                "memory root",
                p.memory_root.to_string(),
                q.memory_root.to_string(),
            ),
            (
                "memory pages",
                p.memory_pages.to_string(),
                q.memory_pages.to_string(),
            ),
            (
                "globals root",
                p.globals_root.to_string(),
                q.globals_root.to_string(),
            ),
        ];
        // Only a jump is news: every other step moves the pc on by one.
        if q.pc != p.pc.wrapping_add(1) {
            fields.push(("pc", p.pc.to_string(), q.pc.to_string()));
        }
        let changed = fields
            .into_iter()
            .filter(|(_, x, y)| x != y)
            .map(|(what, x, y)| (what.to_string(), x, y))
            .chain(
                global_state_changes(&p.gs, &q.gs)
                    .into_iter()
                    .map(|c| (c.what, c.before, c.after)),
            );
        for (what, x, y) in changed {
            written.push(SlotView {
                what,
                value: format!("{x} → {y}"),
            });
        }
    }
    ProofView {
        block,
        step,
        bytes: proof.len(),
        parts,
        instruction,
        pre,
        claimed,
        proven: e.post_hash,
        pre_state: machine_view(&e.pre),
        post_state: e.post.as_ref().map(machine_view),
        read,
        written,
        paths,
        rejected: None,
    }
}
