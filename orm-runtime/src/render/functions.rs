//! Function calls: string, date and math functions spelled per dialect,
//! UTC conversion and date truncation.

use super::Writer;
use super::expr::*;
use super::select::*;
use crate::dialect::Dialect;
use crate::error::Error;
use orm_core::ast::{DatePart, ExprNode, Func};
use orm_core::value::{Kind, Value};

pub(crate) fn function(
    w: &mut Writer,
    func: Func,
    list: &[ExprNode],
    kind: Kind,
) -> Result<(), Error> {
    let d = w.dialect;
    let arg_kind = list.first().and_then(ExprNode::kind).unwrap_or(kind);
    match func {
        Func::Coalesce => call(w, "COALESCE", list),
        Func::NullIf => call(w, "NULLIF", list),
        Func::Lower => call(w, "LOWER", list),
        Func::Upper => call(w, "UPPER", list),
        Func::Length => call(
            w,
            if d == Dialect::MySql {
                "CHAR_LENGTH"
            } else {
                "LENGTH"
            },
            list,
        ),
        Func::Substr => call(
            w,
            if d == Dialect::MySql {
                "SUBSTRING"
            } else {
                "SUBSTR"
            },
            list,
        ),
        Func::Greatest | Func::Least => {
            let greatest = func == Func::Greatest;
            match d {
                Dialect::Sqlite => call(w, if greatest { "MAX" } else { "MIN" }, list),
                Dialect::MySql => call(w, if greatest { "GREATEST" } else { "LEAST" }, list),
                Dialect::Postgres => {
                    // PostgreSQL's GREATEST ignores NULLs; the others return NULL.
                    w.raw("CASE WHEN ");
                    for (i, a) in list.iter().enumerate() {
                        if i > 0 {
                            w.raw(" OR ");
                        }
                        expr(w, a)?;
                        w.raw(" IS NULL");
                    }
                    w.raw(" THEN NULL ELSE ");
                    call(w, if greatest { "GREATEST" } else { "LEAST" }, list)?;
                    w.raw(" END");
                    Ok(())
                }
            }
        }
        Func::Concat => {
            let coalesced = |w: &mut Writer, a: &ExprNode| -> Result<(), Error> {
                w.raw("COALESCE(");
                expr(w, a)?;
                w.raw(", ");
                w.bind(Value::String(String::new()));
                w.raw(")");
                Ok(())
            };
            if d == Dialect::MySql {
                w.raw("CONCAT(");
            } else {
                w.raw("(");
            }
            for (i, a) in list.iter().enumerate() {
                if i > 0 {
                    w.raw(if d == Dialect::MySql { ", " } else { " || " });
                }
                coalesced(w, a)?;
            }
            w.raw(")");
            Ok(())
        }
        Func::Extract(part) => {
            let (word, fmt) = match part {
                DatePart::Year => ("YEAR", "'%Y'"),
                DatePart::Month => ("MONTH", "'%m'"),
                DatePart::Day => ("DAY", "'%d'"),
            };
            match d {
                Dialect::Sqlite => {
                    w.raw("CAST(strftime(");
                    w.raw(fmt);
                    w.raw(", ");
                    expr(w, &list[0])?;
                    w.raw(") AS INTEGER)");
                }
                Dialect::Postgres => {
                    w.raw("CAST(EXTRACT(");
                    w.raw(word);
                    w.raw(" FROM ");
                    utc(w, &list[0], arg_kind)?;
                    w.raw(") AS INTEGER)");
                }
                Dialect::MySql => {
                    w.raw("EXTRACT(");
                    w.raw(word);
                    w.raw(" FROM ");
                    expr(w, &list[0])?;
                    w.raw(")");
                }
            }
            Ok(())
        }
        Func::Trunc(part) => trunc(w, part, &list[0], arg_kind),
        Func::Quotient => {
            let (open, between, close) = match d {
                Dialect::Sqlite => ("(", " / ", ")"),
                Dialect::Postgres => ("DIV(", ", ", ")"),
                Dialect::MySql => ("(", " DIV ", ")"),
            };
            w.raw(open);
            expr(w, &list[0])?;
            w.raw(between);
            expr(w, &list[1])?;
            w.raw(close);
            Ok(())
        }
        Func::Fail(message) if d == Dialect::Sqlite => {
            // SQLite's JSON path error carries the message.
            w.raw("json_extract('{}', ");
            w.str_literal(message);
            w.raw(")");
            Ok(())
        }
        Func::Fail(_) => Err(unsupported(w, "an expression that raises an error")),
        Func::Math(m) => super::math::function(w, m, list, kind),
        Func::Custom(name) => {
            let valid = !name.is_empty()
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !name.starts_with(|c: char| c.is_ascii_digit());
            if !valid {
                return Err(unsupported(
                    w,
                    &format!("function name {name:?} (not a plain identifier)"),
                ));
            }
            call(w, name, list)
        }
    }
}

/// A TIMESTAMPTZ seen in UTC on PostgreSQL, so date parts do not depend on
/// the session's time zone.
pub(crate) fn utc(w: &mut Writer, e: &ExprNode, kind: Kind) -> Result<(), Error> {
    if kind == Kind::DateTimeUtc {
        w.raw("(");
        expr(w, e)?;
        w.raw(" AT TIME ZONE 'UTC')");
        Ok(())
    } else {
        expr(w, e)
    }
}

pub(crate) fn trunc(w: &mut Writer, part: DatePart, e: &ExprNode, kind: Kind) -> Result<(), Error> {
    let date = kind == Kind::Date;
    match w.dialect {
        Dialect::Sqlite => {
            w.raw(if date { "date(" } else { "datetime(" });
            expr(w, e)?;
            w.raw(match part {
                DatePart::Year => ", 'start of year')",
                DatePart::Month => ", 'start of month')",
                DatePart::Day => ", 'start of day')",
            });
        }
        Dialect::Postgres => {
            let word = match part {
                DatePart::Year => "'year'",
                DatePart::Month => "'month'",
                DatePart::Day => "'day'",
            };
            if date {
                w.raw("CAST(DATE_TRUNC(");
                w.raw(word);
                w.raw(", ");
                expr(w, e)?;
                w.raw(") AS DATE)");
            } else {
                w.raw("DATE_TRUNC(");
                w.raw(word);
                w.raw(", ");
                utc(w, e, kind)?;
                w.raw(")");
                if kind == Kind::DateTimeUtc {
                    w.raw(" AT TIME ZONE 'UTC'");
                }
            }
        }
        Dialect::MySql => {
            let fmt = match (part, date) {
                (DatePart::Year, true) => "'%Y-01-01'",
                (DatePart::Month, true) => "'%Y-%m-01'",
                (DatePart::Day, true) => "'%Y-%m-%d'",
                (DatePart::Year, false) => "'%Y-01-01 00:00:00'",
                (DatePart::Month, false) => "'%Y-%m-01 00:00:00'",
                (DatePart::Day, false) => "'%Y-%m-%d 00:00:00'",
            };
            w.raw("CAST(DATE_FORMAT(");
            expr(w, e)?;
            w.raw(", ");
            w.raw(fmt);
            w.raw(if date {
                ") AS DATE)"
            } else {
                ") AS DATETIME(6))"
            });
        }
    }
    Ok(())
}
