//! Short-lived JWT access tokens for scripts (HS256 pinned; iss, aud, typ, exp, user and token version).

use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use leadgen_core::{ApiError, ApiResult, ErrorCode};
use serde::{Deserialize, Serialize};

pub const ISSUER: &str = "leadgen";
pub const AUDIENCE: &str = "leadgen-api";
pub const TYP: &str = "access";

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    pub typ: String,
    /// The user's token version when issued; a password change or "log out everywhere" bumps it.
    pub tv: i64,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
    /// The refresh-token family it was issued with: when the family is revoked (a spent refresh token came back),
    /// the access tokens issued from it stop working too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fam: Option<String>,
}

pub fn issue(
    key: &[u8],
    user_id: &str,
    token_version: i64,
    ttl_secs: u32,
    family: &str,
) -> ApiResult<String> {
    let now = chrono::Utc::now().timestamp();
    let claims = Claims {
        iss: ISSUER.into(),
        aud: AUDIENCE.into(),
        sub: user_id.into(),
        typ: TYP.into(),
        tv: token_version,
        iat: now,
        exp: now + i64::from(ttl_secs),
        jti: uuid::Uuid::new_v4().to_string(),
        fam: Some(family.into()),
    };
    encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(key),
    )
    .map_err(ApiError::internal)
}

pub fn verify(key: &[u8], token: &str) -> ApiResult<Claims> {
    let mut v = Validation::new(Algorithm::HS256);
    v.set_issuer(&[ISSUER]);
    v.set_audience(&[AUDIENCE]);
    v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    v.leeway = 5;
    let data = decode::<Claims>(token, &DecodingKey::from_secret(key), &v)
        .map_err(|e| ApiError::new(ErrorCode::Unauthenticated).with_cause(e))?;
    if data.claims.typ != TYP {
        return Err(ApiError::new(ErrorCode::Unauthenticated));
    }
    Ok(data.claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_rejections() {
        let key = b"0123456789abcdef0123456789abcdef";
        let t = issue(key, "u1", 3, 60, "f1").unwrap();
        let c = verify(key, &t).unwrap();
        assert_eq!(
            (c.sub.as_str(), c.tv, c.fam.as_deref()),
            ("u1", 3, Some("f1"))
        );
        assert!(verify(b"another-key-another-key-another!", &t).is_err());
        // alg=none must not pass.
        let parts: Vec<&str> = t.split('.').collect();
        let none = format!(
            "{}.{}.",
            base64_url(r#"{"alg":"none","typ":"JWT"}"#),
            parts[1]
        );
        assert!(verify(key, &none).is_err());
    }

    fn base64_url(s: &str) -> String {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
    }
}
