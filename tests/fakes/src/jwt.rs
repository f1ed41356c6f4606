//! JWTs for the fakes: a fake issuer that signs RS256 tokens (an OIDC
//! provider, a Kubernetes API server, any JWT issuer a machine identity
//! trusts), a Kubernetes service-account token written where a pod has it, and
//! the decoding and RS256 check the fake services make of a JWT they receive.
//! Hand-written over the `rsa` crate the fakes already sign and verify
//! GitHub's App JWTs with: a JWT is three base64url parts, and a JWT crate
//! would bring a second RSA stack for these few lines.

use crate::keys::AppKey;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rsa::PublicKey;
use std::path::{Path, PathBuf};

/// A JWT taken apart: its header and claims, and what its signature covers.
pub struct Decoded {
    pub header: serde_json::Value,
    pub claims: serde_json::Value,
    signed: String,
    /// `None` when the third part is not base64url.
    signature: Option<Vec<u8>>,
}

/// Takes a compact JWT apart; `None` when it is not three parts whose first
/// two are base64url JSON.
pub fn decode(jwt: &str) -> Option<Decoded> {
    let parts: Vec<&str> = jwt.split('.').collect();
    let [header, claims, signature] = parts.as_slice() else {
        return None;
    };
    let json = |p: &str| {
        URL_SAFE_NO_PAD
            .decode(p)
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
    };
    Some(Decoded {
        header: json(header)?,
        claims: json(claims)?,
        signed: format!("{header}.{claims}"),
        signature: URL_SAFE_NO_PAD.decode(signature).ok(),
    })
}

impl Decoded {
    /// Whether it is RS256 and `key` signed it.
    pub fn signed_by(&self, key: &PublicKey) -> bool {
        self.header["alg"] == "RS256"
            && self
                .signature
                .as_ref()
                .is_some_and(|s| crate::keys::verify_rs256(key, self.signed.as_bytes(), s))
    }

    /// Whether its `aud` (a string or a list) holds `audience`.
    pub fn has_audience(&self, audience: &str) -> bool {
        match &self.claims["aud"] {
            serde_json::Value::String(aud) => aud == audience,
            serde_json::Value::Array(list) => list.iter().any(|a| a == audience),
            _ => false,
        }
    }
}

/// A JWT issuer with an RSA key of its own: what an identity's OIDC, JWT or
/// Kubernetes Auth is configured to trust.
pub struct FakeIssuer {
    /// The `iss` claim of its tokens.
    pub issuer: String,
    key: AppKey,
}

impl FakeIssuer {
    /// A new issuer named `issuer` (its `iss`), with a fresh 2048-bit key.
    pub fn new(issuer: &str) -> FakeIssuer {
        FakeIssuer {
            issuer: issuer.to_string(),
            key: AppKey::generate(),
        }
    }

    /// The public half, to register with the fake Infisical.
    pub fn public(&self) -> PublicKey {
        self.key.public()
    }

    /// A token for `aud` and `sub` that lives `ttl` seconds from now (a
    /// negative `ttl`: one that expired that long ago).
    pub fn issue(&self, aud: &str, sub: &str, ttl: i64) -> String {
        let now = crate::time::now() as i64;
        self.sign(&serde_json::json!({
            "iss": self.issuer, "sub": sub, "aud": aud,
            "iat": now, "nbf": now, "exp": now + ttl,
        }))
    }

    /// `claims` signed RS256 with this issuer's key.
    pub fn sign(&self, claims: &serde_json::Value) -> String {
        let part = |v: &serde_json::Value| URL_SAFE_NO_PAD.encode(v.to_string());
        let signing_input = format!(
            "{}.{}",
            part(&serde_json::json!({"alg": "RS256", "typ": "JWT", "kid": "fake-1"})),
            part(claims)
        );
        let signature = self.key.sign_rs256(signing_input.as_bytes());
        format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }

    /// A Kubernetes service-account token as the kubelet projects it: `sub`
    /// `system:serviceaccount:NAMESPACE:NAME`, audience `aud`, written to
    /// `dir/token` (mode 0600); returns the file's path.
    pub fn service_account_token(
        &self,
        dir: &Path,
        aud: &str,
        namespace: &str,
        name: &str,
        ttl: i64,
    ) -> std::io::Result<PathBuf> {
        let token = self.issue(aud, &service_account_subject(namespace, name), ttl);
        let path = dir.join("token");
        std::fs::write(&path, token)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
        }
        Ok(path)
    }
}

/// The `sub` of a Kubernetes service account's token.
pub fn service_account_subject(namespace: &str, name: &str) -> String {
    format!("system:serviceaccount:{namespace}:{name}")
}
