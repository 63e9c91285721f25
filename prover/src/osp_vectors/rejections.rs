//! Proofs both verifiers must reject, each with its reason: derived from honest vectors by
//! one precise change (a wrong pre-state, a cut, an extra byte, a bad status, a broken path,
//! a forged frame, preimage or inbox context, too few revealed values) or crafted from a
//! header whose code tree holds a leaf no loader emits.

use alloy_primitives::{B256, Bytes, keccak256};
use anyhow::{Context as _, bail};
use fuse_vm::verify::machine::{Machine, decode_machine, encode_machine, hash_machine};
use fuse_vm::verify::proof::Decoder;
use fuse_vm::{VerifyError, verify};

use super::{Context, Rejection, Vector};

/// The Solidity revert data of a verifier error: its custom error's selector and argument.
pub fn revert_data(e: &VerifyError) -> Bytes {
    let (sig, arg): (&str, Option<u64>) = match e {
        VerifyError::ProofTruncated => ("ProofTruncated()", None),
        VerifyError::TrailingBytes => ("TrailingBytes()", None),
        VerifyError::BadStatus(s) => ("BadStatus(uint8)", Some(*s as u64)),
        VerifyError::WrongPreState => ("WrongPreState()", None),
        VerifyError::BadMerkleProof(t) => ("BadMerkleProof(uint8)", Some(*t as u64)),
        VerifyError::UnknownOpcode(o) => ("UnknownOpcode(uint16)", Some(*o as u64)),
        VerifyError::BadInstruction => ("BadInstruction()", None),
        VerifyError::StackUnderflow => ("StackUnderflow()", None),
        VerifyError::BadFrame => ("BadFrame()", None),
        VerifyError::BadPreimage => ("BadPreimage()", None),
        VerifyError::InboxMessageMissing(p) => ("InboxMessageMissing(uint64)", Some(*p)),
    };
    let mut out = keccak256(sig.as_bytes())[..4].to_vec();
    if let Some(a) = arg {
        out.extend_from_slice(&[0u8; 24]);
        out.extend_from_slice(&a.to_be_bytes());
    }
    out.into()
}

fn find<'a>(vectors: &'a [Vector], name: &str) -> anyhow::Result<&'a Vector> {
    vectors
        .iter()
        .find(|v| v.name == name)
        .with_context(|| format!("no vector {name}"))
}

/// A header-only machine at pc 0 whose code tree is the single `leaf`.
fn crafted(leaf: [u8; 32]) -> (B256, Vec<u8>) {
    let m = Machine {
        code_root: B256::from(leaf),
        ..Machine::default()
    };
    let mut proof = encode_machine(&m);
    proof.extend_from_slice(&leaf);
    (hash_machine(&m), proof)
}

/// Moves the deepest revealed value of a proof's header into the hash of the rest.
fn reveal_one_less(proof: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut d = Decoder::new(proof);
    let mut m = decode_machine(&mut d).map_err(|e| anyhow::anyhow!("{e}"))?;
    let header_len = encode_machine(&m).len();
    if m.stack.values.is_empty() {
        bail!("nothing revealed");
    }
    let v = m.stack.values.remove(0);
    m.stack.rest = fuse_vm::cache::value_stack_push(&m.stack.rest, v);
    let mut out = encode_machine(&m);
    out.extend_from_slice(&proof[header_len..]);
    Ok(out)
}

/// Every rejection, checked against the Rust verifier as it is built.
pub fn rejections(vectors: &[Vector]) -> anyhow::Result<Vec<Rejection>> {
    let add = find(vectors, "i32.add/plain")?;
    let call = find(vectors, "call/params-into-locals")?;
    let inbox = find(vectors, "read_inbox/first-data-chunk")?;
    let pre = find(vectors, "read_preimage/first-chunk")?;
    let store = find(vectors, "i64.store/leaf-boundary")?;
    let mut out = Vec::new();
    let mut push = |name: &str, pre_hash: B256, proof: Vec<u8>, context: &Context| {
        out.push((name.to_string(), pre_hash, proof, context.clone()));
    };
    let p = add.proof.to_vec();
    let ctx = &add.context;
    push("wrong-pre-state", add.post_hash, p.clone(), ctx);
    push("truncated-header", add.pre_hash, p[..40].to_vec(), ctx);
    push(
        "truncated-code-path",
        add.pre_hash,
        p[..p.len() - 1].to_vec(),
        ctx,
    );
    push(
        "trailing-byte",
        add.pre_hash,
        [p.clone(), vec![0]].concat(),
        ctx,
    );
    let mut bad_status = p.clone();
    bad_status[0] = 3;
    push("bad-status", add.pre_hash, bad_status, ctx);
    let mut bad_path = p.clone();
    let last = bad_path.len() - 1;
    bad_path[last] ^= 1;
    push("bad-code-path", add.pre_hash, bad_path, ctx);
    push("stack-underflow", add.pre_hash, reveal_one_less(&p)?, ctx);
    let mut leaf = [0u8; 32];
    leaf[..2].copy_from_slice(&0x0400u16.to_be_bytes());
    let (h, proof) = crafted(leaf);
    push("unknown-opcode", h, proof, ctx);
    let mut leaf = [0u8; 32];
    leaf[1] = 0x10;
    leaf[31] = 1;
    let (h, proof) = crafted(leaf);
    push("instruction-padding", h, proof, ctx);
    // `local.get 4` in a frame whose locals tree has depth 0 (one leaf): leaf 1 does not
    // exist, and a path that ignored the index's high bits would read leaf 0 instead.
    let mut leaf = [0u8; 32];
    leaf[..2].copy_from_slice(&0x000bu16.to_be_bytes());
    leaf[4..8].copy_from_slice(&4u32.to_be_bytes());
    let (h, mut proof) = crafted(leaf);
    proof.extend_from_slice(&[0u8; 32]);
    push("local-index-beyond-tree", h, proof, ctx);
    // The frame witness follows the header and the instruction: its first byte is 104 + 32
    // bytes before the end of a call proof whose frame is the last thing in it.
    let mut forged_frame = call.proof.to_vec();
    let at = forged_frame.len() - 104;
    forged_frame[at] ^= 0x80;
    push("forged-frame", call.pre_hash, forged_frame, &call.context);
    let mut forged_store = store.proof.to_vec();
    let at = forged_store.len() - 1;
    forged_store[at] ^= 1;
    push(
        "second-leaf-path-of-a-boundary-store",
        store.pre_hash,
        forged_store,
        &store.context,
    );
    let short = Context {
        inbox_accumulators: inbox.context.inbox_accumulators[..1].to_vec(),
    };
    push(
        "inbox-message-not-on-l1",
        inbox.pre_hash,
        inbox.proof.to_vec(),
        &short,
    );
    let mut other = inbox.context.clone();
    other.inbox_accumulators[1] = keccak256(b"another message");
    push(
        "inbox-accumulator-differs",
        inbox.pre_hash,
        inbox.proof.to_vec(),
        &other,
    );
    // The preimage (70 bytes) sits just before the destination leaf proof.
    let mut forged_pre = pre.proof.to_vec();
    let depth = 11;
    let at = forged_pre.len() - 32 * (depth + 1) - 1;
    forged_pre[at] ^= 1;
    push("forged-preimage", pre.pre_hash, forged_pre, &pre.context);

    out.into_iter()
        .map(|(name, pre_hash, proof, context)| {
            let error = match verify(pre_hash, &proof, &context.inbox_accumulators) {
                Err(e) => e,
                Ok(h) => bail!("rejection {name} verified to {h}"),
            };
            Ok(Rejection {
                name,
                pre_hash,
                proof: proof.into(),
                context,
                error: format!("{error:?}"),
                revert_data: revert_data(&error),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn tags_are_distinct_in_errors() {
        let a = super::revert_data(&fuse_vm::VerifyError::BadMerkleProof(
            fuse_vm::merkle::TAG_CODE,
        ));
        let b = super::revert_data(&fuse_vm::VerifyError::BadMerkleProof(0x10));
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
    }
}
