//! Batches (docs/spec/inbox.md, tx.md): the sequencer's transactions, compressed, with the
//! root of their ids. Decoding checks every cap before it allocates: the decompressed size
//! (512 KiB) from the explicit size prefix, the count (4,096) before any transaction.

use alloc::vec;
use alloc::vec::Vec;
use core::ops::Range;

use crate::env::{Env, keccak_pair};
use crate::tx::{SignedTx, tx_id};

/// Most bytes a batch may decompress to.
pub const MAX_DECOMPRESSED: usize = 512 * 1024;
/// Most transactions in a batch.
pub const MAX_BATCH_TXS: u32 = 4096;
/// Tag of a tx-root inner node.
pub const TAG_TX_ROOT: u8 = 0x61;

/// What a `Batch` message says besides its transactions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BatchHeader {
    /// The Inbox's batch sequence number.
    pub seq: u64,
    /// Root of the transaction ids.
    pub tx_root: [u8; 32],
    /// The state root the sequencer says the batch reaches (advisory).
    pub claimed_state_root: [u8; 32],
}

/// `uncompressed size (u32, big-endian) ‖ LZ4 block`; `None` if the size is over the cap or
/// the block does not decompress to exactly that size.
pub fn decompress(data: &[u8]) -> Option<Vec<u8>> {
    let size = u32::from_be_bytes(data.get(..4)?.try_into().ok()?) as usize;
    if size > MAX_DECOMPRESSED {
        return None;
    }
    let mut out = vec![0u8; size];
    let n = lz4_flex::block::decompress_into(&data[4..], &mut out).ok()?;
    (n == size).then_some(out)
}

/// The inverse of [`decompress`].
pub fn compress(payload: &[u8]) -> Vec<u8> {
    let mut out = (payload.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(&lz4_flex::block::compress(payload));
    out
}

/// The decompressed payload: `count (u32, postcard varint) ‖ count × SignedTx`.
pub fn encode_payload(txs: &[SignedTx]) -> Vec<u8> {
    let mut out = postcard::to_allocvec(&(txs.len() as u32)).expect("a u32 encodes");
    for t in txs {
        out.extend_from_slice(&t.encode());
    }
    out
}

/// The transactions of a payload, or `None` if it does not decode exactly.
pub fn decode_payload(payload: &[u8]) -> Option<Vec<SignedTx>> {
    Some(decode_spans(payload)?.into_iter().map(|(t, _)| t).collect())
}

/// The transactions of a payload with the byte range of each one's encoding (what its id
/// hashes), or `None` if it does not decode exactly.
pub fn decode_spans(payload: &[u8]) -> Option<Vec<(SignedTx, Range<usize>)>> {
    let (count, mut rest): (u32, &[u8]) = postcard::take_from_bytes(payload).ok()?;
    if count > MAX_BATCH_TXS {
        return None;
    }
    let mut txs = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let start = payload.len() - rest.len();
        let (t, r) = SignedTx::decode(rest).ok()?;
        rest = r;
        txs.push((t, start..payload.len() - rest.len()));
    }
    rest.is_empty().then_some(txs)
}

/// `seq (u64) ‖ txRoot ‖ claimedStateRoot ‖ compressed payload`: a `Batch` message's data.
pub fn encode_batch(header: &BatchHeader, txs: &[SignedTx]) -> Vec<u8> {
    let mut out = header.seq.to_be_bytes().to_vec();
    out.extend_from_slice(&header.tx_root);
    out.extend_from_slice(&header.claimed_state_root);
    out.extend_from_slice(&compress(&encode_payload(txs)));
    out
}

/// A `Batch` message's header and transactions, or `None` if anything fails to decode or
/// exceeds a cap (the whole batch is then skipped).
pub fn decode_batch(data: &[u8]) -> Option<(BatchHeader, Vec<SignedTx>)> {
    let (header, payload, spans) = decode_batch_spans(data)?;
    drop(payload);
    Some((header, spans.into_iter().map(|(t, _)| t).collect()))
}

/// [`decode_batch`] keeping the decompressed payload and each transaction's byte range in
/// it, so the block hashes the ids from the bytes it already has.
#[allow(clippy::type_complexity)]
pub fn decode_batch_spans(
    data: &[u8],
) -> Option<(BatchHeader, Vec<u8>, Vec<(SignedTx, Range<usize>)>)> {
    if data.len() < 72 {
        return None;
    }
    let header = BatchHeader {
        seq: u64::from_be_bytes(data[..8].try_into().ok()?),
        tx_root: data[8..40].try_into().ok()?,
        claimed_state_root: data[40..72].try_into().ok()?,
    };
    let payload = decompress(&data[72..])?;
    let txs = decode_spans(&payload)?;
    Some((header, payload, txs))
}

/// The root of the ids of `txs` in order: a binary Merkle tree of depth
/// `ceil(log2(count))`, inner nodes `keccak256(0x61 ‖ l ‖ r)`, absent leaves zero; zero for
/// no transaction.
pub fn tx_root<E: Env + ?Sized>(env: &mut E, txs: &[SignedTx]) -> [u8; 32] {
    let ids: Vec<[u8; 32]> = txs.iter().map(|t| tx_id(env, t)).collect();
    root_of_ids(env, ids)
}

/// [`tx_root`] over ids already computed (the block computes each id once).
pub fn root_of_ids<E: Env + ?Sized>(env: &mut E, ids: Vec<[u8; 32]>) -> [u8; 32] {
    let mut layer = ids;
    if layer.is_empty() {
        return [0u8; 32];
    }
    let mut zero = [0u8; 32];
    while layer.len() > 1 {
        let next = layer
            .chunks(2)
            .map(|p| keccak_pair(env, TAG_TX_ROOT, &p[0], p.get(1).unwrap_or(&zero)))
            .collect();
        layer = next;
        // The zero subtree one level up (a lone node at the end pairs with it).
        zero = keccak_pair(env, TAG_TX_ROOT, &zero, &zero);
    }
    layer[0]
}

/// The inclusion proof of the transaction at `index` among `ids` (a batch's ids in order):
/// its siblings bottom-up, a lone node's sibling being the zero subtree of its height. With
/// [`root_from_tx_proof`] anyone holding a tx id proves it is in a batch whose tx root L1
/// committed. `None` if `index` is out of range.
pub fn tx_proof<E: Env + ?Sized>(
    env: &mut E,
    ids: &[[u8; 32]],
    index: usize,
) -> Option<Vec<[u8; 32]>> {
    if index >= ids.len() {
        return None;
    }
    let (mut layer, mut i, mut zero) = (ids.to_vec(), index, [0u8; 32]);
    let mut proof = Vec::new();
    while layer.len() > 1 {
        proof.push(*layer.get(i ^ 1).unwrap_or(&zero));
        layer = layer
            .chunks(2)
            .map(|p| keccak_pair(env, TAG_TX_ROOT, &p[0], p.get(1).unwrap_or(&zero)))
            .collect();
        zero = keccak_pair(env, TAG_TX_ROOT, &zero, &zero);
        i /= 2;
    }
    Some(proof)
}

/// The tx root that `proof` (from [`tx_proof`]) leads to from the tx `id` at `index`. Pure:
/// pass any keccak256 (an L1 contract or a wallet computes the same).
pub fn root_from_tx_proof(
    mut keccak: impl FnMut(&[u8]) -> [u8; 32],
    id: &[u8; 32],
    index: usize,
    proof: &[[u8; 32]],
) -> [u8; 32] {
    let mut node = *id;
    for (h, sibling) in proof.iter().enumerate() {
        let (l, r) = if (index >> h) & 1 == 1 {
            (sibling, &node)
        } else {
            (&node, sibling)
        };
        node = keccak(&crate::env::pair_preimage(TAG_TX_ROOT, l, r).bytes()[..65]);
    }
    node
}
