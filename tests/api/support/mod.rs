//! What the tests share: Saoma on port 0, relying parties and browsers, official-account pushes, throwaway Redis servers, instance pairs, a webhook receiver.
pub mod helpers;
pub mod oa_helpers;
pub mod oidc_helpers;
pub mod redis_pair;
pub mod redis_server;
pub mod webhook_receiver;
