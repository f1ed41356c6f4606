//! Infisical's logins as the component sends them, and the lines their
//! failures print: one per method, naming it and what to fix, never the
//! credential.

use super::infisical::{AccessToken, IdentityJwt, InfisicalSettings, Login};
use super::Vault;
use crate::error::FailureKind;
use crate::test_transport::{ok, raw, Script};
use crate::transport::Method;

/// A JWT that must never appear in a message.
const JWT: &str =
    "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL2luZmlzaWNhbCJ9.c2VjcmV0LXNpZ25hdHVyZQ";
const IDENTITY: &str = "4f1e2d3c-0000-4000-8000-000000000001";

fn vault(login: Login) -> InfisicalSettings {
    InfisicalSettings {
        api_url: "http://127.0.0.1:1/api".into(),
        project_id: "proj".into(),
        environment: "prod".into(),
        path_prefix: "/MooseQuest/".into(),
        login,
    }
}

fn identity() -> IdentityJwt {
    IdentityJwt {
        identity_id: IDENTITY.into(),
        jwt: JWT.into(),
    }
}

/// Each JWT method: its login, its path, and a variable its 401 advice names.
fn jwt_methods() -> [(Login, &'static str, &'static str); 3] {
    [
        (
            Login::Kubernetes(identity()),
            "/v1/auth/kubernetes-auth/login",
            "INFISICAL_KUBERNETES_SERVICE_ACCOUNT_TOKEN_PATH",
        ),
        (
            Login::Oidc(identity()),
            "/v1/auth/oidc-auth/login",
            "INFISICAL_OIDC_AUDIENCE",
        ),
        (
            Login::Jwt(identity()),
            "/v1/auth/jwt-auth/login",
            "INFISICAL_AUTH_JWT",
        ),
    ]
}

fn issued(
    expires_in: serde_json::Value,
) -> Result<crate::transport::Response, crate::transport::TransportError> {
    ok(
        200,
        serde_json::json!({"accessToken": "vault-access-1", "expiresIn": expires_in, "accessTokenMaxTTL": 2592000, "tokenType": "Bearer"}),
    )
}

fn secrets() -> Result<crate::transport::Response, crate::transport::TransportError> {
    ok(
        200,
        serde_json::json!({"secrets": [
            {"secretKey": "APP_ID", "secretValue": "1"},
            {"secretKey": "PRIVATE_KEY_PEM", "secretValue": "k"},
        ], "imports": []}),
    )
}

fn infisical_error(
    status: u16,
    name: &str,
    message: &str,
) -> Result<crate::transport::Response, crate::transport::TransportError> {
    ok(
        status,
        serde_json::json!({"reqId": "req-1", "statusCode": status, "message": message, "error": name}),
    )
}

#[test]
fn each_jwt_login_posts_the_identity_and_the_jwt_and_no_authorization() {
    for (login, path, _) in jwt_methods() {
        let method = login.method();
        let t = Script::new(vec![issued(serde_json::json!(3600))]);
        let access = vault(login).login(&t, "raxx-host/test").unwrap();
        assert_eq!(
            (access.access_token.as_str(), access.expires_in),
            ("vault-access-1", Some(3600)),
            "{method}"
        );
        let seen = t.seen.borrow();
        assert_eq!(seen.len(), 1, "{method}: one request");
        let req = &seen[0];
        assert_eq!(req.method, Method::Post, "{method}");
        assert_eq!(req.url, format!("http://127.0.0.1:1/api{path}"), "{method}");
        let body: serde_json::Value = serde_json::from_slice(req.body.as_deref().unwrap()).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"identityId": IDENTITY, "jwt": JWT}),
            "{method}: exactly the identity and the token"
        );
        let header = |name: &str| {
            req.headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(header("authorization"), None, "{method}");
        assert_eq!(header("content-type"), Some("application/json"), "{method}");
        assert_eq!(header("user-agent"), Some("raxx-host/test"), "{method}");
    }
}

#[test]
fn expires_in_zero_or_absent_is_a_token_that_does_not_expire() {
    for (answer, want) in [
        (serde_json::json!(0), None),
        (serde_json::Value::Null, None),
        (serde_json::json!(7200), Some(7200)),
    ] {
        let t = Script::new(vec![issued(answer.clone())]);
        let access = vault(Login::Jwt(identity())).login(&t, "ua").unwrap();
        assert_eq!(access.expires_in, want, "{answer}");
    }
}

#[test]
fn an_access_token_sends_no_login_and_is_the_bearer() {
    let v = vault(Login::AccessToken(AccessToken("given-token".into())));
    let access = v.login(&Script::new(vec![]), "ua").unwrap();
    assert_eq!(
        (access.access_token.as_str(), access.expires_in),
        ("given-token", None)
    );
    let t = Script::new(vec![secrets()]);
    v.fetch_app_secrets(&t, "ua", "raxx-dev-bot").ok().unwrap();
    let seen = t.seen.borrow();
    assert_eq!(seen.len(), 1, "the secrets list only");
    assert!(seen[0].url.contains("/api/v4/secrets?"), "{}", seen[0].url);
    assert!(seen[0]
        .headers
        .contains(&("authorization".into(), "Bearer given-token".into())));
}

#[test]
fn a_refused_access_token_is_a_vault_failure_with_its_status_and_no_second_try() {
    for (status, name, said) in [
        (
            401,
            "UnauthorizedError",
            "Failed to authorize revoked access token, access token is revoked",
        ),
        (
            403,
            "TokenError",
            "Your token has expired. Please re-authenticate.",
        ),
    ] {
        let v = vault(Login::AccessToken(AccessToken("given-token".into())));
        let t = Script::new(vec![infisical_error(status, name, said)]);
        let f = v.fetch_app_secrets(&t, "ua", "raxx-dev-bot").err().unwrap();
        assert_eq!((f.kind, f.status), (FailureKind::Refused, Some(status)));
        assert_eq!(
            f.message,
            format!("Infisical refused to list /MooseQuest/raxx-dev-bot ({status} {name}: {said}); the access token was refused (expired or revoked): with INFISICAL_AUTH_METHOD=token issue a new INFISICAL_TOKEN; after a login, check the machine identity's Access Token TTL")
        );
        assert!(f.token_expired, "a caller that keeps tokens logs in again");
        assert_eq!(t.seen.borrow().len(), 1, "no login, no second list");
    }
    // A token Infisical accepts but whose identity may not read the folder:
    // the folder's advice, as for every login.
    let v = vault(Login::AccessToken(AccessToken("given-token".into())));
    let t = Script::new(vec![infisical_error(
        403,
        "ForbiddenError",
        "You are not allowed to read secrets",
    )]);
    let f = v.fetch_app_secrets(&t, "ua", "raxx-dev-bot").err().unwrap();
    assert!(
        f.message.ends_with("give the machine identity read access to /MooseQuest/raxx-dev-bot in project proj (prod)"),
        "{}",
        f.message
    );
}

#[test]
fn a_jwt_login_whose_token_expired_between_the_calls_logs_in_once_more() {
    let t = Script::new(vec![
        issued(serde_json::json!(60)),
        infisical_error(
            403,
            "TokenError",
            "Your token has expired. Please re-authenticate.",
        ),
        issued(serde_json::json!(60)),
        secrets(),
    ]);
    vault(Login::Kubernetes(identity()))
        .fetch_app_secrets(&t, "ua", "raxx-dev-bot")
        .ok()
        .unwrap();
    let paths: Vec<String> = t.seen.borrow().iter().map(|r| r.url.clone()).collect();
    assert_eq!(paths.len(), 4, "{paths:?}");
    assert!(
        paths[2].ends_with("/v1/auth/kubernetes-auth/login"),
        "{paths:?}"
    );
}

#[test]
fn each_jwt_login_failure_names_the_method_and_what_to_fix_never_the_jwt() {
    for (login, _, variable) in jwt_methods() {
        let method = login.method();
        let named = format!("INFISICAL_AUTH_METHOD={method}");
        let not_json = format!("Infisical's {method} login answer was not JSON");
        let no_token = format!("Infisical's {method} login answer has no accessToken");
        let cases = [
            (
                infisical_error(401, "UnauthorizedError", "Invalid credentials"),
                FailureKind::Refused,
                vec![
                    named.as_str(),
                    "401 UnauthorizedError: Invalid credentials",
                    "check INFISICAL_MACHINE_IDENTITY_ID",
                    variable,
                ],
            ),
            (
                infisical_error(
                    401,
                    "UnauthorizedError",
                    &format!("Access denied: JWT audience mismatch for {JWT}"),
                ),
                FailureKind::Refused,
                vec![
                    named.as_str(),
                    "audience mismatch",
                    "check INFISICAL_MACHINE_IDENTITY_ID",
                    variable,
                ],
            ),
            (
                infisical_error(
                    403,
                    "ForbiddenError",
                    "You are not allowed to access this resource from the current IP address",
                ),
                FailureKind::Refused,
                vec![named.as_str(), "403 ForbiddenError", "trusted IPs"],
            ),
            (
                infisical_error(
                    429,
                    "RateLimitExceeded",
                    "Rate limit exceeded. Please try again in 30 seconds",
                ),
                FailureKind::RateLimited,
                vec![
                    named.as_str(),
                    "429 RateLimitExceeded",
                    "rate limited; wait a minute",
                ],
            ),
            (
                raw(401, "<html>no</html>"),
                FailureKind::Refused,
                vec![
                    named.as_str(),
                    "401 non-JSON body",
                    "check INFISICAL_MACHINE_IDENTITY_ID",
                ],
            ),
            (
                raw(200, "<html>a proxy's page</html>"),
                FailureKind::Protocol,
                vec![not_json.as_str(), "check INFISICAL_API_URL"],
            ),
            (
                ok(200, serde_json::json!({"expiresIn": 1})),
                FailureKind::Protocol,
                vec![no_token.as_str()],
            ),
        ];
        for (answer, kind, parts) in cases {
            let t = Script::new(vec![answer]);
            let f = vault(login.clone())
                .fetch_app_secrets(&t, "ua", "raxx-dev-bot")
                .err()
                .unwrap();
            assert_eq!(f.kind, kind, "{method}: {}", f.message);
            for part in parts {
                assert!(
                    f.message.contains(part),
                    "{method}: {part:?} in {}",
                    f.message
                );
            }
            assert!(!f.message.contains(JWT), "{method}: {}", f.message);
            assert!(!f.message.contains('\n'), "{method}: one line");
            assert_eq!(
                t.seen.borrow().len(),
                1,
                "{method}: a refused login is not retried here"
            );
        }
    }
}

#[test]
fn universal_auth_lines_are_unchanged() {
    let login = Login::UniversalAuth(super::infisical::UniversalAuth {
        client_id: "cid".into(),
        client_secret: "csecret".into(),
    });
    let t = Script::new(vec![infisical_error(
        401,
        "UnauthorizedError",
        "Invalid credentials",
    )]);
    let f = vault(login.clone()).login(&t, "ua").err().unwrap();
    assert_eq!(
        f.message,
        "Infisical refused the machine identity login (401 UnauthorizedError: Invalid credentials); check INFISICAL_CLIENT_ID and INFISICAL_CLIENT_SECRET (the machine identity's Universal Auth credentials)"
    );
    let t = Script::new(vec![raw(200, "<html>")]);
    let f = vault(login).login(&t, "ua").err().unwrap();
    assert_eq!(
        f.message,
        "Infisical's login answer was not JSON; check INFISICAL_API_URL points at Infisical's API"
    );
}
