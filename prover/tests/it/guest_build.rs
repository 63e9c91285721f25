//! The committed guest (test-vectors/guest/) is what its sources build to, byte for byte
//! (docs/design.md#rule-15), and its manifest records its module root.

use fuse_prover::guest;

#[test]
fn committed_guest_rebuilds_byte_for_byte() {
    let manifest = guest::check(&guest::repo_root()).unwrap_or_else(|e| panic!("{e:#}"));
    assert_eq!(manifest.module_root, guest::module().root);
    println!(
        "guest rebuilt byte for byte: {} bytes, module root {}",
        manifest.wasm_bytes, manifest.module_root
    );
}

#[test]
fn the_guest_is_a_machine_module_with_the_abi() {
    let m = guest::module();
    assert!(
        m.memory_depth <= 19,
        "memory capped at 16 MiB (a 19-deep tree), got depth {}",
        m.memory_depth
    );
    let wasm = guest::WASM;
    let exports: Vec<String> = wasmparser::Parser::new(0)
        .parse_all(wasm)
        .filter_map(|p| match p {
            Ok(wasmparser::Payload::ExportSection(s)) => Some(s),
            _ => None,
        })
        .flat_map(|s| {
            s.into_iter()
                .map(|e| e.expect("an export").name.to_string())
        })
        .collect();
    assert!(exports.contains(&"fuse_entry".to_string()), "{exports:?}");
    assert!(exports.contains(&"memory".to_string()), "{exports:?}");
}
