//! Differential test: a few hundred querysets generated from a fixed seed
//! (filters with AND/OR/NOT, lookups of every kind, paths through foreign
//! keys and multi-valued relations, ordering, slices, DISTINCT, grouped
//! `values().annotate()`, `aggregate()`, `count()`, `exists()`) run on one
//! data set loaded on every configured backend; each backend must return
//! exactly what SQLite returns. Float results are computed from integers so
//! they are exact on every backend; text ordering uses values whose order
//! is the same under every backend's collation. Decimals are compared by
//! value: SQLite gives back the shortest form (`15.5`), the servers the
//! column's scale (`15.50`).

use orm_runtime::prelude::*;
use orm_tests::fixtures::bookshop_with_authors;
use orm_tests::models::*;
use orm_tests::on_all_backends;
use rust_decimal::Decimal;
use std::str::FromStr;
use std::sync::Mutex;

/// A small deterministic generator (64-bit LCG), so every backend runs
/// the same querysets.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
    fn pick(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn book_leaf(g: &mut Gen) -> Q<Book> {
    let pages = [100, 150, 200, 310, 400, 456, 700, 800][g.pick(8) as usize];
    let rating = [3.0, 3.9, 4.0, 4.5, 4.7, 4.8, 5.0][g.pick(7) as usize];
    let text = ["Rust", "rust", "hobbit", "The", "%", "_", "!", "in A", "x"][g.pick(9) as usize];
    let price = ["5.00", "9.99", "15.50", "39.99", "49.99", "20"][g.pick(6) as usize];
    match g.pick(16) {
        0 => Book::pages.gt(pages),
        1 => Book::pages.lte(pages),
        2 => Book::rating.gte(rating),
        3 => Book::title.contains(text),
        4 => Book::title.icontains(text),
        5 => Book::title.startswith(text),
        6 => Book::title.iendswith(text),
        7 => Book::price.lt(Decimal::from_str(price).unwrap_or_default()),
        8 => Book::publisher
            .then(Publisher::country)
            .eq(["UK", "US"][g.pick(2) as usize]),
        9 => Book::publisher
            .then(Publisher::country)
            .isnull(g.pick(2) == 0),
        10 => Book::chapters.range(10, 20),
        11 => Book::pages.is_in([120, 310, 738]),
        12 => Book::authors
            .then(Author::age)
            .gt([30, 38, 45][g.pick(3) as usize]),
        13 => Book::authors
            .then(Author::name)
            .eq(["Alice", "Bob", "dave"][g.pick(3) as usize]),
        14 => Book::chapters.gt(Book::pages / 30),
        _ => ExtractYear(Book::published).gte([1950, 2000, 2021][g.pick(3) as usize]),
    }
}

fn book_cond(g: &mut Gen, depth: u32) -> Q<Book> {
    if depth == 0 || g.pick(3) == 0 {
        return book_leaf(g);
    }
    match g.pick(3) {
        0 => book_cond(g, depth - 1) & book_cond(g, depth - 1),
        1 => book_cond(g, depth - 1) | book_cond(g, depth - 1),
        _ => !book_cond(g, depth - 1),
    }
}

/// One generated queryset, run, its result as text.
async fn run_one(db: &Db, g: &mut Gen) -> Result<String, Error> {
    let mut qs = Book::objects().filter(book_cond(g, 2));
    if g.pick(3) == 0 {
        qs = qs.exclude(book_cond(g, 1));
    }
    if g.pick(4) == 0 {
        qs = qs.filter(book_cond(g, 1));
    }
    Ok(match g.pick(7) {
        0 | 1 => {
            let mut q = qs.order_by((Book::pages.desc(), Book::id.asc()));
            if g.pick(2) == 0 {
                q = q.distinct();
            }
            if g.pick(2) == 0 {
                let a = g.pick(3);
                q = q.slice(a..a + 1 + g.pick(4));
            }
            let rows: Vec<(String, i32)> = q.values((Book::title, Book::pages)).all(db).await?;
            format!("{rows:?}")
        }
        2 => format!("count {}", qs.count(db).await?),
        3 => format!("exists {}", qs.exists(db).await?),
        4 => {
            let rows: Vec<(i64, i64, Option<i64>, Option<f64>, Option<Decimal>)> = qs
                .values(Book::publisher)
                .annotate(CountAll())
                .annotate(Sum(Book::pages))
                .annotate(Avg(Book::chapters))
                .annotate(Max(Book::price))
                .order_by(Book::publisher.asc())
                .all(db)
                .await?;
            // Keys differ per backend only in value; compare the rest.
            let rows: Vec<_> = rows
                .into_iter()
                .map(|(_, n, s, a, m)| (n, s, a, m.map(|d| d.normalize())))
                .collect();
            format!("{rows:?}")
        }
        5 => {
            let mut q = qs.order_by(Book::pages.asc());
            if g.pick(2) == 0 {
                q = q.slice(0..2 + g.pick(3));
            }
            let (n, s, m, a) = q
                .aggregate((
                    CountAll(),
                    Sum(Book::pages),
                    Min(Book::price),
                    Avg(Book::pages),
                ))
                .get(db)
                .await?;
            format!("{:?}", (n, s, m.map(|d| d.normalize()), a))
        }
        _ => {
            let rows: Vec<(String, i64)> = Author::objects()
                .filter(
                    Author::books
                        .then(Book::pages)
                        .gt([100, 300, 500][g.pick(3) as usize]),
                )
                .values(Author::name)
                .annotate(CountAll())
                .order_by(Author::name.asc())
                .all(db)
                .await?;
            format!("{rows:?}")
        }
    })
}

#[tokio::test]
async fn generated_querysets_give_the_same_results_on_every_backend() {
    let results: Mutex<Vec<(Dialect, Vec<String>)>> = Mutex::new(Vec::new());
    on_all_backends(|db| {
        let results = &results;
        async move {
            bookshop_with_authors(&db).await?;
            let mut g = Gen(20_261_201);
            let mut out = Vec::new();
            for i in 0..300 {
                let r = match run_one(&db, &mut g).await {
                    Ok(r) => r,
                    Err(e) => format!("query {i} failed: {e}"),
                };
                out.push(r);
            }
            results
                .lock()
                .map_err(|_| Error::Usage("poisoned".into()))?
                .push((db.dialect(), out));
            Ok(())
        }
    })
    .await;
    let results = results.into_inner().unwrap_or_default();
    let (_, reference) = &results[0];
    let failed: Vec<&String> = reference.iter().filter(|r| r.contains("failed")).collect();
    assert!(failed.is_empty(), "queries failed on SQLite: {failed:?}");
    let distinct: std::collections::BTreeSet<&String> = reference.iter().collect();
    assert!(
        distinct.len() > 50,
        "too few different results: {}",
        distinct.len()
    );
    for (dialect, got) in &results[1..] {
        for (i, (a, b)) in reference.iter().zip(got).enumerate() {
            assert_eq!(a, b, "query {i}: SQLite vs {dialect}");
        }
    }
}
