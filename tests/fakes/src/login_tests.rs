//! The fake Infisical's JWT logins and the fake Actions endpoint verify what
//! they receive, and answer as the real services do.

use crate::infisical::FakeInfisical;
use crate::jwt::{service_account_subject, FakeIssuer};
use crate::server::{HttpRequest, Reply};
use std::collections::BTreeMap;
use std::sync::OnceLock;

const AUDIENCE: &str = "https://infisical.example";

/// One issuer per test process (a 2048-bit key is slow to make).
fn issuer() -> &'static FakeIssuer {
    static ISSUER: OnceLock<FakeIssuer> = OnceLock::new();
    ISSUER.get_or_init(|| FakeIssuer::new("https://issuer.example"))
}

fn post(path: &str, body: serde_json::Value) -> HttpRequest {
    HttpRequest {
        method: "POST".into(),
        path: path.into(),
        query: BTreeMap::new(),
        headers: BTreeMap::new(),
        body: body.to_string().into_bytes(),
    }
}

fn secrets(token: &str) -> HttpRequest {
    HttpRequest {
        method: "GET".into(),
        path: "/api/v4/secrets".into(),
        query: [
            ("projectId", "p"),
            ("environment", "prod"),
            ("secretPath", "/x"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect(),
        headers: [("authorization".to_string(), format!("Bearer {token}"))].into(),
        body: vec![],
    }
}

/// (status, the JSON body) of a reply.
fn answer(reply: Reply) -> (u16, serde_json::Value) {
    let Reply::Respond(resp) = reply else {
        panic!("a plain answer")
    };
    (resp.status, serde_json::from_slice(&resp.body).unwrap())
}

fn vault() -> FakeInfisical {
    let v = FakeInfisical::new("p");
    v.add_jwt_identity(
        "id-k8s",
        "kubernetes",
        issuer().public(),
        AUDIENCE,
        Some(&service_account_subject("agents", "raxx")),
    );
    v.add_jwt_identity("id-oidc", "oidc", issuer().public(), AUDIENCE, None);
    v.add_jwt_identity("id-jwt", "jwt", issuer().public(), AUDIENCE, None);
    v.put_folder("prod", "/x", vec![("APP_ID".into(), "1".into())]);
    v
}

fn login(v: &FakeInfisical, method: &str, id: &str, jwt: &str) -> (u16, serde_json::Value) {
    answer(v.handle(&post(
        &format!("/api/v1/auth/{method}-auth/login"),
        serde_json::json!({"identityId": id, "jwt": jwt}),
    )))
}

#[test]
fn a_good_token_logs_in_and_its_access_token_reads_secrets() {
    let v = vault();
    let sa = issuer().issue(AUDIENCE, &service_account_subject("agents", "raxx"), 60);
    for (method, id, jwt) in [
        ("kubernetes", "id-k8s", sa.clone()),
        ("oidc", "id-oidc", issuer().issue(AUDIENCE, "repo:a/b", 60)),
        ("jwt", "id-jwt", issuer().issue(AUDIENCE, "anyone", 60)),
    ] {
        let (status, body) = login(&v, method, id, &jwt);
        assert_eq!(status, 200, "{method}: {body}");
        assert_eq!(body["expiresIn"], 7200);
        assert_eq!(body["tokenType"], "Bearer");
        let token = body["accessToken"].as_str().unwrap();
        assert_eq!(answer(v.handle(&secrets(token))).0, 200, "{method}");
        assert_eq!(v.logins_by(method), 1);
    }
    assert_eq!((v.logins(), v.secret_reads()), (3, 3));
}

#[test]
fn what_does_not_match_the_identity_is_refused_as_infisical_refuses_it() {
    let v = vault();
    let other = FakeIssuer::new("https://elsewhere.example");
    let sub = service_account_subject("agents", "raxx");
    let good = issuer().issue(AUDIENCE, &sub, 60);
    let cases = [
        (
            "kubernetes",
            "id-unknown",
            good.clone(),
            401,
            "Invalid credentials",
        ),
        ("oidc", "id-k8s", good.clone(), 401, "Invalid credentials"),
        (
            "kubernetes",
            "id-k8s",
            other.issue(AUDIENCE, &sub, 60),
            401,
            "Access denied: invalid signature",
        ),
        (
            "kubernetes",
            "id-k8s",
            issuer().issue(AUDIENCE, &sub, -10),
            401,
            "Access denied: jwt expired",
        ),
        (
            "kubernetes",
            "id-k8s",
            issuer().issue("https://kubernetes.default.svc", &sub, 60),
            401,
            "Access denied: Kubernetes service account token audience not allowed.",
        ),
        (
            "oidc",
            "id-oidc",
            issuer().issue("sts.amazonaws.com", "x", 60),
            401,
            "Access denied: OIDC audience not allowed.",
        ),
        (
            "jwt",
            "id-jwt",
            issuer().issue("nobody", "x", 60),
            401,
            "Access denied: JWT audience not allowed.",
        ),
        (
            "kubernetes",
            "id-k8s",
            issuer().issue(AUDIENCE, &service_account_subject("other", "raxx"), 60),
            403,
            "Access denied: Kubernetes service account token subject not allowed.",
        ),
        (
            "jwt",
            "id-jwt",
            "not.a.jwt".to_string(),
            401,
            "Access denied: jwt malformed",
        ),
    ];
    for (method, id, jwt, status, message) in cases {
        let (got, body) = login(&v, method, id, &jwt);
        assert_eq!(
            (got, body["message"].as_str()),
            (status, Some(message)),
            "{method} {id}"
        );
        assert!(body["error"].is_string() && body["reqId"].is_string());
    }
    let (status, body) = answer(v.handle(&post(
        "/api/v1/auth/oidc-auth/login",
        serde_json::json!({"identityId": "id-oidc"}),
    )));
    assert_eq!(
        (status, body["error"].as_str()),
        (422, Some("ValidationFailure"))
    );
    assert_eq!(v.logins_by("kubernetes"), 5, "refused logins count too");
}

#[test]
fn access_tokens_live_expires_in_and_can_expire_or_be_revoked() {
    let v = vault();
    v.set_expires_in(0);
    let (_, body) = login(&v, "jwt", "id-jwt", &issuer().issue(AUDIENCE, "x", 60));
    assert_eq!(body["expiresIn"], 0, "0: does not expire");
    let token = body["accessToken"].as_str().unwrap().to_string();
    v.expire_access_tokens();
    let (status, body) = answer(v.handle(&secrets(&token)));
    assert_eq!((status, body["error"].as_str()), (403, Some("TokenError")));
    v.set_expires_in(60);
    let (_, body) = login(&v, "jwt", "id-jwt", &issuer().issue(AUDIENCE, "x", 60));
    let token = body["accessToken"].as_str().unwrap().to_string();
    assert_eq!(answer(v.handle(&secrets(&token))).0, 200);
    v.revoke_access_tokens();
    let (status, body) = answer(v.handle(&secrets(&token)));
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("UnauthorizedError"))
    );
}

#[test]
fn the_actions_endpoint_answers_an_id_token_for_the_audience_asked() {
    let actions = crate::actions::FakeActions::start();
    let url = actions.request_url();
    assert!(
        url.starts_with("https://127.0.0.1:") && url.contains("?api-version="),
        "{url}"
    );
    let request = |audience: Option<&str>, bearer: &str| {
        let path = url.split_once("127.0.0.1:").unwrap().1;
        let path = &path[path.find('/').unwrap()..];
        let (path, _) = path.split_once('?').unwrap();
        let mut query: BTreeMap<String, String> =
            [("api-version".to_string(), "2.0".to_string())].into();
        if let Some(aud) = audience {
            query.insert("audience".into(), aud.into());
        }
        HttpRequest {
            method: "GET".into(),
            path: path.into(),
            query,
            headers: [("authorization".to_string(), format!("Bearer {bearer}"))].into(),
            body: vec![],
        }
    };
    let (status, body) = answer(actions.handle(&request(Some(AUDIENCE), actions.request_token())));
    assert_eq!((status, body["count"].as_u64()), (200, Some(1)));
    let token = crate::jwt::decode(body["value"].as_str().unwrap()).unwrap();
    assert!(token.signed_by(&actions.issuer().public()) && token.has_audience(AUDIENCE));
    assert_eq!(token.claims["iss"], crate::actions::ISSUER);
    let (_, body) = answer(actions.handle(&request(None, actions.request_token())));
    let token = crate::jwt::decode(body["value"].as_str().unwrap()).unwrap();
    assert!(token.has_audience(crate::actions::DEFAULT_AUDIENCE));
    let (status, _) = answer(actions.handle(&request(Some(AUDIENCE), "wrong")));
    assert_eq!(status, 401);
}

#[test]
fn a_service_account_token_is_written_where_a_pod_has_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = issuer()
        .service_account_token(dir.path(), AUDIENCE, "agents", "raxx", 600)
        .unwrap();
    assert_eq!(path, dir.path().join("token"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let token = crate::jwt::decode(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert!(token.signed_by(&issuer().public()) && token.has_audience(AUDIENCE));
    assert_eq!(
        token.claims["sub"], "system:serviceaccount:agents:raxx",
        "the kubelet's subject"
    );
    let v = vault();
    let jwt = std::fs::read_to_string(&path).unwrap();
    assert_eq!(login(&v, "kubernetes", "id-k8s", &jwt).0, 200);
}
