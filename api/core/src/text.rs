//! Rules for text that comes in, the same for every field and both databases.
//!
//! - **Control characters**: NUL and the other C0 controls (U+0000–U+001F) and DEL (U+007F) are refused with a 422
//!   naming the field; tab, line feed and carriage return are text. (PostgreSQL cannot store NUL; the others are
//!   invisible and only ever arrive by accident or on purpose.) Checked where input is read: JSON bodies and query
//!   parameters (`crate::…extract` in the server), JSON carried in a parameter (the leads filter) and CSV cells.
//! - **Surrounding whitespace**: values are stored as entered apart from spaces around them and line breaks after
//!   them; a leading tab or line break is kept (in a spreadsheet it makes a cell text, so trimming it would change
//!   what the value means).

use crate::ApiError;
use serde_json::Value;

/// The error code of a refused control character (in `details.fields.<field>[].code`).
pub const CONTROL_CHARACTER: &str = "control_character";

/// Whether `c` is refused in text.
pub fn is_forbidden_control(c: char) -> bool {
    (c.is_ascii_control() && !matches!(c, '\t' | '\n' | '\r')) || c == '\u{7f}'
}

/// The first refused control character in `s`.
pub fn forbidden_control(s: &str) -> Option<char> {
    s.chars().find(|c| is_forbidden_control(*c))
}

/// The message naming a refused character, e.g. "Contains a control character (U+0000), which is not allowed in text."
pub fn control_message(c: char) -> String {
    format!(
        "Contains a control character (U+{:04X}), which is not allowed in text.",
        u32::from(c)
    )
}

/// A 422 for `field` when `s` holds a refused control character.
pub fn check_field(field: &str, s: &str) -> Result<(), ApiError> {
    match forbidden_control(s) {
        Some(c) => Err(ApiError::field(
            field,
            CONTROL_CHARACTER,
            control_message(c),
        )),
        None => Ok(()),
    }
}

/// The path (`notes`, `state.columns[1]`, `ids[3]`) of the first string or key in `v` that holds a refused control
/// character, and the character. `path` is where `v` sits (empty at the top).
pub fn find_in_json(v: &Value, path: &str) -> Option<(String, char)> {
    match v {
        Value::String(s) => forbidden_control(s).map(|c| (path.to_owned(), c)),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| find_in_json(item, &format!("{path}[{i}]"))),
        Value::Object(map) => map.iter().find_map(|(k, item)| {
            let here = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            match forbidden_control(k) {
                Some(c) => Some((here, c)),
                None => find_in_json(item, &here),
            }
        }),
        _ => None,
    }
}

/// A 422 naming the first place in `v` that holds a refused control character; `field` names `v` itself (empty
/// for a whole request body).
pub fn check_json(field: &str, v: &Value) -> Result<(), ApiError> {
    match find_in_json(v, field) {
        Some((path, c)) => {
            let path = if path.is_empty() { "body".into() } else { path };
            Err(ApiError::field(
                &path,
                CONTROL_CHARACTER,
                control_message(c),
            ))
        }
        None => Ok(()),
    }
}

/// `s` without the spaces around it and the line breaks after it; a leading tab or line break stays.
pub fn trim(s: &str) -> &str {
    s.trim_start_matches(|c: char| c.is_whitespace() && !matches!(c, '\t' | '\n' | '\r'))
        .trim_end()
}

/// `n` with its noun: "1 lead", "2 leads" (`many` is the plural).
pub fn count(n: impl Into<i64>, one: &str, many: &str) -> String {
    let n = n.into();
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    #[test]
    fn count_says_one_or_many() {
        assert_eq!(super::count(1, "lead", "leads"), "1 lead");
        assert_eq!(super::count(0, "lead", "leads"), "0 leads");
        assert_eq!(super::count(2_i32, "contact", "contacts"), "2 contacts");
    }

    use super::*;
    use serde_json::json;

    #[test]
    fn controls_but_tab_and_line_breaks_are_refused() {
        assert_eq!(forbidden_control("a\u{0}b"), Some('\u{0}'));
        assert_eq!(forbidden_control("ring\u{7}"), Some('\u{7}'));
        assert_eq!(forbidden_control("del\u{7f}"), Some('\u{7f}'));
        assert_eq!(forbidden_control("line 1\r\nline 2\tend"), None);
        assert_eq!(forbidden_control("Grüße 🥨 \u{a0}"), None);
    }

    #[test]
    fn json_paths_name_the_field() {
        let v = json!({"name": "ok", "state": {"columns": ["a", "b\u{1b}"]}});
        assert_eq!(
            find_in_json(&v, ""),
            Some(("state.columns[1]".into(), '\u{1b}'))
        );
        assert_eq!(
            find_in_json(&json!({"a\u{0}": 1}), ""),
            Some(("a\u{0}".into(), '\u{0}'))
        );
        assert_eq!(find_in_json(&json!(["x", 1, null]), "ids"), None);
    }

    #[test]
    fn trimming_keeps_a_leading_tab_or_line_break() {
        assert_eq!(trim("  Anna  "), "Anna");
        assert_eq!(trim("\t=1+1"), "\t=1+1");
        assert_eq!(trim(" \r=1+1 \n"), "\r=1+1");
        assert_eq!(trim("notes\r\n"), "notes");
        assert_eq!(trim(" \u{a0}x"), "x");
    }
}
