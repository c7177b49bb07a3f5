//! INSERT, UPDATE and DELETE statements.

use super::expr::expr;
use super::select::{where_clause, with_bare_scope};
use super::{Statement, Writer};
use crate::dialect::Dialect;
use crate::error::Error;
use orm_core::ast::{Delete, ExprNode, Insert, OnConflict, Update};

/// `INSERT INTO t (..) VALUES (..), (..) [RETURNING pk]`. RETURNING is used
/// on PostgreSQL and SQLite; MySQL reports the key as the last insert id.
pub fn insert(ins: &Insert, dialect: Dialect) -> Result<Statement, Error> {
    let mut w = Writer::new(dialect);
    w.raw("INSERT INTO ");
    w.ident(ins.table);
    let pk_for_ignore = ins.columns.first().copied().unwrap_or("id");
    if ins.columns.is_empty() {
        w.raw(if dialect == Dialect::MySql {
            " () VALUES ()"
        } else {
            " DEFAULT VALUES"
        });
    } else {
        w.raw(" (");
        w.ident_list(&ins.columns);
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
    match (&ins.on_conflict, dialect) {
        (None, _) => {}
        // An upsert with nothing to update is a plain skip.
        (Some(OnConflict::Update { update, .. }), Dialect::MySql) if update.is_empty() => {
            w.raw(" ON DUPLICATE KEY UPDATE ");
            w.ident(pk_for_ignore);
            w.raw(" = ");
            w.ident(pk_for_ignore);
        }
        (Some(OnConflict::Update { update, .. }), _) if update.is_empty() => {
            w.raw(" ON CONFLICT DO NOTHING")
        }
        (Some(OnConflict::Ignore), Dialect::MySql) => {
            // A no-op update skips the row; INSERT IGNORE would also hide
            // foreign key and NOT NULL errors.
            w.raw(" ON DUPLICATE KEY UPDATE ");
            w.ident(pk_for_ignore);
            w.raw(" = ");
            w.ident(pk_for_ignore);
        }
        (Some(OnConflict::Ignore), _) => w.raw(" ON CONFLICT DO NOTHING"),
        (Some(OnConflict::Update { update, .. }), Dialect::MySql) => {
            w.raw(" ON DUPLICATE KEY UPDATE ");
            for (i, c) in update.iter().enumerate() {
                if i > 0 {
                    w.raw(", ");
                }
                w.ident(c);
                w.raw(" = VALUES(");
                w.ident(c);
                w.raw(")");
            }
        }
        (Some(OnConflict::Update { target, update }), _) => {
            w.raw(" ON CONFLICT (");
            w.ident_list(target);
            w.raw(") DO UPDATE SET ");
            for (i, c) in update.iter().enumerate() {
                if i > 0 {
                    w.raw(", ");
                }
                w.ident(c);
                w.raw(" = excluded.");
                w.ident(c);
            }
        }
    }
    // The caller asks for RETURNING only where the backend has it.
    if let Some(pk) = ins.returning {
        w.raw(" RETURNING ");
        w.ident(pk);
    }
    Ok(w.finish())
}

/// `UPDATE t SET c = .. WHERE ..`.
pub fn update(up: &Update, dialect: Dialect) -> Result<Statement, Error> {
    let up = &crate::lower::update(up.clone(), dialect)?;
    let mut w = Writer::new(dialect);
    let reads_rows = up
        .set
        .iter()
        .any(|(_, e)| e.any_node(&|n| matches!(n, ExprNode::Subquery(_))));
    if dialect == Dialect::Sqlite && reads_rows {
        sqlite_update_from_snapshot(&mut w, up)?;
        return Ok(w.finish());
    }
    w.raw("UPDATE ");
    w.ident(up.table);
    w.raw(" SET ");
    with_bare_scope(&mut w, up.table, |w| {
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

/// SQLite computes a SET value row by row while it updates, so a subquery
/// in it would read the rows already changed (PostgreSQL and MariaDB read
/// the table as it was). The new values are computed first, in a
/// materialized CTE of the rows the filter keeps, and the update assigns
/// them:
/// `WITH "orm_set" AS MATERIALIZED (SELECT rowid AS "orm_rowid", <value> AS "v0"
/// FROM t WHERE ..) UPDATE t SET c = (SELECT "v0" FROM "orm_set" WHERE
/// "orm_rowid" = t.rowid) WHERE rowid IN (SELECT "orm_rowid" FROM "orm_set")`.
fn sqlite_update_from_snapshot(w: &mut Writer, up: &Update) -> Result<(), Error> {
    let name = |i: usize| format!("v{i}");
    w.raw("WITH \"orm_set\" AS MATERIALIZED (SELECT rowid AS \"orm_rowid\"");
    with_bare_scope(w, up.table, |w| {
        for (i, (_, e)) in up.set.iter().enumerate() {
            w.raw(", ");
            expr(w, e)?;
            w.raw(" AS ");
            w.ident(&name(i));
        }
        w.raw(" FROM ");
        w.ident(up.table);
        where_clause(w, &up.filter)
    })?;
    w.raw(") UPDATE ");
    w.ident(up.table);
    w.raw(" SET ");
    for (i, (col, _)) in up.set.iter().enumerate() {
        if i > 0 {
            w.raw(", ");
        }
        w.ident(col);
        w.raw(" = (SELECT ");
        w.ident(&name(i));
        w.raw(" FROM \"orm_set\" WHERE \"orm_rowid\" = ");
        w.ident(up.table);
        w.raw(".rowid)");
    }
    w.raw(" WHERE rowid IN (SELECT \"orm_rowid\" FROM \"orm_set\")");
    Ok(())
}

/// `DELETE FROM t WHERE ..`.
pub fn delete(del: &Delete, dialect: Dialect) -> Result<Statement, Error> {
    let del = &crate::lower::delete(del.clone(), dialect)?;
    let mut w = Writer::new(dialect);
    w.raw("DELETE FROM ");
    w.ident(del.table);
    with_bare_scope(&mut w, del.table, |w| where_clause(w, &del.filter))?;
    Ok(w.finish())
}
