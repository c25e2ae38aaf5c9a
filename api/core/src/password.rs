//! Password rules, shared by every place a password is set. Whether the new password equals the current one is
//! checked by the caller (it needs the stored hash).

use serde::Serialize;
use std::collections::HashSet;
use std::sync::LazyLock;

pub const MIN_CHARS: usize = 12;
/// bcrypt reads at most 72 bytes; longer passwords are refused rather than silently truncated.
pub const MAX_BYTES: usize = 72;

static COMMON: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("../data/common-passwords.txt")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .collect()
});

#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Rule {
    pub code: &'static str,
    pub message: String,
}

/// The rules, in the order the UI lists them.
pub fn rules() -> Vec<Rule> {
    vec![
        Rule {
            code: "too_short",
            message: format!("At least {MIN_CHARS} characters"),
        },
        Rule {
            code: "too_long",
            message: format!("At most {MAX_BYTES} bytes"),
        },
        Rule {
            code: "same_as_username",
            message: "Not your username".into(),
        },
        Rule {
            code: "too_common",
            message: "Not a commonly used password".into(),
        },
        Rule {
            code: "same_as_current",
            message: "Different from your current password".into(),
        },
    ]
}

fn rule(code: &str) -> Rule {
    rules()
        .into_iter()
        .find(|r| r.code == code)
        .unwrap_or(Rule {
            code: "invalid",
            message: "Not allowed".into(),
        })
}

/// True when the password, lower-cased and with trailing digits and symbols removed, is a common password.
pub fn is_common(password: &str) -> bool {
    let lower = password.to_lowercase();
    if COMMON.contains(lower.as_str()) {
        return true;
    }
    let stem = lower.trim_end_matches(|c: char| !c.is_alphabetic());
    (stem.len() >= 4 && stem.len() < lower.len() && COMMON.contains(stem))
        || lower.chars().all(|c| lower.starts_with(c))
}

/// Every rule the password breaks (empty when it is acceptable).
pub fn check(password: &str, username: &str) -> Vec<Rule> {
    let mut broken = Vec::new();
    if password.chars().count() < MIN_CHARS {
        broken.push(rule("too_short"));
    }
    if password.len() > MAX_BYTES {
        broken.push(rule("too_long"));
    }
    if !username.is_empty() && password.trim().eq_ignore_ascii_case(username.trim()) {
        broken.push(rule("same_as_username"));
    }
    if is_common(password) {
        broken.push(rule("too_common"));
    }
    broken
}

/// Turns broken rules into the 422 the API returns, naming `field`.
pub fn to_error(field: &str, broken: &[Rule]) -> crate::ApiError {
    let list: Vec<serde_json::Value> = broken
        .iter()
        .map(|r| serde_json::json!({ "code": r.code, "message": r.message }))
        .collect();
    crate::ApiError::new(crate::ErrorCode::ValidationFailed)
        .with_details(serde_json::json!({ "fields": { field: list } }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(p: &str, u: &str) -> Vec<&'static str> {
        check(p, u).into_iter().map(|r| r.code).collect()
    }

    #[test]
    fn accepts_a_good_password() {
        assert!(codes("correct horse battery staple", "admin").is_empty());
        assert!(codes("Grüne Wiese 2026 🌿", "admin").is_empty());
    }

    #[test]
    fn length_rules_count_chars_and_bytes() {
        assert_eq!(codes("short1!A", "x"), vec!["too_short"]);
        assert_eq!(codes(&"éx".repeat(25), "x"), vec!["too_long"]);
        assert!(codes(&"ab".repeat(36), "x").is_empty());
        assert_eq!(codes(&"ab".repeat(37), "x"), vec!["too_long"]);
    }

    #[test]
    fn username_and_common_passwords() {
        assert!(codes("administrator1", "Administrator1").contains(&"same_as_username"));
        assert!(codes("1qaz2wsx3edc", "x").contains(&"too_common"));
        assert!(codes("Password123456", "x").contains(&"too_common"));
        assert!(codes("aaaaaaaaaaaaaa", "x").contains(&"too_common"));
    }
}
