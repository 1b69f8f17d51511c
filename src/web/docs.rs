//! `/docs` (Swagger UI with the whole spec inlined, ~1.7 MB) and `/openapi.json`, rendered
//! once at start and served from shared bytes: a response holds a reference to the page, not
//! a copy, however many slow readers are fetching it.

use bytes::Bytes;
use poem::endpoint::make_sync;
use poem::{Endpoint, Response, Route};

/// One rendered page and its type.
fn shared(page: Bytes, content_type: &'static str) -> impl Endpoint<Output = Response> {
    make_sync(move |_| {
        Response::builder()
            .content_type(content_type)
            .body(page.clone())
    })
}

/// `/openapi.json`: the document `spec`.
pub fn document(spec: String) -> impl Endpoint<Output = Response> {
    shared(spec.into(), "application/json")
}

/// What is nested at `/docs`: the Swagger UI page `ui_html`, and `ui` for its OAuth receiver.
pub fn docs(ui_html: String, ui: impl Endpoint + 'static) -> Route {
    Route::new()
        .at("/", shared(ui_html.into(), "text/html; charset=utf-8"))
        .at("/oauth-receiver.html", ui)
}

#[cfg(test)]
mod tests {
    use super::*;
    use poem::{IntoResponse, Request};

    async fn body(route: &Route, path: &str) -> Bytes {
        let request = Request::builder().uri(path.parse().unwrap()).finish();
        let response = route.call(request).await.unwrap().into_response();
        response.into_body().into_bytes().await.unwrap()
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
}
