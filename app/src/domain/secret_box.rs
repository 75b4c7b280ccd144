//! Secrets at rest (Discord tokens): sealed with ChaCha20-Poly1305 under
//! one key from the environment (`SECRET_KEY`), so a copy of the database
//! alone does not give anyone a member's Discord access.

use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use sha2::{Digest, Sha256};

/// Shortest `SECRET_KEY` accepted: 32 characters, e.g. `openssl rand -hex 32`.
pub const MIN_KEY_CHARS: usize = 32;
const NONCE_LEN: usize = 12;

#[derive(Clone)]
pub struct SecretBox {
    cipher: ChaCha20Poly1305,
}

impl std::fmt::Debug for SecretBox {
    // Never print the key, not even in a debug dump of the config.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(..)")
    }
}

impl SecretBox {
    /// A box for `key`, a high-entropy string. Its SHA-256 is the cipher
    /// key, so any length of at least [`MIN_KEY_CHARS`] works.
    pub fn new(key: &str) -> Result<Self, String> {
        if key.trim().chars().count() < MIN_KEY_CHARS {
            return Err(format!(
                "SECRET_KEY must be at least {MIN_KEY_CHARS} random characters (try `openssl rand -hex 32`)"
            ));
        }
        let digest = Sha256::digest(key.trim().as_bytes());
        Ok(Self {
            cipher: ChaCha20Poly1305::new(Key::from_slice(&digest)),
        })
    }

    /// `plain` sealed with a fresh random nonce, as hex (nonce, then the
    /// ciphertext with its tag).
    pub fn seal(&self, plain: &str) -> String {
        let nonce = ChaCha20Poly1305::generate_nonce(&mut OsRng);
        let sealed = self
            .cipher
            .encrypt(&nonce, plain.as_bytes())
            .expect("ChaCha20-Poly1305 encrypts any message under 256 GiB");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        hex::encode(out)
    }

    /// The text [`Self::seal`] sealed; `None` when it was sealed under
    /// another key or changed since.
    pub fn open(&self, sealed: &str) -> Option<String> {
        let bytes = hex::decode(sealed).ok()?;
        if bytes.len() < NONCE_LEN {
            return None;
        }
        let (nonce, body) = bytes.split_at(NONCE_LEN);
        let plain = self.cipher.decrypt(Nonce::from_slice(nonce), body).ok()?;
        String::from_utf8(plain).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn a_sealed_secret_opens_with_its_key_only() {
        let sealed = SecretBox::new(KEY).unwrap().seal("refresh-token");
        assert!(!sealed.contains("refresh-token"));
        assert_eq!(
            SecretBox::new(KEY).unwrap().open(&sealed).as_deref(),
            Some("refresh-token")
        );
        let other = SecretBox::new("fedcba9876543210fedcba9876543210").unwrap();
        assert_eq!(other.open(&sealed), None);
    }

    #[test]
    fn the_same_secret_seals_differently_each_time_and_tampering_is_caught() {
        let b = SecretBox::new(KEY).unwrap();
        let (one, two) = (b.seal("x"), b.seal("x"));
        assert_ne!(one, two);
        let mut tampered = one.into_bytes();
        let last = tampered.len() - 1;
        tampered[last] = if tampered[last] == b'0' { b'1' } else { b'0' };
        assert_eq!(b.open(&String::from_utf8(tampered).unwrap()), None);
    }

    #[test]
    fn a_short_key_is_refused_with_a_sentence() {
        let err = SecretBox::new("short").unwrap_err();
        assert!(err.contains("at least 32"), "{err}");
    }
}
