//! The loopback world: a fake Infisical and a fake GitHub wired together with
//! the design's three bots, each with its own App key, folder and installation.

use crate::github::{App, FakeGithub, Installation, User};
use crate::infisical::FakeInfisical;
use crate::keys::{AppKey, PemVariant};
use crate::server::{Handler, Server};
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

/// One bot as provisioned in both services.
#[derive(Clone)]
pub struct Bot {
    pub name: &'static str,
    pub app_id: u64,
    pub client_id: String,
    pub installation_id: u64,
    /// Id of the user `<name>[bot]` (commit attribution).
    pub user_id: u64,
    pub key: AppKey,
}

/// The design's bots and what each App's installation was granted.
pub const BOTS: [(&str, &[(&str, &str)]); 3] = [
    (
        "raxx-dev-bot",
        &[
            ("contents", "write"),
            ("pull_requests", "write"),
            ("issues", "write"),
            ("workflows", "write"),
            ("metadata", "read"),
        ],
    ),
    (
        "raxx-ops-bot",
        &[
            ("contents", "read"),
            ("pull_requests", "write"),
            ("issues", "write"),
            ("security_events", "write"),
            ("secret_scanning_alerts", "write"),
            ("metadata", "read"),
        ],
    ),
    (
        "raxx-pm-bot",
        &[
            ("contents", "write"),
            ("pull_requests", "write"),
            ("issues", "write"),
            ("discussions", "write"),
            ("metadata", "read"),
        ],
    ),
];

pub const ACCOUNT: &str = "raxx-app";
pub const REPOSITORIES: [&str; 2] = ["TradeMasterAPI", "raxx-docs"];
pub const PROJECT_ID: &str = "proj-moosequest";
pub const ENVIRONMENT: &str = "prod";
pub const PATH_PREFIX: &str = "/MooseQuest/";

/// The machine identity's secret: a recognisable canary (tests assert it never
/// appears in any output), one per process as a machine has one identity —
/// raxx's compiled-code cache is keyed from it, so the worlds of one test run
/// share that cache.
pub fn client_secret() -> String {
    static SECRET: OnceLock<String> = OnceLock::new();
    SECRET
        .get_or_init(|| format!("CANARY-client-secret-{:032x}", rand::random::<u128>()))
        .clone()
}

/// Three App keys generated once per process (key generation is the slow part of a world).
pub fn shared_keys() -> [AppKey; 3] {
    static KEYS: OnceLock<[AppKey; 3]> = OnceLock::new();
    KEYS.get_or_init(|| [AppKey::generate(), AppKey::generate(), AppKey::generate()])
        .clone()
}

pub struct World {
    pub infisical: Arc<FakeInfisical>,
    pub github: Arc<FakeGithub>,
    infisical_server: Server,
    github_server: Server,
    pub bots: Vec<Bot>,
    pub client_id: String,
    pub client_secret: String,
    /// Bare repositories served over git's smart HTTP, once `serve_git` made them.
    git_root: std::sync::Mutex<Option<tempfile::TempDir>>,
}

impl World {
    /// A world with freshly generated App keys (the demo).
    pub fn start() -> World {
        World::start_with_keys([AppKey::generate(), AppKey::generate(), AppKey::generate()])
    }

    /// A world with the process's shared keys (tests).
    pub fn start_shared() -> World {
        World::start_with_keys(shared_keys())
    }

    pub fn start_with_keys(keys: [AppKey; 3]) -> World {
        World::start_with(keys, None)
    }

    /// A world whose services speak HTTPS with certificates the run's CA signed
    /// (`tls::Ca::run()`; trust it with `SSL_CERT_FILE`).
    pub fn start_tls() -> World {
        let ca = crate::tls::Ca::run();
        World::start_tls_with(ca, ca)
    }

    /// A world over HTTPS whose Infisical and GitHub certificates come from these CAs.
    pub fn start_tls_with(infisical: &crate::tls::Ca, github: &crate::tls::Ca) -> World {
        World::start_with(
            shared_keys(),
            Some((infisical.server_config(), github.server_config())),
        )
    }

    fn start_with(
        keys: [AppKey; 3],
        tls: Option<(Arc<rustls::ServerConfig>, Arc<rustls::ServerConfig>)>,
    ) -> World {
        use rand::RngExt;
        let mut rng = rand::rng();
        let client_id = format!("ua-{:08x}-fake-identity", rng.random::<u32>());
        let client_secret = client_secret();
        let infisical = Arc::new(FakeInfisical::new(PROJECT_ID));
        infisical.add_identity(&client_id, &client_secret);
        let github = Arc::new(FakeGithub::new());
        let mut bots = Vec::new();
        for (i, ((name, grants), key)) in BOTS.iter().zip(keys).enumerate() {
            let app_id = 900_001 + i as u64;
            let installation_id = 55_000_001 + i as u64;
            let client_id = format!("Iv23li{:010x}", app_id);
            github.add_app(App {
                id: app_id,
                slug: name.to_string(),
                client_id: client_id.clone(),
                public_key: key.public(),
            });
            github.add_installation(Installation {
                id: installation_id,
                app_id,
                account: ACCOUNT.into(),
                permissions: grants
                    .iter()
                    .map(|(n, l)| (n.to_string(), l.to_string()))
                    .collect::<BTreeMap<_, _>>(),
                repositories: REPOSITORIES.iter().map(|r| r.to_string()).collect(),
            });
            let user_id = 149_000_001 + i as u64;
            github.add_user(User {
                login: format!("{name}[bot]"),
                id: user_id,
                kind: "Bot",
            });
            let bot = Bot {
                name,
                app_id,
                client_id,
                installation_id,
                user_id,
                key,
            };
            infisical.put_folder(
                ENVIRONMENT,
                &folder(name),
                vec![
                    ("APP_ID".into(), app_id.to_string()),
                    ("INSTALLATION_ID".into(), installation_id.to_string()),
                    ("PRIVATE_KEY_PEM".into(), bot.key.pkcs1_pem()),
                ],
            );
            bots.push(bot);
        }
        let inf = infisical.clone();
        let infisical_handler =
            Arc::new(move |r: &crate::server::HttpRequest| inf.handle(r)) as Handler;
        let gh = github.clone();
        let github_handler =
            Arc::new(move |r: &crate::server::HttpRequest| gh.handle(r)) as Handler;
        let (infisical_server, github_server) = match tls {
            None => (
                Server::start(infisical_handler),
                Server::start(github_handler),
            ),
            Some((inf_tls, gh_tls)) => (
                Server::start_tls(infisical_handler, inf_tls),
                Server::start_tls(github_handler, gh_tls),
            ),
        };
        let (infisical_server, github_server) = (
            infisical_server.expect("start fake Infisical"),
            github_server.expect("start fake GitHub"),
        );
        World {
            infisical,
            github,
            infisical_server,
            github_server,
            bots,
            client_id,
            client_secret,
            git_root: Default::default(),
        }
    }

    /// Serves the installations' repositories over git's smart HTTP at
    /// `{github_url}/raxx-app/REPO.git`, each a bare repository with one
    /// commit on `main`; returns where they are on disk.
    pub fn serve_git(&self) -> std::path::PathBuf {
        let mut root = self.git_root.lock().unwrap_or_else(|p| p.into_inner());
        let dir = root.get_or_insert_with(|| {
            let dir = tempfile::Builder::new()
                .prefix("raxx-fake-git-")
                .tempdir()
                .expect("a scratch folder for the fake's repositories");
            for repo in REPOSITORIES {
                crate::git::create(dir.path(), ACCOUNT, repo).expect("create a bare repository");
            }
            dir
        });
        self.github.serve_git(dir.path().to_path_buf());
        dir.path().to_path_buf()
    }

    /// Delays every answer of both services by `latency` (one round trip).
    pub fn set_latency(&self, latency: std::time::Duration) {
        self.infisical_server.set_latency(latency);
        self.github_server.set_latency(latency);
    }

    /// Makes every new connection to either service usable only `latency` after
    /// it was accepted (the handshakes of a real network).
    pub fn set_connect_latency(&self, latency: std::time::Duration) {
        self.infisical_server.set_connect_latency(latency);
        self.github_server.set_connect_latency(latency);
    }

    /// Makes both services close connections idle for `idle` (accepted from now on).
    pub fn set_keep_alive(&self, idle: std::time::Duration) {
        self.infisical_server.set_keep_alive(idle);
        self.github_server.set_keep_alive(idle);
    }

    /// Time both services spent on their side of all requests so far.
    pub fn own_time(&self) -> crate::server::ServerTime {
        self.infisical_server.own_time() + self.github_server.own_time()
    }

    /// Connections each service accepted so far: (Infisical, GitHub).
    pub fn connections(&self) -> (usize, usize) {
        (
            self.infisical_server.connections(),
            self.github_server.connections(),
        )
    }

    pub fn infisical_url(&self) -> String {
        self.infisical_server.url()
    }

    pub fn github_url(&self) -> String {
        self.github_server.url()
    }

    pub fn bot(&self, name: &str) -> &Bot {
        self.bots
            .iter()
            .find(|b| b.name == name)
            .unwrap_or_else(|| panic!("no bot {name} in the world"))
    }

    /// Stores `bot`'s key in its folder in the given form.
    pub fn store_pem(&self, bot: &str, variant: PemVariant) {
        let pem = variant.render(&self.bot(bot).key);
        self.infisical
            .set_secret(ENVIRONMENT, &folder(bot), "PRIVATE_KEY_PEM", &pem);
    }

    /// The environment `raxx-host` needs to use this world.
    pub fn env(&self) -> Vec<(String, String)> {
        [
            ("INFISICAL_CLIENT_ID", self.client_id.clone()),
            ("INFISICAL_CLIENT_SECRET", self.client_secret.clone()),
            ("INFISICAL_PROJECT_ID", PROJECT_ID.to_string()),
            ("INFISICAL_ENVIRONMENT", ENVIRONMENT.to_string()),
            ("INFISICAL_PATH_PREFIX", PATH_PREFIX.to_string()),
            ("INFISICAL_API_URL", self.infisical_url()),
            ("GITHUB_API_URL", self.github_url()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }
}

/// `/MooseQuest/<bot>`: where a bot's three secrets live.
pub fn folder(bot: &str) -> String {
    format!("{}{bot}", PATH_PREFIX)
}
