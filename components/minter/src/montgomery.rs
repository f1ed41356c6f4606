//! Modular exponentiation for the RSA signature: Montgomery multiplication over
//! 28-bit limbs, product scanning, with a fixed 4-bit window.
//!
//! Why not the `rsa` crate's own (`num-bigint-dig`)? Compiled to wasm it runs
//! ~5× slower than native. Wasm has a 32×32→64 multiply but no 64×64→128 one,
//! and a 32-bit-limb loop spends its time on the carry chain (add, add, shift
//! per limb, each waiting for the last). With 28-bit limbs a product is < 2^56,
//! so a whole column of products (a·b and m·n, up to 2·74 of them for 2048-bit
//! moduli) sums into a u64 with no carry at all, and the carry moves once per
//! column. Results are checked byte-for-byte against `rsa` in the tests (see
//! `signature.rs`).
//!
//! Side channels: the secret exponent is consumed in fixed 4-bit windows over
//! its full padded length; every window does four squarings and one
//! multiplication; the table entry is selected by reading the whole table with
//! masks; and the final subtraction of each product is masked. No branch or
//! memory address depends on a secret.

use zeroize::Zeroizing;

const BITS: u32 = 28;
const MASK: u32 = (1 << BITS) - 1;
/// Window width of the secret exponentiation.
const WINDOW: u32 = 4;
/// A column sums up to 2·len products of < 2^56 plus a carry of < 2^36, which a
/// u64 holds for len ≤ 127 (moduli up to 3556 bits; RSA-4096's primes need 74).
const MAX_LIMBS: usize = 127;
/// The largest modulus `Modulus::new` takes.
pub const MAX_BITS: usize = BITS as usize * MAX_LIMBS;

/// Working buffers of `mul`, `len` limbs each. They hold secret
/// intermediates, so they are wiped when dropped.
struct Scratch {
    /// The limbs m of the multiple of n added to the product.
    m: Zeroizing<Vec<u32>>,
    /// The second factor's limbs in reverse.
    rev: Zeroizing<Vec<u32>>,
    /// The result before its final reduction.
    sum: Zeroizing<Vec<u32>>,
}

impl Scratch {
    fn new(len: usize) -> Scratch {
        let buffer = || Zeroizing::new(vec![0u32; len]);
        Scratch { m: buffer(), rev: buffer(), sum: buffer() }
    }
}

/// An odd modulus prepared for Montgomery arithmetic, R = 2^(28·len).
pub struct Modulus {
    n: Zeroizing<Vec<u32>>,
    /// n's limbs in reverse: a column Σ m[i]·n[k−i] then reads both forward.
    n_rev: Zeroizing<Vec<u32>>,
    /// −n⁻¹ mod 2^28.
    n0inv: u32,
    /// R² mod n, to enter the Montgomery domain.
    r2: Zeroizing<Vec<u32>>,
    /// Bit length of n (public: the key size).
    bits: usize,
    bytes: usize,
}

/// 28-bit little-endian limbs of a big-endian byte string, padded to `len` limbs.
/// `None` when the value does not fit.
fn limbs_from_be(bytes: &[u8], len: usize) -> Option<Zeroizing<Vec<u32>>> {
    let mut limbs = Zeroizing::new(vec![0u32; len]);
    let (mut acc, mut filled, mut index) = (0u64, 0u32, 0usize);
    for byte in bytes.iter().rev() {
        acc |= u64::from(*byte) << filled;
        filled += 8;
        if filled >= BITS {
            let limb = acc as u32 & MASK;
            match limbs.get_mut(index) {
                Some(slot) => *slot = limb,
                None if limb == 0 => {}
                None => return None,
            }
            index += 1;
            acc >>= BITS;
            filled -= BITS;
        }
    }
    // Whether a slot is left depends only on the lengths, never on the value.
    match limbs.get_mut(index) {
        Some(slot) => *slot = acc as u32,
        None if acc == 0 => {}
        None => return None,
    }
    Some(limbs)
}

/// Big-endian bytes of 28-bit limbs, exactly `len` bytes (the value must fit).
fn be_from_limbs(limbs: &[u32], len: usize) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(vec![0u8; len]);
    let (mut acc, mut filled) = (0u64, 0u32);
    let mut limbs = limbs.iter();
    for slot in out.iter_mut().rev() {
        if filled < 8 {
            acc |= u64::from(limbs.next().copied().unwrap_or(0)) << filled;
            filled += BITS;
        }
        *slot = acc as u8;
        acc >>= 8;
        filled -= 8;
    }
    out
}

impl Modulus {
    /// `n` (big-endian, odd, > 1, at most 3556 bits). `None` otherwise.
    pub fn new(n_be: &[u8]) -> Option<Modulus> {
        let start = n_be.iter().position(|b| *b != 0)?;
        let n_be = &n_be[start..];
        let bits = 8 * n_be.len() - n_be[0].leading_zeros() as usize;
        let len = bits.div_ceil(BITS as usize);
        let n = limbs_from_be(n_be, len)?;
        if n[0] & 1 == 0 || (len == 1 && n[0] == 1) || len > MAX_LIMBS {
            return None;
        }
        // Newton's iteration doubles the correct low bits each step: 1 → 32 in 5.
        let mut inv: u32 = 1;
        for _ in 0..5 {
            inv = inv.wrapping_mul(2u32.wrapping_sub(n[0].wrapping_mul(inv)));
        }
        let n_rev = Zeroizing::new(n.iter().rev().copied().collect());
        let mut modulus = Modulus { n, n_rev, n0inv: inv.wrapping_neg() & MASK, r2: Zeroizing::new(vec![0; len]), bits, bytes: n_be.len() };
        modulus.r2 = modulus.r_squared();
        Some(modulus)
    }

    fn len(&self) -> usize {
        self.n.len()
    }

    /// R² mod n, without dividing: R mod n (the Montgomery form of 1) by doubling
    /// 2^(bits−1), 2·R mod n (the form of 2) by one more doubling, then 2^(28·len)
    /// by square-and-multiply in the domain, whose form 2^(28·len)·R is R².
    /// The exponent 28·len is public; the doublings are masked.
    fn r_squared(&self) -> Zeroizing<Vec<u32>> {
        let (len, bits) = (self.len(), self.bits);
        let mut x = Zeroizing::new(vec![0u32; len]);
        x[(bits - 1) / BITS as usize] = 1 << ((bits - 1) % BITS as usize);
        let mut scratch = Scratch::new(len);
        let mut other = Zeroizing::new(vec![0u32; len]);
        for _ in bits - 1..BITS as usize * len {
            self.double(&mut x, &mut other);
        }
        let mut two = x.clone();
        self.double(&mut two, &mut other);
        let exponent = BITS as usize * len;
        for bit in (0..usize::BITS - exponent.leading_zeros()).rev() {
            self.mul(&x, &x, &mut scratch, &mut other);
            std::mem::swap(&mut x, &mut other);
            if exponent >> bit & 1 == 1 {
                self.mul(&x, &two, &mut scratch, &mut other);
                std::mem::swap(&mut x, &mut other);
            }
        }
        x
    }

    /// x = 2x mod n for x < n (`other` is scratch).
    fn double(&self, x: &mut Zeroizing<Vec<u32>>, other: &mut Zeroizing<Vec<u32>>) {
        let mut carry = 0u32;
        for limb in x.iter_mut() {
            let doubled = (*limb << 1) | carry;
            carry = doubled >> BITS;
            *limb = doubled & MASK;
        }
        self.subtract_if_not_below(x, carry, other);
        std::mem::swap(x, other);
    }

    /// out = t − n when `top·R + t ≥ n`, else t, without branching on the values.
    /// Requires top·R + t < 2n.
    fn subtract_if_not_below(&self, t: &[u32], top: u32, out: &mut [u32]) {
        let mut borrow = 0u32;
        for ((o, tj), nj) in out.iter_mut().zip(t).zip(self.n.iter()) {
            let d = tj.wrapping_sub(*nj).wrapping_sub(borrow);
            *o = d & MASK;
            borrow = d >> 31;
        }
        let keep_t = ((top ^ 1) & borrow).wrapping_neg(); // all ones when t < n
        for (o, tj) in out.iter_mut().zip(t) {
            *o = (tj & keep_t) | (*o & !keep_t);
        }
    }

    /// out = a·b·R⁻¹ mod n for a, b < n, by product scanning: column k of a·b plus
    /// column k of m·n, where m is chosen limb by limb so that the low `len` columns
    /// vanish; the high `len` columns are the result.
    fn mul(&self, a: &[u32], b: &[u32], s: &mut Scratch, out: &mut [u32]) {
        let (n, n_rev, len) = (&self.n[..], &self.n_rev[..], self.len());
        let (a, b) = (&a[..len], &b[..len]);
        for (r, bj) in s.rev.iter_mut().zip(b.iter().rev()) {
            *r = *bj;
        }
        let (m, b_rev, sum) = (&mut s.m[..], &s.rev[..], &mut s.sum[..]);
        let mut acc = 0u64;
        // Columns 0..len: each also fixes m[k] so that the column's low 28 bits are zero.
        // Limb i of a (and m) meets limb k−i of b (and n), which is b_rev[len−1−k+i].
        for k in 0..len {
            let rev = len - 1 - k;
            acc += dot([(&a[..k], &b_rev[rev..len - 1]), (&m[..k], &n_rev[rev..len - 1])]);
            acc += u64::from(a[k]) * u64::from(b[0]);
            let mk = (acc as u32).wrapping_mul(self.n0inv) & MASK;
            m[k] = mk;
            acc += u64::from(mk) * u64::from(n[0]);
            acc >>= BITS;
        }
        // Columns len..2·len−1 are the result's limbs.
        for k in len..2 * len - 1 {
            let (from, to) = (k + 1 - len, 2 * len - 1 - k);
            acc += dot([(&a[from..], &b_rev[..to]), (&m[from..], &n_rev[..to])]);
            sum[k - len] = acc as u32 & MASK;
            acc >>= BITS;
        }
        sum[len - 1] = acc as u32 & MASK;
        let top = (acc >> BITS) as u32;
        // The sum is < 2n; reduce it once.
        self.subtract_if_not_below(sum, top, &mut out[..len]);
    }

    /// base^exp mod n (big-endian in and out, `out` as long as n). `exp` is secret:
    /// all of its bytes are consumed, whatever its bit length. `None` when base ≥ R.
    pub fn pow(&self, base_be: &[u8], exp_be: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        let len = self.len();
        let base = limbs_from_be(base_be, len)?;
        let mut one = vec![0u32; len];
        one[0] = 1;
        let mut m = Scratch::new(len);
        // Entering the domain also reduces a base ≥ n (a·R²·R⁻¹ < 2n, then reduced).
        let mut base_m = Zeroizing::new(vec![0u32; len]);
        self.mul(&base, &self.r2, &mut m, &mut base_m);
        // table[i] = base^i in the Montgomery domain.
        let entries = 1 << WINDOW;
        let mut table = Zeroizing::new(vec![0u32; entries * len]);
        self.mul(&one, &self.r2, &mut m, &mut table[..len]);
        for i in 1..entries {
            let (done, rest) = table.split_at_mut(i * len);
            self.mul(&done[(i - 1) * len..], &base_m, &mut m, &mut rest[..len]);
        }

        let mut acc = Zeroizing::new(table[..len].to_vec());
        let mut scratch = Zeroizing::new(vec![0u32; len]);
        let mut selected = Zeroizing::new(vec![0u32; len]);
        let nibbles = exp_be.iter().flat_map(|byte| [byte >> 4, byte & 0xf]);
        for (i, window) in nibbles.enumerate() {
            if i > 0 {
                for _ in 0..WINDOW {
                    self.mul(&acc, &acc, &mut m, &mut scratch);
                    std::mem::swap(&mut acc, &mut scratch);
                }
            }
            select(&table, len, u32::from(window), &mut selected);
            self.mul(&acc, &selected, &mut m, &mut scratch);
            std::mem::swap(&mut acc, &mut scratch);
        }
        self.mul(&acc, &one, &mut m, &mut scratch);
        Some(be_from_limbs(&scratch, self.bytes))
    }
}

/// Σ x[i]·y[i] over each stream (x, y) of a column, up to the shortest stream's
/// length. A column holds at most 2·MAX_LIMBS products of < 2^56, so the u64
/// cannot overflow.
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
#[inline(always)]
fn dot<const S: usize>(streams: [(&[u32], &[u32]); S]) -> u64 {
    let len = streams.iter().map(|(x, y)| x.len().min(y.len())).min().unwrap_or(0);
    let mut sum = 0u64;
    for i in 0..len {
        for (x, y) in &streams {
            sum += u64::from(x[i]) * u64::from(y[i]);
        }
    }
    sum
}

/// The same with wasm SIMD (`scripts/build` enables simd128): four limbs of each
/// stream per step, two 32×32→64 multiplies per instruction. Wasmtime, V8 (jco)
/// and the other component hosts all run simd128; LLVM does not vectorise this
/// loop for wasm by itself.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
#[inline(always)]
fn dot<const S: usize>(streams: [(&[u32], &[u32]); S]) -> u64 {
    use core::arch::wasm32::{i64x2_add, u64x2_extmul_high_u32x4, u64x2_extmul_low_u32x4, u64x2_extract_lane, u64x2_splat, v128, v128_load};
    let len = streams.iter().map(|(x, y)| x.len().min(y.len())).min().unwrap_or(0);
    let starts = streams.map(|(x, y)| (x.as_ptr(), y.as_ptr()));
    // Reads limbs at..at + 4 of a stream; every caller below has at + 4 ≤ len.
    let load = |start: *const u32, at: usize| -> v128 {
        debug_assert!(at + 4 <= len);
        // SAFETY: at + 4 ≤ len, and len is at most each stream's length, so the
        // 16 bytes are inside the slice; v128_load has no alignment requirement.
        unsafe { v128_load(start.add(at).cast()) }
    };
    let step = |mut acc: v128, at: usize| -> v128 {
        for (x, y) in starts {
            let (xv, yv) = (load(x, at), load(y, at));
            acc = i64x2_add(acc, u64x2_extmul_low_u32x4(xv, yv));
            acc = i64x2_add(acc, u64x2_extmul_high_u32x4(xv, yv));
        }
        acc
    };
    // Sixteen limbs per iteration, then straight-line code for the rest: wasmtime
    // checks its deadline (epoch) at every loop header, so few, long iterations
    // cost less.
    let mut acc = u64x2_splat(0);
    let mut at = 0;
    while at + 16 <= len {
        acc = step(step(step(step(acc, at), at + 4), at + 8), at + 12);
        at += 16;
    }
    if at + 8 <= len {
        acc = step(step(acc, at), at + 4);
        at += 8;
    }
    if at + 4 <= len {
        acc = step(acc, at);
        at += 4;
    }
    let mut sum = u64x2_extract_lane::<0>(acc) + u64x2_extract_lane::<1>(acc);
    let scalar = |i: usize| streams.iter().map(|(x, y)| u64::from(x[i]) * u64::from(y[i])).sum::<u64>();
    if at < len {
        sum += scalar(at);
    }
    if at + 1 < len {
        sum += scalar(at + 1);
    }
    if at + 2 < len {
        sum += scalar(at + 2);
    }
    sum
}

/// Copies `table[index]` into `out`, reading every entry.
fn select(table: &[u32], len: usize, index: u32, out: &mut [u32]) {
    out.fill(0);
    for (i, entry) in table.chunks_exact(len).enumerate() {
        let mask = ((i as u32 ^ index).wrapping_sub(1) >> 31).wrapping_neg(); // all ones when i == index
        for (o, e) in out.iter_mut().zip(entry) {
            *o |= e & mask;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limb_conversions_round_trip() {
        let bytes = [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08];
        let limbs = limbs_from_be(&bytes, 3).unwrap();
        assert_eq!(*limbs, vec![0x5060708, 0x0203040, 0x1]);
        assert_eq!(*be_from_limbs(&limbs, 8), bytes);
        assert_eq!(*be_from_limbs(&limbs, 10), [0, 0, 1, 2, 3, 4, 5, 6, 7, 8]);
        assert!(limbs_from_be(&bytes, 2).is_none());
        assert_eq!(*limbs_from_be(&[0, 0, 0, 0, 0, 7], 1).unwrap(), vec![7]);
    }

    #[test]
    fn small_moduli_agree_with_plain_arithmetic() {
        fn pow_mod(mut b: u64, mut e: u64, n: u64) -> u64 {
            let mut r = 1 % n;
            b %= n;
            while e > 0 {
                if e & 1 == 1 {
                    r = (u128::from(r) * u128::from(b) % u128::from(n)) as u64;
                }
                b = (u128::from(b) * u128::from(b) % u128::from(n)) as u64;
                e >>= 1;
            }
            r
        }
        for n in [3u64, 0xffff_fffb, 0xffff_ffff_ffff_ffc5, 0x1000_0001, 0x0100_0001, 0x0fff_ffff, (1 << 56) + 1, (1 << 56) - 1] {
            let modulus = Modulus::new(&n.to_be_bytes()).unwrap();
            for (b, e) in [(0u64, 0u64), (1, 5), (2, 10), (n - 1, 3), (12345678901, 0xfedcba98), (n / 3, u64::MAX)] {
                let got = modulus.pow(&(b % n).to_be_bytes(), &e.to_be_bytes()).unwrap();
                let want = pow_mod(b, e, n).to_be_bytes();
                assert_eq!(got[..], want[8 - modulus.bytes..], "{b}^{e} mod {n}");
            }
        }
    }

    #[test]
    fn even_zero_and_one_are_not_moduli() {
        assert!(Modulus::new(&[0x10]).is_none());
        assert!(Modulus::new(&[0, 0]).is_none());
        assert!(Modulus::new(&[]).is_none());
        assert!(Modulus::new(&[1]).is_none());
        let mut big = vec![0xffu8; 3556 / 8 + 1];
        assert!(Modulus::new(&big).is_none(), "3560 bits would overflow a column");
        big[0] = 0x0f;
        assert!(Modulus::new(&big).is_some(), "3556 bits fit");
    }
}
