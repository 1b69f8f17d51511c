//! The SSRF guard: a webhook URL is chosen by whoever configures an endpoint, and Saoma sits
//! inside a network. Only https (http with `allow_http`, or to loopback in sandbox mode); no
//! redirects (the client follows none); and no private, loopback, link-local or otherwise
//! non-public address unless `allow_private_networks` (loopback in sandbox mode). The address
//! is checked where it is connected to: names by the client's resolver ([`GuardedResolver`]),
//! so a name that resolves to a public address when checked and to a private one when
//! connecting (DNS rebinding) is still refused; literal addresses by [`Policy::check_url`].

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

/// Which URLs and addresses are allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub allow_http: bool,
    pub allow_private_networks: bool,
    /// Sandbox mode: http to loopback, and loopback addresses, are allowed.
    pub sandbox: bool,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Refused {
    #[error("is not a URL")]
    NotAUrl,
    #[error("must be https (http needs webhook_delivery.allow_http, or loopback in sandbox mode)")]
    NotHttps,
    #[error(
        "names a private, loopback or link-local address {0} (allowed only with \
         webhook_delivery.allow_private_networks)"
    )]
    PrivateAddress(IpAddr),
    #[error("must not carry a user name or password")]
    Credentials,
}

impl Policy {
    /// Scheme, host and (for a literal address) the address. Checked when an endpoint is
    /// configured or created, and again before every attempt.
    pub fn check_url(&self, raw: &str) -> Result<url::Url, Refused> {
        let url = url::Url::parse(raw).map_err(|_| Refused::NotAUrl)?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Refused::Credentials);
        }
        let literal = match url.host() {
            Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
            Some(url::Host::Domain(_)) => None,
            None => return Err(Refused::NotAUrl),
        };
        let loopback_host = match (literal, url.host_str()) {
            (Some(ip), _) => ip.is_loopback(),
            (None, Some(host)) => host.eq_ignore_ascii_case("localhost"),
            (None, None) => false,
        };
        match url.scheme() {
            "https" => {}
            "http" if self.allow_http || (self.sandbox && loopback_host) => {}
            _ => return Err(Refused::NotHttps),
        }
        if let Some(ip) = literal {
            self.check_address(ip)?;
        }
        Ok(url)
    }

    pub fn check_address(&self, ip: IpAddr) -> Result<(), Refused> {
        let allowed = self.allow_private_networks
            || is_public(ip)
            || (self.sandbox && canonical(ip).is_loopback());
        if allowed {
            Ok(())
        } else {
            Err(Refused::PrivateAddress(ip))
        }
    }
}

/// An IPv4 address mapped into IPv6 is judged as IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// Reachable on the public internet: none of the special-purpose ranges (RFC 6890 and
/// successors) that lead into a private network or to the host itself.
pub fn is_public(ip: IpAddr) -> bool {
    match canonical(ip) {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT), RFC 6598
        || (a == 192 && b == 0 && ip.octets()[2] == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240) // reserved
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    // NAT64 (64:ff9b::/96) reaches the IPv4 address it embeds.
    if ip.segments()[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let [.., a, b, c, d] = ip.octets();
        return is_public_v4(Ipv4Addr::new(a, b, c, d));
    }
    // 6to4 (2002::/16) too, through a relay: the IPv4 address follows the prefix (RFC 3056).
    if first == 0x2002 {
        let [_, _, a, b, c, d, ..] = ip.octets();
        return is_public_v4(Ipv4Addr::new(a, b, c, d));
    }
    // The local-use NAT64 prefix (64:ff9b:1::/48, RFC 8215) is a network's own translator,
    // to any IPv4 address it chooses: never global.
    if ip.segments()[..3] == [0x64, 0xff9b, 1] {
        return false;
    }
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local
        || (first & 0xffc0) == 0xfe80 // link-local
        || (first & 0xffc0) == 0xfec0 // site-local (deprecated)
        || ip.segments()[..6] == [0; 6] // ::a.b.c.d (deprecated IPv4-compatible)
        || first == 0x2001 && ip.segments()[1] == 0x0db8) // documentation
}

/// The client's resolver: a name's addresses that the policy refuses are dropped; a name left
/// with none fails the attempt, naming the address and the setting.
#[derive(Debug, Clone)]
pub struct GuardedResolver(pub Policy);

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.0;
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            let mut refused = None;
            let allowed: Vec<SocketAddr> = found
                .into_iter()
                .filter(|addr| match policy.check_address(addr.ip()) {
                    Ok(()) => true,
                    Err(e) => {
                        refused = Some(e);
                        false
                    }
                })
                .collect();
            if allowed.is_empty() {
                let why: Box<dyn std::error::Error + Send + Sync> = match refused {
                    Some(e) => Box::new(e),
                    None => "the name has no address".into(),
                };
                return Err(why);
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

impl GuardedResolver {
    pub fn shared(policy: Policy) -> Arc<Self> {
        Arc::new(Self(policy))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STRICT: Policy = Policy {
        allow_http: false,
        allow_private_networks: false,
        sandbox: false,
    };

    #[test]
    fn only_https_unless_allowed() {
        assert!(STRICT.check_url("https://hooks.example.com/in").is_ok());
        assert_eq!(
            STRICT.check_url("http://hooks.example.com/in"),
            Err(Refused::NotHttps)
        );
        assert_eq!(
            STRICT.check_url("ftp://hooks.example.com/"),
            Err(Refused::NotHttps)
        );
        let sandbox = Policy {
            sandbox: true,
            ..STRICT
        };
        assert!(sandbox.check_url("http://127.0.0.1:9000/in").is_ok());
        assert!(sandbox.check_url("http://localhost:9000/in").is_ok());
        assert_eq!(
            sandbox.check_url("http://hooks.example.com/in"),
            Err(Refused::NotHttps)
        );
        let http = Policy {
            allow_http: true,
            ..STRICT
        };
        assert!(http.check_url("http://hooks.example.com/in").is_ok());
        assert_eq!(
            STRICT.check_url("https://user:pw@hooks.example.com/"),
            Err(Refused::Credentials)
        );
    }

    #[test]
    fn private_and_link_local_addresses_are_refused_unless_allowed() {
        for literal in [
            "https://10.1.2.3/",
            "https://172.16.0.1/",
            "https://192.168.1.1/",
            "https://127.0.0.1/",
            "https://169.254.169.254/latest/meta-data/",
            "https://100.64.0.1/",
            "https://0.0.0.0/",
            "https://[::1]/",
            "https://[fe80::1]/",
            "https://[fd00::1]/",
            "https://[::ffff:169.254.169.254]/",
            "https://[64:ff9b::a9fe:a9fe]/",
        ] {
            assert!(
                matches!(STRICT.check_url(literal), Err(Refused::PrivateAddress(_))),
                "{literal}"
            );
            let open = Policy {
                allow_private_networks: true,
                ..STRICT
            };
            assert!(open.check_url(literal).is_ok(), "{literal}");
        }
        assert!(STRICT.check_url("https://93.184.215.14/").is_ok());
        assert!(
            STRICT
                .check_url("https://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]/")
                .is_ok()
        );
        let sandbox = Policy {
            sandbox: true,
            ..STRICT
        };
        assert!(sandbox.check_url("http://127.0.0.1:1/").is_ok());
        assert!(matches!(
            sandbox.check_url("https://10.0.0.1/"),
            Err(Refused::PrivateAddress(_))
        ));
    }

    #[tokio::test]
    async fn a_name_resolving_to_loopback_is_refused_where_it_connects() {
        let resolved = GuardedResolver(STRICT)
            .resolve("localhost".parse().unwrap())
            .await;
        let error = resolved.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(error.contains("allow_private_networks"), "{error}");
    }
}
