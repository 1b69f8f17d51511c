//! Cross-origin access for the browser SDK: pages on the origins in `[web] cors_origins` may
//! call the API with credentials. Requests from any other origin, same-origin ones included
//! (browsers send `Origin` on a same-origin POST), pass through untouched: they get no CORS
//! headers, so a foreign page cannot read the answers.

use anyhow::Context;
use poem::http::{HeaderValue, header};
use poem::middleware::Cors;
use poem::{Endpoint, EndpointExt, Request, Response};
use std::collections::HashSet;
use std::sync::Arc;

/// How long a browser may cache a preflight answer, in seconds.
const PREFLIGHT_MAX_AGE: i32 = 600;

/// Wrap `endpoint` so that the listed origins get CORS (credentials allowed, `X-Poll-Token`
/// allowed). With no origins the endpoint is returned as it was.
pub fn allow_origins(
    endpoint: poem::endpoint::BoxEndpoint<'static>,
    origins: &[String],
) -> anyhow::Result<poem::endpoint::BoxEndpoint<'static>> {
    if origins.is_empty() {
        return Ok(endpoint);
    }
    let mut allowed = HashSet::new();
    for origin in origins {
        let origin = origin.trim().trim_end_matches('/');
        let parsed = url::Url::parse(origin)
            .with_context(|| format!("web.cors_origins: {origin:?} is not an origin"))?;
        anyhow::ensure!(
            parsed.has_host() && parsed.path() == "/" && parsed.query().is_none(),
            "web.cors_origins: {origin:?} must be scheme://host[:port], without a path"
        );
        allowed.insert(HeaderValue::from_str(origin).context("web.cors_origins")?);
    }
    let plain = Arc::new(endpoint);
    let cors = Cors::new()
        .allow_origins(allowed.iter().cloned())
        .allow_credentials(true)
        .allow_methods(["GET", "POST"])
        .allow_headers(["content-type", "authorization", "x-poll-token"])
        .expose_header("retry-after")
        .max_age(PREFLIGHT_MAX_AGE);
    let with_cors = plain.clone().with(cors).boxed();
    Ok(AllowList {
        allowed,
        with_cors,
        plain,
    }
    .boxed())
}

struct AllowList {
    allowed: HashSet<HeaderValue>,
    with_cors: poem::endpoint::BoxEndpoint<'static>,
    plain: Arc<poem::endpoint::BoxEndpoint<'static>>,
}

impl Endpoint for AllowList {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        let listed = req
            .headers()
            .get(header::ORIGIN)
            .is_some_and(|origin| self.allowed.contains(origin));
        if listed {
            Ok(self.with_cors.get_response(req).await)
        } else {
            Ok(self.plain.get_response(req).await)
        }
    }
}
