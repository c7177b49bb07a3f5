//! Raw SQL text with portable placeholders, rewritten into the backend's
//! own in one linear scan.
//!
//! A statement uses one of two styles:
//!
//! - `?`: positional, one value per `?` in order;
//! - `$1, $2, ..` (or SQLite's `?1, ?2, ..`): numbered, a number may
//!   appear several times, and every number from 1 to the number of values
//!   must appear.
//!
//! `??` is a literal `?` (PostgreSQL's jsonb operators `??`, `??|`, `??&`);
//! `$` after a letter, digit or `_` is part of an identifier. Nothing inside
//! string literals (`'..'` with `''`, backslash escapes where the dialect
//! has them, `E'..'` and `$tag$..$tag$` on PostgreSQL, `".."` on MySQL),
//! quoted identifiers (`".."`, backquotes) or comments (`--`, `/* */`,
//! `#` on MySQL) is a placeholder. The scan then writes the backend's own
//! spelling: `$1, $2, ..` on PostgreSQL (a numbered statement keeps its
//! numbers), `?` elsewhere (a numbered statement has its values repeated
//! and reordered to follow the `?`s).

use crate::backend::{Placeholders, Syntax};
use crate::dialect::Dialect;
use crate::error::PlaceholderError;
use crate::render::Statement;
use orm_core::value::Value;
use std::fmt::Write as _;

/// The placeholder style a statement uses, once the first one is seen.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Style {
    Positional,
    Numbered,
}

/// The parameters a statement refers to, as the scan finds them.
struct Params {
    style: Option<Style>,
    /// `?` placeholders seen.
    positional: usize,
    /// Which values a numbered placeholder referred to.
    used: Vec<bool>,
    /// The highest number beyond the values (or 0 for `$0`), if any.
    beyond: Option<usize>,
    mixed: bool,
}

/// Rewrites the placeholders of `sql` for `dialect`, with the values they
/// take, or says why they do not match the values.
pub(crate) fn rewrite(
    sql: &str,
    binds: Vec<Value>,
    dialect: Dialect,
) -> Result<Statement, PlaceholderError> {
    let syntax = Syntax::of(dialect);
    let lex = &syntax.lexical;
    let b = sql.as_bytes();
    let numbered_out = syntax.placeholders == Placeholders::Numbered;
    let mut out = String::with_capacity(sql.len() + 8);
    // On `?` backends a numbered statement sends its values in `?` order.
    let mut reordered: Vec<Value> = Vec::new();
    let mut p = Params {
        style: None,
        positional: 0,
        used: vec![false; binds.len()],
        beyond: None,
        mixed: false,
    };
    let mut copied = 0;
    let mut i = 0;
    while i < b.len() {
        let next = b.get(i + 1).copied();
        match b[i] {
            b'\'' => {
                let backslash = syntax.backslash_escapes
                    || (lex.escape_strings
                        && i > 0
                        && matches!(b[i - 1], b'e' | b'E')
                        && !(i > 1 && ident_byte(b[i - 2])));
                i = quoted(b, i, b'\'', backslash);
            }
            b'"' => {
                let backslash = lex.double_quoted_strings && syntax.backslash_escapes;
                i = quoted(b, i, b'"', backslash);
            }
            b'`' => i = quoted(b, i, b'`', false),
            b'-' if next == Some(b'-')
                && (!lex.dash_comment_needs_space
                    || b.get(i + 2)
                        .is_none_or(|c| c.is_ascii_whitespace() || c.is_ascii_control())) =>
            {
                i = line_end(b, i, lex.carriage_return_ends_comments);
            }
            b'#' if lex.hash_comments => i = line_end(b, i, lex.carriage_return_ends_comments),
            // `/*! .. */` and `/*M! .. */` are run, not skipped (MySQL/MariaDB):
            // their text is read as SQL, and the `*/` that ends it is plain text.
            b'/' if next == Some(b'*')
                && lex.executable_comments
                && (b.get(i + 2) == Some(&b'!') || b[i..].starts_with(b"/*M!")) =>
            {
                i += if b[i + 2] == b'!' { 3 } else { 4 };
            }
            b'/' if next == Some(b'*') => i = block_comment(b, i, lex.nested_comments),
            b'[' if lex.bracket_identifiers => {
                i = b[i..]
                    .iter()
                    .position(|c| *c == b']')
                    .map_or(b.len(), |n| i + n + 1);
            }
            b'$' if i > 0 && ident_byte(b[i - 1]) => i += 1,
            // `$1` and SQLite's `?1`: numbered.
            b'$' | b'?' if next.is_some_and(|c| c.is_ascii_digit()) => {
                out.push_str(&sql[copied..i]);
                let (n, end) = number(b, i + 1);
                p.numbered(n, &binds, numbered_out, &mut out, &mut reordered);
                i = end;
                copied = i;
            }
            b'$' if lex.dollar_quotes => i = dollar_quoted(sql, i),
            b'?' if next == Some(b'?') => {
                out.push_str(&sql[copied..i]);
                out.push('?');
                i += 2;
                copied = i;
            }
            b'?' => {
                out.push_str(&sql[copied..i]);
                p.positional(numbered_out, &mut out);
                i += 1;
                copied = i;
            }
            _ => i += 1,
        }
    }
    out.push_str(&sql[copied.min(sql.len())..]);
    if p.mixed {
        return Err(PlaceholderError::MixedStyles);
    }
    let values = binds.len();
    let binds = match p.style {
        None | Some(Style::Positional) => {
            if p.positional != values {
                return Err(PlaceholderError::Count {
                    placeholders: p.positional,
                    binds: values,
                });
            }
            binds
        }
        Some(Style::Numbered) => {
            let distinct = p.used.iter().filter(|u| **u).count();
            if p.beyond.is_some() || distinct != values {
                return Err(PlaceholderError::Count {
                    placeholders: p.beyond.filter(|n| *n > values).unwrap_or(distinct),
                    binds: values,
                });
            }
            if numbered_out { binds } else { reordered }
        }
    };
    Ok(Statement {
        dialect,
        sql: out,
        binds,
    })
}

impl Params {
    fn style(&mut self, style: Style) {
        match self.style {
            None => self.style = Some(style),
            Some(s) if s != style => self.mixed = true,
            Some(_) => {}
        }
    }

    fn positional(&mut self, numbered_out: bool, out: &mut String) {
        self.style(Style::Positional);
        self.positional += 1;
        if numbered_out {
            let _ = write!(out, "${}", self.positional);
        } else {
            out.push('?');
        }
    }

    /// Placeholder number `n` (1-based; `usize::MAX` when too large).
    fn numbered(
        &mut self,
        n: usize,
        binds: &[Value],
        numbered_out: bool,
        out: &mut String,
        reordered: &mut Vec<Value>,
    ) {
        self.style(Style::Numbered);
        match n.checked_sub(1).and_then(|k| binds.get(k).map(|v| (k, v))) {
            Some((k, v)) => {
                self.used[k] = true;
                if numbered_out {
                    let _ = write!(out, "${n}");
                } else {
                    reordered.push(v.clone());
                    out.push('?');
                }
            }
            None => {
                self.beyond = Some(self.beyond.map_or(n, |b| b.max(n)));
                out.push('?');
            }
        }
    }
}

/// A byte that continues an identifier (`$` included, as PostgreSQL and
/// MySQL allow it after the first character).
fn ident_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80
}

/// The decimal number starting at `i`, and where it ends.
fn number(b: &[u8], mut i: usize) -> (usize, usize) {
    let mut n: usize = 0;
    while let Some(d) = b.get(i).filter(|c| c.is_ascii_digit()) {
        n = n.saturating_mul(10).saturating_add(usize::from(d - b'0'));
        i += 1;
    }
    (n, i)
}

/// Past the literal or identifier opened by the quote at `i`: a doubled
/// quote stays inside, and so does an escaped character where backslashes
/// escape. Unterminated: the rest of the text.
fn quoted(b: &[u8], i: usize, q: u8, backslash: bool) -> usize {
    let mut j = i + 1;
    while j < b.len() {
        match b[j] {
            b'\\' if backslash => j += 2,
            c if c == q => {
                if b.get(j + 1) == Some(&q) {
                    j += 2;
                } else {
                    return j + 1;
                }
            }
            _ => j += 1,
        }
    }
    b.len()
}

/// Past a comment running to the end of the line (`\n`, or also `\r`
/// where `carriage_return` says so).
fn line_end(b: &[u8], i: usize, carriage_return: bool) -> usize {
    b[i..]
        .iter()
        .position(|c| *c == b'\n' || (carriage_return && *c == b'\r'))
        .map_or(b.len(), |n| i + n)
}

/// Past the `/* .. */` comment at `i`.
fn block_comment(b: &[u8], i: usize, nested: bool) -> usize {
    let mut depth = 1;
    let mut j = i + 2;
    while j < b.len() {
        if b[j] == b'*' && b.get(j + 1) == Some(&b'/') {
            depth -= 1;
            j += 2;
            if depth == 0 {
                return j;
            }
        } else if nested && b[j] == b'/' && b.get(j + 1) == Some(&b'*') {
            depth += 1;
            j += 2;
        } else {
            j += 1;
        }
    }
    b.len()
}

/// Past the `$tag$ .. $tag$` string at `i`, or one byte if `$` does not
/// open one.
fn dollar_quoted(sql: &str, i: usize) -> usize {
    let b = sql.as_bytes();
    let mut j = i + 1;
    while j < b.len() && ident_byte(b[j]) && b[j] != b'$' {
        j += 1;
    }
    if b.get(j) != Some(&b'$') {
        return i + 1;
    }
    let tag = &sql[i..=j];
    match sql[j + 1..].find(tag) {
        Some(n) => j + 1 + n + tag.len(),
        None => b.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn on(d: Dialect, sql: &str, binds: &[i64]) -> Result<(String, Vec<Value>), PlaceholderError> {
        let binds = binds.iter().map(|v| Value::I64(*v)).collect();
        rewrite(sql, binds, d).map(|s| (s.sql, s.binds))
    }

    fn ints(v: &[i64]) -> Vec<Value> {
        v.iter().map(|v| Value::I64(*v)).collect()
    }

    #[test]
    fn positional_becomes_numbered_on_postgres() {
        let sql = "SELECT a FROM t WHERE a = ? AND b = ?";
        assert_eq!(
            on(Dialect::Postgres, sql, &[1, 2]),
            Ok((
                "SELECT a FROM t WHERE a = $1 AND b = $2".into(),
                ints(&[1, 2])
            ))
        );
        assert_eq!(
            on(Dialect::Sqlite, sql, &[1, 2]),
            Ok((sql.into(), ints(&[1, 2])))
        );
        assert_eq!(
            on(Dialect::MySql, sql, &[1, 2]),
            Ok((sql.into(), ints(&[1, 2])))
        );
    }

    #[test]
    fn numbered_is_repeated_and_reordered_for_question_marks() {
        let sql = "SELECT $2 + $1 + $2::INT";
        assert_eq!(
            on(Dialect::Postgres, sql, &[1, 2]),
            Ok((sql.into(), ints(&[1, 2])))
        );
        assert_eq!(
            on(Dialect::MySql, sql, &[1, 2]),
            Ok(("SELECT ? + ? + ?::INT".into(), ints(&[2, 1, 2])))
        );
        assert_eq!(
            on(Dialect::Sqlite, "SELECT ?1 + ?1", &[4]),
            Ok(("SELECT ? + ?".into(), ints(&[4, 4])))
        );
    }

    #[test]
    fn literals_identifiers_and_comments_are_skipped() {
        let sql = "SELECT '?', 'it''s $1 ?', \"a?\", `b?` -- c ?\n, /* d ? /* e ? */ f ? */ ?";
        let (pg, _) = on(Dialect::Postgres, sql, &[1]).expect("pg");
        assert!(pg.ends_with("f ? */ $1"), "{pg}");
        // MySQL: a backslash escapes a quote, and `"` is a string.
        let my = r#"SELECT 'a\'?', "b\"?", ? # e ?"#;
        assert_eq!(on(Dialect::MySql, my, &[1]), Ok((my.into(), ints(&[1]))));
        // Elsewhere a backslash is a plain character: the string ends there.
        assert_eq!(
            on(Dialect::Postgres, r"SELECT 'a\', ?", &[1]),
            Ok((r"SELECT 'a\', $1".into(), ints(&[1])))
        );
        assert_eq!(
            on(
                Dialect::Postgres,
                r"SELECT E'a\'?', $$x ? $$, $q$ ? $q$, ?",
                &[1]
            ),
            Ok((
                r"SELECT E'a\'?', $$x ? $$, $q$ ? $q$, $1".into(),
                ints(&[1])
            ))
        );
        // `--` needs a space after it on MySQL.
        assert_eq!(
            on(Dialect::MySql, "SELECT 1--?", &[1]),
            Ok(("SELECT 1--?".into(), ints(&[1])))
        );
    }

    #[test]
    fn double_question_mark_is_a_literal() {
        assert_eq!(
            on(Dialect::Postgres, "SELECT j ?? 'a', j ??| ?, x$1", &[1]),
            Ok(("SELECT j ? 'a', j ?| $1, x$1".into(), ints(&[1])))
        );
    }

    #[test]
    fn mismatches_are_errors() {
        let count = |placeholders, binds| {
            Err(PlaceholderError::Count {
                placeholders,
                binds,
            })
        };
        assert_eq!(on(Dialect::Sqlite, "SELECT ?, ?", &[1]), count(2, 1));
        assert_eq!(on(Dialect::Postgres, "SELECT ?", &[1, 2]), count(1, 2));
        assert_eq!(on(Dialect::MySql, "SELECT $1, $3", &[1, 2]), count(3, 2));
        assert_eq!(on(Dialect::MySql, "SELECT $1, $3", &[1, 2, 3]), count(2, 3));
        assert_eq!(on(Dialect::Postgres, "SELECT $0", &[1]), count(0, 1));
        assert_eq!(on(Dialect::Postgres, "SELECT 1", &[1]), count(0, 1));
        assert_eq!(
            on(Dialect::Postgres, "SELECT ?, $2", &[1, 2]),
            Err(PlaceholderError::MixedStyles)
        );
    }
}
