//! The export the machine calls once per block, and the panic handler.

use fuse_arbos::stf::{GlobalState, execute_block};

use fuse_arbos::env::Word;

use crate::host::{self, GuestEnv};

/// Global-state fields (docs/spec/guest-abi.md, `get_bytes32` / `get_u64`).
const STATE_ROOT: u32 = 0;
const OUTBOX_ROOT: u32 = 1;
const INBOX_POSITION: u32 = 0;
const BLOCK_NUMBER: u32 = 1;

/// Executes one block: the message at the global state's inbox position.
///
/// A corrupt state (a preimage that does not hash to what the guest asked for) cannot come
/// from an honest host; the guest traps rather than continue from a state it cannot read, so
/// the block's machine ends errored and a dispute over it is settled by the trap's proof.
#[unsafe(no_mangle)]
// Exported by `no_mangle`, not by the module tree: the machine calls it by name.
#[allow(unreachable_pub)]
pub extern "C" fn fuse_entry() {
    let gs = GlobalState {
        state_root: host::get_bytes32(STATE_ROOT).into(),
        outbox_root: host::get_bytes32(OUTBOX_ROOT).into(),
        inbox_position: host::get_u64(INBOX_POSITION),
        block_number: host::get_u64(BLOCK_NUMBER),
    };
    let Ok((next, _report)) = execute_block(&mut GuestEnv, gs) else {
        core::arch::wasm32::unreachable()
    };
    host::set_bytes32(STATE_ROOT, &Word(next.state_root.0));
    host::set_bytes32(OUTBOX_ROOT, &Word(next.outbox_root.0));
    host::set_u64(INBOX_POSITION, next.inbox_position);
    host::set_u64(BLOCK_NUMBER, next.block_number);
}

/// Every panic (an arithmetic bug, an allocation past the memory cap) is a trap: the guest
/// has no one to report to, and a trap is a defined machine outcome both executors agree on.
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    core::arch::wasm32::unreachable()
}
