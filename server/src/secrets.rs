//! Secrets at rest: the Kite API secret and access tokens are stored encrypted with AES-256-GCM
//! (RustCrypto's `aes-gcm`), a fresh random nonce per value, as `v1:` + base64(nonce ‖
//! ciphertext ‖ tag). The key comes from `secrets.key` (base64 of 32 random bytes); outside
//! production, without one, a key file is made in the data directory (`secrets.key`, readable
//! by its owner only). In production start-up refuses to run without a configured key.

use std::path::Path;

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use secrecy::{ExposeSecret, SecretString};

const PREFIX: &str = "v1:";
const NONCE_LEN: usize = 12;
/// The key file made outside production when none is configured.
pub const KEY_FILE: &str = "secrets.key";

#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    #[error(
        "secrets.key is not set: production stores Kite secrets only encrypted, with a key you \
         keep; set OSP__SECRETS__KEY to the output of `openssl rand -base64 32`"
    )]
    MissingKey,
    #[error("secrets.key must be base64 of exactly 32 bytes (`openssl rand -base64 32` makes one)")]
    BadKey,
    #[error("cannot read or write the key file {path}: {source}")]
    KeyFile {
        path: String,
        source: std::io::Error,
    },
    #[error(
        "a stored secret cannot be decrypted: it was written with another secrets.key, or it was \
         changed; enter it again"
    )]
    Undecryptable,
}

/// Encrypts and decrypts secrets for the database.
#[derive(Clone)]
pub struct SecretBox {
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(..)")
    }
}

fn key_from_base64(text: &str) -> Result<[u8; 32], SecretsError> {
    let bytes = STANDARD
        .decode(text.trim())
        .map_err(|_| SecretsError::BadKey)?;
    bytes.try_into().map_err(|_| SecretsError::BadKey)
}

impl SecretBox {
    pub fn from_key(key: &[u8; 32]) -> SecretBox {
        SecretBox {
            cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key)),
        }
    }

    /// The configured key; or, when `allow_key_file`, the data directory's key file (made on
    /// first use).
    pub fn load(
        configured: Option<&SecretString>,
        data_dir: &Path,
        allow_key_file: bool,
    ) -> Result<SecretBox, SecretsError> {
        if let Some(key) = configured {
            return Ok(SecretBox::from_key(&key_from_base64(key.expose_secret())?));
        }
        if !allow_key_file {
            return Err(SecretsError::MissingKey);
        }
        let path = data_dir.join(KEY_FILE);
        let file_error = |source| SecretsError::KeyFile {
            path: path.display().to_string(),
            source,
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(SecretBox::from_key(&key_from_base64(&text)?)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::fs::create_dir_all(data_dir).map_err(file_error)?;
                let key = Aes256Gcm::generate_key(OsRng);
                write_private(&path, &STANDARD.encode(key)).map_err(file_error)?;
                tracing::warn!(
                    path = %path.display(),
                    "no secrets.key configured: made a key file for this data directory (set secrets.key in production)"
                );
                Ok(SecretBox::from_key(&key.into()))
            }
            Err(e) => Err(file_error(e)),
        }
    }

    pub fn seal(&self, plain: &str) -> String {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let sealed = self
            .cipher
            .encrypt(&nonce, plain.as_bytes())
            .expect("AES-GCM encryption of a short secret cannot fail");
        let mut bytes = nonce.to_vec();
        bytes.extend_from_slice(&sealed);
        format!("{PREFIX}{}", STANDARD.encode(bytes))
    }

    pub fn open(&self, sealed: &str) -> Result<SecretString, SecretsError> {
        let bytes = sealed
            .strip_prefix(PREFIX)
            .and_then(|b| STANDARD.decode(b).ok())
            .filter(|b| b.len() > NONCE_LEN)
            .ok_or(SecretsError::Undecryptable)?;
        let (nonce, body) = bytes.split_at(NONCE_LEN);
        let plain = self
            .cipher
            .decrypt(Nonce::from_slice(nonce), body)
            .map_err(|_| SecretsError::Undecryptable)?;
        String::from_utf8(plain)
            .map(SecretString::from)
            .map_err(|_| SecretsError::Undecryptable)
    }
}

/// Writes `text` to a new file only its owner can read.
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn boxed() -> SecretBox {
        SecretBox::from_key(&[7; 32])
    }

    #[test]
    fn round_trips_with_a_fresh_nonce_each_time() {
        let b = boxed();
        let one = b.seal("the access token");
        let two = b.seal("the access token");
        assert!(one.starts_with("v1:"));
        assert_ne!(one, two, "a nonce of its own per value");
        assert!(!one.contains("access"));
        assert_eq!(b.open(&one).unwrap().expose_secret(), "the access token");
    }

    #[test]
    fn another_key_or_a_changed_byte_cannot_open_it() {
        let sealed = boxed().seal("secret");
        let other = SecretBox::from_key(&[8; 32]);
        assert!(matches!(
            other.open(&sealed),
            Err(SecretsError::Undecryptable)
        ));
        let mut bytes = STANDARD.decode(&sealed[3..]).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        let tampered = format!("v1:{}", STANDARD.encode(bytes));
        assert!(matches!(
            boxed().open(&tampered),
            Err(SecretsError::Undecryptable)
        ));
        assert!(boxed().open("plain text").is_err());
    }

    #[test]
    fn production_needs_a_configured_key_and_elsewhere_a_key_file_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            SecretBox::load(None, dir.path(), false),
            Err(SecretsError::MissingKey)
        ));
        let bad = SecretString::from("not base64 of 32 bytes");
        assert!(matches!(
            SecretBox::load(Some(&bad), dir.path(), false),
            Err(SecretsError::BadKey)
        ));
        let first = SecretBox::load(None, dir.path(), true).unwrap();
        let sealed = first.seal("kept");
        // The same file next time: what was sealed opens.
        let again = SecretBox::load(None, dir.path(), true).unwrap();
        assert_eq!(again.open(&sealed).unwrap().expose_secret(), "kept");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let configured = SecretString::from(STANDARD.encode([9u8; 32]));
        assert!(SecretBox::load(Some(&configured), dir.path(), false).is_ok());
    }
}
