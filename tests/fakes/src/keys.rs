//! Freshly generated GitHub App keys, in every form a vault may hold them.

use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::pkcs8::EncodePrivateKey;
use rsa::{RsaPrivateKey, RsaPublicKey};

/// An App's RSA key pair. The private half only ever goes into the fake vault.
#[derive(Clone)]
pub struct AppKey {
    private: RsaPrivateKey,
}

impl AppKey {
    /// A new 2048-bit key, as GitHub generates for Apps.
    pub fn generate() -> AppKey {
        AppKey::generate_bits(2048)
    }

    /// A key of another size (for the minter's refusals).
    pub fn generate_bits(bits: usize) -> AppKey {
        let private = RsaPrivateKey::new(&mut rand::rngs::OsRng, bits).expect("RSA key generation");
        AppKey { private }
    }

    pub fn public(&self) -> RsaPublicKey {
        self.private.to_public_key()
    }

    /// `-----BEGIN RSA PRIVATE KEY-----` with LF newlines (what GitHub's download holds).
    pub fn pkcs1_pem(&self) -> String {
        self.private.to_pkcs1_pem(rsa::pkcs1::LineEnding::LF).expect("PKCS#1 encoding").to_string()
    }

    /// `-----BEGIN PRIVATE KEY-----`.
    pub fn pkcs8_pem(&self) -> String {
        self.private.to_pkcs8_pem(rsa::pkcs8::LineEnding::LF).expect("PKCS#8 encoding").to_string()
    }
}

/// The ways a PEM arrives from a secrets manager.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PemVariant {
    Pkcs1,
    Pkcs8,
    /// PKCS#1 with CRLF line endings.
    Crlf,
    /// PKCS#1 on one line with literal `\n` escapes.
    EscapedNewlines,
}

impl PemVariant {
    pub const ALL: [PemVariant; 4] = [PemVariant::Pkcs1, PemVariant::Pkcs8, PemVariant::Crlf, PemVariant::EscapedNewlines];

    pub fn render(self, key: &AppKey) -> String {
        match self {
            PemVariant::Pkcs1 => key.pkcs1_pem(),
            PemVariant::Pkcs8 => key.pkcs8_pem(),
            PemVariant::Crlf => key.pkcs1_pem().replace('\n', "\r\n"),
            PemVariant::EscapedNewlines => key.pkcs1_pem().replace('\n', "\\n"),
        }
    }
}
