//! Math functions, statistics, `Coalesce` of any number of arguments,
//! random ordering, `none()`, the double precision `Avg`, truncating casts
//! and nullable arithmetic, with exact values asserted on every backend.

use futures::TryStreamExt;
use orm_runtime::observe::capture;
use orm_runtime::prelude::*;
use orm_tests::fixtures::{bookshop, dec, task_tracker};
use orm_tests::models::*;
use orm_tests::{create_schema, on_all_backends};
use rust_decimal::Decimal;

/// One `AllTypes` row with the numeric columns the tests read.
fn numbers(
    i: usize,
    int: i32,
    big: i64,
    double: f64,
    amount: &str,
    o_double: Option<f64>,
    o_int: Option<i32>,
) -> AllTypes {
    let day = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap_or_default();
    AllTypes {
        id: 0,
        small: i16::try_from(int).unwrap_or_default(),
        int,
        big,
        float: 0.0,
        double,
        flag: false,
        text: String::new(),
        code: format!("n{i}"),
        bytes: Vec::new(),
        amount: dec(amount),
        day,
        at: day.and_hms_opt(0, 0, 0).unwrap_or_default(),
        instant: day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc(),
        uid: uuid::Uuid::from_u128(i as u128 + 1),
        doc: serde_json::json!({}),
        status: Status::Done,
        priority: Priority::Low,
        o_small: None,
        o_int,
        o_big: None,
        o_float: None,
        o_double,
        o_flag: None,
        o_text: None,
        o_bytes: None,
        o_amount: None,
        o_day: None,
        o_at: None,
        o_instant: None,
        o_uid: None,
        o_doc: None,
        o_status: None,
        o_priority: None,
    }
}

/// The rows of the math tests, in id order:
///
/// | int | big | double              | amount | o_double | o_int |
/// |-----|-----|---------------------|--------|----------|-------|
/// | 16  | 15  | 451.5               | 451.5  | 2        | 3     |
/// | -16 | -15 | -451.5              | -451.5 | NULL     | NULL  |
/// | 7   | 14  | 451.9               | 451.9  | -8       | -4    |
/// | 0   | 25  | 0.49999999999999994 | 2.675  | 0.5      | 0     |
/// | 2   | -25 | 2.675               | -2.5   | 3        | 9     |
async fn math_rows(db: &Db) -> Result<(), Error> {
    create_schema(db).await?;
    let rows = [
        (16, 15, 451.5, "451.5", Some(2.0), Some(3)),
        (-16, -15, -451.5, "-451.5", None, None),
        (7, 14, 451.9, "451.9", Some(-8.0), Some(-4)),
        (0, 25, 0.49999999999999994, "2.675", Some(0.5), Some(0)),
        (2, -25, 2.675, "-2.5", Some(3.0), Some(9)),
    ];
    for (i, (int, big, double, amount, o_double, o_int)) in rows.into_iter().enumerate() {
        let row = numbers(i, int, big, double, amount, o_double, o_int);
        AllTypes::objects().create(db, row).await?;
    }
    Ok(())
}

const INTS: [i32; 5] = [16, -16, 7, 0, 2];
const DOUBLES: [f64; 5] = [451.5, -451.5, 451.9, 0.49999999999999994, 2.675];

fn by_id() -> AllTypesQuerySet {
    AllTypes::objects().order_by(AllTypes::id.asc())
}

fn decs(values: &[&str]) -> Vec<Decimal> {
    values.iter().map(|v| dec(v)).collect()
}

/// A double converted to a `Decimal` as every backend's result is.
fn dec_of(x: f64) -> Decimal {
    Decimal::try_from(x).unwrap_or_default()
}

/// Round half away from zero to `places`, with the double operations the
/// renderer writes.
fn round_to(x: f64, places: i32) -> f64 {
    let scale = 10f64.powi(places.abs());
    let y = if places >= 0 { x * scale } else { x / scale };
    let r = y.trunc()
        + if (y - y.trunc()).abs() >= 0.5 {
            y.signum()
        } else {
            0.0
        };
    match places {
        0 => r,
        p if p > 0 => r / scale,
        _ => r * scale,
    }
}

#[tokio::test]
async fn sqrt_ln_exp_power_in_double_precision() {
    on_all_backends(|db| async move {
        math_rows(&db).await?;
        let rows: Vec<(
            Option<f64>,
            Option<f64>,
            Option<Decimal>,
            Option<f64>,
            f64,
            Option<f64>,
        )> = by_id()
            .values((
                Sqrt(AllTypes::int),
                Sqrt(AllTypes::double),
                Sqrt(AllTypes::amount),
                Ln(AllTypes::int),
                Exp(AllTypes::int),
                Sqrt(AllTypes::o_double),
            ))
            .all(&db)
            .await?;
        let sqrt = |x: f64| (x >= 0.0).then(|| x.sqrt());
        let expected: Vec<_> = (0..5)
            .map(|i| {
                let amount = [451.5, -451.5, 451.9, 2.675, -2.5][i];
                let o_double = [Some(2.0), None, Some(-8.0), Some(0.5), Some(3.0)][i];
                let int = f64::from(INTS[i]);
                (
                    sqrt(int),
                    sqrt(DOUBLES[i]),
                    sqrt(amount).map(dec_of),
                    (int > 0.0).then(|| int.ln()),
                    int.exp(),
                    o_double.and_then(sqrt),
                )
            })
            .collect();
        assert_eq!(rows, expected);
        // Known values: exact squares, ln(1), e^0; NULL for a negative or zero argument.
        assert_eq!(rows[0].0, Some(4.0));
        assert_eq!(rows[1].0, None);
        assert_eq!(rows[3].3, None, "ln(0) is NULL");
        assert_eq!(rows[3].4, 1.0);

        let powers: Vec<(Option<f64>, Option<f64>, Option<f64>, Option<Decimal>)> = by_id()
            .values((
                Power(AllTypes::int, 2),
                Power(AllTypes::double, 0.5),
                Power(AllTypes::double, AllTypes::o_double),
                Power(AllTypes::amount, dec("2")),
            ))
            .all(&db)
            .await?;
        let expected: Vec<_> = (0..5)
            .map(|i| {
                let o_double = [Some(2.0), None, Some(-8.0), Some(0.5), Some(3.0)][i];
                let amount = [451.5, -451.5, 451.9, 2.675, -2.5][i];
                let pow = |x: f64, y: f64| Some(x.powf(y)).filter(|p| !p.is_nan());
                (
                    pow(f64::from(INTS[i]), 2.0),
                    pow(DOUBLES[i], 0.5),
                    o_double.and_then(|y| pow(DOUBLES[i], y)),
                    pow(amount, 2.0).map(dec_of),
                )
            })
            .collect();
        assert_eq!(powers, expected);
        assert_eq!(powers[0].0, Some(256.0));
        assert_eq!(
            powers[1].1, None,
            "a negative base to a fractional power is NULL"
        );

        // Beyond the double range: an error on every backend.
        let overflow = by_id().values(Exp(AllTypes::big * 1000)).all(&db).await;
        assert!(
            matches!(overflow, Err(Error::Database { .. })),
            "{overflow:?}"
        );
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn floor_ceil_round_abs_keep_the_type() {
    on_all_backends(|db| async move {
        math_rows(&db).await?;
        let floats: Vec<(f64, f64, f64, f64, f64, f64)> = by_id()
            .values((
                Floor(AllTypes::double),
                Ceil(AllTypes::double),
                Round(AllTypes::double),
                RoundTo(AllTypes::double, 2),
                RoundTo(AllTypes::double, -1),
                Abs(AllTypes::double),
            ))
            .all(&db)
            .await?;
        let expected: Vec<_> = DOUBLES
            .iter()
            .map(|&x| {
                (
                    x.floor(),
                    x.ceil(),
                    x.round(),
                    round_to(x, 2),
                    round_to(x, -1),
                    x.abs(),
                )
            })
            .collect();
        assert_eq!(floats, expected);
        // Half away from zero, where PostgreSQL and MariaDB round doubles half to even.
        let rounded: Vec<f64> = floats.iter().map(|r| r.2).collect();
        assert_eq!(rounded, [452.0, -452.0, 452.0, 0.0, 3.0]);
        // In double precision 2.675 · 100 is 267.5, so 2.675 rounds up.
        assert_eq!(floats[4].3, 2.68);
        assert_eq!(floats[0].4, 450.0);

        let decimals: Vec<(Decimal, Decimal, Decimal, Decimal, Decimal, Decimal)> = by_id()
            .values((
                Floor(AllTypes::amount),
                Ceil(AllTypes::amount),
                Round(AllTypes::amount),
                RoundTo(AllTypes::amount, 2),
                RoundTo(AllTypes::amount, -1),
                Abs(AllTypes::amount),
            ))
            .all(&db)
            .await?;
        let column = |k: usize| -> Vec<Decimal> {
            decimals
                .iter()
                .map(|r| [r.0, r.1, r.2, r.3, r.4, r.5][k])
                .collect()
        };
        assert_eq!(column(0), decs(&["451", "-452", "451", "2", "-3"]));
        assert_eq!(column(1), decs(&["452", "-451", "452", "3", "-2"]));
        assert_eq!(column(2), decs(&["452", "-452", "452", "3", "-3"]));
        // Decimals round exactly: 2.675 gives 2.68.
        assert_eq!(
            column(3),
            decs(&["451.5", "-451.5", "451.9", "2.68", "-2.5"])
        );
        assert_eq!(column(4), decs(&["450", "-450", "450", "0", "0"]));
        assert_eq!(
            column(5),
            decs(&["451.5", "451.5", "451.9", "2.675", "2.5"])
        );

        let ints: Vec<(i32, i32, i32, i64, i32, Option<i32>)> = by_id()
            .values((
                Floor(AllTypes::int),
                Ceil(AllTypes::int),
                Round(AllTypes::int),
                RoundTo(AllTypes::big, -1),
                Abs(AllTypes::int),
                Abs(AllTypes::o_int),
            ))
            .all(&db)
            .await?;
        assert_eq!(
            ints,
            [
                (16, 16, 16, 20, 16, Some(3)),
                (-16, -16, -16, -20, 16, None),
                (7, 7, 7, 10, 7, Some(4)),
                (0, 0, 0, 30, 0, Some(0)),
                (2, 2, 2, -30, 2, Some(9)),
            ]
        );
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn mod_has_the_sign_of_the_dividend() {
    on_all_backends(|db| async move {
        math_rows(&db).await?;
        let rows: Vec<(i32, i32, f64, Decimal, Option<i32>)> = by_id()
            .values((
                Mod(AllTypes::int, 3),
                Mod(AllTypes::int, -3),
                Mod(AllTypes::double, 2.0),
                Mod(AllTypes::amount, dec("2")),
                Mod(AllTypes::int, AllTypes::o_int),
            ))
            .filter(AllTypes::o_int.ne(0))
            .all(&db)
            .await?;
        let fmod = |x: f64, y: f64| x - (x / y).trunc() * y;
        assert_eq!(
            rows,
            [
                (1, 1, fmod(451.5, 2.0), dec("1.5"), Some(1)),
                (1, 1, fmod(451.9, 2.0), dec("1.9"), Some(3)),
                (2, 2, fmod(2.675, 2.0), dec("-0.5"), Some(2)),
            ]
        );
        let negative: Vec<(i32, Decimal)> = by_id()
            .filter(AllTypes::int.lt(0))
            .values((Mod(AllTypes::int, 3), Mod(AllTypes::amount, dec("2"))))
            .all(&db)
            .await?;
        assert_eq!(negative, [(-1, dec("-1.5"))]);
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn casts_to_integers_truncate_toward_zero() {
    on_all_backends(|db| async move {
        math_rows(&db).await?;
        let rows: Vec<(i64, i64, i32)> = by_id()
            .values((
                AllTypes::double.cast::<i64>(),
                AllTypes::amount.cast::<i64>(),
                AllTypes::double.cast::<i32>(),
            ))
            .all(&db)
            .await?;
        assert_eq!(
            rows,
            [
                (451, 451, 451),
                (-451, -451, -451),
                (451, 451, 451),
                (0, 2, 0),
                (2, -2, 2),
            ]
        );
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn coalesce_of_any_number_of_arguments() {
    on_all_backends(|db| async move {
        bookshop(&db).await?;
        // Non-nullable as soon as one argument is.
        let named: Vec<String> = Publisher::objects()
            .values(Coalesce((Publisher::country, Publisher::name)))
            .order_by(Publisher::id.asc())
            .all(&db)
            .await?;
        assert_eq!(named, ["UK", "US", "Small Press"]);
        let maybe: Vec<Option<String>> = Publisher::objects()
            .values(Coalesce((Publisher::country, Publisher::country)))
            .order_by(Publisher::id.asc())
            .all(&db)
            .await?;
        assert_eq!(maybe, [Some("UK".into()), Some("US".into()), None]);
        let three: Vec<String> = Publisher::objects()
            .values(Coalesce((Publisher::country, Publisher::country, "??")))
            .order_by(Publisher::id.asc())
            .all(&db)
            .await?;
        assert_eq!(three, ["UK", "US", "??"]);
        let eight: Vec<i64> = Book::objects()
            .filter(Book::pages.gt(10_000))
            .aggregate(Coalesce((
                Sum(Book::pages),
                Sum(Book::chapters),
                Max(Book::id),
                Min(Book::id),
                Sum(Book::id),
                Count(Book::id).expr(),
                1i64,
                2i64,
            )))
            .all(&db)
            .await?;
        assert_eq!(eight, [0], "Count over no rows is 0, the first non-NULL");
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn arithmetic_with_a_nullable_operand_is_nullable() {
    on_all_backends(|db| async move {
        math_rows(&db).await?;
        let sums: Vec<(Option<f64>, Option<f64>, Option<i32>, f64)> = by_id()
            .values((
                AllTypes::double + AllTypes::o_double,
                AllTypes::o_double * AllTypes::double,
                AllTypes::int - AllTypes::o_int,
                AllTypes::double + 1.0,
            ))
            .all(&db)
            .await?;
        assert_eq!(sums[0], (Some(453.5), Some(903.0), Some(13), 452.5));
        assert_eq!(sums[1], (None, None, None, -450.5));
        Ok(())
    })
    .await;
}

/// The result types, checked by the compiler.
#[test]
fn result_types_follow_nullability() {
    let _: Expr<AllTypes, Option<f64>> = AllTypes::double + AllTypes::o_double;
    let _: Expr<AllTypes, f64> = AllTypes::double + AllTypes::double;
    let _: Expr<AllTypes, Option<i32>> = F(AllTypes::int) * F(AllTypes::o_int);
    let _: Expr<AllTypes, Decimal> = AllTypes::amount + dec("1");
    let _: Expr<Song, i32> = Song::length + 1;
    let _: Expr<Publisher, String> = Coalesce((Publisher::country, "??"));
    let _: Expr<Publisher, Option<String>> = Coalesce((Publisher::country, Publisher::country));
    let _: Expr<Book, Option<i32>> = Greatest(Book::pages, NullIf(Book::chapters, 0));
    let _: Expr<Book, i32> = Least(Book::pages, 400);
    let _: Expr<AllTypes, Option<f64>> = Sqrt(AllTypes::int);
    let _: Expr<AllTypes, Option<Decimal>> = Sqrt(AllTypes::amount);
    let _: Expr<AllTypes, f64> = Exp(AllTypes::double);
    let _: Expr<AllTypes, Option<f64>> = Exp(AllTypes::o_double);
    let _: Expr<AllTypes, i64> = RoundTo(AllTypes::big, -2);
    let _: Expr<AllTypes, Option<i32>> = Mod(AllTypes::int, AllTypes::o_int);
}

/// Reference: PostgreSQL's double precision variance (`float8_accum`).
fn youngs_cramer(values: &[f64]) -> (f64, f64) {
    let (mut n, mut sx, mut sxx) = (0.0f64, 0.0f64, 0.0f64);
    for &x in values {
        let previous = n;
        n += 1.0;
        sx += x;
        if previous > 0.0 {
            let tmp = x * n - sx;
            sxx += tmp * tmp / (n * previous);
        }
    }
    (sxx / n, sxx / (n - 1.0))
}

#[tokio::test]
async fn standard_deviation_and_variance_on_every_backend() {
    on_all_backends(|db| async move {
        task_tracker(&db).await?;
        let out = Task::objects()
            .aggregate((
                StdDev(Task::hours),
                StdDevSample(Task::hours),
                Variance(Task::hours),
                VarianceSample(Task::hours),
            ))
            .get(&db)
            .await?;
        // hours 4, 2, 0, 3, 5: mean 2.8, population variance 2.96, sample 3.7.
        let (pop, samp) = youngs_cramer(&[4.0, 2.0, 0.0, 3.0, 5.0]);
        assert_eq!(
            out,
            (Some(pop.sqrt()), Some(samp.sqrt()), Some(pop), Some(samp))
        );
        assert!((pop - 2.96).abs() < 1e-12 && (samp - 3.7).abs() < 1e-12);

        // Per user, with a filter; a sample of one row is NULL.
        let per_user: Vec<(i64, Option<f64>, Option<f64>)> = Task::objects()
            .values(Task::user)
            .annotate(Variance(Task::hours))
            .annotate(VarianceSample(Task::hours).filter(Task::hours.gt(2)))
            .order_by(Task::user.asc())
            .all(&db)
            .await?;
        let per: Vec<(Option<f64>, Option<f64>)> = per_user.iter().map(|r| (r.1, r.2)).collect();
        // alex: 4, 2 (filtered: 4); john: 0, 3, 5 (filtered: 3, 5).
        assert_eq!(
            per,
            [
                (Some(1.0), None),
                (Some(youngs_cramer(&[0.0, 3.0, 5.0]).0), Some(2.0))
            ]
        );

        // Over no rows: NULL.
        let none = Task::objects()
            .filter(Task::hours.gt(100))
            .aggregate((StdDev(Task::hours), VarianceSample(Task::hours)))
            .get(&db)
            .await?;
        assert_eq!(none, (None, None));
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn standard_deviation_of_floats_decimals_and_windows() {
    on_all_backends(|db| async move {
        bookshop(&db).await?;
        for (i, x) in [2.5, 4.25, 4.75, 0.5, 8.0, -1.125].into_iter().enumerate() {
            let row = numbers(i, 0, 0, x, "0", None, None);
            AllTypes::objects().create(&db, row).await?;
        }
        let (sd_double, var_double) = AllTypes::objects()
            .aggregate((StdDev(AllTypes::double), VarianceSample(AllTypes::double)))
            .get(&db)
            .await?;
        let (sd, var) = Book::objects()
            .aggregate((StdDev(Book::rating), VarianceSample(Book::price)))
            .get(&db)
            .await?;
        let got = [sd_double, var_double, sd, var];
        let (pop, samp) = youngs_cramer(&[2.5, 4.25, 4.75, 0.5, 8.0, -1.125]);
        let expected = [
            pop.sqrt(),
            samp,
            youngs_cramer(&[4.5, 4.7, 4.8, 3.1, 3.9]).0.sqrt(),
            youngs_cramer(&[39.99, 49.99, 9.99, 5.0, 15.5]).1,
        ];
        if db.dialect() == Dialect::MySql {
            // MariaDB computes with Welford's recurrence, not PostgreSQL's
            // Youngs-Cramer update (which SQLite's registered aggregates
            // reproduce): for such doubles the last bit can differ.
            for (g, e) in got.iter().zip(expected) {
                assert!(
                    g.is_some_and(|g| ((g - e) / e).abs() < 1e-15),
                    "{g:?} vs {e}"
                );
            }
        } else {
            assert_eq!(got, expected.map(Some));
        }

        // As a window function (SQLite: its registered window aggregate).
        let running: Vec<Option<f64>> = Book::objects()
            .values(
                Variance(Book::pages).over(
                    Window::new()
                        .order_by(Book::id.asc())
                        .rows(FrameBound::Preceding(1), FrameBound::CurrentRow),
                ),
            )
            .order_by(Book::id.asc())
            .all(&db)
            .await?;
        let pages = [456.0, 738.0, 310.0, 120.0, 200.0];
        let expected: Vec<Option<f64>> = (0..5)
            .map(|i| Some(youngs_cramer(&pages[i.max(1) - 1..=i]).0))
            .collect();
        assert_eq!(running, expected);
        assert_eq!(running[1], Some(19881.0), "(738 - 456)² / 4");
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn avg_of_integers_is_the_full_double() {
    on_all_backends(|db| async move {
        create_schema(&db).await?;
        // 337 over 9 rows: MariaDB alone would say 37.4444.
        let ints = [37, 37, 38, 37, 37, 38, 37, 38, 38];
        for (i, int) in ints.into_iter().enumerate() {
            let row = numbers(i, int, i64::from(int), 0.0, "0", None, Some(int));
            AllTypes::objects().create(&db, row).await?;
        }
        let avg = AllTypes::objects()
            .aggregate((
                Avg(AllTypes::int),
                Avg(AllTypes::big),
                Avg(AllTypes::small),
                Avg(AllTypes::o_int),
                Avg(AllTypes::int).filter(AllTypes::int.gt(37)),
            ))
            .get(&db)
            .await?;
        let mean = 337.0 / 9.0;
        assert_eq!(
            avg,
            (Some(mean), Some(mean), Some(mean), Some(mean), Some(38.0))
        );
        assert_eq!(avg.0, Some(37.44444444444444));
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn random_order_returns_every_row() {
    on_all_backends(|db| async move {
        let shop = bookshop(&db).await?;
        let mut all: Vec<String> = shop.books.iter().map(|b| b.title.clone()).collect();
        all.sort();
        let mut orders = std::collections::HashSet::new();
        for _ in 0..40 {
            let titles: Vec<String> = Book::objects()
                .order_by(Random)
                .values(Book::title)
                .all(&db)
                .await?;
            let mut sorted = titles.clone();
            sorted.sort();
            assert_eq!(sorted, all);
            orders.insert(titles);
        }
        assert!(
            orders.len() > 1,
            "40 random orders of 5 rows were all the same"
        );
        // Random as a tie-breaker after another key.
        let by_publisher: Vec<i64> = Book::objects()
            .order_by((Book::publisher.asc(), Random))
            .values(Book::publisher)
            .all(&db)
            .await?;
        let mut sorted = by_publisher.clone();
        sorted.sort();
        assert_eq!(by_publisher, sorted);
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn none_matches_nothing_without_a_query() {
    on_all_backends(|db| async move {
        bookshop(&db).await?;
        let d = db.clone();
        let (out, queries) = capture(async move {
            let db = &d;
            let none = || Book::objects().filter(Book::pages.gt(100)).none();
            let rows = none().all(db).await?;
            let count = none().count(db).await?;
            let exists = none().exists(db).await?;
            let first = none().first(db).await?;
            let get = none().get(db).await;
            let streamed: Vec<Book> = none().stream(db).try_collect().await?;
            let totals = none()
                .aggregate((
                    Sum(Book::pages),
                    CountAll(),
                    Avg(Book::rating),
                    Max(Book::price),
                    Coalesce((Sum(Book::pages), 0)),
                    StdDev(Book::pages),
                ))
                .get(db)
                .await?;
            let grouped: Vec<(i64, Option<i64>)> = none()
                .values(Book::publisher)
                .annotate(Sum(Book::pages))
                .all(db)
                .await?;
            let updated = none()
                .update(db, Book::chapters.set(Book::chapters + 1))
                .await?;
            let deleted = Book::objects().all_rows().none().delete(db).await?;
            let in_empty = Book::objects()
                .filter(Book::id.is_in(Vec::<i64>::new()))
                .count(db)
                .await?;
            Ok::<_, Error>((
                (rows.len(), count, exists, first.is_none(), streamed.len()),
                get.map(|b| b.id).map_err(|e| e.is_not_found()),
                totals,
                (grouped.len(), updated, deleted, in_empty),
            ))
        })
        .await;
        assert!(queries.is_empty(), "none() sent statements: {queries:#?}");
        let (plain, get, totals, writes) = out?;
        assert_eq!(plain, (0, 0, false, true, 0));
        assert_eq!(get, Err(true), "get() of none() is NotFound");
        assert_eq!(totals, (None, 0, None, None, 0, None));
        assert_eq!(writes, (0, 0, 0, 0));
        // Nothing was changed, and the queryset still works as a subquery.
        assert_eq!(Book::objects().count(&db).await?, 5);
        let in_none = Book::objects()
            .filter(Book::id.in_query(Book::objects().none().values(Book::id)))
            .count(&db)
            .await?;
        assert_eq!(in_none, 0);
        Ok(())
    })
    .await;
}
