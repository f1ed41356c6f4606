//! The shared cases (`tests/vectors/*.json`) against the host core as
//! raxx-host links it. The Node host runs the same files against the same
//! code compiled as a component (`host/node/test/vectors.test.mjs`).

use raxx_core::reach::{Allowlist, Base, Call, Scope};
use raxx_core::settings::{
    actions_answer, actions_token_url, source_error, ActionsIdToken, CredentialSource,
    InfisicalLogin, LoginMethod, Secret, Settings, SourceFailure, VaultSettings,
};
use raxx_core::{audit, exit, policy_files};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

fn vectors(name: &str) -> Value {
    let path = format!("{}/../../tests/vectors/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn cases(file: &Value) -> &Vec<Value> {
    file["cases"].as_array().expect("cases")
}

fn str_of(v: &Value) -> Option<&str> {
    v.as_str()
}

fn s(v: &Value) -> Option<&str> {
    v.as_str()
}

/// Every field of `want` is in `have` with the same value (objects: recursively).
fn assert_subset(have: &Value, want: &Value, at: &str) {
    match want {
        Value::Object(fields) => {
            for (k, w) in fields {
                assert_subset(&have[k], w, &format!("{at}.{k}"));
            }
        }
        _ => assert_eq!(have, want, "{at}"),
    }
}

/// A JWT login's source as the vectors spell it (a value given: `true`, never the value).
fn source_json(source: &CredentialSource) -> Value {
    match source {
        CredentialSource::Value(_) => json!({"value": true}),
        CredentialSource::File(path) => json!({"file": path}),
        CredentialSource::ActionsIdToken(r) => {
            json!({"actions_id_token": {"request_url": r.request_url, "audience": r.audience}})
        }
    }
}

/// A login as the vectors spell it (the secrets left out).
fn login_json(login: &InfisicalLogin) -> Value {
    let jwt = |j: &raxx_core::settings::IdentityJwt| json!({"identity_id": j.identity_id, "source": source_json(&j.source)});
    match login {
        InfisicalLogin::UniversalAuth(l) => json!({"universal_auth": {"client_id": l.client_id}}),
        InfisicalLogin::Kubernetes(j) => json!({"kubernetes": jwt(j)}),
        InfisicalLogin::Oidc(j) => json!({"oidc": jwt(j)}),
        InfisicalLogin::Jwt(j) => json!({"jwt": jwt(j)}),
        InfisicalLogin::AccessToken(_) => json!({"access_token": true}),
    }
}

/// The core's settings as the vectors spell them (the secret left out).
fn settings_json(s: &Settings) -> Value {
    let VaultSettings::Infisical(v) = &s.vault;
    json!({
        "vault": {"infisical": {"api_url": v.api_url, "project_id": v.project_id, "environment": v.environment,
            "path_prefix": v.path_prefix, "login": login_json(&v.login)}},
        "github": {"api_url": s.github.api_url},
        "network": {"connect_timeout_ms": s.network.connect_timeout_ms,
            "first_byte_timeout_ms": s.network.first_byte_timeout_ms, "max_retries": s.network.max_retries},
        "origins": s.bases.iter().map(|b| b.origin.to_string()).collect::<Vec<_>>(),
    })
}

/// The vectors' secrets: no message and no `Debug` may hold one.
fn secrets(file: &Value) -> Vec<String> {
    file["secrets"]
        .as_array()
        .expect("secrets")
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn settings() {
    let file = vectors("settings.json");
    let secrets = secrets(&file);
    for case in cases(&file) {
        let name = case["name"].as_str().unwrap();
        let env = case["env"].as_object().unwrap().clone();
        let var = |k: &str| env.get(k).and_then(str_of).map(str::to_string);
        match Settings::from_env(var, "raxx-test/0") {
            Ok(s) => {
                let want = case.get("ok").unwrap_or_else(|| panic!("{name}: accepted"));
                assert_subset(&settings_json(&s), want, name);
                for secret in &secrets {
                    assert!(
                        !format!("{s:?}").contains(secret),
                        "{name}: {secret} in Debug"
                    );
                }
            }
            Err(e) => {
                let want = case.get("err").unwrap_or_else(|| panic!("{name}: {e:?}"));
                assert_eq!(e.side.name(), want["side"], "{name}");
                assert_eq!(e.absent, want["absent"], "{name}");
                assert_eq!(e.message, want["message"], "{name}");
                for secret in &secrets {
                    assert!(!e.message.contains(secret), "{name}: {secret} echoed");
                }
            }
        }
    }
    let cache = file["cache_secret"].as_array().expect("cache_secret");
    for case in cache {
        let env = case["env"].as_object().unwrap().clone();
        let var = |k: &str| env.get(k).and_then(str_of).map(str::to_string);
        let have = raxx_core::settings::cache_secret(&var);
        assert_eq!(have.as_deref(), case["secret"].as_str(), "{}", case["name"]);
    }
}

fn request(v: &Value) -> ActionsIdToken {
    ActionsIdToken {
        request_url: v["request_url"].as_str().unwrap().to_string(),
        request_token: Secret::new("req-s3cret".to_string()),
        audience: v["audience"].as_str().map(str::to_string),
    }
}

fn source_of(v: &Value) -> CredentialSource {
    match (v.get("file"), v.get("actions_id_token")) {
        (Some(path), _) => CredentialSource::File(path.as_str().unwrap().to_string()),
        (_, Some(r)) => CredentialSource::ActionsIdToken(request(r)),
        _ => CredentialSource::Value(Secret::new("s3cret".to_string())),
    }
}

fn failure_of(v: &Value) -> SourceFailure {
    let (kind, arg) = v.as_object().unwrap().iter().next().unwrap();
    match kind.as_str() {
        "file_unreadable" => SourceFailure::FileUnreadable(arg.as_str().unwrap().to_string()),
        "file_not_regular" => SourceFailure::FileNotRegular,
        "file_empty" => SourceFailure::FileEmpty,
        "file_too_large" => SourceFailure::FileTooLarge,
        "endpoint_unreachable" => {
            SourceFailure::EndpointUnreachable(arg.as_str().unwrap().to_string())
        }
        "endpoint_refused" => SourceFailure::EndpointRefused(arg.as_u64().unwrap() as u16),
        "endpoint_no_token" => SourceFailure::EndpointNoToken,
        other => panic!("{other}: not a source failure"),
    }
}

#[test]
fn login_sources() {
    let file = vectors("settings.json");
    let sources = &file["sources"];
    for case in sources["actions_url"].as_array().unwrap() {
        let at = case["name"].as_str().unwrap();
        match actions_token_url(&request(case)) {
            Ok(url) => assert_eq!(Some(url.as_str()), case["url"].as_str(), "{at}"),
            Err(e) => {
                assert_eq!(e.side.name(), "vault", "{at}");
                assert_eq!(Some(e.message.as_str()), case["err"].as_str(), "{at}");
            }
        }
    }
    for case in sources["actions_answer"].as_array().unwrap() {
        let at = case["name"].as_str().unwrap();
        let jwt = actions_answer(case["body"].as_str().unwrap().as_bytes());
        assert_eq!(
            jwt.as_ref().map(Secret::expose),
            case["jwt"].as_str(),
            "{at}"
        );
    }
    for case in sources["errors"].as_array().unwrap() {
        let at = case["name"].as_str().unwrap();
        let method = LoginMethod::from_name(case["method"].as_str().unwrap()).unwrap();
        let e = source_error(
            method,
            &source_of(&case["source"]),
            &failure_of(&case["failure"]),
        );
        assert_eq!(e.side.name(), "vault", "{at}");
        assert_eq!(e.message, case["message"].as_str().unwrap(), "{at}");
        assert!(!e.message.contains("req-s3cret"), "{at}");
    }
}

#[test]
fn origins() {
    for case in cases(&vectors("origins.json")) {
        let url = case["url"].as_str().unwrap();
        match Base::new("github", url) {
            Ok(b) => {
                let want = case.get("ok").unwrap_or_else(|| panic!("{url}: accepted"));
                assert_eq!(b.origin.to_string(), want["origin"], "{url}");
                assert_eq!(b.path, want["path"], "{url}");
            }
            Err(e) => assert_eq!(Some(e.as_str()), case["err"].as_str(), "{url}"),
        }
    }
}

fn scope(v: &Value) -> Scope {
    let permissions: Vec<(&str, &str)> = v["permissions"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(n, l)| (n.as_str(), l.as_str().unwrap()))
        .collect();
    let repositories: Vec<String> = v["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap().to_string())
        .collect();
    Scope::new(permissions, &repositories)
}

/// A refusal against `err` (exact) or `err_contains` (a part).
fn assert_refusal(case: &Value, message: &str, at: &str) {
    if let Some(exact) = case["err"].as_str() {
        assert_eq!(message, exact, "{at}");
    } else {
        let part = case["err_contains"]
            .as_str()
            .unwrap_or_else(|| panic!("{at}: refused: {message}"));
        assert!(message.contains(part), "{at}: {message}");
    }
}

#[test]
fn reach() {
    let file = vectors("reach.json");
    for case in cases(&file) {
        let (method, url) = (
            case["method"].as_str().unwrap(),
            case["url"].as_str().unwrap(),
        );
        let at = format!("{} {method} {url}", case["call"]);
        let bases = case["bases"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(service, url)| Base::new(service, url.as_str().unwrap()).unwrap())
            .collect();
        let mut allow = Allowlist::new(bases);
        if let Some(call) = case["call"].as_str() {
            let call = Call::from_name(call).unwrap();
            let scope = match case.get("scope") {
                None => Some(scope(&file["default_scope"])),
                Some(Value::Null) => None,
                Some(s) => Some(scope(s)),
            };
            allow = allow.for_call(call, case["bot"].as_str(), scope);
        }
        match allow.admit_url(method, url) {
            Ok(a) => {
                let want = case.get("ok").unwrap_or_else(|| panic!("{at}: admitted"));
                assert_eq!(a.check.is_some(), want["check"], "{at}");
            }
            Err(d) => assert_refusal(case, &d.0, &at),
        }
    }
}

#[test]
fn scope_check() {
    for case in cases(&vectors("scope.json")) {
        let body = case["body"].as_str().unwrap();
        match scope(&case["scope"]).check(body.as_bytes()) {
            Ok(sent) => {
                let want = case.get("ok").unwrap_or_else(|| panic!("{body}: passed"));
                assert_eq!(
                    Some(String::from_utf8(sent).unwrap().as_str()),
                    want.as_str(),
                    "{body}"
                );
            }
            Err(why) => assert_refusal(case, &why, body),
        }
    }
}

#[test]
fn exit_codes() {
    let file = vectors("exit.json");
    let codes = file["codes"].as_object().unwrap();
    assert_eq!(codes.len(), exit::Exit::ALL.len());
    for e in exit::Exit::ALL {
        assert_eq!(codes[e.name()], e.code(), "{e:?}");
        assert_eq!(exit::Exit::from_code(e.code()), Some(e));
    }
    for case in file["failures"].as_array().unwrap() {
        let got =
            exit::Failure::from_wit(case["tag"].as_str().unwrap(), case["policy_kind"].as_str())
                .map(|f| exit::for_failure(f).code());
        assert_eq!(json!(got), case["exit"], "{case}");
    }
    for case in file["sides"].as_array().unwrap() {
        let side = match case["side"].as_str().unwrap() {
            "vault" => raxx_core::settings::Side::Vault,
            "github" => raxx_core::settings::Side::Github,
            _ => raxx_core::settings::Side::Host,
        };
        assert_eq!(side.name(), case["side"]);
        assert_eq!(exit::for_side(side).code(), case["exit"], "{case}");
    }
    assert!(exit::HELP.starts_with(file["help_starts"].as_str().unwrap()));
}

#[test]
fn audit_records() {
    for case in cases(&vectors("audit.json")) {
        let name = case["name"].as_str().unwrap();
        let (e, f) = (&case["event"], &case["in_force"]);
        let strings = |v: &Value| -> Vec<String> {
            v.as_array()
                .map(|a| a.iter().map(|x| x.as_str().unwrap().to_string()).collect())
                .unwrap_or_default()
        };
        let t = &e["token"];
        let permissions: Vec<(&str, &str)> = t["permissions"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|p| (p[0].as_str().unwrap(), p[1].as_str().unwrap()))
                    .collect()
            })
            .unwrap_or_default();
        let repositories = strings(&t["repositories"]);
        let token = t.is_object().then(|| audit::Token {
            token: s(&t["token"]).unwrap(),
            agent: s(&t["agent"]),
            bot: s(&t["bot"]).unwrap(),
            app_id: s(&t["app_id"]).unwrap(),
            installation_id: s(&t["installation_id"]).unwrap(),
            expires_at: s(&t["expires_at"]).unwrap(),
            permissions: &permissions,
            repositories: &repositories,
        });
        let operator = e.get("operator_command").map(strings);
        let record = audit::record(
            &audit::Event {
                command: s(&e["command"]).unwrap(),
                agent: s(&e["agent"]),
                bot: s(&e["bot"]),
                workflow_uuid: s(&e["workflow_uuid"]),
                token,
                installation: e["installation"]
                    .as_array()
                    .map(|a| (a[0].as_str().unwrap(), a[1].as_str().unwrap())),
                fallback: e["fallback"]
                    .as_array()
                    .map(|a| (a[0].as_bool().unwrap(), a[1].as_str().unwrap())),
                operator_command: operator.as_deref(),
                subject: s(&e["subject"]),
                outcome: match e["error"].as_array() {
                    None => Ok(()),
                    Some(a) => Err((a[0].as_i64().unwrap() as i32, a[1].as_str().unwrap())),
                },
                vault_login: s(&e["vault_login"]),
            },
            &audit::InForce {
                component_sha256: s(&f["component_sha256"]).unwrap(),
                compiled_sha256: s(&f["compiled_sha256"]).unwrap(),
                portable_component_sha256: s(&f["portable_component_sha256"]),
                policy: s(&f["policy"]).unwrap(),
                agent_map: s(&f["agent_map"]).unwrap(),
            },
            s(&case["time"]).unwrap(),
        );
        assert_eq!(record, case["record"], "{name}");
        if let Some(token) = s(&t["token"]) {
            assert!(
                !record.to_string().contains(token),
                "{name}: the token itself"
            );
        }
    }
}

#[test]
fn policy_discovery() {
    let file = vectors("policy.json");
    assert_eq!(
        file["file_names"],
        json!([policy_files::MAP_FILE, policy_files::POLICY_FILE])
    );
    for case in cases(&file) {
        let name = case["name"].as_str().unwrap();
        if let Some(candidates) = case["candidates"].as_array() {
            let existing: Vec<PathBuf> = case["existing"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| PathBuf::from(p.as_str().unwrap()))
                .collect();
            let dir = policy_files::default_dir(
                candidates.iter().map(|c| c.as_str().unwrap()),
                |p: &Path| existing.iter().any(|e| e == p),
            );
            assert_eq!(
                json!(dir.map(|d| d.to_string_lossy().into_owned())),
                case["dir"],
                "{name}"
            );
            continue;
        }
        let path = |v: &Value| v.as_str().map(PathBuf::from);
        let found = policy_files::locate(
            path(&case["agent_map"]),
            path(&case["policy"]),
            case["found_dir"].as_str().map(Path::new),
            case["next_to"].as_str().unwrap(),
        );
        match found {
            Ok(f) => assert_eq!(
                json!([f.agent_map.to_string_lossy(), f.policy.to_string_lossy()]),
                case["ok"],
                "{name}"
            ),
            Err(e) => assert_eq!(Some(e.as_str()), case["err"].as_str(), "{name}"),
        }
    }
}

/// A vector's content: `text` repeated `repeat` times (1 when absent).
fn content(v: &Value) -> Vec<u8> {
    let text = v["text"].as_str().expect("text");
    let times = v["repeat"].as_u64().unwrap_or(1) as usize;
    text.repeat(times).into_bytes()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn cache_key() {
    use raxx_core::cache_key::CacheKey;
    let file = vectors("cache_key.json");
    for c in file["keys"].as_array().unwrap() {
        let key = CacheKey::derive(c["secret"].as_str().unwrap());
        assert_eq!(key.key_id(), c["key_id"].as_str().unwrap(), "{c}");
    }
    for c in file["compiled"].as_array().unwrap() {
        let key = CacheKey::derive(c["secret"].as_str().unwrap());
        let engine = u64::from_str_radix(c["engine_hash"].as_str().unwrap(), 16).unwrap();
        let tag = key.compiled_tag(
            c["component_sha256"].as_str().unwrap(),
            engine,
            &content(&c["content"]),
        );
        assert_eq!(hex(tag.as_bytes()), c["tag"].as_str().unwrap(), "{c}");
    }
    for c in file["transpile"].as_array().unwrap() {
        let key = CacheKey::derive(c["secret"].as_str().unwrap());
        let files: Vec<(String, Vec<u8>)> = c["files"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(n, v)| (n.clone(), content(v)))
            .collect();
        let tag = key.transpile_tag(
            c["component_sha256"].as_str().unwrap(),
            files.iter().map(|(n, v)| (n.as_str(), v.as_slice())),
        );
        assert_eq!(hex(tag.as_bytes()), c["tag"].as_str().unwrap(), "{c}");
    }
}
