//! The HTTP edge kit that `api` and `oidc` both use and neither owns: the error codes and
//! their statuses (`error`, `error_status`), each operation's error list (`op_error`), the
//! public JSON answer (`public_json`), the cookies (`cookies`) and the client's address
//! (`client`). It may use the login core (its `Error`), never `api` or `oidc`.

mod client;
mod cookies;
pub(crate) mod error;
mod error_status;
pub(crate) mod op_error;
pub(crate) mod public_json;

pub use client::{client_ip, client_of};
pub use cookies::{CallbackCookie, ExtraCookie, PollCookie, with_extra_cookie};
pub use error::{ApiError, ErrorBody, ErrorCode, json_errors};
