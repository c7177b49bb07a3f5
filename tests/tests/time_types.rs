//! Times of day (`NaiveTime`) and durations (`TimeDelta`) on every backend:
//! exact round trips of edge values, filters and ordering, updates with
//! duration arithmetic, the duration aggregates (Avg truncated toward zero
//! everywhere), decode errors naming the column, and the values refused
//! before any SQL runs.

use chrono::{NaiveTime, TimeDelta};
use orm_runtime::observe::capture;
use orm_runtime::prelude::*;
use orm_tests::models::Shift;
use orm_tests::on_all_backends;

fn t(h: u32, m: u32, s: u32, micro: u32) -> NaiveTime {
    NaiveTime::from_hms_micro_opt(h, m, s, micro).expect("a valid time of day")
}

fn us(n: i64) -> TimeDelta {
    TimeDelta::microseconds(n)
}

fn shift(
    team: &str,
    starts: NaiveTime,
    ends: Option<NaiveTime>,
    length: TimeDelta,
    pause: Option<TimeDelta>,
) -> Shift {
    Shift {
        id: 0,
        team: team.into(),
        starts,
        ends,
        length,
        pause,
    }
}

async fn schema(db: &Db) -> Result<(), Error> {
    db.create_tables(&[Shift::META]).await
}

/// Midnight, the last microsecond of the day, one microsecond after
/// midnight; zero, negative, the extreme storable and a 200-year duration.
fn edges() -> Vec<Shift> {
    vec![
        shift(
            "a",
            t(0, 0, 0, 0),
            Some(t(23, 59, 59, 999_999)),
            TimeDelta::zero(),
            None,
        ),
        shift(
            "a",
            t(23, 59, 59, 999_999),
            None,
            us(-1),
            Some(us(i64::MAX)),
        ),
        shift(
            "b",
            t(12, 34, 56, 1),
            Some(t(0, 0, 0, 1)),
            us(i64::MIN),
            Some(-(TimeDelta::days(3) + us(1))),
        ),
        shift(
            "b",
            t(8, 0, 0, 0),
            Some(t(16, 30, 0, 0)),
            TimeDelta::days(365 * 200) + us(1),
            Some(TimeDelta::zero()),
        ),
    ]
}

fn ids(rows: Vec<Shift>) -> Vec<i64> {
    rows.into_iter().map(|s| s.id).collect()
}

#[tokio::test]
async fn times_and_durations_round_trip_exactly() {
    on_all_backends(|db| async move {
        schema(&db).await?;
        let mut rows = edges();
        let first = Shift::objects().create(&db, rows.remove(0)).await?;
        let rest = Shift::objects()
            .bulk_create(&db, rows, BulkCreate::default())
            .await?;
        let mut expected = vec![first];
        expected.extend(rest);

        let loaded = Shift::objects().order_by(Shift::id.asc()).all(&db).await?;
        assert_eq!(loaded, expected);
        assert_eq!(loaded[1].pause, Some(us(i64::MAX)));
        assert_eq!(loaded[2].length, us(i64::MIN));
        assert_eq!(loaded[2].ends, Some(t(0, 0, 0, 1)));

        let picked: Vec<(NaiveTime, Option<NaiveTime>, TimeDelta, Option<TimeDelta>)> =
            Shift::objects()
                .values((Shift::starts, Shift::ends, Shift::length, Shift::pause))
                .order_by(Shift::id.asc())
                .all(&db)
                .await?;
        assert_eq!(
            picked,
            [
                (t(0, 0, 0, 0), Some(t(23, 59, 59, 999_999)), us(0), None),
                (t(23, 59, 59, 999_999), None, us(-1), Some(us(i64::MAX))),
                (
                    t(12, 34, 56, 1),
                    Some(t(0, 0, 0, 1)),
                    us(i64::MIN),
                    Some(us(-259_200_000_001))
                ),
                (
                    t(8, 0, 0, 0),
                    Some(t(16, 30, 0, 0)),
                    us(6_307_200_000_000_001),
                    Some(us(0))
                ),
            ]
        );
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn filters_and_ordering() {
    on_all_backends(|db| async move {
        schema(&db).await?;
        let rows = Shift::objects()
            .bulk_create(&db, edges(), BulkCreate::default())
            .await?;
        let id = |i: usize| rows[i].id;
        let by = |q: Q<Shift>| Shift::objects().filter(q).order_by(Shift::id.asc());

        // Fixed-width text on SQLite orders as time does.
        let by_start = Shift::objects()
            .order_by(Shift::starts.asc())
            .all(&db)
            .await?;
        assert_eq!(ids(by_start), [id(0), id(3), id(2), id(1)]);
        let by_length = Shift::objects()
            .order_by(Shift::length.desc())
            .all(&db)
            .await?;
        assert_eq!(ids(by_length), [id(3), id(0), id(1), id(2)]);
        // NULL first ascending, on every backend.
        let by_end = Shift::objects()
            .order_by(Shift::ends.asc())
            .all(&db)
            .await?;
        assert_eq!(ids(by_end), [id(1), id(2), id(3), id(0)]);
        let by_pause = Shift::objects()
            .order_by((Shift::pause.asc(), Shift::id.asc()))
            .all(&db)
            .await?;
        assert_eq!(ids(by_pause), [id(0), id(2), id(3), id(1)]);

        let cases: Vec<(Q<Shift>, Vec<i64>)> = vec![
            (Shift::starts.eq(t(23, 59, 59, 999_999)), vec![id(1)]),
            (Shift::starts.lt(t(8, 0, 0, 0)), vec![id(0)]),
            (Shift::starts.gt(t(12, 34, 56, 0)), vec![id(1), id(2)]),
            (
                Shift::starts.range(t(8, 0, 0, 0), t(12, 34, 56, 1)),
                vec![id(2), id(3)],
            ),
            (
                Shift::starts.is_in([t(0, 0, 0, 0), t(8, 0, 0, 0)]),
                vec![id(0), id(3)],
            ),
            (Shift::ends.isnull(true), vec![id(1)]),
            (Shift::ends.isnull(false), vec![id(0), id(2), id(3)]),
            (Shift::ends.lt(t(0, 0, 0, 2)), vec![id(2)]),
            (Shift::ends.gte(t(23, 59, 59, 999_999)), vec![id(0)]),
            (Shift::length.eq(TimeDelta::zero()), vec![id(0)]),
            (Shift::length.lt(TimeDelta::zero()), vec![id(1), id(2)]),
            (Shift::length.gt(TimeDelta::days(365 * 200)), vec![id(3)]),
            (
                Shift::length.range(us(i64::MIN), us(-1)),
                vec![id(1), id(2)],
            ),
            (
                Shift::length.is_in([us(-1), us(i64::MIN)]),
                vec![id(1), id(2)],
            ),
            (Shift::pause.gte(TimeDelta::zero()), vec![id(1), id(3)]),
            (Shift::pause.eq(us(i64::MAX)), vec![id(1)]),
            (Shift::pause.isnull(true), vec![id(0)]),
            // A column against another column, and against duration arithmetic.
            (Shift::length.lt(Shift::pause), vec![id(1), id(2)]),
            (
                Shift::length.gt(F(Shift::pause) - TimeDelta::hours(1)),
                vec![id(3)],
            ),
            (
                !Shift::pause.gt(TimeDelta::zero()),
                vec![id(0), id(2), id(3)],
            ),
        ];
        for (q, expected) in cases {
            let found = ids(by(q.clone()).all(&db).await?);
            assert_eq!(found, expected, "{q:?}");
        }
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn updates_and_duration_arithmetic() {
    on_all_backends(|db| async move {
        schema(&db).await?;
        let day = Shift::objects()
            .create(
                &db,
                shift(
                    "c",
                    t(9, 0, 0, 0),
                    None,
                    TimeDelta::hours(8),
                    Some(TimeDelta::minutes(45)),
                ),
            )
            .await?;
        let night = Shift::objects()
            .create(
                &db,
                shift(
                    "c",
                    t(22, 0, 0, 0),
                    Some(t(6, 0, 0, 0)),
                    TimeDelta::hours(8) + us(1),
                    None,
                ),
            )
            .await?;

        // duration - duration, and a time of day set, in one UPDATE.
        let n = Shift::objects()
            .filter(Shift::team.eq("c"))
            .update(
                &db,
                (
                    Shift::length.set(Shift::length - TimeDelta::minutes(30)),
                    Shift::ends.set(t(17, 0, 0, 0)),
                ),
            )
            .await?;
        assert_eq!(n, 2);
        // duration + duration of another column.
        Shift::objects()
            .filter(Shift::id.eq(day.id))
            .update(
                &db,
                (
                    Shift::length.set(Shift::length + Shift::pause),
                    Shift::pause.set_null(),
                ),
            )
            .await?;
        Shift::objects()
            .filter(Shift::id.eq(night.id))
            .update(&db, Shift::pause.set(TimeDelta::seconds(90) + us(7)))
            .await?;

        let loaded = Shift::objects().order_by(Shift::id.asc()).all(&db).await?;
        assert_eq!(
            loaded,
            [
                Shift {
                    id: day.id,
                    ends: Some(t(17, 0, 0, 0)),
                    length: TimeDelta::hours(8) + TimeDelta::minutes(15),
                    pause: None,
                    ..day.clone()
                },
                Shift {
                    id: night.id,
                    ends: Some(t(17, 0, 0, 0)),
                    length: TimeDelta::hours(7) + TimeDelta::minutes(30) + us(1),
                    pause: Some(us(90_000_007)),
                    ..night.clone()
                },
            ]
        );

        // Arithmetic in a selection, with a negative result.
        let over: Vec<(i64, TimeDelta)> = Shift::objects()
            .values((Shift::id, Shift::length - TimeDelta::hours(8)))
            .order_by(Shift::id.asc())
            .all(&db)
            .await?;
        assert_eq!(
            over,
            [
                (day.id, TimeDelta::minutes(15)),
                (night.id, -(TimeDelta::minutes(29) + us(59_999_999))),
            ]
        );

        // save() writes both types back.
        let mut saved = loaded[0].clone();
        saved.starts = t(23, 59, 59, 999_999);
        saved.pause = Some(us(-5));
        saved.save(&db).await?;
        let again = Shift::objects()
            .filter(Shift::id.eq(day.id))
            .get(&db)
            .await?;
        assert_eq!(again, saved);
        Ok(())
    })
    .await;
}

/// Teams x, y and z; lengths chosen so that truncation toward zero, floor
/// and rounding give different averages.
async fn aggregate_fixture(db: &Db) -> Result<(), Error> {
    schema(db).await?;
    let h = TimeDelta::hours;
    let m = TimeDelta::minutes;
    Shift::objects()
        .bulk_create(
            db,
            vec![
                shift("x", t(6, 0, 0, 0), None, h(1), Some(m(10))),
                shift("x", t(7, 30, 0, 500_000), None, h(2), None),
                shift("x", t(23, 0, 0, 0), None, h(2) + us(1), Some(m(5))),
                shift("y", t(0, 0, 0, 1), None, us(-1), None),
                shift("y", t(12, 0, 0, 0), None, us(-2), None),
                shift("z", t(12, 0, 0, 0), Some(t(13, 0, 0, 0)), us(1), None),
                shift(
                    "z",
                    t(12, 0, 0, 0),
                    Some(t(18, 0, 0, 1)),
                    us(4),
                    Some(us(4)),
                ),
                shift("z", t(12, 0, 0, 0), None, us(4), None),
            ],
            BulkCreate::default(),
        )
        .await?;
    Ok(())
}

#[tokio::test]
async fn duration_aggregates() {
    on_all_backends(|db| async move {
        aggregate_fixture(&db).await?;

        // Sum 5h + 7µs over 8 rows: the mean 2_250_000_000.875µs truncates.
        let totals = Shift::objects()
            .aggregate((
                Sum(Shift::length),
                Avg(Shift::length),
                Min(Shift::length),
                Max(Shift::length),
            ))
            .get(&db)
            .await?;
        assert_eq!(
            totals,
            (
                Some(us(18_000_000_007)),
                Some(us(2_250_000_000)),
                Some(us(-2)),
                Some(TimeDelta::hours(2) + us(1)),
            )
        );

        // A nullable column: NULLs are left out (10min, 5min and 4µs).
        let pauses = Shift::objects()
            .aggregate((
                Sum(Shift::pause),
                Avg(Shift::pause),
                Min(Shift::pause),
                Max(Shift::pause),
                Count(Shift::pause),
            ))
            .get(&db)
            .await?;
        assert_eq!(
            pauses,
            (
                Some(us(900_000_004)),
                Some(us(300_000_001)),
                Some(us(4)),
                Some(TimeDelta::minutes(10)),
                3,
            )
        );

        // No rows, and only NULLs: every aggregate is None.
        let none = Shift::objects()
            .filter(Shift::team.eq("nobody"))
            .aggregate((
                Sum(Shift::length),
                Avg(Shift::length),
                Min(Shift::length),
                Max(Shift::length),
                Min(Shift::starts),
            ))
            .get(&db)
            .await?;
        assert_eq!(none, (None, None, None, None, None));
        let only_nulls = Shift::objects()
            .filter(Shift::team.eq("y"))
            .aggregate((Sum(Shift::pause), Avg(Shift::pause), Max(Shift::pause)))
            .get(&db)
            .await?;
        assert_eq!(only_nulls, (None, None, None));

        // Filtered (FILTER on SQLite/PostgreSQL, CASE on MySQL) and distinct:
        // -1.5µs truncates to -1µs, 2.5µs to 2µs.
        let parts = Shift::objects()
            .aggregate((
                Avg(Shift::length).filter(Shift::team.eq("y")),
                Sum(Shift::length).filter(Shift::team.eq("x")),
                Avg(Shift::length).filter(Shift::team.eq("z")).distinct(),
                Avg(Shift::length).filter(Shift::team.eq("z")),
            ))
            .get(&db)
            .await?;
        assert_eq!(
            parts,
            (
                Some(us(-1)),
                Some(TimeDelta::hours(5) + us(1)),
                Some(us(2)),
                Some(us(3)),
            )
        );

        // Grouped: values(team).annotate(..).
        let per_team: Vec<(
            String,
            Option<TimeDelta>,
            Option<TimeDelta>,
            Option<TimeDelta>,
        )> = Shift::objects()
            .values(Shift::team)
            .annotate(Sum(Shift::length))
            .annotate(Avg(Shift::length))
            .annotate(Sum(Shift::pause))
            .order_by(Shift::team.asc())
            .all(&db)
            .await?;
        assert_eq!(
            per_team,
            [
                (
                    "x".to_owned(),
                    Some(TimeDelta::hours(5) + us(1)),
                    Some(TimeDelta::minutes(100)),
                    Some(TimeDelta::minutes(15)),
                ),
                ("y".to_owned(), Some(us(-3)), Some(us(-1)), None),
                ("z".to_owned(), Some(us(9)), Some(us(3)), Some(us(4))),
            ]
        );

        // HAVING and ORDER BY on a duration aggregate.
        let positive: Vec<(String, Option<TimeDelta>)> = Shift::objects()
            .values(Shift::team)
            .annotate(Sum(Shift::length))
            .filter(Sum(Shift::length).gt(TimeDelta::zero()))
            .order_by(Sum(Shift::length).desc())
            .all(&db)
            .await?;
        assert_eq!(
            positive,
            [
                ("x".to_owned(), Some(TimeDelta::hours(5) + us(1))),
                ("z".to_owned(), Some(us(9))),
            ]
        );

        // Min/Max of times of day, grouped, with an all-NULL group.
        let times: Vec<(
            String,
            Option<NaiveTime>,
            Option<NaiveTime>,
            Option<NaiveTime>,
        )> = Shift::objects()
            .values(Shift::team)
            .annotate(Min(Shift::starts))
            .annotate(Max(Shift::starts))
            .annotate(Max(Shift::ends))
            .order_by(Shift::team.asc())
            .all(&db)
            .await?;
        assert_eq!(
            times,
            [
                (
                    "x".to_owned(),
                    Some(t(6, 0, 0, 0)),
                    Some(t(23, 0, 0, 0)),
                    None
                ),
                (
                    "y".to_owned(),
                    Some(t(0, 0, 0, 1)),
                    Some(t(12, 0, 0, 0)),
                    None
                ),
                (
                    "z".to_owned(),
                    Some(t(12, 0, 0, 0)),
                    Some(t(12, 0, 0, 0)),
                    Some(t(18, 0, 0, 1))
                ),
            ]
        );

        // A running total over a window is the integer SUM too.
        let running: Vec<(i64, Option<TimeDelta>)> = Shift::objects()
            .filter(Shift::team.eq("z"))
            .values((
                Shift::id,
                Sum(Shift::length).over(Window::new().order_by(Shift::id.asc())),
            ))
            .order_by(Shift::id.asc())
            .all(&db)
            .await?;
        let totals: Vec<Option<TimeDelta>> = running.into_iter().map(|(_, d)| d).collect();
        assert_eq!(totals, [Some(us(1)), Some(us(5)), Some(us(9))]);
        Ok(())
    })
    .await;
}

#[test]
fn avg_of_a_duration_over_a_window_is_refused_on_every_dialect() {
    let qs = Shift::objects().values((
        Shift::id,
        Avg(Shift::length).over(Window::new().order_by(Shift::id.asc())),
    ));
    for d in Dialect::ALL {
        match qs.to_sql(d) {
            Err(Error::Render { dialect, feature }) => {
                assert_eq!(dialect, d);
                assert_eq!(feature, "Avg of a duration as a window function");
            }
            other => panic!("[{d}] expected a render error, got {other:?}"),
        }
    }
}

fn assert_unstorable<T: std::fmt::Debug>(r: Result<T, Error>, ty: &str, why: &str) {
    match r {
        Err(Error::Unstorable {
            type_name, reason, ..
        }) if type_name == ty && reason.contains(why) => {}
        other => panic!("expected the {ty} to be refused ({why}), got {other:?}"),
    }
}

#[tokio::test]
async fn unstorable_values_are_refused_before_any_sql() {
    on_all_backends(|db| async move {
        schema(&db).await?;
        let too_long = us(i64::MAX) + us(1);
        let ok = || shift("a", t(1, 0, 0, 0), None, us(1), None);

        let refused = [
            (
                Shift {
                    length: too_long,
                    ..ok()
                },
                "TimeDelta",
                "i64 microseconds",
            ),
            (
                Shift {
                    length: us(i64::MIN) - us(1),
                    ..ok()
                },
                "TimeDelta",
                "i64 microseconds",
            ),
            (
                Shift {
                    pause: Some(TimeDelta::MAX),
                    ..ok()
                },
                "TimeDelta",
                "i64 microseconds",
            ),
            (
                Shift {
                    length: TimeDelta::nanoseconds(1_500),
                    ..ok()
                },
                "TimeDelta",
                "whole microseconds",
            ),
            (
                Shift {
                    starts: NaiveTime::from_hms_nano_opt(1, 0, 0, 1).expect("time"),
                    ..ok()
                },
                "NaiveTime",
                "to the microsecond",
            ),
            (
                Shift {
                    ends: NaiveTime::from_hms_micro_opt(23, 59, 59, 1_500_000),
                    ..ok()
                },
                "NaiveTime",
                "leap seconds",
            ),
        ];
        for (row, ty, why) in refused.clone() {
            assert_unstorable(Shift::objects().create(&db, row).await.map(drop), ty, why);
        }
        // A batch with one bad row: refused before its transaction begins.
        for (row, ty, why) in refused {
            let (out, queries) =
                capture(Shift::objects().bulk_create(&db, vec![ok(), row], BulkCreate::default()))
                    .await;
            assert_unstorable(out.map(drop), ty, why);
            assert!(queries.is_empty(), "no statement may run: {queries:?}");
        }
        // In filters (PostgreSQL binds the IN list as one array) and updates.
        assert_unstorable(
            Shift::objects()
                .filter(Shift::length.gt(too_long))
                .count(&db)
                .await,
            "TimeDelta",
            "i64 microseconds",
        );
        assert_unstorable(
            Shift::objects()
                .filter(Shift::length.is_in([us(1), too_long]))
                .count(&db)
                .await,
            "TimeDelta",
            "i64 microseconds",
        );
        assert_unstorable(
            Shift::objects()
                .all_rows()
                .update(&db, Shift::pause.set(F(Shift::length) + too_long))
                .await,
            "TimeDelta",
            "i64 microseconds",
        );
        assert_eq!(Shift::objects().count(&db).await?, 0);

        // The extremes themselves are stored.
        let edge = Shift::objects()
            .create(
                &db,
                Shift {
                    length: us(i64::MIN),
                    pause: Some(us(i64::MAX)),
                    ..ok()
                },
            )
            .await?;
        assert_eq!(Shift::objects().get(&db).await?, edge);

        // bulk_update refuses an unstorable value of a written column before
        // it begins, and ignores the columns it does not write.
        let changed = [Shift {
            pause: Some(TimeDelta::MAX),
            starts: t(2, 0, 0, 0),
            ..edge.clone()
        }];
        let (out, queries) =
            capture(Shift::objects().bulk_update(&db, &changed, Shift::pause, None)).await;
        assert_unstorable(out, "TimeDelta", "i64 microseconds");
        assert!(queries.is_empty(), "no statement may run: {queries:?}");
        let written = Shift::objects()
            .bulk_update(&db, &changed, Shift::starts, None)
            .await?;
        assert_eq!(written, 1);
        assert_eq!(
            Shift::objects().get(&db).await?,
            Shift {
                starts: t(2, 0, 0, 0),
                ..edge
            }
        );
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn decode_errors_name_the_column() {
    on_all_backends(|db| async move {
        schema(&db).await?;
        Shift::objects()
            .create(&db, shift("a", t(1, 0, 0, 0), None, us(1), None))
            .await?;
        let cases = [
            (
                "SELECT id, team, 'soon' AS starts, ends, length, pause FROM shift",
                "starts",
                "chrono::naive::time::NaiveTime",
            ),
            (
                "SELECT id, team, starts, 'late' AS ends, length, pause FROM shift",
                "ends",
                "core::option::Option<chrono::naive::time::NaiveTime>",
            ),
            (
                "SELECT id, team, starts, ends, 'long' AS length, pause FROM shift",
                "length",
                "chrono::time_delta::TimeDelta",
            ),
            (
                "SELECT id, team, starts, ends, length, 'short' AS pause FROM shift",
                "pause",
                "core::option::Option<chrono::time_delta::TimeDelta>",
            ),
        ];
        for (sql, column, expected) in cases {
            match raw(sql).fetch_models::<Shift, _>(&db).await {
                Err(Error::Decode(e)) => {
                    assert_eq!((e.model, e.column, e.expected), ("Shift", column, expected));
                }
                other => panic!("{sql}: expected a decode error, got {other:?}"),
            }
        }
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn a_sum_beyond_the_storable_range_is_an_error() {
    on_all_backends(|db| async move {
        schema(&db).await?;
        let long = shift("a", t(1, 0, 0, 0), None, us(i64::MAX), None);
        Shift::objects()
            .bulk_create(&db, vec![long.clone(), long], BulkCreate::default())
            .await?;
        // Never a wrapped or clamped value: SQLite's SUM raises an integer
        // overflow, PostgreSQL and MySQL return a decimal that does not
        // decode into i64 microseconds.
        let sum = Shift::objects()
            .aggregate(Sum(Shift::length))
            .get(&db)
            .await;
        match (db.dialect(), &sum) {
            (Dialect::Sqlite, Err(Error::Database { message, .. })) => {
                assert!(message.contains("integer overflow"), "{message}");
            }
            (_, Err(Error::Decode(e))) if db.dialect() != Dialect::Sqlite => {
                assert!(e.message.contains("out of range"), "{e}");
            }
            (d, other) => panic!("[{d}] expected an error, got {other:?}"),
        }
        // The average itself fits: PostgreSQL and MySQL divide the exact
        // decimal sum; SQLite's integer SUM overflows first.
        let avg = Shift::objects()
            .aggregate(Avg(Shift::length))
            .get(&db)
            .await;
        match (db.dialect(), avg) {
            (Dialect::Sqlite, Err(Error::Database { .. })) => {}
            (Dialect::Postgres | Dialect::MySql, Ok(v)) => assert_eq!(v, Some(us(i64::MAX))),
            (d, other) => panic!("[{d}] unexpected {other:?}"),
        }
        Ok(())
    })
    .await;
}
