//! Host-class semantics: inbox and preimage reads, the keccak and ecrecover precompiles, the
//! global state, halt (docs/spec/guest-abi.md).
//!
//! [`call`] is the one definition of what a host call does; the stepping machine and the
//! wasmtime twin both run it, so they cannot drift apart. Every argument is checked before
//! anything changes, so a trap or a host error leaves the state as it was.

use alloy_primitives::{B256, keccak256};

use super::Fault;
use crate::GlobalState;
use crate::error::{HostError, Trap};
use crate::host::{Host, MAX_PREIMAGE, chunk, ecrecover, span};
use crate::isa::Opcode;
use crate::machine::{Machine, Status};
use crate::module::HostFunc;

/// What a completed host call did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Effect {
    /// The value it returns, if its signature has one.
    pub result: Option<u64>,
    /// The 32-byte-aligned memory word it wrote, if any.
    pub wrote: Option<usize>,
    /// Whether it halted the machine.
    pub halt: bool,
}

/// Runs host function `f` on `args` (in signature order, i32 zero-extended) against
/// `memory` and `gs`.
pub fn call<H: Host + ?Sized>(
    f: HostFunc,
    args: &[u64],
    memory: &mut [u8],
    gs: &mut GlobalState,
    host: &mut H,
) -> Result<Effect, Fault> {
    let mem_len = memory.len();
    let mut effect = Effect::default();
    let write = |memory: &mut [u8], at: usize, bytes: &[u8; 32], effect: &mut Effect| {
        memory[at..at + 32].copy_from_slice(bytes);
        effect.wrote = Some(at);
    };
    match f {
        HostFunc::ReadInbox => {
            let (offset, dest) = (args[0] as u32 as u64, args[1]);
            if !offset.is_multiple_of(32) {
                return Err(Trap::BadHostCall.into());
            }
            let dest = span(mem_len, dest, 32)?;
            let msg = host.inbox_message(gs.inbox_position).map_err(Fault::Host)?;
            let (bytes, n) = chunk(msg, offset);
            write(memory, dest, &bytes, &mut effect);
            effect.result = Some(n);
        }
        HostFunc::ReadPreimage => {
            let (hash_ptr, offset, dest) = (args[0], args[1] as u32 as u64, args[2]);
            if !offset.is_multiple_of(32) {
                return Err(Trap::BadHostCall.into());
            }
            let hash_at = span(mem_len, hash_ptr, 32)?;
            let dest = span(mem_len, dest, 32)?;
            let hash = B256::from_slice(&memory[hash_at..hash_at + 32]);
            let preimage = host.preimage(hash).map_err(Fault::Host)?;
            if preimage.len() > MAX_PREIMAGE {
                return Err(Fault::Host(HostError::Other(format!(
                    "preimage of {hash} has {} bytes, more than {MAX_PREIMAGE}",
                    preimage.len()
                ))));
            }
            let (bytes, n) = chunk(preimage, offset);
            write(memory, dest, &bytes, &mut effect);
            effect.result = Some(n);
        }
        HostFunc::Keccak256 => {
            let (src, len, dest) = (args[0], args[1] as u32 as usize, args[2]);
            if len > MAX_PREIMAGE {
                return Err(Trap::BadHostCall.into());
            }
            let src = span(mem_len, src, len)?;
            let dest = span(mem_len, dest, 32)?;
            let hash = keccak256(&memory[src..src + len]);
            host.record_preimage(hash, &memory[src..src + len]);
            write(memory, dest, &hash.0, &mut effect);
        }
        HostFunc::Ecrecover => {
            let input = span(mem_len, args[0], 128)?;
            let dest = span(mem_len, args[1], 32)?;
            let mut buf = [0u8; 128];
            buf.copy_from_slice(&memory[input..input + 128]);
            write(memory, dest, &ecrecover(&buf), &mut effect);
        }
        HostFunc::GetBytes32 => {
            let value = gs.bytes32(args[0] as u32).ok_or(Trap::BadHostCall)?;
            let dest = span(mem_len, args[1], 32)?;
            write(memory, dest, &value.0, &mut effect);
        }
        HostFunc::SetBytes32 => {
            let index = args[0] as u32;
            if index >= GlobalState::BYTES32_FIELDS {
                return Err(Trap::BadHostCall.into());
            }
            let src = span(mem_len, args[1], 32)?;
            gs.set_bytes32(index, B256::from_slice(&memory[src..src + 32]));
        }
        HostFunc::GetU64 => {
            effect.result = Some(gs.u64(args[0] as u32).ok_or(Trap::BadHostCall)?);
        }
        HostFunc::SetU64 => {
            if !gs.set_u64(args[0] as u32, args[1]) {
                return Err(Trap::BadHostCall.into());
            }
        }
        HostFunc::Halt => effect.halt = true,
    }
    Ok(effect)
}

/// The host function a host opcode calls.
fn host_func(op: Opcode) -> HostFunc {
    HostFunc::ALL
        .into_iter()
        .find(|h| h.opcode() == op)
        .unwrap_or_else(|| unreachable!("{op:?} is not a host op"))
}

/// Executes one host instruction on the machine.
pub(super) fn exec<H: Host>(m: &mut Machine, op: Opcode, host: &mut H) -> Result<(), Fault> {
    let f = host_func(op);
    let n = f.signature().params.len();
    // Only a corrupt state has fewer values than the call takes: a trap, not a panic.
    if m.values.len() < m.stack_base as usize + n {
        return Err(Trap::Unreachable.into());
    }
    let at = m.values.len() - n;
    let mut args = [0u64; 3];
    args[..n].copy_from_slice(&m.values[at..]);
    let effect = call(f, &args[..n], &mut m.memory, &mut m.gs, host)?;
    if let Some(w) = effect.wrote {
        m.cache.touch_memory(w, 32);
    }
    m.values.truncate(at);
    if let Some(r) = effect.result {
        m.values.push(r);
    }
    if effect.halt {
        m.status = Status::Finished;
    }
    Ok(())
}
