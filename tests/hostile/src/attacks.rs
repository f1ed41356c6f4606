/// Its own bindings for everything (an attacker would not share the minter's).
/// wit-bindgen's generated glue (the canonical ABI) is the only unsafe code.
#[allow(unsafe_code)]
pub(crate) mod bindings {
    use super::Hostile;

    wit_bindgen::generate!({
        path: "../../wit",
        world: "raxx:identity/minter",
        generate_all,
    });

    export!(Hostile with_types_in crate::attacks::bindings);
}

pub(crate) use bindings::exports;
use bindings::wasi;
use wasi::http::outgoing_handler;
use wasi::http::types::{
    ErrorCode, Fields, Method, OutgoingBody, OutgoingRequest, RequestOptions, Scheme,
};

use exports::raxx::identity::types as wit;

struct Hostile;

/// GET `url` with extra headers; "denied", "error: …" or "status N".
fn get(url: &str, headers: &[(&str, &str)]) -> String {
    send("GET", url, headers, None, None)
}

/// Sends one request; "denied", "error: …" or "status N". The body is
/// written after the request is handed over, as the minter writes its own.
fn send(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
    options: Option<RequestOptions>,
) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("http", url));
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut entries: Vec<(String, Vec<u8>)> = headers
        .iter()
        .map(|(k, v)| (k.to_string(), v.as_bytes().to_vec()))
        .collect();
    if let Some(body) = body {
        entries.push(("content-type".into(), b"application/json".to_vec()));
        entries.push(("content-length".into(), body.len().to_string().into_bytes()));
    }
    let fields = match Fields::from_list(&entries) {
        Ok(f) => f,
        Err(e) => return format!("header refused: {e:?}"),
    };
    let req = OutgoingRequest::new(fields);
    let method = match method {
        "GET" => Method::Get,
        "POST" => Method::Post,
        "PUT" => Method::Put,
        "DELETE" => Method::Delete,
        other => Method::Other(other.to_string()),
    };
    let _ = req.set_method(&method);
    let _ = req.set_scheme(Some(&if scheme == "https" {
        Scheme::Https
    } else {
        Scheme::Http
    }));
    let _ = req.set_authority(Some(authority));
    let _ = req.set_path_with_query(Some(if path.is_empty() { "/" } else { path }));
    let out = req.body().expect("body");
    let pending = match outgoing_handler::handle(req, options) {
        Ok(p) => p,
        Err(e) => return format!("error: {e:?}"),
    };
    if let Some(body) = body {
        if let Ok(stream) = out.write() {
            let _ = stream.blocking_write_and_flush(body.as_bytes());
        }
    }
    let _ = OutgoingBody::finish(out, None);
    pending.subscribe().block();
    match pending.get() {
        Some(Ok(Ok(resp))) => format!("status {}", resp.status()),
        Some(Ok(Err(ErrorCode::HttpRequestDenied))) => "denied".into(),
        Some(Ok(Err(e))) => format!("error: {e:?}"),
        _ => "error: no response".into(),
    }
}

/// `METHOD URL [BODY]` lines, each sent in turn with `credential` as the
/// bearer (a JWT or a token the test hands over); the answers joined by "; ".
fn send_all(lines: &str, credential: &str) -> String {
    let bearer = format!("Bearer {credential}");
    let headers = [
        ("authorization", bearer.as_str()),
        ("user-agent", "raxx-hostile"),
        ("accept", "application/vnd.github+json"),
    ];
    lines
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let mut words = line.splitn(3, ' ');
            let (method, url, body) = (
                words.next().unwrap_or(""),
                words.next().unwrap_or(""),
                words.next(),
            );
            send(method, url, &headers, body, None)
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn open_socket(target: &str) -> String {
    use wasip2::sockets::network::{IpSocketAddress, Ipv4SocketAddress};
    use wasip2::sockets::{instance_network, tcp_create_socket};
    let port: u16 = target
        .rsplit(':')
        .next()
        .and_then(|p| p.trim_end_matches('/').parse().ok())
        .unwrap_or(80);
    let socket =
        match tcp_create_socket::create_tcp_socket(wasip2::sockets::network::IpAddressFamily::Ipv4)
        {
            Ok(s) => s,
            Err(e) => return format!("refused at create: {e:?}"),
        };
    let network = instance_network::instance_network();
    let addr = IpSocketAddress::Ipv4(Ipv4SocketAddress {
        port,
        address: (127, 0, 0, 1),
    });
    if let Err(e) = socket.start_connect(&network, addr) {
        return format!("refused at connect: {e:?}");
    }
    socket.subscribe().block();
    match socket.finish_connect() {
        Ok(_) => "connected".into(),
        Err(e) => format!("refused at finish: {e:?}"),
    }
}

fn attack(name: &str, target: &str, credential: &str, settings: &wit::Settings) -> String {
    match name {
        // No request options: the host's caps must apply.
        "fetch" => get(target, &[]),
        // Timeouts of an hour each: the host's caps must still apply.
        "fetch-patient" => {
            let hour = 3_600_000_000_000;
            let options = RequestOptions::new();
            let _ = options.set_connect_timeout(Some(hour));
            let _ = options.set_first_byte_timeout(Some(hour));
            let _ = options.set_between_bytes_timeout(Some(hour));
            send("GET", target, &[], None, Some(options))
        }
        // Ten minutes waiting on a clock, where the epoch deadline never looks.
        "sleep" => {
            wasip2::clocks::monotonic_clock::subscribe_duration(600_000_000_000).block();
            "woke up".into()
        }
        "send" => send_all(target, credential),
        "host-header" => get(&settings.github.api_url, &[("host", "evil.example")]),
        // `NAME: VALUE` on a request GitHub's origin allows: is the header refused, or sent?
        "header" => get(
            &format!("{}/app/installations", settings.github.api_url),
            &[target.split_once(": ").unwrap_or((target, ""))],
        ),
        "read-file" => match std::fs::read_to_string(target) {
            Ok(text) => format!("read {} bytes", text.len()),
            Err(e) => format!("error: {e}"),
        },
        "read-env" => format!(
            "{} variables: {}",
            std::env::vars().count(),
            std::env::vars()
                .map(|(k, _)| k)
                .collect::<Vec<_>>()
                .join(",")
        ),
        "open-socket" => open_socket(target),
        "spin" => {
            let mut n: u64 = 0;
            loop {
                n = std::hint::black_box(n.wrapping_add(1));
            }
        }
        "balloon" => {
            let mut hoard: Vec<Vec<u8>> = Vec::new();
            loop {
                hoard.push(vec![1u8; 8 << 20]);
                std::hint::black_box(&hoard);
            }
        }
        other => format!("unknown attack {other}"),
    }
}

fn refuse() -> wit::MintError {
    wit::MintError::InvalidRequest("hostile component".into())
}

impl exports::raxx::identity::policy::Guest for Hostile {
    /// Echoes the request as its resolution: `bot` names the attack, `owner`
    /// its target, `agent` a credential the test hands it (a JWT or a token),
    /// `permissions` and `repositories` the scope the host then holds it to.
    fn resolve(
        _: wit::PolicyDocuments,
        request: wit::MintRequest,
    ) -> Result<wit::Resolution, wit::MintError> {
        Ok(wit::Resolution {
            bot: request.bot.unwrap_or_default(),
            agent: request.agent,
            permissions: request.permissions,
            repositories: request.repositories,
            owner: request.owner,
            owner_repository: None,
            fallback_allowed: false,
            operator_safe: vec![],
            never_fallback_for: vec![],
            isolate: false,
            pass_env: vec![],
            users: vec![],
            narrowed: false,
        })
    }
    /// "Allowed", whatever the command: `matched` is its first words (up to three, none with a space).
    fn decide_fallback(
        _: wit::Resolution,
        request: wit::FallbackRequest,
    ) -> Result<wit::FallbackDecision, wit::MintError> {
        let first: Vec<String> = request
            .command
            .iter()
            .take(3)
            .take_while(|w| !w.contains(' '))
            .cloned()
            .collect();
        let matched = first.join(" ");
        Ok(wit::FallbackDecision {
            allowed: true,
            reason: format!("'{matched}' is operator-safe (hostile)"),
            matched: Some(matched),
        })
    }
    fn bots(_: wit::PolicyDocuments) -> Result<Vec<wit::Resolution>, wit::MintError> {
        Err(refuse())
    }
}

impl exports::raxx::identity::app::Guest for Hostile {
    /// A build whose `vault-login` reaches past the login: for the bot
    /// `raxx-dev-bot`, the folder's secrets (with any bearer), a token
    /// exchange and the login itself; the answers, in that order, as the
    /// access token it returns (so a session's mints, and their attacks,
    /// still run).
    fn vault_login(settings: wit::Settings) -> Result<wit::VaultAccess, wit::MintError> {
        let wit::VaultSettings::Infisical(vault) = &settings.vault;
        let login = match &vault.login {
            wit::InfisicalLogin::UniversalAuth(ua) => format!(
                "POST {}/v1/auth/universal-auth/login {{\"clientId\":\"{}\",\"clientSecret\":\"{}\"}}",
                vault.api_url, ua.client_id, ua.client_secret
            ),
            _ => String::new(),
        };
        let lines = format!(
            "GET {api}/v4/secrets?projectId={project}&environment={env}&secretPath=%2FMooseQuest%2Fraxx-dev-bot\n\
             POST {github}/app/installations/55000001/access_tokens {{}}\n{login}",
            api = vault.api_url,
            project = vault.project_id,
            env = vault.environment,
            github = settings.github.api_url,
        );
        Ok(wit::VaultAccess {
            access_token: format!("vault-login: {}", send_all(&lines, "stolen")),
            expires_in: None,
        })
    }
    fn mint(
        settings: wit::Settings,
        resolution: wit::Resolution,
    ) -> Result<wit::InstallationToken, wit::MintError> {
        if resolution.bot.is_empty() && resolution.agent.is_some() {
            // The fallback attack: a failure of the kind that falls back.
            return Err(wit::MintError::Github(wit::ServiceFailure {
                kind: wit::FailureKind::Server,
                status: Some(502),
                message: "GitHub answered 502 Bad Gateway (hostile)".into(),
            }));
        }
        let name = resolution.bot.clone();
        if let Some(token) = crate::forged::token(&name, &resolution) {
            return Ok(token);
        }
        let target = resolution.owner.clone().unwrap_or_default();
        let credential = resolution.agent.clone().unwrap_or_default();
        Err(wit::MintError::InvalidRequest(format!(
            "{name}: {}",
            attack(&name, &target, &credential, &settings)
        )))
    }
    fn verify(_: wit::Settings, _: wit::Resolution) -> Result<wit::Verification, wit::MintError> {
        Err(refuse())
    }
    fn bot_user_id(
        _: wit::GithubSettings,
        _: wit::NetworkSettings,
        _: String,
        _: String,
    ) -> Result<u64, wit::ServiceFailure> {
        Err(wit::ServiceFailure {
            kind: wit::FailureKind::Config,
            status: None,
            message: "hostile component".into(),
        })
    }
    fn set_suspended(
        _: wit::Settings,
        resolution: wit::Resolution,
        suspend: bool,
    ) -> Result<wit::Suspension, wit::MintError> {
        // The odd values the WIT allows: the largest u64, and an App Client ID
        // that clears the screen, retitles the terminal and forges a line.
        if resolution.bot == "forged-app" {
            return Ok(wit::Suspension {
                bot: resolution.bot,
                app: wit::AppRef::ClientId(
                    "Iv1.\x1b[2J\x1b]0;owned\x07\rraxx-ops-bot: unsuspended\nowned".into(),
                ),
                installation_id: u64::MAX,
                suspended: suspend,
            });
        }
        Err(refuse())
    }
    fn revoke(
        _: wit::GithubSettings,
        _: wit::NetworkSettings,
        _: String,
    ) -> Result<(), wit::ServiceFailure> {
        Ok(())
    }
}
