//! Reading the App's private key as it arrives from a secrets manager.
//!
//! Accepted: PKCS#1 (`RSA PRIVATE KEY`) or PKCS#8 (`PRIVATE KEY`), with real
//! newlines, CRLF, literal `\n` escapes, or whitespace-joined lines, optionally
//! wrapped in quotes. Everything else is refused with a message naming the
//! format problem. No message ever contains any part of the key.

use crate::key::{KeyError, PrivateKey};
use base64::Engine as _;
use zeroize::Zeroize;

/// Why a PEM could not be used. `Display` is safe to show: it never echoes key material.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PemError {
    Empty,
    NotPem,
    Truncated,
    Encrypted,
    Certificate,
    PublicKey,
    OpenSsh,
    NotRsa(String),
    Corrupt,
    /// A valid RSA key of this many bits, too small to use.
    TooSmall(usize),
}

impl std::fmt::Display for PemError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = match self {
            PemError::Empty => "is empty".to_string(),
            PemError::NotPem => "is not PEM (no '-----BEGIN ...-----' line); paste the whole .pem file GitHub generated".to_string(),
            PemError::Truncated => "is truncated (BEGIN line without a matching END line); store the complete .pem file".to_string(),
            PemError::Encrypted => "is an encrypted key; store the unencrypted key GitHub generated (openssl rsa -in key.pem -out plain.pem)".to_string(),
            PemError::Certificate => "is a certificate, not a private key; store the App's private key (.pem) from its settings page".to_string(),
            PemError::PublicKey => "is a public key; store the App's private key (.pem) from its settings page".to_string(),
            PemError::OpenSsh => "is an OpenSSH key; GitHub App keys are RSA PEM ('-----BEGIN RSA PRIVATE KEY-----'): generate one in the App's settings".to_string(),
            PemError::NotRsa(label) => format!("is a {label}, not an RSA key; GitHub App keys are RSA: generate one in the App's settings"),
            PemError::Corrupt => "is not a valid RSA private key (damaged base64 or DER); store the .pem file again, unmodified".to_string(),
            PemError::TooSmall(bits) => format!("is a {bits}-bit RSA key, too short to sign with (at least 1024 bits); GitHub App keys are 2048-bit: generate one in the App's settings"),
        };
        write!(f, "PRIVATE_KEY_PEM {what}")
    }
}

/// The key's encoding, from its PEM label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Pkcs1,
    Pkcs8,
}

/// Parses the App private key from the text stored in the vault.
pub fn parse_private_key(text: &str) -> Result<PrivateKey, PemError> {
    let unescaped = zeroize::Zeroizing::new(unescape(text));
    let text = unescaped.trim().trim_matches(|c| c == '"' || c == '\'').trim();
    if text.is_empty() {
        return Err(PemError::Empty);
    }
    let (label, body) = armored_body(text)?;
    let encoding = match label.as_str() {
        "RSA PRIVATE KEY" => Encoding::Pkcs1,
        "PRIVATE KEY" => Encoding::Pkcs8,
        "ENCRYPTED PRIVATE KEY" => return Err(PemError::Encrypted),
        "CERTIFICATE" | "TRUSTED CERTIFICATE" | "X509 CERTIFICATE" => return Err(PemError::Certificate),
        "PUBLIC KEY" | "RSA PUBLIC KEY" => return Err(PemError::PublicKey),
        "OPENSSH PRIVATE KEY" => return Err(PemError::OpenSsh),
        "EC PRIVATE KEY" => return Err(PemError::NotRsa("EC key".into())),
        "DSA PRIVATE KEY" => return Err(PemError::NotRsa("DSA key".into())),
        _ => return Err(PemError::NotRsa(format!("'{}' block", sanitize_label(&label)))),
    };
    if body.contains("Proc-Type:") || body.contains("DEK-Info:") {
        return Err(PemError::Encrypted);
    }
    let b64 = zeroize::Zeroizing::new(body.chars().filter(|c| !c.is_whitespace()).collect::<String>());
    let der = zeroize::Zeroizing::new(base64::engine::general_purpose::STANDARD.decode(b64.as_bytes()).map_err(|_| PemError::Corrupt)?);
    let pkcs1 = match encoding {
        Encoding::Pkcs1 => &der[..],
        Encoding::Pkcs8 => pkcs8_private_key(&der)?,
    };
    PrivateKey::from_pkcs1_der(pkcs1).map_err(|e| match e {
        KeyError::Invalid => PemError::Corrupt,
        KeyError::TooSmall(bits) => PemError::TooSmall(bits),
    })
}

/// The PKCS#1 key inside PKCS#8's PrivateKeyInfo, which also names the
/// algorithm: say which one when it is not RSA.
fn pkcs8_private_key(der: &[u8]) -> Result<&[u8], PemError> {
    let info = rsa::pkcs8::PrivateKeyInfo::try_from(der).map_err(|_| PemError::Corrupt)?;
    if info.algorithm.oid != rsa::pkcs1::ALGORITHM_OID {
        return Err(PemError::NotRsa("PKCS#8 key of another algorithm (EC or Ed25519?)".into()));
    }
    Ok(info.private_key)
}

/// Turns the escapes a one-line paste leaves behind into real newlines. The
/// intermediate copies of the key are wiped as they are replaced.
fn unescape(text: &str) -> String {
    let mut out = text.to_string();
    for (from, to) in [("\\r\\n", "\n"), ("\\n", "\n"), ("\\r", "\n"), ("\r\n", "\n"), ("\r", "\n")] {
        if out.contains(from) {
            let next = out.replace(from, to);
            out.zeroize();
            out = next;
        }
    }
    out
}

/// Finds `-----BEGIN X-----` … `-----END X-----` and returns X and the text between.
fn armored_body(text: &str) -> Result<(String, &str), PemError> {
    const BEGIN: &str = "-----BEGIN ";
    const DASHES: &str = "-----";
    let start = text.find(BEGIN).ok_or(PemError::NotPem)?;
    let after_begin = &text[start + BEGIN.len()..];
    let label_end = after_begin.find(DASHES).ok_or(PemError::NotPem)?;
    let label = after_begin[..label_end].trim().to_string();
    let rest = &after_begin[label_end + DASHES.len()..];
    let end_marker = format!("-----END {label}-----");
    let end = rest.find(&end_marker).ok_or(PemError::Truncated)?;
    Ok((label, &rest[..end]))
}

/// A label is not secret, but keep it short and printable.
fn sanitize_label(label: &str) -> String {
    label.chars().filter(|c| c.is_ascii_alphanumeric() || *c == ' ').take(40).collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPrivateKey};
    use rsa::pkcs8::EncodePrivateKey;
    use rsa::RsaPrivateKey;
    use std::sync::OnceLock;

    /// A small fixed key for unit tests (generated once per test run).
    pub(crate) fn test_key() -> &'static RsaPrivateKey {
        static KEY: OnceLock<RsaPrivateKey> = OnceLock::new();
        KEY.get_or_init(|| {
            // Deterministic: rsa's keygen over a seeded ChaCha would need rand; build from a
            // PKCS#1 DER fixture instead (1024-bit is enough to exercise parsing).
            let der = base64::engine::general_purpose::STANDARD.decode(TEST_KEY_PKCS1_B64).unwrap();
            RsaPrivateKey::from_pkcs1_der(&der).unwrap()
        })
    }

    fn pkcs1_pem() -> String {
        test_key().to_pkcs1_pem(rsa::pkcs1::LineEnding::LF).unwrap().to_string()
    }

    fn pkcs8_pem() -> String {
        test_key().to_pkcs8_pem(rsa::pkcs8::LineEnding::LF).unwrap().to_string()
    }

    /// The same public half, and the same signature as the `rsa` crate's.
    fn is_test_key(key: PrivateKey) -> bool {
        use rsa::signature::{SignatureEncoding, Signer};
        let theirs = rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(test_key().clone()).sign(b"x").to_vec();
        key.public_key() == test_key().to_public_key() && crate::signature::sign_rs256(&key, b"x") == theirs
    }

    #[test]
    fn accepts_pkcs1_and_pkcs8() {
        assert!(is_test_key(parse_private_key(&pkcs1_pem()).unwrap()));
        assert!(is_test_key(parse_private_key(&pkcs8_pem()).unwrap()));
    }

    #[test]
    fn names_a_pkcs8_key_of_another_algorithm() {
        // PKCS#8 Ed25519 (RFC 8410 §10.3), a zero seed.
        let pem = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n-----END PRIVATE KEY-----\n";
        assert!(matches!(parse_private_key(pem), Err(PemError::NotRsa(what)) if what.contains("another algorithm")));
    }

    #[test]
    fn accepts_crlf_literal_escapes_spaces_and_quotes() {
        let pem = pkcs1_pem();
        for variant in [
            pem.replace('\n', "\r\n"),
            pem.replace('\n', "\\n"),
            pem.trim_end().replace('\n', " "),
            format!("\"{}\"", pem.replace('\n', "\\n")),
            format!("  \n{pem}\n\n"),
        ] {
            assert!(is_test_key(parse_private_key(&variant).unwrap()), "variant {variant:.40}");
        }
    }

    #[test]
    fn names_each_format_problem() {
        let pem = pkcs1_pem();
        let truncated = &pem[..pem.len() / 2];
        assert_eq!(parse_private_key(truncated).unwrap_err(), PemError::Truncated);
        assert_eq!(parse_private_key("").unwrap_err(), PemError::Empty);
        assert_eq!(parse_private_key("hello").unwrap_err(), PemError::NotPem);
        let cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
        assert_eq!(parse_private_key(cert).unwrap_err(), PemError::Certificate);
        let ssh = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn\n-----END OPENSSH PRIVATE KEY-----\n";
        assert_eq!(parse_private_key(ssh).unwrap_err(), PemError::OpenSsh);
        let ec = "-----BEGIN EC PRIVATE KEY-----\nMHcC\n-----END EC PRIVATE KEY-----\n";
        assert!(matches!(parse_private_key(ec), Err(PemError::NotRsa(_))));
        let enc = "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIF\n-----END ENCRYPTED PRIVATE KEY-----\n";
        assert_eq!(parse_private_key(enc).unwrap_err(), PemError::Encrypted);
        let legacy_enc = pem.replace("-----\n", "-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\n");
        assert_eq!(parse_private_key(&legacy_enc).unwrap_err(), PemError::Encrypted);
        let damaged = pem.replacen("MII", "MI!", 1);
        assert_eq!(parse_private_key(&damaged).unwrap_err(), PemError::Corrupt);
    }

    #[test]
    fn messages_never_echo_key_material() {
        let pem = pkcs1_pem();
        let body_line = pem.lines().nth(1).unwrap();
        for bad in [&pem[..pem.len() / 2], &pem.replacen("MII", "MI!", 1)] {
            let msg = parse_private_key(bad).unwrap_err().to_string();
            assert!(!msg.contains(&body_line[..16]), "{msg}");
            assert!(msg.starts_with("PRIVATE_KEY_PEM "));
        }
    }

    /// 1024-bit RSA test key (PKCS#1 DER, base64). Not used anywhere but unit tests.
    const TEST_KEY_PKCS1_B64: &str = include_str!("../testdata/test_key_pkcs1.b64");
}
