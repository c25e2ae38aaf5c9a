//! Data-at-rest encryption (the key ring), token hashing and constant-time comparison.
//!
//! Ciphertext layout: `b"LG1" | key-id length (1 byte) | key id | 12-byte nonce | AES-256-GCM ciphertext+tag`.
//! The associated data binds a ciphertext to its table, column and row, so a blob copied elsewhere will not decrypt.

use anyhow::{anyhow, bail, Context};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use hmac::{Hmac, Mac};
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::rand::{SecureRandom, SystemRandom};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

const MAGIC: &[u8; 3] = b"LG1";

/// Where a ciphertext lives: the associated data of its encryption.
#[derive(Debug, Clone, Copy)]
pub struct Slot<'a> {
    pub table: &'a str,
    pub column: &'a str,
    pub row_id: &'a str,
}

impl Slot<'_> {
    fn aad(&self) -> Vec<u8> {
        format!("{}.{}:{}", self.table, self.column, self.row_id).into_bytes()
    }
}

pub struct KeyRing {
    keys: Vec<(String, LessSafeKey)>,
    active: usize,
    rng: SystemRandom,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRing")
            .field("key_ids", &self.key_ids())
            .field("active", &self.active_id())
            .finish()
    }
}

impl KeyRing {
    /// `keys` are (id, 32 raw bytes); `active` names the key new ciphertexts use.
    pub fn new(keys: Vec<(String, Vec<u8>)>, active: &str) -> anyhow::Result<Self> {
        if keys.is_empty() {
            bail!("the key ring needs at least one key");
        }
        let mut ring_keys = Vec::with_capacity(keys.len());
        for (id, raw) in keys {
            if id.is_empty()
                || id.len() > 32
                || !id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                bail!("key id {id:?} must be 1-32 characters of letters, digits, '-' or '_'");
            }
            if raw.len() != 32 {
                bail!(
                    "key {id:?} must be 32 bytes (base64 of 32 random bytes), got {}",
                    raw.len()
                );
            }
            if ring_keys
                .iter()
                .any(|(k, _): &(String, LessSafeKey)| *k == id)
            {
                bail!("key id {id:?} appears twice");
            }
            let unbound =
                UnboundKey::new(&AES_256_GCM, &raw).map_err(|_| anyhow!("bad key {id:?}"))?;
            ring_keys.push((id, LessSafeKey::new(unbound)));
        }
        let active = ring_keys
            .iter()
            .position(|(id, _)| id == active)
            .with_context(|| format!("the active key {active:?} is not in the key ring"))?;
        Ok(KeyRing {
            keys: ring_keys,
            active,
            rng: SystemRandom::new(),
        })
    }

    /// Parses `id:base64,id:base64`.
    pub fn parse_keys(spec: &str) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
        spec.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|entry| {
                let (id, b64) = entry
                    .split_once(':')
                    .context("each key must look like id:base64")?;
                let raw = STANDARD
                    .decode(b64.trim())
                    .with_context(|| format!("key {id:?} is not valid base64"))?;
                Ok((id.trim().to_owned(), raw))
            })
            .collect()
    }

    pub fn active_id(&self) -> &str {
        self.keys
            .get(self.active)
            .map(|(id, _)| id.as_str())
            .unwrap_or_default()
    }

    pub fn key_ids(&self) -> Vec<&str> {
        self.keys.iter().map(|(id, _)| id.as_str()).collect()
    }

    pub fn encrypt(&self, plaintext: &[u8], slot: Slot<'_>) -> anyhow::Result<Vec<u8>> {
        let (id, key) = self.keys.get(self.active).context("no active key")?;
        let mut nonce = [0u8; NONCE_LEN];
        self.rng
            .fill(&mut nonce)
            .map_err(|_| anyhow!("random source failed"))?;
        let mut buf = plaintext.to_vec();
        key.seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(slot.aad()),
            &mut buf,
        )
        .map_err(|_| anyhow!("encryption failed"))?;
        let id_len = u8::try_from(id.len()).context("key id too long")?;
        let mut out = Vec::with_capacity(MAGIC.len() + 1 + id.len() + NONCE_LEN + buf.len());
        out.extend_from_slice(MAGIC);
        out.push(id_len);
        out.extend_from_slice(id.as_bytes());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&buf);
        Ok(out)
    }

    pub fn encrypt_str(&self, plaintext: &str, slot: Slot<'_>) -> anyhow::Result<Vec<u8>> {
        self.encrypt(plaintext.as_bytes(), slot)
    }

    /// The key id a ciphertext names, without decrypting it.
    pub fn key_id_of(blob: &[u8]) -> Option<&str> {
        let rest = blob.strip_prefix(MAGIC.as_slice())?;
        let (&len, rest) = rest.split_first()?;
        std::str::from_utf8(rest.get(..usize::from(len))?).ok()
    }

    pub fn decrypt(&self, blob: &[u8], slot: Slot<'_>) -> anyhow::Result<Vec<u8>> {
        let id = Self::key_id_of(blob).context("not a leadgen ciphertext")?;
        let (_, key) =
            self.keys.iter().find(|(k, _)| k == id).with_context(|| {
                format!("ciphertext uses key {id:?}, which is not in the key ring")
            })?;
        let start = MAGIC.len() + 1 + id.len();
        let nonce_bytes: [u8; NONCE_LEN] = blob
            .get(start..start + NONCE_LEN)
            .context("ciphertext too short")?
            .try_into()?;
        let mut buf = blob
            .get(start + NONCE_LEN..)
            .context("ciphertext too short")?
            .to_vec();
        let plain = key
            .open_in_place(
                Nonce::assume_unique_for_key(nonce_bytes),
                Aad::from(slot.aad()),
                &mut buf,
            )
            .map_err(|_| {
                anyhow!(
                    "ciphertext does not authenticate for {}.{}",
                    slot.table,
                    slot.column
                )
            })?;
        Ok(plain.to_vec())
    }

    pub fn decrypt_str(&self, blob: &[u8], slot: Slot<'_>) -> anyhow::Result<String> {
        String::from_utf8(self.decrypt(blob, slot)?).context("decrypted value is not UTF-8")
    }

    /// Re-encrypts to the active key; `None` when the blob already uses it.
    pub fn reencrypt(&self, blob: &[u8], slot: Slot<'_>) -> anyhow::Result<Option<Vec<u8>>> {
        if Self::key_id_of(blob) == Some(self.active_id()) {
            return Ok(None);
        }
        let plain = self.decrypt(blob, slot)?;
        Ok(Some(self.encrypt(&plain, slot)?))
    }
}

/// `n` random bytes from the OS.
pub fn random_bytes(n: usize) -> Vec<u8> {
    let mut v = vec![0u8; n];
    // SystemRandom only fails when the OS has no entropy source, which the process cannot survive anyway.
    if SystemRandom::new().fill(&mut v).is_err() {
        use rand::RngCore;
        rand::rngs::OsRng.fill_bytes(&mut v);
    }
    v
}

/// A random URL-safe token with a readable prefix, e.g. `lg_pat_…`.
pub fn random_token(prefix: &str, bytes: usize) -> String {
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(random_bytes(bytes)))
}

pub fn random_key_b64() -> String {
    STANDARD.encode(random_bytes(32))
}

/// SHA-256 hex of a high-entropy token (sessions, API and refresh tokens, pending logins).
pub fn sha256_hex(data: &str) -> String {
    hex::encode(Sha256::digest(data.as_bytes()))
}

/// HMAC-SHA256 hex under the server's hash key: for low-entropy secrets such as backup codes, so a database dump
/// alone cannot be brute-forced.
pub fn keyed_hash(key: &[u8], data: &str) -> String {
    match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(data.as_bytes());
            hex::encode(mac.finalize().into_bytes())
        }
        // HMAC takes keys of any length; this arm is unreachable in practice.
        Err(_) => sha256_hex(data),
    }
}

pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(active: &str) -> KeyRing {
        KeyRing::new(
            vec![("k1".into(), vec![1u8; 32]), ("k2".into(), vec![2u8; 32])],
            active,
        )
        .unwrap()
    }
    const SLOT: Slot<'static> = Slot {
        table: "users",
        column: "totp_secret",
        row_id: "u1",
    };

    #[test]
    fn round_trip_and_key_id() {
        let r = ring("k1");
        let blob = r.encrypt(b"JBSWY3DPEHPK3PXP", SLOT).unwrap();
        assert_eq!(KeyRing::key_id_of(&blob), Some("k1"));
        assert!(!blob.windows(16).any(|w| w == b"JBSWY3DPEHPK3PXP"));
        assert_eq!(r.decrypt(&blob, SLOT).unwrap(), b"JBSWY3DPEHPK3PXP");
    }

    #[test]
    fn nonces_are_random() {
        let r = ring("k1");
        assert_ne!(
            r.encrypt(b"x", SLOT).unwrap(),
            r.encrypt(b"x", SLOT).unwrap()
        );
    }

    #[test]
    fn bound_to_row_and_column() {
        let r = ring("k1");
        let blob = r.encrypt(b"secret", SLOT).unwrap();
        assert!(r
            .decrypt(
                &blob,
                Slot {
                    row_id: "u2",
                    ..SLOT
                }
            )
            .is_err());
        assert!(r
            .decrypt(
                &blob,
                Slot {
                    column: "other",
                    ..SLOT
                }
            )
            .is_err());
    }

    #[test]
    fn tampering_is_detected() {
        let r = ring("k1");
        let mut blob = r.encrypt(b"secret", SLOT).unwrap();
        let last = blob.len() - 1;
        blob[last] ^= 1;
        assert!(r.decrypt(&blob, SLOT).is_err());
    }

    #[test]
    fn old_keys_stay_readable_and_rotation_moves_to_active() {
        let old = ring("k1").encrypt(b"secret", SLOT).unwrap();
        let r2 = ring("k2");
        assert_eq!(r2.decrypt(&old, SLOT).unwrap(), b"secret");
        let new = r2.reencrypt(&old, SLOT).unwrap().unwrap();
        assert_eq!(KeyRing::key_id_of(&new), Some("k2"));
        assert!(r2.reencrypt(&new, SLOT).unwrap().is_none());
        let only_k1 = KeyRing::new(vec![("k1".into(), vec![1u8; 32])], "k1").unwrap();
        assert!(only_k1.decrypt(&new, SLOT).is_err());
    }

    #[test]
    fn rejects_bad_key_specs() {
        assert!(KeyRing::new(vec![("k1".into(), vec![1u8; 31])], "k1").is_err());
        assert!(KeyRing::new(vec![("k1".into(), vec![1u8; 32])], "k9").is_err());
        assert!(KeyRing::parse_keys("k1-no-colon").is_err());
        let parsed =
            KeyRing::parse_keys(&format!("a:{},b:{}", random_key_b64(), random_key_b64())).unwrap();
        assert_eq!(parsed.len(), 2);
    }

    #[test]
    fn keyed_hash_depends_on_key() {
        assert_ne!(keyed_hash(b"a", "code"), keyed_hash(b"b", "code"));
        assert_eq!(keyed_hash(b"a", "code"), keyed_hash(b"a", "code"));
        assert!(ct_eq(b"abc", b"abc") && !ct_eq(b"abc", b"abd"));
    }
}
