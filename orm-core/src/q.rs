//! `Q<M>`: a condition on model `M`, combined with `&`, `|` and `!` (or
//! `and`, `or`, `not`) like Django's `Q` objects.

use crate::ast::Cond;
use std::marker::PhantomData;

/// A condition on rows of model `M`.
///
/// ```
/// # use orm_runtime::prelude::*;
/// # #[derive(Model, Debug, Clone)]
/// # pub struct User {
/// #     #[orm(primary_key)] pub id: i64,
/// #     #[orm(max_length = 50)] pub name: String,
/// # }
/// # #[tokio::main]
/// # async fn main() -> Result<(), Error> {
/// # let db = Db::connect("sqlite::memory:").await?;
/// # db.create_tables(&[User::META]).await?;
/// # for name in ["alex", "bea", "cy", "alex"] {
/// #     User::objects().create(&db, User { id: 0, name: name.into() }).await?;
/// # }
/// // SELECT .. WHERE (("t0"."name" = $1 OR "t0"."id" > $2) AND NOT ("t0"."id" = $3))
/// let q = (User::name.eq("alex") | User::id.gt(2)) & !User::id.eq(4);
/// # let sql = User::objects().filter(q.clone()).to_sql(Dialect::Postgres)?.sql;
/// # assert!(sql.ends_with(r#"WHERE (("t0"."name" = $1 OR "t0"."id" > $2) AND NOT ("t0"."id" = $3))"#), "{sql}");
/// let ids: Vec<i64> = User::objects().filter(q).values(User::id).order_by(User::id.asc()).all(&db).await?;
/// assert_eq!(ids, [1, 3]);
/// # Ok(()) }
/// ```
pub struct Q<M> {
    cond: Cond,
    _m: PhantomData<fn() -> M>,
}

impl<M> Clone for Q<M> {
    fn clone(&self) -> Self {
        Q {
            cond: self.cond.clone(),
            _m: PhantomData,
        }
    }
}

impl<M> std::fmt::Debug for Q<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.cond.fmt(f)
    }
}

impl<M> Q<M> {
    /// Wraps an untyped condition. The caller vouches that it is about `M`.
    pub fn from_cond(cond: Cond) -> Self {
        Q {
            cond,
            _m: PhantomData,
        }
    }

    /// The untyped condition.
    pub fn into_cond(self) -> Cond {
        self.cond
    }

    /// Both conditions hold.
    pub fn and(self, other: Q<M>) -> Q<M> {
        Q::from_cond(match (self.cond, other.cond) {
            (Cond::All(mut a), Cond::All(b)) => {
                a.extend(b);
                Cond::All(a)
            }
            (Cond::All(mut a), b) => {
                a.push(b);
                Cond::All(a)
            }
            (a, b) => Cond::All(vec![a, b]),
        })
    }

    /// At least one condition holds.
    pub fn or(self, other: Q<M>) -> Q<M> {
        Q::from_cond(match (self.cond, other.cond) {
            (Cond::Any(mut a), Cond::Any(b)) => {
                a.extend(b);
                Cond::Any(a)
            }
            (Cond::Any(mut a), b) => {
                a.push(b);
                Cond::Any(a)
            }
            (a, b) => Cond::Any(vec![a, b]),
        })
    }

    /// The condition does not hold. As in Django, rows where a compared
    /// column is NULL satisfy the negation.
    #[allow(clippy::should_implement_trait)]
    pub fn not(self) -> Q<M> {
        Q::from_cond(match self.cond {
            Cond::Not(inner) => *inner,
            c => Cond::Not(Box::new(c)),
        })
    }
}

impl<M> std::ops::BitAnd for Q<M> {
    type Output = Q<M>;
    fn bitand(self, rhs: Q<M>) -> Q<M> {
        self.and(rhs)
    }
}

impl<M> std::ops::BitOr for Q<M> {
    type Output = Q<M>;
    fn bitor(self, rhs: Q<M>) -> Q<M> {
        self.or(rhs)
    }
}

impl<M> std::ops::Not for Q<M> {
    type Output = Q<M>;
    fn not(self) -> Q<M> {
        Q::not(self)
    }
}

/// Anything that can filter a queryset of model `M`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a condition on `{M}`",
    label = "this condition is about another model",
    note = "filter a queryset with its own model's columns (e.g. `Book::title.eq(..)`); reach related models through foreign-key paths such as `Book::publisher.then(Publisher::name)`"
)]
pub trait Condition<M> {
    /// The untyped condition.
    fn into_cond(self) -> Cond;
}

impl<M> Condition<M> for Q<M> {
    fn into_cond(self) -> Cond {
        self.cond
    }
}
