//! Input extractors that name the offending field: `Body<T>` (JSON, then `validator`) and `Params<T>` (query).

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use leadgen_core::{ApiError, ErrorCode};
use serde::de::DeserializeOwned;
use validator::Validate;

fn deserialize_error(path: String, inner: &str) -> ApiError {
    // serde names a missing field in its message, not in the path.
    let field = inner
        .strip_prefix("missing field `")
        .and_then(|s| s.split('`').next())
        .map(str::to_owned)
        .unwrap_or_else(|| if path == "." { String::new() } else { path });
    let message = inner.split(" at line ").next().unwrap_or(inner).to_owned();
    if field.is_empty() {
        ApiError::msg(
            ErrorCode::BadRequest,
            format!("The body is not valid: {message}"),
        )
    } else {
        ApiError::field(&field, "invalid", format!("{message}."))
    }
}

async fn read_json<T: DeserializeOwned>(
    is_json: bool,
    bytes: impl std::future::Future<Output = Result<Bytes, actix_web::Error>>,
) -> Result<T, ApiError> {
    if !is_json {
        return Err(ApiError::msg(
            ErrorCode::BadRequest,
            "Send the body as application/json.",
        ));
    }
    let bytes = bytes.await.map_err(|e| {
        if e.as_response_error().status_code() == actix_web::http::StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(ErrorCode::PayloadTooLarge)
        } else {
            ApiError::new(ErrorCode::BadRequest).with_cause(anyhow::anyhow!(e.to_string()))
        }
    })?;
    let de = &mut serde_json::Deserializer::from_slice(&bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        if e.inner().is_syntax() || e.inner().is_eof() {
            ApiError::msg(
                ErrorCode::BadRequest,
                format!("The body is not valid JSON: {}", e.inner()),
            )
        } else {
            deserialize_error(e.path().to_string(), &e.inner().to_string())
        }
    })
}

fn is_json(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|ct| ct.starts_with("application/json"))
        .unwrap_or(false)
}

/// A JSON body, deserialised with the failing field's path and then validated.
pub struct Body<T>(pub T);

impl<T: DeserializeOwned + Validate + 'static> FromRequest for Body<T> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let json = is_json(req);
        let bytes = Bytes::from_request(req, payload);
        Box::pin(async move {
            let value: T = read_json(json, bytes).await?;
            value.validate().map_err(ApiError::from)?;
            Ok(Body(value))
        })
    }
}

/// A JSON body whose checks live in the domain (it validates while normalising); only the shape is checked here.
pub struct Shape<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for Shape<T> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let json = is_json(req);
        let bytes = Bytes::from_request(req, payload);
        Box::pin(async move { Ok(Shape(read_json(json, bytes).await?)) })
    }
}

/// Query parameters, with the failing parameter named.
pub struct Params<T>(pub T);

impl<T: DeserializeOwned + Validate + 'static> FromRequest for Params<T> {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(
            req.query_string().as_bytes(),
        ));
        let result = serde_path_to_error::deserialize::<_, T>(de)
            .map_err(|e| {
                let path = e.path().to_string();
                let field = if path == "." {
                    "query".to_owned()
                } else {
                    path
                };
                ApiError::field(&field, "invalid", format!("{}.", e.inner()))
            })
            .and_then(|v: T| v.validate().map(|_| v).map_err(ApiError::from))
            .map(Params)
            .map_err(actix_web::Error::from);
        std::future::ready(result)
    }
}
