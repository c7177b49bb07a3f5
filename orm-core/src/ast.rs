//! The one untyped statement tree. Typed builders (`Column`, `Q`, `QuerySet`)
//! produce it; the renderer in orm-runtime is the only reader that turns it
//! into SQL text.

use crate::model::ModelMeta;
use crate::value::Value;
use std::borrow::Cow;

/// One hop of a forward foreign-key path: from the current table through
/// `fk_column` to `table`.`pk_column`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct JoinStep {
    /// The foreign key column on the table the hop starts from.
    pub fk_column: &'static str,
    /// The referenced table.
    pub table: &'static str,
    /// The referenced primary key column.
    pub pk_column: &'static str,
    /// Whether the foreign key admits NULL (rendered as LEFT JOIN).
    pub nullable: bool,
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
    },
}

impl ExprNode {
    /// Whether the expression can evaluate to NULL.
    pub fn nullable(&self) -> bool {
        match self {
            ExprNode::Column(c) => c.nullable,
            ExprNode::Value(v) => v.is_null(),
            ExprNode::Binary { lhs, rhs, .. } => lhs.nullable() || rhs.nullable(),
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

/// A SELECT over one base table.
#[derive(Debug, Clone, PartialEq)]
pub struct Select {
    /// Base table.
    pub table: &'static str,
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
}

impl Select {
    /// `SELECT <all stored columns> FROM <table>`.
    pub fn for_model(meta: &'static ModelMeta) -> Self {
        Select {
            table: meta.table,
            columns: meta
                .fields
                .iter()
                .map(|f| ExprNode::Column(ColumnRef::local(f.column, f.nullable)))
                .collect(),
            filter: Vec::new(),
            order: Vec::new(),
            distinct: false,
            limit: None,
            offset: None,
        }
    }

    /// A select of one table with no columns yet.
    pub fn from_table(table: &'static str) -> Self {
        Select {
            table,
            columns: Vec::new(),
            filter: Vec::new(),
            order: Vec::new(),
            distinct: false,
            limit: None,
            offset: None,
        }
    }
}

impl ColumnRef {
    /// A column of the base table.
    pub const fn local(column: &'static str, nullable: bool) -> Self {
        ColumnRef {
            path: Cow::Borrowed(&[]),
            column,
            nullable,
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
    /// Column to return (the primary key) where the dialect supports RETURNING.
    pub returning: Option<&'static str>,
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
