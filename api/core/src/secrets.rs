//! The server's own secrets: session cookie key, JWT key, hash key and the data key ring.
//! Taken from the settings (environment); on the SQLite default, whatever is missing is generated once into
//! `<data_dir>/secrets.json` with owner-only permissions.

use crate::config::{Backend, ConfigError, Settings};
use crate::crypto::{random_key_b64, KeyRing};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

pub struct Secrets {
    pub session_key: Vec<u8>,
    pub jwt_key: Vec<u8>,
    pub hash_key: Vec<u8>,
    pub keyring: KeyRing,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Secrets")
            .field("keyring", &self.keyring)
            .finish_non_exhaustive()
    }
}

/// The on-disk form of generated secrets.
#[derive(Serialize, Deserialize, Default)]
pub struct SecretsFile {
    pub session_key: Option<String>,
    pub jwt_secret: Option<String>,
    pub hash_key: Option<String>,
    pub data_keys: Option<String>,
    pub data_key_active: Option<String>,
}

impl SecretsFile {
    pub fn generate() -> Self {
        SecretsFile {
            session_key: Some(STANDARD.encode(crate::crypto::random_bytes(64))),
            jwt_secret: Some(random_key_b64()),
            hash_key: Some(random_key_b64()),
            data_keys: Some(format!("k1:{}", random_key_b64())),
            data_key_active: Some("k1".into()),
        }
    }

    pub fn path(data_dir: &Path) -> PathBuf {
        data_dir.join("secrets.json")
    }

    pub fn read(path: &Path) -> anyhow::Result<Option<Self>> {
        match std::fs::read_to_string(path) {
            Ok(s) => Ok(Some(serde_json::from_str(&s)?)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Writes with mode 0600 (owner only).
    pub fn write(&self, path: &Path) -> anyhow::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = path.with_extension("json.tmp");
        {
            use std::io::Write;
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create(true).truncate(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                opts.mode(0o600);
            }
            let mut f = opts.open(&tmp)?;
            f.write_all(serde_json::to_string_pretty(self)?.as_bytes())?;
            f.sync_all()?;
        }
        std::fs::rename(&tmp, path)?;
        Ok(())
    }
}

fn decode(setting: &str, value: &str, min_len: usize) -> Result<Vec<u8>, ConfigError> {
    let raw = STANDARD.decode(value.trim()).map_err(|_| ConfigError {
        setting: setting.into(),
        message: "must be base64".into(),
    })?;
    if raw.len() < min_len {
        return Err(ConfigError {
            setting: setting.into(),
            message: format!("must decode to at least {min_len} bytes"),
        });
    }
    Ok(raw)
}

impl Secrets {
    /// Resolves every secret; generates the missing ones into the data directory on SQLite.
    pub fn resolve(settings: &Settings) -> Result<Secrets, ConfigError> {
        let from_env = |s: &Option<SecretString>| s.as_ref().map(|v| v.expose_secret().to_owned());
        let mut session_key = from_env(&settings.session_key);
        let mut jwt = from_env(&settings.jwt_secret);
        let mut hash = from_env(&settings.hash_key);
        let mut keys = from_env(&settings.data_keys);
        let mut active = settings.data_key_active.clone();

        let missing = session_key.is_none() || jwt.is_none() || hash.is_none() || keys.is_none();
        if missing {
            if settings.backend()? == Backend::Postgres {
                let name = if session_key.is_none() {
                    "LEADGEN_SESSION_KEY"
                } else if jwt.is_none() {
                    "LEADGEN_JWT_SECRET"
                } else if hash.is_none() {
                    "LEADGEN_HASH_KEY"
                } else {
                    "LEADGEN_DATA_KEYS"
                };
                return Err(ConfigError {
                    setting: name.into(),
                    message: "must be set when DATABASE_URL is PostgreSQL (`leadgen admin generate-secrets` prints a set)"
                        .into(),
                });
            }
            let path = SecretsFile::path(&settings.data_dir);
            let file_err = |e: anyhow::Error| ConfigError {
                setting: "LEADGEN_DATA_DIR".into(),
                message: format!("cannot use {}: {e}", path.display()),
            };
            let file = match SecretsFile::read(&path).map_err(file_err)? {
                Some(f) => f,
                None => {
                    let f = SecretsFile::generate();
                    f.write(&path).map_err(file_err)?;
                    tracing::warn!(path = %path.display(), "generated server secrets (owner-only file); back it up with the database");
                    f
                }
            };
            session_key = session_key.or(file.session_key);
            jwt = jwt.or(file.jwt_secret);
            hash = hash.or(file.hash_key);
            if keys.is_none() {
                keys = file.data_keys;
                active = active.or(file.data_key_active);
            }
        }
        let missing = |n: &str| ConfigError {
            setting: n.into(),
            message: "is missing".into(),
        };
        let session_key = decode(
            "LEADGEN_SESSION_KEY",
            &session_key.ok_or_else(|| missing("LEADGEN_SESSION_KEY"))?,
            64,
        )?;
        let jwt_key = decode(
            "LEADGEN_JWT_SECRET",
            &jwt.ok_or_else(|| missing("LEADGEN_JWT_SECRET"))?,
            32,
        )?;
        let hash_key = decode(
            "LEADGEN_HASH_KEY",
            &hash.ok_or_else(|| missing("LEADGEN_HASH_KEY"))?,
            32,
        )?;
        let keys = keys.ok_or_else(|| missing("LEADGEN_DATA_KEYS"))?;
        let parsed = KeyRing::parse_keys(&keys).map_err(|e| ConfigError {
            setting: "LEADGEN_DATA_KEYS".into(),
            message: e.to_string(),
        })?;
        let active = match active {
            Some(a) => a,
            None => parsed
                .first()
                .map(|(id, _)| id.clone())
                .ok_or_else(|| missing("LEADGEN_DATA_KEYS"))?,
        };
        let keyring = KeyRing::new(parsed, &active).map_err(|e| ConfigError {
            setting: "LEADGEN_DATA_KEYS".into(),
            message: e.to_string(),
        })?;
        Ok(Secrets {
            session_key,
            jwt_key,
            hash_key,
            keyring,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generates_once_with_owner_only_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let settings = Settings {
            data_dir: dir.path().to_path_buf(),
            ..Settings::default()
        };
        let a = Secrets::resolve(&settings).unwrap();
        let b = Secrets::resolve(&settings).unwrap();
        assert_eq!(a.session_key, b.session_key);
        assert_eq!(a.keyring.active_id(), "k1");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(SecretsFile::path(dir.path()))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn postgres_requires_environment_secrets() {
        let settings = Settings {
            database_url: "postgres://localhost/x".into(),
            ..Settings::default()
        };
        let e = Secrets::resolve(&settings).unwrap_err();
        assert_eq!(e.setting, "LEADGEN_SESSION_KEY");
    }
}
