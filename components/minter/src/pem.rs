//! Reading the App's private key as it arrives from a secrets manager.
//!
//! Accepted: PKCS#1 (`RSA PRIVATE KEY`) or PKCS#8 (`PRIVATE KEY`), with real
//! newlines, CRLF, literal `\n` escapes, or whitespace-joined lines, optionally
//! wrapped in quotes. Everything else is refused with a message naming the
//! format problem. No message ever contains any part of the key.
//!
//! The DER and the key itself are the `rsa` crate's (its `pkcs1`/`pkcs8`
//! decoders check that the integers form a key); what is ours is how a pasted
//! key is normalised and what the errors say.

use crate::jwt::AppKey;
use base64::Engine as _;
use zeroize::Zeroize;

/// Smallest modulus accepted. GitHub generates 2048-bit App keys and offers
/// no way to upload another, so a shorter key is not an App key GitHub made;
/// and RSA below 2048 bits is disallowed for signatures (NIST SP 800-131A).
/// Refused, not warned about: the component has no channel for a warning
/// that the operator would see before the key is used.
pub const MIN_MODULUS_BITS: usize = 2048;

/// Largest modulus accepted: a 16384-bit key takes seconds per signature
/// (8.6 s measured), which every mint would pay.
pub const MAX_MODULUS_BITS: usize = 8192;

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
    /// An RSA key with more than two primes (the `rsa` crate reads two-prime keys only).
    MultiPrime,
    /// An RSA key of this many bits, too small to use.
    TooSmall(usize),
    /// An RSA key of this many bits, too large to sign with in reasonable time.
    TooLarge(usize),
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
            PemError::NotRsa(label) => format!("is {label}, not an RSA key; GitHub App keys are RSA: generate one in the App's settings"),
            PemError::Corrupt => "is not a valid RSA private key (damaged base64 or DER); store the .pem file again, unmodified".to_string(),
            PemError::MultiPrime => "is a multi-prime RSA key, which cannot sign here; GitHub App keys are two-prime: generate one in the App's settings".to_string(),
            PemError::TooSmall(bits) => format!("is an RSA key of {bits} bits, too short to use (at least {MIN_MODULUS_BITS} bits); GitHub App keys are 2048-bit: generate one in the App's settings"),
            PemError::TooLarge(bits) => format!("is an RSA key of {bits} bits, longer than the {MAX_MODULUS_BITS} bits allowed (each signature would take seconds); GitHub App keys are 2048-bit: generate one in the App's settings"),
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
pub fn parse_private_key(text: &str) -> Result<AppKey, PemError> {
    let unescaped = zeroize::Zeroizing::new(unescape(text));
    let text = unescaped
        .trim()
        .trim_matches(|c| c == '"' || c == '\'')
        .trim();
    if text.is_empty() {
        return Err(PemError::Empty);
    }
    let (label, body) = armored_body(text)?;
    let encoding = match label.as_str() {
        "RSA PRIVATE KEY" => Encoding::Pkcs1,
        "PRIVATE KEY" => Encoding::Pkcs8,
        "ENCRYPTED PRIVATE KEY" => return Err(PemError::Encrypted),
        "CERTIFICATE" | "TRUSTED CERTIFICATE" | "X509 CERTIFICATE" => {
            return Err(PemError::Certificate)
        }
        "PUBLIC KEY" | "RSA PUBLIC KEY" => return Err(PemError::PublicKey),
        "OPENSSH PRIVATE KEY" => return Err(PemError::OpenSsh),
        "EC PRIVATE KEY" => return Err(PemError::NotRsa("an EC key".into())),
        "DSA PRIVATE KEY" => return Err(PemError::NotRsa("a DSA key".into())),
        _ => {
            return Err(PemError::NotRsa(format!(
                "a '{}' block",
                sanitize_label(&label)
            )))
        }
    };
    if body.contains("Proc-Type:") || body.contains("DEK-Info:") {
        return Err(PemError::Encrypted);
    }
    let b64 = zeroize::Zeroizing::new(
        body.chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>(),
    );
    let der = zeroize::Zeroizing::new(
        base64::engine::general_purpose::STANDARD
            .decode(b64.as_bytes())
            .map_err(|_| PemError::Corrupt)?,
    );
    let pkcs1 = match encoding {
        Encoding::Pkcs1 => &der[..],
        Encoding::Pkcs8 => pkcs8_private_key(&der)?,
    };
    signing_key(pkcs1)
}

/// The key in PKCS#1 DER (`RSAPrivateKey`), `MIN_MODULUS_BITS` to `MAX_MODULUS_BITS` long,
/// judged by the modulus's length before any work on the key.
fn signing_key(der: &[u8]) -> Result<AppKey, PemError> {
    let parts = rsa::pkcs1::RsaPrivateKeyRef::try_from(der).map_err(|_| PemError::Corrupt)?;
    if parts.other_prime_infos.is_some() {
        return Err(PemError::MultiPrime);
    }
    let modulus = parts.modulus.as_bytes();
    let bits = (modulus.len() * 8)
        .saturating_sub(modulus.first().map_or(0, |b| b.leading_zeros() as usize));
    if bits < MIN_MODULUS_BITS {
        return Err(PemError::TooSmall(bits));
    }
    if bits > MAX_MODULUS_BITS {
        return Err(PemError::TooLarge(bits));
    }
    let key = rsa::PrivateKey::try_from(parts).map_err(|_| PemError::Corrupt)?;
    Ok(AppKey::new(key))
}

/// The PKCS#1 key inside PKCS#8's PrivateKeyInfo, which also names the
/// algorithm: say which one when it is not RSA.
fn pkcs8_private_key(der: &[u8]) -> Result<&[u8], PemError> {
    let info = rsa::pkcs8::PrivateKeyInfoRef::try_from(der).map_err(|_| PemError::Corrupt)?;
    if info.algorithm.oid != rsa::pkcs1::ALGORITHM_OID {
        return Err(PemError::NotRsa(
            "a PKCS#8 key of another algorithm (EC or Ed25519?)".into(),
        ));
    }
    Ok(info.private_key.as_bytes())
}

/// Turns the escapes a one-line paste leaves behind into real newlines. The
/// intermediate copies of the key are wiped as they are replaced.
fn unescape(text: &str) -> String {
    let mut out = text.to_string();
    for (from, to) in [
        ("\\r\\n", "\n"),
        ("\\n", "\n"),
        ("\\r", "\n"),
        ("\r\n", "\n"),
        ("\r", "\n"),
    ] {
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
    label
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == ' ')
        .take(40)
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::test_vectors::{app_key, MESSAGE, SIGNING, TOO_LARGE, TOO_SMALL};
    use rsa::pkcs1::der::Encode;

    /// A parsed key that is the vector's: it signs exactly OpenSSL's bytes.
    fn is_app_key(key: AppKey) -> bool {
        crate::jwt::rs256(&key, MESSAGE.as_bytes()) == app_key().signature_bytes()
    }

    #[test]
    fn accepts_pkcs1_and_pkcs8_of_every_size() {
        for v in &SIGNING {
            for pem in [v.pkcs1, v.pkcs8] {
                let key = parse_private_key(pem).unwrap_or_else(|e| panic!("{} bits: {e}", v.bits));
                assert_eq!(
                    crate::jwt::rs256(&key, MESSAGE.as_bytes()),
                    v.signature_bytes(),
                    "{} bits",
                    v.bits
                );
            }
        }
    }

    #[test]
    fn names_a_pkcs8_key_of_another_algorithm() {
        // PKCS#8 Ed25519 (RFC 8410 §10.3), a zero seed.
        let pem = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n-----END PRIVATE KEY-----\n";
        assert!(
            matches!(parse_private_key(pem), Err(PemError::NotRsa(what)) if what.contains("another algorithm"))
        );
    }

    #[test]
    fn accepts_crlf_literal_escapes_spaces_and_quotes() {
        let pem = app_key().pkcs1;
        for variant in [
            pem.replace('\n', "\r\n"),
            pem.replace('\n', "\\n"),
            pem.replace('\n', "\\r\\n"),
            pem.trim_end().replace('\n', " "),
            format!("\"{}\"", pem.replace('\n', "\\n")),
            format!("'{pem}'"),
            format!("  \n{pem}\n\n"),
        ] {
            assert!(
                is_app_key(parse_private_key(&variant).unwrap()),
                "variant {variant:.40}"
            );
        }
    }

    #[test]
    fn names_each_format_problem() {
        let pem = app_key().pkcs1;
        let truncated = &pem[..pem.len() / 2];
        assert_eq!(
            parse_private_key(truncated).unwrap_err(),
            PemError::Truncated
        );
        assert_eq!(parse_private_key("").unwrap_err(), PemError::Empty);
        assert_eq!(parse_private_key("hello").unwrap_err(), PemError::NotPem);
        let cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
        assert_eq!(parse_private_key(cert).unwrap_err(), PemError::Certificate);
        let public = "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n";
        assert_eq!(parse_private_key(public).unwrap_err(), PemError::PublicKey);
        let ssh =
            "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn\n-----END OPENSSH PRIVATE KEY-----\n";
        assert_eq!(parse_private_key(ssh).unwrap_err(), PemError::OpenSsh);
        let ec = "-----BEGIN EC PRIVATE KEY-----\nMHcC\n-----END EC PRIVATE KEY-----\n";
        assert_eq!(
            parse_private_key(ec).unwrap_err(),
            PemError::NotRsa("an EC key".into())
        );
        let dsa = "-----BEGIN DSA PRIVATE KEY-----\nMIIB\n-----END DSA PRIVATE KEY-----\n";
        assert_eq!(
            parse_private_key(dsa).unwrap_err(),
            PemError::NotRsa("a DSA key".into())
        );
        let enc =
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIF\n-----END ENCRYPTED PRIVATE KEY-----\n";
        assert_eq!(parse_private_key(enc).unwrap_err(), PemError::Encrypted);
        let legacy_enc = pem.replacen(
            "-----\n",
            "-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\n",
            1,
        );
        assert_eq!(
            parse_private_key(&legacy_enc).unwrap_err(),
            PemError::Encrypted
        );
        let damaged = pem.replacen("MII", "MI!", 1);
        assert_eq!(parse_private_key(&damaged).unwrap_err(), PemError::Corrupt);
    }

    #[test]
    fn refuses_keys_below_2048_bits() {
        for v in &TOO_SMALL {
            assert_eq!(
                parse_private_key(v.pkcs1).unwrap_err(),
                PemError::TooSmall(v.bits)
            );
            assert_eq!(
                parse_private_key(v.pkcs8).unwrap_err(),
                PemError::TooSmall(v.bits)
            );
        }
        assert!(PemError::TooSmall(1024)
            .to_string()
            .contains("an RSA key of 1024 bits, too short"));
    }

    #[test]
    fn refuses_keys_above_8192_bits_before_any_work_on_them() {
        assert_eq!(
            parse_private_key(TOO_LARGE.pkcs1).unwrap_err(),
            PemError::TooLarge(8320)
        );
        assert_eq!(
            parse_private_key(TOO_LARGE.pkcs8).unwrap_err(),
            PemError::TooLarge(8320)
        );
        assert!(PemError::TooLarge(8320)
            .to_string()
            .contains("an RSA key of 8320 bits, longer than"));
        // A 16384-bit modulus is refused by its length alone: the rest of the key is never checked.
        let mut huge = vec![0xff_u8; 16384 / 8];
        huge[16384 / 8 - 1] = 0xfd;
        let (_, edited) =
            edited_der(|k| k.modulus = rsa::pkcs1::der::asn1::Uint::new(&huge).unwrap());
        assert_eq!(
            parse_private_key(&pem_of(&edited)).unwrap_err(),
            PemError::TooLarge(16384)
        );
        // 8192 bits is the largest accepted: a modulus that long gets past the length check.
        let (_, edited) = edited_der(|k| {
            k.modulus = rsa::pkcs1::der::asn1::Uint::new(&huge[..8192 / 8]).unwrap()
        });
        assert_eq!(
            parse_private_key(&pem_of(&edited)).unwrap_err(),
            PemError::Corrupt,
            "not refused by its length"
        );
    }

    /// The vector's PKCS#1 DER, and the same with `edit` applied to its integers.
    fn edited_der(edit: impl FnOnce(&mut rsa::pkcs1::RsaPrivateKeyOwned)) -> (Vec<u8>, Vec<u8>) {
        use rsa::pkcs1::DecodeRsaPrivateKey;
        let body: String = app_key()
            .pkcs1
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect();
        let der = base64::engine::general_purpose::STANDARD
            .decode(body)
            .unwrap();
        let mut parts = rsa::pkcs1::RsaPrivateKeyOwned::from_pkcs1_der(&der).unwrap();
        edit(&mut parts);
        (der, parts.to_der().unwrap())
    }

    fn pem_of(der: &[u8]) -> String {
        format!(
            "-----BEGIN RSA PRIVATE KEY-----\n{}\n-----END RSA PRIVATE KEY-----\n",
            base64::engine::general_purpose::STANDARD.encode(der)
        )
    }

    /// A named edit of a parsed key, for the table of keys that must be refused.
    type KeyEdit<'a> = (
        &'a str,
        Box<dyn Fn(&mut rsa::pkcs1::RsaPrivateKeyOwned) + 'a>,
    );

    #[test]
    fn refuses_integers_that_do_not_fit_together() {
        let (der, same) = edited_der(|_| {});
        assert_eq!(der, same, "re-encoding alone changes nothing");
        assert!(is_app_key(parse_private_key(&pem_of(&der)).unwrap()));
        let other = rsa::pkcs1::RsaPrivateKeyOwned::try_from(
            base64::engine::general_purpose::STANDARD
                .decode(
                    SIGNING[1]
                        .pkcs1
                        .lines()
                        .filter(|l| !l.starts_with("-----"))
                        .collect::<String>(),
                )
                .unwrap()
                .as_slice(),
        )
        .unwrap();
        let edits: [KeyEdit; 4] = [
            ("n ≠ p·q", Box::new(|k| k.modulus = other.modulus.clone())),
            (
                "another d",
                Box::new(|k| k.private_exponent = other.private_exponent.clone()),
            ),
            (
                "p and q of another key",
                Box::new(|k| (k.prime1, k.prime2) = (other.prime1.clone(), other.prime2.clone())),
            ),
            (
                "e = 3",
                Box::new(|k| k.public_exponent = rsa::pkcs1::der::asn1::Uint::new(&[3]).unwrap()),
            ),
        ];
        for (what, edit) in edits {
            let (_, edited) = edited_der(edit);
            assert_eq!(
                parse_private_key(&pem_of(&edited)).unwrap_err(),
                PemError::Corrupt,
                "{what}"
            );
        }
        assert_eq!(
            parse_private_key(&pem_of(&[0x30, 0x03, 0x02, 0x01, 0x00])).unwrap_err(),
            PemError::Corrupt,
            "not an RSAPrivateKey"
        );
    }

    #[test]
    fn names_a_multi_prime_key() {
        let (_, multi) = edited_der(|k| {
            let prime = k.prime1.clone();
            let info = rsa::pkcs1::OtherPrimeInfo {
                prime: prime.clone(),
                exponent: prime.clone(),
                coefficient: prime,
            };
            k.other_prime_infos = Some(vec![info]);
        });
        assert_eq!(
            parse_private_key(&pem_of(&multi)).unwrap_err(),
            PemError::MultiPrime
        );
    }

    #[test]
    fn messages_never_echo_key_material() {
        let pem = app_key().pkcs1;
        let body_line = pem.lines().nth(1).unwrap();
        for bad in [
            &pem[..pem.len() / 2],
            &pem.replacen("MII", "MI!", 1),
            TOO_SMALL[1].pkcs1,
            TOO_LARGE.pkcs1,
        ] {
            let msg = parse_private_key(bad).unwrap_err().to_string();
            assert!(!msg.contains(&body_line[..16]), "{msg}");
            assert!(msg.starts_with("PRIVATE_KEY_PEM "));
        }
    }
}
