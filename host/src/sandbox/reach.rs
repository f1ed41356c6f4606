//! The component's network reach, as the egress hook applies it. The
//! judgement is the host core's (`crates/core/src/reach`: the origin of a
//! configured base URL, the method and path against `wit/reach.json` for the
//! call under way, a token exchange's body against the resolution's scope),
//! which the Node host runs too. What is left here is the reading of a
//! request's body as it streams in.
//!
//! Refusals name the method, the origin and the path, never the query string
//! or a header (the vault's folder is in the query; tokens are in headers).

use crate::sandbox::bindings::exports::raxx::identity::types::Resolution;

pub use raxx_core::reach::{Allowlist, Call, Denied, Scope, MAX_BODY_BYTES};

/// How long a token exchange's body may take to arrive whole.
const BODY_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// The scope of a resolution.
pub fn scope_of(resolution: &Resolution) -> Scope {
    Scope::new(
        resolution
            .permissions
            .iter()
            .map(|p| (p.name.as_str(), crate::sandbox::wit_text::level(p.level))),
        &resolution.repositories,
    )
}

/// Judges a request by its method and URI (never a header the guest
/// controls; guests cannot set `Host`).
pub fn admit<B>(allowlist: &Allowlist, request: &http::Request<B>) -> Result<Admitted, Denied> {
    allowlist
        .admit(request.method().as_str(), request.uri())
        .map(Admitted)
}

/// A request whose origin, method and path passed.
pub struct Admitted(pub raxx_core::reach::Admitted);

impl Admitted {
    /// Where to connect.
    pub fn origin(&self) -> &raxx_url::Origin {
        &self.0.origin
    }

    /// The request as it may leave. A token exchange's body is read whole
    /// first (at most 256 KiB, within 10 s), judged, and replaced by what was
    /// judged; nothing of it is sent before.
    pub async fn request(
        self,
        request: http::Request<wasmtime_wasi_http::WasiBody>,
    ) -> Result<http::Request<wasmtime_wasi_http::WasiBody>, Denied> {
        use http_body_util::BodyExt;
        let Some(scope) = self.0.check else {
            return Ok(request);
        };
        let label = self.0.label;
        let deny = |why: String| Denied(format!("{label}: {why}"));
        let (mut parts, body) = request.into_parts();
        let read = tokio::time::timeout(
            BODY_WAIT,
            http_body_util::Limited::new(body, MAX_BODY_BYTES).collect(),
        )
        .await;
        let body = match read {
            Ok(Ok(collected)) => collected.to_bytes(),
            Ok(Err(_)) => {
                return Err(deny(format!(
                    "its body did not arrive whole (or is over {} KiB)",
                    MAX_BODY_BYTES >> 10
                )))
            }
            Err(_) => {
                return Err(deny(format!(
                    "its body did not arrive within {} s",
                    BODY_WAIT.as_secs()
                )))
            }
        };
        let checked = scope.check(&body).map_err(deny)?;
        parts.headers.remove(http::header::TRANSFER_ENCODING);
        parts
            .headers
            .insert(http::header::CONTENT_LENGTH, checked.len().into());
        let body = http_body_util::Full::new(bytes::Bytes::from(checked))
            .map_err(|never| match never {})
            .boxed_unsync();
        Ok(http::Request::from_parts(parts, body))
    }
}
