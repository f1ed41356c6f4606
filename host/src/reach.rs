//! The component's network reach, and how the egress hook judges a request
//! by it: the origin (scheme, host, port) of a configured base URL, then the
//! method and path against the requests the minter makes (`wit/reach.json`,
//! built in; the Node host reads the same file), for the call under way.
//! A token exchange (`POST …/access_tokens`) is also judged by its body: it
//! may ask no more than the scope of the resolution the host passed in.
//!
//! Refusals name the method, the origin and the path, never the query string
//! or a header (the vault's folder is in the query; tokens are in headers).

use crate::bindings::exports::raxx::identity::identity::Resolution;
use crate::display::quoted;
use raxx_names::level_rank;
use raxx_url::Origin;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::LazyLock;

/// The list, as both hosts read it.
pub const REACH_JSON: &str = include_str!("../../wit/reach.json");

/// Longest token-exchange body read (500 repositories fit many times over).
const MAX_BODY_BYTES: usize = 256 << 10;

/// How long a token exchange's body may take to arrive whole.
const BODY_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// The two services a base URL can be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Service {
    Infisical,
    Github,
}

/// The exports that reach the network; each may send only its own requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Call {
    Mint,
    Verify,
    SetSuspended,
    BotUserId,
    Revoke,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum BodyRule {
    /// A token request, held to the call's scope.
    Scope,
}

/// One request the minter makes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Rule {
    method: String,
    path: String,
    #[serde(default)]
    query: bool,
    #[serde(default)]
    body: Option<BodyRule>,
    calls: Vec<Call>,
    #[allow(dead_code)] // for readers of the file and the docs
    why: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct List {
    #[allow(dead_code)]
    about: String,
    infisical: Vec<Rule>,
    github: Vec<Rule>,
}

impl List {
    fn rules(&self, service: Service) -> &[Rule] {
        match service {
            Service::Infisical => &self.infisical,
            Service::Github => &self.github,
        }
    }
}

static LIST: LazyLock<List> = LazyLock::new(|| {
    serde_json::from_str(REACH_JSON).expect("wit/reach.json is checked by reach::tests")
});

/// A configured base URL: where a service is, and the path its API is under.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Base {
    pub service: Service,
    pub origin: Origin,
    /// `/api`, `/api/v3`, or empty: request paths are `{path}{template}`.
    pub path: String,
}

impl Base {
    /// Reads a configured base URL, with a message naming it and how to fix it.
    pub fn new(service: Service, url: &str) -> Result<Base, String> {
        let target = raxx_url::parse_base(url).map_err(|why| format!("{url:?} {why}"))?;
        Ok(Base {
            service,
            origin: target.origin,
            path: target.path_and_query.trim_end_matches('/').to_string(),
        })
    }
}

/// What a token exchange may ask GitHub for: the scope of the resolution the
/// host passed in.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scope {
    /// Permission name → the most it may ask (`read` < `write` < `admin`).
    pub permissions: BTreeMap<String, String>,
    /// Empty: the installation's own selection (a request may name any of it).
    pub repositories: Vec<String>,
}

/// The body of `POST /app/installations/{id}/access_tokens` as the host
/// understands it. Anything else in it (`repository_ids`, …) is refused.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct TokenRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    permissions: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    repositories: Option<Vec<String>>,
}

impl Scope {
    /// The scope of a resolution.
    pub fn of(resolution: &Resolution) -> Scope {
        Scope {
            permissions: resolution
                .permissions
                .iter()
                .map(|p| (p.name.clone(), p.level.clone()))
                .collect(),
            repositories: resolution.repositories.clone(),
        }
    }

    /// Judges a token request body; returns what may be sent: the request as
    /// checked, written out again (so GitHub reads exactly what was judged,
    /// whatever duplicate keys or escapes the original held).
    pub fn check(&self, body: &[u8]) -> Result<Vec<u8>, String> {
        let asked: TokenRequest = serde_json::from_slice(body).map_err(|_| "its body is not a token request (a JSON object of permissions and repositories only)".to_string())?;
        let permissions = asked.permissions.as_ref().filter(|p| !p.is_empty()).ok_or("it asks for no permissions, which GitHub reads as every permission the installation has")?;
        for (name, level) in permissions {
            match self.permissions.get(name) {
                None => {
                    return Err(format!(
                        "it asks {}={}, which the resolution does not grant",
                        quoted(name),
                        quoted(level)
                    ))
                }
                Some(most) if level_rank(level) == 0 || level_rank(level) > level_rank(most) => {
                    return Err(format!(
                        "it asks {}={}, more than the resolution's {}={most}",
                        quoted(name),
                        quoted(level),
                        quoted(name)
                    ))
                }
                Some(_) => {}
            }
        }
        let repositories = asked.repositories.as_deref().unwrap_or_default();
        if !self.repositories.is_empty() {
            if repositories.is_empty() {
                return Err(format!(
                    "it asks for every repository of the installation; the resolution names {}",
                    self.repositories.join(", ")
                ));
            }
            if let Some(outside) = repositories.iter().find(|r| !self.repositories.contains(r)) {
                return Err(format!(
                    "it asks for repository {}, outside the resolution's {}",
                    quoted(outside),
                    self.repositories.join(", ")
                ));
            }
        }
        serde_json::to_vec(&asked).map_err(|e| format!("its body could not be written again: {e}"))
    }
}

/// What one call may reach: the configured base URLs, the call under way,
/// the bot it is for (`{bot}` in a path), and the scope of its token exchanges.
#[derive(Clone, Debug, Default)]
pub struct Allowlist {
    bases: Vec<Base>,
    call: Option<Call>,
    bot: Option<String>,
    scope: Option<Scope>,
}

impl Allowlist {
    /// The configured services, before any call: nothing is allowed until
    /// [`Allowlist::for_call`] says which call the requests serve.
    pub fn new(bases: Vec<Base>) -> Self {
        Allowlist {
            bases,
            ..Allowlist::default()
        }
    }

    /// The same services for one call: only its own requests.
    pub fn for_call(&self, call: Call, bot: Option<&str>, scope: Option<Scope>) -> Self {
        Allowlist {
            bases: self.bases.clone(),
            call: Some(call),
            bot: bot.map(str::to_string),
            scope,
        }
    }

    pub fn bases(&self) -> &[Base] {
        &self.bases
    }

    /// The origins of the configured services.
    pub fn origins(&self) -> Vec<Origin> {
        self.bases.iter().map(|b| b.origin.clone()).collect()
    }

    /// Judges a request by its method and URI (never a header the guest
    /// controls; guests cannot set `Host`). The allowed origin is what it then
    /// connects to; a body rule is checked when the body has arrived.
    pub fn admit<B>(&self, request: &http::Request<B>) -> Result<Admitted, Denied> {
        let (method, uri) = (request.method().as_str(), request.uri());
        let path = uri.path();
        let origin = Origin::from_uri(uri)
            .map_err(|why| Denied(format!("{method} {path}: its URL {why}")))?;
        let deny = |why: &str| Denied(format!("{method} {origin}{path}: {why}"));
        let bases: Vec<&Base> = self.bases.iter().filter(|b| b.origin == origin).collect();
        if bases.is_empty() {
            return Err(deny("not an allowed origin"));
        }
        let Some(call) = self.call else {
            return Err(deny("no request is allowed outside a call"));
        };
        for base in bases {
            let Some(rest) = path
                .strip_prefix(base.path.as_str())
                .filter(|r| r.starts_with('/'))
            else {
                continue;
            };
            let rule = LIST.rules(base.service).iter().find(|r| {
                r.method == method && r.calls.contains(&call) && self.matches(&r.path, rest)
            });
            if let Some(rule) = rule {
                if uri.query().is_some() && !rule.query {
                    return Err(deny("this request takes no query string"));
                }
                let check = match rule.body {
                    None => None,
                    Some(BodyRule::Scope) => Some(self.scope.clone().ok_or_else(|| {
                        deny("a token exchange outside a call that resolved a scope")
                    })?),
                };
                let label = format!("{method} {origin}{path}");
                return Ok(Admitted {
                    origin,
                    label,
                    check,
                });
            }
        }
        Err(deny("not a request the minter makes"))
    }

    /// Whether `path` (below the base) fits `template`, segment by segment.
    fn matches(&self, template: &str, path: &str) -> bool {
        let (want, have) = (
            template.split('/').collect::<Vec<_>>(),
            path.split('/').collect::<Vec<_>>(),
        );
        want.len() == have.len() && want.iter().zip(&have).all(|(w, h)| self.segment(w, h))
    }

    /// One segment: literal text around at most one `{placeholder}`.
    fn segment(&self, template: &str, segment: &str) -> bool {
        let Some((before, rest)) = template.split_once('{') else {
            return template == segment;
        };
        let Some((name, after)) = rest.split_once('}') else {
            return false;
        };
        let Some(value) = segment
            .strip_prefix(before)
            .and_then(|s| s.strip_suffix(after))
        else {
            return false;
        };
        match name {
            "id" => (1..=19).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_digit()),
            "owner" => raxx_names::is_name(value),
            "repo" => raxx_names::is_repository(value),
            "bot" => self.bot.as_deref() == Some(value),
            _ => false,
        }
    }
}

/// A request the hook refused, and why: one line naming the method, the
/// origin and the path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Denied(pub String);

impl std::fmt::Display for Denied {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A request whose origin, method and path passed.
pub struct Admitted {
    pub origin: Origin,
    label: String,
    /// The scope a token request's body is held to.
    check: Option<Scope>,
}

impl Admitted {
    /// The request as it may leave. A token exchange's body is read whole
    /// first (at most 256 KiB, within 10 s), judged, and replaced by what was
    /// judged; nothing of it is sent before.
    pub async fn request(
        self,
        request: http::Request<wasmtime_wasi_http::WasiBody>,
    ) -> Result<http::Request<wasmtime_wasi_http::WasiBody>, Denied> {
        use http_body_util::BodyExt;
        let Some(scope) = self.check else {
            return Ok(request);
        };
        let deny = |why: String| Denied(format!("{}: {why}", self.label));
        let (mut parts, body) = request.into_parts();
        let read = tokio::time::timeout(
            BODY_WAIT,
            http_body_util::Limited::new(body, MAX_BODY_BYTES).collect(),
        )
        .await;
        let body = match read {
            Ok(Ok(collected)) => collected.to_bytes(),
            Ok(Err(_)) => {
                return Err(deny(format!(
                    "its body did not arrive whole (or is over {} KiB)",
                    MAX_BODY_BYTES >> 10
                )))
            }
            Err(_) => {
                return Err(deny(format!(
                    "its body did not arrive within {} s",
                    BODY_WAIT.as_secs()
                )))
            }
        };
        let checked = scope.check(&body).map_err(deny)?;
        parts.headers.remove(http::header::TRANSFER_ENCODING);
        parts
            .headers
            .insert(http::header::CONTENT_LENGTH, checked.len().into());
        let body = http_body_util::Full::new(bytes::Bytes::from(checked))
            .map_err(|never| match never {})
            .boxed_unsync();
        Ok(http::Request::from_parts(parts, body))
    }
}

#[cfg(test)]
mod tests;
