use super::*;

fn list(infisical: &str, github: &str) -> Allowlist {
    Allowlist::new(vec![
        Base::new("infisical", infisical).unwrap(),
        Base::new("github", github).unwrap(),
    ])
}

fn scope(permissions: &[(&str, &str)], repositories: &[&str]) -> Scope {
    Scope {
        permissions: permissions
            .iter()
            .map(|(n, l)| (n.to_string(), l.to_string()))
            .collect(),
        repositories: repositories.iter().map(|r| r.to_string()).collect(),
    }
}

/// The judgement of `METHOD URI` for `call`: Ok, or the refusal's message.
fn judge(allow: &Allowlist, call: Call, method: &str, uri: &str) -> Result<(), String> {
    let allow = allow.for_call(
        call,
        Some("raxx-dev-bot"),
        Some(scope(&[("contents", "read")], &[])),
    );
    allow.admit_url(method, uri).map(|_| ()).map_err(|d| d.0)
}

#[test]
fn the_list_reads_and_every_template_is_one_the_hook_understands() {
    assert_eq!(
        LIST.services.keys().collect::<Vec<_>>(),
        ["github", "infisical"]
    );
    for (service, rules) in LIST.services.iter().map(|(k, s)| (k, &s.requests)) {
        assert!(!rules.is_empty(), "{service:?}");
        for rule in rules {
            assert!(
                ["GET", "POST", "PUT", "DELETE"].contains(&rule.method.as_str()),
                "{rule:?}"
            );
            assert!(
                rule.path.starts_with('/') && !rule.path.ends_with('/') && !rule.calls.is_empty(),
                "{rule:?}"
            );
            for segment in rule.path.split('/').skip(1) {
                let placeholder = segment
                    .split_once('{')
                    .map(|(_, r)| r.split_once('}').map(|(name, _)| name));
                assert!(
                    matches!(
                        placeholder,
                        None | Some(Some("id" | "owner" | "repo" | "bot"))
                    ),
                    "{rule:?}"
                );
            }
        }
    }
}

#[test]
fn only_exact_scheme_host_and_port_of_a_base() {
    let allow = list("http://127.0.0.1:8080/api", "https://api.github.com");
    let mint = |uri: &str| judge(&allow, Call::Mint, "GET", uri);
    assert!(mint("https://API.GITHUB.COM:443/app/installations").is_ok());
    for (uri, why) in [
        ("http://api.github.com/app/installations", "other scheme"),
        (
            "https://api.github.com:8443/app/installations",
            "other port",
        ),
        (
            "http://127.0.0.1:8081/api/v4/secrets",
            "other loopback port",
        ),
        ("https://evil.example/app/installations", "other host"),
        ("http://169.254.169.254/latest/meta-data", "metadata"),
        (
            "https://api.github.com.:443/app/installations",
            "another spelling of an allowed host",
        ),
    ] {
        assert!(mint(uri).is_err(), "{why}: {uri}");
    }
    assert_eq!(
        mint("https://evil.example/app/installations?token=x").unwrap_err(),
        "GET https://evil.example:443/app/installations: not an allowed origin"
    );
    let lenient = mint("http://127.0.0.1:+8080/api/v4/secrets").unwrap_err();
    assert_eq!(
        lenient,
        "GET /api/v4/secrets: its URL has a port that is not a plain number from 1 to 65535"
    );
    let user = mint("https://user:secret@api.github.com/app/installations").unwrap_err();
    assert!(
        !user.contains("secret"),
        "user info is never repeated: {user}"
    );
}

#[test]
fn a_call_sends_only_its_own_requests() {
    let allow = list("https://vault.example/api", "https://api.github.com");
    let ok = |call, method, uri| judge(&allow, call, method, uri).is_ok();
    assert!(ok(
        Call::Mint,
        "POST",
        "https://vault.example/api/v1/auth/universal-auth/login"
    ));
    assert!(ok(
        Call::Mint,
        "GET",
        "https://vault.example/api/v4/secrets?projectId=p&secretPath=%2Fx"
    ));
    assert!(ok(
        Call::Mint,
        "POST",
        "https://api.github.com/app/installations/55000001/access_tokens"
    ));
    assert!(ok(
        Call::Mint,
        "GET",
        "https://api.github.com/repos/raxx-app/.github/installation"
    ));
    assert!(ok(
        Call::Verify,
        "DELETE",
        "https://api.github.com/installation/token"
    ));
    assert!(ok(
        Call::Revoke,
        "DELETE",
        "https://api.github.com/installation/token"
    ));
    assert!(ok(
        Call::SetSuspended,
        "PUT",
        "https://api.github.com/app/installations/7/suspended"
    ));
    assert!(ok(
        Call::BotUserId,
        "GET",
        "https://api.github.com/users/raxx-dev-bot%5Bbot%5D"
    ));
    for (call, method, uri) in [
        (
            Call::Mint,
            "PUT",
            "https://api.github.com/app/installations/7/suspended",
        ),
        (Call::Mint, "GET", "https://api.github.com/app"),
        (
            Call::Revoke,
            "POST",
            "https://api.github.com/app/installations/7/access_tokens",
        ),
        (
            Call::Revoke,
            "POST",
            "https://vault.example/api/v1/auth/universal-auth/login",
        ),
        (
            Call::BotUserId,
            "GET",
            "https://api.github.com/users/raxx-ops-bot%5Bbot%5D",
        ),
        (
            Call::BotUserId,
            "GET",
            "https://api.github.com/users/raxx-app",
        ),
        (
            Call::Mint,
            "POST",
            "https://api.github.com/repos/raxx-app/TradeMasterAPI/issues",
        ),
        (
            Call::Mint,
            "GET",
            "https://api.github.com/app/installations/7/access_tokens",
        ),
        (
            Call::Mint,
            "PATCH",
            "https://api.github.com/app/hook/config",
        ),
        (
            Call::Mint,
            "POST",
            "https://api.github.com/app/installations/7/access_tokens?x=1",
        ),
        (
            Call::Mint,
            "GET",
            "https://vault.example/api/v3/secrets/raw/PRIVATE_KEY_PEM",
        ),
    ] {
        assert!(
            judge(&allow, call, method, uri).is_err(),
            "{call:?} {method} {uri}"
        );
    }
    let refused = judge(
        &allow,
        Call::Mint,
        "GET",
        "https://vault.example/api/v3/secrets/raw/X?secretPath=%2Fbot",
    )
    .unwrap_err();
    assert_eq!(
        refused,
        "GET https://vault.example:443/api/v3/secrets/raw/X: not a request the minter makes",
        "method, origin and path; no query"
    );
    assert!(
        Allowlist::new(allow.bases().to_vec())
            .admit_url(
                "POST",
                "https://vault.example/api/v1/auth/universal-auth/login"
            )
            .is_err(),
        "no call, no request"
    );
}

#[test]
fn paths_are_matched_segment_by_segment_under_the_base_path() {
    let ghe = list("https://vault.example/api", "https://ghe.example/api/v3");
    let mint = |uri: &str| judge(&ghe, Call::Mint, "GET", uri);
    assert!(
        mint("https://ghe.example/api/v3/app/installations?per_page=100&page=2").is_ok(),
        "a next page under the base"
    );
    for uri in [
        "https://ghe.example/app/installations",
        "https://ghe.example/api/v3x/app/installations",
        "https://ghe.example/api/v3/../v3/app/installations",
        "https://ghe.example/api/v3/app/installations/",
        "https://ghe.example/api/v3//app/installations",
        "https://ghe.example/api%2Fv3/app/installations",
        "https://ghe.example/api/v3/orgs/../installation",
        "https://ghe.example/api/v3/orgs/a%2Fb/installation",
        "https://ghe.example/api/v3/repos/acme/../installation",
        "https://ghe.example/api/v3/app/installations/7x/access_tokens",
        "https://ghe.example/api/v3/app/installations/12345678901234567890/access_tokens",
    ] {
        assert!(
            mint(uri).is_err() && judge(&ghe, Call::Mint, "POST", uri).is_err(),
            "{uri}"
        );
    }
}

#[test]
fn a_token_request_may_ask_no_more_than_the_resolution() {
    let within = scope(&[("contents", "write"), ("issues", "read")], &[]);
    let ok = |s: &Scope, body: &str| s.check(body.as_bytes());
    assert_eq!(
        ok(
            &within,
            r#"{"permissions":{"issues":"read","contents":"read"}}"#
        )
        .unwrap(),
        br#"{"permissions":{"contents":"read","issues":"read"}}"#
    );
    assert!(
        ok(
            &within,
            r#"{"permissions":{"contents":"write"},"repositories":["anything"]}"#
        )
        .is_ok(),
        "the installation's selection: any of it"
    );
    for (body, why) in [
        (r#"{}"#, "no permissions"),
        (r#"{"permissions":{}}"#, "no permissions"),
        (r#"{"repositories":["app"]}"#, "no permissions"),
        (
            r#"{"permissions":{"issues":"write"}}"#,
            "more than the resolution's",
        ),
        (
            r#"{"permissions":{"contents":"owner"}}"#,
            "more than the resolution's",
        ),
        // Names of Object.prototype's members: the Node host once ranked them by an object lookup.
        (
            r#"{"permissions":{"contents":"constructor"}}"#,
            "more than the resolution's",
        ),
        (
            r#"{"permissions":{"contents":"toString"}}"#,
            "more than the resolution's",
        ),
        (
            r#"{"permissions":{"contents":"__proto__"}}"#,
            "more than the resolution's",
        ),
        (
            r#"{"permissions":{"contents":"hasOwnProperty"}}"#,
            "more than the resolution's",
        ),
        (
            r#"{"permissions":{"contents":"valueOf"}}"#,
            "more than the resolution's",
        ),
        (
            r#"{"permissions":{"contents":"Read"}}"#,
            "more than the resolution's",
        ),
        (r#"{"permissions":{"__proto__":"read"}}"#, "does not grant"),
        (
            r#"{"permissions":{"constructor":"read"}}"#,
            "does not grant",
        ),
        (
            r#"{"permissions":{"administration":"read"}}"#,
            "does not grant",
        ),
        (
            r#"{"permissions":{"issues":"read"},"repository_ids":[1]}"#,
            "not a token request",
        ),
        (
            r#"{"permissions":{"issues":"read"},"permissions":{"administration":"write"}}"#,
            "not a token request",
        ),
        (r#"["permissions"]"#, "not a token request"),
        ("", "not a token request"),
    ] {
        let e = ok(&within, body).unwrap_err();
        assert!(e.contains(why), "{body}: {e}");
    }
    let named = scope(&[("issues", "write")], &["app", "docs"]);
    assert!(ok(
        &named,
        r#"{"permissions":{"issues":"write"},"repositories":["docs"]}"#
    )
    .is_ok());
    assert!(ok(&named, r#"{"permissions":{"issues":"write"}}"#)
        .unwrap_err()
        .contains("every repository of the installation"));
    assert!(ok(
        &named,
        r#"{"permissions":{"issues":"write"},"repositories":[]}"#
    )
    .unwrap_err()
    .contains("every repository of the installation"));
    assert!(ok(
        &named,
        r#"{"permissions":{"issues":"write"},"repositories":["app","secrets"]}"#
    )
    .unwrap_err()
    .contains("`secrets`, outside"));
}

#[test]
fn a_token_exchange_needs_a_scope() {
    let allow = list("https://vault.example/api", "https://api.github.com").for_call(
        Call::Mint,
        None,
        None,
    );
    let refused = allow
        .admit_url(
            "POST",
            "https://api.github.com/app/installations/7/access_tokens",
        )
        .err()
        .unwrap();
    assert!(
        refused
            .0
            .ends_with("a token exchange outside a call that resolved a scope"),
        "{refused}"
    );
}

#[test]
fn the_architecture_page_shows_the_list() {
    let page = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/architecture.md"
    ))
    .unwrap();
    for (service, rules) in LIST.services.values().map(|s| (&s.name, &s.requests)) {
        for rule in rules {
            let calls: Vec<String> = rule
                .calls
                .iter()
                .map(|c| {
                    serde_json::to_value(c)
                        .unwrap()
                        .as_str()
                        .unwrap()
                        .to_string()
                })
                .collect();
            let row = format!(
                "| {service} | `{} {}` | {} |",
                rule.method,
                rule.path,
                calls.join(", ")
            );
            assert!(
                page.contains(&row),
                "docs/architecture.md lacks the row {row}"
            );
        }
    }
}
