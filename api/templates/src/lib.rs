//! The template language of leadgen's outreach-email system prompts.
//!
//! # Syntax
//!
//! * `{{variable}}` substitutes a value from the [`Context`]. Spaces and tabs
//!   are allowed inside the braces (`{{ full_name }}`); the tag must be on one
//!   line. Names match `[a-z][a-z0-9_]*`.
//! * `[IF name_enabled] … [ELSE] … [/IF]` renders one of two branches
//!   depending on a boolean flag. `[ELSE]` is optional, blocks nest to any
//!   depth and `[IF NOT name_enabled]` negates the condition. The flag name
//!   must match `[a-z][a-z0-9_]*` and end in `_enabled`. Keywords are
//!   upper-case exactly as shown; any other bracketed text (`[link]`, `[1]`,
//!   `[if]`, `[IFFY]`) is plain text. `[IF` followed by a space, a tab, `]`,
//!   a line break or the end of input always starts a tag.
//! * Escapes: `\{{`, `\[IF`, `\[ELSE]` and `\[/IF]` produce the text without
//!   the backslash. A backslash anywhere else is plain text.
//! * Whitespace: a line holding nothing but block tags (`[IF …]`, `[ELSE]`,
//!   `[/IF]`, one or more) plus spaces/tabs is removed entirely, including its
//!   line break (`\n` or `\r\n`), so block tags on their own lines leave no
//!   blank lines. Tags sharing a line with text or variables leave the
//!   surrounding text untouched.
//!
//! All other text — umlauts, emoji, CRLF line endings — is copied verbatim.
//! Substituted values are inserted as-is and never re-interpreted.
//!
//! # Errors
//!
//! [`Template::parse`] reports syntax errors, [`Template::validate`] reports
//! variables and flags missing from a [`Schema`], and [`Template::compile`]
//! does both. Every error is reported (not just the first), sorted in source
//! order. Positions are 1-based; columns count Unicode scalar values (`char`s)
//! and point at the first character of the offending tag (`{{` or `[`).
//!
//! ```
//! use leadgen_templates::{Context, Schema, Template};
//!
//! let schema = Schema { variables: &["full_name", "price"], flags: &["discount_enabled"] };
//! let template = Template::compile(
//!     "Hallo {{ full_name }}!\n[IF discount_enabled]\nNur {{price}} €.\n[/IF]\n",
//!     &schema,
//! )
//! .unwrap();
//! let ctx = Context::new()
//!     .with_variable("full_name", "Jörg")
//!     .with_variable("price", "9")
//!     .with_flag("discount_enabled", true);
//! assert_eq!(template.render(&ctx), "Hallo Jörg!\nNur 9 €.\n");
//! ```

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

mod parser;
#[cfg(test)]
mod tests;

/// The machine-readable values of [`TemplateError::code`].
pub mod codes {
    /// `{{name}}` where `name` is not in [`Schema::variables`](crate::Schema::variables).
    pub const UNKNOWN_VARIABLE: &str = "unknown_variable";
    /// `[IF name_enabled]` where `name_enabled` is not in [`Schema::flags`](crate::Schema::flags).
    pub const UNKNOWN_FLAG: &str = "unknown_flag";
    /// An `[IF …]` without its `[/IF]`.
    pub const UNCLOSED_IF: &str = "unclosed_if";
    /// An `[ELSE]` outside any block, or a second `[ELSE]` in the same block.
    pub const UNEXPECTED_ELSE: &str = "unexpected_else";
    /// An `[/IF]` without an open block.
    pub const UNEXPECTED_ENDIF: &str = "unexpected_endif";
    /// A `{{` without `}}` on the same line.
    pub const UNCLOSED_VARIABLE: &str = "unclosed_variable";
    /// `{{…}}` whose content is not a valid name.
    pub const INVALID_VARIABLE_NAME: &str = "invalid_variable_name";
    /// `[IF …]` whose condition is not `name_enabled` / `NOT name_enabled`, or which lacks its `]`.
    pub const INVALID_CONDITION: &str = "invalid_condition";
}

/// One problem found in a template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema, thiserror::Error)]
#[error("{message}")]
pub struct TemplateError {
    /// 1-based line of the offending tag.
    pub line: usize,
    /// 1-based column of the offending tag's first character, counted in
    /// Unicode scalar values.
    pub column: usize,
    /// Machine-readable kind; one of the constants in [`codes`].
    #[schema(value_type = String, example = "unknown_variable")]
    pub code: &'static str,
    /// Plain-English description naming the offending item and its position.
    pub message: String,
}

/// The variable and flag names a template may use.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Schema<'a> {
    /// Names usable as `{{name}}`.
    pub variables: &'a [&'a str],
    /// Names usable as `[IF name]` / `[IF NOT name]`.
    pub flags: &'a [&'a str],
}

/// The values a template is rendered with.
///
/// A variable missing from the context renders as the empty string; a flag
/// missing from the context counts as `false`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Context {
    /// Variable name → value substituted for `{{name}}`.
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
    /// Flag name → value tested by `[IF name]`.
    #[serde(default)]
    pub flags: BTreeMap<String, bool>,
}

impl Context {
    /// An empty context.
    pub fn new() -> Self {
        Self::default()
    }

    /// Returns the context with variable `name` set to `value`.
    #[must_use]
    pub fn with_variable(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.set_variable(name, value);
        self
    }

    /// Returns the context with flag `name` set to `value`.
    #[must_use]
    pub fn with_flag(mut self, name: impl Into<String>, value: bool) -> Self {
        self.set_flag(name, value);
        self
    }

    /// Sets variable `name` to `value`.
    pub fn set_variable(&mut self, name: impl Into<String>, value: impl Into<String>) -> &mut Self {
        self.variables.insert(name.into(), value.into());
        self
    }

    /// Sets flag `name` to `value`.
    pub fn set_flag(&mut self, name: impl Into<String>, value: bool) -> &mut Self {
        self.flags.insert(name.into(), value);
        self
    }

    /// The value of variable `name`, if set.
    pub fn variable(&self, name: &str) -> Option<&str> {
        self.variables.get(name).map(String::as_str)
    }

    /// The value of flag `name`; `false` if unset.
    pub fn flag(&self, name: &str) -> bool {
        self.flags.get(name).copied().unwrap_or(false)
    }
}

/// A 1-based source position (column in chars).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Pos {
    pub(crate) line: usize,
    pub(crate) column: usize,
}

impl std::fmt::Display for Pos {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}, column {}", self.line, self.column)
    }
}

/// A condition `[IF flag]` or `[IF NOT flag]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Condition {
    pub(crate) flag: String,
    pub(crate) negated: bool,
}

/// One element of the flat program a template is compiled to. Blocks are
/// encoded with forward jumps instead of nesting, so no operation on a
/// template (render, validate, drop, clone…) recurses, whatever the depth.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Item {
    Text(String),
    Variable {
        name: String,
        pos: Pos,
    },
    /// Start of a block. When the condition does not hold, execution resumes
    /// after index `next`, which is the block's `Else` or `EndIf` item.
    If {
        /// `None` only for syntactically invalid tags (never in a returned `Template`).
        cond: Option<Condition>,
        pos: Pos,
        next: usize,
    },
    /// Reached at the end of a taken then-branch: jump to `end` (the `EndIf`).
    Else {
        end: usize,
    },
    EndIf,
}

/// A parsed template.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Template {
    items: Vec<Item>,
}

impl Template {
    /// Parses `src`, checking syntax only (names are not checked against any
    /// schema). Returns every syntax error, in source order.
    pub fn parse(src: &str) -> Result<Template, Vec<TemplateError>> {
        let (items, errors) = parser::parse(src);
        if errors.is_empty() {
            Ok(Template { items })
        } else {
            Err(errors)
        }
    }

    /// Returns every variable and flag used by the template but missing from
    /// `schema`, in source order (one error per occurrence).
    pub fn validate(&self, schema: &Schema) -> Vec<TemplateError> {
        let mut errors = Vec::new();
        validate_items(&self.items, schema, &mut errors);
        errors
    }

    /// Parses and validates `src`, returning all syntax and schema errors
    /// together, in source order.
    pub fn compile(src: &str, schema: &Schema) -> Result<Template, Vec<TemplateError>> {
        let (items, mut errors) = parser::parse(src);
        validate_items(&items, schema, &mut errors);
        if errors.is_empty() {
            Ok(Template { items })
        } else {
            errors.sort_by_key(|e| (e.line, e.column));
            Err(errors)
        }
    }

    /// Renders the template. Variables missing from `ctx` render as the empty
    /// string and missing flags count as `false`. Never panics.
    pub fn render(&self, ctx: &Context) -> String {
        let mut out = String::new();
        let mut i = 0;
        while let Some(item) = self.items.get(i) {
            i = match item {
                Item::Text(text) => {
                    out.push_str(text);
                    i + 1
                }
                Item::Variable { name, .. } => {
                    out.push_str(ctx.variable(name).unwrap_or(""));
                    i + 1
                }
                Item::If { cond, next, .. } => {
                    let holds = cond
                        .as_ref()
                        .is_some_and(|c| ctx.flag(&c.flag) != c.negated);
                    if holds {
                        i + 1
                    } else {
                        next + 1
                    }
                }
                Item::Else { end } => *end,
                Item::EndIf => i + 1,
            }
            // Jumps only go forward; this guards the loop against a
            // malformed program all the same.
            .max(i + 1);
        }
        out
    }

    /// The names of all variables the template uses.
    pub fn variables(&self) -> BTreeSet<String> {
        self.items
            .iter()
            .filter_map(|item| match item {
                Item::Variable { name, .. } => Some(name.clone()),
                _ => None,
            })
            .collect()
    }

    /// The names of all flags the template tests.
    pub fn flags(&self) -> BTreeSet<String> {
        self.items
            .iter()
            .filter_map(|item| match item {
                Item::If { cond: Some(c), .. } => Some(c.flag.clone()),
                _ => None,
            })
            .collect()
    }
}

fn validate_items(items: &[Item], schema: &Schema, errors: &mut Vec<TemplateError>) {
    for item in items {
        match item {
            Item::Variable { name, pos } if !schema.variables.contains(&name.as_str()) => {
                errors.push(error(
                    *pos,
                    codes::UNKNOWN_VARIABLE,
                    format!("Unknown variable \"{name}\" ({pos})"),
                ));
            }
            Item::If {
                cond: Some(c), pos, ..
            } if !schema.flags.contains(&c.flag.as_str()) => {
                errors.push(error(
                    *pos,
                    codes::UNKNOWN_FLAG,
                    format!("Unknown flag \"{}\" ({pos})", c.flag),
                ));
            }
            _ => {}
        }
    }
}

pub(crate) fn error(pos: Pos, code: &'static str, message: String) -> TemplateError {
    TemplateError {
        line: pos.line,
        column: pos.column,
        code,
        message,
    }
}
