//! Shared foundations of leadgen: settings, the error type, the key ring, hashing and password rules.

pub mod clock;
pub mod config;
pub mod contacts;
pub mod crypto;
pub mod error;
pub mod password;
pub mod secrets;
pub mod text;

pub use error::{ApiError, ApiResult, ErrorCode};
