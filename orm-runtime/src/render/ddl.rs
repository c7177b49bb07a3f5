//! DDL: CREATE TABLE with keys, foreign keys, CHECK and unique constraints,
//! CREATE INDEX (descending and expression key parts included), join
//! tables of many-to-many relations, and DROP TABLE.
//!
//! An expression key part (`lower(title)`) is written into the index on
//! SQLite and PostgreSQL; MariaDB has no functional key parts, so there the
//! table gets an invisible virtual column generated from the expression
//! and the index is on that column (uniqueness holds the same way; MariaDB
//! uses the index for queries naming that column).
//!
//! SQLite enforces no declared type, so its tables carry named CHECKs that
//! hold each column to what PostgreSQL and MariaDB enforce by type: an
//! integer column holds only integers of its width (`orm_range_..`), a
//! `max_length` text column at most that many characters (`orm_length_..`).
//! A write breaking one fails with `ConstraintKind::Range`, as an out of
//! range or too long value does on the other two.

use super::Writer;
use crate::backend::{AutoKey, ExpressionKeys};
use crate::dialect::Dialect;
use orm_core::field::Choices;
use orm_core::model::{
    DefaultValue, FieldMeta, IndexExpr, IndexMeta, IndexPart, ManyToManyMeta, ModelMeta, OnDelete,
};
use orm_core::value::{ColumnType, Kind};

/// The statements creating the tables of `models` (in the order given) and
/// then the join tables of their many-to-many relations.
pub fn create_tables(models: &[&ModelMeta], dialect: Dialect) -> Vec<String> {
    let mut out = Vec::new();
    for m in models {
        out.extend(create_table(m, dialect));
    }
    for m in models {
        for rel in m.many_to_many.iter().filter(|r| r.auto_created) {
            out.extend(create_join_table(rel, dialect));
        }
    }
    out
}

/// The statements dropping the tables of `models` and their join tables,
/// in dependency order whatever the order given: join tables first, then
/// each table before the tables it references (a cycle of references is
/// dropped in the order given).
pub fn drop_tables(models: &[&ModelMeta], dialect: Dialect) -> Vec<String> {
    let mut out = Vec::new();
    let mut drop = |table: &str| {
        let mut w = Writer::new(dialect);
        w.raw("DROP TABLE IF EXISTS ");
        w.ident(table);
        out.push(w.sql);
    };
    for m in models.iter().rev() {
        for rel in m.many_to_many.iter().filter(|r| r.auto_created) {
            drop(rel.through);
        }
    }
    let references = |from: &ModelMeta, to: &ModelMeta| {
        from.table != to.table
            && from
                .fields
                .iter()
                .any(|f| f.foreign_key.is_some_and(|fk| fk.table == to.table))
    };
    let mut remaining: Vec<&ModelMeta> = models.iter().rev().copied().collect();
    while !remaining.is_empty() {
        let unreferenced = remaining
            .iter()
            .position(|m| !remaining.iter().any(|o| references(o, m)))
            .unwrap_or(0);
        drop(remaining.remove(unreferenced).table);
    }
    out
}

fn column_type(w: &mut Writer, ty: ColumnType) {
    let s = (w.syntax.column_type)(ty);
    w.raw(&s);
}

fn auto_pk(w: &mut Writer, f: &FieldMeta) {
    w.ident(f.column);
    match w.syntax.auto_key {
        AutoKey::Replace(text) => w.raw(text),
        AutoKey::Suffix(text) => {
            w.raw(" ");
            column_type(w, f.ty);
            w.raw(text);
        }
    }
}

/// ` DEFAULT <literal>`.
pub(crate) fn default_sql(w: &mut Writer, d: DefaultValue) {
    default_value(w, d);
}

fn default_value(w: &mut Writer, d: DefaultValue) {
    w.raw(" DEFAULT ");
    match d {
        DefaultValue::Int(i) => w.raw(&i.to_string()),
        DefaultValue::Float(x) => w.raw(&format!("{x:?}")),
        DefaultValue::Bool(b) => w.raw(if b { "TRUE" } else { "FALSE" }),
        DefaultValue::Text(s) => w.str_literal(s),
    }
}

fn checks(w: &mut Writer, f: &FieldMeta) {
    let choices = !matches!(f.choices, Choices::Any);
    if f.min_value.is_none() && f.max_value.is_none() && !choices {
        return;
    }
    let col = f.column;
    let mut first = true;
    let mut part = |w: &mut Writer| {
        w.raw(if first { " CHECK (" } else { " AND " });
        first = false;
        w.ident(col);
    };
    if let Some(lo) = f.min_value {
        part(w);
        w.raw(&format!(" >= {lo}"));
    }
    if let Some(hi) = f.max_value {
        part(w);
        w.raw(&format!(" <= {hi}"));
    }
    match f.choices {
        Choices::Any => {}
        Choices::Int(values) => {
            part(w);
            let list: Vec<String> = values.iter().map(|v| v.to_string()).collect();
            w.raw(&format!(" IN ({})", list.join(", ")));
        }
        Choices::Text(values) => {
            part(w);
            w.raw(" IN (");
            for (i, v) in values.iter().enumerate() {
                if i > 0 {
                    w.raw(", ");
                }
                w.str_literal(v);
            }
            w.raw(")");
        }
    }
    w.raw(")");
}

/// The name prefixes of the CHECKs [`type_checks`] adds on SQLite.
const TYPE_CHECK_PREFIXES: [&str; 2] = ["orm_range_", "orm_length_"];

/// Whether a CHECK constraint named `name` is one of the type checks the
/// DDL adds on SQLite.
pub(crate) fn is_type_check(name: &str) -> bool {
    TYPE_CHECK_PREFIXES.iter().any(|p| name.starts_with(p))
}

/// SQLite's CHECKs for what the other backends' column types enforce.
fn type_checks(w: &mut Writer, table: &str, f: &FieldMeta) {
    if w.dialect != Dialect::Sqlite {
        return;
    }
    let col = f.column;
    let range = match f.ty.kind {
        Kind::I16 => Some((i16::MIN.into(), i16::MAX.into())),
        Kind::I32 => Some((i32::MIN.into(), i32::MAX.into())),
        // An overflowing i64 becomes a REAL in SQLite: the typeof test refuses it.
        Kind::I64 | Kind::Duration => Some((i64::MIN, i64::MAX)),
        _ => None,
    };
    if let Some((lo, hi)) = range {
        w.raw(" CONSTRAINT ");
        w.ident(&format!("{}{table}_{col}", TYPE_CHECK_PREFIXES[0]));
        w.raw(" CHECK (typeof(");
        w.ident(col);
        w.raw(if f.nullable {
            ") IN ('integer', 'null')"
        } else {
            ") = 'integer'"
        });
        if lo != i64::MIN || hi != i64::MAX {
            w.raw(" AND ");
            w.ident(col);
            w.raw(&format!(" BETWEEN {lo} AND {hi}"));
        }
        w.raw(")");
    }
    if let (Kind::String, Some(n)) = (f.ty.kind, f.ty.max_length) {
        w.raw(" CONSTRAINT ");
        w.ident(&format!("{}{table}_{col}", TYPE_CHECK_PREFIXES[1]));
        w.raw(" CHECK (length(");
        w.ident(col);
        w.raw(&format!(") <= {n})"));
    }
}

/// The name of the foreign-key constraint of `table.column`
/// (PostgreSQL's own default, given explicitly so every backend can drop it).
pub(crate) fn foreign_key_name(table: &str, column: &str) -> String {
    short_name(format!("{table}_{column}_fkey"))
}

/// `CONSTRAINT "t_c_fkey" FOREIGN KEY ("c") REFERENCES "p" ("id") ON DELETE ..`.
pub(crate) fn foreign_key_constraint(
    w: &mut Writer,
    from: &str,
    column: &str,
    table: &str,
    pk: &str,
    on_delete: OnDelete,
) {
    w.raw("CONSTRAINT ");
    w.ident(&foreign_key_name(from, column));
    w.raw(" FOREIGN KEY (");
    w.ident(column);
    w.raw(") REFERENCES ");
    w.ident(table);
    w.raw(" (");
    w.ident(pk);
    w.raw(match on_delete {
        OnDelete::Cascade => ") ON DELETE CASCADE",
        OnDelete::SetNull => ") ON DELETE SET NULL",
        OnDelete::Restrict => ") ON DELETE RESTRICT",
    });
}

fn unique(w: &mut Writer, name: Option<&str>, columns: &[&str]) {
    w.raw(",\n  ");
    if let Some(name) = name {
        w.raw("CONSTRAINT ");
        w.ident(name);
        w.raw(" ");
    }
    w.raw("UNIQUE (");
    w.ident_list(columns);
    w.raw(")");
}

fn table_options(w: &mut Writer) {
    if w.dialect == Dialect::MySql {
        // Binary collation without padding: the same case-sensitive
        // comparisons and ordering as SQLite and PostgreSQL, and "a" and
        // "a " are different values for =, IN, UNIQUE and GROUP BY
        // (utf8mb4_bin pads, so it ignores trailing spaces).
        w.raw(" ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin");
    }
}

/// A name within the backends' identifier limits (63 bytes on PostgreSQL,
/// 64 characters on MySQL).
fn short_name(name: String) -> String {
    if name.len() <= 63 {
        return name;
    }
    // Keep it unique with a stable hash of the full name.
    let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    // 46 bytes (PostgreSQL counts bytes), cut on a character boundary.
    let cut = (0..=46)
        .rev()
        .find(|&i| name.is_char_boundary(i))
        .unwrap_or(0);
    let mut short = name[..cut].to_owned();
    short.push_str(&format!("_{:016x}", hash));
    short
}

/// The default name of an index: the table, each key part
/// (`rating_desc`, `lower_title`), and `_idx` (`_uniq` for a unique index).
fn index_name(table: &str, parts: &[IndexPart], unique: bool) -> String {
    let mut name = table.to_owned();
    for p in parts {
        name.push('_');
        name.push_str(&expr_name(p.expr));
        if p.descending {
            name.push_str("_desc");
        }
    }
    name.push_str(if unique { "_uniq" } else { "_idx" });
    short_name(name)
}

/// `title`, `lower_title`, `upper_title`.
fn expr_name(e: IndexExpr) -> String {
    match e {
        IndexExpr::Column(c) => c.to_owned(),
        IndexExpr::Lower(c) => format!("lower_{c}"),
        IndexExpr::Upper(c) => format!("upper_{c}"),
    }
}

/// The invisible generated column holding an expression key part, where
/// the backend indexes expressions through one (MariaDB).
fn generated_column(e: IndexExpr) -> String {
    short_name(format!("orm_{}", expr_name(e)))
}

/// `LOWER("title")`: the same functions the query renderer writes, so a
/// query's `Lower(Book::title)` matches the indexed expression.
fn index_expr(w: &mut Writer, e: IndexExpr) {
    let func = match e {
        IndexExpr::Column(c) => return w.ident(c),
        IndexExpr::Lower(_) => "LOWER(",
        IndexExpr::Upper(_) => "UPPER(",
    };
    w.raw(func);
    w.ident(e.column());
    w.raw(")");
}

fn key_part(w: &mut Writer, part: &IndexPart) {
    match (part.expr, w.syntax.expression_keys) {
        (IndexExpr::Column(c), _) => w.ident(c),
        (e, ExpressionKeys::Inline) => {
            w.raw("(");
            index_expr(w, e);
            w.raw(")");
        }
        (e, ExpressionKeys::GeneratedColumn) => w.ident(&generated_column(e)),
    }
    if part.descending {
        w.raw(" DESC");
    }
}

fn create_index(
    dialect: Dialect,
    table: &str,
    name: Option<&str>,
    parts: &[IndexPart],
    unique: bool,
) -> (String, String) {
    let name = name.map_or_else(|| index_name(table, parts, unique), str::to_owned);
    let mut w = Writer::new(dialect);
    w.raw(if unique {
        "CREATE UNIQUE INDEX "
    } else {
        "CREATE INDEX "
    });
    w.ident(&name);
    w.raw(" ON ");
    w.ident(table);
    w.raw(" (");
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            w.raw(", ");
        }
        key_part(&mut w, p);
    }
    w.raw(")");
    (name, w.sql)
}

/// A plain ascending index on one column.
fn column_index(dialect: Dialect, table: &str, column: &'static str) -> (String, String) {
    let part = IndexPart {
        expr: IndexExpr::Column(column),
        descending: false,
    };
    create_index(dialect, table, None, &[part], false)
}

/// The generated columns a backend without functional key parts needs
/// for the model's expression indexes, each expression once:
/// `` `orm_lower_title` VARCHAR(200) GENERATED ALWAYS AS (LOWER(`title`)) VIRTUAL INVISIBLE``.
/// Invisible, so `SELECT *` and `INSERT` without a column list do not
/// see it; virtual, so only the index stores its values.
fn generated_columns(w: &mut Writer, m: &ModelMeta) {
    if w.syntax.expression_keys != ExpressionKeys::GeneratedColumn {
        return;
    }
    let mut done: Vec<IndexExpr> = Vec::new();
    for part in m.indexes.iter().flat_map(|i| i.parts) {
        if matches!(part.expr, IndexExpr::Column(_)) || done.contains(&part.expr) {
            continue;
        }
        done.push(part.expr);
        let source = m.fields.iter().find(|f| f.column == part.expr.column());
        w.raw(",\n  ");
        w.ident(&generated_column(part.expr));
        w.raw(" ");
        column_type(w, source.map_or(ColumnType::of(Kind::String), |f| f.ty));
        w.raw(" GENERATED ALWAYS AS (");
        index_expr(w, part.expr);
        w.raw(") VIRTUAL INVISIBLE");
    }
}

/// One column of a CREATE TABLE or ADD COLUMN: name, type, NOT NULL,
/// PRIMARY KEY or UNIQUE, DEFAULT and CHECKs.
pub(crate) fn column_definition(w: &mut Writer, table: &str, f: &FieldMeta) {
    if f.primary_key && f.auto_increment {
        auto_pk(w, f);
        return;
    }
    w.ident(f.column);
    w.raw(" ");
    column_type(w, f.ty);
    if !f.nullable {
        w.raw(" NOT NULL");
    }
    if f.primary_key {
        w.raw(" PRIMARY KEY");
    } else if f.unique {
        w.raw(" UNIQUE");
    }
    if let Some(d) = f.default {
        default_value(w, d);
    }
    checks(w, f);
    type_checks(w, table, f);
}

/// The column's type as the backend writes it (`VARCHAR(100)`).
pub(crate) fn column_type_sql(dialect: Dialect, ty: ColumnType) -> String {
    let w = Writer::new(dialect);
    (w.syntax.column_type)(ty)
}

/// CREATE TABLE for one model, then its CREATE INDEX statements.
pub fn create_table(m: &ModelMeta, dialect: Dialect) -> Vec<String> {
    let mut out = vec![create_table_named(m, m.table, dialect)];
    out.extend(table_indexes(m, dialect).into_iter().map(|(_, sql)| sql));
    out
}

/// The CREATE TABLE statement of a model under the name `name` (a
/// migration's rebuild writes the new table beside the old one); its
/// constraints keep the model's table in their names.
pub(crate) fn create_table_named(m: &ModelMeta, name: &str, dialect: Dialect) -> String {
    let mut w = Writer::new(dialect);
    w.raw("CREATE TABLE ");
    w.ident(name);
    w.raw(" (");
    for (i, f) in m.fields.iter().enumerate() {
        w.raw(if i > 0 { ",\n  " } else { "\n  " });
        column_definition(&mut w, m.table, f);
    }
    generated_columns(&mut w, m);
    for f in m.fields {
        if let Some(fk) = f.foreign_key {
            w.raw(",\n  ");
            foreign_key_constraint(&mut w, m.table, f.column, fk.table, fk.column, fk.on_delete);
        }
    }
    for idx in m.indexes.iter().filter(|i| is_unique_constraint(i)) {
        let columns: Vec<&str> = idx.parts.iter().map(|p| p.expr.column()).collect();
        unique(&mut w, idx.name, &columns);
    }
    w.raw("\n)");
    table_options(&mut w);
    w.sql
}

/// A unique combination of plain columns is a table constraint; one with a
/// descending or expression part can only be a unique index.
pub(crate) fn is_unique_constraint(i: &IndexMeta) -> bool {
    i.unique && i.is_plain()
}

/// The CREATE INDEX statements of a model's table, each with the index's
/// name.
pub(crate) fn table_indexes(m: &ModelMeta, dialect: Dialect) -> Vec<(String, String)> {
    let mut out = Vec::new();
    // Foreign keys are indexed as in Django (InnoDB creates its own index
    // for each foreign key on MySQL), unless a composite index starts with them.
    let leads_index = |col: &'static str| {
        m.indexes.iter().any(|i| {
            i.parts
                .first()
                .is_some_and(|p| p.expr == IndexExpr::Column(col))
        })
    };
    let indexed = |f: &FieldMeta| {
        f.index || (f.foreign_key.is_some() && dialect != Dialect::MySql && !leads_index(f.column))
    };
    for f in m
        .fields
        .iter()
        .filter(|f| indexed(f) && !f.unique && !f.primary_key)
    {
        out.push(column_index(dialect, m.table, f.column));
    }
    for idx in m.indexes.iter().filter(|i| !is_unique_constraint(i)) {
        out.push(create_index(
            dialect, m.table, idx.name, idx.parts, idx.unique,
        ));
    }
    out
}

/// CREATE TABLE for the automatic join table of a many-to-many relation.
pub fn create_join_table(rel: &ManyToManyMeta, dialect: Dialect) -> Vec<String> {
    let mut w = Writer::new(dialect);
    w.raw("CREATE TABLE ");
    w.ident(rel.through);
    w.raw(" (\n  ");
    let id = FieldMeta {
        name: "id",
        column: "id",
        ty: ColumnType::of(Kind::I64),
        nullable: false,
        primary_key: true,
        auto_increment: true,
        unique: false,
        index: false,
        default: None,
        foreign_key: None,
        choices: Choices::Any,
        deferrable: false,
        min_value: None,
        max_value: None,
    };
    auto_pk(&mut w, &id);
    for (col, ty) in [
        (rel.source_column, rel.source_pk_type),
        (rel.target_column, rel.target_pk_type),
    ] {
        w.raw(",\n  ");
        w.ident(col);
        w.raw(" ");
        column_type(&mut w, ty);
        w.raw(" NOT NULL");
    }
    w.raw(",\n  ");
    foreign_key_constraint(
        &mut w,
        rel.through,
        rel.source_column,
        rel.source_table,
        rel.source_pk,
        OnDelete::Cascade,
    );
    w.raw(",\n  ");
    foreign_key_constraint(
        &mut w,
        rel.through,
        rel.target_column,
        rel.target_table,
        rel.target_pk,
        OnDelete::Cascade,
    );
    unique(&mut w, None, &[rel.source_column, rel.target_column]);
    w.raw("\n)");
    table_options(&mut w);
    vec![
        w.sql,
        column_index(dialect, rel.through, rel.target_column).1,
    ]
}

/// Statements refreshing the planner statistics of the tables of `models`
/// (after a bulk load): `ANALYZE` on SQLite and PostgreSQL, `ANALYZE TABLE`
/// on MySQL/MariaDB.
pub fn analyze(models: &[&ModelMeta], dialect: Dialect) -> Vec<String> {
    let mut tables: Vec<&str> = models.iter().map(|m| m.table).collect();
    for m in models {
        tables.extend(
            m.many_to_many
                .iter()
                .filter(|r| r.auto_created)
                .map(|r| r.through),
        );
    }
    tables
        .into_iter()
        .map(|t| {
            let mut w = Writer::new(dialect);
            w.raw(if dialect == Dialect::MySql {
                "ANALYZE TABLE "
            } else {
                "ANALYZE "
            });
            w.ident(t);
            w.sql
        })
        .collect()
}
