//! The GitHub App JWT: RS256, `iat` = now − 60 s, `exp` = now + 540 s.
//!
//! 60 s of back-dating absorbs clock drift; 540 s keeps `exp` safely inside
//! GitHub's 10-minute limit even with that drift.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rsa::signature::{SignatureEncoding, Signer};

/// The App's private key, ready to sign RS256 (RSASSA-PKCS1-v1_5 with SHA-256).
/// Its `Debug` shows the public half only; the key zeroizes itself on drop.
pub type AppKey = rsa::pkcs1v15::SigningKey<sha2::Sha256>;

pub const BACKDATE_SECS: u64 = 60;
pub const LIFETIME_SECS: u64 = 540;

/// Who the JWT says it is: a numeric App ID or a `Iv…` Client ID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Issuer {
    AppId(u64),
    ClientId(String),
}

impl Issuer {
    /// Reads APP_ID as stored in the vault. `None` when it is neither form.
    pub fn parse(app_id: &str) -> Option<Issuer> {
        let app_id = app_id.trim();
        if !app_id.is_empty() && app_id.bytes().all(|b| b.is_ascii_digit()) {
            return app_id.parse().ok().map(Issuer::AppId);
        }
        let client_id_chars = app_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.');
        if app_id.starts_with("Iv") && app_id.len() >= 10 && client_id_chars {
            return Some(Issuer::ClientId(app_id.to_string()));
        }
        None
    }

    fn to_json(&self) -> serde_json::Value {
        match self {
            Issuer::AppId(id) => serde_json::Value::from(*id),
            Issuer::ClientId(id) => serde_json::Value::from(id.as_str()),
        }
    }
}

/// The RS256 signature of `message`: as many bytes as the modulus. PKCS#1 v1.5
/// is deterministic, so no randomness is needed (and the component imports none).
pub fn rs256(key: &AppKey, message: &[u8]) -> Vec<u8> {
    // `sign` fails only when the padding does not fit (impossible at the
    // 2048 bits `pem` requires) or when the `rsa` crate's fault check (s^e ≡ m)
    // catches a miscomputed signature: then trap rather than publish it.
    key.sign(message).to_vec()
}

/// Signs the App JWT for `now` (seconds since the Unix epoch).
pub fn sign(key: &AppKey, issuer: &Issuer, now: u64) -> String {
    let header = serde_json::json!({ "alg": "RS256", "typ": "JWT" });
    let claims = serde_json::json!({
        "iat": now.saturating_sub(BACKDATE_SECS),
        "exp": now + LIFETIME_SECS,
        "iss": issuer.to_json(),
    });
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature = rs256(key, signing_input.as_bytes());
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_vectors::{app_key, MESSAGE, SIGNING};
    use rsa::pkcs1v15::{Signature, VerifyingKey};
    use rsa::signature::{Keypair, Verifier};

    fn decode_json(part: &str) -> serde_json::Value {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
    }

    fn key() -> AppKey {
        crate::pem::parse_private_key(app_key().pkcs1).unwrap()
    }

    #[test]
    fn signs_exactly_what_openssl_signs() {
        for v in &SIGNING {
            let key = crate::pem::parse_private_key(v.pkcs1).unwrap();
            let ours = rs256(&key, MESSAGE.as_bytes());
            assert_eq!(ours.len(), v.bits / 8);
            assert_eq!(ours, v.signature_bytes(), "{}-bit key", v.bits);
            let verifier: VerifyingKey<sha2::Sha256> = key.verifying_key();
            verifier
                .verify(
                    MESSAGE.as_bytes(),
                    &Signature::try_from(ours.as_slice()).unwrap(),
                )
                .unwrap();
            assert!(verifier
                .verify(
                    b"another message",
                    &Signature::try_from(ours.as_slice()).unwrap()
                )
                .is_err());
        }
    }

    #[test]
    fn signs_rs256_with_the_design_lifetime() {
        let key = key();
        let jwt = sign(&key, &Issuer::AppId(123456), 1_700_000_000);
        let parts: Vec<&str> = jwt.split('.').collect();
        assert_eq!(parts.len(), 3);
        assert_eq!(decode_json(parts[0])["alg"], "RS256");
        let claims = decode_json(parts[1]);
        assert_eq!(claims["iat"], 1_700_000_000u64 - 60);
        assert_eq!(claims["exp"], 1_700_000_000u64 + 540);
        assert_eq!(claims["iss"], 123456);
        let sig =
            Signature::try_from(URL_SAFE_NO_PAD.decode(parts[2]).unwrap().as_slice()).unwrap();
        key.verifying_key()
            .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &sig)
            .unwrap();
    }

    #[test]
    fn client_id_issuer_is_a_string() {
        let iss = Issuer::parse("Iv23liABCDEF1234").unwrap();
        let jwt = sign(&key(), &iss, 1_700_000_000);
        let claims = decode_json(jwt.split('.').nth(1).unwrap());
        assert_eq!(claims["iss"], "Iv23liABCDEF1234");
    }

    #[test]
    fn issuer_parsing() {
        assert_eq!(Issuer::parse(" 42 "), Some(Issuer::AppId(42)));
        assert_eq!(
            Issuer::parse("Iv1.0123456789abcdef"),
            Some(Issuer::ClientId("Iv1.0123456789abcdef".into()))
        );
        assert_eq!(Issuer::parse("abc"), None);
        assert_eq!(Issuer::parse(""), None);
        assert_eq!(Issuer::parse("-1"), None);
        assert_eq!(Issuer::parse("99999999999999999999999"), None);
    }

    #[test]
    fn debug_never_shows_the_private_key() {
        let shown = format!("{:?}", key());
        let body_line = app_key().pkcs1.lines().nth(1).unwrap();
        assert!(!shown.contains(&body_line[..16]), "{shown}");
    }
}
