use super::*;

fn o(https: bool, host: &str, port: u16) -> Origin {
    Origin {
        https,
        host: host.into(),
        port,
    }
}

/// Base URLs that parse, and where they point.
const ACCEPTED: [(&str, (bool, &str, u16)); 9] = [
    ("https://api.github.com", (true, "api.github.com", 443)),
    ("https://API.GitHub.COM/", (true, "api.github.com", 443)),
    (
        "https://ghe.example:8443/api/v3",
        (true, "ghe.example", 8443),
    ),
    ("http://127.0.0.1:18082/api", (false, "127.0.0.1", 18082)),
    ("http://[::1]:9/api", (false, "::1", 9)),
    ("https://[2001:DB8::1]/api", (true, "2001:db8::1", 443)),
    ("http://localhost:00080", (false, "localhost", 80)),
    (
        "https://app.infisical.com/api/v1%2Fx",
        (true, "app.infisical.com", 443),
    ),
    (
        "https://xn--bcher-kva.example",
        (true, "xn--bcher-kva.example", 443),
    ),
];

/// Base URLs both sides refuse, and why.
const REFUSED: [(&str, UrlError); 23] = [
    ("https://user:pw@api.github.com", UrlError::UserInfo),
    ("https://user@api.github.com", UrlError::UserInfo),
    ("https://api.github.com@evil.example", UrlError::UserInfo),
    ("http://127.0.0.1:+18082", UrlError::Port),
    ("http://127.0.0.1:-1", UrlError::Port),
    ("https://api.github.com:", UrlError::Port),
    ("https://api.github.com:0", UrlError::Port),
    ("https://api.github.com:65536", UrlError::Port),
    ("https://api.github.com:443443", UrlError::Port),
    ("http://[::1]:+9", UrlError::Port),
    ("https://api%2egithub.com", UrlError::NotUrl),
    ("http://[fe80::1%25lo]:9", UrlError::HostEscape),
    ("https://api.github.com.", UrlError::TrailingDot),
    ("https://api.github.com.:443/x", UrlError::TrailingDot),
    ("ftp://api.github.com", UrlError::Scheme),
    ("api.github.com/app", UrlError::NotUrl),
    ("//api.github.com/app", UrlError::Scheme),
    ("api.github.com:443", UrlError::Scheme),
    ("https://api.github.com?x=1", UrlError::QueryInBase),
    ("https://api.github.com/#x", UrlError::QueryInBase),
    ("not a url", UrlError::NotUrl),
    ("http://api.github.com", UrlError::PlainHttp),
    ("http://127.0.0.1.nip.io:8080", UrlError::PlainHttp),
];

#[test]
fn reads_base_urls_into_origins() {
    for (url, (https, host, port)) in ACCEPTED {
        assert_eq!(
            parse_base(url).map(|t| t.origin),
            Ok(o(https, host, port)),
            "{url}"
        );
    }
}

#[test]
fn refuses_what_http_uri_lets_through() {
    for (url, why) in REFUSED {
        assert_eq!(parse_base(url).map(|t| t.origin), Err(why.clone()), "{url}");
    }
    assert!(matches!(
        parse("https://:443/x"),
        Err(UrlError::NotUrl | UrlError::NoHost)
    ));
    assert!(parse("https://[::1/x").is_err());
    assert!(
        parse("https://bücher.example/").is_err(),
        "non-ASCII hosts are not URLs"
    );
}

/// The seam itself: the component splits a request URL with `parse` and hands
/// scheme, authority and path to `wasi:http`; wasmtime rebuilds a `Uri` from
/// them (`http_impl.rs`: `Uri::builder().scheme(..).authority(..).path_and_query(..)`)
/// and the host judges that with `origin`. Every accepted base URL must reach
/// the host as the origin the allowlist was built from.
#[test]
fn the_component_and_the_allowlist_agree() {
    for (url, _) in ACCEPTED {
        let allowed = parse_base(url).unwrap().origin;
        let request = join(
            url,
            &format!(
                "/v4/secrets?secretPath={}",
                encode("/MooseQuest/raxx-dev-bot")
            ),
        );
        let split = parse(&request).unwrap();
        assert_eq!(split.origin, allowed, "{request}");
        let scheme = if split.origin.https { "https" } else { "http" };
        let rebuilt = Uri::builder()
            .scheme(scheme)
            .authority(split.authority.as_str())
            .path_and_query(split.path_and_query.as_str())
            .build()
            .unwrap();
        assert_eq!(Origin::from_uri(&rebuilt), Ok(allowed), "{rebuilt}");
        assert!(
            split
                .path_and_query
                .ends_with("secretPath=%2FMooseQuest%2Fraxx-dev-bot"),
            "{}",
            split.path_and_query
        );
    }
    // What a guest could send that no accepted base URL produces is refused, not read leniently.
    for authority in [
        "127.0.0.1:+18082",
        "api.github.com:",
        "API.GITHUB.COM.",
        "user@api.github.com",
    ] {
        let uri = Uri::builder()
            .scheme("https")
            .authority(authority)
            .path_and_query("/")
            .build()
            .unwrap();
        assert!(Origin::from_uri(&uri).is_err(), "{authority}");
    }
}

#[test]
fn plain_http_only_to_loopback() {
    for host in ["localhost", "LOCALHOST", "127.0.0.1", "127.8.9.10", "[::1]"] {
        assert!(
            Origin::from_base_url(&format!("http://{host}:1/x")).is_ok(),
            "{host}"
        );
    }
    for host in ["10.0.0.1", "169.254.169.254", "localhost.example", "[::2]"] {
        assert!(
            Origin::from_base_url(&format!("http://{host}:1/x"))
                .unwrap_err()
                .contains("use https"),
            "{host}"
        );
    }
    assert_eq!(
        Origin::from_base_url("https://user@h").unwrap_err(),
        "\"https://user@h\" must not carry user info (user@host)"
    );
}

#[test]
fn a_url_without_a_path_requests_the_root() {
    assert_eq!(parse("https://api.github.com").unwrap().path_and_query, "/");
    assert_eq!(
        parse("http://127.0.0.1:8080/api/v4/secrets?x=1")
            .unwrap()
            .path_and_query,
        "/api/v4/secrets?x=1"
    );
    assert_eq!(
        parse("http://127.0.0.1:8080/x").unwrap().authority,
        "127.0.0.1:8080"
    );
}

#[test]
fn origins_name_what_to_connect_to() {
    assert_eq!(
        o(true, "api.github.com", 443).authority(),
        "api.github.com:443"
    );
    assert_eq!(o(false, "::1", 9).authority(), "[::1]:9");
    assert_eq!(o(false, "::1", 9).to_string(), "http://[::1]:9");
}

#[test]
fn encodes_everything_but_unreserved_characters() {
    assert_eq!(
        encode("/MooseQuest/raxx-dev-bot"),
        "%2FMooseQuest%2Fraxx-dev-bot"
    );
    assert_eq!(encode("a b&c=d%e"), "a%20b%26c%3Dd%25e");
    assert_eq!(encode("A-z_0.9~"), "A-z_0.9~");
    assert_eq!(encode("ü"), "%C3%BC");
}

#[test]
fn joins_without_double_slashes() {
    assert_eq!(join("https://h/api/", "/v1/x"), "https://h/api/v1/x");
    assert_eq!(join("https://h/api", "/v1/x"), "https://h/api/v1/x");
}
