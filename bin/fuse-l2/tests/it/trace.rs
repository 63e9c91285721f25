//! `fuse-l2 trace`, the step debugger, from the outside: a vector's disputed step by default,
//! any step with memory, a diff between two steps, JSON, a block of a live chain (the devnet's),
//! and clear refusals of what cannot be shown.

use std::process::Command;

use serde_json::Value;

use crate::common::BIN;

fn vector(name: &str) -> String {
    format!(
        "{}/../../test-vectors/disputes/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn trace(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(BIN).arg("trace").args(args).output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_vectors_disputed_step_by_default_with_its_function_and_call_stack() {
    let (ok, out, err) = trace(&[&vector("math")]);
    assert!(ok, "{err}");
    // The recorded proof: `i32.add` at step 10018 of the batch block (inbox position 3).
    assert!(out.starts_with("block 3 · "), "{out}");
    assert!(out.contains("step         10018 · running"), "{out}");
    assert!(out.contains("i32.add (math)"), "{out}");
    assert!(out.contains("fuse_arbos::tx::SignedTx::decode"), "{out}");
    assert!(out.contains("fuse_entry returns to pc"), "{out}");
    assert!(
        out.contains("stack        2 values; top first: 0x6f, 0x3e570"),
        "{out}"
    );
}

#[test]
fn memory_at_an_address_and_json() {
    let (ok, out, err) = trace(&[
        &vector("memory"),
        "--step",
        "10002",
        "--memory",
        "0x3e5d0:8",
        "--json",
    ]);
    assert!(ok, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["step"], 10002);
    assert_eq!(v["instruction"]["opcode"], "i64.store");
    assert_eq!(v["memory"]["address"], 0x3e5d0);
    assert_eq!(v["memory"]["bytes"].as_str().unwrap().len(), 16);
    assert!(v["call_stack"].as_array().unwrap().len() >= 2, "{v}");
}

#[test]
fn a_diff_shows_what_one_instruction_changed() {
    // The store writes eight bytes and pops its address and value.
    let (ok, out, err) = trace(&[&vector("memory"), "--diff", "10002", "10003"]);
    assert!(ok, "{err}");
    assert!(out.contains("from step 10002 to step 10003:"), "{out}");
    assert!(out.contains("stack above depth 0"), "{out}");
    assert!(out.contains("memory 0x3e5d0.."), "{out}");
    let (ok, out, err) = trace(&[&vector("memory"), "--diff", "10002", "10002"]);
    assert!(ok, "{err}");
    assert!(out.contains("nothing changed"), "{out}");
}

#[test]
fn what_cannot_be_shown_is_refused_clearly() {
    let (ok, _, err) = trace(&[&vector("math"), "--block", "99"]);
    assert!(!ok && err.contains("block 99 is past the inbox"), "{err}");
    let (ok, _, err) = trace(&[&vector("math"), "--step", "99999999999"]);
    assert!(!ok && err.contains("past the machine's bound"), "{err}");
    let (ok, _, err) = trace(&[&vector("math"), "--memory", "0xzz"]);
    assert!(!ok && err.contains("not a 32-bit address"), "{err}");
    let (ok, _, err) = trace(&["/nonexistent.json"]);
    assert!(!ok && err.contains("/nonexistent.json"), "{err}");
    let (ok, _, err) = trace(&[]);
    assert!(!ok && err.contains("VECTOR"), "{err}");
    // Past the block's end the halted machine is shown, and said to be.
    let (ok, out, err) = trace(&[&vector("math"), "--step", "60000"]);
    assert!(
        ok && out.contains("finished") && err.contains("halts after"),
        "{out}{err}"
    );
}

/// The step debugger on a live chain: the devnet's Inbox read over its L1 JSON-RPC, the
/// rollup named by its L2 JSON-RPC (`fuse_chainInfo`).
#[test]
fn trace_shows_a_block_of_a_live_chain_read_from_l1() {
    let d = crate::cli::start_devnet();
    let trace = |args: &[&str]| {
        Command::new(BIN)
            .args(["trace", "--l1-rpc", &d.l1_url, "--rpc", &d.rpc])
            .args(args)
            .output()
            .unwrap()
    };
    // Block 1 is the first deposit (message 0 is the chain's config).
    let out = trace(&["--block", "1", "--step", "100"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.starts_with("block 1 · ") && text.contains("finished"),
        "{text}"
    );
    assert!(text.contains("step         100 · running"), "{text}");
    assert!(text.contains("function     #"), "{text}");
    let out = trace(&["--block", "100000"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("past the inbox"),
        "{err}"
    );
}
