//! Lists of a model's own stored columns, for the writes that name columns
//! (`bulk_update`, `conflict_update`): an expression, an aggregate, an
//! annotation field or a column of another model is a compile error.

use crate::ast::ExprNode;
use crate::column::Column;
use crate::select_list::SelectItem;

/// A column of `M` (`Book::title`) or a tuple of them.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a list of stored columns of `{M}`",
    label = "expected a column of `{M}` (its `Model::field` handle), or a tuple of them",
    note = "`bulk_update` and `conflict_update` name the table's own columns: expressions, aggregates, annotation fields and other models' columns are not columns of it"
)]
pub trait ColumnList<M> {
    /// The columns, in order.
    fn push_columns(self, out: &mut Vec<ExprNode>);
}

impl<M, T> ColumnList<M> for Column<M, T>
where
    Self: SelectItem<M>,
{
    fn push_columns(self, out: &mut Vec<ExprNode>) {
        out.push(self.item_node());
    }
}

macro_rules! tuples {
    ($( ($($n:tt $t:ident),+) )*) => {$(
        impl<M, $($t: ColumnList<M>),+> ColumnList<M> for ($($t,)+) {
            fn push_columns(self, out: &mut Vec<ExprNode>) {
                $(self.$n.push_columns(out);)+
            }
        }
    )*};
}

tuples! {
    (0 A)
    (0 A, 1 B)
    (0 A, 1 B, 2 C)
    (0 A, 1 B, 2 C, 3 D)
    (0 A, 1 B, 2 C, 3 D, 4 E)
    (0 A, 1 B, 2 C, 3 D, 4 E, 5 F)
    (0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G)
    (0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H)
    (0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I)
    (0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I, 9 J)
    (0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I, 9 J, 10 K)
    (0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I, 9 J, 10 K, 11 L)
}
