//! docs/spec/isa.md lists every opcode of the ISA with its number, and nothing else.

use fuse_vm::isa::Opcode;

#[test]
fn isa_doc_lists_every_opcode() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/spec/isa.md"))
        .unwrap();
    let rows: Vec<&str> = doc.lines().filter(|l| l.starts_with("| `0x")).collect();
    for &op in Opcode::ALL {
        let key = format!("| `{:#06x}` | `{}` |", op as u16, op.mnemonic());
        assert!(
            rows.iter().any(|r| r.starts_with(&key)),
            "isa.md lacks {key}"
        );
    }
    assert_eq!(
        rows.len(),
        Opcode::ALL.len(),
        "isa.md lists opcodes the ISA does not have"
    );
}
