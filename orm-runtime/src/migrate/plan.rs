//! From one schema state to the next: the changes (`diff`), and the SQL
//! running them on each backend, up and down.
//!
//! PostgreSQL and MySQL/MariaDB change a table in place (`ALTER TABLE`).
//! SQLite's `ALTER TABLE` cannot change a column, so there a changed table
//! is rebuilt as SQLite documents it: a new table from the new state, the
//! rows copied column by column (a renamed column from its old name), the
//! old table dropped and the new one renamed; the runner turns foreign-key
//! enforcement off around it and checks every foreign key before commit.

use super::MigrationError;
use super::state::SchemaState;
use crate::dialect::Dialect;
use crate::render::Writer;
use crate::render::ddl;
use orm_core::model::{FieldMeta, ManyToManyMeta, ModelMeta};
use orm_core::value::Kind;

/// What `make` is told beyond the models: renames (never guessed: a column
/// gone and one added are a drop and an add, which loses the column's
/// data, and that needs `allow_data_loss`).
#[derive(Debug, Clone, Default)]
pub struct MakeOptions {
    /// `(table, old column, new column)`.
    pub renamed_columns: Vec<(String, String, String)>,
    /// Allow changes that lose data: a dropped table or column, a narrowed
    /// type. The migration's SQL says so in a comment.
    pub allow_data_loss: bool,
}

impl MakeOptions {
    /// Declares that `table.old` was renamed to `new`.
    pub fn rename_column(mut self, table: &str, old: &str, new: &str) -> Self {
        self.renamed_columns
            .push((table.to_owned(), old.to_owned(), new.to_owned()));
        self
    }

    /// Allows changes that lose data.
    pub fn allow_data_loss(mut self) -> Self {
        self.allow_data_loss = true;
        self
    }
}

/// The changes to one table that stays.
#[derive(Debug, Clone)]
pub struct TableChange {
    /// The table before.
    pub old: &'static ModelMeta,
    /// The table after.
    pub new: &'static ModelMeta,
    /// `(old column, new column)` renames.
    pub renamed: Vec<(&'static str, &'static str)>,
    /// Columns only in `new` (by new name).
    pub added: Vec<&'static FieldMeta>,
    /// Columns only in `old` (by old name).
    pub dropped: Vec<&'static FieldMeta>,
    /// `(old, new)` columns whose definition changed.
    pub altered: Vec<(&'static FieldMeta, &'static FieldMeta)>,
    /// Whether anything else of the table changed (indexes, unique sets).
    pub indexes_changed: bool,
}

impl TableChange {
    fn is_empty(&self) -> bool {
        self.renamed.is_empty()
            && self.added.is_empty()
            && self.dropped.is_empty()
            && self.altered.is_empty()
            && !self.indexes_changed
    }

    fn reversed(&self) -> TableChange {
        TableChange {
            old: self.new,
            new: self.old,
            renamed: self.renamed.iter().map(|(a, b)| (*b, *a)).collect(),
            added: self.dropped.clone(),
            dropped: self.added.clone(),
            altered: self.altered.iter().map(|(a, b)| (*b, *a)).collect(),
            indexes_changed: self.indexes_changed,
        }
    }
}

/// One change of the schema.
#[derive(Debug, Clone)]
pub enum Change {
    /// A new table (with its indexes).
    CreateTable(&'static ModelMeta),
    /// A table gone.
    DropTable(&'static ModelMeta),
    /// A table changed in place.
    AlterTable(TableChange),
    /// A new many-to-many join table.
    CreateJoinTable(&'static ManyToManyMeta),
    /// A join table gone.
    DropJoinTable(&'static ManyToManyMeta),
}

impl Change {
    /// The change undoing this one.
    pub fn reversed(&self) -> Change {
        match self {
            Change::CreateTable(m) => Change::DropTable(m),
            Change::DropTable(m) => Change::CreateTable(m),
            Change::AlterTable(t) => Change::AlterTable(t.reversed()),
            Change::CreateJoinTable(r) => Change::DropJoinTable(r),
            Change::DropJoinTable(r) => Change::CreateJoinTable(r),
        }
    }

    /// Whether it adds a NOT NULL column without a default to a table that
    /// stays (which fails once the table has rows): the down of dropping
    /// such a column.
    pub fn cannot_run_on_rows(&self) -> Option<String> {
        let Change::AlterTable(t) = self else {
            return None;
        };
        t.added
            .iter()
            .find(|f| !f.nullable && f.default.is_none() && !f.auto_increment)
            .map(|f| {
                format!(
                    "re-adds NOT NULL column `{}.{}` without a default",
                    t.new.table, f.column
                )
            })
    }

    /// Whether running it loses stored data.
    pub fn loses_data(&self) -> Option<String> {
        match self {
            Change::DropTable(m) => Some(format!("drops table `{}` and its rows", m.table)),
            Change::DropJoinTable(r) => Some(format!("drops join table `{}`", r.through)),
            Change::AlterTable(t) => {
                if let Some(f) = t.dropped.first() {
                    return Some(format!("drops column `{}.{}`", t.old.table, f.column));
                }
                t.altered.iter().find_map(|(a, b)| {
                    narrows(a, b).then(|| format!("narrows column `{}.{}`", t.new.table, b.column))
                })
            }
            _ => None,
        }
    }
}

/// Whether a column change can refuse or cut existing values.
fn narrows(a: &FieldMeta, b: &FieldMeta) -> bool {
    let rank = |k: Kind| match k {
        Kind::I16 => 1,
        Kind::I32 => 2,
        Kind::I64 => 3,
        _ => 0,
    };
    let (ta, tb) = (a.ty, b.ty);
    if ta.kind != tb.kind {
        return !(rank(ta.kind) > 0 && rank(tb.kind) > rank(ta.kind));
    }
    let shorter = match (ta.max_length, tb.max_length) {
        (None, Some(_)) => true,
        (Some(x), Some(y)) => y < x,
        _ => false,
    };
    let fewer_digits = tb.max_digits < ta.max_digits || tb.decimal_places < ta.decimal_places;
    shorter || fewer_digits || (a.nullable && !b.nullable)
}

/// The changes from `from` to `to`.
pub fn diff(
    from: &SchemaState,
    to: &SchemaState,
    opts: &MakeOptions,
) -> Result<Vec<Change>, MigrationError> {
    // New tables first (a changed table may gain a foreign key to one),
    // then the changed ones.
    let mut out: Vec<Change> = to
        .models
        .iter()
        .filter(|m| from.table(m.table).is_none())
        .map(|m| Change::CreateTable(m))
        .collect();
    for m in &to.models {
        if let Some(old) = from.table(m.table) {
            let t = table_change(old, m, opts)?;
            if !t.is_empty() {
                out.push(Change::AlterTable(t));
            }
        }
    }
    let old_joins = from.join_tables();
    let new_joins = to.join_tables();
    for r in &new_joins {
        if !old_joins.iter().any(|o| o.through == r.through) {
            out.push(Change::CreateJoinTable(r));
        }
    }
    for r in &old_joins {
        if !new_joins.iter().any(|n| n.through == r.through) {
            out.insert(0, Change::DropJoinTable(r));
        }
    }
    // Tables dropped last-created first, after the tables that stay have
    // let go of their foreign keys to them, before the new join tables.
    let at = out
        .iter()
        .position(|c| matches!(c, Change::CreateJoinTable(_)))
        .unwrap_or(out.len());
    let dropped: Vec<Change> = from
        .models
        .iter()
        .rev()
        .filter(|m| to.table(m.table).is_none())
        .map(|m| Change::DropTable(m))
        .collect();
    out.splice(at..at, dropped);
    if !opts.allow_data_loss
        && let Some(what) = out.iter().find_map(Change::loses_data)
    {
        return Err(MigrationError::DataLoss(what));
    }
    Ok(out)
}

fn table_change(
    old: &'static ModelMeta,
    new: &'static ModelMeta,
    opts: &MakeOptions,
) -> Result<TableChange, MigrationError> {
    let declared: Vec<&(String, String, String)> = opts
        .renamed_columns
        .iter()
        .filter(|(t, _, _)| t == new.table)
        .collect();
    if let Some((_, a, b)) = declared
        .iter()
        .find(|(_, _, b)| declared.iter().any(|(_, a2, _)| a2 == b))
    {
        return Err(MigrationError::Unsupported {
            table: new.table.to_owned(),
            what: format!(
                "renaming `{a}` to `{b}` while `{b}` is renamed too (swapped names: make two migrations)"
            ),
        });
    }
    let renamed: Vec<(&'static str, &'static str)> = opts
        .renamed_columns
        .iter()
        .filter(|(t, _, _)| t == new.table)
        .filter_map(|(_, a, b)| {
            let a = old.fields.iter().find(|f| f.column == a)?;
            let b = new.fields.iter().find(|f| f.column == b)?;
            Some((a.column, b.column))
        })
        .collect();
    let old_name = |new_col: &'static str| -> &'static str {
        renamed
            .iter()
            .find(|(_, b)| *b == new_col)
            .map_or(new_col, |(a, _)| *a)
    };
    let mut t = TableChange {
        old,
        new,
        renamed: renamed.clone(),
        added: Vec::new(),
        dropped: Vec::new(),
        altered: Vec::new(),
        indexes_changed: false,
    };
    for f in new.fields {
        match old.fields.iter().find(|o| o.column == old_name(f.column)) {
            None => t.added.push(f),
            Some(o) => {
                let same = FieldMeta {
                    name: f.name,
                    column: f.column,
                    ..*o
                } == *f;
                if !same {
                    t.altered.push((o, f));
                }
            }
        }
    }
    for o in old.fields {
        let kept = new.fields.iter().any(|f| old_name(f.column) == o.column);
        if !kept {
            t.dropped.push(o);
        }
    }
    // A column gone and one of its kind new: maybe a rename (Django asks).
    if !opts.allow_data_loss {
        for d in &t.dropped {
            if let Some(a) = t.added.iter().find(|a| a.ty.kind == d.ty.kind) {
                return Err(MigrationError::AmbiguousRename {
                    table: new.table.to_owned(),
                    dropped: d.column.to_owned(),
                    added: a.column.to_owned(),
                });
            }
        }
    }
    if let Some(f) = t
        .added
        .iter()
        .find(|f| !f.nullable && f.default.is_none() && !f.auto_increment)
    {
        return Err(MigrationError::NeedsDefault {
            table: new.table.to_owned(),
            column: f.column.to_owned(),
        });
    }
    t.indexes_changed = old.indexes != new.indexes;
    Ok(t)
}

/// The statements of `changes` on `dialect`, in order.
pub fn statements(changes: &[Change], dialect: Dialect) -> Result<Vec<String>, MigrationError> {
    let mut out = Vec::new();
    for c in changes {
        match c {
            Change::CreateTable(m) => out.extend(ddl::create_table(m, dialect)),
            Change::DropTable(m) => out.push(drop_table(m.table, dialect)),
            Change::CreateJoinTable(r) => out.extend(ddl::create_join_table(r, dialect)),
            Change::DropJoinTable(r) => out.push(drop_table(r.through, dialect)),
            Change::AlterTable(t) if dialect == Dialect::Sqlite => out.extend(rebuild(t)),
            Change::AlterTable(t) => out.extend(alter(t, dialect)?),
        }
    }
    Ok(out)
}

fn drop_table(table: &str, dialect: Dialect) -> String {
    let mut w = Writer::new(dialect);
    w.raw("DROP TABLE ");
    w.ident(table);
    w.sql
}

fn alter_table(dialect: Dialect, table: &str, rest: impl FnOnce(&mut Writer)) -> String {
    let mut w = Writer::new(dialect);
    w.raw("ALTER TABLE ");
    w.ident(table);
    w.raw(" ");
    rest(&mut w);
    w.sql
}

fn drop_index(dialect: Dialect, table: &str, name: &str) -> String {
    let mut w = Writer::new(dialect);
    w.raw("DROP INDEX ");
    w.ident(name);
    if dialect == Dialect::MySql {
        w.raw(" ON ");
        w.ident(table);
    }
    w.sql
}

/// A table changed in place (PostgreSQL, MySQL/MariaDB): foreign keys and
/// indexes that change are dropped first, columns renamed, dropped,
/// altered and added, then the new indexes and foreign keys made.
fn alter(t: &TableChange, dialect: Dialect) -> Result<Vec<String>, MigrationError> {
    let table = t.new.table;
    let unsupported = |what: String| MigrationError::Unsupported {
        table: table.to_owned(),
        what,
    };
    for (a, b) in &t.altered {
        if a.primary_key != b.primary_key || a.auto_increment != b.auto_increment {
            return Err(unsupported(format!(
                "a primary key change of `{}`",
                b.column
            )));
        }
        if a.unique != b.unique
            || a.choices != b.choices
            || a.min_value != b.min_value
            || a.max_value != b.max_value
        {
            return Err(unsupported(format!(
                "a UNIQUE or CHECK change of `{}` (write this migration's SQL by hand)",
                b.column
            )));
        }
    }
    let unique_constraints = |m: &ModelMeta| {
        m.indexes
            .iter()
            .filter(|i| ddl::is_unique_constraint(i))
            .copied()
            .collect::<Vec<_>>()
    };
    if unique_constraints(t.old) != unique_constraints(t.new) {
        return Err(unsupported(
            "a change of a unique combination of columns (write this migration's SQL by hand)"
                .to_owned(),
        ));
    }
    let fk_changed =
        |a: &FieldMeta, b: &FieldMeta| a.foreign_key != b.foreign_key || a.column != b.column;
    let mut out = Vec::new();
    // Foreign keys going away or changing (MySQL refuses to drop a column
    // or index a foreign key needs).
    let mut drop_fk = |column: &str| {
        let name = ddl::foreign_key_name(t.old.table, column);
        out.push(alter_table(dialect, table, |w| {
            w.raw(if dialect == Dialect::MySql {
                "DROP FOREIGN KEY "
            } else {
                "DROP CONSTRAINT "
            });
            w.ident(&name);
        }));
    };
    for f in t.dropped.iter().filter(|f| f.foreign_key.is_some()) {
        drop_fk(f.column);
    }
    for (a, b) in &t.altered {
        if a.foreign_key.is_some() && fk_changed(a, b) {
            drop_fk(a.column);
        }
    }
    // A renamed column keeps no constraint name of its old name.
    for &(a, _) in &t.renamed {
        let changed = t.altered.iter().any(|(x, _)| x.column == a);
        let had_fk = t
            .old
            .fields
            .iter()
            .any(|f| f.column == a && f.foreign_key.is_some());
        if had_fk && !changed {
            drop_fk(a);
        }
    }
    let old_indexes = ddl::table_indexes(t.old, dialect);
    let new_indexes = ddl::table_indexes(t.new, dialect);
    for (name, sql) in &old_indexes {
        if !new_indexes.iter().any(|(_, s)| s == sql) {
            out.push(drop_index(dialect, t.old.table, name));
        }
    }
    for &(a, b) in &t.renamed {
        out.push(alter_table(dialect, table, |w| {
            w.raw("RENAME COLUMN ");
            w.ident(a);
            w.raw(" TO ");
            w.ident(b);
        }));
    }
    for f in &t.dropped {
        out.push(alter_table(dialect, table, |w| {
            w.raw("DROP COLUMN ");
            w.ident(f.column);
        }));
    }
    for (a, b) in &t.altered {
        out.extend(alter_column(dialect, table, a, b));
    }
    for f in &t.added {
        out.push(alter_table(dialect, table, |w| {
            w.raw("ADD COLUMN ");
            ddl::column_definition(w, table, f);
        }));
    }
    for (_, sql) in &new_indexes {
        if !old_indexes.iter().any(|(_, s)| s == sql) {
            out.push(sql.clone());
        }
    }
    let mut add_fk = |f: &FieldMeta| {
        if let Some(fk) = f.foreign_key {
            out.push(alter_table(dialect, table, |w| {
                w.raw("ADD ");
                ddl::foreign_key_constraint(w, table, f.column, fk.table, fk.column, fk.on_delete);
            }));
        }
    };
    for f in &t.added {
        add_fk(f);
    }
    for (a, b) in &t.altered {
        if fk_changed(a, b) {
            add_fk(b);
        }
    }
    for &(a, b) in &t.renamed {
        let changed = t.altered.iter().any(|(x, _)| x.column == a);
        if !changed && let Some(f) = t.new.fields.iter().find(|f| f.column == b) {
            add_fk(f);
        }
    }
    Ok(out)
}

/// Type, NULL and DEFAULT changes of one column.
fn alter_column(dialect: Dialect, table: &str, a: &FieldMeta, b: &FieldMeta) -> Vec<String> {
    let mut out = Vec::new();
    if dialect == Dialect::MySql {
        // MODIFY restates the whole column: its CHECKs too (MariaDB drops a
        // column's CHECK a MODIFY leaves out); not UNIQUE, whose index stays.
        if a.ty != b.ty || a.nullable != b.nullable || a.default != b.default {
            let mut plain = *b;
            plain.unique = false;
            out.push(alter_table(dialect, table, |w| {
                w.raw("MODIFY COLUMN ");
                ddl::column_definition(w, table, &plain);
            }));
        }
        return out;
    }
    let column = |w: &mut Writer| {
        w.raw("ALTER COLUMN ");
        w.ident(b.column);
    };
    if a.ty != b.ty {
        let ty = ddl::column_type_sql(dialect, b.ty);
        // A cast only between kinds: a cast to VARCHAR(n) would cut longer
        // values, where the plain change refuses them.
        let cast = a.ty.kind != b.ty.kind && !(a.ty.kind.is_integer() && b.ty.kind.is_integer());
        out.push(alter_table(dialect, table, |w| {
            column(w);
            w.raw(&format!(" TYPE {ty}"));
            if cast {
                w.raw(" USING ");
                w.ident(b.column);
                w.raw(&format!("::{ty}"));
            }
        }));
    }
    if a.nullable != b.nullable {
        out.push(alter_table(dialect, table, |w| {
            column(w);
            w.raw(if b.nullable {
                " DROP NOT NULL"
            } else {
                " SET NOT NULL"
            });
        }));
    }
    if a.default != b.default {
        let mut def = Writer::new(dialect);
        if let Some(d) = b.default {
            ddl::default_sql(&mut def, d);
        }
        out.push(alter_table(dialect, table, |w| {
            column(w);
            if def.sql.is_empty() {
                w.raw(" DROP DEFAULT");
            } else {
                w.raw(" SET");
                w.raw(&def.sql);
            }
        }));
    }
    out
}

/// SQLite: the table rebuilt from its new state, the rows copied.
fn rebuild(t: &TableChange) -> Vec<String> {
    let dialect = Dialect::Sqlite;
    let table = t.new.table;
    let temp = format!("{table}__orm_new");
    // The new table under a temporary name; its indexes after the rename.
    let mut out = vec![ddl::create_table_named(t.new, &temp, dialect)];
    let old_name = |new_col: &'static str| {
        t.renamed
            .iter()
            .find(|(_, b)| *b == new_col)
            .map_or(new_col, |(a, _)| *a)
    };
    let copied: Vec<(&str, &str)> = t
        .new
        .fields
        .iter()
        .filter(|f| !t.added.iter().any(|a| a.column == f.column))
        .map(|f| (f.column, old_name(f.column)))
        .collect();
    let mut w = Writer::new(dialect);
    w.raw("INSERT INTO ");
    w.ident(&temp);
    w.raw(" (");
    w.ident_list(&copied.iter().map(|(n, _)| *n).collect::<Vec<_>>());
    w.raw(") SELECT ");
    w.ident_list(&copied.iter().map(|(_, o)| *o).collect::<Vec<_>>());
    w.raw(" FROM ");
    w.ident(t.old.table);
    out.push(w.sql);
    out.push(drop_table(t.old.table, dialect));
    out.push(alter_table(dialect, &temp, |w| {
        w.raw("RENAME TO ");
        w.ident(table);
    }));
    out.extend(
        ddl::table_indexes(t.new, dialect)
            .into_iter()
            .map(|(_, sql)| sql),
    );
    out
}
