//! The delivery client's DNS resolver: it resolves like the system does and drops every
//! address the policy forbids, so the check and the connection use the same answer.
//!
//! Checking a host name before the request and letting the client resolve it again leaves
//! a DNS-rebinding window (public address for the check, 127.0.0.1 for the connection).
//! Here the client connects only to what survived the filter.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use super::policy::{is_forbidden, EgressPolicy};

/// Every address a host name resolved to is one webhooks may not reach. Recognised by
/// `Egress::send` in the error chain, to answer `Refused` rather than `Unreachable`.
#[derive(Debug, thiserror::Error)]
#[error("{host} resolves only to addresses webhooks may not reach ({addresses})")]
pub(super) struct ForbiddenDestination {
    host: String,
    addresses: String,
}

/// The [`Resolve`] given to the delivery client.
pub(super) struct GuardedResolver {
    policy: Arc<EgressPolicy>,
}

impl GuardedResolver {
    pub(super) fn new(policy: Arc<EgressPolicy>) -> Self {
        Self { policy }
    }
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = Arc::clone(&self.policy);
        let host = name.as_str().to_owned();
        Box::pin(async move {
            // Port 0: reqwest puts the URL's port (or the scheme's default) on each address.
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed = allowed_addresses(&host, found, &policy)?;
            let addrs: Addrs = Box::new(allowed.into_iter());
            Ok(addrs)
        })
    }
}

/// The addresses of `found` that the policy allows, in their order; an error naming the
/// refused ones when none is left. An empty answer stays empty: the connector reports it
/// as a failed lookup, which is unreachable rather than refused.
pub(super) fn allowed_addresses(
    host: &str,
    found: Vec<SocketAddr>,
    policy: &EgressPolicy,
) -> Result<Vec<SocketAddr>, ForbiddenDestination> {
    let (allowed, refused): (Vec<SocketAddr>, Vec<SocketAddr>) =
        found.into_iter().partition(|addr| !is_forbidden(addr.ip(), policy));
    if allowed.is_empty() && !refused.is_empty() {
        let addresses: Vec<String> =
            refused.iter().map(|addr| addr.ip()).map(|ip: IpAddr| ip.to_string()).collect();
        return Err(ForbiddenDestination { host: host.to_owned(), addresses: addresses.join(", ") });
    }
    Ok(allowed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addrs(list: &[&str]) -> Vec<SocketAddr> {
        list.iter().map(|ip| SocketAddr::new(ip.parse().expect("test address"), 0)).collect()
    }

    #[test]
    fn keeps_only_the_public_addresses_of_a_mixed_answer() {
        let found = addrs(&["10.0.0.5", "93.184.216.34", "::1", "2606:4700::1"]);
        let kept =
            allowed_addresses("mixed.example", found, &EgressPolicy::default()).expect("some are public");
        assert_eq!(kept, addrs(&["93.184.216.34", "2606:4700::1"]));
    }

    #[test]
    fn refuses_a_name_that_resolves_only_to_internal_addresses() {
        let found = addrs(&["127.0.0.1", "::1"]);
        let refused =
            allowed_addresses("localhost", found, &EgressPolicy::default()).expect_err("all internal");
        assert_eq!(
            refused.to_string(),
            "localhost resolves only to addresses webhooks may not reach (127.0.0.1, ::1)"
        );
    }

    #[test]
    fn loopback_passes_in_development() {
        let policy = EgressPolicy { allow_http_loopback: true, allowed_networks: Vec::new() };
        let found = addrs(&["127.0.0.1", "169.254.169.254"]);
        let kept = allowed_addresses("localhost", found, &policy).expect("loopback allowed");
        assert_eq!(kept, addrs(&["127.0.0.1"]));
    }
}
