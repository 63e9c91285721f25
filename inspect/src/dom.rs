//! Reading a page's DOM as headless Chromium left it ([`crate::browser::Chromium::dump_dom`]),
//! for tests: the start tags of elements by name or class, an attribute, a section by id, and
//! the check that the page's script drew everything (`data-rendered="ok"`). Plain string
//! scanning is enough for the DOM Chromium serializes (attributes always double-quoted); a
//! full HTML parser would be a dependency for no gain here.

use std::path::Path;

use crate::browser::Chromium;

/// The DOM the page's script left, with script and style elements taken out (their text is
/// not markup), after checking that it says it drew everything.
pub fn drawn(chromium: &Chromium, file: &Path) -> String {
    let dom = chromium
        .dump_dom(file)
        .expect("headless Chromium dumps the DOM");
    let body = start_tags(&dom, "body");
    assert_eq!(body.len(), 1);
    if attr(body[0], "data-rendered") != Some("ok") {
        let error = dom
            .find("id=\"render-error\"")
            .map_or("", |i| &dom[i..(i + 400).min(dom.len())]);
        panic!("the page did not draw: {:?} {error}", body[0]);
    }
    strip(&strip(&dom, "script"), "style")
}

/// `dom` without the content of its `name` elements.
pub fn strip(dom: &str, name: &str) -> String {
    let (open, close) = (format!("<{name}"), format!("</{name}>"));
    let mut out = String::new();
    let mut rest = dom;
    while let Some(i) = rest.find(&open) {
        out.push_str(&rest[..i]);
        let end = rest[i..]
            .find(&close)
            .map_or(rest.len(), |e| i + e + close.len());
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// The start tags of the elements named `name`.
pub fn start_tags<'a>(dom: &'a str, name: &str) -> Vec<&'a str> {
    let open = format!("<{name}");
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(i) = dom[at..].find(&open) {
        let from = at + i;
        let end = dom[from..].find('>').map_or(dom.len(), |e| from + e + 1);
        let next = dom.as_bytes().get(from + open.len()).copied();
        if matches!(next, Some(b' ' | b'>' | b'/')) {
            out.push(&dom[from..end]);
        }
        at = from + 1;
    }
    out
}

/// The start tags of the elements whose class list holds `class`.
pub fn with_class<'a>(dom: &'a str, class: &str) -> Vec<&'a str> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(i) = dom[at..].find('<') {
        let from = at + i;
        let end = dom[from..].find('>').map_or(dom.len(), |e| from + e + 1);
        let tag = &dom[from..end];
        if attr(tag, "class").is_some_and(|c| c.split_whitespace().any(|c| c == class)) {
            out.push(tag);
        }
        at = end;
    }
    out
}

/// The value of attribute `name` in start tag `tag`.
pub fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let key = format!(" {name}=\"");
    let from = tag.find(&key)? + key.len();
    let len = tag[from..].find('"')?;
    Some(&tag[from..from + len])
}

/// The `data-round` of each tag, as numbers.
pub fn rounds(tags: &[&str]) -> Vec<u64> {
    tags.iter()
        .map(|t| attr(t, "data-round").expect("data-round").parse().unwrap())
        .collect()
}

/// The section with id `id`, up to its end.
pub fn section<'a>(dom: &'a str, id: &str) -> Option<&'a str> {
    let from = dom.find(&format!("<section class=\"card\" id=\"{id}\">"))?;
    let len = dom[from..].find("</section>")?;
    Some(&dom[from..from + len])
}

/// Panics unless `file` is a PNG with a picture in it (not a blank page).
pub fn assert_png(file: &Path) {
    let bytes = std::fs::read(file).unwrap();
    assert!(
        bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        "{} is a PNG",
        file.display()
    );
    assert!(
        bytes.len() > 20_000,
        "{} has a picture in it",
        file.display()
    );
}
