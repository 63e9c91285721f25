//! The official WebAssembly spec testsuite (`../shared/wasm-testsuite`) through the stepping
//! machine, checked against the wasmtime twin at every module and invocation.

use fuse_twin::Twin;
use fuse_vm::spectest;

#[test]
fn spec_testsuite_passes_and_agrees_with_the_twin() {
    let files = fuse_vm::testing::programs::spec_suite_files();
    assert!(
        files.len() >= 40,
        "expected the whole suite, found {} files",
        files.len()
    );
    let mut twin = Twin::new();
    let (mut passed, mut failed, mut skipped) = (0, 0, 0);
    let mut failures = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let r = spectest::run_wast(&text, Some(&mut twin));
        passed += r.passed;
        failed += r.failed;
        skipped += r.skipped;
        for msg in r.failures {
            failures.push(format!("{}: {msg}", f.display()));
        }
    }
    println!("spec suite: {passed} passed, {failed} failed, {skipped} skipped");
    assert!(failures.is_empty(), "failures:\n{}", failures.join("\n"));
    // Everything in the integer subset runs; a drop here means assertions became skips.
    assert!(passed >= 2900, "only {passed} assertions passed");
}
