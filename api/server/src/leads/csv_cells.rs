//! CSV cells a spreadsheet would evaluate. A cell starting with `=`, `+`, `-`, `@`, tab or carriage return is a
//! formula to Excel, LibreOffice and Google Sheets (`=HYPERLINK(…)`, `=cmd|' /C calc'!A0`), and lead text is
//! often written by strangers (scraped bios, names). The export puts a `'` in front of such cells (the OWASP
//! rule), which spreadsheets show as text and hide; the stored value stays as entered.
//!
//! The import takes exactly that `'` away again, so a file leadgen exported comes back with the values it held.
//! To tell the added `'` from one a user typed, the export also prefixes values that already start with `'`s
//! followed by one of those characters: a cell is neutralised when it matches `'*[=+\-@\t\r]…`, and restored
//! (one `'` removed) when it matches `'+[=+\-@\t\r]…`, so every value survives export and import unchanged.

use std::borrow::Cow;

fn triggers(s: &str) -> bool {
    s.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

/// The cell as written to an export.
pub fn neutralise(value: &str) -> Cow<'_, str> {
    if triggers(value.trim_start_matches('\'')) {
        Cow::Owned(format!("'{value}"))
    } else {
        Cow::Borrowed(value)
    }
}

/// The value a cell of an imported file stands for: without the one `'` an export added.
pub fn restore(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if triggers(rest.trim_start_matches('\'')) => rest,
        _ => cell,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_and_every_value_comes_back() {
        for (value, cell) in [
            ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
            ("+49 30 1234", "'+49 30 1234"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=1+1", "'\t=1+1"),
            ("\r=1+1", "'\r=1+1"),
            ("'=typed", "''=typed"),
            ("''@x", "'''@x"),
            ("plain", "plain"),
            ("'quoted", "'quoted"),
            ("''", "''"),
            ("", ""),
            ("a=b", "a=b"),
        ] {
            assert_eq!(neutralise(value), cell, "{value:?}");
            assert_eq!(restore(cell), value, "{cell:?}");
        }
    }

    #[test]
    fn a_hand_made_quote_before_a_formula_is_taken_off_too() {
        assert_eq!(restore("'+49 30 1234"), "+49 30 1234");
        assert_eq!(restore("'plain"), "'plain");
    }
}
