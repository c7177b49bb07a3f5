//! Every field type round-trips exactly on every backend, can be filtered
//! on, and hostile text is always a bound parameter.

use chrono::{NaiveDate, TimeZone, Utc};
use futures::TryStreamExt;
use orm_runtime::prelude::*;
use orm_tests::fixtures::dec;
use orm_tests::models::*;
use orm_tests::{create_schema, on_all_backends};
use serde_json::json;
use uuid::Uuid;

fn full(id_seed: u8) -> AllTypes {
    let day = NaiveDate::from_ymd_opt(2024, 2, 29).unwrap_or_default();
    let at = day
        .and_hms_micro_opt(23, 59, 58, 123_456)
        .unwrap_or_default();
    AllTypes {
        id: 0,
        small: -32_768,
        int: 2_147_483_647,
        big: -9_223_372_036_854_775_807,
        float: 1.5,
        double: -2.25e-10,
        flag: true,
        text: "héllo wörld ✓ 🎉".into(),
        code: "ABC-123".into(),
        bytes: vec![0, 1, 2, 255, 0],
        amount: dec("12345678901234567890.0123456789"),
        day,
        at,
        instant: Utc
            .with_ymd_and_hms(2001, 9, 9, 1, 46, 40)
            .single()
            .unwrap_or_default(),
        uid: Uuid::from_bytes([id_seed; 16]),
        doc: json!({"tags": ["a", "b"], "n": 1, "nested": {"ok": true}}),
        status: Status::Deploy,
        priority: Priority::Critical,
        o_small: Some(7),
        o_int: Some(-7),
        o_big: Some(1 << 40),
        o_float: Some(0.5),
        o_double: Some(3.75),
        o_flag: Some(false),
        o_text: Some(String::new()),
        o_bytes: Some(Vec::new()),
        o_amount: Some(dec("-0.0001")),
        o_day: Some(NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default()),
        o_at: Some(day.and_hms_opt(0, 0, 0).unwrap_or_default()),
        o_instant: Some(
            Utc.with_ymd_and_hms(2038, 1, 19, 3, 14, 8)
                .single()
                .unwrap_or_default(),
        ),
        o_uid: Some(Uuid::nil()),
        o_doc: Some(json!([1, "two", null])),
        o_status: Some(Status::NotStarted),
        o_priority: Some(Priority::Low),
    }
}

fn empty(id_seed: u8) -> AllTypes {
    AllTypes {
        o_small: None,
        o_int: None,
        o_big: None,
        o_float: None,
        o_double: None,
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
        ..full(id_seed)
    }
}

#[tokio::test]
async fn every_type_round_trips_and_filters() {
    on_all_backends(|db| async move {
        create_schema(&db).await?;
        let a = AllTypes::objects().create(&db, full(1)).await?;
        let b = AllTypes::objects().create(&db, empty(2)).await?;
        let all = AllTypes::objects()
            .order_by(AllTypes::id.asc())
            .all(&db)
            .await?;
        assert_eq!(all, vec![a.clone(), b.clone()]);
        // A stream decodes the same values (on SQLite from rows copied on
        // the statement's thread rather than read in place).
        let streamed: Vec<AllTypes> = AllTypes::objects()
            .order_by(AllTypes::id.asc())
            .stream(&db)
            .try_collect()
            .await?;
        assert_eq!(streamed, all);

        let one = |q: Q<AllTypes>| AllTypes::objects().filter(q);
        assert_eq!(
            one(AllTypes::uid.eq(Uuid::from_bytes([2; 16])))
                .get(&db)
                .await?
                .id,
            b.id
        );
        assert_eq!(
            one(AllTypes::amount.eq(dec("12345678901234567890.0123456789")))
                .count(&db)
                .await?,
            2
        );
        assert_eq!(
            one(AllTypes::o_amount.eq(dec("-0.0001")))
                .get(&db)
                .await?
                .id,
            a.id
        );
        assert_eq!(
            one(AllTypes::o_amount.isnull(true)).get(&db).await?.id,
            b.id
        );
        assert_eq!(one(AllTypes::o_flag.eq(false)).get(&db).await?.id, a.id);
        assert_eq!(one(AllTypes::flag.eq(true)).count(&db).await?, 2);
        assert_eq!(
            one(AllTypes::status.eq(Status::Deploy)).count(&db).await?,
            2
        );
        assert_eq!(
            one(AllTypes::o_status.eq(Status::NotStarted))
                .get(&db)
                .await?
                .id,
            a.id
        );
        assert_eq!(
            one(AllTypes::o_priority.eq(Priority::Low))
                .get(&db)
                .await?
                .id,
            a.id
        );
        assert_eq!(
            one(AllTypes::priority.is_in([Priority::High, Priority::Critical]))
                .count(&db)
                .await?,
            2
        );
        assert_eq!(one(AllTypes::day.eq(a.day)).count(&db).await?, 2);
        assert_eq!(one(AllTypes::at.eq(a.at)).count(&db).await?, 2);
        assert_eq!(
            one(AllTypes::instant.lt(Utc
                .with_ymd_and_hms(2002, 1, 1, 0, 0, 0)
                .single()
                .unwrap_or_default()))
            .count(&db)
            .await?,
            2
        );
        assert_eq!(
            one(AllTypes::o_instant.gt(a.instant)).get(&db).await?.id,
            a.id
        );
        assert_eq!(
            one(AllTypes::bytes.eq(vec![0u8, 1, 2, 255, 0]))
                .count(&db)
                .await?,
            2
        );
        assert_eq!(one(AllTypes::small.eq(-32_768i16)).count(&db).await?, 2);
        assert_eq!(one(AllTypes::big.lt(0)).count(&db).await?, 2);
        assert_eq!(one(AllTypes::o_text.eq("")).get(&db).await?.id, a.id);
        Ok(())
    })
    .await;
}

const HOSTILE: &[&str] = &[
    "O'Reilly",
    "\"double\" 'single' `back`",
    "'; DROP TABLE publisher; --",
    "a;b;c",
    "back\\slash \\' \\\\",
    "%_*?[]^$",
    "Ünïcödé — 日本語 — עברית — 🦀👩‍👩‍👧",
    "line\nbreak\ttab\r\n",
    "",
];

#[tokio::test]
async fn hostile_strings_are_bound_and_round_trip() {
    on_all_backends(|db| async move {
        create_schema(&db).await?;
        for (i, s) in HOSTILE.iter().enumerate() {
            let p = Publisher::objects()
                .create(
                    &db,
                    Publisher {
                        id: 0,
                        name: format!("{i}"),
                        country: Some((*s).into()),
                    },
                )
                .await?;
            let got = Publisher::objects()
                .filter(Publisher::country.eq(*s))
                .get(&db)
                .await?;
            assert_eq!(got, p, "{s:?}");
            assert_eq!(got.country.as_deref(), Some(*s));
            if !s.is_empty() {
                assert!(
                    Publisher::objects()
                        .filter(Publisher::country.contains(*s))
                        .exists(&db)
                        .await?,
                    "{s:?}"
                );
                assert!(
                    Publisher::objects()
                        .filter(Publisher::country.icontains(*s))
                        .exists(&db)
                        .await?,
                    "{s:?}"
                );
            }
        }
        assert_eq!(Publisher::objects().count(&db).await?, HOSTILE.len() as i64);

        // Very long text.
        let long: String = "0123456789abcdef".repeat(65_536);
        let row = AllTypes::objects()
            .create(
                &db,
                AllTypes {
                    text: long.clone(),
                    ..empty(9)
                },
            )
            .await?;
        let back = AllTypes::objects()
            .filter(AllTypes::id.eq(row.id))
            .get(&db)
            .await?;
        assert_eq!(back.text.len(), 1 << 20);
        assert_eq!(back.text, long);

        // NUL: PostgreSQL text cannot hold it and SQLite patterns stop at
        // it, so it is refused on every backend, naming the field, and
        // nothing is written.
        let nul = "before\0after".to_owned();
        let res = Publisher::objects()
            .create(
                &db,
                Publisher {
                    id: 0,
                    name: "nul".into(),
                    country: Some(nul.clone()),
                },
            )
            .await;
        match res {
            Err(Error::Unstorable {
                type_name: "String",
                field: Some(f),
                ..
            }) => assert_eq!((f.model, f.field), ("Publisher", "country")),
            other => panic!("expected NUL text to be refused, got {other:?}"),
        }
        assert!(
            !Publisher::objects()
                .filter(Publisher::name.eq("nul"))
                .exists(&db)
                .await?
        );
        // Bytes hold NUL on every backend.
        let bytes = AllTypes::objects()
            .create(
                &db,
                AllTypes {
                    bytes: b"\0\0x\0".to_vec(),
                    ..empty(10)
                },
            )
            .await?;
        assert_eq!(
            AllTypes::objects()
                .filter(AllTypes::id.eq(bytes.id))
                .get(&db)
                .await?
                .bytes,
            b"\0\0x\0"
        );
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn decode_errors_name_model_column_and_type() {
    // Only SQLite lets a column hold a value of another type.
    let db = Db::connect("sqlite::memory:").await.expect("sqlite");
    create_schema(&db).await.expect("schema");
    db.execute_raw("INSERT INTO task_user (name) VALUES ('x')")
        .await
        .expect("user");
    // The DDL's type CHECKs refuse such a row; a row written by another
    // tool can still hold one.
    db.execute_raw("PRAGMA ignore_check_constraints = ON")
        .await
        .expect("pragma");
    db.execute_raw("INSERT INTO task (title, user_id, priority, status, hours) VALUES ('t', 1, 'low', 1, 'many')")
        .await
        .expect("task");
    let err = Task::objects()
        .all(&db)
        .await
        .expect_err("hours is not an integer");
    match &err {
        Error::Decode(d) => {
            assert_eq!((d.model, d.column, d.expected), ("Task", "hours", "i32"));
        }
        other => panic!("expected a decode error, got {other:?}"),
    }
    assert!(
        err.to_string()
            .starts_with("cannot decode Task.hours as i32"),
        "{err}"
    );
}
