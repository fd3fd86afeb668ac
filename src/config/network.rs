//! IP networks in settings (`http.trusted_proxies`): written as an address or in CIDR
//! notation, parsed once at load.

use std::fmt;
use std::net::IpAddr;

use serde::{Deserialize, Deserializer, Serialize, Serializer, de};

/// An address or a CIDR network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Network {
    base: IpAddr,
    prefix: u8,
}

impl Network {
    pub fn parse(text: &str) -> Option<Self> {
        let (address, prefix) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p.parse::<u8>().ok()?)),
            None => (text, None),
        };
        let base: IpAddr = address.trim().parse().ok()?;
        let prefix = prefix.unwrap_or(address_bits(base));
        (prefix <= address_bits(base)).then_some(Self { base, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let (ip, base, bits) = match (canonical_ip(ip), self.base) {
            (IpAddr::V4(ip), IpAddr::V4(base)) => {
                (u128::from(ip.to_bits()), u128::from(base.to_bits()), 32)
            }
            (IpAddr::V6(ip), IpAddr::V6(base)) => (ip.to_bits(), base.to_bits(), 128),
            _ => return false,
        };
        let host_bits = bits - u32::from(self.prefix);
        host_bits >= bits || (ip >> host_bits) == (base >> host_bits)
    }
}

fn address_bits(ip: IpAddr) -> u8 {
    if ip.is_ipv4() { 32 } else { 128 }
}

/// As the operator would write it: a single address bare, a network with its prefix.
impl fmt::Display for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.prefix == address_bits(self.base) {
            write!(f, "{}", self.base)
        } else {
            write!(f, "{}/{}", self.base, self.prefix)
        }
    }
}

impl Serialize for Network {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Network {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Network::parse(&text).ok_or_else(|| {
            de::Error::custom(format!(
                "{text:?} is not an address or network like 10.0.0.0/8"
            ))
        })
    }
}

/// IPv4 peers on a dual-stack socket show as `::ffff:a.b.c.d`.
pub fn canonical_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks_match_by_prefix() {
        let net = Network::parse("192.168.0.0/16").unwrap();
        assert!(net.contains("192.168.44.1".parse().unwrap()));
        assert!(!net.contains("192.169.0.1".parse().unwrap()));
        assert!(
            Network::parse("0.0.0.0/0")
                .unwrap()
                .contains("8.8.8.8".parse().unwrap())
        );
        assert_eq!(Network::parse("10.0.0.0/33"), None);
        assert_eq!(Network::parse("example.com"), None);
    }

    #[test]
    fn networks_are_written_back_as_they_parse() {
        for text in ["10.0.0.0/8", "127.0.0.1", "::1", "fd00::/8"] {
            assert_eq!(Network::parse(text).unwrap().to_string(), text);
        }
        assert_eq!(
            Network::parse("10.0.0.1/32").unwrap().to_string(),
            "10.0.0.1"
        );
    }
}
