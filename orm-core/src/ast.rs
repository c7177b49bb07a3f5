//! The one untyped statement tree. Typed builders (`Column`, `Q`, `QuerySet`)
//! produce it; the renderer in orm-runtime is the only reader that turns it
//! into SQL text.

use crate::model::ModelMeta;
use crate::value::{Kind, Value};
use std::borrow::Cow;

/// One hop of a join path: from the current table's `fk_column` to
/// `table`.`pk_column` (`ON current.fk_column = table.pk_column`). For a
/// forward foreign key these are the key and the referenced primary key; for
/// a hop against a relation's direction (a reverse foreign key, or a
/// many-to-many join table) they are the current primary key and the
/// referring column, and the hop is `many`.
#[derive(Debug, Clone, Copy)]
pub struct JoinStep {
    /// The foreign key column on the table the hop starts from.
    pub fk_column: &'static str,
    /// The referenced table.
    pub table: &'static str,
    /// The referenced primary key column.
    pub pk_column: &'static str,
    /// Whether the foreign key admits NULL (rendered as LEFT JOIN).
    pub nullable: bool,
    /// The model of `table`, when it is one (not a join table).
    pub meta: Option<&'static ModelMeta>,
    /// Whether the hop can reach several rows per current row (a reverse
    /// foreign key or a many-to-many link): joining it multiplies rows.
    pub many: bool,
    /// Which join of this hop: 0 for the join every clause shares; a
    /// later `filter()` call that reaches a multi-valued hop the query
    /// already joins gets its own (Django: conditions in separate
    /// `filter()` calls may match different related rows).
    pub join: u32,
}

impl PartialEq for JoinStep {
    /// Two hops are the same join whatever metadata they carry.
    fn eq(&self, other: &Self) -> bool {
        self.fk_column == other.fk_column
            && self.table == other.table
            && self.pk_column == other.pk_column
            && self.nullable == other.nullable
            && self.many == other.many
            && self.join == other.join
    }
}

/// A column reached from the statement's base table through a (possibly
/// empty) foreign-key path.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnRef {
    /// The joins leading to the column's table.
    pub path: Cow<'static, [JoinStep]>,
    /// The column name.
    pub column: &'static str,
    /// Whether the value can be NULL (nullable column or nullable join).
    pub nullable: bool,
    /// The column's storage kind.
    pub kind: Kind,
}

/// Arithmetic operators of F expressions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
}

/// An expression.
#[derive(Debug, Clone, PartialEq)]
pub enum ExprNode {
    /// A column.
    Column(ColumnRef),
    /// A column of an enclosing query, `levels` scopes out (Django's `OuterRef`).
    Outer {
        /// 1 for the immediately enclosing query, 2 for its parent, ...
        levels: u32,
        /// The column, relative to that query's base table.
        column: ColumnRef,
    },
    /// A bound value.
    Value(Value),
    /// `lhs op rhs`.
    Binary {
        /// Operator.
        op: BinOp,
        /// Left operand.
        lhs: Box<ExprNode>,
        /// Right operand.
        rhs: Box<ExprNode>,
        /// Result kind (integer division differs per dialect).
        kind: Kind,
    },
    /// An aggregate.
    Aggregate(Box<Aggregate>),
    /// A scalar function.
    Func {
        /// Which function.
        func: Func,
        /// Arguments.
        args: Vec<ExprNode>,
        /// Result kind.
        kind: Kind,
    },
    /// `CAST(expr AS <kind>)`.
    Cast {
        /// The expression.
        expr: Box<ExprNode>,
        /// Target kind.
        to: Kind,
    },
    /// `CASE WHEN .. THEN .. ELSE .. END`.
    Case {
        /// Conditions and their values, first match wins.
        whens: Vec<(Cond, ExprNode)>,
        /// The value when nothing matches (NULL if absent).
        default: Option<Box<ExprNode>>,
        /// Result kind.
        kind: Kind,
    },
    /// A scalar subquery `(SELECT ..)` returning one column.
    Subquery(Box<Select>),
    /// A column of the enclosing query a correlated subquery was made for
    /// (Django's `OuterRef`): the query that the innermost enclosing select
    /// whose `correlated` is `scope` is used in.
    OuterRef {
        /// The correlation scope ([`Select::correlated`]).
        scope: u32,
        /// The enclosing query's base table.
        table: &'static str,
        /// The column, relative to that table.
        column: ColumnRef,
    },
    /// A window function call: `f(..) OVER (PARTITION BY .. ORDER BY .. frame)`.
    Window(Box<Window>),
    /// A declared `#[orm(annotation)]` field of the queryset's model, by its
    /// number; replaced by the expression `annotate_into` filled it with
    /// when the queryset is built further.
    AnnotationRef {
        /// Its number among the model's annotation fields.
        index: u16,
        /// Whether it can be NULL.
        nullable: bool,
        /// Its kind.
        kind: Kind,
    },
    /// `OuterRef` to a declared annotation field of the enclosing query of
    /// correlation `scope`; replaced by that annotation's expression (as
    /// outer references) when the subquery is used in a queryset that
    /// fills it.
    OuterAnnotation {
        /// The correlation scope ([`Select::correlated`]).
        scope: u32,
        /// The enclosing query's base table.
        table: &'static str,
        /// The annotation field's number.
        index: u16,
        /// Whether it can be NULL.
        nullable: bool,
        /// Its kind.
        kind: Kind,
    },
    /// The select's `position`-th column (1-based), written as its ordinal
    /// in GROUP BY and ORDER BY so a computed key is written once.
    Ordinal {
        /// 1-based position in the select list.
        position: u32,
        /// Whether that column can be NULL.
        nullable: bool,
        /// That column's kind.
        kind: Kind,
    },
}

/// Window functions.
#[derive(Debug, Clone, PartialEq)]
pub enum WindowFunc {
    /// `ROW_NUMBER()`
    RowNumber,
    /// `RANK()`
    Rank,
    /// `DENSE_RANK()`
    DenseRank,
    /// `PERCENT_RANK()`
    PercentRank,
    /// `NTILE(n)`
    Ntile(u32),
    /// `LAG(expr, offset)`
    Lag(u32),
    /// `LEAD(expr, offset)`
    Lead(u32),
    /// `FIRST_VALUE(expr)`
    FirstValue,
    /// `LAST_VALUE(expr)`
    LastValue,
    /// An aggregate over the window (`SUM(x) OVER (..)`).
    Aggregate(Box<Aggregate>),
}

/// One end of a window frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameBound {
    /// `UNBOUNDED PRECEDING`
    UnboundedPreceding,
    /// `n PRECEDING`
    Preceding(u32),
    /// `CURRENT ROW`
    CurrentRow,
    /// `n FOLLOWING`
    Following(u32),
    /// `UNBOUNDED FOLLOWING`
    UnboundedFollowing,
}

/// A window frame: `ROWS` or `RANGE BETWEEN start AND end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame {
    /// `ROWS` (true) or `RANGE` (false).
    pub rows: bool,
    /// Start.
    pub start: FrameBound,
    /// End.
    pub end: FrameBound,
}

/// A window function call.
#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    /// The function.
    pub func: WindowFunc,
    /// Its value argument (LAG, LEAD, FIRST_VALUE, LAST_VALUE).
    pub arg: Option<ExprNode>,
    /// PARTITION BY keys.
    pub partition_by: Vec<ExprNode>,
    /// ORDER BY keys.
    pub order_by: Vec<OrderItem>,
    /// The frame.
    pub frame: Option<Frame>,
    /// Result kind.
    pub kind: Kind,
}

/// Aggregate functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggFunc {
    /// `COUNT`
    Count,
    /// `SUM`
    Sum,
    /// `AVG`
    Avg,
    /// `MIN`
    Min,
    /// `MAX`
    Max,
    /// Population standard deviation.
    StdDev,
    /// Population variance.
    Variance,
    /// Sample standard deviation (divides by n - 1).
    StdDevSample,
    /// Sample variance (divides by n - 1).
    VarianceSample,
}

/// A multi-valued relation an aggregate runs over, from the aggregated
/// query's base table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    /// Rows of `table` whose `fk_column` refers to the parent's `parent_pk`.
    Reverse {
        /// The related (child) table.
        table: &'static str,
        /// Its foreign key column.
        fk_column: &'static str,
        /// The parent's primary key column.
        parent_pk: &'static str,
        /// Kind of the parent's key.
        pk_kind: Kind,
    },
    /// Rows of `table` linked to the parent through a join table.
    ManyToMany {
        /// The join table.
        through: &'static str,
        /// Its column referring to the parent.
        source_column: &'static str,
        /// Its column referring to the related table.
        target_column: &'static str,
        /// The related table.
        table: &'static str,
        /// The related table's primary key.
        target_pk: &'static str,
        /// The parent's primary key column.
        parent_pk: &'static str,
        /// Kind of the parent's key.
        pk_kind: Kind,
        /// Kind of the related key.
        target_kind: Kind,
    },
}

impl Relation {
    /// The related table.
    pub fn table(&self) -> &'static str {
        match self {
            Relation::Reverse { table, .. } | Relation::ManyToMany { table, .. } => table,
        }
    }

    /// The join steps from a parent row to its related rows: LEFT JOINs
    /// (a parent without related rows keeps its row), multi-valued.
    pub fn steps(&self) -> Vec<JoinStep> {
        let step = |fk_column, table, pk_column, many| JoinStep {
            fk_column,
            table,
            pk_column,
            nullable: true,
            meta: None,
            many,
            join: 0,
        };
        match *self {
            Relation::Reverse {
                table,
                fk_column,
                parent_pk,
                ..
            } => vec![step(parent_pk, table, fk_column, true)],
            Relation::ManyToMany {
                through,
                source_column,
                target_column,
                table,
                target_pk,
                parent_pk,
                ..
            } => vec![
                step(parent_pk, through, source_column, true),
                step(target_column, table, target_pk, false),
            ],
        }
    }

    /// A column of the related rows, through [`Relation::steps`], that is
    /// non-NULL exactly when a related row was joined.
    pub fn key(&self) -> ColumnRef {
        let (column, kind) = match *self {
            Relation::Reverse {
                fk_column, pk_kind, ..
            } => (fk_column, pk_kind),
            Relation::ManyToMany {
                target_pk,
                target_kind,
                ..
            } => (target_pk, target_kind),
        };
        ColumnRef {
            path: Cow::Owned(self.steps()),
            column,
            nullable: true,
            kind,
        }
    }
}

/// An aggregate call.
#[derive(Debug, Clone, PartialEq)]
pub struct Aggregate {
    /// The function.
    pub func: AggFunc,
    /// The argument (`None`: `COUNT(*)`).
    pub arg: Option<ExprNode>,
    /// Kind of the argument.
    pub arg_kind: Kind,
    /// Result kind.
    pub kind: Kind,
    /// `DISTINCT` argument values only.
    pub distinct: bool,
    /// Only rows matching this (SQL `FILTER (WHERE ..)`).
    pub filter: Option<Cond>,
    /// A multi-valued relation to aggregate over (rendered as a correlated
    /// subquery, so several such aggregates never multiply each other's rows).
    pub over: Option<Relation>,
    /// Hand the values to the executor, which computes the result exactly
    /// (decimals on a backend without decimal arithmetic). Set by lowering.
    pub exact: bool,
}

/// Date parts for extraction and truncation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatePart {
    /// Year.
    Year,
    /// Month.
    Month,
    /// Day.
    Day,
}

/// Scalar functions with per-dialect spellings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Func {
    /// First non-NULL argument.
    Coalesce,
    /// Largest argument (NULL if any is NULL, on every backend).
    Greatest,
    /// Smallest argument (NULL if any is NULL, on every backend).
    Least,
    /// Lower case.
    Lower,
    /// Upper case.
    Upper,
    /// Length in characters.
    Length,
    /// Concatenation, NULL arguments counting as empty text (as in Django).
    Concat,
    /// Substring from a 1-based position, of a length.
    Substr,
    /// NULL if both arguments are equal, else the first.
    NullIf,
    /// A part of a date, as an integer.
    Extract(DatePart),
    /// A date truncated to the start of the part.
    Trunc(DatePart),
    /// A math function (`Sqrt`, `Round`, ...; see [`MathFunc`]).
    Math(MathFunc),
    /// A function the user declared by name (see `sql_function!`).
    Custom(&'static str),
    /// The integer quotient of two numbers (integers or exact decimals),
    /// truncated toward zero.
    Quotient,
    /// Fails the statement with this message when evaluated (used by
    /// lowering to make SQLite raise where the other backends do).
    Fail(&'static str),
}

/// Math functions, spelled per dialect so that every backend gives the same
/// result (SQLite gets the missing ones registered on each connection).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MathFunc {
    /// Absolute value.
    Abs,
    /// Smallest integer not below the argument.
    Ceil,
    /// Largest integer not above the argument.
    Floor,
    /// Rounded half away from zero to this many decimal places (negative:
    /// to tens, hundreds, ...).
    Round(i32),
    /// Remainder of the division of the first argument by the second, with
    /// the sign of the first (truncated division).
    Mod,
    /// The first argument raised to the second; NULL for a negative base
    /// with a non-integer exponent.
    Power,
    /// Square root; NULL for a negative argument.
    Sqrt,
    /// Natural logarithm; NULL for zero or a negative argument.
    Ln,
    /// e raised to the argument.
    Exp,
    /// A random value (`RANDOM()`, `RAND()` on MySQL), for random ordering.
    Random,
}

impl MathFunc {
    /// Whether the function gives NULL for some non-NULL arguments (outside
    /// its domain).
    pub fn partial(self) -> bool {
        matches!(self, MathFunc::Sqrt | MathFunc::Ln | MathFunc::Power)
    }
}

impl ExprNode {
    /// Whether the expression can evaluate to NULL.
    pub fn nullable(&self) -> bool {
        match self {
            ExprNode::Column(c) | ExprNode::Outer { column: c, .. } => c.nullable,
            ExprNode::Value(v) => v.is_null(),
            ExprNode::Binary { lhs, rhs, .. } => lhs.nullable() || rhs.nullable(),
            ExprNode::Aggregate(a) => a.func != AggFunc::Count,
            ExprNode::Func {
                func: Func::Coalesce,
                args,
                ..
            } => args.iter().all(ExprNode::nullable),
            ExprNode::Func {
                func: Func::Concat, ..
            } => false,
            ExprNode::Func {
                func: Func::Math(m),
                ..
            } if m.partial() => true,
            ExprNode::Func { args, .. } => args.iter().any(ExprNode::nullable),
            ExprNode::Cast { expr, .. } => expr.nullable(),
            ExprNode::Case { whens, default, .. } => {
                default.as_ref().is_none_or(|d| d.nullable())
                    || whens.iter().any(|(_, v)| v.nullable())
            }
            ExprNode::Subquery(_) => true,
            ExprNode::Ordinal { nullable, .. }
            | ExprNode::AnnotationRef { nullable, .. }
            | ExprNode::OuterAnnotation { nullable, .. } => *nullable,
            ExprNode::OuterRef { column, .. } => column.nullable,
            ExprNode::Window(w) => !matches!(
                w.func,
                WindowFunc::RowNumber
                    | WindowFunc::Rank
                    | WindowFunc::DenseRank
                    | WindowFunc::PercentRank
                    | WindowFunc::Ntile(_)
            ),
        }
    }

    /// The storage kind of the expression's value, where known.
    pub fn kind(&self) -> Option<Kind> {
        match self {
            ExprNode::Column(c) | ExprNode::Outer { column: c, .. } => Some(c.kind),
            ExprNode::Value(v) => Some(v.kind()),
            ExprNode::Binary { kind, .. }
            | ExprNode::Func { kind, .. }
            | ExprNode::Case { kind, .. } => Some(*kind),
            ExprNode::Aggregate(a) => Some(a.kind),
            ExprNode::Cast { to, .. } => Some(*to),
            ExprNode::Ordinal { kind, .. }
            | ExprNode::AnnotationRef { kind, .. }
            | ExprNode::OuterAnnotation { kind, .. } => Some(*kind),
            ExprNode::Subquery(s) => s.columns.first().and_then(ExprNode::kind),
            ExprNode::OuterRef { column, .. } => Some(column.kind),
            ExprNode::Window(w) => Some(w.kind),
        }
    }

    /// Whether the expression contains an aggregate of the current query
    /// (not one over a relation or inside a subquery), which puts a
    /// condition on it into HAVING.
    pub fn has_aggregate(&self) -> bool {
        self.any_node(&is_local_aggregate)
    }

    /// Whether the expression contains an aggregate of the current query or
    /// one over a relation of its rows (not inside a subquery).
    pub fn has_any_aggregate(&self) -> bool {
        self.any_node(&|n| matches!(n, ExprNode::Aggregate(_)))
    }

    /// Whether the expression contains a window function of the current
    /// query (conditions on it filter a wrapping query).
    pub fn has_window(&self) -> bool {
        self.any_node(&is_window)
    }

    /// Whether `hit` holds for this expression or one inside it, within the
    /// current query: operands, function arguments and CASE branches and
    /// conditions are entered; aggregates, windows and subqueries are not.
    pub fn any_node(&self, hit: &dyn Fn(&ExprNode) -> bool) -> bool {
        hit(self)
            || match self {
                ExprNode::Binary { lhs, rhs, .. } => lhs.any_node(hit) || rhs.any_node(hit),
                ExprNode::Func { args, .. } => args.iter().any(|a| a.any_node(hit)),
                ExprNode::Cast { expr, .. } => expr.any_node(hit),
                ExprNode::Case { whens, default, .. } => {
                    whens
                        .iter()
                        .any(|(c, v)| c.any_node(hit) || v.any_node(hit))
                        || default.as_deref().is_some_and(|d| d.any_node(hit))
                }
                _ => false,
            }
    }
}

fn is_local_aggregate(e: &ExprNode) -> bool {
    matches!(e, ExprNode::Aggregate(a) if a.over.is_none())
}

fn is_window(e: &ExprNode) -> bool {
    matches!(e, ExprNode::Window(_))
}

impl Cond {
    /// Whether the condition reaches another table through a foreign-key
    /// path (so it needs joins).
    pub fn has_path(&self) -> bool {
        self.any_node(&|e| matches!(e, ExprNode::Column(c) if !c.path.is_empty()))
    }

    /// Whether the condition tests a window function of the current query.
    pub fn has_window(&self) -> bool {
        self.any_node(&is_window)
    }

    /// Whether the condition tests an aggregate of the current query.
    pub fn has_aggregate(&self) -> bool {
        self.any_node(&is_local_aggregate)
    }

    /// Whether `hit` holds for an expression the condition compares (see
    /// [`ExprNode::any_node`]); EXISTS subqueries are not entered.
    pub fn any_node(&self, hit: &dyn Fn(&ExprNode) -> bool) -> bool {
        match self {
            Cond::All(v) | Cond::Any(v) => v.iter().any(|c| c.any_node(hit)),
            Cond::Not(c) => c.any_node(hit),
            Cond::Cmp { lhs, rhs, .. } => lhs.any_node(hit) || rhs.any_node(hit),
            Cond::Like { lhs, .. } | Cond::IsNull { lhs, .. } | Cond::InSelect { lhs, .. } => {
                lhs.any_node(hit)
            }
            Cond::In { lhs, items } => lhs.any_node(hit) || items.iter().any(|e| e.any_node(hit)),
            Cond::Between { lhs, low, high } => {
                lhs.any_node(hit) || low.any_node(hit) || high.any_node(hit)
            }
            Cond::Exists(_) => false,
        }
    }
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    /// `=`
    Eq,
    /// `<>`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Lte,
    /// `>`
    Gt,
    /// `>=`
    Gte,
}

/// Pattern lookups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LikeOp {
    /// The whole value equals the pattern (only used case-insensitively).
    Exact,
    /// The value contains the pattern.
    Contains,
    /// The value starts with the pattern.
    StartsWith,
    /// The value ends with the pattern.
    EndsWith,
}

/// A boolean condition (WHERE clause tree).
#[derive(Debug, Clone, PartialEq)]
pub enum Cond {
    /// All must hold (empty: true).
    All(Vec<Cond>),
    /// At least one must hold (empty: false).
    Any(Vec<Cond>),
    /// Negation, with Django's semantics: a row whose compared column is NULL
    /// is kept by `exclude`.
    Not(Box<Cond>),
    /// `lhs op rhs`.
    Cmp {
        /// Left side.
        lhs: ExprNode,
        /// Operator.
        op: CmpOp,
        /// Right side.
        rhs: ExprNode,
    },
    /// Text pattern match; `pattern` is the literal text to look for.
    Like {
        /// The text expression.
        lhs: ExprNode,
        /// Kind of match.
        op: LikeOp,
        /// Literal text (wildcards in it match themselves).
        pattern: String,
        /// Whether letter case is ignored.
        case_insensitive: bool,
    },
    /// `lhs IN (items)`; empty items match nothing.
    In {
        /// Left side.
        lhs: ExprNode,
        /// Candidate values.
        items: Vec<ExprNode>,
    },
    /// `lhs IN (SELECT ...)`.
    InSelect {
        /// Left side.
        lhs: ExprNode,
        /// A single-column select.
        select: Box<Select>,
    },
    /// `lhs BETWEEN low AND high`.
    Between {
        /// Left side.
        lhs: ExprNode,
        /// Inclusive lower bound.
        low: ExprNode,
        /// Inclusive upper bound.
        high: ExprNode,
    },
    /// `EXISTS (SELECT ..)`.
    Exists(Box<Select>),
    /// `lhs IS [NOT] NULL`.
    IsNull {
        /// Left side.
        lhs: ExprNode,
        /// `true` for IS NULL.
        is_null: bool,
    },
}

/// One ORDER BY key.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderItem {
    /// The key.
    pub expr: ExprNode,
    /// Descending.
    pub desc: bool,
}

/// A derived table: `FROM (select) AS alias`.
#[derive(Debug, Clone, PartialEq)]
pub struct Derived {
    /// The inner query; its columns are named by its `names`.
    pub select: Box<Select>,
    /// The alias the outer query refers to it by.
    pub alias: &'static str,
}

/// A SELECT over one base table (or a derived table).
#[derive(Debug, Clone, PartialEq)]
pub struct Select {
    /// Base table (the model's table, also when the select reads a derived
    /// table).
    pub table: &'static str,
    /// Read this derived table instead of `table`; columns are then local
    /// references to its column names. With no columns, `SELECT *`.
    pub source: Option<Derived>,
    /// Column aliases (`AS "name"`), one per column when not empty.
    pub names: Vec<&'static str>,
    /// Paths joined though no clause of this select names them: those an
    /// `OuterRef` in a subquery reaches from this select's rows.
    pub joins: Vec<Vec<JoinStep>>,
    /// Selected expressions, in decoding order.
    pub columns: Vec<ExprNode>,
    /// Conditions, all of which must hold.
    pub filter: Vec<Cond>,
    /// ORDER BY keys.
    pub order: Vec<OrderItem>,
    /// SELECT DISTINCT.
    pub distinct: bool,
    /// LIMIT.
    pub limit: Option<u64>,
    /// OFFSET.
    pub offset: Option<u64>,
    /// GROUP BY keys.
    pub group_by: Vec<ExprNode>,
    /// Conditions on groups (HAVING), all of which must hold.
    pub having: Vec<Cond>,
    /// Conditions on window functions, applied by a wrapping query.
    pub qualify: Vec<Cond>,
    /// The correlation scope of a subquery made by `Model::correlated` (the
    /// nesting depth of its closure): its outer references, and those with
    /// this scope in subqueries below it, refer to the query this select is
    /// used in.
    pub correlated: Option<u32>,
}

impl Select {
    /// `SELECT <all stored columns> FROM <table>`.
    pub fn for_model(meta: &'static ModelMeta) -> Self {
        Select {
            table: meta.table,
            columns: meta
                .fields
                .iter()
                .map(|f| ExprNode::Column(ColumnRef::local(f.column, f.nullable, f.ty.kind)))
                .collect(),
            ..Select::from_table(meta.table)
        }
    }

    /// A select of one table with no columns yet.
    pub fn from_table(table: &'static str) -> Self {
        Select {
            table,
            source: None,
            names: Vec::new(),
            joins: Vec::new(),
            columns: Vec::new(),
            filter: Vec::new(),
            order: Vec::new(),
            distinct: false,
            limit: None,
            offset: None,
            group_by: Vec::new(),
            having: Vec::new(),
            qualify: Vec::new(),
            correlated: None,
        }
    }
}

impl Select {
    /// Whether the filter can never hold (`WHERE 1 = 0`: `none()`, an empty
    /// `is_in` list), so the select returns no row, or, for aggregates
    /// without GROUP BY, the one row of aggregates over no rows.
    pub fn matches_nothing(&self) -> bool {
        self.filter.iter().any(Cond::never_holds)
            || self.source.as_ref().is_some_and(|d| {
                // Over a derived table that returns no row.
                d.select.matches_nothing() && !d.select.is_aggregate_row()
            })
    }

    /// Whether the select computes aggregates without GROUP BY, so it
    /// returns exactly one row (over no rows too).
    pub fn is_aggregate_row(&self) -> bool {
        self.group_by.is_empty() && self.columns.iter().any(ExprNode::has_aggregate)
    }
}

impl Cond {
    /// Whether the condition is false whatever the row (an empty OR, an
    /// empty `IN` list, or an AND containing one).
    pub fn never_holds(&self) -> bool {
        match self {
            Cond::Any(v) => v.iter().all(Cond::never_holds),
            Cond::All(v) => v.iter().any(Cond::never_holds),
            Cond::In { items, .. } => items.is_empty(),
            _ => false,
        }
    }
}

impl ColumnRef {
    /// A column of the base table.
    pub const fn local(column: &'static str, nullable: bool, kind: Kind) -> Self {
        ColumnRef {
            path: Cow::Borrowed(&[]),
            column,
            nullable,
            kind,
        }
    }
}

/// An INSERT of one or more rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Insert {
    /// Target table.
    pub table: &'static str,
    /// Column names.
    pub columns: Vec<&'static str>,
    /// Rows of values, each as long as `columns`.
    pub rows: Vec<Vec<Value>>,
    /// Column to return (the primary key), with `RETURNING`.
    pub returning: Option<&'static str>,
    /// What to do when a row conflicts with a unique constraint.
    pub on_conflict: Option<OnConflict>,
}

/// Conflict handling of a bulk insert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OnConflict {
    /// Skip rows that conflict (`ON CONFLICT DO NOTHING`).
    Ignore,
    /// Update the given columns of the existing row from the new one
    /// (an upsert), on a conflict of the `target` unique columns.
    Update {
        /// The unique columns that identify the existing row.
        target: Vec<&'static str>,
        /// The columns to overwrite.
        update: Vec<&'static str>,
    },
}

/// An UPDATE of the rows of one table matching a filter.
#[derive(Debug, Clone, PartialEq)]
pub struct Update {
    /// Target table.
    pub table: &'static str,
    /// `column = expr` assignments.
    pub set: Vec<(&'static str, ExprNode)>,
    /// Conditions on the table's own columns.
    pub filter: Vec<Cond>,
}

/// A DELETE of the rows of one table matching a filter.
#[derive(Debug, Clone, PartialEq)]
pub struct Delete {
    /// Target table.
    pub table: &'static str,
    /// Conditions on the table's own columns.
    pub filter: Vec<Cond>,
}
