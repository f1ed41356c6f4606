//! The WIT glue: `raxx:identity/policy` and `raxx:identity/app` exported over
//! the plain modules, with the conversions between their types and ours.

use crate::drift::User;
use crate::error::{FailureKind, MintError, ServiceFailure};
use crate::fallback::{self, FallbackRule, Mode};
use crate::github::{self, GithubSettings, Permission, Scope};
use crate::jwt::Issuer;
use crate::mint::{self, Locate, PolicyRequest, Settings};
use crate::permissions::Level;
use crate::policy::{Documents, PolicyError, PolicyErrorKind, Resolution};
use crate::resolved::Resolved;
use crate::retry::{Clock, RetryPolicy, Retrying};
use crate::vault::infisical::{AccessToken, IdentityJwt, InfisicalSettings, Login, UniversalAuth};
use crate::vault::VaultSettings;
use crate::wasi_transport::WasiTransport;

/// wit-bindgen's generated glue (the canonical ABI) is the only unsafe code.
#[allow(unsafe_code)]
mod bindings {
    use super::Minter;

    wit_bindgen::generate!({
        path: "../../wit",
        world: "raxx:identity/minter",
        with: {
            "wasi:http/types@0.2.12": wasip2::http::types,
            "wasi:http/outgoing-handler@0.2.12": wasip2::http::outgoing_handler,
            "wasi:io/error@0.2.12": wasip2::io::error,
            "wasi:io/poll@0.2.12": wasip2::io::poll,
            "wasi:io/streams@0.2.12": wasip2::io::streams,
            "wasi:clocks/monotonic-clock@0.2.12": wasip2::clocks::monotonic_clock,
            "wasi:clocks/wall-clock@0.2.12": wasip2::clocks::wall_clock,
        },
    });

    export!(Minter with_types_in crate::component::bindings);
}

use bindings::exports;
use exports::raxx::identity::types as wit;

struct Minter;

/// WASI clocks for the retry loop.
struct WasiClock;

impl Clock for WasiClock {
    fn sleep_ms(&self, ms: u64) {
        wasip2::clocks::monotonic_clock::subscribe_duration(ms * 1_000_000).block();
    }
    fn now_secs(&self) -> u64 {
        now_secs()
    }
    fn jitter(&self, bound: u64) -> u64 {
        // The clock's low bits are jitter enough; no randomness import needed.
        (wasip2::clocks::monotonic_clock::now() / 1_000) % bound.max(1)
    }
}

/// The component's network: `wasi:http` behind the retry loop.
struct Network {
    wasi: WasiTransport,
    policy: RetryPolicy,
}

impl Network {
    fn transport(&self) -> Retrying<'_> {
        Retrying {
            inner: &self.wasi,
            clock: &WasiClock,
            policy: self.policy,
        }
    }
}

impl Network {
    /// The host's network limits, as the component applies them per request.
    fn new(n: &wit::NetworkSettings) -> Network {
        let ms = |ms: u32| u64::from(ms.max(1)) * 1_000_000;
        let wasi = WasiTransport {
            connect_timeout_ns: ms(n.connect_timeout_ms),
            first_byte_timeout_ns: ms(n.first_byte_timeout_ms),
        };
        Network {
            wasi,
            policy: RetryPolicy {
                max_retries: n.max_retries.min(10),
                ..RetryPolicy::default()
            },
        }
    }
}

fn github_settings(g: wit::GithubSettings) -> GithubSettings {
    GithubSettings {
        api_url: g.api_url,
        user_agent: g.user_agent,
    }
}

/// The one place a store's WIT arm becomes its module's settings.
fn vault_settings(v: wit::VaultSettings) -> VaultSettings {
    match v {
        wit::VaultSettings::Infisical(i) => VaultSettings::Infisical(InfisicalSettings {
            api_url: i.api_url,
            project_id: i.project_id,
            environment: i.environment,
            path_prefix: i.path_prefix,
            login: match i.login {
                wit::InfisicalLogin::UniversalAuth(ua) => Login::UniversalAuth(UniversalAuth {
                    client_id: ua.client_id,
                    client_secret: ua.client_secret,
                }),
                wit::InfisicalLogin::Kubernetes(id) => Login::Kubernetes(identity_jwt(id)),
                wit::InfisicalLogin::Oidc(id) => Login::Oidc(identity_jwt(id)),
                wit::InfisicalLogin::Jwt(id) => Login::Jwt(identity_jwt(id)),
                wit::InfisicalLogin::AccessToken(token) => Login::AccessToken(AccessToken(token)),
            },
        }),
    }
}

fn identity_jwt(id: wit::IdentityJwt) -> IdentityJwt {
    IdentityJwt {
        identity_id: id.identity_id,
        jwt: id.jwt,
    }
}

fn settings(s: wit::Settings) -> (Settings, Network) {
    let network = Network::new(&s.network);
    let settings = Settings {
        vault: vault_settings(s.vault),
        github: github_settings(s.github),
    };
    (settings, network)
}

/// The one table between our permission levels and WIT's, used both ways.
const LEVELS: [(Level, wit::PermissionLevel); 3] = [
    (Level::Read, wit::PermissionLevel::Read),
    (Level::Write, wit::PermissionLevel::Write),
    (Level::Admin, wit::PermissionLevel::Admin),
];

fn level_in(level: wit::PermissionLevel) -> String {
    LEVELS
        .iter()
        .find(|(_, theirs)| *theirs == level)
        .map_or("", |(ours, _)| ours.as_str())
        .to_string()
}

/// Our levels are checked where they are read (a policy's, `permissions_of`
/// for GitHub's), so each is one of the three; one that is not is left out.
fn level_out(level: &str) -> Option<wit::PermissionLevel> {
    let ours = Level::parse(level)?;
    LEVELS
        .iter()
        .find(|(l, _)| *l == ours)
        .map(|(_, theirs)| *theirs)
}

fn permissions_in(list: Vec<wit::Permission>) -> Vec<Permission> {
    list.into_iter()
        .map(|p| Permission {
            name: p.name,
            level: level_in(p.level),
        })
        .collect()
}

fn permissions_out(list: Vec<Permission>) -> Vec<wit::Permission> {
    list.into_iter()
        .filter_map(|p| {
            Some(wit::Permission {
                level: level_out(&p.level)?,
                name: p.name,
            })
        })
        .collect()
}

fn app_out(issuer: Issuer) -> wit::AppRef {
    match issuer {
        Issuer::AppId(id) => wit::AppRef::Id(id),
        Issuer::ClientId(id) => wit::AppRef::ClientId(id),
    }
}

/// The one table between our failure kinds and WIT's, used both ways.
const KINDS: [(FailureKind, wit::FailureKind); 12] = [
    (FailureKind::Config, wit::FailureKind::Config),
    (FailureKind::Absent, wit::FailureKind::Absent),
    (FailureKind::Denied, wit::FailureKind::Denied),
    (FailureKind::Unreachable, wit::FailureKind::Unreachable),
    (FailureKind::Timeout, wit::FailureKind::Timeout),
    (FailureKind::Refused, wit::FailureKind::Refused),
    (FailureKind::NotFound, wit::FailureKind::NotFound),
    (FailureKind::Rejected, wit::FailureKind::Rejected),
    (FailureKind::RateLimited, wit::FailureKind::RateLimited),
    (FailureKind::Server, wit::FailureKind::Server),
    (FailureKind::Protocol, wit::FailureKind::Protocol),
    (FailureKind::BadSecret, wit::FailureKind::BadSecret),
];

fn gaps_out(list: Vec<crate::drift::Gap>) -> Vec<wit::PermissionGap> {
    list.into_iter()
        .map(|g| wit::PermissionGap {
            name: g.name,
            asked: g.asked.as_deref().and_then(level_out),
            granted: g.granted.as_deref().and_then(level_out),
        })
        .collect()
}

fn failure(f: ServiceFailure) -> wit::ServiceFailure {
    let kind = KINDS
        .iter()
        .find(|(ours, _)| *ours == f.kind)
        .map(|(_, theirs)| *theirs)
        .unwrap_or(wit::FailureKind::Protocol);
    wit::ServiceFailure {
        kind,
        status: f.status,
        message: f.message,
    }
}

fn failure_in(f: wit::ServiceFailure) -> ServiceFailure {
    let kind = KINDS
        .iter()
        .find(|(_, theirs)| *theirs == f.kind)
        .map(|(ours, _)| *ours)
        .unwrap_or(FailureKind::Protocol);
    ServiceFailure::new(kind, f.status, f.message)
}

/// The failure a caller reports to `decide-fallback`.
fn mint_error_in(e: wit::MintError) -> MintError {
    match e {
        wit::MintError::Vault(f) => MintError::Vault(failure_in(f)),
        wit::MintError::Github(f) => MintError::Github(failure_in(f)),
        wit::MintError::InvalidRequest(m) => MintError::InvalidRequest(m),
        wit::MintError::Policy(p) => MintError::Policy(PolicyError {
            kind: PolicyErrorKind::Invalid,
            message: p.message,
        }),
    }
}

fn policy_failure(e: PolicyError) -> wit::PolicyFailure {
    let kind = match e.kind {
        PolicyErrorKind::Invalid => wit::PolicyFailureKind::Invalid,
        PolicyErrorKind::UnknownAgent => wit::PolicyFailureKind::UnknownAgent,
        PolicyErrorKind::UnknownBot => wit::PolicyFailureKind::UnknownBot,
        PolicyErrorKind::Widening => wit::PolicyFailureKind::Widening,
    };
    wit::PolicyFailure {
        kind,
        message: e.message,
    }
}

fn mint_error(e: MintError) -> wit::MintError {
    match e {
        MintError::Vault(f) => wit::MintError::Vault(failure(f)),
        MintError::Github(f) => wit::MintError::Github(failure(f)),
        MintError::InvalidRequest(m) => wit::MintError::InvalidRequest(m),
        MintError::Policy(p) => wit::MintError::Policy(policy_failure(p)),
    }
}

fn documents(p: &wit::PolicyDocuments) -> Documents<'_> {
    Documents {
        agent_map: &p.agent_map,
        agent_map_name: &p.agent_map_name,
        policy: &p.policy,
        policy_name: &p.policy_name,
    }
}

fn policy_request(r: wit::MintRequest) -> PolicyRequest {
    PolicyRequest {
        bot: r.bot,
        agent: r.agent,
        owner: r.owner,
        narrow: Scope {
            repositories: r.repositories,
            permissions: permissions_in(r.permissions),
        },
    }
}

fn resolution_out(r: Resolved) -> wit::Resolution {
    let Resolved {
        resolution,
        locate,
        pass_env,
        fallback,
        users,
        narrowed,
    } = r;
    wit::Resolution {
        bot: resolution.bot,
        agent: resolution.agent,
        permissions: permissions_out(resolution.scope.permissions),
        repositories: resolution.scope.repositories,
        owner: locate.owner,
        owner_repository: locate.repository,
        fallback_allowed: resolution.fallback_allowed,
        operator_safe: fallback
            .operator_safe
            .iter()
            .map(|words| words.join(" "))
            .collect(),
        never_fallback_for: fallback.never_for,
        isolate: resolution.isolate,
        pass_env,
        users: users
            .into_iter()
            .map(|u| wit::BotUser {
                agent: u.agent,
                permissions: permissions_out(u.permissions),
            })
            .collect(),
        narrowed,
    }
}

/// A resolution back from the host, checked as `resolve` would have made it.
fn resolution_in(r: wit::Resolution) -> Result<Resolved, wit::MintError> {
    let operator_safe = crate::resolved::operator_safe(&r.operator_safe).map_err(mint_error)?;
    let resolved = Resolved {
        resolution: Resolution {
            bot: r.bot,
            agent: r.agent,
            scope: Scope {
                repositories: r.repositories,
                permissions: permissions_in(r.permissions),
            },
            fallback_allowed: r.fallback_allowed,
            isolate: r.isolate,
        },
        locate: Locate {
            owner: r.owner,
            repository: r.owner_repository,
        },
        pass_env: r.pass_env,
        fallback: FallbackRule {
            never_for: r.never_fallback_for,
            operator_safe,
        },
        users: r
            .users
            .into_iter()
            .map(|u| User {
                agent: u.agent,
                permissions: permissions_in(u.permissions),
            })
            .collect(),
        narrowed: r.narrowed,
    };
    resolved.check().map_err(mint_error)?;
    Ok(resolved)
}

fn now_secs() -> u64 {
    wasip2::clocks::wall_clock::now().seconds
}

impl exports::raxx::identity::policy::Guest for Minter {
    fn resolve(
        policy: wit::PolicyDocuments,
        request: wit::MintRequest,
    ) -> Result<wit::Resolution, wit::MintError> {
        Resolved::resolve(&documents(&policy), &policy_request(request))
            .map(resolution_out)
            .map_err(mint_error)
    }

    fn bots(policy: wit::PolicyDocuments) -> Result<Vec<wit::Resolution>, wit::MintError> {
        Ok(Resolved::every_bot(&documents(&policy))
            .map_err(mint_error)?
            .into_iter()
            .map(resolution_out)
            .collect())
    }

    fn decide_fallback(
        resolution: wit::Resolution,
        request: wit::FallbackRequest,
    ) -> Result<wit::FallbackDecision, wit::MintError> {
        let Resolved {
            resolution: r,
            fallback: rule,
            narrowed,
            ..
        } = resolution_in(resolution)?;
        let mode = match request.mode {
            wit::RunMode::Exec => Mode::Exec,
            wit::RunMode::Spawn => Mode::Spawn,
        };
        let who = crate::names::who(r.agent.as_deref(), &r.bot);
        let asked = fallback::Asked {
            mode,
            who: &who,
            fallback_allowed: r.fallback_allowed,
            narrowed,
            argv: &request.command,
        };
        let d = fallback::decide(&rule, &asked, &mint_error_in(request.failure));
        Ok(wit::FallbackDecision {
            allowed: d.allowed,
            reason: d.reason,
            matched: d.matched,
        })
    }
}

impl exports::raxx::identity::app::Guest for Minter {
    fn vault_login(settings_in: wit::Settings) -> Result<wit::VaultAccess, wit::MintError> {
        let (settings, network) = settings(settings_in);
        let mut access = mint::vault_login(&network.transport(), &settings).map_err(mint_error)?;
        Ok(wit::VaultAccess {
            access_token: std::mem::take(&mut access.access_token),
            expires_in: access.expires_in,
        })
    }

    fn mint(
        settings_in: wit::Settings,
        resolution: wit::Resolution,
    ) -> Result<wit::InstallationToken, wit::MintError> {
        let Resolved {
            resolution, locate, ..
        } = resolution_in(resolution)?;
        let (settings, network) = settings(settings_in);
        let request = mint::MintRequest {
            bot: resolution.bot,
            scope: resolution.scope,
            locate,
        };
        let minted = mint::mint(&network.transport(), &settings, &request, now_secs())
            .map_err(mint_error)?;
        let issued = minted.issued;
        Ok(wit::InstallationToken {
            token: issued.token,
            expires_at: issued.expires_at,
            bot: minted.bot,
            agent: resolution.agent,
            app: app_out(minted.app),
            installation_id: minted.installation_id,
            permissions: permissions_out(issued.permissions),
            repository_selection: issued.repository_selection,
            repositories: issued.repositories,
        })
    }

    fn verify(
        settings_in: wit::Settings,
        resolution: wit::Resolution,
    ) -> Result<wit::Verification, wit::MintError> {
        let resolved = resolution_in(resolution)?;
        let (settings, network) = settings(settings_in);
        let v = mint::verify(
            &network.transport(),
            &settings,
            &resolved.users,
            &resolved.resolution,
            now_secs(),
        )
        .map_err(mint_error)?;
        Ok(wit::Verification {
            bot: v.bot,
            app_slug: v.app_slug,
            app_id: v.app_id,
            installation_id: v.installation_id,
            repository_count: v.repository_count,
            repositories: v.repositories,
            expires_at: v.expires_at,
            problems: v.problems,
            granted: permissions_out(v.granted),
            suspended_at: v.suspended_at,
            suspended_by: v.suspended_by,
            missing: v
                .drift
                .missing
                .into_iter()
                .map(|m| wit::MissingPermissions {
                    agent: m.agent,
                    permissions: gaps_out(m.gaps),
                })
                .collect(),
            excess: gaps_out(v.drift.excess),
        })
    }

    fn set_suspended(
        settings_in: wit::Settings,
        resolution: wit::Resolution,
        suspended: bool,
    ) -> Result<wit::Suspension, wit::MintError> {
        let resolved = resolution_in(resolution)?;
        let (settings, network) = settings(settings_in);
        let s = mint::set_suspended(
            &network.transport(),
            &settings,
            &resolved.resolution,
            suspended,
            now_secs(),
        )
        .map_err(mint_error)?;
        Ok(wit::Suspension {
            bot: s.bot,
            app: app_out(s.app),
            installation_id: s.installation_id,
            suspended: s.suspended,
        })
    }

    fn bot_user_id(
        github: wit::GithubSettings,
        network: wit::NetworkSettings,
        token: String,
        bot: String,
    ) -> Result<u64, wit::ServiceFailure> {
        crate::names::check_bot_name(&bot)
            .map_err(|m| failure(ServiceFailure::new(FailureKind::Config, None, m)))?;
        github::bot_user_id(
            &Network::new(&network).transport(),
            &github_settings(github),
            &token,
            &bot,
        )
        .map_err(failure)
    }

    fn revoke(
        github: wit::GithubSettings,
        network: wit::NetworkSettings,
        token: String,
    ) -> Result<(), wit::ServiceFailure> {
        github::revoke_installation_token(
            &Network::new(&network).transport(),
            &github_settings(github),
            &token,
        )
        .map_err(failure)
    }
}
