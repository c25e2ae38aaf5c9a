//! Input extractors that name the offending field: `Body<T>` (JSON, then `validator`) and `Params<T>` (query).
//! This is where text comes in, so the rule for control characters (`leadgen_core::text`) is applied here: to every
//! string and key of a JSON body, every query parameter, JSON carried in a parameter (`check_json_param`) and,
//! by `refuse_control_in_path`, the request path.

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::{FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use leadgen_core::{text, ApiError, ApiResult, ErrorCode};
use serde::de::DeserializeOwned;
use serde_json::Value;
use validator::Validate;

/// Whether JSON text may hold a refused control character: DEL raw, or the others escaped (`\u001b`, `\b`,
/// `\f`; raw ones are not valid JSON). Most bodies have none, and skip the closer look.
fn may_hold_control(json: &[u8]) -> bool {
    json.contains(&0x7f)
        || json
            .windows(2)
            .any(|w| w[0] == b'\\' && matches!(w[1], b'u' | b'b' | b'f'))
}

fn syntax_error(e: &serde_json::Error) -> ApiError {
    ApiError::msg(
        ErrorCode::BadRequest,
        format!("The body is not valid JSON: {e}"),
    )
}

/// JSON carried in a query parameter (e.g. the leads `filter`): a 422 naming the parameter when a string in it
/// holds a refused control character. Text that is not JSON is left for the caller to refuse.
pub fn check_json_param(param: &str, json: &str) -> Result<(), ApiError> {
    if !may_hold_control(json.as_bytes()) {
        return Ok(());
    }
    let Ok(v) = serde_json::from_str::<Value>(json) else {
        return Ok(());
    };
    match text::find_in_json(&v, "") {
        Some((path, c)) => Err(ApiError::field(
            param,
            text::CONTROL_CHARACTER,
            if path.is_empty() {
                text::control_message(c)
            } else {
                format!("{path}: {}", text::control_message(c))
            },
        )),
        None => Ok(()),
    }
}

/// A path with a control character (`/api/v1/leads/a%00b`) names nothing: 404, before any handler (or database)
/// sees it. Control characters are single bytes in UTF-8, so the escapes `%00`–`%1F` and `%7F` are all there is.
pub async fn refuse_control_in_path(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let path = req.path().as_bytes();
    let control = path.windows(3).any(|w| {
        w[0] == b'%'
            && w[2].is_ascii_hexdigit()
            && (matches!(w[1], b'0' | b'1') || (w[1] == b'7' && matches!(w[2], b'f' | b'F')))
    });
    if control {
        return Err(ApiError::not_found().into());
    }
    next.call(req).await
}

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
            ErrorCode::UnsupportedMediaType,
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
    if may_hold_control(&bytes) {
        let value: Value = serde_json::from_slice(&bytes).map_err(|e| syntax_error(&e))?;
        text::check_json("", &value)?;
        return serde_path_to_error::deserialize(value)
            .map_err(|e| deserialize_error(e.path().to_string(), &e.inner().to_string()));
    }
    let de = &mut serde_json::Deserializer::from_slice(&bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        if e.inner().is_syntax() || e.inner().is_eof() {
            syntax_error(e.inner())
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
        std::future::ready(
            parse_query(req.query_string())
                .map(Params)
                .map_err(actix_web::Error::from),
        )
    }
}

/// Reads and validates query parameters (what [`Params`] does), naming the failing parameter.
pub fn parse_query<T: DeserializeOwned + Validate>(query: &str) -> ApiResult<T> {
    let query = query.as_bytes();
    form_urlencoded::parse(query).try_for_each(|(name, value)| {
        text::check_field("query", &name)?;
        text::check_field(&name, &value)
    })?;
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query));
    serde_path_to_error::deserialize::<_, T>(de)
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
}
