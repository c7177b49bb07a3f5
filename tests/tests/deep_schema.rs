//! A deep schema: a chain of 61 models, each with a foreign key and a
//! many-to-many relation to the one before it. It compiles without raising
//! `recursion_limit` (proving that a model is `Send`/`Sync` does not walk
//! the chain its relations reach), and querying through several levels of
//! it works on every backend.

use orm_runtime::model::ModelMeta;
use orm_runtime::prelude::*;
use orm_tests::on_all_backends;

#[derive(Model, Debug, Clone, PartialEq)]
pub struct M0 {
    #[orm(primary_key)]
    pub id: i64,
    pub n: i32,
}

/// Defines each model of the list after the first with a foreign key
/// `parent` to the one before it (`related_name = "children"`) and a
/// many-to-many relation `links` to it.
macro_rules! chain {
    ($prev:ident, $next:ident $(, $rest:ident)*) => {
        #[derive(Model, Debug, Clone, PartialEq)]
        pub struct $next {
            #[orm(primary_key)]
            pub id: i64,
            #[orm(related_name = "children")]
            pub parent: ForeignKey<$prev>,
            pub links: ManyToMany<$prev>,
            pub n: i32,
        }
        chain!($next $(, $rest)*);
    };
    ($last:ident) => {};
}

/// The chain from `M0`, every model's metadata, and a function inserting
/// one row per model: the row of `Mk` has `n = k`, and its `parent` and
/// its one `links` row are the row of the model before it.
macro_rules! deep_schema {
    ($($m:ident),*) => {
        chain!(M0 $(, $m)*);

        const ALL: &[&ModelMeta] = &[M0::META $(, $m::META)*];

        async fn insert_chain(db: &Db) -> Result<(), Error> {
            let parent = M0::objects().create(db, M0 { id: 0, n: 0 }).await?;
            let n = 0;
            $(
                let n = n + 1;
                let parent = {
                    let row = $m {
                        id: 0,
                        parent: (&parent).into(),
                        links: ManyToMany::default(),
                        n,
                    };
                    let row = $m::objects().create(db, row).await?;
                    $m::links.of(&row).add(db, [&parent]).await?;
                    row
                };
            )*
            let _ = (parent, n);
            Ok(())
        }
    };
}

deep_schema!(
    M1, M2, M3, M4, M5, M6, M7, M8, M9, M10, M11, M12, M13, M14, M15, M16, M17, M18, M19, M20, M21,
    M22, M23, M24, M25, M26, M27, M28, M29, M30, M31, M32, M33, M34, M35, M36, M37, M38, M39, M40,
    M41, M42, M43, M44, M45, M46, M47, M48, M49, M50, M51, M52, M53, M54, M55, M56, M57, M58, M59,
    M60
);

#[tokio::test]
async fn a_chain_of_sixty_one_models_creates_inserts_and_joins_through_it() {
    on_all_backends(|db| async move {
        db.create_tables(ALL).await?;
        insert_chain(&db).await?;

        // Three levels loaded by one query, filtered on a column five
        // levels up.
        let last = M60::objects()
            .select_related(M60::parent.then(M59::parent).then(M58::parent))
            .filter(
                M60::parent
                    .then(M59::parent)
                    .then(M58::parent)
                    .then(M57::parent)
                    .then(M56::n)
                    .eq(56),
            )
            .get(&db)
            .await?;
        assert_eq!(last.n, 60);
        let m59 = last.parent.get()?;
        let m58 = m59.parent.get()?;
        let m57 = m58.parent.get()?;
        assert_eq!((m59.n, m58.n, m57.n), (59, 58, 57));
        assert!(m57.parent.get().is_err());

        // The reverse relation at the far end, and the count of each table.
        let m0 = M0::objects().get(&db).await?;
        let children = m0.related(M0::children).all(&db).await?;
        assert_eq!(children.iter().map(|c| c.n).collect::<Vec<_>>(), [1]);
        assert_eq!(M30::objects().count(&db).await?, 1);
        let none = M60::objects()
            .filter(M60::parent.then(M59::parent).then(M58::n).eq(0))
            .count(&db)
            .await?;
        assert_eq!(none, 0);

        // The many-to-many relations, from either end of a link.
        let linked = last.related(M60::links).all(&db).await?;
        assert_eq!(linked.iter().map(|r| r.n).collect::<Vec<_>>(), [59]);
        let through = M30::objects()
            .filter(M30::links.then(M29::n).eq(29))
            .count(&db)
            .await?;
        assert_eq!(through, 1);
        Ok(())
    })
    .await;
}
