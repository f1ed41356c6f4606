//! The compiled-code cache's key and tags: one rule for both hosts.
//!
//! A cache entry is code the next run executes, so each carries a BLAKE3 MAC
//! (keyed mode) under a key derived (BLAKE3's `derive_key`) from the vault
//! identity's client secret, which no child of raxx ever sees. This module is
//! the whole rule: the derivation's context, the key id that names entries,
//! and what bytes each tag covers in what order. raxx-host's user cache
//! (`host/src/sandbox/cache.rs`) and the Node host's transpile cache
//! (`host/node/src/component.mjs`, through the core component) call it; the
//! files, folders and their owners stay each host's. `tests/vectors/cache_key.json`
//! holds known answers both hosts check.
//!
//! The maintained `blake3` crate does the hashing (pure Rust without `std`,
//! so the import-free core component carries it too).

use zeroize::Zeroizing;

/// `derive_key`'s context for the cache key (raxx-host's since its cache v2).
pub const KEY_CONTEXT: &str = "raxx compiled-component cache key v2";

/// What the key id is the keyed hash of.
pub const KEY_ID_INPUT: &[u8] = b"raxx compiled-component cache key id";

/// The bytes a transpile's tag starts with, so that no transpile tag can be
/// taken for a compiled artifact's (whose first bytes after the component's
/// SHA-256 are the engine hash) or the other way round.
pub const TRANSPILE_DOMAIN: &[u8] = b"raxx transpile tag v1\0";

/// A tag's length in bytes.
pub const TAG_BYTES: usize = 32;

/// The cache key, derived from the vault identity's client secret. It never
/// leaves memory (zeroed on drop) and is never printed: only tags and the key
/// id (32 bits of a MAC, nothing about the secret) are.
pub struct CacheKey(Zeroizing<[u8; 32]>);

impl CacheKey {
    /// The key for `client_secret` (as the host read it: trimmed).
    pub fn derive(client_secret: &str) -> CacheKey {
        CacheKey(Zeroizing::new(blake3::derive_key(
            KEY_CONTEXT,
            client_secret.as_bytes(),
        )))
    }

    /// Names the key in entry names (8 hex digits), so a rotated secret
    /// writes new entries instead of taking a valid one for a planted one.
    pub fn key_id(&self) -> String {
        hex(&blake3::keyed_hash(&self.0, KEY_ID_INPUT).as_bytes()[..4])
    }

    /// raxx-host's tag of an artifact's content after the tag
    /// (`compiled_sha256 ‖ compiled code`): the component's hex SHA-256, the
    /// engine's compatibility hash (8 bytes, little-endian), the content.
    pub fn compiled_tag(&self, component_sha: &str, engine_hash: u64, content: &[u8]) -> Tag {
        let mut mac = blake3::Hasher::new_keyed(&self.0);
        mac.update(component_sha.as_bytes());
        mac.update(&engine_hash.to_le_bytes());
        mac.update(content);
        Tag(mac.finalize())
    }

    /// The Node host's tag of a transpile: [`TRANSPILE_DOMAIN`], the
    /// component's hex SHA-256, then for each file in name order (byte-wise)
    /// `\0 name \0 length (decimal) \0 content`.
    pub fn transpile_tag<'a>(
        &self,
        component_sha: &str,
        files: impl IntoIterator<Item = (&'a str, &'a [u8])>,
    ) -> Tag {
        let mut files: Vec<_> = files.into_iter().collect();
        files.sort_by(|a, b| a.0.cmp(b.0));
        let mut mac = blake3::Hasher::new_keyed(&self.0);
        mac.update(TRANSPILE_DOMAIN);
        mac.update(component_sha.as_bytes());
        for (name, content) in files {
            mac.update(b"\0");
            mac.update(name.as_bytes());
            mac.update(b"\0");
            mac.update(content.len().to_string().as_bytes());
            mac.update(b"\0");
            mac.update(content);
        }
        Tag(mac.finalize())
    }
}

/// A tag. Comparing it with stored bytes takes the same time wherever they differ.
#[derive(Clone, Copy, Debug)]
pub struct Tag(blake3::Hash);

impl Tag {
    pub fn as_bytes(&self) -> &[u8; TAG_BYTES] {
        self.0.as_bytes()
    }

    /// Whether `stored` is this tag (constant time; a wrong length is no match).
    pub fn matches(&self, stored: &[u8]) -> bool {
        <[u8; TAG_BYTES]>::try_from(stored).is_ok_and(|s| self.0 == blake3::Hash::from_bytes(s))
    }
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    bytes
        .iter()
        .flat_map(|b| [DIGITS[usize::from(b >> 4)], DIGITS[usize::from(b & 15)]])
        .map(char::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tag_matches_only_its_own_bytes() {
        let key = CacheKey::derive("secret");
        let tag = key.compiled_tag("ab", 1, b"code");
        assert!(tag.matches(tag.as_bytes()));
        let mut other = *tag.as_bytes();
        other[31] ^= 1;
        assert!(!tag.matches(&other));
        assert!(!tag.matches(&tag.as_bytes()[..31]));
    }

    #[test]
    fn a_transpile_tag_does_not_depend_on_the_files_order() {
        let key = CacheKey::derive("secret");
        let a = key.transpile_tag("ab", [("b.wasm", &b"1"[..]), ("a.js", b"2")]);
        let b = key.transpile_tag("ab", [("a.js", &b"2"[..]), ("b.wasm", b"1")]);
        assert!(a.matches(b.as_bytes()));
    }
}
