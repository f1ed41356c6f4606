//! Freshly generated GitHub App keys, in every form a vault may hold them, and
//! the RS256 check GitHub makes with the public half (the `rsa` crate's verifier).

use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::pkcs8::EncodePrivateKey;
use rsa::signature::Verifier;
use rsa::{PrivateKey, PublicKey};

/// An App's RSA key pair. The private half only ever goes into the fake vault.
#[derive(Clone)]
pub struct AppKey {
    private: PrivateKey,
}

impl AppKey {
    /// A new 2048-bit key, as GitHub generates for Apps.
    pub fn generate() -> AppKey {
        AppKey::generate_bits(2048)
    }

    /// A key of another size (the minter uses 2048 to 8192 bits; keys outside that: `components/minter/testdata/kat`).
    pub fn generate_bits(bits: usize) -> AppKey {
        let private = PrivateKey::new(&mut rand::rng(), bits).expect("RSA key generation");
        AppKey { private }
    }

    /// A key from a PKCS#1 PEM (`-----BEGIN RSA PRIVATE KEY-----`), e.g. the
    /// OpenSSL-made known-answer keys of `components/minter/testdata/kat/`.
    pub fn from_pkcs1_pem(pem: &str) -> AppKey {
        use rsa::pkcs1::DecodeRsaPrivateKey;
        AppKey {
            private: PrivateKey::from_pkcs1_pem(pem).expect("a PKCS#1 RSA key"),
        }
    }

    pub fn public(&self) -> PublicKey {
        self.private.to_public_key()
    }

    /// The RS256 (RSASSA-PKCS1-v1_5, SHA-256) signature of `message` (a fake
    /// JWT issuer's, `jwt.rs`).
    pub fn sign_rs256(&self, message: &[u8]) -> Vec<u8> {
        use rsa::signature::{SignatureEncoding, Signer};
        rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(self.private.clone())
            .sign(message)
            .to_vec()
    }

    /// `-----BEGIN RSA PRIVATE KEY-----` with LF newlines (what GitHub's download holds).
    pub fn pkcs1_pem(&self) -> String {
        self.private
            .to_pkcs1_pem(rsa::pkcs1::LineEnding::LF)
            .expect("PKCS#1 encoding")
            .to_string()
    }

    /// `-----BEGIN PRIVATE KEY-----`.
    pub fn pkcs8_pem(&self) -> String {
        self.private
            .to_pkcs8_pem(rsa::pkcs8::LineEnding::LF)
            .expect("PKCS#8 encoding")
            .to_string()
    }
}

/// Whether `signature` is `key`'s RS256 (RSASSA-PKCS1-v1_5, SHA-256) signature of `message`.
pub fn verify_rs256(key: &PublicKey, message: &[u8], signature: &[u8]) -> bool {
    let verifier = VerifyingKey::<sha2::Sha256>::new(key.clone());
    Signature::try_from(signature).is_ok_and(|s| verifier.verify(message, &s).is_ok())
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
    pub const ALL: [PemVariant; 4] = [
        PemVariant::Pkcs1,
        PemVariant::Pkcs8,
        PemVariant::Crlf,
        PemVariant::EscapedNewlines,
    ];

    pub fn render(self, key: &AppKey) -> String {
        match self {
            PemVariant::Pkcs1 => key.pkcs1_pem(),
            PemVariant::Pkcs8 => key.pkcs8_pem(),
            PemVariant::Crlf => key.pkcs1_pem().replace('\n', "\r\n"),
            PemVariant::EscapedNewlines => key.pkcs1_pem().replace('\n', "\\n"),
        }
    }
}
