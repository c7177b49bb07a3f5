//! `QuerySet<M>`: a lazy, cloneable description of a SELECT over model `M`,
//! and the `QuerySetBuilder` trait that gives every generated
//! `<Model>QuerySet` (and the `values()`/`annotate()` querysets) the same
//! chainable methods.

use crate::ast::{Cond, ExprNode, OrderItem, Select};
use crate::expr::IntoExpr;
use crate::field::FieldType;
use crate::fold::Fold;
use crate::model::{Annotation, Model};
use crate::order::IntoOrder;
use crate::q::Condition;
use crate::row::{DecodeError, RowReader};
use crate::select_list::SelectList;
use crate::values::{Annotated, Values};
use crate::visit_mut::{VisitMut, walk_expr_mut};
use std::marker::PhantomData;

/// A lazy query over model `M`. Nothing runs until a terminal method of
/// orm-runtime (`all`, `get`, `count`, ...) is awaited.
pub struct QuerySet<M> {
    select: Select,
    /// Declared `#[orm(annotation)]` fields being filled, in select order
    /// (their expressions are in `named`).
    annotations: Vec<u16>,
    /// What each filled annotation field stands for in later calls (kept
    /// by `values()`, which stops selecting the fields).
    named: Vec<(u16, ExprNode)>,
    /// Ad-hoc selected values after the model (`annotate`).
    extra: Vec<ExprNode>,
    /// `values()` columns: the GROUP BY keys once an aggregate is selected.
    group: Option<Vec<ExprNode>>,
    /// Foreign-key paths whose rows are loaded with each row, parents first.
    related: Vec<(Vec<crate::ast::JoinStep>, &'static crate::model::ModelMeta)>,
    _m: PhantomData<fn() -> M>,
}

impl<M> Clone for QuerySet<M> {
    fn clone(&self) -> Self {
        QuerySet {
            select: self.select.clone(),
            annotations: self.annotations.clone(),
            named: self.named.clone(),
            extra: self.extra.clone(),
            group: self.group.clone(),
            related: self.related.clone(),
            _m: PhantomData,
        }
    }
}

impl<M> std::fmt::Debug for QuerySet<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.statement().fmt(f)
    }
}

impl<M: Model> Default for QuerySet<M> {
    fn default() -> Self {
        QuerySet::new()
    }
}

impl<M: Model> QuerySet<M> {
    /// All rows of `M`.
    pub fn new() -> Self {
        QuerySet {
            select: Select::for_model(M::META),
            annotations: Vec::new(),
            named: Vec::new(),
            extra: Vec::new(),
            group: None,
            related: Vec::new(),
            _m: PhantomData,
        }
    }
}

impl<M> QuerySet<M> {
    /// The complete statement: the model's (or `values()`) columns, filled
    /// annotations and ad-hoc annotations, grouped by the `values()` columns
    /// when an aggregate is selected.
    pub fn statement(&self) -> Select {
        let b = &self.select;
        // The columns are copied into a list with room for what follows them.
        let mut columns = Vec::with_capacity(b.columns.len() + self.added_columns());
        columns.extend_from_slice(&b.columns);
        self.complete(Select {
            table: b.table,
            source: b.source.clone(),
            names: b.names.clone(),
            joins: b.joins.clone(),
            columns,
            filter: b.filter.clone(),
            order: b.order.clone(),
            distinct: b.distinct,
            limit: b.limit,
            offset: b.offset,
            group_by: b.group_by.clone(),
            having: b.having.clone(),
            qualify: b.qualify.clone(),
            correlated: b.correlated,
        })
    }

    /// [`QuerySet::statement`] of a queryset the caller no longer needs,
    /// without copying its tree.
    pub fn into_statement(mut self) -> Select {
        let s = std::mem::replace(&mut self.select, Select::from_table(""));
        self.complete(s)
    }

    /// How many columns the queryset selects after its base statement's.
    fn added_columns(&self) -> usize {
        let related: usize = self.related.iter().map(|(_, m)| m.fields.len()).sum();
        related + self.annotations.len() + self.extra.len()
    }

    /// Adds to the base statement `s` what the queryset selects after it.
    fn complete(&self, mut s: Select) -> Select {
        s.columns.reserve(self.added_columns());
        for (path, meta) in &self.related {
            s.columns.extend(meta.fields.iter().map(|f| {
                ExprNode::Column(crate::ast::ColumnRef {
                    path: std::borrow::Cow::Owned(path.clone()),
                    column: f.column,
                    nullable: true,
                    kind: f.ty.kind,
                })
            }));
        }
        s.columns.extend(self.annotations.iter().filter_map(|i| {
            let (_, e) = self.named.iter().find(|(n, _)| n == i)?;
            Some(e.clone())
        }));
        s.columns.extend(self.extra.iter().cloned());
        if let Some(group) = &self.group
            && (s.columns.iter().any(ExprNode::has_any_aggregate) || !s.having.is_empty())
        {
            s.group_by = group.clone();
        }
        s
    }

    /// The base statement, without annotations.
    pub fn select(&self) -> &Select {
        &self.select
    }

    /// Mutable access to the base statement, for builders in other crates.
    pub fn select_mut(&mut self) -> &mut Select {
        &mut self.select
    }

    /// The declared annotation fields being filled, in select order.
    pub fn annotation_indices(&self) -> impl Iterator<Item = u16> + '_ {
        self.annotations.iter().copied()
    }

    fn cast<N>(self) -> QuerySet<N> {
        QuerySet {
            select: self.select,
            annotations: self.annotations,
            named: self.named,
            extra: self.extra,
            group: self.group,
            related: self.related,
            _m: PhantomData,
        }
    }

    pub(crate) fn with_values(
        mut self,
        nodes: Vec<ExprNode>,
        group: Option<Vec<ExprNode>>,
    ) -> Self {
        self.select.columns = nodes;
        self.related.clear();
        self.annotations.clear();
        self.extra.clear();
        self.group = group;
        self
    }

    /// Replaces references to the declared annotation fields this queryset
    /// fills (`User::total` after `annotate_into(User::total, ..)`) with the
    /// expressions they were filled with. Subqueries are left alone: their
    /// annotation fields are their own model's.
    pub fn resolve(&self, mut e: ExprNode) -> ExprNode {
        // With no annotation filled there is nothing to replace.
        if !self.named.is_empty() {
            Resolve(&self.named).visit_expr_mut(&mut e);
            let mut scopes = crate::visit::Correlations::default();
            crate::visit::Visit::visit_expr(&mut scopes, &e);
            self.outer_annotations(scopes.0).visit_expr_mut(&mut e);
        }
        e
    }

    /// [`QuerySet::resolve`] for a condition.
    pub fn resolve_cond(&self, mut c: Cond) -> Cond {
        if !self.named.is_empty() {
            Resolve(&self.named).visit_cond_mut(&mut c);
            let mut scopes = crate::visit::Correlations::default();
            crate::visit::Visit::visit_cond(&mut scopes, &c);
            self.outer_annotations(scopes.0).visit_cond_mut(&mut c);
        }
        c
    }

    fn outer_annotations(&self, scopes: Vec<u32>) -> OuterAnnotations<'_> {
        OuterAnnotations {
            scopes,
            named: &self.named,
        }
    }

    pub(crate) fn push_column(&mut self, node: ExprNode) {
        self.select.columns.push(node);
    }

    pub(crate) fn with_extra(mut self, nodes: Vec<ExprNode>) -> Self {
        self.extra = nodes;
        self
    }
}

struct Resolve<'a>(&'a [(u16, ExprNode)]);

impl VisitMut for Resolve<'_> {
    fn visit_expr_mut(&mut self, e: &mut ExprNode) {
        if let ExprNode::AnnotationRef { index, .. } = e {
            if let Some((_, filled)) = self.0.iter().find(|(i, _)| i == index) {
                *e = filled.clone();
            }
        } else {
            walk_expr_mut(self, e);
        }
    }
    fn visit_select_mut(&mut self, _: &mut Select) {}
}

/// Replaces, inside subqueries correlated with this queryset (`scopes`), an
/// outer reference to an annotation field this queryset fills by that
/// annotation's expression, its columns made outer references (Django's
/// `OuterRef('annotation')`). An annotation holding an aggregate, window or
/// subquery cannot move into a subquery: it is left, and rendering names it.
struct OuterAnnotations<'a> {
    scopes: Vec<u32>,
    named: &'a [(u16, ExprNode)],
}

impl VisitMut for OuterAnnotations<'_> {
    fn visit_expr_mut(&mut self, e: &mut ExprNode) {
        match e {
            ExprNode::OuterAnnotation {
                scope,
                table,
                index,
                ..
            } if self.scopes.contains(scope) => {
                if let Some((_, filled)) = self.named.iter().find(|(i, _)| i == index) {
                    let mut outer = AsOuter {
                        scope: *scope,
                        table,
                        movable: true,
                    };
                    let moved = outer.fold_expr(filled.clone());
                    if outer.movable {
                        *e = moved;
                    }
                }
            }
            _ => walk_expr_mut(self, e),
        }
    }
}

/// Makes an expression of the outer query usable inside a subquery.
struct AsOuter {
    scope: u32,
    table: &'static str,
    movable: bool,
}

impl crate::fold::Fold for AsOuter {
    fn fold_expr(&mut self, e: ExprNode) -> ExprNode {
        match e {
            ExprNode::Column(column) => ExprNode::OuterRef {
                scope: self.scope,
                table: self.table,
                column,
            },
            ExprNode::Aggregate(_) | ExprNode::Window(_) | ExprNode::Subquery(_) => {
                self.movable = false;
                e
            }
            e => crate::fold::walk_expr(self, e),
        }
    }
    fn fold_select(&mut self, s: Select) -> Select {
        self.movable = false;
        s
    }
}

/// Decodes a model row and the declared annotations the queryset fills.
pub fn decode_model<M: Model, R: RowReader + ?Sized>(
    qs: &QuerySet<M>,
    r: &mut R,
) -> Result<M, DecodeError> {
    let columns = &qs.select().columns;
    let mut m = if M::META
        .fields
        .iter()
        .zip(columns)
        .any(|(f, c)| f.deferrable && left_out(c))
    {
        M::decode_row(&mut Reborrow {
            r: &mut *r,
            fields: M::META.fields,
            columns,
            next: 0,
        })?
    } else {
        M::decode_row(r)?
    };
    if !qs.related.is_empty() {
        let r: &mut dyn RowReader = &mut Reborrow {
            r,
            fields: &[],
            columns: &[],
            next: 0,
        };
        'paths: for (path, meta) in &qs.related {
            let mut cur: &mut dyn crate::model::Related = &mut m;
            for step in &path[..path.len() - 1] {
                match cur.loaded_fk(step.fk_column) {
                    Some(next) => cur = next,
                    None => {
                        // The parent is NULL: its child's columns are NULL too.
                        for _ in 0..meta.fields.len() {
                            r.skip();
                        }
                        continue 'paths;
                    }
                }
            }
            let last = path[path.len() - 1];
            if cur.load_fk(last.fk_column, r)?.is_none() && !last.nullable {
                return Err(DecodeError {
                    model: M::META.name,
                    column: last.fk_column,
                    expected: "a related row",
                    message: "select_related found no row".into(),
                });
            }
        }
    }
    for i in qs.annotation_indices() {
        m.decode_annotation(i, r)?;
    }
    Ok(m)
}

/// The chainable, lazy methods of every queryset. Implemented by
/// `QuerySet<M>`, by each generated `<Model>QuerySet` and by the `values()`
/// and `annotate()` querysets, so methods users add to their queryset types
/// chain with these.
pub trait QuerySetBuilder: Sized + Clone + Send + Sync + 'static {
    /// The model the conditions are about.
    type Model: Model;
    /// What one result row decodes into.
    type Row: Send + 'static;

    /// Wraps a plain queryset.
    fn from_queryset(qs: QuerySet<Self::Model>) -> Self;
    /// The plain queryset.
    fn as_queryset(&self) -> &QuerySet<Self::Model>;
    /// The plain queryset, consuming `self`.
    fn into_queryset(self) -> QuerySet<Self::Model>;
    /// Decodes one result row.
    fn decode_row<R: RowReader + ?Sized>(
        qs: &QuerySet<Self::Model>,
        r: &mut R,
    ) -> Result<Self::Row, DecodeError>;

    /// Keeps rows matching the condition (Django `filter`). Several calls
    /// combine with AND. A condition on an aggregate goes to HAVING.
    ///
    /// ```
    /// # use orm_runtime::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # pub struct Song {
    /// #     #[orm(primary_key)] pub id: i64,
    /// #     #[orm(max_length = 100)] pub title: String,
    /// #     pub length: i32,
    /// # }
    /// # #[tokio::main]
    /// # async fn main() -> Result<(), Error> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # db.create_tables(&[Song::META]).await?;
    /// # for (title, length) in [("intro", 90), ("suite", 420), ("outro", 301)] {
    /// #     Song::objects().create(&db, Song { id: 0, title: title.into(), length }).await?;
    /// # }
    /// let qs = Song::objects().filter(Song::length.gt(300)).filter(Song::length.lt(400));
    /// assert_eq!(
    ///     qs.to_sql(Dialect::Postgres)?.sql,
    ///     r#"SELECT "t0"."id", "t0"."title", "t0"."length" FROM "song" AS "t0" WHERE "t0"."length" > $1 AND "t0"."length" < $2"#
    /// );
    /// let songs = qs.all(&db).await?;
    /// assert_eq!(songs.len(), 1);
    /// assert_eq!(songs[0].title, "outro");
    /// # Ok(()) }
    /// ```
    fn filter(self, q: impl Condition<Self::Model>) -> Self {
        let mut qs = self.into_queryset();
        let cond = qs.resolve_cond(q.into_cond());
        let cond = crate::joins::separate(&qs, cond);
        place_condition(qs.select_mut(), cond);
        Self::from_queryset(qs)
    }

    /// Drops rows matching the condition (Django `exclude`); rows where a
    /// compared column is NULL are kept, as in Django.
    fn exclude(self, q: impl Condition<Self::Model>) -> Self {
        let mut qs = self.into_queryset();
        let cond = qs.resolve_cond(Cond::Not(Box::new(q.into_cond())));
        place_condition(qs.select_mut(), cond);
        Self::from_queryset(qs)
    }

    /// A queryset that matches nothing (Django `none()`): `all()` gives no
    /// rows, `count()` 0, `exists()` false, `aggregate(..)` the values over
    /// no rows (NULL, 0 for counts), `update`/`delete` change 0 rows, all
    /// without sending a statement. Inside another query (a subquery,
    /// `in_query`, `Exists`) it is `WHERE 1 = 0`.
    fn none(self) -> Self {
        self.map_select(|s| s.filter.push(Cond::Any(Vec::new())))
    }

    /// Says that an `update` or `delete` of this queryset is meant to touch
    /// every row (`WHERE 1 = 1`); without a filter they refuse to run.
    fn all_rows(self) -> Self {
        self.map_select(|s| s.filter.push(Cond::All(Vec::new())))
    }

    /// Loads the rows referenced by a foreign key with each row, in the
    /// same query (Django `select_related`): `select_related(Comment::post)`,
    /// or a chain `select_related(Comment::post.then(Post::author))`, which
    /// loads the posts too. Nullable keys are LEFT JOINs. The loaded row is
    /// read with `comment.post.get()`, which never queries.
    fn select_related(self, rel: impl crate::column::RelatedPath<Self::Model>) -> Self {
        let (path, meta) = rel.related_path();
        let mut qs = self.into_queryset();
        for n in 1..=path.len() {
            let prefix = &path[..n];
            if !qs.related.iter().any(|(p, _)| p.as_slice() == prefix) {
                let m = if n == path.len() {
                    Some(meta)
                } else {
                    prefix[n - 1].meta
                };
                match m {
                    Some(m) => qs.related.push((prefix.to_vec(), m)),
                    None => return Self::from_queryset(qs),
                }
            }
        }
        Self::from_queryset(qs)
    }

    /// Leaves a `Deferred<T>` column out of the query (Django `defer`): the
    /// rows still decode into the model, with that field `NotLoaded`.
    fn defer<T: FieldType>(
        self,
        column: crate::column::Column<Self::Model, crate::field::Deferred<T>>,
    ) -> Self {
        let name = column.name();
        self.map_select(|s| defer_column::<Self::Model>(s, |c| c == name))
    }

    /// Loads only the given columns (Django `only`): every `Deferred<T>`
    /// field not listed is left out. Other fields are always loaded.
    fn only<L: SelectList<Self::Model>>(self, columns: L) -> Self {
        let mut nodes = Vec::new();
        columns.push_nodes(&mut nodes);
        let keep: Vec<&'static str> = nodes
            .iter()
            .filter_map(|n| match n {
                ExprNode::Column(c) if c.path.is_empty() => Some(c.column),
                _ => None,
            })
            .collect();
        self.map_select(|s| defer_column::<Self::Model>(s, |c| !keep.contains(&c)))
    }

    /// Replaces the ordering.
    fn order_by(self, order: impl IntoOrder<Self::Model>) -> Self {
        let mut qs = self.into_queryset();
        let items = order
            .into_items()
            .into_iter()
            .map(|o| OrderItem {
                expr: qs.resolve(o.expr),
                desc: o.desc,
            })
            .collect();
        qs.select_mut().order = items;
        Self::from_queryset(qs)
    }

    /// SELECT DISTINCT.
    fn distinct(self) -> Self {
        self.map_select(|s| s.distinct = true)
    }

    /// At most `n` rows (LIMIT).
    fn limit(self, n: u64) -> Self {
        self.map_select(|s| s.limit = Some(n))
    }

    /// Skips the first `n` rows (OFFSET).
    fn offset(self, n: u64) -> Self {
        self.map_select(|s| s.offset = Some(n))
    }

    /// Rows `range.start..range.end` of the result, like Python's
    /// `qs[start:end]`.
    fn slice(self, range: std::ops::Range<u64>) -> Self {
        self.map_select(|s| {
            s.offset = (range.start > 0).then_some(range.start);
            s.limit = Some(range.end.saturating_sub(range.start));
        })
    }

    /// Reverses the ordering (by primary key when none was given).
    fn reverse(self) -> Self {
        let mut qs = self.into_queryset();
        let mut s = qs.statement();
        order_or_pk::<Self::Model>(&mut s);
        for o in &mut s.order {
            o.desc = !o.desc;
        }
        qs.select.order = s.order;
        Self::from_queryset(qs)
    }

    /// Fills the declared `#[orm(annotation)]` field with an expression,
    /// typically a subquery or an aggregate over a relation; the rows then
    /// carry the value in that field.
    fn annotate_into<T: FieldType>(
        self,
        field: Annotation<Self::Model, T>,
        value: impl IntoExpr<Self::Model, T::Compare>,
    ) -> Self {
        let mut qs = self.into_queryset();
        let node = crate::joins::restricted_by_filters(&qs, qs.resolve(value.into_node()));
        qs.annotations.retain(|i| *i != field.index());
        qs.annotations.push(field.index());
        qs.named.retain(|(i, _)| *i != field.index());
        qs.named.push((field.index(), node));
        Self::from_queryset(qs)
    }

    /// Rows of the model together with typed values: `annotate(x)` gives
    /// `(Model, X)`, `annotate((x, y))` gives `(Model, (X, Y))`. A later call
    /// replaces the annotations of an earlier one.
    ///
    /// ```
    /// # use orm_runtime::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # pub struct Playlist {
    /// #     #[orm(primary_key)] pub id: i64,
    /// #     #[orm(max_length = 100)] pub name: String,
    /// # }
    /// # #[derive(Model, Debug, Clone)]
    /// # pub struct Song {
    /// #     #[orm(primary_key)] pub id: i64,
    /// #     #[orm(related_name = "songs")] pub playlist: ForeignKey<Playlist>,
    /// #     pub length: i32,
    /// # }
    /// # #[tokio::main]
    /// # async fn main() -> Result<(), Error> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # db.create_tables(&[Playlist::META, Song::META]).await?;
    /// # let rock = Playlist::objects().create(&db, Playlist { id: 0, name: "rock".into() }).await?;
    /// # let jazz = Playlist::objects().create(&db, Playlist { id: 0, name: "jazz".into() }).await?;
    /// # Playlist::objects().create(&db, Playlist { id: 0, name: "empty".into() }).await?;
    /// # for (p, length) in [(&rock, 200), (&rock, 100), (&jazz, 50)] {
    /// #     Song::objects().create(&db, Song { id: 0, playlist: p.into(), length }).await?;
    /// # }
    /// // Each playlist with its number of songs and their total length, each a
    /// // correlated subquery: SELECT "t0"."id", "t0"."name",
    /// //   (SELECT COUNT(*) FROM "song" AS "t1" WHERE "t1"."playlist_id" = "t0"."id"),
    /// //   (SELECT SUM("t2"."length") FROM "song" AS "t2" WHERE "t2"."playlist_id" = "t0"."id")
    /// //   FROM "playlist" AS "t0" ORDER BY "t0"."name" ASC
    /// # let sql = Playlist::objects()
    /// #     .annotate((Count(Playlist::songs), Sum(Playlist::songs.then(Song::length))))
    /// #     .order_by(Playlist::name.asc())
    /// #     .to_sql(Dialect::Postgres)?
    /// #     .sql;
    /// # assert_eq!(sql, concat!(
    /// #     r#"SELECT "t0"."id", "t0"."name", (SELECT COUNT(*) FROM "song" AS "t1" WHERE "t1"."playlist_id" = "t0"."id"), "#,
    /// #     r#"(SELECT SUM("t2"."length") FROM "song" AS "t2" WHERE "t2"."playlist_id" = "t0"."id") FROM "playlist" AS "t0" ORDER BY "t0"."name" ASC"#,
    /// # ));
    /// let rows: Vec<(Playlist, (i64, Option<i64>))> = Playlist::objects()
    ///     .annotate((Count(Playlist::songs), Sum(Playlist::songs.then(Song::length))))
    ///     .order_by(Playlist::name.asc())
    ///     .all(&db)
    ///     .await?;
    /// let rows: Vec<(&str, (i64, Option<i64>))> = rows.iter().map(|(p, n)| (p.name.as_str(), *n)).collect();
    /// assert_eq!(rows, [("empty", (0, None)), ("jazz", (1, Some(50))), ("rock", (2, Some(300)))]);
    /// # Ok(()) }
    /// ```
    fn annotate<L: SelectList<Self::Model> + 'static>(self, list: L) -> Annotated<Self::Model, L> {
        let mut nodes = Vec::new();
        list.push_nodes(&mut nodes);
        let qs = self.into_queryset();
        let nodes = nodes
            .into_iter()
            .map(|n| crate::joins::restricted_by_filters(&qs, qs.resolve(n)))
            .collect();
        Annotated::from_queryset(qs.with_extra(nodes).cast())
    }

    /// Typed tuples of the chosen columns instead of models (Django
    /// `values_list`). Followed by `annotate`, the aggregates are computed
    /// per distinct combination of these columns (GROUP BY).
    ///
    /// ```
    /// # use orm_runtime::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # pub struct Playlist { #[orm(primary_key)] pub id: i64 }
    /// # #[derive(Model, Debug, Clone)]
    /// # pub struct Song {
    /// #     #[orm(primary_key)] pub id: i64,
    /// #     pub playlist: ForeignKey<Playlist>,
    /// #     #[orm(max_length = 100)] pub title: String,
    /// #     pub length: i32,
    /// # }
    /// # #[tokio::main]
    /// # async fn main() -> Result<(), Error> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # db.create_tables(&[Playlist::META, Song::META]).await?;
    /// # let rock = Playlist::objects().create(&db, Playlist { id: 0 }).await?;
    /// # let jazz = Playlist::objects().create(&db, Playlist { id: 0 }).await?;
    /// # for (p, title, length) in [(&rock, "a", 200), (&rock, "b", 100), (&jazz, "c", 50)] {
    /// #     Song::objects().create(&db, Song { id: 0, playlist: p.into(), title: title.into(), length }).await?;
    /// # }
    /// let titles: Vec<(String, i32)> =
    ///     Song::objects().values((Song::title, Song::length)).order_by(Song::title.asc()).all(&db).await?;
    /// assert_eq!(titles[0], ("a".to_string(), 200));
    ///
    /// // SELECT "t0"."playlist_id", SUM("t0"."length") FROM "song" AS "t0"
    /// //   GROUP BY "t0"."playlist_id" ORDER BY "t0"."playlist_id" ASC
    /// let per_playlist =
    ///     Song::objects().values(Song::playlist).annotate(Sum(Song::length)).order_by(Song::playlist.asc());
    /// # assert_eq!(
    /// #     per_playlist.to_sql(Dialect::Postgres)?.sql,
    /// #     r#"SELECT "t0"."playlist_id", SUM("t0"."length") FROM "song" AS "t0" GROUP BY "t0"."playlist_id" ORDER BY "t0"."playlist_id" ASC"#
    /// # );
    /// let totals: Vec<(i64, Option<i64>)> = per_playlist.all(&db).await?;
    /// assert_eq!(totals, [(rock.id, Some(300)), (jazz.id, Some(50))]);
    /// # Ok(()) }
    /// ```
    fn values<L: SelectList<Self::Model> + 'static>(self, list: L) -> Values<Self::Model, L> {
        let mut nodes = Vec::new();
        list.push_nodes(&mut nodes);
        let qs = self.into_queryset();
        let nodes: Vec<ExprNode> = nodes.into_iter().map(|n| qs.resolve(n)).collect();
        // An aggregate (a filled annotation) is a value of the group, not a key.
        let keys = nodes
            .iter()
            .filter(|n| !n.has_any_aggregate())
            .cloned()
            .collect();
        let qs = qs.with_values(nodes, Some(keys));
        Values::from_queryset(qs.cast())
    }

    /// Aggregates over exactly the rows the queryset returns, one row:
    /// `.aggregate(Sum(x)).get(&db)` gives `Option<i64>`; a tuple gives a
    /// tuple. Over a sliced, distinct or grouped queryset the aggregates
    /// read it as a subquery (as Django does); its ordering is ignored.
    ///
    /// ```
    /// # use orm_runtime::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(table = "books")]
    /// # pub struct Book {
    /// #     #[orm(primary_key)] pub id: i64,
    /// #     pub pages: i32,
    /// #     pub rating: f64,
    /// # }
    /// # #[tokio::main]
    /// # async fn main() -> Result<(), Error> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # db.create_tables(&[Book::META]).await?;
    /// # for (pages, rating) in [(100, 5.0), (250, 4.0), (300, 3.0), (50, 1.0)] {
    /// #     Book::objects().create(&db, Book { id: 0, pages, rating }).await?;
    /// # }
    /// let (n, pages): (i64, Option<i64>) =
    ///     Book::objects().aggregate((CountAll(), Sum(Book::pages))).get(&db).await?;
    /// assert_eq!((n, pages), (4, Some(700)));
    ///
    /// // SELECT AVG("sub"."c0") FROM (SELECT "t0"."rating" AS "c0" FROM "books" AS "t0"
    /// //   ORDER BY "t0"."rating" DESC LIMIT $1) AS "sub"
    /// let top3 = Book::objects().order_by(Book::rating.desc()).slice(0..3).aggregate(Avg(Book::rating));
    /// # assert_eq!(
    /// #     top3.to_sql(Dialect::Postgres)?.sql,
    /// #     r#"SELECT AVG("sub"."c0") FROM (SELECT "t0"."rating" AS "c0" FROM "books" AS "t0" ORDER BY "t0"."rating" DESC LIMIT $1) AS "sub""#
    /// # );
    /// assert_eq!(top3.get(&db).await?, Some(4.0));
    /// # Ok(()) }
    /// ```
    fn aggregate<L: SelectList<Self::Model> + 'static>(self, list: L) -> Values<Self::Model, L> {
        let mut nodes = Vec::new();
        list.push_nodes(&mut nodes);
        let mut qs = self.into_queryset();
        let nodes = nodes.into_iter().map(|n| qs.resolve(n)).collect();
        let base = std::mem::replace(qs.select_mut(), Select::from_table(""));
        let inner = qs.complete(base);
        let mut outer = Select::from_table(inner.table);
        outer.columns = nodes;
        outer.source = Some(crate::ast::Derived {
            select: Box::new(inner),
            alias: "sub",
        });
        let mut qs = qs.with_values(Vec::new(), None);
        qs.select = outer;
        Values::from_queryset(qs.cast())
    }

    #[doc(hidden)]
    fn map_select(self, f: impl FnOnce(&mut Select)) -> Self {
        let mut qs = self.into_queryset();
        f(qs.select_mut());
        Self::from_queryset(qs)
    }
}

/// Replaces the deferrable model columns chosen by `leave_out` with NULL
/// (which a `Deferred<T>` decodes as not loaded).
fn defer_column<M: Model>(s: &mut Select, leave_out: impl Fn(&str) -> bool) {
    for (i, f) in M::META.fields.iter().enumerate() {
        if f.deferrable && leave_out(f.column) && i < s.columns.len() {
            s.columns[i] = ExprNode::Value(crate::value::Value::Null(f.ty.kind));
        }
    }
}

/// A condition on a window function filters a wrapping query; one on an
/// aggregate goes to HAVING; the rest to WHERE.
fn place_condition(s: &mut Select, cond: Cond) {
    if let Some(d) = &mut s.source
        && !cond.has_aggregate()
        && !cond.has_window()
    {
        // After `aggregate()`: a condition on the rows being aggregated.
        return place_condition(&mut d.select, cond);
    }
    if cond.has_window() {
        s.qualify.push(cond);
    } else if cond.has_aggregate() {
        s.having.push(cond);
    } else {
        s.filter.push(cond);
    }
}

/// Orders by the primary key (or by the GROUP BY keys of a grouped query)
/// when the select has no ordering, so that `first`/`last` are
/// deterministic.
pub fn order_or_pk<M: Model>(s: &mut Select) {
    if !s.order.is_empty() {
        return;
    }
    if !s.group_by.is_empty() {
        s.order = s
            .group_by
            .iter()
            .map(|e| OrderItem {
                expr: e.clone(),
                desc: false,
            })
            .collect();
        return;
    }
    let pk = M::META.pk();
    s.order.push(OrderItem {
        expr: ExprNode::Column(crate::ast::ColumnRef::local(pk.column, false, pk.ty.kind)),
        desc: false,
    });
}

impl<M: Model> QuerySetBuilder for QuerySet<M> {
    type Model = M;
    type Row = M;
    fn from_queryset(qs: QuerySet<M>) -> Self {
        qs
    }
    fn as_queryset(&self) -> &QuerySet<M> {
        self
    }
    fn into_queryset(self) -> QuerySet<M> {
        self
    }
    fn decode_row<R: RowReader + ?Sized>(qs: &QuerySet<M>, r: &mut R) -> Result<M, DecodeError> {
        decode_model(qs, r)
    }
}

/// Whether a select column is a deferrable field that `defer()`/`only()`
/// replaced with NULL.
fn left_out(column: &ExprNode) -> bool {
    matches!(column, ExprNode::Value(crate::value::Value::Null(_)))
}

/// Passes a reader on as `dyn RowReader` (which a generic, possibly unsized
/// reader cannot be coerced to directly), and while the model's own fields
/// are read (`fields` and `columns` given) says which were left out.
struct Reborrow<'a, R: RowReader + ?Sized> {
    r: &'a mut R,
    fields: &'static [crate::model::FieldMeta],
    columns: &'a [ExprNode],
    /// The index of the next field read.
    next: usize,
}

macro_rules! forward {
    ($($m:ident -> $t:ty;)*) => {
        impl<R: RowReader + ?Sized> RowReader for Reborrow<'_, R> {
            $(fn $m(&mut self) -> Result<Option<$t>, String> {
                self.next += 1;
                self.r.$m()
            })*
            fn skip(&mut self) {
                self.next += 1;
                self.r.skip()
            }
            fn remaining(&self) -> usize {
                self.r.remaining()
            }
            fn column_name(&self, index: usize) -> Option<&str> {
                self.r.column_name(index)
            }
            fn seek(&mut self, index: usize) -> bool {
                self.r.seek(index)
            }
            fn left_out(&self) -> bool {
                self.fields.get(self.next).is_some_and(|f| f.deferrable)
                    && self.columns.get(self.next).is_some_and(left_out)
            }
        }
    };
}

crate::for_each_read!(forward);
