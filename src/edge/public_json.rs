//! A public JSON document cacheable for 5 minutes: the JWKS (at both of its addresses) and the
//! OpenID Provider's metadata. A new key is published before it signs, so five minutes of
//! caching never hide a key that a token needs.

/// Declares `$name`, the 200 of `$body` with `Cache-Control: public, max-age=300`.
macro_rules! public_json {
    ($name:ident, $body:ty) => {
        #[derive(poem_openapi::ApiResponse)]
        pub enum $name {
            /// The document.
            #[oai(status = 200)]
            Ok(
                poem_openapi::payload::Json<$body>,
                /// `public, max-age=300`.
                #[oai(header = "Cache-Control")]
                String,
            ),
        }

        impl From<$body> for $name {
            fn from(body: $body) -> Self {
                Self::Ok(
                    poem_openapi::payload::Json(body),
                    "public, max-age=300".into(),
                )
            }
        }
    };
}
pub(crate) use public_json;
