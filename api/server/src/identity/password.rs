//! bcrypt on the blocking pool. Passwords over 72 bytes are refused, never truncated.

use leadgen_core::password::MAX_BYTES;
use leadgen_core::{ApiError, ApiResult};

pub async fn hash(password: String, cost: u32) -> ApiResult<String> {
    if password.len() > MAX_BYTES {
        return Err(leadgen_core::password::to_error(
            "password",
            &[leadgen_core::password::Rule {
                code: "too_long",
                message: format!("At most {MAX_BYTES} bytes"),
            }],
        ));
    }
    tokio::task::spawn_blocking(move || bcrypt::hash(password, cost))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)
}

pub fn hash_blocking(password: &str, cost: u32) -> anyhow::Result<String> {
    anyhow::ensure!(
        password.len() <= MAX_BYTES,
        "password longer than {MAX_BYTES} bytes"
    );
    Ok(bcrypt::hash(password, cost)?)
}

/// False for a wrong password, a malformed hash, or a password bcrypt would have to truncate.
pub async fn verify(password: String, hash: String) -> ApiResult<bool> {
    if password.len() > MAX_BYTES {
        return Ok(false);
    }
    tokio::task::spawn_blocking(move || bcrypt::verify(password, &hash).unwrap_or(false))
        .await
        .map_err(ApiError::internal)
}

/// A readable temporary password: 4 groups of 5 characters from an unambiguous alphabet (~98 bits).
pub fn temporary() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let bytes = leadgen_core::crypto::random_bytes(20);
    let chars: Vec<char> = bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect();
    chars
        .chunks(5)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}
