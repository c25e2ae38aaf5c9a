//! TOTP (RFC 6238, SHA-1, 6 digits, 30 s) with ±1 step, and backup codes.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use leadgen_core::crypto::{ct_eq, keyed_hash, random_bytes};
use leadgen_core::{ApiError, ApiResult};
use qrcode::render::svg;
use qrcode::QrCode;
use totp_rs::{Algorithm, Secret, TOTP};

pub const STEP_SECS: u64 = 30;
pub const BACKUP_CODE_COUNT: usize = 10;

fn build(secret: &[u8], issuer: &str, account: &str) -> ApiResult<TOTP> {
    TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        STEP_SECS,
        secret.to_vec(),
        Some(issuer.to_owned()),
        account.to_owned(),
    )
    .map_err(|e| ApiError::internal(anyhow::anyhow!("totp: {e}")))
}

pub fn new_secret() -> Vec<u8> {
    random_bytes(20)
}

pub fn encode_secret(secret: &[u8]) -> String {
    Secret::Raw(secret.to_vec()).to_encoded().to_string()
}

pub fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The time step the code belongs to (now, one before or one after), if any. The caller still has to claim the
/// step so it is never accepted twice.
pub fn matching_step(secret: &[u8], code: &str, at_secs: u64) -> ApiResult<Option<i64>> {
    let code = code.trim();
    if code.len() != 6 || !code.chars().all(|c| c.is_ascii_digit()) {
        return Ok(None);
    }
    let totp = build(secret, "x", "x")?;
    let step = at_secs / STEP_SECS;
    for candidate in [step.saturating_sub(1), step, step + 1] {
        let expected = totp.generate(candidate * STEP_SECS);
        if ct_eq(expected.as_bytes(), code.as_bytes()) {
            return Ok(i64::try_from(candidate).ok());
        }
    }
    Ok(None)
}

pub struct Setup {
    pub secret_b32: String,
    pub uri: String,
    pub qr_data_url: String,
}

pub fn setup(secret: &[u8], issuer: &str, account: &str) -> ApiResult<Setup> {
    let totp = build(secret, issuer, account)?;
    let uri = totp.get_url();
    let code =
        QrCode::new(uri.as_bytes()).map_err(|e| ApiError::internal(anyhow::anyhow!("qr: {e}")))?;
    let image = code
        .render::<svg::Color>()
        .min_dimensions(220, 220)
        .dark_color(svg::Color("#1f2a24"))
        .light_color(svg::Color("#ffffff"))
        .build();
    Ok(Setup {
        secret_b32: encode_secret(secret),
        uri,
        qr_data_url: format!("data:image/svg+xml;base64,{}", STANDARD.encode(image)),
    })
}

/// Ten fresh backup codes like `k7qmx-3vh9p` (50 bits each).
pub fn new_backup_codes() -> Vec<String> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    (0..BACKUP_CODE_COUNT)
        .map(|_| {
            let bytes = random_bytes(10);
            let s: String = bytes
                .iter()
                .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
                .collect();
            format!("{}-{}", &s[..5], &s[5..])
        })
        .collect()
}

/// Backup codes are compared after normalising: case, spaces and dashes do not matter.
pub fn backup_code_hash(hash_key: &[u8], code: &str) -> String {
    let normal: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_lowercase();
    keyed_hash(hash_key, &normal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_one_step_either_side_only() {
        let secret = new_secret();
        let totp = build(&secret, "i", "a").unwrap();
        let t = 1_700_000_000u64;
        let step = (t / STEP_SECS) as i64;
        for (offset, expect) in [
            (-2i64, None),
            (-1, Some(step - 1)),
            (0, Some(step)),
            (1, Some(step + 1)),
            (2, None),
        ] {
            let at = (t as i64 + offset * STEP_SECS as i64) as u64;
            let code = totp.generate(at);
            assert_eq!(
                matching_step(&secret, &code, t).unwrap(),
                expect,
                "offset {offset}"
            );
        }
        assert_eq!(matching_step(&secret, "12345a", t).unwrap(), None);
    }

    #[test]
    fn setup_has_uri_and_svg() {
        let s = setup(&new_secret(), "leadgen", "alice").unwrap();
        assert!(s.uri.starts_with("otpauth://totp/leadgen:alice?"));
        assert!(s.uri.contains(&s.secret_b32));
        assert!(s.qr_data_url.starts_with("data:image/svg+xml;base64,"));
    }

    #[test]
    fn backup_codes_are_distinct_and_normalised() {
        let codes = new_backup_codes();
        assert_eq!(codes.len(), 10);
        let set: std::collections::HashSet<_> = codes.iter().collect();
        assert_eq!(set.len(), 10);
        let k = b"key";
        assert_eq!(
            backup_code_hash(k, "ABCDE-FGHJK"),
            backup_code_hash(k, "abcde fghjk")
        );
    }
}
