//! Proxies as curl reads them: `https_proxy` / `HTTPS_PROXY`, else
//! `all_proxy` / `ALL_PROXY` (lower case first, as curl checks them), and
//! `no_proxy` / `NO_PROXY` for the hosts that bypass it (hyper-util's
//! matcher, which follows curl: `*`, domains and their subdomains, IP
//! addresses and CIDR ranges). A proxied request goes through a CONNECT
//! tunnel (hyper-util's), so TLS runs end to end with the service; the proxy
//! URL's `user:password` is sent as `Proxy-Authorization: Basic` on the
//! CONNECT and appears nowhere else: every message shows the proxy as
//! `http://host:port` and names the variable it came from.
//!
//! Only `http://` proxies (the usual kind, and curl's default when a URL has
//! no scheme; port 1080 when it has none, as curl). Plain-http origins (the
//! loopback fakes, which egress allows only on loopback) never use a proxy.

use hyper_util::client::proxy::matcher::Matcher;
use raxx_url::Origin;
use std::sync::Arc;

/// The proxy configuration, or none.
#[derive(Clone, Default)]
pub struct Proxy {
    configured: Option<Arc<Configured>>,
}

struct Configured {
    matcher: Matcher,
    /// `http://host:port`, without credentials.
    shown: String,
    /// The variable the proxy came from.
    variable: &'static str,
    has_credentials: bool,
}

/// Where one connection goes instead of its origin.
pub struct Route {
    pub proxy: http::Uri,
    /// `Basic …` from the proxy URL's user info (a sensitive header value).
    pub authorization: Option<http::HeaderValue>,
}

/// A proxy variable that cannot be used; the message never holds its value.
#[derive(Debug, PartialEq, Eq)]
pub struct ProxyError(pub String);

/// Curl's port for a proxy URL without one.
const CURL_DEFAULT_PROXY_PORT: u16 = 1080;

impl Proxy {
    /// Reads the proxy variables through `var`.
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Result<Proxy, ProxyError> {
        let first = |names: [&'static str; 2]| {
            names.into_iter().find_map(|n| {
                var(n)
                    .filter(|v| !v.trim().is_empty())
                    .map(|v| (n, v.trim().to_string()))
            })
        };
        let Some((variable, value)) =
            first(["https_proxy", "HTTPS_PROXY"]).or_else(|| first(["all_proxy", "ALL_PROXY"]))
        else {
            return Ok(Proxy::default());
        };
        let no_proxy = first(["no_proxy", "NO_PROXY"])
            .map(|(_, v)| v)
            .unwrap_or_default();
        // curl's `*` bypasses the proxy for every host; hyper-util's matcher applies it to names only, not IP addresses.
        if no_proxy.split(',').any(|entry| entry.trim() == "*") {
            return Ok(Proxy::default());
        }
        let (url, shown, has_credentials) = read_proxy_url(variable, &value)?;
        let matcher = Matcher::builder().https(url).no(no_proxy).build();
        Ok(Proxy {
            configured: Some(Arc::new(Configured {
                matcher,
                shown,
                variable,
                has_credentials,
            })),
        })
    }

    /// The proxy to tunnel through to `origin`, if one applies.
    pub fn route(&self, origin: &Origin) -> Option<Route> {
        let configured = self.configured.as_ref()?;
        if !origin.https {
            return None;
        }
        let dst: http::Uri = format!("https://{}/", origin.authority()).parse().ok()?;
        let intercept = configured.matcher.intercept(&dst)?;
        Some(Route {
            proxy: intercept.uri().clone(),
            authorization: intercept.basic_auth().cloned(),
        })
    }

    /// `http://host:port (HTTPS_PROXY)`, for messages: never the credentials.
    pub fn describe(&self) -> String {
        match &self.configured {
            Some(c) => format!("the proxy {} ({})", c.shown, c.variable),
            None => "no proxy".into(),
        }
    }

    pub fn has_credentials(&self) -> bool {
        self.configured.as_ref().is_some_and(|c| c.has_credentials)
    }
}

impl std::fmt::Debug for Proxy {
    /// Without the credentials.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

/// The URL handed to the matcher (with its user info), the URL shown (without), and whether it had credentials.
fn read_proxy_url(variable: &str, value: &str) -> Result<(String, String, bool), ProxyError> {
    let invalid = |why: &str| ProxyError(format!("{variable} is not a proxy raxx can use: {why}"));
    let with_scheme = if value.contains("://") {
        value.to_string()
    } else {
        format!("http://{value}")
    };
    let uri: http::Uri = with_scheme
        .parse()
        .map_err(|_| invalid("expected http://[USER:PASSWORD@]HOST[:PORT]"))?;
    match uri.scheme_str().map(str::to_ascii_lowercase).as_deref() {
        Some("http") => {}
        Some("https") => return Err(invalid("https:// proxies (TLS to the proxy) are not supported; give its http:// address (the tunnel to the service is still TLS end to end)")),
        Some(s) if s.starts_with("socks") => return Err(invalid("SOCKS proxies are not supported; give an HTTP proxy (CONNECT)")),
        _ => return Err(invalid("expected http://[USER:PASSWORD@]HOST[:PORT]")),
    }
    let authority = uri.authority().ok_or_else(|| invalid("it names no host"))?;
    let (userinfo, _) = authority.as_str().rsplit_once('@').unzip();
    let host = authority.host();
    if host.is_empty() {
        return Err(invalid("it names no host"));
    }
    let host_port = authority
        .as_str()
        .rsplit_once('@')
        .map_or(authority.as_str(), |(_, hp)| hp);
    let port = match host_port[host.len()..].strip_prefix(':') {
        None | Some("") => CURL_DEFAULT_PROXY_PORT,
        Some(digits) => digits
            .parse::<u16>()
            .ok()
            .filter(|p| *p != 0)
            .ok_or_else(|| invalid("its port is not a number from 1 to 65535"))?,
    };
    let shown = format!("http://{host}:{port}");
    let url = match userinfo {
        Some(userinfo) => format!("http://{userinfo}@{host}:{port}"),
        None => shown.clone(),
    };
    Ok((url, shown, userinfo.is_some()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxy(pairs: &[(&str, &str)]) -> Result<Proxy, ProxyError> {
        Proxy::from_env(|k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        })
    }

    fn origin(url: &str) -> Origin {
        Origin::from_base_url(url).unwrap()
    }

    #[test]
    fn https_origins_go_through_the_https_or_all_proxy() {
        let gh = origin("https://api.github.com");
        assert!(proxy(&[]).unwrap().route(&gh).is_none());
        let p = proxy(&[("HTTPS_PROXY", "http://proxy.corp:3128")]).unwrap();
        assert_eq!(p.route(&gh).unwrap().proxy, "http://proxy.corp:3128/");
        let p = proxy(&[("ALL_PROXY", "proxy.corp")]).unwrap();
        assert_eq!(
            p.route(&gh).unwrap().proxy,
            "http://proxy.corp:1080/",
            "curl's scheme and port when none is given"
        );
        let p = proxy(&[
            ("https_proxy", "http://lower:1"),
            ("HTTPS_PROXY", "http://upper:2"),
            ("ALL_PROXY", "http://all:3"),
        ])
        .unwrap();
        assert_eq!(
            p.route(&gh).unwrap().proxy,
            "http://lower:1/",
            "lower case first, as curl"
        );
        assert!(
            p.route(&origin("http://127.0.0.1:8080")).is_none(),
            "plain http (loopback only) is never proxied"
        );
    }

    #[test]
    fn no_proxy_follows_curl() {
        let p = proxy(&[
            ("HTTPS_PROXY", "http://proxy:3128"),
            (
                "NO_PROXY",
                "github.com, .corp.example, 10.0.0.0/8, 127.0.0.1",
            ),
        ])
        .unwrap();
        for bypassed in [
            "https://api.github.com",
            "https://github.com",
            "https://vault.corp.example",
            "https://10.1.2.3",
            "https://127.0.0.1:8443",
        ] {
            assert!(p.route(&origin(bypassed)).is_none(), "{bypassed}");
        }
        for proxied in [
            "https://notgithub.com",
            "https://app.infisical.com",
            "https://11.0.0.1",
            "https://[::1]:8443",
        ] {
            assert!(p.route(&origin(proxied)).is_some(), "{proxied}");
        }
        let all = proxy(&[
            ("HTTPS_PROXY", "http://proxy:3128"),
            ("no_proxy", "a.example, *"),
        ])
        .unwrap();
        assert!(all.route(&origin("https://api.github.com")).is_none());
        assert!(
            all.route(&origin("https://127.0.0.1:8443")).is_none(),
            "* covers IP addresses too, as in curl"
        );
    }

    #[test]
    fn credentials_become_basic_auth_and_are_never_shown() {
        let p = proxy(&[("HTTPS_PROXY", "http://raxx:s3cr%40t@proxy:3128")]).unwrap();
        let route = p.route(&origin("https://api.github.com")).unwrap();
        assert_eq!(route.proxy, "http://proxy:3128/");
        // base64("raxx:s3cr@t")
        assert_eq!(route.authorization.unwrap(), "Basic cmF4eDpzM2NyQHQ=");
        assert_eq!(p.describe(), "the proxy http://proxy:3128 (HTTPS_PROXY)");
        assert!(p.has_credentials());
        assert!(!format!("{p:?}").contains("s3cr"));
    }

    #[test]
    fn unusable_proxies_are_named_without_their_value() {
        for (value, why) in [
            ("https://u:pw@proxy:443", "https:// proxies"),
            ("socks5://u:pw@proxy:1080", "SOCKS"),
            ("http://u:pw@:3128", "no host"),
            ("http://u:pw@proxy:99999", "port"),
        ] {
            let err = proxy(&[("ALL_PROXY", value)]).unwrap_err();
            assert!(
                err.0.starts_with("ALL_PROXY is not a proxy raxx can use"),
                "{}",
                err.0
            );
            assert!(err.0.contains(why), "{value}: {}", err.0);
            assert!(!err.0.contains("pw"), "{}", err.0);
        }
    }
}
