//! `fuse-l2 devnet --liar` from the outside (the validator issue, point 5): the whole dispute
//! story runs in one process and exits successfully — the liar's wrong assertion, the
//! challenge played to its end, the honest assertion confirmed, the transactions FINALIZED and
//! the withdrawal paid on L1 exactly once.

use std::process::Command;
use std::time::Instant;

const BIN: &str = env!("CARGO_BIN_EXE_fuse-l2");

#[test]
fn the_devnet_tells_the_dispute_story() {
    let t = Instant::now();
    let out = Command::new(BIN)
        .args(["devnet", "--liar", "--rpc-addr", "127.0.0.1:0"])
        .args(["--l1-rpc-addr", "127.0.0.1:0"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for expected in [
        "— a wrong state",
        "challenge 1: #",
        "enterLevelTwo on level 1",
        "bisect on level 2",
        "lost by",
        "won by",
        "(nobody stands behind it)",
        "transfer is FINALIZED",
        "withdrawal is FINALIZED",
        "+500000000000000000 wei",
        "claims it again: refused",
        "was slashed",
    ] {
        assert!(
            text.contains(expected),
            "no {expected:?} in the story:\n{text}"
        );
    }
    println!(
        "the dispute story ran in {:.1} s:\n{}",
        t.elapsed().as_secs_f64(),
        text.lines()
            .filter(|l| l.starts_with('['))
            .collect::<Vec<_>>()
            .join("\n")
    );
}
