//! The page in a browser: headless Chromium opens it from a file, its script draws, and the
//! DOM it leaves is read back — every chart row, curve, bar and table row the view calls for
//! must be there, which also proves the script ran to its end. Screenshots of the pages go to
//! `target/viewer-screens/` for a person to look at.

use std::path::{Path, PathBuf};

use fuse_inspect::browser::Chromium;
use fuse_inspect::dom::{assert_png, attr, drawn, rounds, section, start_tags, with_class};
use fuse_inspect::html::{render, thousands};
use fuse_inspect::model::DisputeView;

use crate::fixture;

fn chromium() -> Option<Chromium> {
    let found = Chromium::find();
    if found.is_none() {
        eprintln!(
            "headless Chromium not found (install Debian's chromium): skipping the browser check"
        );
    }
    found
}

fn screens() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/viewer-screens");
    std::fs::create_dir_all(&dir).expect("creating target/viewer-screens");
    dir
}

/// Writes the page of `view` and returns its file.
fn write_page(name: &str, view: &DisputeView) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("viewer-pages");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("{name}.html"));
    std::fs::write(&file, render(view)).unwrap();
    file
}

#[test]
fn chromium_draws_every_part_of_the_finished_dispute() {
    let Some(chromium) = chromium() else { return };
    let view = fixture::finished();
    let file = write_page("fixture", &view);
    let dom = drawn(&chromium, &file);

    // The funnel: one row per move with a segment, at its level.
    let rows = with_class(&dom, "funnel-row");
    let segments: Vec<_> = view.moves.iter().filter(|m| m.level.is_some()).collect();
    assert_eq!(
        rounds(&rows),
        segments.iter().map(|m| m.round).collect::<Vec<_>>()
    );
    for (row, m) in rows.iter().zip(&segments) {
        assert_eq!(
            attr(row, "data-level"),
            Some(m.level.unwrap().to_string().as_str())
        );
    }
    assert_eq!(with_class(&dom, "funnel-end").len(), 1);
    assert!(
        dom.contains("[0, 2³²]"),
        "level 2 starts at every step of the block"
    );
    assert!(dom.contains("length 2²⁸"));

    // Both clocks, a curve each with every sample, and a marker per timed move.
    let curves = with_class(&dom, "clock-curve");
    assert_eq!(curves.len(), 2);
    for (i, curve) in curves.iter().enumerate() {
        assert_eq!(attr(curve, "data-party"), Some(i.to_string().as_str()));
        let points = attr(curve, "points").unwrap().split_whitespace().count();
        assert!(points >= 2);
        assert_eq!(points, view.clocks.len());
    }
    assert_eq!(
        rounds(&with_class(&dom, "clock-move")),
        (1..=11).collect::<Vec<_>>()
    );
    assert!(dom.contains("challenger"));
    assert!(dom.contains("defender"));

    // One table row per move, one gas bar per move with gas, the totals with separators.
    assert_eq!(
        rounds(&with_class(&dom, "move")),
        (1..=11).collect::<Vec<_>>()
    );
    assert_eq!(
        rounds(&with_class(&dom, "gas-bar")),
        (1..=11).collect::<Vec<_>>()
    );
    let total = view.gas_total[0] + view.gas_total[1];
    assert!(dom.contains(&thousands(total)), "the sum, {total}");
    assert!(
        dom.contains("gas 68,120, recorded 68,118"),
        "the replay's ✗"
    );

    // The proof: the instruction, its function, every path and part, what it read and wrote.
    let proof = section(&dom, "proof").expect("the #proof section");
    let p = view.proof.as_ref().unwrap();
    assert!(proof.contains(fixture::OPCODE));
    assert!(proof.contains(fixture::FUNCTION));
    assert_eq!(with_class(proof, "proof-path").len(), p.paths.len());
    assert_eq!(with_class(proof, "proof-part").len(), p.parts.len());
    assert_eq!(with_class(proof, "slot-read").len(), p.read.len());
    assert_eq!(with_class(proof, "slot-written").len(), p.written.len());
    assert!(proof.contains("the claim was refuted"));
    assert!(
        proof.contains(&format!("title=\"{}\"", p.claimed)),
        "hashes keep their full value"
    );

    // The disputed step: both machines and what changed.
    let step = section(&dom, "step").expect("the #step section");
    let d = view.disputed_step.as_ref().unwrap();
    assert_eq!(with_class(step, "diff-row").len(), d.diff.len());
    assert!(step.contains("fuse_arbos::exec::apply_transfer"));
    assert!(step.contains("i64.extend_i32_u"));
    let notes = section(&dom, "notes").expect("the #notes section");
    assert!(notes.contains(&view.notes[1]));
    assert!(
        start_tags(&dom, "div")
            .iter()
            .any(|t| t.contains("id=\"render-error\"") && t.contains(" hidden"))
    );

    let screens = screens();
    chromium
        .screenshot(&file, &screens.join("fixture.png"), 1440, 900)
        .expect("a screenshot");
    assert_png(&screens.join("fixture.png"));
    chromium
        .screenshot(&file, &screens.join("fixture-full.png"), 1440, 3000)
        .expect("a screenshot of the whole page");
    assert_png(&screens.join("fixture-full.png"));
}

#[test]
fn chromium_draws_a_live_dispute_and_leaves_hostile_text_inert() {
    let Some(chromium) = chromium() else { return };
    let mut view = fixture::live();
    view.description = "Still going. </script><script>document.documentElement.dataset.injected = \
                        'script'</script><img src=x onerror=\"document.documentElement.dataset.\
                        injected = 'img'\">"
        .into();
    view.parties[1].name = "<i>liar</i>".into();
    view.notes
        .push("a note </script><script>document.title = 'injected'</script>".into());
    let file = write_page("live", &view);
    let dom = drawn(&chromium, &file);

    assert!(!dom.contains("data-injected"));
    assert_eq!(start_tags(&dom, "img").len(), 0);
    assert_eq!(start_tags(&dom, "i").len(), 0);
    assert!(!dom.contains("<title>injected"));
    assert!(dom.contains("&lt;i&gt;liar&lt;/i&gt;"));
    assert!(dom.contains(">live — still being played<"));
    assert_eq!(
        rounds(&with_class(&dom, "funnel-row")),
        (1..=6).collect::<Vec<_>>()
    );
    assert_eq!(
        rounds(&with_class(&dom, "move")),
        (1..=6).collect::<Vec<_>>()
    );
    assert_eq!(
        rounds(&with_class(&dom, "gas-bar")),
        vec![1, 3, 5],
        "the opponent's gas is unknown"
    );
    assert_eq!(with_class(&dom, "clock-curve").len(), 2);
    assert!(section(&dom, "proof").is_none());
    assert!(section(&dom, "step").is_none());
    assert!(
        section(&dom, "notes")
            .unwrap()
            .contains("a note &lt;/script&gt;")
    );
    chromium
        .screenshot(&file, &screens().join("live.png"), 1440, 900)
        .expect("a screenshot");
}

#[test]
fn chromium_draws_a_dispute_ended_by_a_timeout() {
    let Some(chromium) = chromium() else { return };
    let view = fixture::timed_out();
    let file = write_page("timeout", &view);
    let dom = drawn(&chromium, &file);

    assert_eq!(
        rounds(&with_class(&dom, "funnel-row")),
        (1..=5).collect::<Vec<_>>()
    );
    let ends = with_class(&dom, "funnel-end");
    assert_eq!(rounds(&ends), vec![6]);
    assert!(dom.contains("timeout: liar's clock ran out"));
    assert_eq!(
        rounds(&with_class(&dom, "move")),
        (1..=6).collect::<Vec<_>>()
    );
    assert_eq!(
        rounds(&with_class(&dom, "clock-move")),
        (1..=6).collect::<Vec<_>>()
    );
    assert!(dom.contains("<b>honest</b> won by timeout"));
    assert!(section(&dom, "proof").is_none());
    chromium
        .screenshot(&file, &screens().join("timeout.png"), 1440, 900)
        .expect("a screenshot");
}

#[test]
fn a_page_that_cannot_draw_says_so() {
    let Some(chromium) = chromium() else { return };
    // The data cut short: the script's JSON.parse throws, and the page must say so.
    let page = render(&fixture::finished());
    let open = r#"<script type="application/json" id="dispute-data">"#;
    let from = page.find(open).unwrap() + open.len();
    let to = from + page[from..].find("</script>").unwrap();
    let broken = format!("{}{{\"title\": {}", &page[..from], &page[to..]);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("viewer-pages");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("broken.html");
    std::fs::write(&file, broken).unwrap();
    let dom = chromium.dump_dom(&file).unwrap();
    let body = start_tags(&dom, "body");
    assert_eq!(attr(body[0], "data-rendered"), Some("error"));
    let error = start_tags(&dom, "div")
        .into_iter()
        .find(|t| t.contains("id=\"render-error\""))
        .unwrap();
    assert!(!error.contains(" hidden"), "the error is shown: {error}");
    assert!(dom.contains("The page could not be drawn: "));
}

#[test]
fn a_rejected_proof_is_shown_as_an_error() {
    let Some(chromium) = chromium() else { return };
    let mut view = fixture::finished();
    let proof = view.proof.as_mut().unwrap();
    proof.rejected = Some("BadCodePath (the code path does not reach the root)".into());
    proof.instruction = None;
    proof.post_state = None;
    proof.read.clear();
    proof.written.clear();
    proof.paths.clear();
    let file = write_page("rejected", &view);
    let dom = drawn(&chromium, &file);
    let proof = section(&dom, "proof").expect("the #proof section");
    let rejected = with_class(proof, "rejected");
    assert_eq!(rejected.len(), 1);
    assert!(proof.contains("The verifier rejected this proof: BadCodePath"));
    assert!(proof.contains("No instruction"));
    assert!(!proof.contains("the claim was refuted"));
}
