//! Where a request comes from: the client's address (behind trusted reverse
//! proxies), and whether a state-changing request comes from Slipway's own
//! pages. Pure functions of the request's headers and the configuration, so
//! every rule is unit-tested here; `web.rs` applies them to every request.

use ipnet::IpNet;
use std::net::IpAddr;

/// The client's address for a request (see [`client_addr`]); `None` when
/// the server was not started with connection info (some tests).
pub fn request_client_ip(req: &axum::extract::Request, trusted: &[IpNet]) -> Option<String> {
    let peer = req
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()?
        .0
        .ip();
    let header = |name: &str| req.headers().get(name).and_then(|h| h.to_str().ok());
    Some(
        client_addr(
            peer,
            header("forwarded"),
            header("x-forwarded-for"),
            trusted,
        )
        .to_string(),
    )
}

/// The client's address. Only when the connecting peer is a trusted proxy
/// are `Forwarded` (RFC 7239) or `X-Forwarded-For` believed, read from the
/// right: the first address that is not itself a trusted proxy is the client
/// (anything to its left was written by the client and may be forged).
pub fn client_addr(
    peer: IpAddr,
    forwarded: Option<&str>,
    x_forwarded_for: Option<&str>,
    trusted: &[IpNet],
) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let chain: Vec<IpAddr> = match (forwarded, x_forwarded_for) {
        (Some(f), _) => f
            .split(',')
            .filter_map(|element| {
                element.split(';').find_map(|pair| {
                    let (key, value) = pair.trim().split_once('=')?;
                    key.trim()
                        .eq_ignore_ascii_case("for")
                        .then(|| parse_node(value))
                        .flatten()
                })
            })
            .collect(),
        (None, Some(x)) => x.split(',').filter_map(parse_node).collect(),
        (None, None) => Vec::new(),
    };
    chain
        .iter()
        .rev()
        .find(|ip| !is_trusted(ip))
        .or(chain.first())
        .copied()
        .unwrap_or(peer)
}

/// `1.2.3.4`, `"[2001:db8::1]:4711"`, `1.2.3.4:80` → the address.
fn parse_node(value: &str) -> Option<IpAddr> {
    let v = value.trim().trim_matches('"');
    if let Ok(ip) = v.parse() {
        return Some(ip);
    }
    if let Some(rest) = v.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    v.rsplit_once(':').and_then(|(host, _)| host.parse().ok())
}

/// `scheme://host:port` with the default port made explicit and lower-cased,
/// so `https://Example.com` and `https://example.com:443` compare equal.
pub fn normalize_origin(url: &str) -> Option<String> {
    let (scheme, rest) = url.trim().split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let authority = rest.split(['/', '?', '#']).next()?.to_ascii_lowercase();
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    let default = match scheme.as_str() {
        "http" => "80",
        "https" => "443",
        _ => return None,
    };
    let has_port = authority.rsplit_once(':').is_some_and(|(h, p)| {
        !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()) && !h.ends_with(':')
    }) && !authority.ends_with(']');
    Some(if has_port {
        format!("{scheme}://{authority}")
    } else {
        format!("{scheme}://{authority}:{default}")
    })
}

/// What a state-changing request carries about where it was made.
#[derive(Debug, Default, Clone, Copy)]
pub struct WriteRequest<'a> {
    pub origin: Option<&'a str>,
    pub referer: Option<&'a str>,
    pub sec_fetch_site: Option<&'a str>,
    pub host: Option<&'a str>,
}

/// Whether a state-changing request was made by Slipway's own pages.
///
/// 1. It must say where it comes from: an `Origin`; without one (older
///    browsers on some form posts), a `Referer`; without either, the
///    browser's `Sec-Fetch-Site: same-origin`. A request that says nothing
///    is refused.
/// 2. That origin must be Slipway's: with `public_url` configured, its
///    scheme, host and port exactly (a spoofed `Host` header cannot make a
///    foreign origin match); without it, the `Host` the request was sent to
///    (host and port; the scheme cannot be known behind a proxy).
pub fn write_allowed(req: &WriteRequest<'_>, public_url: Option<&str>) -> bool {
    let claimed = match (req.origin, req.referer) {
        (Some("null"), _) => return false,
        (Some(origin), _) => origin,
        (None, Some(referer)) => referer,
        (None, None) => return req.sec_fetch_site == Some("same-origin"),
    };
    let Some(claimed) = normalize_origin(claimed) else {
        return false;
    };
    match public_url.and_then(normalize_origin) {
        Some(expected) => claimed == expected,
        None => {
            let Some(host) = req.host.map(str::to_ascii_lowercase) else {
                return false;
            };
            let authority = claimed.split_once("://").map_or("", |(_, a)| a);
            // The claimed origin carries an explicit port; so may Host.
            let scheme = claimed.split_once("://").map_or("", |(s, _)| s);
            normalize_origin(&format!("{scheme}://{host}"))
                .is_some_and(|h| h.split_once("://").is_some_and(|(_, a)| a == authority))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|n| n.parse().unwrap()).collect()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_claims() {
        let peer: IpAddr = "203.0.113.9".parse().unwrap();
        assert_eq!(
            client_addr(
                peer,
                Some("for=1.1.1.1"),
                Some("2.2.2.2"),
                &nets(&["10.0.0.0/8"])
            ),
            peer
        );
        assert_eq!(client_addr(peer, None, Some("2.2.2.2"), &[]), peer);
    }

    #[test]
    fn behind_trusted_proxies_the_rightmost_untrusted_address_is_the_client() {
        let proxy: IpAddr = "10.0.0.2".parse().unwrap();
        let trusted = nets(&["10.0.0.0/8"]);
        // The client forged the leftmost entry; the proxy appended the real one.
        assert_eq!(
            client_addr(
                proxy,
                None,
                Some("6.6.6.6, 198.51.100.7, 10.0.0.3"),
                &trusted
            ),
            "198.51.100.7".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            client_addr(
                proxy,
                Some(r#"for=6.6.6.6, for="[2001:db8::1]:4711";proto=https"#),
                Some("9.9.9.9"),
                &trusted
            ),
            "2001:db8::1".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            client_addr(proxy, None, Some("192.0.2.1:5555"), &trusted),
            "192.0.2.1".parse::<IpAddr>().unwrap()
        );
        // No header: the proxy itself.
        assert_eq!(client_addr(proxy, None, None, &trusted), proxy);
        // Garbage: the proxy itself.
        assert_eq!(client_addr(proxy, None, Some("not an ip"), &trusted), proxy);
    }

    #[test]
    fn origins_normalize_default_ports_and_case() {
        assert_eq!(
            normalize_origin("https://Example.com").as_deref(),
            Some("https://example.com:443")
        );
        assert_eq!(
            normalize_origin("https://example.com:443/x?y").as_deref(),
            Some("https://example.com:443")
        );
        assert_eq!(
            normalize_origin("http://127.0.0.1:3000/").as_deref(),
            Some("http://127.0.0.1:3000")
        );
        assert_eq!(
            normalize_origin("http://[::1]:8080").as_deref(),
            Some("http://[::1]:8080")
        );
        assert_eq!(
            normalize_origin("http://[::1]").as_deref(),
            Some("http://[::1]:80")
        );
        assert_eq!(normalize_origin("ftp://example.com"), None);
        assert_eq!(normalize_origin("https://user@example.com"), None);
        assert_eq!(normalize_origin("null"), None);
    }

    fn req<'a>(
        origin: Option<&'a str>,
        referer: Option<&'a str>,
        site: Option<&'a str>,
        host: &'a str,
    ) -> WriteRequest<'a> {
        WriteRequest {
            origin,
            referer,
            sec_fetch_site: site,
            host: Some(host),
        }
    }

    #[test]
    fn same_origin_writes_pass() {
        let host = "127.0.0.1:3000";
        assert!(write_allowed(
            &req(Some("http://127.0.0.1:3000"), None, None, host),
            None
        ));
        assert!(write_allowed(
            &req(None, Some("http://127.0.0.1:3000/projects/x"), None, host),
            None
        ));
        assert!(write_allowed(
            &req(None, None, Some("same-origin"), host),
            None
        ));
        let public = Some("https://releases.example.com");
        assert!(write_allowed(
            &req(
                Some("https://releases.example.com"),
                None,
                None,
                "internal:3000"
            ),
            public
        ));
    }

    #[test]
    fn forgery_variants_are_refused() {
        let host = "127.0.0.1:3000";
        for (origin, referer, site) in [
            (Some("https://evil.example"), None, None),
            (Some("null"), None, None),
            (None, Some("https://evil.example/page"), None),
            // No Origin, a foreign Referer: refused (it used to pass).
            (None, Some("https://evil.example/"), Some("same-origin")),
            // Nothing at all.
            (None, None, None),
            (None, None, Some("cross-site")),
            (None, None, Some("same-site")),
            (Some("http://127.0.0.1:3001"), None, None),
            (Some("http://127.0.0.1.evil.example:3000"), None, None),
            (Some("not a url"), None, None),
        ] {
            assert!(
                !write_allowed(&req(origin, referer, site, host), None),
                "{origin:?} {referer:?} {site:?}"
            );
        }
        // With the public URL configured, the scheme counts too, and a spoofed
        // Host header that matches a foreign Origin does not help.
        let public = Some("https://releases.example.com");
        assert!(!write_allowed(
            &req(
                Some("http://releases.example.com"),
                None,
                None,
                "releases.example.com"
            ),
            public
        ));
        assert!(!write_allowed(
            &req(Some("https://evil.example"), None, None, "evil.example"),
            public
        ));
        assert!(!write_allowed(
            &req(
                Some("https://releases.example.com:8443"),
                None,
                None,
                "releases.example.com"
            ),
            public
        ));
    }
}
