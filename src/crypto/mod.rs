//! Encryption at rest: AES-256-GCM with a key id written beside every value, so keys can be
//! rotated (new values use the first key; old values still open with theirs).

pub mod jwt;

use std::collections::HashMap;
use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rand::RngCore;

/// Stored values look like `enc1:<key id>:<base64url(nonce ‖ ciphertext)>`.
const PREFIX: &str = "enc1";

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("encryption key setting is malformed: {0}")]
    BadKeySetting(String),
    #[error("no key with id {0} to decrypt a stored value")]
    UnknownKey(String),
    #[error("a stored value could not be decrypted (corrupt, or moved to another row)")]
    Undecryptable,
    #[error("cannot read or write the key file {path}: {source}")]
    KeyFile { path: String, source: std::io::Error },
}

/// The keys that seal secrets and personal data in the store.
pub struct Cipher {
    active: String,
    keys: HashMap<String, Aes256Gcm>,
}

impl std::fmt::Debug for Cipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Cipher {{ active: {}, keys: {} }}", self.active, self.keys.len())
    }
}

impl Cipher {
    /// From `id:base64key,id2:base64key2` (32-byte keys); the first encrypts.
    pub fn from_setting(setting: &str) -> Result<Self, CryptoError> {
        let mut active = None;
        let mut keys = HashMap::new();
        for entry in setting.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (id, b64) = entry
                .split_once(':')
                .ok_or_else(|| CryptoError::BadKeySetting("each key is id:base64".into()))?;
            if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
                return Err(CryptoError::BadKeySetting(format!(
                    "key id {id:?} must be letters, digits, - or _"
                )));
            }
            let bytes = STANDARD
                .decode(b64)
                .or_else(|_| URL_SAFE_NO_PAD.decode(b64))
                .map_err(|_| CryptoError::BadKeySetting(format!("key {id} is not base64")))?;
            let cipher = Aes256Gcm::new_from_slice(&bytes)
                .map_err(|_| CryptoError::BadKeySetting(format!("key {id} must be 32 bytes")))?;
            active.get_or_insert_with(|| id.to_owned());
            keys.insert(id.to_owned(), cipher);
        }
        let active = active.ok_or_else(|| CryptoError::BadKeySetting("no key given".into()))?;
        Ok(Self { active, keys })
    }

    /// The key file in the data directory, created with a random key on first use. Lets a
    /// sandbox run with nothing configured while data stays encrypted on disk.
    pub fn from_key_file(path: &Path) -> Result<Self, CryptoError> {
        let io = |source| CryptoError::KeyFile {
            path: path.display().to_string(),
            source,
        };
        if !path.exists() {
            if let Some(dir) = path.parent() {
                crate::private_files::create_dir(dir).map_err(io)?;
            }
            let mut key = [0u8; 32];
            rand::rng().fill_bytes(&mut key);
            let line = format!("local1:{}\n", STANDARD.encode(key));
            write_private(path, &line).map_err(io)?;
        }
        let text = std::fs::read_to_string(path).map_err(io)?;
        Self::from_setting(text.trim())
    }

    /// A fresh random key, for tests and throwaway stores.
    pub fn ephemeral() -> Self {
        let mut key = [0u8; 32];
        rand::rng().fill_bytes(&mut key);
        Self::from_setting(&format!("ephemeral:{}", STANDARD.encode(key))).expect("a generated key is valid")
    }

    /// Seals `plaintext`; `context` (e.g. `owner:fcaown_…:email`) is authenticated with it, so
    /// a value copied into another row or column will not open.
    pub fn seal(&self, plaintext: &str, context: &str) -> String {
        let cipher = &self.keys[&self.active];
        let mut nonce = [0u8; 12];
        rand::rng().fill_bytes(&mut nonce);
        let sealed = cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: context.as_bytes(),
                },
            )
            .expect("AES-GCM encryption of an in-memory buffer cannot fail");
        let mut blob = nonce.to_vec();
        blob.extend_from_slice(&sealed);
        format!("{PREFIX}:{}:{}", self.active, URL_SAFE_NO_PAD.encode(blob))
    }

    /// Opens a value made by [`Cipher::seal`] with the same `context`.
    pub fn open(&self, stored: &str, context: &str) -> Result<String, CryptoError> {
        let mut parts = stored.splitn(3, ':');
        let (prefix, kid, body) = (parts.next(), parts.next(), parts.next());
        let (Some(PREFIX), Some(kid), Some(body)) = (prefix, kid, body) else {
            return Err(CryptoError::Undecryptable);
        };
        let cipher = self
            .keys
            .get(kid)
            .ok_or_else(|| CryptoError::UnknownKey(kid.to_owned()))?;
        let blob = URL_SAFE_NO_PAD.decode(body).map_err(|_| CryptoError::Undecryptable)?;
        if blob.len() < 12 {
            return Err(CryptoError::Undecryptable);
        }
        let (nonce, sealed) = blob.split_at(12);
        let plain = cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| CryptoError::Undecryptable)?;
        String::from_utf8(plain).map_err(|_| CryptoError::Undecryptable)
    }

    /// Seals an optional value.
    pub fn seal_opt(&self, plaintext: Option<&str>, context: &str) -> Option<String> {
        plaintext.map(|p| self.seal(p, context))
    }

    /// Opens an optional value.
    pub fn open_opt(&self, stored: Option<&str>, context: &str) -> Result<Option<String>, CryptoError> {
        stored.map(|s| self.open(s, context)).transpose()
    }
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    // The mode above is masked by the umask; set it exactly.
    file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    file.write_all(text.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_in_their_context() {
        let c = Cipher::ephemeral();
        let sealed = c.seal("Jennifer Rosen", "owner:1:name");
        assert!(!sealed.contains("Jennifer"));
        assert_eq!(c.open(&sealed, "owner:1:name").unwrap(), "Jennifer Rosen");
        assert!(c.open(&sealed, "owner:2:name").is_err());
        assert_ne!(c.seal("x", "a"), c.seal("x", "a"), "nonces differ");
    }

    #[test]
    fn rotation_keeps_old_values_readable() {
        let old = Cipher::from_setting("k1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=").unwrap();
        let sealed = old.seal("secret", "ctx");
        let rotated = Cipher::from_setting(
            "k2:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=,k1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        )
        .unwrap();
        assert_eq!(rotated.open(&sealed, "ctx").unwrap(), "secret");
        assert!(rotated.seal("new", "ctx").starts_with("enc1:k2:"));
        let dropped = Cipher::from_setting("k2:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=").unwrap();
        assert!(matches!(dropped.open(&sealed, "ctx"), Err(CryptoError::UnknownKey(_))));
    }

    #[test]
    fn bad_settings_are_refused() {
        for bad in [
            "",
            "nokey",
            "k1:notbase64!!",
            "k1:AAAA",
            "bad id:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        ] {
            assert!(Cipher::from_setting(bad).is_err(), "{bad}");
        }
    }
}
