//! The App's RSA private key, as the signer uses it.
//!
//! A two-prime key (what GitHub generates) keeps the integers its PKCS#1 DER
//! holds, CRT values included, after checking that they fit together: n = p·q,
//! e·dp ≡ 1 (mod p−1), e·dq ≡ 1 (mod q−1), q·qinv ≡ 1 (mod p). The `rsa`
//! crate's constructor validates d instead and recomputes the CRT values the
//! file already holds: 0.25 ms in wasm, nearly all of reading the key. Other
//! keys (multi-prime, or primes too long for `montgomery`) go through that
//! constructor and its signer.

use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::traits::PublicKeyParts;
use rsa::{BigUint, RsaPrivateKey};
use zeroize::Zeroize;

/// Largest modulus accepted, as the `rsa` crate's (`RsaPublicKey::MAX_SIZE`).
const MAX_MODULUS_BITS: usize = 4096;
/// Largest public exponent accepted, as the `rsa` crate's.
const MAX_EXPONENT_BITS: usize = 33;
/// Smallest modulus accepted. GitHub generates 2048-bit App keys; below 1024
/// bits RSA is broken, and below 496 RS256's encoding does not fit at all.
pub const MIN_MODULUS_BITS: usize = 1024;

/// Why DER is not a usable key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyError {
    /// Not an RSAPrivateKey, or its integers do not form a key.
    Invalid,
    /// A valid key of this many bits, below `MIN_MODULUS_BITS`.
    TooSmall(usize),
}

/// An RSA private key ready to sign with.
pub struct PrivateKey {
    inner: Inner,
}

enum Inner {
    TwoPrime(TwoPrime),
    Other(RsaPrivateKey),
}

/// How the signer sees a key.
pub(crate) enum Form<'k> {
    TwoPrime(&'k TwoPrime),
    Other(&'k RsaPrivateKey),
}

/// The integers of a two-prime key (RFC 8017 §A.1.2) that the CRT signer uses,
/// checked to fit together. The private ones are wiped on drop; d is not kept.
pub(crate) struct TwoPrime {
    pub n: BigUint,
    pub e: BigUint,
    pub p: BigUint,
    pub q: BigUint,
    pub dp: BigUint,
    pub dq: BigUint,
    pub qinv: BigUint,
}

impl Drop for TwoPrime {
    fn drop(&mut self) {
        for secret in [&mut self.p, &mut self.q, &mut self.dp, &mut self.dq, &mut self.qinv] {
            secret.zeroize();
        }
    }
}

impl TwoPrime {
    /// `None` unless the integers form a key.
    fn checked(t: TwoPrime) -> Option<TwoPrime> {
        let one = BigUint::from(1u8);
        let (n_bits, e_bits) = (t.n.bits(), t.e.bits());
        let odd = |x: &BigUint| x.bits() > 0 && (x % 2u8) == one;
        let shape = n_bits <= MAX_MODULUS_BITS && odd(&t.n) && (2..=MAX_EXPONENT_BITS).contains(&e_bits) && odd(&t.e);
        let below = t.p > one && t.q > one && t.dp < t.p && t.dq < t.q && t.qinv < t.p;
        if !shape || !below || &t.p * &t.q != t.n {
            return None;
        }
        let (p1, q1) = (&t.p - 1u8, &t.q - 1u8);
        let fits = (&t.e * &t.dp) % &p1 == one && (&t.e * &t.dq) % &q1 == one && (&t.q * &t.qinv) % &t.p == one;
        fits.then_some(t)
    }
}

impl PrivateKey {
    /// From PKCS#1 DER (`RSAPrivateKey`).
    pub fn from_pkcs1_der(der: &[u8]) -> Result<PrivateKey, KeyError> {
        let key = PrivateKey::read_pkcs1_der(der).ok_or(KeyError::Invalid)?;
        match key.public_key().n().bits() {
            bits if bits < MIN_MODULUS_BITS => Err(KeyError::TooSmall(bits)),
            _ => Ok(key),
        }
    }

    fn read_pkcs1_der(der: &[u8]) -> Option<PrivateKey> {
        let other = |der: &[u8]| RsaPrivateKey::from_pkcs1_der(der).ok().map(|k| PrivateKey { inner: Inner::Other(k) });
        let key = rsa::pkcs1::RsaPrivateKey::try_from(der).ok()?;
        if key.other_prime_infos.is_some() {
            return other(der);
        }
        let int = |u: rsa::pkcs1::UintRef<'_>| BigUint::from_bytes_be(u.as_bytes());
        let parts = TwoPrime {
            n: int(key.modulus),
            e: int(key.public_exponent),
            p: int(key.prime1),
            q: int(key.prime2),
            dp: int(key.exponent1),
            dq: int(key.exponent2),
            qinv: int(key.coefficient),
        };
        let parts = TwoPrime::checked(parts)?;
        if parts.p.bits().max(parts.q.bits()) > crate::montgomery::MAX_BITS {
            return other(der);
        }
        Some(PrivateKey { inner: Inner::TwoPrime(parts) })
    }

    /// The modulus's length in bytes (the signature's length).
    pub fn size(&self) -> usize {
        match &self.inner {
            Inner::TwoPrime(t) => t.n.bits().div_ceil(8),
            Inner::Other(k) => k.size(),
        }
    }

    /// The public half (n, e).
    pub fn public_key(&self) -> rsa::RsaPublicKey {
        match &self.inner {
            Inner::TwoPrime(t) => rsa::RsaPublicKey::new_unchecked(t.n.clone(), t.e.clone()),
            Inner::Other(k) => k.to_public_key(),
        }
    }

    pub(crate) fn form(&self) -> Form<'_> {
        match &self.inner {
            Inner::TwoPrime(t) => Form::TwoPrime(t),
            Inner::Other(k) => Form::Other(k),
        }
    }
}

/// A key the `rsa` crate made (tests): two-prime keys keep its CRT values.
#[cfg(test)]
impl From<RsaPrivateKey> for PrivateKey {
    fn from(key: RsaPrivateKey) -> PrivateKey {
        use rsa::traits::PrivateKeyParts;
        let two_prime = match (key.primes(), key.dp(), key.dq(), key.qinv().and_then(|c| c.to_biguint())) {
            ([p, q], Some(dp), Some(dq), Some(qinv)) if p.bits().max(q.bits()) <= crate::montgomery::MAX_BITS => Some(TwoPrime {
                n: key.n().clone(),
                e: key.e().clone(),
                p: p.clone(),
                q: q.clone(),
                dp: dp.clone(),
                dq: dq.clone(),
                qinv,
            }),
            _ => None,
        };
        let inner = match two_prime {
            Some(t) => Inner::TwoPrime(t),
            None => Inner::Other(key),
        };
        PrivateKey { inner }
    }
}

/// Never shows key material.
impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PrivateKey({} bits)", self.public_key().n().bits())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rsa::pkcs1::EncodeRsaPrivateKey;
    use rsa::traits::PrivateKeyParts;

    /// The fixture key's integers.
    fn parts() -> TwoPrime {
        let Inner::TwoPrime(t) = PrivateKey::from(crate::pem::tests::test_key().clone()).inner else { panic!("two-prime") };
        TwoPrime { n: t.n.clone(), e: t.e.clone(), p: t.p.clone(), q: t.q.clone(), dp: t.dp.clone(), dq: t.dq.clone(), qinv: t.qinv.clone() }
    }

    /// PKCS#1 DER of these integers.
    fn der(t: &TwoPrime) -> Vec<u8> {
        let d = crate::pem::tests::test_key().d();
        let bytes = [&t.n, &t.e, d, &t.p, &t.q, &t.dp, &t.dq, &t.qinv].map(|x| x.to_bytes_be());
        let uint = |i: usize| rsa::pkcs1::UintRef::new(&bytes[i]).unwrap();
        let doc = rsa::pkcs1::RsaPrivateKey {
            modulus: uint(0),
            public_exponent: uint(1),
            private_exponent: uint(2),
            prime1: uint(3),
            prime2: uint(4),
            exponent1: uint(5),
            exponent2: uint(6),
            coefficient: uint(7),
            other_prime_infos: None,
        };
        rsa::pkcs1::der::Encode::to_der(&doc).unwrap()
    }

    #[test]
    fn reads_the_integers_of_a_two_prime_key() {
        let key = crate::pem::tests::test_key();
        let ours = PrivateKey::from_pkcs1_der(key.to_pkcs1_der().unwrap().as_bytes()).unwrap();
        let Form::TwoPrime(t) = ours.form() else { panic!("two-prime") };
        assert_eq!((&t.n, &t.e, &t.p, &t.q), (key.n(), key.e(), &key.primes()[0], &key.primes()[1]));
        assert_eq!((&t.dp, &t.dq, Some(t.qinv.clone())), (key.dp().unwrap(), key.dq().unwrap(), key.qinv().unwrap().to_biguint()));
        assert_eq!(ours.size(), key.size());
        assert_eq!(ours.public_key(), key.to_public_key());
        assert_eq!(format!("{ours:?}"), "PrivateKey(1024 bits)");
    }

    #[test]
    fn refuses_integers_that_do_not_fit_together() {
        assert!(PrivateKey::from_pkcs1_der(&der(&parts())).is_ok());
        let edits: [(&str, fn(&mut TwoPrime)); 9] = [
            ("n ≠ p·q", |t| t.n = &t.n + 2u32),
            ("e·dp ≢ 1", |t| t.dp = &t.dp + 2u32),
            ("e·dq ≢ 1", |t| t.dq = &t.dq - 2u32),
            ("q·qinv ≢ 1", |t| t.qinv = &t.qinv + 1u32),
            ("another e", |t| t.e = BigUint::from(3u32)),
            ("even e", |t| t.e = BigUint::from(65536u32)),
            ("e too large", |t| t.e = (BigUint::from(1u32) << 40) + 1u32),
            ("dp ≥ p", |t| t.dp = &t.dp + &t.p - 1u32),
            ("p = 1", |t| (t.p, t.q) = (BigUint::from(1u32), t.n.clone())),
        ];
        for (what, edit) in edits {
            let mut t = parts();
            edit(&mut t);
            assert_eq!(PrivateKey::from_pkcs1_der(&der(&t)).unwrap_err(), KeyError::Invalid, "{what}");
        }
        assert_eq!(PrivateKey::from_pkcs1_der(&[0x30, 0x03, 0x02, 0x01, 0x00]).unwrap_err(), KeyError::Invalid, "not an RSAPrivateKey");
    }

    #[test]
    fn refuses_keys_below_1024_bits() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let small = RsaPrivateKey::new(&mut rng, 768).unwrap();
        assert_eq!(PrivateKey::from_pkcs1_der(small.to_pkcs1_der().unwrap().as_bytes()).unwrap_err(), KeyError::TooSmall(768));
    }
}
