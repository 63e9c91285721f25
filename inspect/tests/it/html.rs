//! The page as text: one document, the view embedded as JSON that parses back to the view,
//! nothing fetched from anywhere, hostile text inert, the same bytes for the same view.

use fuse_inspect::html::render;
use fuse_inspect::model::DisputeView;

use crate::fixture;

const DATA_OPEN: &str = r#"<script type="application/json" id="dispute-data">"#;

/// How many times `needle` occurs in `page`, ignoring ASCII case.
fn count(page: &str, needle: &str) -> usize {
    page.to_ascii_lowercase()
        .matches(&needle.to_ascii_lowercase())
        .count()
}

/// The embedded JSON, parsed.
fn embedded(page: &str) -> serde_json::Value {
    let start = page.find(DATA_OPEN).expect("the data element") + DATA_OPEN.len();
    let len = page[start..].find("</script>").expect("its end");
    serde_json::from_str(&page[start..start + len]).expect("the embedded JSON parses")
}

fn hostile(mut view: DisputeView) -> DisputeView {
    let evil = "</script><script>alert(1)</script><!-- <img src=x onerror=alert(2)>";
    view.title = format!("t {evil}");
    view.description = format!("d {evil}");
    view.source = format!("s {evil}");
    view.parties[1].name = format!("<b>liar</b> {evil}");
    view.notes.push(format!("n {evil}"));
    view.moves[0].mismatch = Some(format!("m {evil}"));
    view
}

#[test]
fn the_page_is_one_document_with_the_view_embedded() {
    let view = fixture::finished();
    let page = render(&view);
    assert!(page.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
    assert!(page.ends_with("</html>\n"));
    for tag in [
        "<html",
        "</html>",
        "<head>",
        "<body",
        "</body>",
        "<main",
        "<noscript>",
    ] {
        assert_eq!(count(&page, tag), 1, "{tag}");
    }
    assert_eq!(count(&page, DATA_OPEN), 1);
    assert_eq!(embedded(&page), serde_json::to_value(&view).unwrap());
    // The header is in the HTML itself, before any script runs.
    for text in [
        "<title>load-balance — fuse-l2 dispute</title>",
        "load-balance</h1>",
        "The liar asserts a wrong result",
        "test-vectors/disputes/load-balance.json",
        "<b>honest</b> won by one-step proof",
        "inbox positions <b>100 .. 164</b>",
        "degree <b>16</b>",
        "clock <b>3,600 s</b>",
        "id=\"render-error\"",
    ] {
        assert!(page.contains(text), "missing {text:?}");
    }
}

#[test]
fn the_page_refers_to_nothing_outside_itself() {
    for view in [fixture::finished(), fixture::live(), fixture::timed_out()] {
        let page = render(&view);
        for needle in [
            "src=",
            "href=",
            "srcset",
            "url(",
            "@import",
            "@font-face",
            "<link",
            "<iframe",
            "<object",
            "<embed",
            "fetch(",
            "XMLHttpRequest",
            "import(",
            "WebSocket",
            "EventSource",
            "sendBeacon",
        ] {
            assert_eq!(
                count(&page, needle),
                0,
                "{needle} in the {} page",
                view.title
            );
        }
        // The one URL is the SVG namespace, a name for createElementNS and never fetched.
        let rest = page.replace("\"http://www.w3.org/2000/svg\"", "");
        assert_eq!(count(&rest, "http:"), 0);
        assert_eq!(count(&rest, "https:"), 0);
        assert_eq!(count(&rest, "file:"), 0);
    }
}

#[test]
fn hostile_text_stays_text() {
    let view = hostile(fixture::finished());
    let page = render(&view);
    // Three script elements (the data, the error hook, the viewer) and only their own ends.
    assert_eq!(count(&page, "<script"), 3);
    assert_eq!(count(&page, "</script"), 3);
    assert_eq!(count(&page, "<!--"), 0);
    assert_eq!(count(&page, "<img"), 0);
    assert_eq!(count(&page, "<b>liar</b>"), 0);
    assert!(page.contains("d &lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(page.contains(r#"\u003c/script>\u003cscript>alert(1)\u003c/script>"#));
    // Escaped, the JSON is still the view.
    assert_eq!(embedded(&page), serde_json::to_value(&view).unwrap());
}

#[test]
fn the_page_is_a_function_of_the_view() {
    let view = fixture::finished();
    assert_eq!(render(&view), render(&view.clone()));
    let mut other = view.clone();
    other.moves[3].gas = Some(1);
    assert_ne!(render(&view), render(&other));
}

#[test]
fn the_banner_says_how_it_ended_or_that_it_goes_on() {
    assert!(render(&fixture::live()).contains(">live — still being played</div>"));
    assert!(render(&fixture::timed_out()).contains("<b>honest</b> won by timeout"));
    let mut defender = fixture::finished();
    defender.outcome.as_mut().unwrap().winner = 1;
    assert!(render(&defender).contains("class=\"outcome won p1\""));
    let mut open = fixture::finished();
    open.outcome = None;
    assert!(render(&open).contains("open — no outcome recorded"));
    open.outcome = Some(fuse_inspect::model::OutcomeView {
        winner: 7,
        reason: "forfeit".into(),
    });
    assert!(render(&open).contains("party 7 won by forfeit"));
}
