//! Proofs both verifiers must reject, each with its reason: derived from honest vectors by
//! one precise change (a wrong pre-state, a cut, an extra byte, a bad status, a broken path,
//! a forged frame, preimage or inbox context, too few revealed values) or crafted from a
//! header whose code tree holds a leaf no loader emits. Each case states the error its change
//! must cause; that statement, not what a verifier happens to answer, is what the vector
//! records and what both verifiers are checked against.

use alloy_primitives::{B256, Bytes, keccak256};
use anyhow::{Context as _, bail};
use fuse_verifier::machine::{Machine, decode_machine, encode_machine, hash_machine};
use fuse_verifier::proof::Decoder;
use fuse_verifier::{VerifyError, verify};

use super::{Context, Rejection, Vector};

/// The Solidity revert data of a verifier error: its custom error's selector and argument
/// ([`VerifyError::revert_data`], from the same list `contracts/src/osp/Errors.sol` is
/// generated from).
pub(super) fn revert_data(e: &VerifyError) -> Bytes {
    e.revert_data()
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

/// One rejection as its case states it: the one precise change made to an honest proof (or
/// the crafted header), and the error that change must cause in both verifiers.
struct Stated {
    name: &'static str,
    change: &'static str,
    expected: VerifyError,
    pre_hash: B256,
    proof: Vec<u8>,
    context: Context,
}

/// Every rejection with the error its case states. The Rust verifier is run on each as it is
/// built: a verifier that accepts it, or rejects it with another error than the stated one,
/// fails the generation (the Solidity prover is held to the same statement by the tests that
/// replay `rejections.json`).
pub(super) fn rejections(vectors: &[Vector]) -> anyhow::Result<Vec<Rejection>> {
    use VerifyError as E;
    use fuse_vm::inbox::TAG_ACCUMULATOR;
    use fuse_vm::merkle::{TAG_CODE, TAG_LOCALS, TAG_MEMORY};
    let add = find(vectors, "i32.add/plain")?;
    let call = find(vectors, "call/params-into-locals")?;
    let inbox = find(vectors, "read_inbox/first-data-chunk")?;
    let pre = find(vectors, "read_preimage/first-chunk")?;
    let store = find(vectors, "i64.store/leaf-boundary")?;
    let mut out = Vec::new();
    let mut push = |name: &'static str,
                    change: &'static str,
                    expected: VerifyError,
                    pre_hash: B256,
                    proof: Vec<u8>,
                    context: &Context| {
        out.push(Stated {
            name,
            change,
            expected,
            pre_hash,
            proof,
            context: context.clone(),
        });
    };
    let p = add.proof.to_vec();
    let ctx = &add.context;
    push(
        "wrong-pre-state",
        "an honest i32.add proof claimed for its post-state: its header does not hash to the claimed pre-state",
        E::WrongPreState,
        add.post_hash,
        p.clone(),
        ctx,
    );
    push(
        "truncated-header",
        "the proof cut after 40 bytes, inside the machine header: a read runs past the end",
        E::ProofTruncated,
        add.pre_hash,
        p[..40].to_vec(),
        ctx,
    );
    push(
        "truncated-code-path",
        "the last byte of the instruction's code path cut: a read runs past the end",
        E::ProofTruncated,
        add.pre_hash,
        p[..p.len() - 1].to_vec(),
        ctx,
    );
    push(
        "trailing-byte",
        "a zero byte appended after the step's witness",
        E::TrailingBytes,
        add.pre_hash,
        [p.clone(), vec![0]].concat(),
        ctx,
    );
    let mut bad_status = p.clone();
    bad_status[0] = 3;
    push(
        "bad-status",
        "the status byte (the proof's first) set to 3, which is no status",
        E::BadStatus(3),
        add.pre_hash,
        bad_status,
        ctx,
    );
    let mut bad_path = p.clone();
    let last = bad_path.len() - 1;
    bad_path[last] ^= 1;
    push(
        "bad-code-path",
        "a bit of the instruction's code path (the proof's last byte) flipped: the leaf no longer leads to the code root",
        E::BadMerkleProof(TAG_CODE),
        add.pre_hash,
        bad_path,
        ctx,
    );
    push(
        "stack-underflow",
        "the deepest revealed operand of i32.add moved into the hash of the rest: one value revealed where the instruction pops two",
        E::StackUnderflow,
        add.pre_hash,
        reveal_one_less(&p)?,
        ctx,
    );
    let mut leaf = [0u8; 32];
    leaf[..2].copy_from_slice(&0x0400u16.to_be_bytes());
    let (h, proof) = crafted(leaf);
    push(
        "unknown-opcode",
        "a crafted code tree whose instruction leaf holds opcode 0x0400, which the ISA does not define",
        E::UnknownOpcode(0x0400),
        h,
        proof,
        ctx,
    );
    let mut leaf = [0u8; 32];
    leaf[1] = 0x10;
    leaf[31] = 1;
    let (h, proof) = crafted(leaf);
    push(
        "instruction-padding",
        "a crafted instruction leaf with a non-zero byte in its padding",
        E::BadInstruction,
        h,
        proof,
        ctx,
    );
    // `local.get 4` in a frame whose locals tree has depth 0 (one leaf): leaf 1 does not
    // exist, and a path that ignored the index's high bits would read leaf 0 instead.
    let mut leaf = [0u8; 32];
    leaf[..2].copy_from_slice(&0x000bu16.to_be_bytes());
    leaf[4..8].copy_from_slice(&4u32.to_be_bytes());
    let (h, mut proof) = crafted(leaf);
    proof.extend_from_slice(&[0u8; 32]);
    push(
        "local-index-beyond-tree",
        "a crafted local.get 4 in a frame whose locals tree is one leaf: no path reaches local 4",
        E::BadMerkleProof(TAG_LOCALS),
        h,
        proof,
        ctx,
    );
    // The frame witness follows the header and the instruction: its first byte is 104 + 32
    // bytes before the end of a call proof whose frame is the last thing in it.
    let mut forged_frame = call.proof.to_vec();
    let at = forged_frame.len() - 104;
    forged_frame[at] ^= 0x80;
    push(
        "forged-frame",
        "a bit of a call proof's frame witness flipped: it no longer hashes to the saved frames",
        E::BadFrame,
        call.pre_hash,
        forged_frame,
        &call.context,
    );
    let mut forged_store = store.proof.to_vec();
    let at = forged_store.len() - 1;
    forged_store[at] ^= 1;
    push(
        "second-leaf-path-of-a-boundary-store",
        "a bit of the second leaf's path of a store across two memory leaves flipped: it no longer leads to the memory root",
        E::BadMerkleProof(TAG_MEMORY),
        store.pre_hash,
        forged_store,
        &store.context,
    );
    let short = Context {
        inbox_accumulators: inbox.context.inbox_accumulators[..1].to_vec(),
    };
    // Host cases run at inbox position 1 (`cases::host_case`): the proof reads message 1.
    push(
        "inbox-message-not-on-l1",
        "an honest read_inbox proof of message 1 against an L1 that holds message 0 only",
        E::InboxMessageMissing(1),
        inbox.pre_hash,
        inbox.proof.to_vec(),
        &short,
    );
    let mut other = inbox.context.clone();
    other.inbox_accumulators[1] = keccak256(b"another message");
    push(
        "inbox-accumulator-differs",
        "an honest read_inbox proof of message 1 against an L1 whose accumulator 1 is another message's",
        E::BadMerkleProof(TAG_ACCUMULATOR),
        inbox.pre_hash,
        inbox.proof.to_vec(),
        &other,
    );
    // The preimage (70 bytes) sits just before the destination leaf proof.
    let mut forged_pre = pre.proof.to_vec();
    let depth = 11;
    let at = forged_pre.len() - 32 * (depth + 1) - 1;
    forged_pre[at] ^= 1;
    push(
        "forged-preimage",
        "a bit of the revealed preimage flipped: it no longer hashes to the requested hash",
        E::BadPreimage,
        pre.pre_hash,
        forged_pre,
        &pre.context,
    );

    out.into_iter()
        .map(|r| {
            match verify(r.pre_hash, &r.proof, &r.context.inbox_accumulators) {
                Err(e) if e == r.expected => {}
                Err(e) => bail!(
                    "rejection {}: its case states {:?}, the Rust verifier rejects it with {e:?}",
                    r.name,
                    r.expected
                ),
                Ok(h) => bail!(
                    "rejection {}: its case states {:?}, the Rust verifier accepts it ({h})",
                    r.name,
                    r.expected
                ),
            }
            Ok(Rejection {
                name: r.name.to_string(),
                change: r.change.to_string(),
                pre_hash: r.pre_hash,
                proof: r.proof.into(),
                context: r.context,
                error: format!("{:?}", r.expected),
                revert_data: revert_data(&r.expected),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn tags_are_distinct_in_errors() {
        let a = super::revert_data(&fuse_verifier::VerifyError::BadMerkleProof(
            fuse_vm::merkle::TAG_CODE,
        ));
        let b = super::revert_data(&fuse_verifier::VerifyError::BadMerkleProof(0x10));
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
    }
}
