//! The signature's arithmetic agrees with num-bigint-dig: base^exp mod n for any
//! odd n, any base below R (reduced or not) and any exponent, secret (`pow`) or
//! public (`pow_public`).
#![no_main]
use libfuzzer_sys::fuzz_target;
use raxx_minter::montgomery::Modulus;
use rsa::BigUint;

fuzz_target!(|data: &[u8]| {
    let [n_len, base_len, rest @ ..] = data else { return };
    let (n, rest) = rest.split_at((usize::from(*n_len) % 160 + 1).min(rest.len()));
    let (base, exp) = rest.split_at(usize::from(*base_len).min(n.len()).min(rest.len()));
    let exp = &exp[..exp.len().min(64)];
    let mut n = n.to_vec();
    let Some(last) = n.last_mut() else { return };
    *last |= 1;
    let Some(modulus) = Modulus::new(&n) else {
        assert!(n.iter().rev().skip(1).all(|b| *b == 0) && n[n.len() - 1] == 1, "only n = 1 is refused");
        return;
    };
    let n = BigUint::from_bytes_be(&n);
    let Some(got) = modulus.pow(base, exp) else { return };
    let want = BigUint::from_bytes_be(base).modpow(&BigUint::from_bytes_be(exp), &n);
    assert_eq!(BigUint::from_bytes_be(&got), want);
    let public = modulus.pow_public(base, exp).expect("the same base fits");
    assert_eq!(BigUint::from_bytes_be(&public), want);
});
