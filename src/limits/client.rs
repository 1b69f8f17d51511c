//! The client's address: the TCP peer, unless the peer is a trusted proxy, in which case the
//! rightmost address in `X-Forwarded-For` that is not itself a trusted proxy. Everything left
//! of it could have been written by the client, so it is never believed.

use anyhow::Context;
use ipnet::IpNet;
use std::net::IpAddr;

#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// `10.0.0.0/8`, `192.168.1.10`, `::1`, `fd00::/8`: networks or single addresses.
    pub fn parse(entries: &[String]) -> anyhow::Result<Self> {
        let mut nets = Vec::with_capacity(entries.len());
        for entry in entries {
            let entry = entry.trim();
            let net = match entry.parse::<IpNet>() {
                Ok(net) => net,
                Err(_) => IpNet::from(entry.parse::<IpAddr>().with_context(|| {
                    format!("limits.trusted_proxies: {entry:?} is not an IP address or CIDR")
                })?),
            };
            nets.push(net);
        }
        Ok(Self(nets))
    }

    pub fn trusts(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client behind `peer`, given every `X-Forwarded-For` header value in order.
    pub fn client_ip<'a>(&self, peer: IpAddr, forwarded: impl Iterator<Item = &'a str>) -> IpAddr {
        let peer = peer.to_canonical();
        if !self.trusts(peer) {
            return peer;
        }
        let hops: Vec<&str> = forwarded.flat_map(|v| v.split(',')).collect();
        let mut client = peer;
        for hop in hops.iter().rev() {
            match parse_hop(hop) {
                Some(ip) => {
                    client = ip;
                    if !self.trusts(ip) {
                        break;
                    }
                }
                // A hop we cannot read: stop at the last one we could.
                None => break,
            }
        }
        client
    }
}

/// `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1`, `[2001:db8::1]:443`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(ip.to_canonical());
    }
    hop.parse::<std::net::SocketAddr>()
        .ok()
        .map(|a| a.ip().to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxies(list: &[&str]) -> TrustedProxies {
        TrustedProxies::parse(&list.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        let p = proxies(&["10.0.0.0/8"]);
        assert_eq!(
            p.client_ip(ip("203.0.113.9"), ["1.1.1.1"].into_iter()),
            ip("203.0.113.9")
        );
        assert_eq!(
            proxies(&[]).client_ip(ip("127.0.0.1"), ["1.1.1.1"].into_iter()),
            ip("127.0.0.1")
        );
    }

    #[test]
    fn a_trusted_peer_names_the_rightmost_untrusted_hop() {
        let p = proxies(&["10.0.0.0/8", "192.168.1.10"]);
        let client = p.client_ip(
            ip("10.1.2.3"),
            ["6.6.6.6, 198.51.100.7", "192.168.1.10"].into_iter(),
        );
        assert_eq!(
            client,
            ip("198.51.100.7"),
            "the spoofed leftmost hop is ignored"
        );
        assert_eq!(
            p.client_ip(ip("10.1.2.3"), std::iter::empty()),
            ip("10.1.2.3")
        );
        assert_eq!(
            p.client_ip(ip("10.1.2.3"), ["garbage"].into_iter()),
            ip("10.1.2.3")
        );
        assert_eq!(
            p.client_ip(ip("10.1.2.3"), ["[2001:db8::1]:443"].into_iter()),
            ip("2001:db8::1")
        );
    }

    #[test]
    fn ipv4_mapped_peers_match_ipv4_networks() {
        let p = proxies(&["127.0.0.1"]);
        assert!(p.trusts(ip("::ffff:127.0.0.1")));
    }

    #[test]
    fn a_bad_entry_is_refused() {
        let bad = TrustedProxies::parse(&["10.0.0.0/33".to_string()]);
        assert!(bad.is_err());
        assert!(TrustedProxies::parse(&["nginx".to_string()]).is_err());
    }
}
