//! Modular exponentiation for the RSA signature: Montgomery multiplication over
//! 28-bit limbs, operand scanning two rows at a time, with a fixed 4-bit window.
//!
//! Why not the `rsa` crate's own (`num-bigint-dig`)? Compiled to wasm it runs
//! ~5× slower than native. Wasm has a 32×32→64 multiply but no 64×64→128 one,
//! and a 32-bit-limb loop spends its time on the carry chain (add, add, shift
//! per limb, each waiting for the last). With 28-bit limbs a product is < 2^56,
//! so every column of the product (a·b and m·n, up to 2·126 products) sums in
//! a u64 with no carry at all: the carries move once per column, at the end.
//! A product then is `len/2` passes of one uniform loop, each adding four rows
//! (a_i·b, m_i·n, a_{i+1}·b, m_{i+1}·n) into the column sums; with wasm SIMD a
//! step of that loop does sixteen 32×32→64 multiplies. Results are checked
//! byte-for-byte against `rsa` in the tests (see `signature.rs`).
//!
//! Side channels: the secret exponent is consumed in fixed 4-bit windows over
//! its full padded length; every window does four squarings and one
//! multiplication; the table entry is selected by reading the whole table with
//! masks; products need no final subtraction (R ≥ 4n keeps them below 2n), and
//! the one on leaving the domain is masked. No branch or memory address depends
//! on a secret.

use zeroize::Zeroizing;

const BITS: u32 = 28;
const MASK: u32 = (1 << BITS) - 1;
/// Window width of the secret exponentiation.
const WINDOW: u32 = 4;
/// A column sums up to 2·len products of < 2^56 plus a carry of < 2^36, which a
/// u64 holds for len ≤ 127; `len` is even (rows go in pairs), so at most 126
/// (moduli up to 3526 bits, as R ≥ 4n; RSA-4096's primes need 74).
const MAX_LIMBS: usize = 126;
/// Zero limbs after b and n in their padded copies, and after the column sums,
/// so that the SIMD loop's last step reads and writes inside them.
const PAD: usize = 8;
/// The largest modulus `Modulus::new` takes (R = 2^(28·len) ≥ 4n).
pub const MAX_BITS: usize = BITS as usize * MAX_LIMBS - 2;

/// Working buffers of `mul`. They hold secret intermediates, so they are
/// wiped when dropped.
struct Scratch {
    /// The column sums of a·b + m·n, 2·len + PAD.
    t: Zeroizing<Vec<u64>>,
    /// The second factor as `padded` lays it out, len + PAD.
    b: Zeroizing<Vec<u32>>,
}

impl Scratch {
    fn new(len: usize) -> Scratch {
        Scratch { t: Zeroizing::new(vec![0; 2 * len + PAD]), b: Zeroizing::new(vec![0; len + PAD]) }
    }
}

/// An odd modulus prepared for Montgomery arithmetic, R = 2^(28·len), `len`
/// even.
pub struct Modulus {
    /// n as `padded` lays it out (`n()` is its limbs alone).
    n_padded: Zeroizing<Vec<u32>>,
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
    /// `n` (big-endian, odd, > 1, at most `MAX_BITS`). `None` otherwise.
    pub fn new(n_be: &[u8]) -> Option<Modulus> {
        let start = n_be.iter().position(|b| *b != 0)?;
        let n_be = &n_be[start..];
        let bits = 8 * n_be.len() - n_be[0].leading_zeros() as usize;
        // R ≥ 4n: then a product of two values below 2n is below 2n (see `mul`).
        let len = (bits + 2).div_ceil(BITS as usize).next_multiple_of(2);
        let n = limbs_from_be(n_be, len)?;
        if n[0] & 1 == 0 || bits == 1 || len > MAX_LIMBS {
            return None;
        }
        // Newton's iteration doubles the correct low bits each step: 1 → 32 in 5.
        let mut inv: u32 = 1;
        for _ in 0..5 {
            inv = inv.wrapping_mul(2u32.wrapping_sub(n[0].wrapping_mul(inv)));
        }
        let mut n_padded = Zeroizing::new(vec![0; len + PAD]);
        padded(&n, &mut n_padded);
        let mut modulus = Modulus { n_padded, n0inv: inv.wrapping_neg() & MASK, r2: Zeroizing::new(vec![0; len]), bits, bytes: n_be.len() };
        modulus.r2 = modulus.r_squared();
        Some(modulus)
    }

    fn len(&self) -> usize {
        self.n_padded.len() - PAD
    }

    /// n's `len` limbs.
    fn n(&self) -> &[u32] {
        &self.n_padded[1..=self.len()]
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
        let exponent_bits = (0..usize::BITS - exponent.leading_zeros()).rev().map(|bit| exponent >> bit & 1 == 1);
        let x = self.square_and_multiply(x, &two, exponent_bits, &mut scratch);
        // Below 2n; below n, so that a base up to R enters the domain below 2n.
        self.subtract_if_not_below(&x, 0, &mut other);
        other
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
        for ((o, tj), nj) in out.iter_mut().zip(t).zip(self.n()) {
            let d = tj.wrapping_sub(*nj).wrapping_sub(borrow);
            *o = d & MASK;
            borrow = d >> 31;
        }
        let keep_t = ((top ^ 1) & borrow).wrapping_neg(); // all ones when t < n
        for (o, tj) in out.iter_mut().zip(t) {
            *o = (tj & keep_t) | (*o & !keep_t);
        }
    }

    /// out ≡ a·b·R⁻¹ (mod n), below 2n, for a, b < 2n, by operand scanning: row
    /// i adds a_i·b and m_i·n into the column sums, m_i chosen so that column i's
    /// low 28 bits vanish; after `len` rows the high `len` columns are the
    /// result. Rows go in pairs: both m's come first (from the pair's two low
    /// columns), then one pass adds all four rows into the columns above them.
    fn mul(&self, a: &[u32], b: &[u32], s: &mut Scratch, out: &mut [u32]) {
        let (n, len) = (self.n(), self.len());
        padded(&b[..len], &mut s.b);
        let (b, t) = (&s.b[1..], &mut s.t[..]);
        t.fill(0);
        let mont = |column: u64| (column as u32).wrapping_mul(self.n0inv) & MASK;
        for i in (0..len).step_by(2) {
            let (a0, a1) = (a[i], a[i + 1]);
            let low = t[i] + product(a0, b[0]);
            let m0 = mont(low);
            let carry = (low + product(m0, n[0])) >> BITS;
            let high = t[i + 1] + carry + product(a0, b[1]) + product(m0, n[1]) + product(a1, b[0]);
            let m1 = mont(high);
            t[i + 2] += (high + product(m1, n[0])) >> BITS;
            add_rows(&mut t[i..], &s.b, &self.n_padded, [a0, m0, a1, m1], len);
        }
        // (a·b + m·n)/R < (4n² + R·n)/R ≤ 2n as R ≥ 4n: no subtraction, and no
        // carry out of the top limb.
        let mut acc = 0u64;
        for (limb, column) in out[..len].iter_mut().zip(&t[len..2 * len]) {
            acc += column;
            *limb = acc as u32 & MASK;
            acc >>= BITS;
        }
        debug_assert_eq!(acc, 0, "a Montgomery product is below 2n < R");
    }

    /// base^exp mod n (big-endian in and out, `out` as long as n). `exp` is secret:
    /// all of its bytes are consumed, whatever its bit length. `None` when base ≥ R.
    pub fn pow(&self, base_be: &[u8], exp_be: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        let len = self.len();
        let one = self.one();
        let mut m = Scratch::new(len);
        let base_m = self.enter(base_be, &mut m)?;
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
        Some(self.leave(acc, &mut m))
    }

    /// base^exp mod n for a public exponent (the fault check's e), by
    /// square-and-multiply over its bits: its branches follow the exponent,
    /// which is public. 65537 then takes 16 squarings and one multiplication,
    /// where `pow`'s fixed window takes ~40 products (its table alone 15).
    /// `None` when base ≥ R.
    pub fn pow_public(&self, base_be: &[u8], exp_be: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        let mut m = Scratch::new(self.len());
        let base_m = self.enter(base_be, &mut m)?;
        let mut bits = exp_be.iter().flat_map(|byte| (0..8).rev().map(move |i| byte >> i & 1 == 1)).skip_while(|bit| !bit);
        if bits.next().is_none() {
            return Some(be_from_limbs(&self.one(), self.bytes));
        }
        let acc = self.square_and_multiply(base_m.clone(), &base_m, bits, &mut m);
        Some(self.leave(acc, &mut m))
    }

    /// acc·base^e in the domain, e given by its bits from the most significant:
    /// one squaring per bit and one multiplication per set bit, so the bits must
    /// be public.
    fn square_and_multiply(&self, mut acc: Zeroizing<Vec<u32>>, base: &[u32], bits: impl Iterator<Item = bool>, m: &mut Scratch) -> Zeroizing<Vec<u32>> {
        let mut scratch = Zeroizing::new(vec![0u32; self.len()]);
        for bit in bits {
            self.mul(&acc, &acc, m, &mut scratch);
            std::mem::swap(&mut acc, &mut scratch);
            if bit {
                self.mul(&acc, base, m, &mut scratch);
                std::mem::swap(&mut acc, &mut scratch);
            }
        }
        acc
    }

    /// 1 as `len` limbs.
    fn one(&self) -> Vec<u32> {
        let mut one = vec![0u32; self.len()];
        one[0] = 1;
        one
    }

    /// base·R mod n (below 2n), from big-endian bytes; `None` when base ≥ R.
    /// Entering the domain also reduces a base ≥ n: base < R and R² mod n < n,
    /// so the product is below 2n like every other.
    fn enter(&self, base_be: &[u8], m: &mut Scratch) -> Option<Zeroizing<Vec<u32>>> {
        let base = limbs_from_be(base_be, self.len())?;
        let mut base_m = Zeroizing::new(vec![0u32; self.len()]);
        self.mul(&base, &self.r2, m, &mut base_m);
        Some(base_m)
    }

    /// acc·R⁻¹ mod n as big-endian bytes, as long as n. (acc + m·n)/R < 2n/R + n,
    /// so at most n; at most one subtraction brings it below n.
    fn leave(&self, mut acc: Zeroizing<Vec<u32>>, m: &mut Scratch) -> Zeroizing<Vec<u8>> {
        let mut scratch = Zeroizing::new(vec![0u32; self.len()]);
        self.mul(&acc, &self.one(), m, &mut scratch);
        self.subtract_if_not_below(&scratch, 0, &mut acc);
        be_from_limbs(&acc, self.bytes)
    }
}

/// x·y, exact: two limbs' product is below 2^56.
#[inline(always)]
fn product(x: u32, y: u32) -> u64 {
    u64::from(x) * u64::from(y)
}

/// `out` = one zero limb, then `x`, then zeros: limbs j−1 and j of x are then
/// `out[j]` and `out[j + 1]`, for every j from 0 to len + PAD − 2.
fn padded(x: &[u32], out: &mut [u32]) {
    out[0] = 0;
    out[1..=x.len()].copy_from_slice(x);
    out[x.len() + 1..].fill(0);
}

/// t[j] += a0·b_j + m0·n_j + a1·b_{j−1} + m1·n_{j−1} for j in 2..len + 2, with b
/// and n laid out by `padded`. Column sums stay below 2^64 (see MAX_LIMBS).
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
#[inline(always)]
fn add_rows(t: &mut [u64], b: &[u32], n: &[u32], [a0, m0, a1, m1]: [u32; 4], len: usize) {
    for j in 2..len + 2 {
        t[j] += product(a0, b[j + 1]) + product(m0, n[j + 1]) + product(a1, b[j]) + product(m1, n[j]);
    }
}

/// The same with wasm SIMD (`scripts/build` enables simd128): four columns per
/// step, sixteen 32×32→64 multiplies, two per instruction. Wasmtime, V8 (jco)
/// and the other component hosts all run simd128. The last step may run past
/// column len + 1 into the padding, where b and n are zero, so it adds nothing
/// there.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
#[inline(always)]
fn add_rows(t: &mut [u64], b: &[u32], n: &[u32], factors: [u32; 4], len: usize) {
    use core::arch::wasm32::{i64x2_add, u32x4_splat, u64x2_extmul_high_u32x4, u64x2_extmul_low_u32x4, v128_load, v128_store};
    let steps = len.div_ceil(4);
    // Step s reads limbs j..=j + 4 of b and n and columns j..j + 4 of t, j = 2 + 4s.
    let end = 2 + 4 * steps;
    assert!(t.len() >= end && b.len() > end && n.len() > end, "Montgomery buffers too short");
    let splats = factors.map(|x| u32x4_splat(x));
    let (b, n, t) = (b.as_ptr(), n.as_ptr(), t.as_mut_ptr());
    for step in 0..steps {
        let j = 2 + 4 * step;
        // SAFETY: j + 4 ≤ end < b.len(), n.len() and j + 4 ≤ end ≤ t.len() (asserted
        // above), so every 16-byte access below is inside its slice; v128 loads and
        // stores have no alignment requirement.
        unsafe {
            // Read anew each step: LLVM would otherwise hoist the splats' widening out
            // of the loop and emit i64x2.mul, which wasmtime lowers to three multiplies
            // where an extmul is one.
            let [a0, m0, a1, m1] = [0, 1, 2, 3].map(|k| core::ptr::read_volatile(&splats[k]));
            let (b_j, b_before, n_j, n_before) = (v128_load(b.add(j + 1).cast()), v128_load(b.add(j).cast()), v128_load(n.add(j + 1).cast()), v128_load(n.add(j).cast()));
            let low = i64x2_add(
                i64x2_add(u64x2_extmul_low_u32x4(a0, b_j), u64x2_extmul_low_u32x4(m0, n_j)),
                i64x2_add(u64x2_extmul_low_u32x4(a1, b_before), u64x2_extmul_low_u32x4(m1, n_before)),
            );
            let high = i64x2_add(
                i64x2_add(u64x2_extmul_high_u32x4(a0, b_j), u64x2_extmul_high_u32x4(m0, n_j)),
                i64x2_add(u64x2_extmul_high_u32x4(a1, b_before), u64x2_extmul_high_u32x4(m1, n_before)),
            );
            let at = t.add(j);
            v128_store(at.cast(), i64x2_add(v128_load(at.cast()), low));
            v128_store(at.add(2).cast(), i64x2_add(v128_load(at.add(2).cast()), high));
        }
    }
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
                let want = pow_mod(b, e, n).to_be_bytes();
                let got = modulus.pow(&(b % n).to_be_bytes(), &e.to_be_bytes()).unwrap();
                assert_eq!(got[..], want[8 - modulus.bytes..], "{b}^{e} mod {n}");
                let public = modulus.pow_public(&(b % n).to_be_bytes(), &e.to_be_bytes()).unwrap();
                assert_eq!(public[..], want[8 - modulus.bytes..], "{b}^{e} mod {n}, public exponent");
            }
        }
    }

    #[test]
    fn even_zero_and_one_are_not_moduli() {
        assert!(Modulus::new(&[0x10]).is_none());
        assert!(Modulus::new(&[0, 0]).is_none());
        assert!(Modulus::new(&[]).is_none());
        assert!(Modulus::new(&[1]).is_none());
        let mut big = vec![0xffu8; 3528 / 8];
        big[0] = 0x7f;
        assert!(Modulus::new(&big).is_none(), "3527 bits would overflow a column (R ≥ 4n takes 127 limbs)");
        big[0] = 0x3f;
        assert!(Modulus::new(&big).is_some(), "3526 bits fit");
    }
}
