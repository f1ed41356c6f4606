//! TLS trust like every other tool on the machine: the system's trust store,
//! or `SSL_CERT_FILE` / `SSL_CERT_DIR` instead of it when either is set (the
//! OpenSSL convention curl, git and Python follow), loaded by
//! `rustls-native-certs` and checked by rustls's own webpki verifier.
//!
//! Why `rustls-native-certs` and not `rustls-platform-verifier`: the platform
//! verifier hands certificates to the OS on macOS and Windows, where
//! `SSL_CERT_FILE` and `SSL_CERT_DIR` mean nothing, and on Linux it is these
//! same roots under webpki anyway. With native-certs the variables work the
//! same everywhere, one verifier (webpki) decides everywhere, and its errors
//! are ones we can explain.
//!
//! Ours is only the explaining: `Naming` passes every decision to webpki and,
//! when webpki refuses a certificate, adds its subject and issuer to the
//! error, so the one-line cause can say which certificate was refused and
//! how to trust its CA.

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, OtherError, SignatureScheme};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use wasmtime_wasi_http::p2::bindings::http::types::{ErrorCode, TlsAlertReceivedPayload};

/// Which CAs the host trusts: the system's, or those of `SSL_CERT_FILE` / `SSL_CERT_DIR`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Trust {
    file: Option<PathBuf>,
    dirs: Vec<PathBuf>,
}

impl Trust {
    /// Reads `SSL_CERT_FILE` and `SSL_CERT_DIR` (`:`-separated) through `var`;
    /// one that names no file (or folder) is an error naming it.
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Result<Trust, String> {
        let file = var("SSL_CERT_FILE")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from);
        let dirs: Vec<PathBuf> = var("SSL_CERT_DIR")
            .map(|v| {
                std::env::split_paths(&v)
                    .filter(|p| !p.as_os_str().is_empty())
                    .collect()
            })
            .unwrap_or_default();
        if let Some(file) = file.as_ref().filter(|f| !f.is_file()) {
            return Err(format!("SSL_CERT_FILE={} is not a file: point it at a PEM file of the CA certificates to trust", file.display()));
        }
        if let Some(dir) = dirs.iter().find(|d| !d.is_dir()) {
            return Err(format!("SSL_CERT_DIR names {}, which is not a folder: point it at folders of PEM CA certificates", dir.display()));
        }
        Ok(Trust { file, dirs })
    }

    /// The CAs of one PEM file (as `SSL_CERT_FILE=path`).
    pub fn file(path: impl Into<PathBuf>) -> Trust {
        Trust {
            file: Some(path.into()),
            dirs: vec![],
        }
    }

    /// The PEM file of CAs trusted (`SSL_CERT_FILE`), if one was named.
    pub fn ca_file(&self) -> Option<&Path> {
        self.file.as_deref()
    }

    /// The folders of CAs trusted (`SSL_CERT_DIR`), in order.
    pub fn ca_dirs(&self) -> &[PathBuf] {
        &self.dirs
    }

    /// What is trusted, for messages.
    pub fn describe(&self) -> String {
        let dirs = || {
            std::env::join_paths(&self.dirs)
                .map(|d| d.to_string_lossy().into_owned())
                .unwrap_or_default()
        };
        match (&self.file, self.dirs.is_empty()) {
            (None, true) => "the system's trust store".into(),
            (Some(f), true) => format!("SSL_CERT_FILE={}", f.display()),
            (None, false) => format!("SSL_CERT_DIR={}", dirs()),
            (Some(f), false) => {
                format!("SSL_CERT_FILE={} and SSL_CERT_DIR={}", f.display(), dirs())
            }
        }
    }

    /// A TLS connector trusting these CAs. The roots are read once per process
    /// for each trust (the system's store is a few hundred KB to parse).
    pub fn connector(&self) -> Result<tokio_rustls::TlsConnector, String> {
        static CONFIGS: Mutex<Vec<(Trust, Arc<rustls::ClientConfig>)>> = Mutex::new(Vec::new());
        let mut configs = CONFIGS.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, config)) = configs.iter().find(|(t, _)| t == self) {
            return Ok(config.clone().into());
        }
        let config = Arc::new(self.client_config()?);
        configs.push((self.clone(), config.clone()));
        Ok(config.into())
    }

    fn client_config(&self) -> Result<rustls::ClientConfig, String> {
        let loaded = if self.file.is_none() && self.dirs.is_empty() {
            rustls_native_certs::load_native_certs()
        } else {
            let mut all = rustls_native_certs::load_certs_from_paths(self.file.as_deref(), None);
            for dir in &self.dirs {
                let more = rustls_native_certs::load_certs_from_paths(None, Some(dir));
                all.certs.extend(more.certs);
                all.errors.extend(more.errors);
            }
            all
        };
        let mut roots = rustls::RootCertStore::empty();
        let (added, _ignored) = roots.add_parsable_certificates(loaded.certs);
        if added == 0 {
            let why = loaded
                .errors
                .first()
                .map(|e| format!(" ({e})"))
                .unwrap_or_default();
            return Err(format!("no CA certificate could be read from {}{why}; install the system's CA certificates or point SSL_CERT_FILE at a PEM file of the CAs to trust", self.describe()));
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
            .build()
            .map_err(|e| format!("TLS: {e}"))?;
        let mut config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS: {e}"))?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(Naming { webpki }))
            .with_no_client_auth();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(config)
    }
}

/// The TLS server name of an origin's host (an IP literal, IPv6 without brackets, or a DNS name).
pub fn server_name(host: &str) -> Option<ServerName<'static>> {
    match host.parse::<std::net::IpAddr>() {
        Ok(ip) => Some(ServerName::from(ip)),
        Err(_) => ServerName::try_from(host).ok().map(|n| n.to_owned()),
    }
}

/// webpki's verifier, with the refused certificate's names added to its errors.
#[derive(Debug)]
struct Naming {
    webpki: Arc<WebPkiServerVerifier>,
}

/// A certificate webpki refused, and why.
#[derive(Debug)]
pub struct Refused {
    subject: Option<String>,
    issuer: Option<String>,
    reason: CertificateError,
}

impl ServerCertVerifier for Naming {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.webpki
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
            .map_err(|err| match err {
                rustls::Error::InvalidCertificate(reason) => {
                    let (subject, issuer) = names(end_entity);
                    rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(
                        Arc::new(Refused {
                            subject,
                            issuer,
                            reason,
                        }),
                    )))
                }
                other => other,
            })
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}

/// The subject and issuer of a certificate, as RFC 4514 strings (server text: made safe to print).
fn names(cert: &CertificateDer<'_>) -> (Option<String>, Option<String>) {
    use x509_cert::der::Decode;
    let Ok(cert) = x509_cert::Certificate::from_der(cert.as_ref()) else {
        return (None, None);
    };
    let shown = |name: &x509_cert::name::Name| {
        let text = crate::support::display::clean(&name.to_string());
        (!text.is_empty()).then(|| text.chars().take(160).collect())
    };
    (
        shown(cert.tbs_certificate().subject()),
        shown(cert.tbs_certificate().issuer()),
    )
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let quoted = |name: &Option<String>| {
            name.as_deref()
                .map_or("(unreadable)".to_string(), |n| format!("\"{n}\""))
        };
        write!(
            f,
            "({}, issued by {}) ",
            quoted(&self.subject),
            quoted(&self.issuer)
        )?;
        match &self.reason {
            CertificateError::UnknownIssuer => {
                f.write_str("is not signed by a CA this machine trusts")
            }
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                f.write_str("has expired")
            }
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                f.write_str("is not valid yet")
            }
            CertificateError::Revoked => f.write_str("was revoked"),
            CertificateError::NotValidForName => f.write_str("is for another host"),
            other => write!(
                f,
                "was refused ({})",
                crate::support::display::clean(&other.to_string())
            ),
        }
    }
}

impl std::error::Error for Refused {}

/// The one-line cause of a failed handshake with `authority`, given what is trusted.
pub fn explain_handshake(
    err: &std::io::Error,
    authority: &str,
    trust: &Trust,
) -> (ErrorCode, String) {
    let rustls_error = err
        .get_ref()
        .and_then(|e| e.downcast_ref::<rustls::Error>());
    match rustls_error {
        Some(rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(inner))))
            if inner.downcast_ref::<Refused>().is_some() =>
        {
            let refused = inner
                .downcast_ref::<Refused>()
                .map(ToString::to_string)
                .unwrap_or_default();
            let hint = format!(
                "to trust its CA, set SSL_CERT_FILE to a PEM file that holds it (trusted now: {})",
                trust.describe()
            );
            (
                ErrorCode::TlsCertificateError,
                format!("the TLS certificate of {authority} {refused}; {hint}"),
            )
        }
        Some(rustls::Error::InvalidCertificate(reason)) => (
            ErrorCode::TlsCertificateError,
            format!(
                "the TLS certificate of {authority} was refused ({})",
                crate::support::display::clean(&reason.to_string())
            ),
        ),
        Some(rustls::Error::AlertReceived(alert)) => (
            ErrorCode::TlsAlertReceived(TlsAlertReceivedPayload {
                alert_id: None,
                alert_message: Some(format!("{alert:?}")),
            }),
            format!("{authority} ended the TLS handshake ({alert:?})"),
        ),
        Some(other) => (
            ErrorCode::TlsProtocolError,
            format!(
                "the TLS handshake with {authority} failed ({})",
                crate::support::display::clean(&other.to_string())
            ),
        ),
        None => (
            ErrorCode::ConnectionTerminated,
            format!("the connection to {authority} closed during the TLS handshake"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_names_of_hosts_and_ip_literals() {
        assert_eq!(
            server_name("api.github.com").unwrap(),
            ServerName::try_from("api.github.com").unwrap()
        );
        assert_eq!(
            server_name("127.0.0.1").unwrap(),
            ServerName::from(std::net::Ipv4Addr::LOCALHOST)
        );
        assert_eq!(
            server_name("::1").unwrap(),
            ServerName::from(std::net::Ipv6Addr::LOCALHOST)
        );
        assert!(server_name("bad host").is_none());
    }

    #[test]
    fn cert_variables_must_name_files_and_folders() {
        let dir = std::env::temp_dir();
        let env = |pairs: Vec<(&'static str, String)>| {
            move |k: &str| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone())
        };
        assert_eq!(Trust::from_env(env(vec![])).unwrap(), Trust::default());
        assert_eq!(
            Trust::from_env(env(vec![])).unwrap().describe(),
            "the system's trust store"
        );
        let err = Trust::from_env(env(vec![(
            "SSL_CERT_FILE",
            "/raxx-no-such-folder/ca.pem".into(),
        )]))
        .unwrap_err();
        assert!(
            err.starts_with("SSL_CERT_FILE=/raxx-no-such-folder/ca.pem is not a file"),
            "{err}"
        );
        let err = Trust::from_env(env(vec![(
            "SSL_CERT_DIR",
            format!("{}:/raxx-no-such-folder", dir.display()),
        )]))
        .unwrap_err();
        assert!(
            err.contains("/raxx-no-such-folder, which is not a folder"),
            "{err}"
        );
        let t = Trust::from_env(env(vec![("SSL_CERT_DIR", dir.display().to_string())])).unwrap();
        assert_eq!(t.describe(), format!("SSL_CERT_DIR={}", dir.display()));
    }

    #[test]
    fn a_file_without_certificates_is_explained() {
        let file = std::env::temp_dir().join(format!("raxx-empty-ca-{}.pem", std::process::id()));
        std::fs::write(&file, "not a certificate\n").unwrap();
        let err = Trust::file(&file).connector().map(|_| ()).unwrap_err();
        let _ = std::fs::remove_file(&file);
        assert!(
            err.starts_with(&format!(
                "no CA certificate could be read from SSL_CERT_FILE={}",
                file.display()
            )),
            "{err}"
        );
    }
}
