//! Which client a per-address limit counts. An IPv4 address is one client. An IPv6 client
//! usually holds a whole network (a home router or a phone is given a /64 and may use any
//! address in it), so counting by the full address would give it unlimited keys: an IPv6
//! address is counted by its network of `limits.ipv6_prefix_length` bits (default 64).
//!
//! Every per-address limit (counters in the store, open streams, connections) names its
//! client with [`AddressKeys`]; what the phone shows stays the whole address.

use std::net::{IpAddr, Ipv6Addr};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddressKeys {
    ipv6_prefix: u8,
}

impl Default for AddressKeys {
    fn default() -> Self {
        Self { ipv6_prefix: 64 }
    }
}

impl AddressKeys {
    /// `ipv6_prefix`: the bits of an IPv6 address that name its client, 1..=128 (128: each
    /// address alone).
    pub fn new(ipv6_prefix: u8) -> anyhow::Result<Self> {
        anyhow::ensure!(
            (1..=128).contains(&ipv6_prefix),
            "limits.ipv6_prefix_length must be between 1 and 128 (got {ipv6_prefix}): 64 counts \
             each /64 as one client, 128 each address"
        );
        Ok(Self { ipv6_prefix })
    }

    /// The address `ip` is counted under: itself for IPv4 (an IPv4-mapped IPv6 address is
    /// IPv4), the first address of its network for IPv6.
    pub fn client(&self, ip: IpAddr) -> IpAddr {
        match ip.to_canonical() {
            IpAddr::V4(v4) => IpAddr::V4(v4),
            IpAddr::V6(v6) => {
                let mask = u128::MAX << (128 - u32::from(self.ipv6_prefix));
                IpAddr::V6(Ipv6Addr::from(u128::from(v6) & mask))
            }
        }
    }

    /// The name of `ip`'s client in a counter's key: `203.0.113.7`, `2001:db8:1:2::/64`.
    /// Something that is not an address (`unknown`) is its own name.
    pub fn key(&self, ip: &str) -> String {
        match ip.parse::<IpAddr>() {
            Ok(ip) => match self.client(ip) {
                IpAddr::V4(v4) => v4.to_string(),
                IpAddr::V6(v6) => format!("{v6}/{}", self.ipv6_prefix),
            },
            Err(_) => ip.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn ipv6_addresses_of_one_64_are_one_client_and_ipv4_stays_whole() {
        let keys = AddressKeys::default();
        assert_eq!(keys.key("2001:db8:1:2::1"), "2001:db8:1:2::/64");
        assert_eq!(
            keys.key("2001:db8:1:2:ffff:ffff:ffff:ffff"),
            "2001:db8:1:2::/64"
        );
        assert_eq!(keys.key("2001:db8:1:3::1"), "2001:db8:1:3::/64");
        assert_eq!(keys.key("203.0.113.7"), "203.0.113.7");
        assert_eq!(keys.key("::ffff:203.0.113.7"), "203.0.113.7");
        assert_eq!(keys.key("unknown"), "unknown");
        assert_eq!(keys.client(ip("2001:db8::9")), ip("2001:db8::"));
    }

    #[test]
    fn the_prefix_length_is_configurable_and_checked() {
        let whole = AddressKeys::new(128).unwrap();
        assert_eq!(whole.key("2001:db8::1"), "2001:db8::1/128");
        assert_ne!(whole.key("2001:db8::1"), whole.key("2001:db8::2"));
        let site = AddressKeys::new(48).unwrap();
        assert_eq!(site.key("2001:db8:1:ffff::1"), "2001:db8:1::/48");
        for bad in [0, 129] {
            let err = AddressKeys::new(bad).unwrap_err().to_string();
            assert!(err.contains("limits.ipv6_prefix_length"), "{err}");
        }
    }
}
