//! Provider URLs carry API keys: they are shown without them.

/// `url` with its path and query replaced by `…`: providers put the API key there
/// (`https://mainnet.infura.io/v3/<key>`), and logs must not carry it.
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return "<url>".into();
    };
    let rest = &url[scheme_end + 3..];
    let host_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    // Credentials before the host (`user:pass@host`) go too.
    let host = rest[..host_end].rsplit('@').next().unwrap_or("");
    let hidden = if host_end < rest.len() { "/…" } else { "" };
    format!("{}://{host}{hidden}", &url[..scheme_end])
}

/// `text` with every URL in it redacted ([`redact_url`]): reqwest names the URL in its errors.
pub(super) fn redact_urls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("http") {
        let (before, from) = rest.split_at(i);
        out.push_str(before);
        let end = from
            .find(|c: char| c.is_whitespace() || c == ')' || c == '"')
            .unwrap_or(from.len());
        let token = &from[..end];
        if token.starts_with("http://") || token.starts_with("https://") {
            out.push_str(&redact_url(token));
        } else {
            out.push_str(token);
        }
        rest = &from[end..];
    }
    out.push_str(rest);
    out
}
