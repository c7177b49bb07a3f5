//! The boundary corpus, on every backend: each field type at its limits
//! and one past them. A value that fits is stored and read back identical
//! on SQLite, PostgreSQL and MariaDB; one that does not is refused with the
//! same typed error on all three, and nothing changes:
//! - integers: the type's range; a computed overflow fails in the database
//!   with `ConstraintKind::Range` (CHECKs enforce the width on SQLite);
//! - text: `max_length` characters, trailing spaces counted, else
//!   `Error::ExceedsLimit` (`Limit::MaxLength`) before binding;
//! - decimals: `max_digits`/`decimal_places`, extra places refused, not
//!   rounded (`Limit::IntegerDigits`, `Limit::DecimalPlaces`);
//! - dates and datetimes: years 1 to 9999, else `Error::Unstorable`;
//! - floats: finite values, NaN and infinities `Error::Unstorable`.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use orm_runtime::prelude::*;
use orm_runtime::{FieldName, Limit};
use orm_tests::on_all_backends;
use rust_decimal::Decimal;
use std::str::FromStr;

/// One column of each bounded type.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "bounds")]
pub struct Bound {
    /// Key.
    #[orm(primary_key)]
    pub id: i64,
    /// 16-bit.
    pub small: i16,
    /// 32-bit.
    pub int: i32,
    /// 64-bit.
    pub big: i64,
    /// Nullable 16-bit.
    pub maybe: Option<i16>,
    /// Bounded text.
    #[orm(max_length = 5)]
    pub code: String,
    /// Decimal(5, 2).
    #[orm(max_digits = 5, decimal_places = 2)]
    pub price: Decimal,
    /// A date.
    pub day: NaiveDate,
    /// A date and time.
    pub at: NaiveDateTime,
    /// An instant.
    pub instant: DateTime<Utc>,
    /// A double.
    pub ratio: f64,
    /// A single.
    pub single: f32,
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).expect("a decimal")
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a date")
}

fn base(id: i64) -> Bound {
    let at = date(2024, 1, 2)
        .and_hms_micro_opt(3, 4, 5, 6)
        .expect("a time");
    Bound {
        id,
        small: 0,
        int: 0,
        big: 0,
        maybe: None,
        code: "ok".into(),
        price: dec("1.00"),
        day: date(2024, 1, 2),
        at,
        instant: at.and_utc(),
        ratio: 0.5,
        single: 0.25,
    }
}

async fn schema(db: &Db) -> Result<(), Error> {
    db.create_tables(&[Bound::META]).await
}

fn field(name: &'static str) -> FieldName {
    FieldName {
        model: "Bound",
        field: name,
    }
}

async fn all(db: &Db) -> Result<Vec<Bound>, Error> {
    Bound::objects().order_by(Bound::id.asc()).all(db).await
}

#[tokio::test]
async fn values_at_the_limits_round_trip_identically() {
    on_all_backends(|db| async move {
        schema(&db).await?;
        let last = date(9999, 12, 31)
            .and_hms_micro_opt(23, 59, 59, 999_999)
            .expect("a time");
        let first = date(1, 1, 1).and_hms_opt(0, 0, 0).expect("a time");
        let rows = vec![
            Bound {
                small: i16::MIN,
                int: i32::MIN,
                big: i64::MIN,
                maybe: Some(i16::MIN),
                code: "abcd ".into(),
                price: dec("-999.99"),
                day: date(1, 1, 1),
                at: first,
                instant: first.and_utc(),
                ratio: f64::MIN,
                single: 3.5,
                ..base(1)
            },
            Bound {
                small: i16::MAX,
                int: i32::MAX,
                big: i64::MAX,
                maybe: Some(i16::MAX),
                code: "ééééé".into(),
                price: dec("999.99"),
                day: date(9999, 12, 31),
                at: last,
                instant: last.and_utc(),
                ratio: f64::MAX,
                single: -1.5,
                ..base(2)
            },
            Bound {
                code: "     ".into(),
                price: dec("0.01"),
                ratio: f64::MIN_POSITIVE,
                ..base(3)
            },
            Bound {
                code: "".into(),
                price: dec("1.230"),
                ratio: -0.1,
                ..base(4)
            },
        ];
        for r in rows.clone() {
            Bound::objects().create(&db, r).await?;
        }
        assert_eq!(all(&db).await?, rows);
        // The stored trailing spaces are distinct values for = too.
        let n = Bound::objects()
            .filter(Bound::code.eq("abcd"))
            .count(&db)
            .await?;
        assert_eq!(n, 0);
        let n = Bound::objects()
            .filter(Bound::code.eq("abcd "))
            .count(&db)
            .await?;
        assert_eq!(n, 1);
        Ok(())
    })
    .await;
}

fn assert_range<T: std::fmt::Debug>(r: Result<T, Error>, what: &str) {
    match r {
        Err(Error::Constraint {
            kind: ConstraintKind::Range,
            ..
        }) => {}
        other => panic!("{what}: expected a range violation, got {other:?}"),
    }
}

#[tokio::test]
async fn integer_overflow_in_the_database_is_refused_and_changes_nothing() {
    on_all_backends(|db| async move {
        schema(&db).await?;
        let top = Bound {
            small: i16::MAX,
            int: i32::MAX,
            big: i64::MAX,
            maybe: Some(i16::MAX),
            ..base(1)
        };
        let bottom = Bound {
            small: i16::MIN,
            int: i32::MIN,
            big: i64::MIN,
            maybe: Some(i16::MIN),
            ..base(2)
        };
        Bound::objects()
            .bulk_create(
                &db,
                vec![top.clone(), bottom.clone()],
                BulkCreate::default(),
            )
            .await?;
        let at = |id: i64| Bound::objects().filter(Bound::id.eq(id));
        assert_range(
            at(1)
                .update(&db, Bound::small.set(Bound::small + 1i16))
                .await,
            "i16 MAX + 1",
        );
        assert_range(
            at(2)
                .update(&db, Bound::small.set(Bound::small - 1i16))
                .await,
            "i16 MIN - 1",
        );
        assert_range(
            at(1).update(&db, Bound::int.set(Bound::int + 1)).await,
            "i32 MAX + 1",
        );
        assert_range(
            at(2).update(&db, Bound::int.set(Bound::int - 1)).await,
            "i32 MIN - 1",
        );
        assert_range(
            at(1).update(&db, Bound::big.set(Bound::big + 1i64)).await,
            "i64 MAX + 1",
        );
        assert_range(
            at(2).update(&db, Bound::big.set(Bound::big - 1i64)).await,
            "i64 MIN - 1",
        );
        // One past the limit from the other direction is fine.
        at(1)
            .update(&db, Bound::small.set(Bound::small - 1i16))
            .await?;
        assert_eq!(
            all(&db).await?,
            vec![
                Bound {
                    small: i16::MAX - 1,
                    ..top
                },
                bottom
            ]
        );
        Ok(())
    })
    .await;
}

fn assert_exceeds<T: std::fmt::Debug>(r: Result<T, Error>, name: &'static str, want: Limit) {
    match r {
        Err(Error::ExceedsLimit {
            field: f, limit, ..
        }) if f == field(name) && limit == want => {}
        other => panic!("expected {name} to exceed {want}, got {other:?}"),
    }
}

fn assert_unstorable<T: std::fmt::Debug>(r: Result<T, Error>, ty: &str, field: Option<FieldName>) {
    match r {
        Err(Error::Unstorable {
            type_name,
            field: f,
            ..
        }) if type_name == ty && f == field => {}
        other => panic!("expected the {ty} to be refused (field {field:?}), got {other:?}"),
    }
}

#[tokio::test]
async fn values_past_the_limits_are_refused_on_every_write_path() {
    on_all_backends(|db| async move {
        schema(&db).await?;
        let stored = Bound::objects().create(&db, base(1)).await?;
        let too_long = ["abcdef", "abcde ", "ok    ", "éééééé"];
        for code in too_long {
            let row = Bound {
                code: code.into(),
                ..base(2)
            };
            let limit = Limit::MaxLength(5);
            assert_exceeds(
                Bound::objects().create(&db, row.clone()).await,
                "code",
                limit,
            );
            assert_exceeds(
                Bound::objects()
                    .bulk_create(&db, vec![base(3), row.clone()], BulkCreate::default())
                    .await,
                "code",
                limit,
            );
            let changed = Bound {
                code: code.into(),
                ..stored.clone()
            };
            assert_exceeds(changed.save(&db).await, "code", limit);
            assert_exceeds(
                Bound::objects()
                    .bulk_update(&db, std::slice::from_ref(&changed), Bound::code, None)
                    .await,
                "code",
                limit,
            );
            assert_exceeds(
                Bound::objects()
                    .filter(Bound::id.eq(1))
                    .update(&db, Bound::code.set(code))
                    .await,
                "code",
                limit,
            );
        }
        let decimals = [
            ("1000", Limit::IntegerDigits(3)),
            ("-1000.00", Limit::IntegerDigits(3)),
            ("1.239", Limit::DecimalPlaces(2)),
            ("0.001", Limit::DecimalPlaces(2)),
            ("999.999", Limit::DecimalPlaces(2)),
        ];
        for (price, limit) in decimals {
            let row = Bound {
                price: dec(price),
                ..base(2)
            };
            assert_exceeds(Bound::objects().create(&db, row).await, "price", limit);
            assert_exceeds(
                Bound::objects()
                    .filter(Bound::id.eq(1))
                    .update(&db, Bound::price.set(dec(price)))
                    .await,
                "price",
                limit,
            );
        }
        let bad_dates = [date(0, 12, 31), date(-44, 3, 15), date(10_000, 1, 1)];
        for day in bad_dates {
            let at = day.and_hms_opt(12, 0, 0).expect("a time");
            let row = Bound { day, ..base(2) };
            assert_unstorable(
                Bound::objects().create(&db, row).await,
                "NaiveDate",
                Some(field("day")),
            );
            let row = Bound { at, ..base(2) };
            assert_unstorable(
                Bound::objects().create(&db, row).await,
                "NaiveDateTime",
                Some(field("at")),
            );
            let row = Bound {
                instant: at.and_utc(),
                ..base(2)
            };
            assert_unstorable(
                Bound::objects().create(&db, row).await,
                "DateTime<Utc>",
                Some(field("instant")),
            );
            assert_unstorable(
                Bound::objects().filter(Bound::day.lt(day)).count(&db).await,
                "NaiveDate",
                None,
            );
        }
        for x in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let row = Bound {
                ratio: x,
                ..base(2)
            };
            assert_unstorable(
                Bound::objects().create(&db, row).await,
                "f64",
                Some(field("ratio")),
            );
            assert_unstorable(
                Bound::objects()
                    .filter(Bound::id.eq(1))
                    .update(&db, Bound::ratio.set(x))
                    .await,
                "f64",
                Some(field("ratio")),
            );
            assert_unstorable(
                Bound::objects().filter(Bound::ratio.eq(x)).all(&db).await,
                "f64",
                None,
            );
            let row = Bound {
                single: x as f32,
                ..base(2)
            };
            assert_unstorable(
                Bound::objects()
                    .bulk_create(&db, vec![base(3), row], BulkCreate::default())
                    .await,
                "f32",
                Some(field("single")),
            );
        }
        // Nothing was written.
        assert_eq!(all(&db).await?, vec![stored]);
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn text_growing_past_max_length_in_the_database_is_refused() {
    on_all_backends(|db| async move {
        schema(&db).await?;
        let stored = Bound::objects()
            .create(
                &db,
                Bound {
                    code: "abc".into(),
                    ..base(1)
                },
            )
            .await?;
        assert_range(
            Bound::objects()
                .filter(Bound::id.eq(1))
                .update(&db, Bound::code.set(Concat(Bound::code, "xyz")))
                .await,
            "code || 'xyz'",
        );
        Bound::objects()
            .filter(Bound::id.eq(1))
            .update(&db, Bound::code.set(Concat(Bound::code, "  ")))
            .await?;
        assert_eq!(
            all(&db).await?,
            vec![Bound {
                code: "abc  ".into(),
                ..stored
            }]
        );
        Ok(())
    })
    .await;
}
