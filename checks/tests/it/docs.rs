//! The repository's documentation is self-contained: every reference to it resolves inside the
//! repository.
//!
//! Over every `.rs`, `.sol`, `.md`, `.toml` and `.sh` file of the repository (build output,
//! installed packages, `.git` and the data in `test-vectors/` left out):
//! - a path under `docs/` (`docs/spec/inbox.md`, `docs/design.md#rule-8`) names an existing
//!   file or directory, and its `#anchor`, if any, exists in that file;
//! - in Markdown files, every relative link `[text](target)` — a pure `#anchor` included —
//!   resolves from the file's directory, anchor included;
//! - every "rule N" (and "rules N and M", "rules N, M") names a rule that docs/design.md
//!   defines, as the anchor `rule-N`;
//! - nothing cites the design brief or the toolchain notes that lived outside the repository.
//!
//! An anchor exists when the file has an explicit `<a id="…">` or a heading whose GitHub slug
//! equals it (lower case; only letters, digits, spaces, `-` and `_` kept; spaces become `-`;
//! a repeated slug gets `-1`, `-2`, …). This is a small text scan, not a Markdown or Rust
//! parser: it reads words and paths, and skips fenced code blocks only when it collects
//! headings and Markdown links. Every failure is reported at once, as `file:line: what`.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Component, Path, PathBuf};

/// File kinds scanned.
const EXTENSIONS: &[&str] = &["rs", "sol", "md", "toml", "sh"];
/// Directory names skipped wherever they are.
const SKIP_NAMES: &[&str] = &["target", "node_modules", ".git"];
/// Directories skipped, relative to the repository root.
const SKIP_PATHS: &[&str] = &[
    "contracts/lib",
    "contracts/out",
    "contracts/cache",
    "test-vectors",
];

/// Names of files outside the repository that nothing may cite. Built here so this file does
/// not match itself.
const FORBIDDEN: &[&str] = &[concat!("DESIGN", ".md"), concat!("TOOLCHAIN", ".md")];
/// The directory beside the checkout that held those files. The official WebAssembly
/// testsuite also lives there and is read by the spec-suite tests, so that one path is
/// allowed; any other reference into the directory is not.
const OUTSIDE: &str = concat!("../", "shared");
const OUTSIDE_ALLOWED: &str = "/wasm-testsuite";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the prover crate lives in the repository")
        .to_path_buf()
}

/// Every scanned file, sorted, as (absolute path, path relative to the root).
fn files(root: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in fs::read_dir(&dir).expect("readable directory") {
            let path = entry.expect("directory entry").path();
            let rel = relative(root, &path);
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                if !SKIP_NAMES.contains(&name.as_str()) && !SKIP_PATHS.contains(&rel.as_str()) {
                    dirs.push(path);
                }
            } else if path
                .extension()
                .is_some_and(|e| EXTENSIONS.contains(&e.to_string_lossy().as_ref()))
            {
                out.push((path, rel));
            }
        }
    }
    out.sort_by(|a, b| a.1.cmp(&b.1));
    out
}

fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

/// GitHub's heading slug.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

fn is_fence(line: &str) -> bool {
    let t = line.trim_start();
    t.starts_with("```") || t.starts_with("~~~")
}

/// The anchors of a Markdown text: explicit `id`s of HTML tags and heading slugs.
fn anchors(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for quote in ['"', '\''] {
        let key = format!("id={quote}");
        let mut rest = text;
        while let Some(i) = rest.find(&key) {
            let after = &rest[i + key.len()..];
            if let Some(end) = after.find(quote) {
                out.insert(after[..end].to_string());
            }
            rest = after;
        }
    }
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut fenced = false;
    for line in text.lines() {
        if is_fence(line) {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        let t = line.trim_start();
        let hashes = t.chars().take_while(|&c| c == '#').count();
        if !(1..=6).contains(&hashes) || !t[hashes..].starts_with(' ') {
            continue;
        }
        let base = slug(t[hashes..].trim().trim_end_matches('#'));
        let n = seen.entry(base.clone()).or_insert(0);
        out.insert(if *n == 0 {
            base.clone()
        } else {
            format!("{base}-{n}")
        });
        *n += 1;
    }
    out
}

/// `docs/…` paths in a line, each with its anchor (empty if none): a `docs/` that does not
/// continue another path, then path characters, then an optional `#anchor`.
fn docs_refs(line: &str) -> Vec<(String, String)> {
    let path_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/');
    let anchor_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-');
    let mut out = Vec::new();
    for (i, _) in line.match_indices("docs/") {
        if line[..i].chars().next_back().is_some_and(path_char) {
            continue;
        }
        let path_len = line[i..].find(|c| !path_char(c)).unwrap_or(line.len() - i);
        let path = line[i..i + path_len].trim_end_matches('.').to_string();
        let mut anchor = String::new();
        if line[i + path_len..].starts_with('#') {
            let rest = &line[i + path_len + 1..];
            anchor = rest[..rest.find(|c| !anchor_char(c)).unwrap_or(rest.len())].to_string();
        }
        out.push((path, anchor));
    }
    out
}

/// Markdown link targets `](target)` in a line (the target up to a space or `)`).
fn md_links(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (i, _) in line.match_indices("](") {
        let rest = &line[i + 2..];
        let end = rest.find([')', ' ']).unwrap_or(rest.len());
        let target = rest[..end].trim_start_matches('<').trim_end_matches('>');
        out.push(target.to_string());
    }
    out
}

/// Every "rule N" in a text, with its line: the word `rule` followed by a number, or `rules`
/// followed by numbers joined by commas, `and` or `or`. Words may continue on the next line,
/// past comment markers (`//!`, `///`, `#`, …), which are words of punctuation alone.
fn rule_mentions(text: &str) -> Vec<(usize, u64)> {
    let words: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .flat_map(|(n, line)| line.split_whitespace().map(move |w| (n + 1, w)))
        .filter(|(_, w)| w.chars().any(|c| c.is_alphanumeric()))
        .collect();
    let number = |w: &str| {
        let digits: String = w
            .trim_start_matches(|c: char| !c.is_alphanumeric())
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse::<u64>().ok()
    };
    let mut out = Vec::new();
    for (i, &(line, word)) in words.iter().enumerate() {
        let bare = word
            .trim_start_matches(|c: char| !c.is_alphanumeric())
            .to_lowercase();
        let plural = match bare.as_str() {
            "rule" => false,
            "rules" => true,
            _ => continue,
        };
        for &(_, next) in &words[i + 1..] {
            match number(next) {
                Some(n) => {
                    out.push((line, n));
                    // "rules 4, 5 and 6": a bare number or one with a comma continues the list.
                    let after = next
                        .trim_start_matches(|c: char| !c.is_alphanumeric())
                        .trim_start_matches(|c: char| c.is_ascii_digit());
                    if !plural || !matches!(after, "" | ",") {
                        break;
                    }
                }
                None if plural && matches!(next, "and" | "or") => {}
                None => break,
            }
        }
    }
    out
}

/// Normalizes `a/b/../c` to `a/c` without touching the file system.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    out
}

struct Checker {
    root: PathBuf,
    anchors: BTreeMap<PathBuf, BTreeSet<String>>,
    failures: Vec<String>,
}

impl Checker {
    /// Checks that `target` exists and, for a non-empty `anchor`, that the anchor is in it.
    fn resolve(&mut self, at: &str, shown: &str, target: &Path, anchor: &str) {
        let target = normalize(target);
        if !target.starts_with(&self.root) || !target.exists() {
            self.failures
                .push(format!("{at}: `{shown}`: no such file or directory"));
            return;
        }
        if anchor.is_empty() {
            return;
        }
        if target.extension().is_none_or(|e| e != "md") {
            self.failures.push(format!(
                "{at}: `{shown}`: an anchor into a non-Markdown file"
            ));
            return;
        }
        let known = self.anchors.entry(target.clone()).or_insert_with(|| {
            anchors(&fs::read_to_string(&target).expect("readable Markdown file"))
        });
        if !known.contains(anchor) {
            self.failures
                .push(format!("{at}: `{shown}`: no anchor `#{anchor}` in it"));
        }
    }
}

#[test]
fn every_docs_reference_resolves_inside_the_repository() {
    let root = root();
    let design = root.join("docs/design.md");
    let rules = anchors(&fs::read_to_string(&design).expect("docs/design.md exists"));
    let mut check = Checker {
        root: root.clone(),
        anchors: BTreeMap::new(),
        failures: Vec::new(),
    };
    let (mut scanned, mut docs_seen, mut links_seen, mut rules_seen) = (0, 0, 0, 0);

    for (path, rel) in files(&root) {
        let text = fs::read_to_string(&path).unwrap_or_default();
        let markdown = rel.ends_with(".md");
        scanned += 1;
        let mut fenced = false;
        for (n, line) in text.lines().enumerate() {
            let at = format!("{rel}:{}", n + 1);
            for name in FORBIDDEN {
                if line.contains(name) {
                    check.failures.push(format!(
                        "{at}: cites {name}, which is outside the repository"
                    ));
                }
            }
            for (i, _) in line.match_indices(OUTSIDE) {
                if !line[i + OUTSIDE.len()..].starts_with(OUTSIDE_ALLOWED) {
                    check
                        .failures
                        .push(format!("{at}: cites {OUTSIDE}, outside the repository"));
                }
            }
            for (target, anchor) in docs_refs(line) {
                docs_seen += 1;
                let shown = if anchor.is_empty() {
                    target.clone()
                } else {
                    format!("{target}#{anchor}")
                };
                check.resolve(&at, &shown, &root.join(&target), &anchor);
            }
            if !markdown {
                continue;
            }
            if is_fence(line) {
                fenced = !fenced;
                continue;
            }
            if fenced {
                continue;
            }
            for target in md_links(line) {
                if ["http://", "https://", "mailto:"]
                    .iter()
                    .any(|s| target.starts_with(s))
                {
                    continue;
                }
                links_seen += 1;
                let (file, anchor) = target.split_once('#').unwrap_or((&target, ""));
                let resolved = if file.is_empty() {
                    path.clone()
                } else if let Some(from_root) = file.strip_prefix('/') {
                    root.join(from_root)
                } else {
                    path.parent().unwrap().join(file)
                };
                check.resolve(&at, &target, &resolved, anchor);
            }
        }
        for (line, rule) in rule_mentions(&text) {
            rules_seen += 1;
            if !rules.contains(&format!("rule-{rule}")) {
                check.failures.push(format!(
                    "{rel}:{line}: rule {rule} is not defined in docs/design.md"
                ));
            }
        }
    }

    eprintln!(
        "repo_docs: {scanned} files scanned; {docs_seen} docs/ references, {links_seen} relative \
         Markdown links, {rules_seen} rule mentions checked; {} failures",
        check.failures.len()
    );
    assert!(
        scanned > 100 && docs_seen > 100 && rules_seen > 30,
        "the scan found too little"
    );
    assert!(
        check.failures.is_empty(),
        "{} broken documentation references:\n{}",
        check.failures.len(),
        check.failures.join("\n")
    );
}

#[test]
fn the_scanner_reads_what_it_claims_to() {
    assert_eq!(
        slug("Rule 8 — every keccak input is a preimage"),
        "rule-8--every-keccak-input-is-a-preimage"
    );
    assert_eq!(slug("`fuse_chainInfo()`"), "fuse_chaininfo");
    let a = anchors("<a id=\"rule-3\"></a>\n## Open\n```\n# not a heading\n```\n### Open\n");
    assert_eq!(
        a,
        BTreeSet::from(["rule-3".into(), "open".into(), "open-1".into()])
    );
    assert_eq!(
        docs_refs("see docs/spec/inbox.md. and (docs/design.md#rule-8), not x/docs/a.md"),
        vec![
            ("docs/spec/inbox.md".to_string(), String::new()),
            ("docs/design.md".to_string(), "rule-8".to_string())
        ]
    );
    assert_eq!(
        md_links("[a](b.md#c) and [`d`](../e/ \"t\")"),
        vec!["b.md#c", "../e/"]
    );
    let text =
        "(rules 8 and 9), rule\n/// 3; [rules 4](x), [5](y); the rule that…; Rules 1, 2 or 6.";
    let found: Vec<u64> = rule_mentions(text).into_iter().map(|(_, n)| n).collect();
    assert_eq!(found, vec![8, 9, 3, 4, 1, 2, 6]);
}
