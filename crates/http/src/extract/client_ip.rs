//! The client's address: the socket peer, unless the peer is a trusted proxy, in which case
//! the nearest untrusted hop of the one forwarding header the operator named
//! (`X-Forwarded-For` by default, or `Forwarded`). A header from an untrusted peer is
//! ignored, so a client cannot pick a fresh rate-limit bucket by spoofing it.
//!
//! One header, never "whichever is present": a proxy rewrites the header it knows and passes
//! the other through, so reading both would let a client name its own address in the other.
//!
//! Ignoring it has a cost when the peer is in fact the operator's load balancer, left out of
//! `FEEDBACKD_TRUSTED_PROXIES`: every widget then shares the balancer's one address and its
//! one per-address bucket, and honest users get `429`. Nothing fails loudly, so such
//! requests are logged once per process and counted in
//! `feedbackd_untrusted_forwarded_total`.

use actix_web::{HttpMessage, HttpRequest};
use ipnet::IpNet;
use std::net::IpAddr;
use std::sync::Once;

/// The address worked out for a request, kept in its extensions: the limiter and the IP
/// policy both ask, and the request must be counted once.
#[derive(Clone, Copy)]
struct Resolved(IpAddr);

/// The header the trusted proxies write the client's address into.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ForwardingHeader {
    /// `X-Forwarded-For: client, proxy1` (what most load balancers write).
    #[default]
    XForwardedFor,
    /// RFC 7239 `Forwarded: for=client, for=proxy1`.
    Forwarded,
}

impl ForwardingHeader {
    fn name(self) -> &'static str {
        match self {
            ForwardingHeader::XForwardedFor => "x-forwarded-for",
            ForwardingHeader::Forwarded => "forwarded",
        }
    }
}

impl std::fmt::Display for ForwardingHeader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for ForwardingHeader {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "x-forwarded-for" => Ok(ForwardingHeader::XForwardedFor),
            "forwarded" => Ok(ForwardingHeader::Forwarded),
            _ => Err("must be x-forwarded-for or forwarded".into()),
        }
    }
}

/// The proxies whose forwarding header is believed, and which header that is.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies {
    pub nets: Vec<IpNet>,
    pub header: ForwardingHeader,
}

impl TrustedProxies {
    fn trusts(&self, ip: IpAddr) -> bool {
        self.nets.iter().any(|net| net.contains(&ip))
    }

    /// The address to limit and to apply the IP policy to.
    pub fn client_ip(&self, req: &HttpRequest) -> Option<IpAddr> {
        if let Some(Resolved(ip)) = req.extensions().get::<Resolved>() {
            return Some(*ip);
        }
        let ip = self.resolve(req)?;
        req.extensions_mut().insert(Resolved(ip));
        Some(ip)
    }

    fn resolve(&self, req: &HttpRequest) -> Option<IpAddr> {
        let peer = req.peer_addr()?.ip();
        if !self.trusts(peer) {
            if ["forwarded", "x-forwarded-for"].iter().any(|name| req.headers().contains_key(*name)) {
                note_untrusted_forwarding(&WARNED);
            }
            return Some(peer);
        }
        // Hops are appended left to right; walk back from the nearest one, skipping our
        // own proxies, and take the first address they did not add themselves.
        let hops = forwarded_hops(req, self.header);
        Some(hops.into_iter().rev().find(|ip| !self.trusts(*ip)).unwrap_or(peer))
    }
}

/// Whether the process has logged an untrusted forwarding header yet.
static WARNED: Once = Once::new();

fn note_untrusted_forwarding(warned: &Once) {
    metrics::counter!("feedbackd_untrusted_forwarded_total").increment(1);
    // No address in the line: it may be a client's, and logs hold no personal data.
    warned.call_once(|| {
        tracing::warn!(
            "a request carried Forwarded / X-Forwarded-For from a peer not listed in \
             FEEDBACKD_TRUSTED_PROXIES: the header is ignored and the peer's own address is \
             used. Behind a load balancer or reverse proxy, every client then shares its one \
             rate-limit bucket; list the proxy's addresses in FEEDBACKD_TRUSTED_PROXIES. \
             Further requests like this are counted in feedbackd_untrusted_forwarded_total, \
             not logged"
        );
    });
}

fn forwarded_hops(req: &HttpRequest, header: ForwardingHeader) -> Vec<IpAddr> {
    let elements =
        req.headers().get_all(header.name()).filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(','));
    match header {
        ForwardingHeader::XForwardedFor => elements.filter_map(parse_node).collect(),
        ForwardingHeader::Forwarded => elements
            .filter_map(|element| {
                element.split(';').find_map(|pair| {
                    let (name, value) = pair.trim().split_once('=')?;
                    name.eq_ignore_ascii_case("for").then(|| parse_node(value))?
                })
            })
            .collect(),
    }
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
        TrustedProxies { nets: vec!["10.0.0.0/8".parse().unwrap()], header: ForwardingHeader::XForwardedFor }
    }

    #[test]
    fn an_untrusted_peer_cannot_claim_another_address() {
        let req = TestRequest::default()
            .peer_addr("198.51.100.9:5000".parse().unwrap())
            .insert_header(("x-forwarded-for", "203.0.113.1"))
            .to_http_request();
        assert_eq!(proxies().client_ip(&req), Some("198.51.100.9".parse().unwrap()));
    }

    /// Collects what the log subscriber writes.
    #[derive(Clone, Default)]
    struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn untrusted_forwarding_is_logged_once_naming_the_setting() {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt().with_writer(move || writer.clone()).finish();
        let warned = Once::new();
        tracing::subscriber::with_default(subscriber, || {
            note_untrusted_forwarding(&warned);
            note_untrusted_forwarding(&warned);
        });
        let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        assert_eq!(log.lines().count(), 1, "{log}");
        assert!(log.contains("WARN") && log.contains("FEEDBACKD_TRUSTED_PROXIES"), "{log}");
    }

    #[test]
    fn a_trusted_proxy_is_believed_up_to_the_first_untrusted_hop() {
        let req = TestRequest::default()
            .peer_addr("10.0.0.2:5000".parse().unwrap())
            .insert_header(("x-forwarded-for", "203.0.113.1, 198.51.100.7, 10.0.0.3"))
            .to_http_request();
        assert_eq!(proxies().client_ip(&req), Some("198.51.100.7".parse().unwrap()));
        let forwarded = TrustedProxies { header: ForwardingHeader::Forwarded, ..proxies() };
        let req = TestRequest::default()
            .peer_addr("10.0.0.2:5000".parse().unwrap())
            .insert_header(("forwarded", r#"for="[2001:db8::1]:4711";proto=https, for=10.0.0.5"#))
            .to_http_request();
        assert_eq!(forwarded.client_ip(&req), Some("2001:db8::1".parse().unwrap()));
    }

    /// A proxy that rewrites one header passes the other through as the client sent it.
    #[test]
    fn only_the_configured_header_is_read() {
        let spoofed = |header: ForwardingHeader| {
            let proxies = TrustedProxies { header, ..proxies() };
            let req = TestRequest::default()
                .peer_addr("10.0.0.2:5000".parse().unwrap())
                .insert_header(("x-forwarded-for", "198.51.100.7"))
                .insert_header(("forwarded", "for=203.0.113.99"))
                .to_http_request();
            proxies.client_ip(&req).unwrap()
        };
        assert_eq!(spoofed(ForwardingHeader::XForwardedFor), "198.51.100.7".parse::<IpAddr>().unwrap());
        assert_eq!(spoofed(ForwardingHeader::Forwarded), "203.0.113.99".parse::<IpAddr>().unwrap());
        // A trusted proxy that wrote nothing: its own address, not a client's claim elsewhere.
        let req = TestRequest::default()
            .peer_addr("10.0.0.2:5000".parse().unwrap())
            .insert_header(("forwarded", "for=203.0.113.99"))
            .to_http_request();
        assert_eq!(proxies().client_ip(&req), Some("10.0.0.2".parse().unwrap()));
        assert_eq!("Forwarded".parse::<ForwardingHeader>(), Ok(ForwardingHeader::Forwarded));
        assert!("x-real-ip".parse::<ForwardingHeader>().is_err());
    }
}
