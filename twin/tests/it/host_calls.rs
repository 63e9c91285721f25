//! The host interface: a guest that uses every `fuse` import runs to the same global state in
//! the stepping machine and the wasmtime twin; missing input is a host error, not a status;
//! bad arguments trap in both.

use std::sync::Arc;

use alloy_primitives::{B256, keccak256};
use fuse_twin::{Twin, TwinExit};
use fuse_vm::testing::programs::HOST_IMPORTS;
use fuse_vm::{GlobalState, HostError, Machine, MemoryHost, Status, load};

/// A guest that calls every `fuse` import but `halt`.
fn guest() -> String {
    format!(
        r#"(module
{HOST_IMPORTS}
  (memory (export "memory") 1 1)
  (func (export "fuse_entry")
    (local $n i32)
    ;; message bytes 0..128 to 0x100..0x180
    (local.set $n (call $read_inbox (i32.const 0) (i32.const 0x100)))
    (local.set $n (i32.add (local.get $n) (call $read_inbox (i32.const 32) (i32.const 0x120))))
    (local.set $n (i32.add (local.get $n) (call $read_inbox (i32.const 64) (i32.const 0x140))))
    (local.set $n (i32.add (local.get $n) (call $read_inbox (i32.const 96) (i32.const 0x160))))
    ;; keccak of the message's first 40 bytes to 0x200
    (call $keccak (i32.const 0x100) (i32.const 40) (i32.const 0x200))
    ;; read that preimage back (second word: 8 real bytes) to 0x220
    (local.set $n (i32.add (local.get $n) (call $read_preimage (i32.const 0x200) (i32.const 32) (i32.const 0x220))))
    ;; ecrecover of the message's 128 bytes (hash, v, r, s) to 0x400
    (call $ecrecover (i32.const 0x100) (i32.const 0x400))
    ;; state root <- keccak result; outbox root <- recovered word
    (call $set_bytes32 (i32.const 0) (i32.const 0x200))
    (call $set_bytes32 (i32.const 1) (i32.const 0x400))
    ;; inbox position += 1, block number = bytes read
    (call $set_u64 (i32.const 0) (i64.add (call $get_u64 (i32.const 0)) (i64.const 1)))
    (call $set_u64 (i32.const 1) (i64.extend_i32_u (local.get $n)))
    ;; and read the state root back to check get_bytes32 works
    (call $get_bytes32 (i32.const 0) (i32.const 0x500))))"#
    )
}

use fuse_vm::testing::programs::wat;

fn host_with(message: Vec<u8>) -> MemoryHost {
    let mut h = MemoryHost::default();
    h.messages.insert(3, message);
    h
}

fn run_machine(wasm: &[u8], host: &mut MemoryHost, gs: GlobalState) -> Machine {
    let module = Arc::new(load(wasm).unwrap());
    let mut m = Machine::new(module, gs);
    m.run(host, 1_000_000).unwrap();
    m
}

#[test]
fn every_host_call_agrees_with_the_twin() {
    let wasm = wat(&guest());
    // A 40-byte message: not a valid signature, so ecrecover yields 32 zero bytes.
    let message: Vec<u8> = (0..40u8).collect();
    let gs = GlobalState {
        inbox_position: 3,
        ..Default::default()
    };
    let mut host = host_with(message.clone());
    let m = run_machine(&wasm, &mut host, gs);
    assert_eq!(m.status(), Status::Finished);
    let expected_root = keccak256(&message);
    let out = m.global_state();
    assert_eq!(out.state_root, expected_root);
    assert_eq!(
        out.outbox_root,
        B256::ZERO,
        "a non-signature recovers to zero"
    );
    assert_eq!(out.inbox_position, 4);
    assert_eq!(
        out.block_number,
        32 + 8 + 8,
        "bytes read: two inbox words and a preimage word"
    );
    assert_eq!(
        host.preimages.get(&expected_root),
        Some(&message),
        "keccak input recorded"
    );
    assert_eq!(&m.memory()[0x500..0x520], expected_root.as_slice());

    let twin = Twin::new();
    let compiled = twin.compile(&wasm).unwrap();
    let (exit, _, _) = twin
        .run_block(&compiled, gs, host_with(message), 1_000_000)
        .unwrap();
    assert_eq!(exit, TwinExit::Finished(*out));
}

#[test]
fn ecrecover_matches_the_evm_precompile_on_a_real_signature() {
    // keccak256("fuse") signed by the secret key 0x01, whose address is 0x7e5f…5bdf.
    let wasm = wat(&guest());
    let mut input = vec![0u8; 128];
    let hash = keccak256(b"fuse");
    input[..32].copy_from_slice(hash.as_slice());
    let sk = k256::ecdsa::SigningKey::from_slice(B256::with_last_byte(1).as_slice()).unwrap();
    let (sig, recid) = sk.sign_prehash_recoverable(hash.as_slice()).unwrap();
    input[63] = 27 + recid.to_byte();
    input[64..128].copy_from_slice(&sig.to_bytes());
    let point = sk.verifying_key().to_encoded_point(false);
    let address = &keccak256(&point.as_bytes()[1..])[12..];
    let gs = GlobalState {
        inbox_position: 3,
        ..Default::default()
    };
    let mut host = host_with(input.clone());
    let m = run_machine(&wasm, &mut host, gs);
    let mut want = [0u8; 32];
    want[12..].copy_from_slice(address);
    assert_ne!(want, [0u8; 32]);
    assert_eq!(m.global_state().outbox_root, B256::from(want));
    let twin = Twin::new();
    let (exit, _, _) = twin
        .run_block(
            &twin.compile(&wasm).unwrap(),
            gs,
            host_with(input),
            1_000_000,
        )
        .unwrap();
    assert_eq!(exit, TwinExit::Finished(*m.global_state()));
}

#[test]
fn missing_message_is_a_host_error_and_the_machine_can_resume() {
    let wasm = wat(&guest());
    let module = Arc::new(load(&wasm).unwrap());
    let gs = GlobalState {
        inbox_position: 3,
        ..Default::default()
    };
    let mut m = Machine::new(module, gs);
    let mut empty = MemoryHost::default();
    let err = m.run(&mut empty, 1_000_000).unwrap_err();
    assert_eq!(err, HostError::MissingMessage(3));
    assert_eq!(
        m.status(),
        Status::Running,
        "a host error is not a machine status"
    );
    let before = m.hash();
    let mut host = host_with(vec![7; 40]);
    m.run(&mut host, 1_000_000).unwrap();
    assert_eq!(m.status(), Status::Finished);
    assert_ne!(before, m.hash());

    let twin = Twin::new();
    let r = twin.run_block(
        &twin.compile(&wasm).unwrap(),
        gs,
        MemoryHost::default(),
        1_000_000,
    );
    assert!(
        matches!(r, Err(HostError::MissingMessage(3))),
        "twin: {:?}",
        r.map(|(e, _, _)| e)
    );
}

#[test]
fn bad_host_arguments_trap_in_both() {
    for (what, body) in [
        (
            "misaligned dest",
            "(drop (call $read_inbox (i32.const 0) (i32.const 0x101)))",
        ),
        (
            "misaligned offset",
            "(drop (call $read_inbox (i32.const 1) (i32.const 0x100)))",
        ),
        (
            "dest out of memory",
            "(drop (call $read_inbox (i32.const 0) (i32.const 0x10000)))",
        ),
        (
            "keccak too long",
            "(call $keccak (i32.const 0) (i32.const 257) (i32.const 0x200))",
        ),
        ("bad index", "(call $set_u64 (i32.const 2) (i64.const 1))"),
    ] {
        let text = format!(
            r#"(module
              (import "fuse" "read_inbox" (func $read_inbox (param i32 i32) (result i32)))
              (import "fuse" "keccak256" (func $keccak (param i32 i32 i32)))
              (import "fuse" "set_u64" (func $set_u64 (param i32 i64)))
              (memory (export "memory") 1 1)
              (func (export "fuse_entry") {body}))"#
        );
        let wasm = wat(&text);
        let mut host = host_with(vec![1; 64]);
        let m = run_machine(
            &wasm,
            &mut host,
            GlobalState {
                inbox_position: 3,
                ..Default::default()
            },
        );
        assert!(
            matches!(m.status(), Status::Errored(_)),
            "{what}: machine {:?}",
            m.status()
        );
        let twin = Twin::new();
        let (exit, _, _) = twin
            .run_block(
                &twin.compile(&wasm).unwrap(),
                GlobalState {
                    inbox_position: 3,
                    ..Default::default()
                },
                host_with(vec![1; 64]),
                1_000_000,
            )
            .unwrap();
        assert!(
            matches!(exit, TwinExit::Trapped(_)),
            "{what}: twin {exit:?}"
        );
    }
}

#[test]
fn an_errored_machine_is_unchanged_by_a_step() {
    let wasm =
        wat(r#"(module (func (export "fuse_entry") i32.const 1 i32.const 0 i32.div_u drop))"#);
    let module = Arc::new(load(&wasm).unwrap());
    let mut m = Machine::new(module, GlobalState::default());
    let mut host = MemoryHost::default();
    m.run(&mut host, 100).unwrap();
    assert_eq!(m.status(), Status::Errored(fuse_vm::Trap::DivideByZero));
    // The trap left pc at the division and both operands on the stack.
    assert_eq!(m.stack(), &[1, 0]);
    let h = m.hash();
    assert_eq!(m.run(&mut host, 10).unwrap(), 0);
    assert_eq!(m.hash(), h);
}
