//! HTTPS for the fakes: a CA generated per run (`rcgen`), and a server
//! certificate for loopback (`127.0.0.1`, `::1`, `localhost`) signed by it.
//! The tests trust the CA the way a user trusts an internal one: its PEM in a
//! file for `SSL_CERT_FILE`, or in a folder for `SSL_CERT_DIR`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

/// The subject common name of every fake's server certificate.
pub const SERVER_NAME: &str = "raxx fake services";

/// A certificate authority and the server configuration of a fake it signed.
pub struct Ca {
    name: String,
    pem: String,
    server: Arc<rustls::ServerConfig>,
    /// Holds `ca.pem` and nothing else.
    dir: tempfile::TempDir,
}

impl Ca {
    /// The run's CA (one per test process): what `World::start_tls` serves with.
    pub fn run() -> &'static Ca {
        static CA: OnceLock<Ca> = OnceLock::new();
        CA.get_or_init(|| Ca::generate("raxx test CA"))
    }

    /// A new CA named `{label} {random}` and a server certificate it signed.
    pub fn generate(label: &str) -> Ca {
        use rcgen::{
            BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose,
        };
        let name = format!("{label} {:08x}", rand::random::<u32>());
        let ca_key = KeyPair::generate().expect("a CA key");
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
        ca_params
            .distinguished_name
            .push(DnType::CommonName, name.clone());
        ca_params
            .distinguished_name
            .push(DnType::OrganizationName, "raxx fakes");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_cert = ca_params.self_signed(&ca_key).expect("a self-signed CA");
        let issuer = Issuer::new(ca_params, ca_key);
        let server_key = KeyPair::generate().expect("a server key");
        let mut server_params = CertificateParams::new(vec![
            "127.0.0.1".to_string(),
            "::1".to_string(),
            "localhost".to_string(),
        ])
        .expect("server parameters");
        server_params
            .distinguished_name
            .push(DnType::CommonName, SERVER_NAME);
        let server_cert = server_params
            .signed_by(&server_key, &issuer)
            .expect("a server certificate");
        let key = rustls::pki_types::PrivateKeyDer::Pkcs8(server_key.serialize_der().into());
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let server = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .and_then(|b| {
                b.with_no_client_auth()
                    .with_single_cert(vec![server_cert.der().clone()], key)
            })
            .expect("a TLS server configuration");
        let dir = tempfile::Builder::new()
            .prefix("raxx-fake-ca-")
            .tempdir()
            .expect("a folder for the CA");
        let pem = ca_cert.pem();
        std::fs::write(dir.path().join("ca.pem"), &pem).expect("write the CA's PEM");
        Ca {
            name,
            pem,
            server: Arc::new(server),
            dir,
        }
    }

    /// The CA's subject common name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The CA certificate, PEM.
    pub fn pem(&self) -> &str {
        &self.pem
    }

    /// A file holding the CA certificate (for `SSL_CERT_FILE`).
    pub fn file(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// A folder holding only the CA certificate (for `SSL_CERT_DIR`).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// What a fake serves TLS with: the server certificate this CA signed.
    pub fn server_config(&self) -> Arc<rustls::ServerConfig> {
        self.server.clone()
    }
}
