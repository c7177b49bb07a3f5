//! Reading and changing many-to-many relations through their join table:
//! `Book::authors.of(&book).add(&db, [&alice])`.

use crate::error::Result;
use crate::exec::{self, Executor, ValuesDecoder};
use crate::render;
use crate::render::select::Projection;
use crate::terminal::QuerySetExt;
use orm_core::ast::{CmpOp, ColumnRef, Cond, Delete, ExprNode, Insert, Select};
use orm_core::model::Model;
use orm_core::relation::RelatedSet;
use orm_core::value::{Kind, Value};
use std::future::Future;

/// Rows per INSERT into a join table: two binds a row stays far below
/// every backend's bind-parameter limit.
const ROWS_PER_INSERT: usize = 1000;

fn col(name: &'static str, kind: Kind) -> ExprNode {
    ExprNode::Column(ColumnRef::local(name, false, kind))
}

fn eq(name: &'static str, v: &Value) -> Cond {
    Cond::Cmp {
        lhs: col(name, v.kind()),
        op: CmpOp::Eq,
        rhs: ExprNode::Value(v.clone()),
    }
}

fn is_in(name: &'static str, kind: Kind, vs: &[Value]) -> Cond {
    Cond::In {
        lhs: col(name, kind),
        items: vs.iter().cloned().map(ExprNode::Value).collect(),
    }
}

/// Methods of a related set (`Book::authors.of(&book)`).
pub trait RelatedSetExt<T: Model> {
    /// The related rows.
    fn all<E: Executor + ?Sized>(&self, db: &E) -> impl Future<Output = Result<Vec<T>>> + Send;
    /// Relates the given rows; rows already related are left alone. Returns
    /// the number of join rows inserted.
    fn add<'a, E: Executor + ?Sized>(
        &self,
        db: &E,
        objs: impl IntoIterator<Item = &'a T>,
    ) -> impl Future<Output = Result<u64>> + Send
    where
        T: 'a;
    /// Unrelates the given rows. Returns the number of join rows deleted.
    fn remove<'a, E: Executor + ?Sized>(
        &self,
        db: &E,
        objs: impl IntoIterator<Item = &'a T>,
    ) -> impl Future<Output = Result<u64>> + Send
    where
        T: 'a;
    /// Unrelates every row. Returns the number of join rows deleted.
    fn clear<E: Executor + ?Sized>(&self, db: &E) -> impl Future<Output = Result<u64>> + Send;
    /// Makes exactly the given rows related, adding and removing the
    /// difference.
    fn set<'a, E: Executor + ?Sized>(
        &self,
        db: &E,
        objs: impl IntoIterator<Item = &'a T>,
    ) -> impl Future<Output = Result<()>> + Send
    where
        T: 'a;
}

fn keys<'a, T: Model>(objs: impl IntoIterator<Item = &'a T>) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    for o in objs {
        let v = orm_core::field::FieldType::to_value(o.pk());
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

/// The join rows (source, target) linking `source` to `targets`, in both
/// directions for a symmetrical relation.
fn links<M, T: Model>(set: &RelatedSet<M, T>, targets: &[Value]) -> Cond {
    let m = set.meta();
    let s = set.source();
    let forward = Cond::All(vec![
        eq(m.source_column, s),
        is_in(m.target_column, m.target_pk_type.kind, targets),
    ]);
    if m.symmetrical {
        Cond::Any(vec![
            forward,
            Cond::All(vec![
                eq(m.target_column, s),
                is_in(m.source_column, m.source_pk_type.kind, targets),
            ]),
        ])
    } else {
        forward
    }
}

async fn add_keys<M, T: Model, E: Executor + ?Sized>(
    set: &RelatedSet<M, T>,
    db: &E,
    targets: Vec<Value>,
) -> Result<u64> {
    if targets.is_empty() {
        return Ok(0);
    }
    let m = set.meta();
    let s = set.source().clone();
    let mut wanted: Vec<(Value, Value)> = targets.iter().map(|t| (s.clone(), t.clone())).collect();
    if m.symmetrical {
        for t in &targets {
            let pair = (t.clone(), s.clone());
            if !wanted.contains(&pair) {
                wanted.push(pair);
            }
        }
    }
    let mut select = Select::from_table(m.through);
    select.columns = vec![
        col(m.source_column, m.source_pk_type.kind),
        col(m.target_column, m.target_pk_type.kind),
    ];
    select.filter.push(links(set, &targets));
    let stmt = render::select::render(&select, Projection::Columns, db.dialect())?;
    let existing = exec::fetch(
        db,
        &stmt,
        &ValuesDecoder(vec![m.source_pk_type.kind, m.target_pk_type.kind]),
    )
    .await?;
    wanted.retain(|(a, b)| !existing.iter().any(|r| r[0] == *a && r[1] == *b));
    let mut inserted = 0;
    for chunk in wanted.chunks(ROWS_PER_INSERT) {
        let ins = Insert {
            table: m.through,
            columns: vec![m.source_column, m.target_column],
            rows: chunk
                .iter()
                .map(|(a, b)| vec![a.clone(), b.clone()])
                .collect(),
            returning: None,
            on_conflict: None,
        };
        inserted += exec::execute(db, &render::write::insert(&ins, db.dialect())?)
            .await?
            .rows_affected;
    }
    Ok(inserted)
}

async fn delete_where<E: Executor + ?Sized>(
    db: &E,
    table: &'static str,
    filter: Cond,
) -> Result<u64> {
    let del = Delete {
        table,
        filter: vec![filter],
    };
    Ok(
        exec::execute(db, &render::write::delete(&del, db.dialect())?)
            .await?
            .rows_affected,
    )
}

impl<M: Model, T: Model> RelatedSetExt<T> for RelatedSet<M, T> {
    fn all<E: Executor + ?Sized>(&self, db: &E) -> impl Future<Output = Result<Vec<T>>> + Send {
        self.queryset().all(db)
    }

    fn add<'a, E: Executor + ?Sized>(
        &self,
        db: &E,
        objs: impl IntoIterator<Item = &'a T>,
    ) -> impl Future<Output = Result<u64>> + Send
    where
        T: 'a,
    {
        let targets = keys(objs);
        add_keys(self, db, targets)
    }

    fn remove<'a, E: Executor + ?Sized>(
        &self,
        db: &E,
        objs: impl IntoIterator<Item = &'a T>,
    ) -> impl Future<Output = Result<u64>> + Send
    where
        T: 'a,
    {
        let targets = keys(objs);
        let filter = links(self, &targets);
        let table = self.meta().through;
        async move {
            if targets.is_empty() {
                return Ok(0);
            }
            delete_where(db, table, filter).await
        }
    }

    fn clear<E: Executor + ?Sized>(&self, db: &E) -> impl Future<Output = Result<u64>> + Send {
        let m = self.meta();
        let mut filter = eq(m.source_column, self.source());
        if m.symmetrical {
            filter = Cond::Any(vec![filter, eq(m.target_column, self.source())]);
        }
        delete_where(db, m.through, filter)
    }

    fn set<'a, E: Executor + ?Sized>(
        &self,
        db: &E,
        objs: impl IntoIterator<Item = &'a T>,
    ) -> impl Future<Output = Result<()>> + Send
    where
        T: 'a,
    {
        let wanted = keys(objs);
        async move {
            let m = self.meta();
            let stmt =
                render::select::render(&self.target_ids(), Projection::Columns, db.dialect())?;
            let current: Vec<Value> =
                exec::fetch(db, &stmt, &ValuesDecoder(vec![m.target_pk_type.kind]))
                    .await?
                    .into_iter()
                    .filter_map(|mut r| r.pop())
                    .collect();
            let stale: Vec<Value> = current
                .iter()
                .filter(|v| !wanted.contains(v))
                .cloned()
                .collect();
            if !stale.is_empty() {
                delete_where(db, m.through, links(self, &stale)).await?;
            }
            let missing: Vec<Value> = wanted
                .into_iter()
                .filter(|v| !current.contains(v))
                .collect();
            add_keys(self, db, missing).await?;
            Ok(())
        }
    }
}
