//! Hand-written lexer and block builder.
//!
//! Parsing runs in three passes, none of them recursive:
//! 1. [`Lexer`] turns the source into tokens. Text tokens never span a line
//!    break (a `\n` ends the text token it belongs to), which makes pass 2
//!    a simple grouping.
//! 2. [`strip_standalone_lines`] drops the whitespace and line break of lines
//!    that hold nothing but block tags.
//! 3. [`build`] matches `[IF]`/`[ELSE]`/`[/IF]` with an explicit stack and
//!    emits the flat [`Item`] program with forward jumps.

use crate::{codes, error, Condition, Item, Pos, TemplateError};

/// Parses `src` into a best-effort program and the list of syntax errors in
/// source order. The program is only meaningful when there are no errors.
pub(crate) fn parse(src: &str) -> (Vec<Item>, Vec<TemplateError>) {
    let mut lexer = Lexer::new(src);
    lexer.run();
    let Lexer {
        tokens, mut errors, ..
    } = lexer;
    let tokens = strip_standalone_lines(tokens);
    let items = build(tokens, &mut errors);
    errors.sort_by_key(|e| (e.line, e.column));
    (items, errors)
}

#[derive(Debug)]
enum Token {
    Text(String),
    Variable {
        name: String,
        pos: Pos,
    },
    If {
        cond: Option<Condition>,
        /// The tag as written, for messages (`[IF NOT x_enabled]`).
        display: String,
        pos: Pos,
    },
    Else {
        pos: Pos,
    },
    EndIf {
        pos: Pos,
    },
}

impl Token {
    fn is_block_tag(&self) -> bool {
        matches!(
            self,
            Token::If { .. } | Token::Else { .. } | Token::EndIf { .. }
        )
    }
}

struct Lexer {
    chars: Vec<char>,
    /// `positions[i]` is the position of `chars[i]`; one extra entry for the end.
    positions: Vec<Pos>,
    i: usize,
    text: String,
    tokens: Vec<Token>,
    errors: Vec<TemplateError>,
}

fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// `[a-z][a-z0-9_]*`
fn is_valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

impl Lexer {
    fn new(src: &str) -> Self {
        let chars: Vec<char> = src.chars().collect();
        let mut positions = Vec::with_capacity(chars.len() + 1);
        let mut pos = Pos { line: 1, column: 1 };
        for &c in &chars {
            positions.push(pos);
            if c == '\n' {
                pos = Pos {
                    line: pos.line + 1,
                    column: 1,
                };
            } else {
                pos.column += 1;
            }
        }
        positions.push(pos);
        Lexer {
            chars,
            positions,
            i: 0,
            text: String::new(),
            tokens: Vec::new(),
            errors: Vec::new(),
        }
    }

    fn pos(&self, i: usize) -> Pos {
        self.positions
            .get(i)
            .copied()
            .unwrap_or(Pos { line: 1, column: 1 })
    }

    fn at(&self, i: usize, s: &str) -> bool {
        s.chars()
            .enumerate()
            .all(|(k, c)| self.chars.get(i + k) == Some(&c))
    }

    fn slice(&self, from: usize, to: usize) -> String {
        self.chars.get(from..to).unwrap_or(&[]).iter().collect()
    }

    /// Whether an `[IF` tag starts at `i`: `[IF` followed by a blank, `]`,
    /// a line break or the end of input (so `[IFFY]` stays text).
    fn if_tag_at(&self, i: usize) -> bool {
        self.at(i, "[IF")
            && match self.chars.get(i + 3) {
                None => true,
                Some(&c) => is_blank(c) || matches!(c, ']' | '\n' | '\r'),
            }
    }

    fn flush_text(&mut self) {
        if !self.text.is_empty() {
            self.tokens
                .push(Token::Text(std::mem::take(&mut self.text)));
        }
    }

    fn push_token(&mut self, token: Token) {
        self.flush_text();
        self.tokens.push(token);
    }

    fn run(&mut self) {
        while let Some(&c) = self.chars.get(self.i) {
            let i = self.i;
            if c == '\\' {
                // Escapes: drop the backslash, keep the rest as text.
                let escaped = ["{{", "[IF", "[ELSE]", "[/IF]"]
                    .into_iter()
                    .find(|s| self.at(i + 1, s));
                if let Some(s) = escaped {
                    self.text.push_str(s);
                    self.i = i + 1 + s.chars().count();
                    continue;
                }
            } else if self.at(i, "{{") {
                self.lex_variable();
                continue;
            } else if self.at(i, "[ELSE]") {
                self.push_token(Token::Else { pos: self.pos(i) });
                self.i = i + 6;
                continue;
            } else if self.at(i, "[/IF]") {
                self.push_token(Token::EndIf { pos: self.pos(i) });
                self.i = i + 5;
                continue;
            } else if self.if_tag_at(i) {
                self.lex_if();
                continue;
            }
            self.text.push(c);
            self.i = i + 1;
            if c == '\n' {
                self.flush_text();
            }
        }
        self.flush_text();
    }

    /// At `{{`: reads up to the `}}` on the same line.
    fn lex_variable(&mut self) {
        let start = self.i;
        let pos = self.pos(start);
        let mut k = start + 2;
        let close = loop {
            match self.chars.get(k) {
                None | Some('\n') => break None,
                _ if self.at(k, "{{") => break None,
                _ if self.at(k, "}}") => break Some(k),
                _ => k += 1,
            }
        };
        let Some(close) = close else {
            self.errors.push(error(
                pos,
                codes::UNCLOSED_VARIABLE,
                format!("{{{{ opened on {pos} is never closed with }}}}"),
            ));
            // Keep going after the braces so later problems are reported too.
            self.text.push_str("{{");
            self.i = start + 2;
            return;
        };
        self.i = close + 2;
        let raw = self.slice(start + 2, close);
        let name = raw.trim_matches(is_blank);
        if is_valid_name(name) {
            self.push_token(Token::Variable {
                name: name.to_owned(),
                pos,
            });
        } else if name.is_empty() {
            self.errors.push(error(
                pos,
                codes::INVALID_VARIABLE_NAME,
                format!("Empty variable name in {{{{{raw}}}}} ({pos})"),
            ));
        } else {
            self.errors.push(error(
                pos,
                codes::INVALID_VARIABLE_NAME,
                format!(
                    "Invalid variable name \"{name}\" ({pos}): names must start with a \
                     lowercase letter and contain only a-z, 0-9 and _"
                ),
            ));
        }
    }

    /// At `[IF`: reads the condition up to the `]` on the same line.
    fn lex_if(&mut self) {
        let start = self.i;
        let pos = self.pos(start);
        let mut k = start + 3;
        let close = loop {
            match self.chars.get(k) {
                None | Some('\n') => break None,
                Some(']') => break Some(k),
                _ => k += 1,
            }
        };
        let Some(close) = close else {
            self.errors.push(error(
                pos,
                codes::INVALID_CONDITION,
                format!("[IF on {pos} is missing its closing \"]\""),
            ));
            // Still open a block so that its [/IF] does not cause a second error.
            self.push_token(Token::If {
                cond: None,
                display: "[IF".to_owned(),
                pos,
            });
            self.i = start + 3;
            return;
        };
        self.i = close + 1;
        let raw = self.slice(start + 3, close);
        let display = format!("[IF{raw}]");
        let words: Vec<&str> = raw.split(is_blank).filter(|w| !w.is_empty()).collect();
        let (negated, name) = match words.as_slice() {
            ["NOT", name] => (true, Some(*name)),
            [name] => (false, Some(*name)),
            _ => (false, None),
        };
        let cond = name
            .filter(|n| is_valid_name(n) && n.ends_with("_enabled"))
            .map(|n| Condition {
                flag: n.to_owned(),
                negated,
            });
        if cond.is_none() {
            let message = if words.is_empty() {
                format!(
                    "{display} on {pos} has no condition: expected a flag name ending in \
                     \"_enabled\", e.g. [IF discount_enabled]"
                )
            } else {
                format!(
                    "Invalid condition \"{}\" in {display} ({pos}): expected a flag name \
                     ending in \"_enabled\", optionally preceded by NOT",
                    raw.trim_matches(is_blank)
                )
            };
            self.errors
                .push(error(pos, codes::INVALID_CONDITION, message));
        }
        self.push_token(Token::If { cond, display, pos });
    }
}

/// Removes the blank text (and the line break) of every line that consists
/// only of block tags plus spaces/tabs.
fn strip_standalone_lines(tokens: Vec<Token>) -> Vec<Token> {
    let mut out = Vec::with_capacity(tokens.len());
    let mut line: Vec<Token> = Vec::new();
    for token in tokens {
        let ends_line = matches!(&token, Token::Text(t) if t.ends_with('\n'));
        line.push(token);
        if ends_line {
            flush_line(&mut line, &mut out);
        }
    }
    flush_line(&mut line, &mut out);
    out
}

fn flush_line(line: &mut Vec<Token>, out: &mut Vec<Token>) {
    let standalone = line.iter().any(Token::is_block_tag)
        && line.iter().all(|t| match t {
            Token::Text(text) => {
                let body = match text.strip_suffix('\n') {
                    Some(rest) => rest.strip_suffix('\r').unwrap_or(rest),
                    None => text,
                };
                body.chars().all(is_blank)
            }
            token => token.is_block_tag(),
        });
    if standalone {
        out.extend(line.drain(..).filter(Token::is_block_tag));
    } else {
        out.append(line);
    }
}

struct OpenBlock {
    if_index: usize,
    else_index: Option<usize>,
    display: String,
    pos: Pos,
}

/// Matches the block tags and emits the flat program.
fn build(tokens: Vec<Token>, errors: &mut Vec<TemplateError>) -> Vec<Item> {
    let mut items: Vec<Item> = Vec::with_capacity(tokens.len());
    let mut stack: Vec<OpenBlock> = Vec::new();
    for token in tokens {
        match token {
            Token::Text(text) => match items.last_mut() {
                Some(Item::Text(last)) => last.push_str(&text),
                _ => items.push(Item::Text(text)),
            },
            Token::Variable { name, pos } => items.push(Item::Variable { name, pos }),
            Token::If { cond, display, pos } => {
                stack.push(OpenBlock {
                    if_index: items.len(),
                    else_index: None,
                    display,
                    pos,
                });
                items.push(Item::If { cond, pos, next: 0 });
            }
            Token::Else { pos } => match stack.last_mut() {
                None => errors.push(error(
                    pos,
                    codes::UNEXPECTED_ELSE,
                    format!("[ELSE] without a matching [IF] ({pos})"),
                )),
                Some(block) if block.else_index.is_some() => errors.push(error(
                    pos,
                    codes::UNEXPECTED_ELSE,
                    format!(
                        "Second [ELSE] ({pos}) in {} opened on {}",
                        block.display, block.pos
                    ),
                )),
                Some(block) => {
                    block.else_index = Some(items.len());
                    items.push(Item::Else { end: 0 });
                }
            },
            Token::EndIf { pos } => match stack.pop() {
                None => errors.push(error(
                    pos,
                    codes::UNEXPECTED_ENDIF,
                    format!("[/IF] without a matching [IF] ({pos})"),
                )),
                Some(block) => close_block(&mut items, &block),
            },
        }
    }
    while let Some(block) = stack.pop() {
        errors.push(error(
            block.pos,
            codes::UNCLOSED_IF,
            format!("{} opened on {} is never closed", block.display, block.pos),
        ));
        close_block(&mut items, &block);
    }
    items
}

/// Appends the `EndIf` of `block` and patches the block's jumps.
fn close_block(items: &mut Vec<Item>, block: &OpenBlock) {
    let end = items.len();
    items.push(Item::EndIf);
    let else_index = block.else_index;
    if let Some(Item::If { next, .. }) = items.get_mut(block.if_index) {
        *next = else_index.unwrap_or(end);
    }
    if let Some(Item::Else { end: else_end }) = else_index.and_then(|i| items.get_mut(i)) {
        *else_end = end;
    }
}
