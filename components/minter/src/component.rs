//! The WIT glue: `raxx:identity/identity` exported over the plain modules.

use crate::error::{FailureKind, MintError, ServiceFailure};
use crate::fallback::{self, Mode};
use crate::github::{self, GithubSettings, Permission, Scope};
use crate::infisical::VaultSettings;
use crate::mint::{self, PolicyRequest, Settings};
use crate::policy::{Documents, PolicyError, PolicyErrorKind, Resolution};
use crate::retry::{Clock, RetryPolicy, Retrying};
use crate::wasi_transport::WasiTransport;

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

use exports::raxx::identity::identity::Guest;
use exports::raxx::identity::identity as wit;

struct Minter;

export!(Minter);

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
        Retrying { inner: &self.wasi, clock: &WasiClock, policy: self.policy }
    }
}

fn settings(s: wit::Settings) -> (Settings, Network) {
    let v = s.vault;
    let settings = Settings {
        vault: VaultSettings {
            api_url: v.api_url,
            client_id: v.client_id,
            client_secret: v.client_secret,
            project_id: v.project_id,
            environment: v.environment,
            path_prefix: v.path_prefix,
        },
        github: GithubSettings { api_url: s.github.api_url, user_agent: s.github.user_agent },
    };
    let ms = |ms: u32| u64::from(ms.max(1)) * 1_000_000;
    let wasi = WasiTransport { connect_timeout_ns: ms(s.network.connect_timeout_ms), first_byte_timeout_ns: ms(s.network.first_byte_timeout_ms) };
    let policy = RetryPolicy { max_retries: s.network.max_retries.min(10), ..RetryPolicy::default() };
    (settings, Network { wasi, policy })
}

fn permissions_in(list: Vec<wit::Permission>) -> Vec<Permission> {
    list.into_iter().map(|p| Permission { name: p.name, level: p.level }).collect()
}

fn permissions_out(list: Vec<Permission>) -> Vec<wit::Permission> {
    list.into_iter().map(|p| wit::Permission { name: p.name, level: p.level }).collect()
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
    list.into_iter().map(|g| wit::PermissionGap { name: g.name, asked: g.asked, granted: g.granted }).collect()
}

fn failure(f: ServiceFailure) -> wit::ServiceFailure {
    let kind = KINDS.iter().find(|(ours, _)| *ours == f.kind).map(|(_, theirs)| *theirs).unwrap_or(wit::FailureKind::Protocol);
    wit::ServiceFailure { kind, status: f.status, message: f.message }
}

fn failure_in(f: wit::ServiceFailure) -> ServiceFailure {
    let kind = KINDS.iter().find(|(_, theirs)| *theirs == f.kind).map(|(ours, _)| *ours).unwrap_or(FailureKind::Protocol);
    ServiceFailure::new(kind, f.status, f.message)
}

/// The failure a caller reports to `decide-fallback`.
fn mint_error_in(e: wit::MintError) -> MintError {
    match e {
        wit::MintError::Vault(f) => MintError::Vault(failure_in(f)),
        wit::MintError::Github(f) => MintError::Github(failure_in(f)),
        wit::MintError::InvalidRequest(m) => MintError::InvalidRequest(m),
        wit::MintError::Policy(p) => MintError::Policy(PolicyError { kind: PolicyErrorKind::Invalid, message: p.message }),
    }
}

fn policy_failure(e: PolicyError) -> wit::PolicyFailure {
    let kind = match e.kind {
        PolicyErrorKind::Invalid => wit::PolicyFailureKind::Invalid,
        PolicyErrorKind::UnknownAgent => wit::PolicyFailureKind::UnknownAgent,
        PolicyErrorKind::UnknownBot => wit::PolicyFailureKind::UnknownBot,
        PolicyErrorKind::Widening => wit::PolicyFailureKind::Widening,
    };
    wit::PolicyFailure { kind, message: e.message }
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
    Documents { agent_map: &p.agent_map, agent_map_name: &p.agent_map_name, policy: &p.policy, policy_name: &p.policy_name }
}

fn policy_request(r: wit::MintRequest) -> PolicyRequest {
    PolicyRequest { bot: r.bot, agent: r.agent, owner: r.owner, narrow: Scope { repositories: r.repositories, permissions: permissions_in(r.permissions) } }
}

/// Resolves a bot named directly (it must have a policy entry).
fn resolve_bot(policy: &wit::PolicyDocuments, bot: String) -> Result<Resolution, wit::MintError> {
    let asked = PolicyRequest { bot: Some(bot), ..PolicyRequest::default() };
    mint::resolve(&documents(policy), &asked).map(|(_, r, _)| r).map_err(mint_error)
}

fn now_secs() -> u64 {
    wasip2::clocks::wall_clock::now().seconds
}

impl Guest for Minter {
    fn resolve(policy: wit::PolicyDocuments, request: wit::MintRequest) -> Result<wit::Resolution, wit::MintError> {
        let (policies, r, _) = mint::resolve(&documents(&policy), &policy_request(request)).map_err(mint_error)?;
        Ok(wit::Resolution {
            bot: r.bot,
            agent: r.agent,
            permissions: permissions_out(r.scope.permissions),
            repositories: r.scope.repositories,
            fallback_allowed: r.fallback_allowed,
            isolate: r.isolate,
            pass_env: policies.pass_env,
        })
    }

    fn mint(settings_in: wit::Settings, policy: wit::PolicyDocuments, request: wit::MintRequest) -> Result<wit::InstallationToken, wit::MintError> {
        let (settings, network) = settings(settings_in);
        let (resolution, minted) =
            mint::mint_with_policy(&network.transport(), &settings, &documents(&policy), &policy_request(request), now_secs()).map_err(mint_error)?;
        let issued = minted.issued;
        Ok(wit::InstallationToken {
            token: issued.token,
            expires_at: issued.expires_at,
            bot: minted.bot,
            agent: resolution.agent,
            app_id: minted.app_id,
            installation_id: minted.installation_id,
            permissions: permissions_out(issued.permissions),
            repository_selection: issued.repository_selection,
            repositories: issued.repositories,
        })
    }

    fn decide_fallback(policy: wit::PolicyDocuments, request: wit::FallbackRequest) -> Result<wit::FallbackDecision, wit::MintError> {
        let asked = PolicyRequest { bot: request.bot, agent: request.agent, ..PolicyRequest::default() };
        let (policies, r, _) = mint::resolve(&documents(&policy), &asked).map_err(mint_error)?;
        let mode = match request.mode {
            wit::RunMode::Exec => Mode::Exec,
            wit::RunMode::Spawn => Mode::Spawn,
        };
        let who = crate::names::who(r.agent.as_deref(), &r.bot);
        let d = fallback::decide(&policies, mode, &who, r.fallback_allowed, &request.command, &mint_error_in(request.failure));
        Ok(wit::FallbackDecision { allowed: d.allowed, reason: d.reason, matched: d.matched })
    }

    fn bots(policy: wit::PolicyDocuments) -> Result<Vec<String>, wit::MintError> {
        let policies = crate::policy::Policies::load(&documents(&policy)).map_err(|e| mint_error(MintError::Policy(e)))?;
        Ok(policies.bots.keys().cloned().collect())
    }

    fn verify(settings_in: wit::Settings, policy: wit::PolicyDocuments, bot: String) -> Result<wit::Verification, wit::MintError> {
        let asked = PolicyRequest { bot: Some(bot), ..PolicyRequest::default() };
        let (policies, resolution, _) = mint::resolve(&documents(&policy), &asked).map_err(mint_error)?;
        let (settings, network) = settings(settings_in);
        let v = mint::verify(&network.transport(), &settings, &policies, &resolution, now_secs()).map_err(mint_error)?;
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
            missing: v.drift.missing.into_iter().map(|m| wit::MissingPermissions { agent: m.agent, permissions: gaps_out(m.gaps) }).collect(),
            excess: gaps_out(v.drift.excess),
        })
    }

    fn set_suspended(settings_in: wit::Settings, policy: wit::PolicyDocuments, bot: String, suspended: bool) -> Result<wit::Suspension, wit::MintError> {
        let resolution = resolve_bot(&policy, bot)?;
        let (settings, network) = settings(settings_in);
        let s = mint::set_suspended(&network.transport(), &settings, &resolution, suspended, now_secs()).map_err(mint_error)?;
        Ok(wit::Suspension { bot: s.bot, app_id: s.app_id, installation_id: s.installation_id, suspended: s.suspended })
    }

    fn bot_user_id(settings_in: wit::Settings, token: String, bot: String) -> Result<u64, wit::ServiceFailure> {
        crate::names::check_bot_name(&bot).map_err(|m| failure(ServiceFailure::new(FailureKind::Config, None, m)))?;
        let (settings, network) = settings(settings_in);
        github::bot_user_id(&network.transport(), &settings.github, &token, &bot).map_err(failure)
    }

    fn revoke(settings_in: wit::Settings, token: String) -> Result<(), wit::ServiceFailure> {
        let (settings, network) = settings(settings_in);
        github::revoke_installation_token(&network.transport(), &settings.github, &token).map_err(failure)
    }
}
