//! Progress bars never reach piped output: commands that draw bars on a terminal (`wast
//! --prove` over two spec scripts, the devnet's start with its log lines) write into pipes
//! their results, notes and logs and nothing else — no bar, no spinner, no escape sequence,
//! no carriage return — even where TERM names a capable terminal.

use std::process::{Command, Output};

use crate::common::{BIN, free_port};

/// The binary with a terminal's environment but pipes for stdout and stderr.
fn piped(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env("TERM", "xterm-256color")
        .env_remove("NO_COLOR")
        .env_remove("RUST_LOG")
        .output()
        .unwrap()
}

/// Fails if `text` carries anything a progress bar or a colour would leave behind.
fn assert_clean(stream: &str, text: &str) {
    assert!(
        !text.contains('\x1b'),
        "escape sequence in {stream}: {text:?}"
    );
    assert!(
        !text.contains('\r'),
        "carriage return in {stream}: {text:?}"
    );
    // The spinners' braille glyphs, the bars' fill and the elapsed-time stamp.
    assert!(
        !text.chars().any(|c| ('\u{2800}'..='\u{28ff}').contains(&c)),
        "spinner in {stream}: {text:?}"
    );
    assert!(!text.contains("=>"), "bar in {stream}: {text:?}");
    assert!(!text.contains("[00:"), "elapsed time in {stream}: {text:?}");
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("the output is UTF-8")
}

/// `wast --prove` draws a bar over the files and counts the steps proven on a terminal; into
/// pipes it writes its table alone.
#[test]
fn wast_prove_into_pipes_writes_its_table_alone() {
    let files: Vec<String> = fuse_vm::testing::programs::spec_suite_files()
        .into_iter()
        .filter(|f| f.ends_with("forward.wast") || f.ends_with("start.wast"))
        .map(|f| f.display().to_string())
        .collect();
    assert_eq!(files.len(), 2, "{files:?}");
    let mut args = vec!["wast", "--prove"];
    args.extend(files.iter().map(String::as_str));
    let out = piped(&args);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(
        stdout.contains("forward.wast") && stdout.contains("steps proven and settled"),
        "{stdout}"
    );
    assert_clean("stdout", &stdout);
    assert_clean("stderr", &stderr);
    assert_eq!(stderr, "", "wast writes nothing on stderr");
}

/// The devnet's start runs under a spinner on a terminal; into pipes its notes and its log
/// lines come as they always did, without the spinner and without colour.
#[test]
fn devnet_start_into_pipes_writes_notes_and_plain_logs() {
    let rpc = format!("127.0.0.1:{}", free_port());
    let out = piped(&[
        "devnet",
        "--rpc-addr",
        &rpc,
        "--l1-rpc-addr",
        "127.0.0.1:0",
        "--accounts",
        "1",
        "--exit-after",
        "1",
    ]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(stdout.starts_with("fuse-l2 devnet is running"), "{stdout}");
    assert!(
        stderr.contains("fuse-l2 devnet: deploying the rollup")
            && stderr.contains("fuse-l2 devnet: waiting for the deposits"),
        "{stderr}"
    );
    assert!(
        stderr.contains(" INFO "),
        "the devnet logs at info: {stderr}"
    );
    assert_clean("stdout", &stdout);
    assert_clean("stderr", &stderr);
}
