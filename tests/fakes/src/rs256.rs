//! RS256 verification for the fake GitHub (RSASSA-PKCS1-v1_5 with SHA-256,
//! RFC 8017 §8.2.2), as GitHub does it server-side.
//!
//! Why not `rsa`'s verifier? It computes s^65537 with num-bigint-dig's
//! windowed Montgomery exponentiation over a whole 64-bit word of exponent:
//! ~0.35 ms per request, which the benchmark would count as the minter's own
//! overhead, while the real GitHub's verification is inside its round trip.
//! This is square-and-multiply over the exponent's bits with 64-bit-limb
//! Montgomery multiplication (CIOS): ~0.03 ms. The tests check it against
//! `rsa`'s verifier on valid, altered and foreign signatures.

use rsa::traits::PublicKeyParts;
use rsa::{BigUint, RsaPublicKey};
use sha2::{Digest, Sha256};

/// DER of DigestInfo { sha256, NULL } up to the 32-byte digest (RFC 8017 §9.2, note 1).
const SHA256_DIGEST_INFO: [u8; 19] = [0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20];

/// Whether `signature` is `key`'s RS256 signature of `message`.
pub fn verify(key: &RsaPublicKey, message: &[u8], signature: &[u8]) -> bool {
    let k = key.size();
    if signature.len() != k || k < SHA256_DIGEST_INFO.len() + 32 + 11 {
        return false;
    }
    let s = BigUint::from_bytes_be(signature);
    if &s >= key.n() {
        return false;
    }
    let em = Modulus::new(key.n()).pow(&s, key.e());
    em == encode(message, k)
}

/// EM = 0x00 ‖ 0x01 ‖ 0xff… ‖ 0x00 ‖ DigestInfo ‖ SHA-256(message), `k` bytes.
fn encode(message: &[u8], k: usize) -> Vec<u8> {
    let mut em = vec![0xff; k];
    em[0] = 0x00;
    em[1] = 0x01;
    let t = k - SHA256_DIGEST_INFO.len() - 32;
    em[t - 1] = 0x00;
    em[t..t + SHA256_DIGEST_INFO.len()].copy_from_slice(&SHA256_DIGEST_INFO);
    em[k - 32..].copy_from_slice(&Sha256::digest(message));
    em
}

/// An odd modulus in 64-bit little-endian limbs, R = 2^(64·len).
struct Modulus {
    n: Vec<u64>,
    /// −n⁻¹ mod 2^64.
    n0inv: u64,
    /// R² mod n.
    r2: Vec<u64>,
    bytes: usize,
}

fn limbs(x: &BigUint, len: usize) -> Vec<u64> {
    let mut out = vec![0u64; len];
    for (slot, chunk) in out.iter_mut().zip(x.to_bytes_le().chunks(8)) {
        let mut word = [0u8; 8];
        word[..chunk.len()].copy_from_slice(chunk);
        *slot = u64::from_le_bytes(word);
    }
    out
}

impl Modulus {
    fn new(n: &BigUint) -> Modulus {
        let len = n.bits().div_ceil(64);
        let limbs_n = limbs(n, len);
        let mut inv: u64 = 1;
        for _ in 0..6 {
            inv = inv.wrapping_mul(2u64.wrapping_sub(limbs_n[0].wrapping_mul(inv)));
        }
        let r2 = (BigUint::from(1u8) << (128 * len)) % n;
        Modulus { n: limbs_n, n0inv: inv.wrapping_neg(), r2: limbs(&r2, len), bytes: n.bits().div_ceil(8) }
    }

    /// a·b·R⁻¹ mod n for a, b < n (coarsely integrated operand scanning).
    fn mul(&self, a: &[u64], b: &[u64]) -> Vec<u64> {
        let len = self.n.len();
        let mut t = vec![0u64; len + 2];
        for &bi in b {
            let mut carry = 0u128;
            for (tj, &aj) in t.iter_mut().zip(a) {
                let sum = u128::from(*tj) + u128::from(aj) * u128::from(bi) + carry;
                *tj = sum as u64;
                carry = sum >> 64;
            }
            let sum = u128::from(t[len]) + carry;
            t[len] = sum as u64;
            t[len + 1] = (sum >> 64) as u64;
            let m = t[0].wrapping_mul(self.n0inv);
            let mut carry = (u128::from(t[0]) + u128::from(m) * u128::from(self.n[0])) >> 64;
            for j in 1..len {
                let sum = u128::from(t[j]) + u128::from(m) * u128::from(self.n[j]) + carry;
                t[j - 1] = sum as u64;
                carry = sum >> 64;
            }
            let sum = u128::from(t[len]) + carry;
            t[len - 1] = sum as u64;
            t[len] = t[len + 1] + (sum >> 64) as u64;
        }
        // t < 2n: subtract n once if t ≥ n (public values: branching is fine).
        let ge = t[len] != 0 || t[..len].iter().rev().cmp(self.n.iter().rev()) != std::cmp::Ordering::Less;
        if ge {
            let mut borrow = false;
            for (tj, &nj) in t.iter_mut().zip(&self.n) {
                let (d, b1) = tj.overflowing_sub(nj);
                let (d, b2) = d.overflowing_sub(u64::from(borrow));
                *tj = d;
                borrow = b1 || b2;
            }
        }
        t.truncate(len);
        t
    }

    /// base^e mod n, big-endian, `bytes` long (e is public).
    fn pow(&self, base: &BigUint, e: &BigUint) -> Vec<u8> {
        let len = self.n.len();
        let base_m = self.mul(&limbs(base, len), &self.r2);
        let mut x = base_m.clone();
        for bit in (0..e.bits().saturating_sub(1)).rev() {
            x = self.mul(&x, &x);
            if (e >> bit) & BigUint::from(1u8) == BigUint::from(1u8) {
                x = self.mul(&x, &base_m);
            }
        }
        let mut one = vec![0u64; len];
        one[0] = 1;
        let plain = self.mul(&x, &one);
        let mut be: Vec<u8> = plain.iter().rev().flat_map(|w| w.to_be_bytes()).collect();
        be.drain(..be.len() - self.bytes);
        be
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
    use rsa::signature::{SignatureEncoding, Signer, Verifier};

    fn rsa_verifies(key: &RsaPublicKey, message: &[u8], signature: &[u8]) -> bool {
        let verifier = VerifyingKey::<Sha256>::new(key.clone());
        Signature::try_from(signature).is_ok_and(|s| verifier.verify(message, &s).is_ok())
    }

    #[test]
    fn agrees_with_the_rsa_crate() {
        let keys = crate::world::shared_keys();
        for (i, key) in keys.iter().enumerate() {
            let private = rsa::pkcs1::DecodeRsaPrivateKey::from_pkcs1_pem(&key.pkcs1_pem()).unwrap();
            let signer = SigningKey::<Sha256>::new(private);
            for message in [&b""[..], b"eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOjF9", &[i as u8; 1000]] {
                let good = signer.sign(message).to_vec();
                let mut flipped = good.clone();
                flipped[good.len() / 2] ^= 0x10;
                let mut altered_message = message.to_vec();
                altered_message.push(b'x');
                let other = &keys[(i + 1) % keys.len()].public();
                for (public, msg, sig, want) in [
                    (&key.public(), message, &good[..], true),
                    (&key.public(), message, &flipped[..], false),
                    (&key.public(), &altered_message[..], &good[..], false),
                    (other, message, &good[..], false),
                    (&key.public(), message, &good[1..], false),
                    (&key.public(), message, &[0xff; 256][..], false),
                ] {
                    assert_eq!(verify(public, msg, sig), want, "key {i}, message of {} bytes", msg.len());
                    assert_eq!(rsa_verifies(public, msg, sig), want);
                }
            }
        }
    }

    #[test]
    fn exponentiation_matches_num_bigint() {
        let key = crate::world::shared_keys()[0].public();
        let modulus = Modulus::new(key.n());
        for seed in [0u8, 1, 2, 0x5a, 0xfe] {
            let base = BigUint::from_bytes_be(&[seed; 255]);
            for e in [1u32, 2, 3, 17, 65537, 0xffff_ffff] {
                let want = base.modpow(&BigUint::from(e), key.n()).to_bytes_be();
                let mut padded = vec![0u8; 256 - want.len()];
                padded.extend_from_slice(&want);
                assert_eq!(modulus.pow(&base, &BigUint::from(e)), padded, "{seed:#x}^{e}");
            }
        }
    }
}
