//! Witnesses of host calls: the inbox chunk with its path and accumulator preimage, the
//! preimage, the memory words a call reads and writes (docs/spec/proof-format.md).

use alloy_primitives::B256;

use super::Writer;
use super::memory::{read, write_word};
use crate::error::HostError;
use crate::host::{Host, MAX_PREIMAGE, span};
use crate::inbox;
use crate::isa::{Instruction, Opcode as O};
use crate::machine::Machine;
use crate::module::HostFunc;

/// Values the host call pops: its arguments.
pub(super) fn pops(op: O) -> usize {
    HostFunc::ALL
        .into_iter()
        .find(|h| h.opcode() == op)
        .map_or(0, |h| h.signature().params.len())
}

/// Writes the host call's witness, in the order of the verifier's checks; nothing past the
/// first check that traps.
pub(super) fn witness<H: Host>(
    m: &Machine,
    ins: Instruction,
    host: &mut H,
    w: &mut Writer,
) -> Result<(), HostError> {
    let s = m.stack();
    let first = s.len().wrapping_sub(pops(ins.op));
    let arg = |i: usize| -> u64 { s.get(first.wrapping_add(i)).copied().unwrap_or(0) };
    let mem = m.memory.len();
    let ok = |ptr: u64, len: usize| span(mem, ptr, len).ok();
    match ins.op {
        O::ReadInbox => {
            let (offset, dest) = (arg(0) as u32 as u64, arg(1));
            let Some(dest) = ok(dest, 32).filter(|_| offset.is_multiple_of(32)) else {
                return Ok(());
            };
            let position = m.gs.inbox_position;
            let message = host.inbox_message(position)?.to_vec();
            let prev = match position {
                0 => B256::ZERO,
                p => host.inbox_accumulator(p - 1)?,
            };
            let length = message.len() as u64;
            let data = inbox::data_tree(&message);
            w.bytes32(&prev);
            w.u64(length);
            w.bytes32(&inbox::header(&message));
            w.bytes32(&data.clean_root().expect("built clean"));
            if offset >= inbox::HEADER_BYTES as u64 && offset < length {
                let i = ((offset - inbox::HEADER_BYTES as u64) / 32) as usize;
                w.leaf_proof(&data.leaf(i), &data.path(i));
            }
            write_word(m, dest, w);
        }
        O::ReadPreimage => {
            let offset = arg(1) as u32 as u64;
            let (Some(hash_at), Some(dest)) = (ok(arg(0), 32), ok(arg(2), 32)) else {
                return Ok(());
            };
            if !offset.is_multiple_of(32) {
                return Ok(());
            }
            read(m, hash_at, 32, w);
            let hash = B256::from_slice(&m.memory[hash_at..hash_at + 32]);
            let preimage = host.preimage(hash)?;
            if preimage.len() > MAX_PREIMAGE {
                return Err(HostError::Other(format!(
                    "preimage of {hash} has {} bytes, more than {MAX_PREIMAGE}",
                    preimage.len()
                )));
            }
            w.u16(preimage.len() as u16);
            w.bytes(preimage);
            write_word(m, dest, w);
        }
        O::Keccak256 => {
            let len = arg(1) as u32 as usize;
            if len > MAX_PREIMAGE {
                return Ok(());
            }
            let (Some(src), Some(dest)) = (ok(arg(0), len), ok(arg(2), 32)) else {
                return Ok(());
            };
            read(m, src, len, w);
            write_word(m, dest, w);
        }
        O::Ecrecover => {
            let (Some(input), Some(dest)) = (ok(arg(0), 128), ok(arg(1), 32)) else {
                return Ok(());
            };
            read(m, input, 128, w);
            write_word(m, dest, w);
        }
        O::GetBytes32 => {
            if m.gs.bytes32(arg(0) as u32).is_none() {
                return Ok(());
            }
            if let Some(dest) = ok(arg(1), 32) {
                write_word(m, dest, w);
            }
        }
        O::SetBytes32 => {
            if (arg(0) as u32) >= crate::GlobalState::BYTES32_FIELDS {
                return Ok(());
            }
            if let Some(src) = ok(arg(1), 32) {
                read(m, src, 32, w);
            }
        }
        _ => {}
    }
    Ok(())
}
