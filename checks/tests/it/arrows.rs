//! The crate graph keeps its arrows: every workspace crate's normal (non-dev) dependencies on
//! other workspace crates are among those its entry below allows, and every workspace crate
//! has an entry. The table is the architecture of docs/design.md ("Layout") in executable
//! form; a new arrow is a decision, made here and there together.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

/// Each workspace crate and the workspace crates it may depend on (normal and build
/// dependencies; dev-dependencies are free, since tests may compare anything with anything).
const ALLOWED: &[(&str, &[&str])] = &[
    ("fuse-checks", &[]),
    ("fuse-primitives", &[]),
    // The machine's test harness (feature `test-utils`) checks its proofs with the verifier;
    // the machine itself never calls it.
    ("fuse-vm", &["fuse-primitives", "fuse-verifier"]),
    // Independent of the machine it checks: the point of a second implementation.
    ("fuse-verifier", &["fuse-primitives"]),
    ("fuse-twin", &["fuse-vm"]),
    ("fuse-arbos", &["fuse-primitives"]),
    ("fuse-guest", &["fuse-arbos"]),
    // Revert data of the one-step prover decodes against the verifier's error table.
    ("fuse-contracts", &["fuse-verifier"]),
    (
        "fuse-prover",
        &[
            "fuse-primitives",
            "fuse-vm",
            "fuse-verifier",
            "fuse-twin",
            "fuse-arbos",
        ],
    ),
    // The HTTP front of every JSON-RPC server: knows nothing of the rollup.
    ("fuse-serve", &[]),
    // What an operator scrapes (the recorder, /metrics and /health, heartbeats): knows
    // nothing of the rollup either; the roles record their figures through the `metrics`
    // facade and beat its heartbeats.
    ("fuse-metrics", &[]),
    // The L1 and the rollup's contracts over it; never the sequencer or the validator.
    (
        "fuse-l1",
        &[
            "fuse-primitives",
            "fuse-arbos",
            "fuse-prover",
            "fuse-contracts",
            "fuse-serve",
        ],
    ),
    // The state transition run natively (host and signing): below both roles that execute.
    ("fuse-exec", &["fuse-arbos", "fuse-vm"]),
    // The sequencer never needs the validator: a node may run without one.
    (
        "fuse-sequencer",
        &[
            "fuse-primitives",
            "fuse-arbos",
            "fuse-exec",
            "fuse-contracts",
            "fuse-l1",
            "fuse-metrics",
        ],
    ),
    // The validator reads L1 only and shares nothing with the sequencer; it shows the
    // challenges it follows with the dispute viewer's model.
    (
        "fuse-validator",
        &[
            "fuse-inspect",
            "fuse-primitives",
            "fuse-vm",
            "fuse-twin",
            "fuse-arbos",
            "fuse-prover",
            "fuse-l1",
            "fuse-metrics",
        ],
    ),
    // The node process: the sequencer, its L2 API, a validator beside it, and what an
    // operator watches of them.
    (
        "fuse-node",
        &[
            "fuse-arbos",
            "fuse-exec",
            "fuse-sequencer",
            "fuse-validator",
            "fuse-serve",
            "fuse-l1",
            "fuse-metrics",
        ],
    ),
    // Seeing a dispute (step debugger, decoded proofs, the viewer page): reads machines and
    // proofs, never L1 or a role.
    (
        "fuse-inspect",
        &[
            "fuse-primitives",
            "fuse-vm",
            "fuse-verifier",
            "fuse-twin",
            "fuse-prover",
        ],
    ),
    // The devnet and the test kit play everything below them.
    (
        "fuse-devnet",
        &[
            "fuse-inspect",
            "fuse-vm",
            "fuse-verifier",
            "fuse-arbos",
            "fuse-prover",
            "fuse-contracts",
            "fuse-l1",
            "fuse-exec",
            "fuse-sequencer",
            "fuse-validator",
            "fuse-node",
        ],
    ),
    // The benchmarks: nothing depends on them, so what only they need stays out of fuse-l2.
    (
        "fuse-bench",
        &[
            "fuse-vm",
            "fuse-twin",
            "fuse-arbos",
            "fuse-prover",
            "fuse-contracts",
            "fuse-l1",
            "fuse-exec",
            "fuse-sequencer",
            "fuse-validator",
            "fuse-node",
            "fuse-devnet",
            "fuse-metrics",
        ],
    ),
    // The binary: every command, over the crates that do the work; never the benchmarks
    // (`fuse-l2 bench` runs the fuse-bench binary).
    (
        "fuse-l2",
        &[
            "fuse-vm",
            "fuse-verifier",
            "fuse-twin",
            "fuse-arbos",
            "fuse-prover",
            "fuse-contracts",
            "fuse-l1",
            "fuse-exec",
            "fuse-sequencer",
            "fuse-validator",
            "fuse-node",
            "fuse-inspect",
            "fuse-devnet",
            "fuse-metrics",
        ],
    ),
];

/// Crates that may not reach another even through a third, whatever the table says.
const NEVER: &[(&str, &str, &str)] = &[
    (
        "fuse-verifier",
        "fuse-vm",
        "the verifier must owe the machine nothing",
    ),
    (
        "fuse-l1",
        "fuse-node",
        "the L1 layer sits below every role that uses it",
    ),
    (
        "fuse-sequencer",
        "fuse-validator",
        "the sequencer runs without a validator",
    ),
    (
        "fuse-validator",
        "fuse-sequencer",
        "the validator reads L1 only, never the sequencer's state",
    ),
    (
        "fuse-l2",
        "fuse-bench",
        "bench-only dependencies stay out of the production binary",
    ),
];

/// Workspace crate name → its normal and build dependencies on workspace crates.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(root)
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).expect("metadata is JSON");
    let packages = meta["packages"].as_array().expect("packages");
    let names: BTreeSet<String> = packages
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect();
    packages
        .iter()
        .map(|p| {
            let deps = p["dependencies"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|d| d["kind"].as_str() != Some("dev"))
                .map(|d| d["name"].as_str().unwrap().to_string())
                .filter(|n| names.contains(n))
                .collect();
            (p["name"].as_str().unwrap().to_string(), deps)
        })
        .collect()
}

/// Every crate `from` reaches through normal dependencies.
fn reach(graph: &BTreeMap<String, BTreeSet<String>>, from: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut todo = vec![from.to_string()];
    while let Some(c) = todo.pop() {
        for d in graph.get(&c).into_iter().flatten() {
            if seen.insert(d.clone()) {
                todo.push(d.clone());
            }
        }
    }
    seen
}

#[test]
fn every_crate_depends_only_on_what_its_layer_allows() {
    let graph = graph();
    let allowed: BTreeMap<&str, BTreeSet<&str>> = ALLOWED
        .iter()
        .map(|(c, deps)| (*c, deps.iter().copied().collect()))
        .collect();
    let mut failures = Vec::new();
    for (krate, deps) in &graph {
        let Some(ok) = allowed.get(krate.as_str()) else {
            failures.push(format!(
                "{krate} has no entry in ALLOWED: say which crates it may use"
            ));
            continue;
        };
        for d in deps {
            if !ok.contains(d.as_str()) {
                failures.push(format!(
                    "{krate} depends on {d}, which its layer does not allow"
                ));
            }
        }
    }
    for (krate, _) in ALLOWED {
        if !graph.contains_key(*krate) {
            failures.push(format!(
                "ALLOWED names {krate}, which is not a workspace crate"
            ));
        }
    }
    for (from, to, why) in NEVER {
        if reach(&graph, from).contains(*to) {
            failures.push(format!("{from} reaches {to}: {why}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(graph.len() >= 10, "only {} crates found", graph.len());
}

#[test]
fn no_cycle_among_workspace_crates() {
    let graph = graph();
    for krate in graph.keys() {
        assert!(
            !reach(&graph, krate).contains(krate),
            "{krate} depends on itself through other crates"
        );
    }
}
