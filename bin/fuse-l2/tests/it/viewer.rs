//! The dispute viewer in a real browser: `fuse-l2 replay --html` writes the page of every
//! committed dispute vector, headless Chromium (Debian's package) opens each from its file,
//! and the DOM its script leaves must hold every move of the vector in the funnel, the table
//! and the gas chart, both clock curves, and — where the dispute ended by a proof — the decoded
//! proof (the recorded instruction, its function, every Merkle path) and the disputed step's
//! diff. A screenshot of each page goes to `target/viewer-screens/`. Where Chromium is absent
//! the browser part is skipped, and says so; the pages are still written and checked as text.

use std::path::Path;
use std::process::Command;

use fuse_inspect::browser::Chromium;
use fuse_inspect::dom::{assert_png, attr, drawn, rounds, section, with_class};
use serde_json::Value;

use crate::common::BIN;

/// The page model a page embeds.
fn embedded(page: &str) -> Value {
    let open = "<script type=\"application/json\" id=\"dispute-data\">";
    let from = page.find(open).expect("the page embeds its data") + open.len();
    let len = page[from..].find("</script>").unwrap();
    serde_json::from_str(&page[from..from + len]).expect("the embedded data is JSON")
}

#[test]
fn every_committed_vector_is_drawn_in_headless_chromium() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut vectors: Vec<_> = std::fs::read_dir(root.join("test-vectors/disputes"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    vectors.sort();
    let pages = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .arg("replay")
        .args(&vectors)
        .arg("--html")
        .arg(pages.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let chromium = Chromium::find();
    if chromium.is_none() {
        eprintln!(
            "headless Chromium not found (install Debian's chromium): skipping the browser check"
        );
    }
    let screens = root.join("target/viewer-screens");
    std::fs::create_dir_all(&screens).unwrap();
    let mut drawn_pages = 0;
    for vector in &vectors {
        let recorded: Value = serde_json::from_slice(&std::fs::read(vector).unwrap()).unwrap();
        let name = recorded["name"].as_str().unwrap();
        let stem = vector.file_stem().unwrap().to_str().unwrap();
        let file = pages.path().join(format!("{stem}.html"));
        let page = std::fs::read_to_string(&file).unwrap();
        let view = embedded(&page);
        let moves = recorded["moves"].as_array().unwrap();
        assert_eq!(
            view["moves"].as_array().unwrap().len(),
            moves.len(),
            "{name}"
        );
        let Some(chromium) = &chromium else { continue };

        let dom = drawn(chromium, &file);
        let all: Vec<u64> = (1..=moves.len() as u64).collect();
        let with_segment: Vec<u64> = moves
            .iter()
            .filter(|m| m.get("level").is_some())
            .map(|m| m["round"].as_u64().unwrap())
            .collect();
        assert_eq!(
            rounds(&with_class(&dom, "funnel-row")),
            with_segment,
            "{name}"
        );
        assert_eq!(rounds(&with_class(&dom, "move")), all, "{name}");
        assert_eq!(rounds(&with_class(&dom, "gas-bar")), all, "{name}");
        let curves = with_class(&dom, "clock-curve");
        assert_eq!(curves.len(), 2, "{name}");
        for curve in curves {
            let points = attr(curve, "points").unwrap().split_whitespace().count();
            assert_eq!(
                points,
                moves.len() + 1,
                "{name}: a point per move and the opening"
            );
        }
        match moves.iter().find_map(|m| m.get("proof")) {
            Some(proof) => {
                let drawn_proof = section(&dom, "proof").expect("the #proof section");
                let opcode = proof["opcode"].as_str().unwrap();
                if opcode != "halted" {
                    assert!(drawn_proof.contains(opcode), "{name}: {opcode}");
                }
                let paths = view["proof"]["paths"].as_array().unwrap().len();
                assert_eq!(with_class(drawn_proof, "proof-path").len(), paths, "{name}");
                if let Some(f) = view["proof"]["instruction"]["function"]["name"].as_str() {
                    let last = f.rsplit("::").next().unwrap();
                    assert!(drawn_proof.contains(last), "{name}: {f}");
                }
                let step = section(&dom, "step").expect("the #step section");
                let diff = view["disputed_step"]["diff"].as_array().unwrap().len();
                assert_eq!(with_class(step, "diff-row").len(), diff, "{name}");
            }
            None => assert!(section(&dom, "proof").is_none(), "{name}"),
        }
        let png = screens.join(format!("{name}.png"));
        chromium.screenshot(&file, &png, 1440, 900).unwrap();
        assert_png(&png);
        drawn_pages += 1;
    }
    if chromium.is_some() {
        assert_eq!(drawn_pages, vectors.len());
        println!(
            "{drawn_pages} pages drawn in headless Chromium; screenshots in {}",
            screens.display()
        );
    }
}

/// A vector is input: its `name` never picks where its page goes, so a name that climbs out
/// of the output directory (or is absolute) writes nothing there, and two files that would
/// write the same page are refused rather than overwrite each other.
#[test]
fn page_paths_come_from_file_names_never_from_vector_names() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let math = std::fs::read_to_string(root.join("test-vectors/disputes/math.json")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let escaped = dir.path().join("escaped");
    let mut files = Vec::new();
    for (file, name) in [
        ("a.json", "../escaped".to_string()),
        ("b.json", escaped.display().to_string()),
    ] {
        let mut v: Value = serde_json::from_str(&math).unwrap();
        v["name"] = Value::String(name);
        let path = dir.path().join(file);
        std::fs::write(&path, v.to_string()).unwrap();
        files.push(path);
    }
    let pages = dir.path().join("pages");
    let replay = |files: &[&Path]| {
        Command::new(BIN)
            .arg("replay")
            .args(files)
            .arg("--html")
            .arg(&pages)
            .output()
            .unwrap()
    };
    let out = replay(&[&files[0], &files[1]]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut written: Vec<_> = std::fs::read_dir(&pages)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    written.sort();
    assert_eq!(written, ["a.html", "b.html"]);
    assert!(!dir.path().join("escaped.html").exists());
    assert!(!escaped.with_extension("html").exists());
    // The same file twice would write one page twice.
    let out = replay(&[&files[0], &files[0]]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("would both write"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
