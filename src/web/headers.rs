//! Security headers on every response, in one place: `X-Content-Type-Options: nosniff` and
//! `Referrer-Policy: no-referrer` everywhere; a Content-Security-Policy on every HTML page.
//!
//! Each page brings its own policy: the demo page, the callback pages and the OpenID pages
//! write theirs, and static pages with inline code (`/docs`) get one computed once, from the
//! page itself, when they are rendered ([`csp_for_page`]). The middleware never reads a body:
//! an HTML page that came without a policy gets [`FALLBACK_CSP`], which allows no inline code
//! at all, so a page that forgot its policy breaks visibly instead of running unchecked.

use poem::http::{HeaderValue, header};
use poem::{Endpoint, IntoResponse, Request, Response};

/// For an HTML page that brought no policy: [`csp_for_page`] of a page with no inline code.
pub const FALLBACK_CSP: &str = "default-src 'none'; script-src 'none'; style-src 'none'; \
     img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; \
     frame-ancestors 'none'";

/// Add the security headers to whatever `next` answers, without touching its body.
pub async fn security_headers<E: Endpoint>(next: E, req: Request) -> poem::Result<Response> {
    let mut response = next.call(req).await?.into_response();
    base_headers(&mut response);
    let is_html = response
        .content_type()
        .is_some_and(|t| t.starts_with("text/html"));
    if is_html {
        response
            .headers_mut()
            .entry(header::CONTENT_SECURITY_POLICY)
            .or_insert(HeaderValue::from_static(FALLBACK_CSP));
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
    fn a_page_without_inline_code_allows_none_as_the_fallback_does() {
        let csp = csp_for_page("<p>hi</p>");
        assert!(csp.contains("script-src 'none'; style-src 'none'"));
        assert_eq!(csp, FALLBACK_CSP);
    }

    #[tokio::test]
    async fn an_html_page_without_a_policy_gets_the_fallback_and_keeps_its_body() {
        use poem::EndpointExt;
        use poem::endpoint::make_sync;
        let page = bytes::Bytes::from("<script>go()</script>".repeat(1000));
        let served = page.clone();
        let endpoint = make_sync(move |_| {
            Response::builder()
                .content_type("text/html; charset=utf-8")
                .body(served.clone())
        })
        .around(security_headers);
        let response = endpoint.call(Request::default()).await.unwrap();
        assert_eq!(
            response.headers()[header::CONTENT_SECURITY_POLICY],
            FALLBACK_CSP
        );
        let body = response.into_body().into_bytes().await.unwrap();
        assert_eq!(
            body.as_ptr(),
            page.as_ptr(),
            "the body passed through, not copied"
        );
    }
}
