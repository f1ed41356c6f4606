//! The WIT glue: plain conversions between `decide`'s records and the core's types.

use raxx_core::settings::{
    ActionsIdToken, CredentialSource, IdentityJwt, InfisicalLogin, LoginMethod, Secret, Side,
    SourceFailure, VaultSettings,
};
use raxx_core::{audit, cache_key, exit, policy_files, reach, settings};
use std::path::{Path, PathBuf};

/// wit-bindgen's generated glue (the canonical ABI) is the only unsafe code.
#[allow(unsafe_code)]
mod bindings {
    use super::Core;

    wit_bindgen::generate!({
        path: "../../wit/host-core",
        world: "raxx:host-core/host-core",
    });

    export!(Core with_types_in crate::component::bindings);
}

use bindings::exports::raxx::host_core::decide as wit;

pub struct Core;

fn side_to_wit(side: Side) -> wit::Side {
    match side {
        Side::Vault => wit::Side::Vault,
        Side::Github => wit::Side::Github,
        Side::Host => wit::Side::Host,
    }
}

fn actions_to_wit(r: &ActionsIdToken) -> wit::ActionsIdToken {
    wit::ActionsIdToken {
        request_url: r.request_url.clone(),
        request_token: r.request_token.expose().to_string(),
        audience: r.audience.clone(),
    }
}

fn actions_from_wit(r: wit::ActionsIdToken) -> ActionsIdToken {
    ActionsIdToken {
        request_url: r.request_url,
        request_token: Secret::new(r.request_token),
        audience: r.audience,
    }
}

fn source_from_wit(source: wit::CredentialSource) -> CredentialSource {
    match source {
        wit::CredentialSource::Value(v) => CredentialSource::Value(Secret::new(v)),
        wit::CredentialSource::File(path) => CredentialSource::File(path),
        wit::CredentialSource::ActionsIdToken(r) => {
            CredentialSource::ActionsIdToken(actions_from_wit(r))
        }
    }
}

fn login_to_wit(login: &InfisicalLogin) -> wit::InfisicalLogin {
    let jwt = |j: &IdentityJwt| wit::IdentitySource {
        identity_id: j.identity_id.clone(),
        source: match &j.source {
            CredentialSource::Value(v) => wit::CredentialSource::Value(v.expose().to_string()),
            CredentialSource::File(path) => wit::CredentialSource::File(path.clone()),
            CredentialSource::ActionsIdToken(r) => {
                wit::CredentialSource::ActionsIdToken(actions_to_wit(r))
            }
        },
    };
    match login {
        InfisicalLogin::UniversalAuth(l) => {
            wit::InfisicalLogin::UniversalAuth(wit::UniversalAuth {
                client_id: l.client_id.clone(),
                client_secret: l.client_secret.clone(),
            })
        }
        InfisicalLogin::Kubernetes(j) => wit::InfisicalLogin::Kubernetes(jwt(j)),
        InfisicalLogin::Oidc(j) => wit::InfisicalLogin::Oidc(jwt(j)),
        InfisicalLogin::Jwt(j) => wit::InfisicalLogin::Jwt(jwt(j)),
        InfisicalLogin::AccessToken(t) => wit::InfisicalLogin::AccessToken(t.expose().to_string()),
    }
}

fn config_error_to_wit(e: settings::ConfigError) -> wit::ConfigError {
    wit::ConfigError {
        side: side_to_wit(e.side),
        message: e.message,
        absent: e.absent,
    }
}

fn base_to_wit(base: &reach::Base, url: &str) -> wit::Base {
    wit::Base {
        service: base.service.clone(),
        url: url.to_string(),
        origin: base.origin.to_string(),
        path: base.path.clone(),
    }
}

fn admitted_to_wit(admitted: reach::Admitted) -> wit::Admitted {
    wit::Admitted {
        origin: admitted.origin.to_string(),
        label: admitted.label,
        check: admitted.check.is_some(),
    }
}

fn scope_from_wit(scope: wit::Scope) -> reach::Scope {
    reach::Scope::new(
        scope
            .permissions
            .iter()
            .map(|(n, l)| (n.as_str(), l.as_str())),
        &scope.repositories,
    )
}

fn allowlist_from_wit(allowlist: wit::Allowlist) -> Result<reach::Allowlist, String> {
    let bases = allowlist
        .bases
        .iter()
        .map(|(service, url)| reach::Base::new(service, url))
        .collect::<Result<Vec<_>, _>>()?;
    let list = reach::Allowlist::new(bases);
    Ok(match allowlist.call {
        None => list,
        Some(name) => {
            let call =
                reach::Call::from_name(&name).ok_or_else(|| format!("{name:?} is not a call"))?;
            list.for_call(
                call,
                allowlist.bot.as_deref(),
                allowlist.scope.map(scope_from_wit),
            )
        }
    })
}

impl wit::Guest for Core {
    fn settings_from_env(
        env: Vec<(String, String)>,
        user_agent: String,
    ) -> Result<wit::Settings, wit::ConfigError> {
        let var = |name: &str| env.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
        let read = settings::Settings::from_env(var, &user_agent).map_err(config_error_to_wit)?;
        let VaultSettings::Infisical(vault) = &read.vault;
        let urls = [vault.api_url.as_str(), read.github.api_url.as_str()];
        Ok(wit::Settings {
            vault: wit::VaultSettings::Infisical(wit::InfisicalSettings {
                api_url: vault.api_url.clone(),
                project_id: vault.project_id.clone(),
                environment: vault.environment.clone(),
                path_prefix: vault.path_prefix.clone(),
                login: login_to_wit(&vault.login),
            }),
            github: wit::GithubSettings {
                api_url: read.github.api_url.clone(),
                user_agent: read.github.user_agent.clone(),
            },
            network: wit::NetworkSettings {
                connect_timeout_ms: read.network.connect_timeout_ms,
                first_byte_timeout_ms: read.network.first_byte_timeout_ms,
                max_retries: read.network.max_retries,
            },
            bases: read
                .bases
                .iter()
                .zip(urls)
                .map(|(b, url)| base_to_wit(b, url))
                .collect(),
        })
    }

    fn settings_variables() -> Vec<String> {
        settings::VARIABLES.iter().map(|v| v.to_string()).collect()
    }

    fn cache_secret(env: Vec<(String, String)>) -> Option<String> {
        settings::cache_secret(&|name: &str| {
            env.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone())
        })
    }

    fn source_error(
        method: wit::LoginMethod,
        source: wit::CredentialSource,
        failure: wit::SourceFailure,
    ) -> wit::ConfigError {
        let method = match method {
            wit::LoginMethod::Universal => LoginMethod::Universal,
            wit::LoginMethod::Kubernetes => LoginMethod::Kubernetes,
            wit::LoginMethod::Oidc => LoginMethod::Oidc,
            wit::LoginMethod::Jwt => LoginMethod::Jwt,
            wit::LoginMethod::Token => LoginMethod::Token,
        };
        let failure = match failure {
            wit::SourceFailure::FileUnreadable(cause) => SourceFailure::FileUnreadable(cause),
            wit::SourceFailure::FileNotRegular => SourceFailure::FileNotRegular,
            wit::SourceFailure::FileEmpty => SourceFailure::FileEmpty,
            wit::SourceFailure::FileTooLarge => SourceFailure::FileTooLarge,
            wit::SourceFailure::EndpointUnreachable(cause) => {
                SourceFailure::EndpointUnreachable(cause)
            }
            wit::SourceFailure::EndpointRefused(status) => SourceFailure::EndpointRefused(status),
            wit::SourceFailure::EndpointNoToken => SourceFailure::EndpointNoToken,
        };
        config_error_to_wit(settings::source_error(
            method,
            &source_from_wit(source),
            &failure,
        ))
    }

    fn actions_token_url(request: wit::ActionsIdToken) -> Result<String, wit::ConfigError> {
        settings::actions_token_url(&actions_from_wit(request)).map_err(config_error_to_wit)
    }

    fn actions_answer(body: Vec<u8>) -> Option<String> {
        settings::actions_answer(&body).map(|t| t.expose().to_string())
    }

    fn max_source_bytes() -> u32 {
        settings::MAX_SOURCE_BYTES as u32
    }

    fn cache_key_id(client_secret: String) -> String {
        cache_key::CacheKey::derive(&client_secret).key_id()
    }

    fn transpile_tag(
        client_secret: String,
        component_sha256: String,
        files: Vec<(String, Vec<u8>)>,
    ) -> Vec<u8> {
        cache_key::CacheKey::derive(&client_secret)
            .transpile_tag(
                &component_sha256,
                files.iter().map(|(n, c)| (n.as_str(), c.as_slice())),
            )
            .as_bytes()
            .to_vec()
    }

    fn max_body_bytes() -> u32 {
        reach::MAX_BODY_BYTES as u32
    }

    fn base_origin(url: String) -> Result<wit::Base, String> {
        reach::Base::new("", &url).map(|b| base_to_wit(&b, &url))
    }

    fn admit(
        allowlist: wit::Allowlist,
        method: String,
        url: String,
    ) -> Result<wit::Admitted, String> {
        let allowlist = allowlist_from_wit(allowlist)?;
        allowlist
            .admit_url(&method, &url)
            .map(admitted_to_wit)
            .map_err(|d| d.0)
    }

    fn admit_parts(
        allowlist: wit::Allowlist,
        method: String,
        scheme: Option<String>,
        authority: String,
        path_with_query: String,
    ) -> Result<wit::Admitted, String> {
        let allowlist = allowlist_from_wit(allowlist)?;
        allowlist
            .admit_parts(&method, scheme.as_deref(), &authority, &path_with_query)
            .map(admitted_to_wit)
            .map_err(|d| d.0)
    }

    fn holds_body(allowlist: wit::Allowlist, method: String, path: String) -> bool {
        allowlist_from_wit(allowlist).is_ok_and(|a| a.holds_body(&method, &path))
    }

    fn check_scope(scope: wit::Scope, body: Vec<u8>) -> Result<Vec<u8>, String> {
        scope_from_wit(scope).check(&body)
    }

    fn exit_for_failure(tag: String, policy_kind: Option<String>) -> Option<u8> {
        exit::Failure::from_wit(&tag, policy_kind.as_deref()).map(|f| exit::for_failure(f).code())
    }

    fn exit_for_side(side: wit::Side) -> u8 {
        exit::for_side(match side {
            wit::Side::Vault => Side::Vault,
            wit::Side::Github => Side::Github,
            wit::Side::Host => Side::Host,
        })
        .code()
    }

    fn exit_codes() -> Vec<(String, u8)> {
        exit::Exit::ALL
            .iter()
            .map(|e| (e.name().to_string(), e.code()))
            .collect()
    }

    fn exit_help() -> String {
        exit::HELP.to_string()
    }

    fn audit_record(event: wit::AuditEvent, in_force: wit::InForce, time: String) -> String {
        let permissions: Vec<(&str, &str)> = event
            .token
            .as_ref()
            .map(|t| {
                t.permissions
                    .iter()
                    .map(|(n, l)| (n.as_str(), l.as_str()))
                    .collect()
            })
            .unwrap_or_default();
        let token = event.token.as_ref().map(|t| audit::Token {
            token: &t.token,
            agent: t.agent.as_deref(),
            bot: &t.bot,
            app_id: &t.app_id,
            installation_id: &t.installation_id,
            expires_at: &t.expires_at,
            permissions: &permissions,
            repositories: &t.repositories,
        });
        let record = audit::record(
            &audit::Event {
                command: &event.command,
                agent: event.agent.as_deref(),
                bot: event.bot.as_deref(),
                workflow_uuid: event.workflow_uuid.as_deref(),
                token,
                installation: event
                    .installation
                    .as_ref()
                    .map(|(a, i)| (a.as_str(), i.as_str())),
                fallback: event.fallback.as_ref().map(|(u, w)| (*u, w.as_str())),
                operator_command: event.operator_command.as_deref(),
                subject: event.subject.as_deref(),
                outcome: match &event.error {
                    None => Ok(()),
                    Some((code, message)) => Err((*code, message.as_str())),
                },
                vault_login: event.vault_login.as_deref(),
            },
            &audit::InForce {
                component_sha256: &in_force.component_sha256,
                compiled_sha256: &in_force.compiled_sha256,
                portable_component_sha256: in_force.portable_component_sha256.as_deref(),
                policy: &in_force.policy,
                agent_map: &in_force.agent_map,
            },
            &time,
        );
        record.to_string()
    }

    fn policy_default_dir(candidates: Vec<String>, existing: Vec<String>) -> Option<String> {
        let exists = |p: &Path| existing.iter().any(|e| Path::new(e) == p);
        policy_files::default_dir(&candidates, exists).map(|d| d.to_string_lossy().into_owned())
    }

    fn policy_locate(
        agent_map: Option<String>,
        policy: Option<String>,
        dir: Option<String>,
        next_to: String,
    ) -> Result<(String, String), String> {
        let files = policy_files::locate(
            agent_map.map(PathBuf::from),
            policy.map(PathBuf::from),
            dir.as_deref().map(Path::new),
            &next_to,
        )?;
        Ok((
            files.agent_map.to_string_lossy().into_owned(),
            files.policy.to_string_lossy().into_owned(),
        ))
    }

    fn policy_file_names() -> (String, String) {
        (
            policy_files::MAP_FILE.to_string(),
            policy_files::POLICY_FILE.to_string(),
        )
    }
}
