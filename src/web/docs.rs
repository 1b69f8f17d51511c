//! `/docs` (Swagger UI with the whole spec inlined, ~1.9 MB) and `/openapi.json`, rendered
//! once and served from shared bytes with their headers ready: a response holds a reference to
//! the page, not a copy, however many slow readers are fetching it, and the page's CSP (its
//! inline blocks by hash) is computed once, not per request.

use super::headers::csp_for_page;
use bytes::Bytes;
use poem::endpoint::make_sync;
use poem::http::{HeaderValue, header};
use poem::{Endpoint, IntoResponse, Request, Response, Route};
use std::sync::OnceLock;

/// A page rendered once: its bytes and the headers every response of it carries.
#[derive(Clone)]
struct Rendered {
    body: Bytes,
    content_type: HeaderValue,
    /// For HTML: the policy that allows exactly the page's inline blocks.
    csp: Option<HeaderValue>,
}

impl Rendered {
    fn new(body: Bytes, content_type: HeaderValue) -> Self {
        let is_html = content_type
            .to_str()
            .is_ok_and(|t| t.starts_with("text/html"));
        let csp = is_html
            .then(|| std::str::from_utf8(&body).ok())
            .flatten()
            .and_then(|html| HeaderValue::from_str(&csp_for_page(html)).ok());
        Self {
            body,
            content_type,
            csp,
        }
    }

    fn response(&self) -> Response {
        let mut response = Response::builder().body(self.body.clone());
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, self.content_type.clone());
        if let Some(csp) = &self.csp {
            headers.insert(header::CONTENT_SECURITY_POLICY, csp.clone());
        }
        response
    }
}

/// One rendered page and its type.
fn shared(page: Bytes, content_type: &'static str) -> impl Endpoint<Output = Response> {
    let page = Rendered::new(page, HeaderValue::from_static(content_type));
    make_sync(move |_| page.response())
}

/// A static page another library serves (Swagger UI's OAuth receiver): rendered by `inner` on
/// the first request it answers with success, then served from that rendering like [`shared`]
/// pages.
struct RenderedOnce<E> {
    inner: E,
    page: OnceLock<Rendered>,
}

impl<E: Endpoint> Endpoint for RenderedOnce<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        if let Some(page) = self.page.get() {
            return Ok(page.response());
        }
        let response = self.inner.call(req).await?.into_response();
        if !response.status().is_success() {
            return Ok(response);
        }
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .cloned()
            .unwrap_or(HeaderValue::from_static("text/html; charset=utf-8"));
        let body = response.into_body().into_bytes().await?;
        let page = self.page.get_or_init(|| Rendered::new(body, content_type));
        Ok(page.response())
    }
}

/// `/openapi.json`: the document `spec`.
pub fn document(spec: String) -> impl Endpoint<Output = Response> {
    shared(spec.into(), "application/json")
}

/// What is nested at `/docs`: the Swagger UI page `ui_html`, and `ui` for its OAuth receiver.
pub fn docs(ui_html: String, ui: impl Endpoint + 'static) -> Route {
    Route::new()
        .at("/", shared(ui_html.into(), "text/html; charset=utf-8"))
        .at(
            "/oauth-receiver.html",
            RenderedOnce {
                inner: ui,
                page: OnceLock::new(),
            },
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use poem::{IntoResponse, Request};

    async fn get(route: &Route, path: &str) -> Response {
        let request = Request::builder().uri(path.parse().unwrap()).finish();
        route.call(request).await.unwrap().into_response()
    }

    async fn body(route: &Route, path: &str) -> Bytes {
        get(route, path)
            .await
            .into_body()
            .into_bytes()
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn every_response_is_the_one_rendered_page_not_a_copy() {
        let page = "<html>".repeat(100_000);
        let route = Route::new()
            .nest("/docs", docs(page.clone(), make_sync(|_| "receiver")))
            .at("/openapi.json", document("{}".into()));
        let (a, b) = (body(&route, "/docs").await, body(&route, "/docs").await);
        assert!(a == page.as_bytes(), "the page");
        assert_eq!(a.as_ptr(), b.as_ptr(), "the same bytes, shared");
        let (a, b) = (
            body(&route, "/openapi.json").await,
            body(&route, "/openapi.json").await,
        );
        assert_eq!((&a[..], a.as_ptr()), (&b"{}"[..], b.as_ptr()));
        assert!(body(&route, "/docs/oauth-receiver.html").await == "receiver");
        assert!(body(&route, "/docs/").await == page.as_bytes());
    }

    #[tokio::test]
    async fn pages_carry_their_own_policy_computed_when_rendered() {
        let page = "<style>a{}</style><script>go()</script>".to_string();
        let receiver = make_sync(|_| {
            Response::builder()
                .content_type("text/html; charset=utf-8")
                .body("<script>back()</script>")
        });
        let route = Route::new()
            .nest("/docs", docs(page.clone(), receiver))
            .at("/openapi.json", document("{}".into()));

        let ui = get(&route, "/docs/").await;
        assert_eq!(
            ui.headers()[header::CONTENT_SECURITY_POLICY],
            csp_for_page(&page).as_str()
        );
        for _ in 0..2 {
            let receiver = get(&route, "/docs/oauth-receiver.html").await;
            assert_eq!(
                receiver.headers()[header::CONTENT_SECURITY_POLICY],
                csp_for_page("<script>back()</script>").as_str()
            );
            assert_eq!(
                receiver.into_body().into_bytes().await.unwrap(),
                "<script>back()</script>"
            );
        }
        let json = get(&route, "/openapi.json").await;
        assert!(!json.headers().contains_key(header::CONTENT_SECURITY_POLICY));
    }
}
