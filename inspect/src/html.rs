//! The dispute viewer's page: one self-contained HTML document per [`DisputeView`].
//!
//! The header (title, description, source, outcome) is written here so that the page says
//! what it is even without scripts; everything else (the bisection funnel, the clocks, the
//! gas, the moves, the one-step proof and the disputed step) is drawn by the inline script
//! from the view embedded as JSON. CSS, script and data are all inline and nothing refers to
//! another resource, so the page opens from a file with no server and no network.
//!
//! [`render`] is a pure function of the view: no clock, no randomness, the same bytes for the
//! same view.

use std::fmt::Write as _;

use crate::model::DisputeView;

const CSS: &str = include_str!("../assets/viewer.css");
const CHARTS_JS: &str = include_str!("../assets/viewer-charts.js");
const TABLES_JS: &str = include_str!("../assets/viewer-tables.js");

/// Runs before the viewer's script, so that even a script that fails to parse leaves the page
/// saying so (and a test seeing `data-rendered="error"`).
const ERROR_HOOK_JS: &str = r#"window.addEventListener("error", function (e) {
  document.body.dataset.rendered = "error";
  var box = document.getElementById("render-error");
  box.textContent = "The page could not be drawn: " + (e.message || e);
  box.hidden = false;
});"#;

/// The page of `view`: an HTML document with the view embedded as JSON in
/// `<script type="application/json" id="dispute-data">`.
pub fn render(view: &DisputeView) -> String {
    let mut page = String::with_capacity(CSS.len() + CHARTS_JS.len() + TABLES_JS.len() + 16_384);
    page.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    page.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    // Defence in depth: even text that got past the escaping could load nothing and send
    // nothing; the page needs only its own inline script and style.
    page.push_str(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:\">\n",
    );
    let _ = writeln!(
        page,
        "<title>{} — fuse-l2 dispute</title>",
        escape(&view.title)
    );
    let _ = writeln!(page, "<style>\n{CSS}</style>\n</head>\n<body>");
    header(&mut page, view);
    page.push_str(
        "<noscript><p class=\"noscript\">The funnel, the clocks, the gas, the moves and the \
         proof are drawn by this page's inline script: enable JavaScript to see them. The \
         data is in the page, as JSON.</p></noscript>\n",
    );
    page.push_str("<div id=\"render-error\" class=\"render-error\" role=\"alert\" hidden></div>\n");
    page.push_str("<main id=\"viewer\"></main>\n");
    let _ = writeln!(
        page,
        "<script type=\"application/json\" id=\"dispute-data\">{}</script>",
        embedded_json(view)
    );
    let _ = writeln!(page, "<script>\n{ERROR_HOOK_JS}\n</script>");
    let _ = writeln!(
        page,
        "<script>\n(function () {{\n\"use strict\";\n{CHARTS_JS}\n{TABLES_JS}\n}})();\n</script>"
    );
    page.push_str("</body>\n</html>\n");
    page
}

/// The view as JSON fit to sit inside a `<script>` element: every `<` is written `\u003c`
/// (still the same JSON string), so no `</script>` or `<!--` in a name or a description can
/// end or alter the element.
pub fn embedded_json(view: &DisputeView) -> String {
    let json = serde_json::to_string(view).expect("a dispute view is plain data");
    json.replace('<', "\\u003c")
}

fn header(page: &mut String, view: &DisputeView) {
    page.push_str("<header class=\"page-head\">\n<div class=\"title-row\">\n");
    let _ = writeln!(
        page,
        "<h1><span class=\"kicker\">fuse-l2 dispute</span> {}</h1>",
        escape(&view.title)
    );
    let (class, banner) = outcome_banner(view);
    let _ = writeln!(
        page,
        "<div class=\"outcome {class}\" id=\"outcome\">{banner}</div>"
    );
    page.push_str("</div>\n");
    let _ = writeln!(
        page,
        "<p class=\"description\">{}</p>",
        escape(&view.description)
    );
    let _ = writeln!(
        page,
        "<p class=\"facts\"><span>source <b>{}</b></span> <span>module <code class=\"hash\" \
         title=\"{root}\">{}</code></span> <span>inbox positions <b>{} .. {}</b></span> \
         <span>degree <b>{}</b></span> <span>clock <b>{} s</b> each</span></p>",
        escape(&view.source),
        short_hex(&view.module_root.to_string()),
        view.range.0,
        view.range.1,
        view.degree,
        thousands(view.clock),
        root = view.module_root,
    );
    page.push_str("<p class=\"parties\">");
    for (i, p) in view.parties.iter().enumerate() {
        let _ = write!(
            page,
            "<span class=\"party p{i}\"><span class=\"swatch\"></span><b>{}</b> {} \
             <code title=\"{addr}\">{}</code></span> ",
            escape(&p.name),
            escape(&p.role),
            escape(&short_hex(&p.address)),
            addr = escape(&p.address),
        );
    }
    page.push_str("</p>\n</header>\n");
}

/// The banner's class and its (escaped) text.
fn outcome_banner(view: &DisputeView) -> (&'static str, String) {
    if view.live {
        return ("live", "live — still being played".into());
    }
    let Some(outcome) = &view.outcome else {
        return ("open", "open — no outcome recorded".into());
    };
    let reason = escape(&outcome.reason);
    match view.parties.get(outcome.winner) {
        Some(p) => (
            if outcome.winner == 0 {
                "won p0"
            } else {
                "won p1"
            },
            format!(
                "<b>{}</b> won by {reason} <span class=\"role\">({})</span>",
                escape(&p.name),
                escape(&p.role)
            ),
        ),
        None => ("open", format!("party {} won by {reason}", outcome.winner)),
    }
}

/// `0x1234…abcd` for a long hex string; shorter strings unchanged.
fn short_hex(s: &str) -> String {
    if s.len() > 14 && s.is_char_boundary(6) && s.is_char_boundary(s.len() - 4) {
        format!("{}…{}", &s[..6], &s[s.len() - 4..])
    } else {
        s.to_string()
    }
}

/// `n` with a comma between thousands (`1,234,567`), as the pages and the replay table write
/// gas and seconds.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Text made safe for HTML content and quoted attribute values.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{escape, short_hex, thousands};

    #[test]
    fn helpers_write_what_the_header_needs() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(4_294_967_296), "4,294,967,296");
        assert_eq!(short_hex("0x1234567890abcdef1234"), "0x1234…1234");
        assert_eq!(short_hex("0x12"), "0x12");
        assert_eq!(
            escape("<a href='x'>&\"</a>"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;"
        );
    }
}
