//! What is kept of the client's IP address, per the project's policy.

pub use feedbackd_domain::IpPolicy;
use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use std::net::IpAddr;

/// `drop` (the default) keeps nothing; `truncate` keeps the network (IPv4 /24, IPv6 /48),
/// enough for abuse analysis but not to single out a person; `keep` keeps the address.
pub fn apply_policy(policy: IpPolicy, ip: IpAddr) -> Option<IpNet> {
    match (policy, ip) {
        (IpPolicy::Keep, ip) => Some(IpNet::from(ip)),
        (IpPolicy::Truncate, IpAddr::V4(v4)) => Ipv4Net::new(v4, 24).ok().map(|n| IpNet::V4(n.trunc())),
        (IpPolicy::Truncate, IpAddr::V6(v6)) => Ipv6Net::new(v6, 48).ok().map(|n| IpNet::V6(n.trunc())),
        (IpPolicy::Drop, _) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncate_keeps_only_the_network() {
        let v4: IpAddr = "203.0.113.77".parse().unwrap();
        let v6: IpAddr = "2001:db8:abcd:12::1".parse().unwrap();
        assert_eq!(apply_policy(IpPolicy::Truncate, v4).unwrap().to_string(), "203.0.113.0/24");
        assert_eq!(apply_policy(IpPolicy::Truncate, v6).unwrap().to_string(), "2001:db8:abcd::/48");
        assert_eq!(apply_policy(IpPolicy::Drop, v4), None);
        assert_eq!(apply_policy(IpPolicy::Keep, v4).unwrap().to_string(), "203.0.113.77/32");
    }
}
