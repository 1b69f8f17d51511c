//! The client's address (behind trusted proxies, `limits.trusted_proxies`) and User-Agent, as
//! limits count them and the phone shows them.

use poem::Request;
use std::net::IpAddr;
use std::sync::Arc;

/// The client's address and User-Agent, as shown on the phone.
pub fn client_of(req: &Request) -> (String, String) {
    let ip = client_ip(req).map_or_else(|| "unknown".into(), |ip| ip.to_string());
    let user_agent: String = req
        .header("User-Agent")
        .unwrap_or("")
        .chars()
        .take(256)
        .collect();
    (ip, user_agent)
}

/// The client's address: the TCP peer, or the client a trusted proxy forwards for
/// (`limits.trusted_proxies`). What limits count and what the phone shows.
pub fn client_ip(req: &Request) -> Option<IpAddr> {
    let peer = req.remote_addr().as_socket_addr()?.ip();
    let forwarded = req
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok());
    Some(match req.data::<Arc<crate::login::Saoma>>() {
        Some(saoma) => saoma.client_ip(peer, forwarded),
        None => peer.to_canonical(),
    })
}
