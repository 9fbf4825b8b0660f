//! Where webhooks may go: the URL rules checked when an endpoint is saved and again before
//! every attempt, and the address ranges refused after DNS resolution.
//!
//! A webhook URL is chosen by a project admin, and feedbackd runs next to databases, cloud
//! metadata services and admin ports: without these rules it would be a request forgery
//! (SSRF) tool that fetches internal addresses for anyone who can create an endpoint.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;
use url::{Host, Url};

/// Longest URL accepted: far above any real receiver's, low enough to index and log.
pub const MAX_URL_LEN: usize = 2048;

/// Where deliveries may go, from the service's configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EgressPolicy {
    /// Development only: plain `http` to a loopback address or `localhost`, and loopback
    /// addresses after resolution.
    pub allow_http_loopback: bool,
    /// Networks delivered to even though they are private or reserved (a receiver on the
    /// operator's own network). An IPv4-mapped IPv6 address is compared as its IPv4 form.
    pub allowed_networks: Vec<IpNet>,
}

/// Why a URL cannot be a webhook endpoint. Each message is a sentence for the API's 422
/// detail on the field `url`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlProblem {
    /// Over [`MAX_URL_LEN`].
    #[error("the URL is longer than {MAX_URL_LEN} characters")]
    TooLong,
    /// Not a URL at all.
    #[error("this is not a valid URL ({0})")]
    Invalid(#[from] url::ParseError),
    /// Neither `https` nor (where allowed) `http`.
    #[error("the URL must use https, not {scheme}")]
    NotHttps {
        /// The scheme the URL has.
        scheme: String,
    },
    /// `http` to something other than loopback while development mode is on.
    #[error("plain http is allowed only for 127.0.0.1, [::1] or localhost in development; use https")]
    HttpNotLoopback,
    /// `user:password@` in the URL: it would be stored and shown in clear.
    #[error(
        "the URL must not contain a user name or password; authenticate with the webhook signature instead"
    )]
    Credentials,
    /// No host to deliver to.
    #[error("the URL must name a host")]
    NoHost,
    /// An IP address literal in a range webhooks may not reach.
    #[error("the URL points to {0}, a private, loopback, link-local or reserved address that webhooks may not reach")]
    ForbiddenAddress(IpAddr),
}

/// Parses and checks a webhook URL: see [`check_url`] for the rules.
pub fn validate_url(text: &str, policy: &EgressPolicy) -> Result<Url, UrlProblem> {
    if text.len() > MAX_URL_LEN {
        return Err(UrlProblem::TooLong);
    }
    let url = Url::parse(text)?;
    check_url(&url, policy)?;
    Ok(url)
}

/// The rules for an already parsed URL, run again before each attempt because the policy
/// may have changed since the endpoint was saved: `https` (or `http` to loopback in
/// development), no credentials, a host, at most [`MAX_URL_LEN`] characters, and no IP
/// literal in a forbidden range. Host names are checked after resolution, at connect time.
pub fn check_url(url: &Url, policy: &EgressPolicy) -> Result<(), UrlProblem> {
    if url.as_str().len() > MAX_URL_LEN {
        return Err(UrlProblem::TooLong);
    }
    match url.scheme() {
        "https" => {}
        "http" if policy.allow_http_loopback => {
            if !names_loopback(url) {
                return Err(UrlProblem::HttpNotLoopback);
            }
        }
        scheme => return Err(UrlProblem::NotHttps { scheme: scheme.to_owned() }),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(UrlProblem::Credentials);
    }
    match literal_ip(url) {
        Some(ip) if is_forbidden(ip, policy) => Err(UrlProblem::ForbiddenAddress(ip)),
        Some(_) => Ok(()),
        None if matches!(url.host(), Some(Host::Domain(name)) if !name.is_empty()) => Ok(()),
        None => Err(UrlProblem::NoHost),
    }
}

/// The URL's host when it is an IP address literal. Such a host never goes through the
/// resolver, so it must be checked before sending.
pub fn literal_ip(url: &Url) -> Option<IpAddr> {
    match url.host()? {
        Host::Ipv4(ip) => Some(IpAddr::V4(ip)),
        Host::Ipv6(ip) => Some(IpAddr::V6(ip)),
        Host::Domain(_) => None,
    }
}

fn names_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(name)) => name == "localhost",
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => canonical(IpAddr::V6(ip)).is_loopback(),
        None => false,
    }
}

/// Whether a delivery to `ip` must be refused: anything not globally reachable unicast
/// (private, loopback, link-local and cloud metadata, shared CGNAT, documentation,
/// benchmarking, multicast, broadcast, reserved), IPv4 hidden in IPv6 included, unless the
/// policy allows it.
pub fn is_forbidden(ip: IpAddr, policy: &EgressPolicy) -> bool {
    let ip = canonical(ip);
    if policy.allowed_networks.iter().any(|net| net.contains(&ip)) {
        return false;
    }
    if policy.allow_http_loopback && ip.is_loopback() {
        return false;
    }
    match ip {
        IpAddr::V4(v4) => is_special_v4(v4),
        IpAddr::V6(v6) => match embedded_v4(v6) {
            Some(v4) => is_forbidden(IpAddr::V4(v4), policy),
            None => is_special_v6(v6),
        },
    }
}

/// `::ffff:a.b.c.d` is the IPv4 host `a.b.c.d` to the socket layer, so it is judged as one.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

fn in_v4(ip: Ipv4Addr, net: [u8; 4], prefix: u32) -> bool {
    let mask = u32::MAX.checked_shl(32 - prefix).unwrap_or(0);
    u32::from(ip) & mask == u32::from(Ipv4Addr::from(net)) & mask
}

fn in_v6(ip: Ipv6Addr, net: u128, prefix: u32) -> bool {
    let mask = u128::MAX.checked_shl(128 - prefix).unwrap_or(0);
    u128::from(ip) & mask == net & mask
}

/// IANA's IPv4 special-purpose ranges that are not globally reachable, plus multicast and
/// the deprecated 6to4 relay anycast.
const SPECIAL_V4: [([u8; 4], u32); 17] = [
    ([0, 0, 0, 0], 8),          // "this network", 0.0.0.0 included
    ([10, 0, 0, 0], 8),         // private
    ([100, 64, 0, 0], 10),      // shared address space (carrier-grade NAT)
    ([127, 0, 0, 0], 8),        // loopback
    ([169, 254, 0, 0], 16),     // link-local, cloud metadata at 169.254.169.254
    ([172, 16, 0, 0], 12),      // private
    ([192, 0, 0, 0], 24),       // IETF protocol assignments
    ([192, 0, 2, 0], 24),       // documentation (TEST-NET-1)
    ([192, 88, 99, 0], 24),     // 6to4 relay anycast (deprecated)
    ([192, 168, 0, 0], 16),     // private
    ([198, 18, 0, 0], 15),      // benchmarking
    ([198, 51, 100, 0], 24),    // documentation (TEST-NET-2)
    ([203, 0, 113, 0], 24),     // documentation (TEST-NET-3)
    ([224, 0, 0, 0], 4),        // multicast
    ([240, 0, 0, 0], 4),        // reserved
    ([255, 255, 255, 255], 32), // broadcast (inside 240/4, named for the reader)
    ([0, 0, 0, 0], 32),         // unspecified (inside 0/8, named for the reader)
];

fn is_special_v4(ip: Ipv4Addr) -> bool {
    SPECIAL_V4.iter().any(|&(net, prefix)| in_v4(ip, net, prefix))
}

/// The IPv4 address inside a NAT64 (`64:ff9b::/96`) or 6to4 (`2002::/16`) address: the
/// packet ends up at that IPv4 host, so it is judged as that host. NAT64 is how IPv6-only
/// networks reach public IPv4 receivers, so refusing the whole prefix would break them.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let bits = u128::from(ip);
    if in_v6(ip, 0x0064_ff9b_0000_0000_0000_0000_0000_0000, 96) {
        Some(Ipv4Addr::from(bits as u32))
    } else if in_v6(ip, 0x2002_0000_0000_0000_0000_0000_0000_0000, 16) {
        Some(Ipv4Addr::from((bits >> 80) as u32))
    } else {
        None
    }
}

/// Everything outside global unicast `2000::/3` (loopback, unspecified, IPv4-compatible,
/// unique local `fc00::/7`, link-local `fe80::/10`, site-local, multicast, discard-only,
/// SRv6, local-use NAT64), and the special ranges inside it.
fn is_special_v6(ip: Ipv6Addr) -> bool {
    const SPECIAL_IN_GLOBAL: [(u128, u32); 3] = [
        (0x2001_0000_0000_0000_0000_0000_0000_0000, 23), // IETF protocol assignments, Teredo
        (0x2001_0db8_0000_0000_0000_0000_0000_0000, 32), // documentation
        (0x3fff_0000_0000_0000_0000_0000_0000_0000, 20), // documentation (RFC 9637)
    ];
    !in_v6(ip, 0x2000_0000_0000_0000_0000_0000_0000_0000, 3)
        || SPECIAL_IN_GLOBAL.iter().any(|&(net, prefix)| in_v6(ip, net, prefix))
}

#[cfg(test)]
#[path = "policy_tests.rs"]
mod tests;
