//! Security headers on every response, in one place: `X-Content-Type-Options: nosniff` and
//! `Referrer-Policy: no-referrer` everywhere; a Content-Security-Policy on every HTML page.
//! Pages that set their own policy (the demo page, the website callback's pages, the sandbox's
//! QR page) keep it; any other page (the phone simulator, `/docs`) gets one that allows exactly
//! its own inline scripts and styles, by hash, computed from the page itself, so that the page
//! can change without the policy going stale.

use poem::http::{HeaderValue, header};
use poem::{Endpoint, IntoResponse, Request, Response};

/// Add the security headers to whatever `next` answers.
pub async fn security_headers<E: Endpoint>(next: E, req: Request) -> poem::Result<Response> {
    let mut response = next.call(req).await?.into_response();
    base_headers(&mut response);
    let is_html = response
        .content_type()
        .is_some_and(|t| t.starts_with("text/html"));
    if !is_html
        || response
            .headers()
            .contains_key(header::CONTENT_SECURITY_POLICY)
    {
        return Ok(response);
    }
    let (parts, body) = response.into_parts();
    let html = body.into_string().await.unwrap_or_default();
    let mut response = Response::from_parts(parts, html.clone().into());
    if let Ok(csp) = HeaderValue::from_str(&csp_for_page(&html)) {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    Ok(response)
}

/// The headers every response carries (unless it set its own).
pub fn base_headers(response: &mut Response) {
    let headers = response.headers_mut();
    headers
        .entry(header::X_CONTENT_TYPE_OPTIONS)
        .or_insert(HeaderValue::from_static("nosniff"));
    headers
        .entry(header::REFERRER_POLICY)
        .or_insert(HeaderValue::from_static("no-referrer"));
}

/// A strict policy for `html`: nothing from elsewhere, its inline `<script>` and `<style>`
/// blocks allowed by hash, images from this origin or data URLs, calls to this origin only.
pub fn csp_for_page(html: &str) -> String {
    let scripts = hashes(html, "script");
    let styles = hashes(html, "style");
    let list = |hashes: &[String]| {
        if hashes.is_empty() {
            "'none'".to_string()
        } else {
            hashes
                .iter()
                .map(|h| format!("'{h}'"))
                .collect::<Vec<_>>()
                .join(" ")
        }
    };
    format!(
        "default-src 'none'; script-src {}; style-src {}; img-src 'self' data:; \
         connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        list(&scripts),
        list(&styles)
    )
}

/// `sha256-...` of the content of every inline `<tag ...>...</tag>` (not ones with `src`).
fn hashes(html: &str, tag: &str) -> Vec<String> {
    let open = format!("<{tag}");
    let close = format!("</{tag}>");
    let mut found = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find(&open) {
        let after = &rest[start + open.len()..];
        // `<scripts>` or `<styles>` is another tag.
        if !after.starts_with(['>', ' ', '\t', '\n', '\r']) {
            rest = after;
            continue;
        }
        let Some(tag_end) = after.find('>') else {
            break;
        };
        let attributes = &after[..tag_end];
        let body = &after[tag_end + 1..];
        let Some(body_end) = body.find(&close) else {
            break;
        };
        if !attributes.contains("src=") {
            let hash = crate::html::csp_hash(&body.as_bytes()[..body_end]);
            if !found.contains(&hash) {
                found.push(hash);
            }
        }
        rest = &body[body_end + close.len()..];
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use sha2::{Digest, Sha256};

    #[test]
    fn inline_blocks_are_allowed_by_hash_and_external_scripts_are_not() {
        let html = "<html><head><style>a{}</style><script src=\"/x.js\"></script></head>\
                    <body><script type=\"module\">go()</script><scripts></body></html>";
        let csp = csp_for_page(html);
        let sha = |s: &str| {
            base64::engine::general_purpose::STANDARD.encode(Sha256::digest(s.as_bytes()))
        };
        assert!(
            csp.contains(&format!("script-src 'sha256-{}';", sha("go()"))),
            "{csp}"
        );
        assert!(
            csp.contains(&format!("style-src 'sha256-{}';", sha("a{}"))),
            "{csp}"
        );
        assert!(
            !csp.contains(&sha("")),
            "the external script's empty body is not allowed"
        );
        assert!(csp.contains("frame-ancestors 'none'"));
    }

    #[test]
    fn a_page_without_inline_code_allows_none() {
        let csp = csp_for_page("<p>hi</p>");
        assert!(csp.contains("script-src 'none'; style-src 'none'"));
    }
}
