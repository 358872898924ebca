//! Argon2id password hashes (RustCrypto's `argon2`, OWASP's parameters: 19 MiB, 2 passes, one
//! lane), computed on tokio's blocking threads so a sign-in never stalls the async workers.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use async_trait::async_trait;
use osp_core::ports::PasswordHasher;

#[derive(Clone, Copy, Debug, Default)]
pub struct Argon2Hasher;

fn argon2() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::default())
}

#[async_trait]
impl PasswordHasher for Argon2Hasher {
    async fn hash(&self, password: &str) -> Result<String, String> {
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || {
            let salt = SaltString::generate(&mut OsRng);
            argon2()
                .hash_password(password.as_bytes(), &salt)
                .map(|h| h.to_string())
                .map_err(|e| format!("the password could not be hashed: {e}"))
        })
        .await
        .map_err(|e| format!("the password hashing task failed: {e}"))?
    }

    async fn verify(&self, password: &str, hash: &str) -> bool {
        let (password, hash) = (password.to_owned(), hash.to_owned());
        tokio::task::spawn_blocking(move || {
            PasswordHash::new(&hash)
                .map(|parsed| {
                    argon2()
                        .verify_password(password.as_bytes(), &parsed)
                        .is_ok()
                })
                .unwrap_or(false)
        })
        .await
        .unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_salted_argon2id_and_verify_only_the_password() {
        let hasher = Argon2Hasher;
        let first = hasher.hash("correct horse battery").await.unwrap();
        let second = hasher.hash("correct horse battery").await.unwrap();
        assert!(
            first.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{first}"
        );
        assert_ne!(first, second, "each hash has its own salt");
        assert!(!first.contains("correct horse"));
        assert!(hasher.verify("correct horse battery", &first).await);
        assert!(!hasher.verify("correct horse batterY", &first).await);
        assert!(!hasher.verify("correct horse battery", "not a hash").await);
    }
}
