//! The renderer: the only place SQL text is written. One walk over the
//! statement tree with small per-dialect hooks (quoting, placeholders,
//! pattern matching, NULL ordering, LIMIT forms). Every value leaves as a
//! bound parameter written by the same call that writes its placeholder.

mod cond;
pub mod ddl;
mod expr;
mod functions;
mod math;
mod numeric;
pub(crate) mod raw;
pub mod select;
pub mod transaction;
pub mod write;

pub(crate) use expr::SQLITE_DECIMAL_AGG;

use crate::backend::{Placeholders, Syntax};
use crate::dialect::Dialect;
use orm_core::value::Value;
use std::fmt::Write as _;

/// A rendered statement: SQL text and the values bound to its placeholders.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// The dialect it was rendered for.
    pub dialect: Dialect,
    /// SQL text with placeholders.
    pub sql: String,
    /// Bound values, in placeholder order.
    pub binds: Vec<Value>,
}

impl std::fmt::Display for Statement {
    /// The SQL, then the binds, e.g. `SELECT .. WHERE "t0"."id" = $1 -- binds: [I64(1)]`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.sql)?;
        if !self.binds.is_empty() {
            write!(f, " -- binds: {:?}", self.binds)?;
        }
        Ok(())
    }
}

/// Accumulates SQL text and binds for one statement.
pub(crate) struct Writer {
    pub dialect: Dialect,
    /// How the dialect's backend spells identifiers, parameters, literals.
    pub syntax: &'static Syntax,
    pub sql: String,
    pub binds: Vec<Value>,
    next_alias: usize,
    /// Column scopes of the selects being written, innermost last.
    pub scopes: Vec<select::Scope>,
    /// Correlation scopes of the subqueries being written, each with the
    /// index in `scopes` of the query it is used in (its outer references
    /// resolve there), innermost last.
    pub bindings: Vec<(u32, usize)>,
}

impl Writer {
    pub fn new(dialect: Dialect) -> Self {
        Writer {
            dialect,
            syntax: Syntax::of(dialect),
            sql: String::with_capacity(256),
            binds: Vec::new(),
            next_alias: 0,
            scopes: Vec::new(),
            bindings: Vec::new(),
        }
    }

    pub fn finish(self) -> Statement {
        Statement {
            dialect: self.dialect,
            sql: self.sql,
            binds: self.binds,
        }
    }

    /// Literal SQL syntax (keywords, operators) chosen by the renderer.
    pub fn raw(&mut self, s: &str) {
        self.sql.push_str(s);
    }

    /// A quoted identifier.
    pub fn ident(&mut self, name: &str) {
        let q = self.syntax.quote;
        self.sql.push(q);
        if name.contains(q) {
            for ch in name.chars() {
                if ch == q {
                    self.sql.push(q);
                }
                self.sql.push(ch);
            }
        } else {
            self.sql.push_str(name);
        }
        self.sql.push(q);
    }

    /// Quoted identifiers separated by commas: `"a", "b"`.
    pub fn ident_list(&mut self, names: &[&str]) {
        for (i, n) in names.iter().enumerate() {
            if i > 0 {
                self.raw(", ");
            }
            self.ident(n);
        }
    }

    /// A placeholder and its value.
    pub fn bind(&mut self, v: Value) {
        self.binds.push(v);
        match self.syntax.placeholders {
            Placeholders::Numbered => {
                let _ = write!(self.sql, "${}", self.binds.len());
            }
            Placeholders::Question => self.sql.push('?'),
        }
    }

    /// A fresh table alias (`t0`, `t1`, ...), unique within the statement.
    pub fn alias(&mut self) -> select::Alias {
        let a = select::Alias::Table(self.next_alias);
        self.next_alias += 1;
        a
    }

    /// An integer literal chosen by the renderer (a position, a frame
    /// offset), never a value.
    pub fn int(&mut self, n: u64) {
        let _ = write!(self.sql, "{n}");
    }

    /// A string literal for DDL (defaults, CHECK lists), where parameters are
    /// not allowed.
    pub fn str_literal(&mut self, s: &str) {
        self.sql.push('\'');
        for ch in s.chars() {
            match ch {
                '\'' => self.sql.push_str("''"),
                '\\' if self.syntax.backslash_escapes => self.sql.push_str("\\\\"),
                '\0' => {}
                c => self.sql.push(c),
            }
        }
        self.sql.push('\'');
    }
}
