//! The client's address: the socket peer, unless the peer is a trusted proxy, in which case
//! the nearest untrusted hop of `Forwarded` / `X-Forwarded-For`. A header from an untrusted
//! peer is ignored, so a client cannot pick a fresh rate-limit bucket by spoofing it.

use actix_web::HttpRequest;
use ipnet::IpNet;
use std::net::IpAddr;

/// The proxies whose forwarding headers are believed.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(pub Vec<IpNet>);

impl TrustedProxies {
    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The address to limit and to apply the IP policy to.
    pub fn client_ip(&self, req: &HttpRequest) -> Option<IpAddr> {
        let peer = req.peer_addr()?.ip();
        if !self.trusts(peer) {
            return Some(peer);
        }
        // Hops are appended left to right; walk back from the nearest one, skipping our
        // own proxies, and take the first address they did not add themselves.
        let hops = forwarded_hops(req);
        Some(hops.into_iter().rev().find(|ip| !self.trusts(*ip)).unwrap_or(peer))
    }
}

fn forwarded_hops(req: &HttpRequest) -> Vec<IpAddr> {
    let headers = req.headers();
    let forwarded: Vec<IpAddr> = headers
        .get_all("forwarded")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|element| {
            element.split(';').find_map(|pair| {
                let (name, value) = pair.trim().split_once('=')?;
                name.eq_ignore_ascii_case("for").then(|| parse_node(value))?
            })
        })
        .collect();
    if !forwarded.is_empty() {
        return forwarded;
    }
    headers
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(parse_node)
        .collect()
}

/// `203.0.113.7`, `"[2001:db8::1]:4711"`, `198.51.100.1:80`.
fn parse_node(raw: &str) -> Option<IpAddr> {
    let node = raw.trim().trim_matches('"');
    if let Ok(ip) = node.parse() {
        return Some(ip);
    }
    if let Some(rest) = node.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    node.rsplit_once(':').and_then(|(host, _)| host.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn proxies() -> TrustedProxies {
        TrustedProxies(vec!["10.0.0.0/8".parse().unwrap()])
    }

    #[test]
    fn an_untrusted_peer_cannot_claim_another_address() {
        let req = TestRequest::default()
            .peer_addr("198.51.100.9:5000".parse().unwrap())
            .insert_header(("x-forwarded-for", "203.0.113.1"))
            .to_http_request();
        assert_eq!(proxies().client_ip(&req), Some("198.51.100.9".parse().unwrap()));
    }

    #[test]
    fn a_trusted_proxy_is_believed_up_to_the_first_untrusted_hop() {
        let req = TestRequest::default()
            .peer_addr("10.0.0.2:5000".parse().unwrap())
            .insert_header(("x-forwarded-for", "203.0.113.1, 198.51.100.7, 10.0.0.3"))
            .to_http_request();
        assert_eq!(proxies().client_ip(&req), Some("198.51.100.7".parse().unwrap()));
        let req = TestRequest::default()
            .peer_addr("10.0.0.2:5000".parse().unwrap())
            .insert_header(("forwarded", r#"for="[2001:db8::1]:4711";proto=https, for=10.0.0.5"#))
            .to_http_request();
        assert_eq!(proxies().client_ip(&req), Some("2001:db8::1".parse().unwrap()));
    }
}
