//! Known answers from OpenSSL (`testdata/kat/generate`): keys of each size, in
//! PKCS#1 and PKCS#8, and their RS256 signatures of one JWT signing input.

/// The message every vector signs (a JWT signing input).
pub(crate) const MESSAGE: &str = include_str!("../testdata/kat/message.txt");

pub(crate) struct Vector {
    pub bits: usize,
    /// `-----BEGIN RSA PRIVATE KEY-----`, as GitHub's download.
    pub pkcs1: &'static str,
    /// `-----BEGIN PRIVATE KEY-----`, the same key.
    pub pkcs8: &'static str,
    /// OpenSSL's RS256 signature of `MESSAGE`, base64.
    pub signature: &'static str,
}

macro_rules! vector {
    ($bits:literal) => {
        Vector {
            bits: $bits,
            pkcs1: include_str!(concat!("../testdata/kat/rsa", $bits, ".pem")),
            pkcs8: include_str!(concat!("../testdata/kat/rsa", $bits, ".p8.pem")),
            signature: include_str!(concat!("../testdata/kat/rsa", $bits, ".sig.b64")),
        }
    };
}

/// Keys the minter must sign with.
pub(crate) const SIGNING: [Vector; 3] = [vector!(2048), vector!(3072), vector!(4096)];

/// Valid keys too small to use (below GitHub's 2048 bits).
pub(crate) const TOO_SMALL: [Vector; 2] = [vector!(768), vector!(1024)];

/// A valid key too large to use (above 8192 bits: seconds per signature).
pub(crate) const TOO_LARGE: Vector = vector!(8320);

/// The 2048-bit vector (GitHub's App key size), for tests that need one key.
pub(crate) fn app_key() -> &'static Vector {
    &SIGNING[0]
}

impl Vector {
    /// OpenSSL's signature bytes.
    pub fn signature_bytes(&self) -> Vec<u8> {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD
            .decode(self.signature.trim())
            .expect("a committed base64 signature")
    }
}
