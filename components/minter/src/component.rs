//! The WIT glue: `raxx:identity/identity` exported over the plain modules.

use crate::error::{FailureKind, MintError, ServiceFailure};
use crate::github::{GithubSettings, Permission, Scope};
use crate::infisical::VaultSettings;
use crate::mint::{self, MintRequest, Settings};
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
use raxx::identity::types as wit;

struct Minter;

export!(Minter);

fn settings(s: wit::Settings) -> (Settings, WasiTransport) {
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
    let transport = WasiTransport {
        connect_timeout_ns: ms(s.network.connect_timeout_ms),
        first_byte_timeout_ns: ms(s.network.first_byte_timeout_ms),
    };
    (settings, transport)
}

fn permissions_in(list: Vec<wit::Permission>) -> Vec<Permission> {
    list.into_iter().map(|p| Permission { name: p.name, level: p.level }).collect()
}

fn permissions_out(list: Vec<Permission>) -> Vec<wit::Permission> {
    list.into_iter().map(|p| wit::Permission { name: p.name, level: p.level }).collect()
}

fn failure(f: ServiceFailure) -> wit::ServiceFailure {
    let kind = match f.kind {
        FailureKind::Config => wit::FailureKind::Config,
        FailureKind::Denied => wit::FailureKind::Denied,
        FailureKind::Unreachable => wit::FailureKind::Unreachable,
        FailureKind::Timeout => wit::FailureKind::Timeout,
        FailureKind::Refused => wit::FailureKind::Refused,
        FailureKind::NotFound => wit::FailureKind::NotFound,
        FailureKind::Rejected => wit::FailureKind::Rejected,
        FailureKind::RateLimited => wit::FailureKind::RateLimited,
        FailureKind::Server => wit::FailureKind::Server,
        FailureKind::Protocol => wit::FailureKind::Protocol,
        FailureKind::BadSecret => wit::FailureKind::BadSecret,
    };
    wit::ServiceFailure { kind, status: f.status, message: f.message }
}

fn mint_error(e: MintError) -> wit::MintError {
    match e {
        MintError::Vault(f) => wit::MintError::Vault(failure(f)),
        MintError::Github(f) => wit::MintError::Github(failure(f)),
        MintError::InvalidRequest(m) => wit::MintError::InvalidRequest(m),
    }
}

fn now_secs() -> u64 {
    wasip2::clocks::wall_clock::now().seconds
}

impl Guest for Minter {
    fn mint(settings_in: wit::Settings, request: wit::MintRequest) -> Result<wit::InstallationToken, wit::MintError> {
        let (settings, transport) = settings(settings_in);
        let request = MintRequest {
            bot: request.bot,
            scope: Scope { repositories: request.repositories, permissions: permissions_in(request.permissions) },
        };
        let minted = mint::mint(&transport, &settings, &request, now_secs()).map_err(mint_error)?;
        let issued = minted.issued;
        Ok(wit::InstallationToken {
            token: issued.token,
            expires_at: issued.expires_at,
            bot: minted.bot,
            app_id: minted.app_id,
            installation_id: minted.installation_id,
            permissions: permissions_out(issued.permissions),
            repository_selection: issued.repository_selection,
            repositories: issued.repositories,
        })
    }
}
