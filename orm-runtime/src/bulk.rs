//! Writes of many rows: `bulk_create`, `bulk_update`, queryset `update` and
//! `delete`, and the race-safe `get_or_create` / `update_or_create`.
//!
//! Each runs atomically (a transaction, or a savepoint inside one), is cut
//! into statements under the backend's bind-parameter limit (SQLite 32,766,
//! PostgreSQL and MySQL 65,535), and goes through the execution point.

use crate::db::atomic;
use crate::dialect::Dialect;
use crate::error::{ConstraintKind, Error, Result};
use crate::exec::{self, Executor, ValuesDecoder};
use crate::render;
use crate::storable;
use crate::terminal::QuerySetExt;
use orm_core::ast::{CmpOp, ColumnRef, Cond, Delete, ExprNode, Insert, OnConflict, Select, Update};
use orm_core::column_list::ColumnList;
use orm_core::field::FieldType;
use orm_core::model::Model;
use orm_core::queryset::{QuerySet, QuerySetBuilder};
use orm_core::value::Value;

/// The most bound parameters one statement may carry.
pub fn max_binds(dialect: Dialect) -> usize {
    crate::Capabilities::of(dialect).max_binds
}

/// Options of `bulk_create`.
#[derive(Debug, Clone, Default)]
pub struct BulkCreate {
    /// Rows per INSERT (fewer if the bind limit requires).
    pub batch_size: Option<usize>,
    /// Skip or update rows that conflict with a unique constraint. Primary
    /// keys are not read back then (as in Django).
    pub on_conflict: Option<OnConflict>,
}

/// The plain column names of a selection of `M`'s own columns.
pub fn column_names<M, L: ColumnList<M>>(list: L) -> Result<Vec<&'static str>> {
    let mut nodes = Vec::new();
    list.push_columns(&mut nodes);
    nodes
        .into_iter()
        .map(|n| match n {
            ExprNode::Column(c) if c.path.is_empty() => Ok(c.column),
            other => Err(Error::Usage(format!(
                "expected a column of the model itself, got {other:?}"
            ))),
        })
        .collect()
}

/// `OnConflict::Update` from typed columns: on a conflict of the `target`
/// unique columns, overwrite the `update` columns (an upsert).
pub fn conflict_update<M, T: ColumnList<M>, U: ColumnList<M>>(
    target: T,
    update: U,
) -> Result<OnConflict> {
    let (target, update) = (column_names(target)?, column_names(update)?);
    if target.is_empty() || update.is_empty() {
        return Err(Error::Usage(
            "conflict_update needs target and update columns".into(),
        ));
    }
    Ok(OnConflict::Update { target, update })
}

fn pk_column<M: Model>() -> ExprNode {
    let pk = M::META.pk();
    ExprNode::Column(ColumnRef::local(pk.column, false, pk.ty.kind))
}

pub(crate) async fn bulk_create<M: Model, E: Executor + ?Sized>(
    db: &E,
    objs: Vec<M>,
    options: BulkCreate,
) -> Result<Vec<M>> {
    if objs.is_empty() {
        return Ok(objs);
    }
    let meta = M::META;
    let pk = meta.pk();
    let columns: Vec<&'static str> = meta
        .fields
        .iter()
        .filter(|f| !(f.primary_key && f.auto_increment))
        .map(|f| f.column)
        .collect();
    let per_row = columns.len().max(1);
    let rows_per_batch = options
        .batch_size
        .unwrap_or(usize::MAX)
        .min(db.capabilities().max_binds / per_row)
        .max(1);
    let returning = pk.auto_increment && db.supports_returning() && options.on_conflict.is_none();
    let dialect = db.dialect();
    // An unstorable value is refused before the first batch runs.
    for o in &objs {
        storable::check_row(meta, &o.values())?;
    }
    atomic(db, move |tx| async move {
        let mut objs = objs;
        if columns.is_empty() {
            // Only an auto-increment key: one DEFAULT VALUES insert per row.
            for o in &mut objs {
                o.insert(&tx).await?;
            }
            return Ok(objs);
        }
        // RETURNING hands the keys back in the order of the VALUES rows on
        // PostgreSQL and MariaDB, and on SQLite as implemented (documented
        // as unspecified); a count mismatch is reported below.
        for start in (0..objs.len()).step_by(rows_per_batch) {
            let end = (start + rows_per_batch).min(objs.len());
            let rows = objs[start..end]
                .iter()
                .map(|o| {
                    meta.fields
                        .iter()
                        .zip(o.values())
                        .filter(|(f, _)| !(f.primary_key && f.auto_increment))
                        .map(|(_, v)| v)
                        .collect()
                })
                .collect();
            let ins = Insert {
                table: meta.table,
                columns: columns.clone(),
                rows,
                returning: returning.then_some(pk.column),
                on_conflict: options.on_conflict.clone(),
            };
            let stmt = render::write::insert(&ins, dialect)?;
            if returning {
                let keys = exec::fetch(&tx, &stmt, &ValuesDecoder(vec![pk.ty.kind])).await?;
                if keys.len() != end - start {
                    return Err(Error::Usage(format!(
                        "{} keys returned for {} rows",
                        keys.len(),
                        end - start
                    )));
                }
                for (o, mut key) in objs[start..end].iter_mut().zip(keys) {
                    let v = key.pop().unwrap_or(Value::Null(pk.ty.kind));
                    o.set_pk(crate::model_ext::pk_from_value::<M>(v)?);
                }
            } else {
                exec::execute(&tx, &stmt).await?;
            }
        }
        Ok(objs)
    })
    .await
}

pub(crate) async fn bulk_update<M: Model, E: Executor + ?Sized>(
    db: &E,
    objs: &[M],
    fields: Vec<&'static str>,
    batch_size: Option<usize>,
) -> Result<u64> {
    if objs.is_empty() || fields.is_empty() {
        return Ok(0);
    }
    let meta = M::META;
    let mut indices = Vec::new();
    for f in &fields {
        match meta
            .fields
            .iter()
            .position(|m| m.column == *f && !m.primary_key)
        {
            Some(i) => indices.push(i),
            None => {
                return Err(Error::Usage(format!(
                    "{f} is not an updatable column of {}",
                    meta.name
                )));
            }
        }
    }
    let per_row = 2 * fields.len() + 1;
    let rows_per_batch = batch_size
        .unwrap_or(usize::MAX)
        .min(db.capabilities().max_binds / per_row)
        .max(1);
    let dialect = db.dialect();
    let rows: Vec<(Value, Vec<Value>)> = objs
        .iter()
        .map(|o| (o.pk().to_value(), o.values()))
        .collect();
    // An unstorable value is refused before the first batch runs.
    for (pk, values) in &rows {
        storable::check_field(meta.name, meta.pk(), pk)?;
        for &i in &indices {
            if let Some(v) = values.get(i) {
                storable::check_field(meta.name, &meta.fields[i], v)?;
            }
        }
    }
    atomic(db, move |tx| async move {
        let mut total = 0;
        for chunk in rows.chunks(rows_per_batch) {
            let set = indices
                .iter()
                .map(|&i| {
                    let f = &meta.fields[i];
                    let whens = chunk
                        .iter()
                        .map(|(pk, values)| {
                            let is_row = Cond::Cmp {
                                lhs: pk_column::<M>(),
                                op: CmpOp::Eq,
                                rhs: ExprNode::Value(pk.clone()),
                            };
                            (is_row, ExprNode::Value(values[i].clone()))
                        })
                        .collect();
                    let keep = ExprNode::Column(ColumnRef::local(f.column, f.nullable, f.ty.kind));
                    (
                        f.column,
                        ExprNode::Case {
                            whens,
                            default: Some(Box::new(keep)),
                            kind: f.ty.kind,
                        },
                    )
                })
                .collect();
            let filter = vec![Cond::In {
                lhs: pk_column::<M>(),
                items: chunk
                    .iter()
                    .map(|(pk, _)| ExprNode::Value(pk.clone()))
                    .collect(),
            }];
            let up = Update {
                table: meta.table,
                set,
                filter,
            };
            total += exec::execute(&tx, &render::write::update(&up, dialect)?)
                .await?
                .rows_affected;
        }
        Ok(total)
    })
    .await
}

/// The WHERE of an UPDATE or DELETE of the queryset's rows: its own
/// conditions when they use only the table's columns, else
/// `pk IN (SELECT pk ..)` with the joins.
fn write_filter<M: Model>(qs: &QuerySet<M>, what: &str) -> Result<Vec<Cond>> {
    let select = qs.statement();
    if select.limit.is_some() || select.offset.is_some() || select.distinct {
        return Err(Error::Usage(format!(
            "{what}() of a sliced or distinct queryset"
        )));
    }
    if !select.group_by.is_empty() || !select.having.is_empty() {
        return Err(Error::Usage(format!(
            "{what}() of a grouped queryset (values().annotate())"
        )));
    }
    if select.filter.is_empty() && select.qualify.is_empty() {
        return Err(Error::Usage(format!(
            "{what}() without a filter would change every row of {}: call .all_rows() first to say so",
            M::META.name
        )));
    }
    if select.qualify.is_empty() && !select.filter.iter().any(Cond::has_path) {
        return Ok(select.filter);
    }
    // Joins or window filters: the rows are those the full select returns.
    if !select.qualify.is_empty() {
        let mut ids = select;
        ids.columns = vec![pk_column::<M>()];
        ids.order.clear();
        return Ok(vec![Cond::InSelect {
            lhs: pk_column::<M>(),
            select: Box::new(ids),
        }]);
    }
    let mut ids = Select::from_table(select.table);
    ids.columns = vec![pk_column::<M>()];
    ids.filter = select.filter;
    Ok(vec![Cond::InSelect {
        lhs: pk_column::<M>(),
        select: Box::new(ids),
    }])
}

pub(crate) async fn update<M: Model, E: Executor + ?Sized>(
    db: &E,
    qs: &QuerySet<M>,
    set: Vec<(&'static str, ExprNode)>,
) -> Result<u64> {
    check_plain_values::<M>(&set)?;
    let up = Update {
        table: M::META.table,
        set,
        filter: write_filter(qs, "update")?,
    };
    if qs.select().matches_nothing() {
        return Ok(0);
    }
    Ok(
        exec::execute(db, &render::write::update(&up, db.dialect())?)
            .await?
            .rows_affected,
    )
}

pub(crate) async fn delete<M: Model, E: Executor + ?Sized>(
    db: &E,
    qs: &QuerySet<M>,
) -> Result<u64> {
    let del = Delete {
        table: M::META.table,
        filter: write_filter(qs, "delete")?,
    };
    if qs.select().matches_nothing() {
        return Ok(0);
    }
    Ok(
        exec::execute(db, &render::write::delete(&del, db.dialect())?)
            .await?
            .rows_affected,
    )
}

/// Refuses a plain value set by `update()` that its field cannot hold,
/// naming the field; values inside expressions are checked when bound, and
/// computed results by the database (`ConstraintKind::Range`).
pub(crate) fn check_plain_values<M: Model>(set: &[(&'static str, ExprNode)]) -> Result<()> {
    for (column, node) in set {
        if let (ExprNode::Value(v), Some(f)) =
            (node, M::META.fields.iter().find(|f| f.column == *column))
        {
            storable::check_field(M::META.name, f, v)?;
        }
    }
    Ok(())
}

fn is_unique_violation(e: &Error) -> bool {
    e.constraint_kind() == Some(ConstraintKind::Unique)
}

pub(crate) async fn get_or_create<Q, E>(
    db: &E,
    lookup: Q,
    make: impl FnOnce() -> Q::Model,
) -> Result<(Q::Model, bool)>
where
    Q: QuerySetBuilder<Row = <Q as QuerySetBuilder>::Model>,
    E: Executor + ?Sized,
{
    match lookup.clone().get(db).await {
        Ok(found) => return Ok((found, false)),
        Err(Error::NotFound { .. }) => {}
        Err(e) => return Err(e),
    }
    let obj = make();
    // In a savepoint, so that losing the race leaves an outer transaction usable.
    let created = atomic(db, |tx| async move {
        QuerySet::<Q::Model>::new().create(&tx, obj).await
    })
    .await;
    match created {
        Ok(obj) => Ok((obj, true)),
        // Another task created it first: return that row.
        Err(e) if is_unique_violation(&e) => Ok((lookup.get(db).await?, false)),
        Err(e) => Err(e),
    }
}

pub(crate) async fn update_or_create<Q, E>(
    db: &E,
    lookup: Q,
    obj: Q::Model,
) -> Result<(Q::Model, bool)>
where
    Q: QuerySetBuilder<Row = <Q as QuerySetBuilder>::Model>,
    Q::Model: Clone,
    E: Executor + ?Sized,
{
    atomic(db, |tx| async move {
        let mut obj = obj;
        let existing = match lookup.clone().get(&tx).await {
            Ok(found) => Some(found),
            Err(Error::NotFound { .. }) => None,
            Err(e) => return Err(e),
        };
        if let Some(found) = existing {
            obj.set_pk(found.pk().clone());
            obj.save(&tx).await?;
            return Ok((obj, false));
        }
        let attempt = obj.clone();
        let created = tx
            .transaction(
                |tx2| async move { QuerySet::<Q::Model>::new().create(&tx2, attempt).await },
            )
            .await;
        match created {
            Ok(created) => Ok((created, true)),
            Err(e) if is_unique_violation(&e) => {
                let found = lookup.get(&tx).await?;
                obj.set_pk(found.pk().clone());
                obj.save(&tx).await?;
                Ok((obj, false))
            }
            Err(e) => Err(e),
        }
    })
    .await
}

use crate::model_ext::ModelExt;
