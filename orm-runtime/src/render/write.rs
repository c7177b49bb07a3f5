//! INSERT, UPDATE and DELETE statements.

use super::select::{expr, where_clause, with_bare_scope};
use super::{Statement, Writer};
use crate::dialect::Dialect;
use crate::error::Error;
use orm_core::ast::{Delete, Insert, Update};

/// `INSERT INTO t (..) VALUES (..), (..) [RETURNING pk]`. RETURNING is used
/// on PostgreSQL and SQLite; MySQL reports the key as the last insert id.
pub fn insert(ins: &Insert, dialect: Dialect) -> Result<Statement, Error> {
    let mut w = Writer::new(dialect);
    w.raw("INSERT INTO ");
    w.ident(ins.table);
    if ins.columns.is_empty() {
        w.raw(if dialect == Dialect::MySql {
            " () VALUES ()"
        } else {
            " DEFAULT VALUES"
        });
    } else {
        w.raw(" (");
        for (i, c) in ins.columns.iter().enumerate() {
            if i > 0 {
                w.raw(", ");
            }
            w.ident(c);
        }
        w.raw(") VALUES ");
        for (r, row) in ins.rows.iter().enumerate() {
            if r > 0 {
                w.raw(", ");
            }
            w.raw("(");
            for (i, v) in row.iter().enumerate() {
                if i > 0 {
                    w.raw(", ");
                }
                w.bind(v.clone());
            }
            w.raw(")");
        }
    }
    if let (Some(pk), Dialect::Postgres | Dialect::Sqlite) = (ins.returning, dialect) {
        w.raw(" RETURNING ");
        w.ident(pk);
    }
    Ok(w.finish())
}

/// `UPDATE t SET c = .. WHERE ..`.
pub fn update(up: &Update, dialect: Dialect) -> Result<Statement, Error> {
    let mut w = Writer::new(dialect);
    w.raw("UPDATE ");
    w.ident(up.table);
    w.raw(" SET ");
    with_bare_scope(&mut w, |w| {
        for (i, (col, e)) in up.set.iter().enumerate() {
            if i > 0 {
                w.raw(", ");
            }
            w.ident(col);
            w.raw(" = ");
            expr(w, e)?;
        }
        where_clause(w, &up.filter)
    })?;
    Ok(w.finish())
}

/// `DELETE FROM t WHERE ..`.
pub fn delete(del: &Delete, dialect: Dialect) -> Result<Statement, Error> {
    let mut w = Writer::new(dialect);
    w.raw("DELETE FROM ");
    w.ident(del.table);
    with_bare_scope(&mut w, |w| where_clause(w, &del.filter))?;
    Ok(w.finish())
}
