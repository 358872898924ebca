//! The address a request comes from, for the per-address sign-in limit and the log. Normally
//! the TCP peer. Behind a reverse proxy (nginx, Caddy, a TLS terminator) every peer is the
//! proxy, so one visitor's failed attempts would lock everyone out: a peer listed in
//! `server.trusted_proxies` is believed about `X-Forwarded-For`, read from the right (the
//! entries nearest this server), skipping further trusted proxies, until the first address no
//! trusted proxy stands for. Nobody else's `X-Forwarded-For` is believed — a visitor could
//! write any address there to dodge the limit.

use std::net::IpAddr;

use axum::http::HeaderMap;

/// The client's address: `peer`, or what trusted proxies in front of it say.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let mut client = peer;
    // Several headers are one list, in order.
    let hops = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect::<Vec<_>>();
    for hop in hops.into_iter().rev() {
        let Ok(address) = hop.parse::<IpAddr>() else {
            // Garbage in the chain: trust nothing further out than what was read.
            break;
        };
        client = address;
        if !trusted.contains(&address) {
            break;
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for v in values {
            map.append("x-forwarded-for", v.parse().unwrap());
        }
        map
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn only_a_trusted_proxy_is_believed_and_only_about_its_own_hop() {
        let proxy = ip("127.0.0.1");
        let trusted = [proxy, ip("10.0.0.2")];
        // Straight from the internet: the peer, whatever the header claims.
        assert_eq!(
            client_ip(ip("203.0.113.9"), &headers(&["1.2.3.4"]), &trusted),
            ip("203.0.113.9")
        );
        // Through the proxy: the address it saw.
        assert_eq!(
            client_ip(proxy, &headers(&["198.51.100.7"]), &trusted),
            ip("198.51.100.7")
        );
        // A visitor's forged entry sits left of what the proxy appended: not believed.
        assert_eq!(
            client_ip(proxy, &headers(&["6.6.6.6, 198.51.100.7"]), &trusted),
            ip("198.51.100.7")
        );
        // Two trusted hops, in one header or two.
        assert_eq!(
            client_ip(proxy, &headers(&["198.51.100.7, 10.0.0.2"]), &trusted),
            ip("198.51.100.7")
        );
        assert_eq!(
            client_ip(proxy, &headers(&["198.51.100.7", "10.0.0.2"]), &trusted),
            ip("198.51.100.7")
        );
        // Nothing, or garbage: the proxy itself (all its clients share one limit).
        assert_eq!(client_ip(proxy, &headers(&[]), &trusted), proxy);
        assert_eq!(client_ip(proxy, &headers(&["not-an-ip"]), &trusted), proxy);
        // IPv6 works the same.
        assert_eq!(
            client_ip(proxy, &headers(&["2001:db8::1"]), &trusted),
            ip("2001:db8::1")
        );
    }
}
