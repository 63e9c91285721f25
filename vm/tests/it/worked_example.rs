//! The worked example of docs/spec/machine-hash.md, recomputed from raw bytes with nothing
//! but keccak256, checked against the machine, and checked to appear in the doc: the doc's
//! numbers are proven, not copied.

use std::sync::Arc;

use alloy_primitives::{B256, keccak256};
use fuse_vm::{GlobalState, Machine, MemoryHost, hash};

const WAT: &str = r#"(module
  (memory 1 1)
  (global $g (mut i32) (i32.const 5))
  (func (export "fuse_entry")
    i32.const 7
    i32.const 35
    i32.add
    global.set $g))"#;

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

fn node(tag: u8, l: B256, r: B256) -> B256 {
    keccak256(cat(&[&[tag], l.as_slice(), r.as_slice()]))
}

/// Root of a depth-`d` tree whose only non-zero leaf is leaf 0 (or all zero).
fn root_with_first_leaf(tag: u8, depth: usize, leaf0: B256) -> B256 {
    let mut zero = B256::ZERO;
    let mut h = leaf0;
    for _ in 0..depth {
        h = node(tag, h, zero);
        zero = node(tag, zero, zero);
    }
    h
}

fn instruction_leaf(op: u16, depth: u8, a: u32, b: u64) -> B256 {
    let mut l = [0u8; 32];
    l[0..2].copy_from_slice(&op.to_be_bytes());
    l[2] = depth;
    l[4..8].copy_from_slice(&a.to_be_bytes());
    l[8..16].copy_from_slice(&b.to_be_bytes());
    B256::from(l)
}

#[test]
fn worked_example_matches_machine_and_doc() {
    let buf = wast::parser::ParseBuffer::new(WAT).unwrap();
    let mut wat: wast::Wat = wast::parser::parse(&buf).unwrap();
    let module = Arc::new(fuse_vm::load(&wat.encode().unwrap()).unwrap());

    // Code: 0 call 2 (0 params, 0 locals), 1 finish, 2 const 7, 3 const 35, 4 i32.add,
    // 5 global.set 0, 6 return 0.
    let code = [
        instruction_leaf(0x0008, 0, 2, 0),
        instruction_leaf(0x0011, 0, 0, 0),
        instruction_leaf(0x0010, 0, 0, 7),
        instruction_leaf(0x0010, 0, 0, 35),
        instruction_leaf(0x0119, 0, 0, 0),
        instruction_leaf(0x000f, 0, 0, 0),
        instruction_leaf(0x000a, 0, 0, 0),
    ];
    let leaves: Vec<B256> = module.code.iter().map(|i| B256::from(i.leaf())).collect();
    assert_eq!(leaves, code.to_vec(), "flat code");
    // Depth 3: eight leaves, the last one zero.
    let mut layer = code.to_vec();
    layer.push(B256::ZERO);
    while layer.len() > 1 {
        layer = layer.chunks(2).map(|p| node(0x13, p[0], p[1])).collect();
    }
    let code_root = layer[0];
    let static_hash = keccak256(cat(&[
        &[0x05],
        code_root.as_slice(),
        B256::ZERO.as_slice(),
        &[3],
    ]));
    let mut g = [0u8; 32];
    g[0..8].copy_from_slice(&5u64.to_be_bytes());
    let globals_root = B256::from(g); // one leaf, depth 0: the leaf itself
    let memory_root = root_with_first_leaf(0x10, 11, B256::ZERO);
    let module_root = keccak256(cat(&[
        &[0x04],
        static_hash.as_slice(),
        globals_root.as_slice(),
        memory_root.as_slice(),
        &1u32.to_be_bytes(),
    ]));
    assert_eq!(module.root, module_root, "module root");

    let gs = GlobalState {
        inbox_position: 1,
        block_number: 1,
        ..Default::default()
    };
    let gs_hash = keccak256(cat(&[
        &[0x06],
        &[0u8; 64],
        &1u64.to_be_bytes(),
        &1u64.to_be_bytes(),
    ]));
    assert_eq!(gs.hash(), gs_hash);
    let world0 = keccak256(cat(&[&[0x03], module_root.as_slice(), gs_hash.as_slice()]));
    let initial = keccak256(cat(&[
        &[0x01, 0x00],
        &0u32.to_be_bytes(),
        &[0u8; 96],
        world0.as_slice(),
    ]));
    let mut m = Machine::new(module.clone(), gs);
    assert_eq!(m.hash(), initial, "initial machine hash");
    assert_eq!(hash::initial_machine_hash(module_root, gs_hash), initial);

    // Four steps: call, const 7, const 35, i32.add. The value stack holds 42.
    m.run(&mut MemoryHost::default(), 4).unwrap();
    let v7 = keccak256(cat(&[&[0x07], &[0u8; 32], &42u64.to_be_bytes()]));
    let frames = keccak256(cat(&[
        &[0x08],
        &[0u8; 32],
        &1u32.to_be_bytes(),
        &1u32.to_be_bytes(),
        &[0u8; 32],
        &[0u8; 32],
    ]));
    let after4 = keccak256(cat(&[
        &[0x01, 0x00],
        &5u32.to_be_bytes(),
        v7.as_slice(),
        &[0u8; 32],
        frames.as_slice(),
        world0.as_slice(),
    ]));
    assert_eq!(m.hash(), after4, "machine hash after four steps");

    // global.set 0: globals change, so the module hash and the world change.
    m.run(&mut MemoryHost::default(), 1).unwrap();
    let mut g42 = [0u8; 32];
    g42[0..8].copy_from_slice(&42u64.to_be_bytes());
    let module5 = keccak256(cat(&[
        &[0x04],
        static_hash.as_slice(),
        &g42,
        memory_root.as_slice(),
        &1u32.to_be_bytes(),
    ]));
    let world5 = keccak256(cat(&[&[0x03], module5.as_slice(), gs_hash.as_slice()]));
    let after5 = keccak256(cat(&[
        &[0x01, 0x00],
        &6u32.to_be_bytes(),
        &[0u8; 32],
        &[0u8; 32],
        frames.as_slice(),
        world5.as_slice(),
    ]));
    assert_eq!(m.hash(), after5, "machine hash after global.set");

    // return, finish: the finished hash depends on the global state alone.
    m.run(&mut MemoryHost::default(), 10).unwrap();
    let finished = keccak256(cat(&[&[0x02], gs_hash.as_slice()]));
    assert_eq!(m.hash(), finished, "finished machine hash");
    // A halted machine is unchanged by a step.
    assert_eq!(m.run(&mut MemoryHost::default(), 5).unwrap(), 0);
    assert_eq!(m.hash(), finished);

    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/spec/machine-hash.md"
    ))
    .unwrap();
    let mut missing = Vec::new();
    for (name, v) in [
        ("code root", code_root),
        ("static hash", static_hash),
        ("memory root", memory_root),
        ("module root", module_root),
        ("gs hash", gs_hash),
        ("initial machine hash", initial),
        ("value stack [42]", v7),
        ("frame stack", frames),
        ("hash after 4 steps", after4),
        ("module hash after global.set", module5),
        ("hash after 5 steps", after5),
        ("finished hash", finished),
    ] {
        println!("{name}: {v}");
        if !doc.contains(&v.to_string()) {
            missing.push(format!("{name} {v}"));
        }
    }
    assert!(
        missing.is_empty(),
        "docs/spec/machine-hash.md lacks: {missing:?}"
    );
}
