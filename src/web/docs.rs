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

/// Add `/docs` (the Swagger UI page `ui_html`; `ui` for its OAuth receiver page) and `/openapi.json`
/// (`spec`) to `route`.
pub fn mount_docs(
    route: Route,
    ui_html: String,
    spec: String,
    ui: impl Endpoint + 'static,
) -> Route {
    let docs = Route::new()
        .at("/", shared(ui_html.into(), "text/html; charset=utf-8"))
        .at("/oauth-receiver.html", ui);
    route
        .nest("/docs", docs)
        .at("/openapi.json", shared(spec.into(), "application/json"))
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
        let route = mount_docs(
            Route::new(),
            page.clone(),
            "{}".into(),
            make_sync(|_| "receiver"),
        );
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
