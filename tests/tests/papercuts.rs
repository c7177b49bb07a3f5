//! What a new user reaches for first, on every backend: raw SQL with one
//! placeholder style everywhere, raw rows filling annotation fields by
//! column name, `prefetch` anywhere in a chain, `annotate_into` of an
//! `Exists`, and `.set(Some(..))`/`.set(None)` on nullable columns.

use orm_runtime::observe::{assert_num_queries, capture};
use orm_runtime::prelude::*;
use orm_runtime::{PlaceholderError, raw};
use orm_tests::on_all_backends;

/// A writer of articles.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "pc_scribe")]
pub struct Scribe {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(max_length = 50)]
    pub name: String,
    #[orm(max_length = 50)]
    pub nickname: Option<String>,
    pub rank: Option<i32>,
}

/// An article, with annotation fields raw queries and querysets fill.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "pc_article")]
pub struct Article {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(related_name = "articles")]
    pub scribe: ForeignKey<Scribe>,
    #[orm(on_delete = "set_null", related_name = "reviews")]
    pub reviewer: Option<ForeignKey<Scribe>>,
    #[orm(max_length = 100)]
    pub title: String,
    pub draft: bool,
    #[orm(annotation)]
    pub comment_count: Option<i64>,
    #[orm(annotation)]
    pub has_remarks: Option<bool>,
}

/// A remark on an article.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "pc_remark")]
pub struct Remark {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(related_name = "remarks")]
    pub article: ForeignKey<Article>,
    #[orm(max_length = 200)]
    pub body: String,
}

impl ScribeQuerySet {
    /// A user's own queryset method, chained after `prefetch`.
    pub fn ranked(self) -> Self {
        self.filter(Scribe::rank.isnull(false))
    }
}

/// Titles that look like SQL syntax, to bind as values.
const HOSTILE: [&str; 4] = [
    "what? -- not a comment",
    "it's $1 /* ? */",
    "say \"?\" \\ back`slash`",
    "plain",
];

/// Scribes s0..s3 (ranks None, 1, 2, 3); s0 writes the hostile titles,
/// s1 and s2 two articles each, s3 none. The first two articles of s0 have
/// 2 and 1 remarks.
async fn setup(db: &Db) -> Result<(Vec<Scribe>, Vec<Article>), Error> {
    db.create_tables(&[Scribe::META, Article::META, Remark::META])
        .await?;
    let mut scribes = Vec::new();
    for i in 0..4 {
        let s = Scribe {
            id: 0,
            name: format!("s{i}"),
            nickname: None,
            rank: (i > 0).then_some(i),
        };
        scribes.push(Scribe::objects().create(db, s).await?);
    }
    let article = |s: &Scribe, title: &str| Article {
        id: 0,
        scribe: s.into(),
        reviewer: None,
        title: title.into(),
        draft: false,
        comment_count: None,
        has_remarks: None,
    };
    let mut articles = Vec::new();
    for t in HOSTILE {
        articles.push(article(&scribes[0], t));
    }
    for s in &scribes[1..3] {
        for n in 0..2 {
            articles.push(article(s, &format!("{}-a{n}", s.name)));
        }
    }
    let mut created = Vec::new();
    for a in articles {
        created.push(Article::objects().create(db, a).await?);
    }
    for (a, body) in [(0, "r0"), (0, "r1"), (1, "r2")] {
        let r = Remark {
            id: 0,
            article: (&created[a]).into(),
            body: body.into(),
        };
        Remark::objects().create(db, r).await?;
    }
    Ok((scribes, created))
}

fn names(rows: &[Scribe]) -> Vec<&str> {
    rows.iter().map(|s| s.name.as_str()).collect()
}

fn titles(rows: &[Article]) -> Vec<&str> {
    rows.iter().map(|a| a.title.as_str()).collect()
}

// ------------------------------------------------------------ raw placeholders

#[tokio::test]
async fn raw_question_marks_run_on_every_backend_with_hostile_binds() {
    on_all_backends(|db| async move {
        let (_, articles) = setup(&db).await?;
        // Quotes, comments and placeholders in the text are skipped; the
        // values are bound whatever they hold.
        for (i, title) in HOSTILE.iter().enumerate() {
            let rows: Vec<(i64, String, String)> = raw(
                "SELECT id, title, 'it''s ? $1 -- no' AS note FROM pc_article \
                 /* a ? comment */ WHERE title = ? -- and ?\n AND draft = ? ORDER BY id",
            )
            .bind(title.to_string())
            .bind(false)
            .fetch(&db)
            .await?;
            assert_eq!(
                rows,
                [(articles[i].id, title.to_string(), "it's ? $1 -- no".into())],
                "{title}"
            );
        }
        // Numbered: a number may repeat, in any order.
        let rows: Vec<(String,)> = raw(
            "SELECT title FROM pc_article WHERE title = $2 OR title = $1 OR title = $2 ORDER BY id",
        )
        .bind(HOSTILE[1].to_owned())
        .bind(HOSTILE[2].to_owned())
        .fetch(&db)
        .await?;
        assert_eq!(rows, [(HOSTILE[1].into(),), (HOSTILE[2].into(),)]);
        // Writes too.
        let n = raw("UPDATE pc_article SET title = ? WHERE title = ?")
            .bind("renamed ?".to_owned())
            .bind(HOSTILE[0].to_owned())
            .execute(&db)
            .await?;
        assert_eq!(n, 1);
        let renamed = Article::objects()
            .filter(Article::id.eq(articles[0].id))
            .get(&db)
            .await?;
        assert_eq!(renamed.title, "renamed ?");
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn double_question_mark_is_a_literal_question_mark() {
    on_all_backends(|db| async move {
        // Inside a literal nothing is rewritten, `??` included.
        let rows: Vec<(String, i64)> = raw("SELECT '??', ?").bind(7i64).fetch(&db).await?;
        assert_eq!(rows, [("??".into(), 7)]);
        let text = raw("SELECT j ?? 'a', j ??| ? FROM t")
            .bind("x".to_owned())
            .to_sql(db.dialect())?;
        let expected = match db.dialect() {
            Dialect::Postgres => "SELECT j ? 'a', j ?| $1 FROM t",
            _ => "SELECT j ? 'a', j ?| ? FROM t",
        };
        assert_eq!(text.sql, expected);
        if db.dialect() == Dialect::Postgres {
            // PostgreSQL's jsonb operators, next to a `?` placeholder.
            let rows: Vec<(bool, bool, String)> = raw(
                "SELECT '{\"a\": 1}'::jsonb ?? 'a', '{\"a\": 1}'::jsonb ??| array['b'], ?::text",
            )
            .bind("x".to_owned())
            .fetch(&db)
            .await?;
            assert_eq!(rows, [(true, false, "x".into())]);
        }
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn placeholder_count_mismatch_is_an_error_before_anything_is_sent() {
    on_all_backends(|db| async move {
        let count = |placeholders, binds| PlaceholderError::Count {
            placeholders,
            binds,
        };
        let cases = [
            (raw("SELECT ?, ?").bind(1i64), count(2, 1)),
            (raw("SELECT ?").bind(1i64).bind(2i64), count(1, 2)),
            (raw("SELECT '?'").bind(1i64), count(0, 1)),
            (raw("SELECT $1, $3").bind(1i64).bind(2i64), count(3, 2)),
            (raw("SELECT $1, $1").bind(1i64).bind(2i64), count(1, 2)),
            (
                raw("SELECT ?, $2").bind(1i64).bind(2i64),
                PlaceholderError::MixedStyles,
            ),
        ];
        for (stmt, expected) in cases {
            let (r, sent) = capture(stmt.clone().fetch::<(i64,), _>(&db)).await;
            match r {
                Err(Error::Placeholders(e)) => assert_eq!(e, expected, "{stmt:?}"),
                other => panic!("{stmt:?}: expected a placeholder error, got {other:?}"),
            }
            assert!(sent.is_empty(), "{stmt:?} was sent: {sent:?}");
            let (r, sent) = capture(stmt.clone().execute(&db)).await;
            assert!(matches!(r, Err(Error::Placeholders(_))), "{r:?}");
            assert!(sent.is_empty());
        }
        Ok(())
    })
    .await;
}

// ------------------------------------------------ raw rows into annotation fields

#[tokio::test]
async fn raw_extra_columns_fill_annotation_fields_by_name() {
    on_all_backends(|db| async move {
        let (_, articles) = setup(&db).await?;
        let rows: Vec<Article> = raw(
            "SELECT a.*, COUNT(r.id) AS comment_count FROM pc_article a \
             LEFT JOIN pc_remark r ON r.article_id = a.id \
             WHERE a.scribe_id = ? GROUP BY a.id ORDER BY a.id",
        )
        .bind(*articles[0].scribe.id())
        .fetch_models(&db)
        .await?;
        let expected: Vec<Article> = articles[..4]
            .iter()
            .zip([2, 1, 0, 0])
            .map(|(a, n)| Article {
                comment_count: Some(n),
                // No column: stays None.
                has_remarks: None,
                ..a.clone()
            })
            .collect();
        assert_eq!(rows, expected);

        // Any column order, a column matching nothing ignored, an alias in
        // another case.
        let rows: Vec<Article> = raw(
            "SELECT 'x' AS unrelated, (SELECT COUNT(*) FROM pc_remark r WHERE r.article_id = a.id) \
             AS COMMENT_COUNT, a.draft, a.title, a.reviewer_id, a.scribe_id, a.id \
             FROM pc_article a WHERE a.id = ?",
        )
        .bind(articles[1].id)
        .fetch_models(&db)
        .await?;
        assert_eq!(
            rows,
            [Article {
                comment_count: Some(1),
                ..articles[1].clone()
            }]
        );

        // Without the extra column the annotation fields stay None.
        let plain: Vec<Article> = raw("SELECT * FROM pc_article WHERE id = ?")
            .bind(articles[0].id)
            .fetch_models(&db)
            .await?;
        assert_eq!(plain, [articles[0].clone()]);

        // A stored field with no column is an error naming it.
        let missing = raw("SELECT id, scribe_id, reviewer_id, draft FROM pc_article")
            .fetch_models::<Article, _>(&db)
            .await;
        match missing {
            Err(Error::Decode(e)) => assert_eq!((e.model, e.column), ("Article", "title")),
            other => panic!("expected a decode error, got {other:?}"),
        }
        Ok(())
    })
    .await;
}

// ------------------------------------------------------- prefetch in the chain

#[tokio::test]
async fn prefetch_before_filter_order_by_and_slice() {
    on_all_backends(|db| async move {
        setup(&db).await?;
        let by_id = || Article::objects().order_by(Article::id.asc());
        let rows: Vec<(Scribe, Vec<Article>)> = assert_num_queries(
            2,
            Scribe::objects()
                .prefetch(Scribe::articles.prefetch().queryset(by_id()))
                .filter(Scribe::name.ne("s3"))
                .order_by(Scribe::name.desc())
                .slice(0..2)
                .all(&db),
        )
        .await?;
        let got: Vec<(&str, Vec<&str>)> = rows
            .iter()
            .map(|(s, a)| (s.name.as_str(), titles(a)))
            .collect();
        assert_eq!(
            got,
            [
                ("s2", vec!["s2-a0", "s2-a1"]),
                ("s1", vec!["s1-a0", "s1-a1"])
            ]
        );

        // The user's own queryset method, a second prefetch, get().
        let (s1, (articles, reviews)) = assert_num_queries(
            3,
            Scribe::objects()
                .prefetch(Scribe::articles.prefetch().queryset(by_id()))
                .apply(ScribeQuerySet::ranked)
                .prefetch(Scribe::reviews.prefetch())
                .filter(Scribe::rank.eq(1))
                .get(&db),
        )
        .await?;
        assert_eq!(
            (s1.name.as_str(), titles(&articles), reviews.len()),
            ("s1", vec!["s1-a0", "s1-a1"], 0)
        );

        // first() and last(), with nested rows; first() of nothing sends no
        // prefetch query.
        let nested = || {
            Scribe::articles.prefetch().queryset(by_id()).nested(
                Article::remarks
                    .prefetch()
                    .queryset(Remark::objects().order_by(Remark::id.asc())),
            )
        };
        let first = Scribe::objects()
            .prefetch(nested())
            .order_by(Scribe::name.asc())
            .first(&db)
            .await?;
        let (s0, articles) = first.expect("a first scribe");
        let got: Vec<(&str, Vec<&str>)> = articles
            .iter()
            .map(|(a, r)| {
                (
                    a.title.as_str(),
                    r.iter().map(|r| r.body.as_str()).collect(),
                )
            })
            .collect();
        assert_eq!(
            (s0.name.as_str(), got),
            (
                "s0",
                vec![
                    (HOSTILE[0], vec!["r0", "r1"]),
                    (HOSTILE[1], vec!["r2"]),
                    (HOSTILE[2], vec![]),
                    (HOSTILE[3], vec![]),
                ]
            )
        );
        let last = Scribe::objects()
            .prefetch(nested())
            .order_by(Scribe::name.asc())
            .last(&db)
            .await?;
        let (s3, none) = last.expect("a last scribe");
        assert_eq!((s3.name.as_str(), none.len()), ("s3", 0));
        let nobody = assert_num_queries(
            1,
            Scribe::objects()
                .prefetch(nested())
                .filter(Scribe::name.eq("nobody"))
                .first(&db),
        )
        .await?;
        assert!(nobody.is_none());

        // count() and exists() run the queryset alone.
        let qs = Scribe::objects()
            .prefetch(Scribe::articles.prefetch())
            .filter(Scribe::rank.gte(2));
        assert_eq!(assert_num_queries(1, qs.clone().count(&db)).await?, 2);
        assert!(assert_num_queries(1, qs.exists(&db)).await?);
        let all = Scribe::objects()
            .prefetch(Scribe::articles.prefetch())
            .exclude(Scribe::name.eq("s0"))
            .order_by(Scribe::id.asc())
            .all(&db)
            .await?;
        let scribes: Vec<Scribe> = all.into_iter().map(|(s, _)| s).collect();
        assert_eq!(names(&scribes), ["s1", "s2", "s3"]);
        Ok(())
    })
    .await;
}

// ------------------------------------------------------ annotate_into(Exists)

#[tokio::test]
async fn annotate_into_an_exists_condition() {
    on_all_backends(|db| async move {
        let (_, articles) = setup(&db).await?;
        let has_remarks = || {
            Exists(Article::correlated(|a| {
                Remark::objects().filter(Remark::article.eq(a.id))
            }))
        };
        let rows = Article::objects()
            .annotate_into(Article::has_remarks, has_remarks())
            .order_by(Article::id.asc())
            .all(&db)
            .await?;
        let flags: Vec<(i64, Option<bool>)> = rows.iter().map(|a| (a.id, a.has_remarks)).collect();
        let expected: Vec<(i64, Option<bool>)> = articles
            .iter()
            .enumerate()
            .map(|(i, a)| (a.id, Some(i < 2)))
            .collect();
        assert_eq!(flags, expected);
        // Negated, then filtered on by name.
        let without = Article::objects()
            .annotate_into(Article::has_remarks, !has_remarks())
            .filter(Article::has_remarks.eq(true))
            .order_by(Article::id.asc())
            .all(&db)
            .await?;
        assert_eq!(without.len(), articles.len() - 2);
        assert!(without.iter().all(|a| a.has_remarks == Some(true)));
        assert_eq!(without[0].id, articles[2].id);
        Ok(())
    })
    .await;
}

// ----------------------------------------------------- set() on nullable columns

#[tokio::test]
async fn set_some_none_and_plain_values_on_nullable_columns() {
    on_all_backends(|db| async move {
        let (scribes, articles) = setup(&db).await?;
        let one = |s: &Scribe| Scribe::objects().filter(Scribe::id.eq(s.id));
        let read = |s: &Scribe| Scribe::objects().filter(Scribe::id.eq(s.id)).get(&db);

        let n = one(&scribes[0])
            .update(
                &db,
                (
                    Scribe::nickname.set(Some("zero".to_owned())),
                    Scribe::rank.set(Some(10)),
                ),
            )
            .await?;
        assert_eq!(n, 1);
        let s = read(&scribes[0]).await?;
        assert_eq!((s.nickname.as_deref(), s.rank), (Some("zero"), Some(10)));

        one(&scribes[0])
            .update(&db, (Scribe::nickname.set(None), Scribe::rank.set(7)))
            .await?;
        let s = read(&scribes[0]).await?;
        assert_eq!((s.nickname, s.rank), (None, Some(7)));

        // A plain value and an expression over a nullable column.
        one(&scribes[1])
            .update(
                &db,
                (
                    Scribe::nickname.set("one"),
                    Scribe::rank.set(Scribe::rank + 5),
                ),
            )
            .await?;
        let s = read(&scribes[1]).await?;
        assert_eq!((s.nickname.as_deref(), s.rank), (Some("one"), Some(6)));

        // A variable of the field's own type, None included.
        let nick: Option<String> = None;
        let rank: Option<i32> = None;
        one(&scribes[1])
            .update(&db, (Scribe::nickname.set(nick), Scribe::rank.set(rank)))
            .await?;
        let s = read(&scribes[1]).await?;
        assert_eq!((s.nickname, s.rank), (None, None));

        // A nullable foreign key: Some(key), then None, then set_null().
        let article = || Article::objects().filter(Article::id.eq(articles[0].id));
        article()
            .update(
                &db,
                Article::reviewer.set(Some(ForeignKey::new(scribes[2].id))),
            )
            .await?;
        let a = article().get(&db).await?;
        assert_eq!(a.reviewer.as_ref().map(|r| *r.id()), Some(scribes[2].id));
        article().update(&db, Article::reviewer.set(None)).await?;
        assert!(article().get(&db).await?.reviewer.is_none());
        article()
            .update(&db, Article::reviewer.set(&scribes[3]))
            .await?;
        assert_eq!(
            article().get(&db).await?.reviewer.map(|r| *r.id()),
            Some(scribes[3].id)
        );
        article().update(&db, Article::reviewer.set_null()).await?;
        assert!(article().get(&db).await?.reviewer.is_none());

        // The other rows are untouched.
        let s3 = read(&scribes[3]).await?;
        assert_eq!(s3, scribes[3]);
        Ok(())
    })
    .await;
}

// ------------------------------------------------------------------- SQL shapes

/// `f` for every dialect, one block each.
fn all_dialects(f: impl Fn(Dialect) -> Statement) -> String {
    let mut out = String::new();
    for d in Dialect::ALL {
        let stmt = f(d);
        out.push_str(&format!(
            "-- {d}\n{}\n-- binds: {:?}\n\n",
            stmt.sql, stmt.binds
        ));
    }
    out.truncate(out.trim_end().len());
    out
}

#[test]
fn raw_placeholders_in_each_dialect() {
    let positional = raw(
        "SELECT a.id, 'it''s ?' AS q, \"odd?name\", j ?? 'k' FROM t a -- ?\n\
         WHERE a.x = ? /* ? */ AND a.y = ?::text AND a$1 = 1",
    )
    .bind(1i64)
    .bind("two".to_owned());
    insta::assert_snapshot!(
        "raw_positional",
        all_dialects(|d| positional.to_sql(d).expect("rewrites"))
    );
    let numbered = raw("SELECT * FROM t WHERE a = $2 OR b = $1 OR c = $2")
        .bind(1i64)
        .bind(2i64);
    insta::assert_snapshot!(
        "raw_numbered",
        all_dialects(|d| numbered.to_sql(d).expect("rewrites"))
    );
}

#[test]
fn annotate_into_exists_sql() {
    let qs = Article::objects().annotate_into(
        Article::has_remarks,
        Exists(Article::correlated(|a| {
            Remark::objects().filter(Remark::article.eq(a.id))
        })),
    );
    insta::assert_snapshot!(
        "annotate_into_exists",
        all_dialects(|d| qs.to_sql(d).expect("renders"))
    );
}

#[test]
fn prefetch_then_filter_order_and_slice_sql() {
    let qs = Scribe::objects()
        .prefetch(Scribe::articles.prefetch())
        .filter(Scribe::name.ne("s3"))
        .order_by(Scribe::name.desc())
        .slice(1..3);
    insta::assert_snapshot!(
        "prefetch_then_filter_order_and_slice",
        all_dialects(|d| qs.to_sql(d).expect("renders"))
    );
}
