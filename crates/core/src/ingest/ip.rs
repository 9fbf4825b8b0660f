//! What is kept of the client's IP address, per the project's policy.

pub use feedbackd_domain::IpPolicy;
use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use std::net::IpAddr;

/// `drop` (the default) keeps nothing; `truncate` keeps the network (IPv4 /24, IPv6 /48),
/// enough for abuse analysis but not to single out a person; `keep` keeps the address.
pub fn apply_policy(policy: &str, ip: IpAddr) -> Option<IpNet> {
    match (policy, ip) {
        ("keep", ip) => Some(IpNet::from(ip)),
        ("truncate", IpAddr::V4(v4)) => Ipv4Net::new(v4, 24).ok().map(|n| IpNet::V4(n.trunc())),
        ("truncate", IpAddr::V6(v6)) => Ipv6Net::new(v6, 48).ok().map(|n| IpNet::V6(n.trunc())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncate_keeps_only_the_network() {
        let v4: IpAddr = "203.0.113.77".parse().unwrap();
        let v6: IpAddr = "2001:db8:abcd:12::1".parse().unwrap();
        assert_eq!(apply_policy("truncate", v4).unwrap().to_string(), "203.0.113.0/24");
        assert_eq!(apply_policy("truncate", v6).unwrap().to_string(), "2001:db8:abcd::/48");
        assert_eq!(apply_policy("drop", v4), None);
        assert_eq!(apply_policy("keep", v4).unwrap().to_string(), "203.0.113.77/32");
    }
}
