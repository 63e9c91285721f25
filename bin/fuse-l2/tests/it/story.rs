//! `fuse-l2 devnet --liar` from the outside, as a user runs it: the whole dispute story runs in one
//! process and exits successfully — the liar's wrong assertion, the challenge played to its end,
//! the honest assertion confirmed, the transactions FINALIZED and the withdrawal paid on L1 exactly
//! once.

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
        "claims it again: refused (reverted: Outbox.AlreadySpent",
        "transfer and withdrawal FINALIZED; the withdrawal paid on L1 once",
    ] {
        assert!(
            text.contains(expected),
            "no {expected:?} in the story:\n{text}"
        );
    }
    assert!(!text.contains("PAID TWICE"), "{text}");
    // "the liar's bond of B wei was slashed: H wei to the honest validator, E wei to the
    // escrow; the liar ends L wei poorer on L1, …", every figure read from L1: the bond went
    // to the two of them whole, and the liar lost at least all of it.
    let line = text
        .lines()
        .find(|l| l.contains("was slashed:"))
        .unwrap_or_else(|| panic!("no slashing in the story:\n{text}"));
    let figures: Vec<u128> = line
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    let [bond, to_honest, to_escrow, liar_lost] = figures[..] else {
        panic!("{line}")
    };
    assert!(bond > 0 && to_honest > 0 && to_escrow > 0, "{line}");
    assert_eq!(to_honest + to_escrow, bond, "{line}");
    assert!(liar_lost >= bond, "{line}");
    println!(
        "the dispute story ran in {:.1} s:\n{}",
        t.elapsed().as_secs_f64(),
        text.lines()
            .filter(|l| l.starts_with('['))
            .collect::<Vec<_>>()
            .join("\n")
    );
}
