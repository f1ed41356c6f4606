//! The component's network reach, and how a host judges a request by it: the
//! origin (scheme, host, port) of a configured base URL, then the method and
//! path against the requests the minter makes (`wit/reach.json`, built in: a
//! map of services, each with the variables that set its base URL and its
//! requests), for the call under way. A token exchange (`POST
//! …/access_tokens`) is also judged by its body ([`Scope::check`]): it may ask
//! no more than the scope of the resolution the host passed in.
//!
//! Refusals name the method, the origin and the path, never the query string
//! or a header (the vault's folder is in the query; tokens are in headers).

mod scope;

pub use scope::Scope;

use raxx_url::{Origin, Uri};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::LazyLock;

/// The list, as both hosts judge by it.
pub const REACH_JSON: &str = include_str!("../../../../wit/reach.json");

/// Longest token-exchange body a host reads (500 repositories fit many times over).
pub const MAX_BODY_BYTES: usize = 256 << 10;

/// The exports that reach the network; each may send only its own requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Call {
    Mint,
    Verify,
    SetSuspended,
    BotUserId,
    Revoke,
    VaultLogin,
}

impl Call {
    /// A call by its WIT name (`mint`, `set-suspended`, …).
    pub fn from_name(name: &str) -> Option<Call> {
        serde_json::from_value(serde_json::Value::String(name.to_string())).ok()
    }

    /// Its WIT name.
    pub fn name(self) -> &'static str {
        match self {
            Call::Mint => "mint",
            Call::Verify => "verify",
            Call::SetSuspended => "set-suspended",
            Call::BotUserId => "bot-user-id",
            Call::Revoke => "revoke",
            Call::VaultLogin => "vault-login",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BodyRule {
    /// A token request, held to the call's scope.
    Scope,
}

/// One request the minter makes.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub method: String,
    pub path: String,
    #[serde(default)]
    pub query: bool,
    #[serde(default)]
    pub body: Option<BodyRule>,
    pub calls: Vec<Call>,
    /// For readers of the file and the docs.
    pub why: String,
}

/// One service: its name in messages and docs, the variables that set its
/// base URL, and the requests the minter makes to it.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    pub name: String,
    pub variables: Vec<String>,
    pub requests: Vec<Rule>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct List {
    pub about: String,
    /// Service key (`infisical`, `github`) → its requests.
    pub services: BTreeMap<String, Service>,
}

impl List {
    fn rules(&self, service: &str) -> &[Rule] {
        self.services
            .get(service)
            .map(|s| s.requests.as_slice())
            .unwrap_or_default()
    }
}

/// `wit/reach.json`, read (a test checks it reads).
pub static LIST: LazyLock<List> = LazyLock::new(|| {
    serde_json::from_str(REACH_JSON).expect("wit/reach.json is checked by the core's tests")
});

/// A configured base URL: which service is there, and the path its API is under.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Base {
    /// The service's key in `wit/reach.json`.
    pub service: String,
    pub origin: Origin,
    /// `/api`, `/api/v3`, or empty: request paths are `{path}{template}`.
    pub path: String,
}

impl Base {
    /// Reads a configured base URL, with a message naming it and how to fix it.
    pub fn new(service: &str, url: &str) -> Result<Base, String> {
        let target = raxx_url::parse_base(url).map_err(|why| format!("{url:?} {why}"))?;
        Ok(Base {
            service: service.to_string(),
            origin: target.origin,
            path: target.path_and_query.trim_end_matches('/').to_string(),
        })
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

/// A request whose origin, method and path passed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Admitted {
    /// Where to connect.
    pub origin: Origin,
    /// `METHOD origin path`, for a refusal of its body.
    pub label: String,
    /// The scope a token request's body is held to; the host reads the body
    /// whole (at most [`MAX_BODY_BYTES`]) and sends what [`Scope::check`] returns.
    pub check: Option<Scope>,
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
    pub fn admit(&self, method: &str, uri: &Uri) -> Result<Admitted, Denied> {
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
            let rule = LIST.rules(&base.service).iter().find(|r| {
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

    /// Judges a request given as text (`METHOD`, an absolute URL): what a
    /// host that is not built on `http` passes.
    pub fn admit_url(&self, method: &str, url: &str) -> Result<Admitted, Denied> {
        match url.parse::<Uri>() {
            Ok(uri) => self.admit(method, &uri),
            Err(_) => Err(Denied(format!(
                "{method} {}: its URL {}",
                url.split(['?', '#']).next().unwrap_or_default(),
                raxx_url::UrlError::NotUrl
            ))),
        }
    }

    /// Judges a request given in the parts `wasi:http` carries: the scheme
    /// (none: `https`), the authority and the path with its query. Parts
    /// that would not compose into the URL they look like (a `/`, `?` or `#`
    /// in the authority, a path not starting with `/`, a `#` anywhere) are
    /// refused rather than read another way.
    pub fn admit_parts(
        &self,
        method: &str,
        scheme: Option<&str>,
        authority: &str,
        path_with_query: &str,
    ) -> Result<Admitted, Denied> {
        let path = path_with_query.split('?').next().unwrap_or_default();
        if authority.is_empty()
            || authority.contains(['/', '?', '#'])
            || !path_with_query.starts_with('/')
            || path_with_query.contains('#')
        {
            return Err(Denied(format!(
                "{method} {path}: its URL {}",
                raxx_url::UrlError::NotUrl
            )));
        }
        let scheme = scheme.unwrap_or("https");
        self.admit_url(method, &format!("{scheme}://{authority}{path_with_query}"))
    }

    /// Whether a request may need its body judged (a token exchange): a host
    /// that sees the body only as it is written keeps it for these. `path`
    /// may carry a query string.
    pub fn holds_body(&self, method: &str, path: &str) -> bool {
        let path = path.split('?').next().unwrap_or_default();
        self.bases.iter().any(|base| {
            path.strip_prefix(base.path.as_str())
                .filter(|r| r.starts_with('/'))
                .is_some_and(|rest| {
                    LIST.rules(&base.service).iter().any(|r| {
                        r.body.is_some() && r.method == method && self.matches(&r.path, rest)
                    })
                })
        })
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

#[cfg(test)]
mod tests;
