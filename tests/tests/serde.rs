//! Models deriving serde's `Serialize` and `Deserialize` beside `Model`, on
//! every backend: every field type loaded from the database, written to
//! JSON (the text checked exactly) and read back equal; foreign keys as
//! the key or, once loaded by `select_related`, as the row; many-to-many
//! rows filled from `prefetch`; deferred fields loaded, left out by
//! `defer()`/`only()` (an error, or skipped where the field says so); an
//! annotation filled by `annotate_into`; `values()` rows as JSON arrays.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, TimeZone, Utc};
use orm_runtime::prelude::*;
use orm_tests::fixtures::dec;
use orm_tests::on_all_backends;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

/// An enum stored as an integer, written by serde as its variant name.
#[derive(DbEnum, Serialize, Deserialize, Debug, Clone, Copy, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// 1
    Low = 1,
    /// 2
    VeryHigh = 2,
}

/// An enum stored as text; serde writes the same text as the database holds.
#[derive(DbEnum, Serialize, Deserialize, Debug, Clone, Copy, PartialEq)]
#[orm(repr = "text")]
pub enum Tone {
    /// "calm"
    #[orm(rename = "calm")]
    #[serde(rename = "calm")]
    Calm,
    /// "loud"
    #[orm(rename = "loud")]
    #[serde(rename = "loud")]
    Loud,
}

/// The row a foreign key refers to.
#[derive(Model, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[orm(table = "serde_owner")]
pub struct Owner {
    /// Key.
    #[orm(primary_key)]
    pub id: i64,
    /// Name.
    #[orm(max_length = 50)]
    pub name: String,
}

/// The rows of a many-to-many relation.
#[derive(Model, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[orm(table = "serde_tag")]
pub struct Tag {
    /// Key.
    #[orm(primary_key)]
    pub id: i64,
    /// Label.
    #[orm(max_length = 20)]
    pub label: String,
}

/// Every field type the ORM stores, a nullable twin of each, both kinds of
/// relation, deferred fields and an annotation.
#[derive(Model, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[orm(table = "serde_everything")]
pub struct Everything {
    /// Key.
    #[orm(primary_key)]
    pub id: i64,
    /// i16
    pub small: i16,
    /// i32
    pub int: i32,
    /// i64
    pub big: i64,
    /// f32
    pub float: f32,
    /// f64
    pub double: f64,
    /// bool
    pub flag: bool,
    /// unbounded text
    pub text: String,
    /// bounded text, under another name in JSON than in the table
    #[orm(max_length = 20)]
    #[serde(rename = "short_code")]
    pub code: String,
    /// bytes
    pub bytes: Vec<u8>,
    /// decimal
    #[orm(max_digits = 20, decimal_places = 4)]
    pub amount: Decimal,
    /// date
    pub day: NaiveDate,
    /// date and time
    pub at: NaiveDateTime,
    /// instant in UTC
    pub instant: DateTime<Utc>,
    /// time of day
    pub time: NaiveTime,
    /// duration
    pub span: TimeDelta,
    /// uuid
    pub uid: Uuid,
    /// json
    pub doc: serde_json::Value,
    /// int enum
    pub level: Level,
    /// text enum
    pub tone: Tone,
    /// nullable twins
    pub o_small: Option<i16>,
    /// .
    pub o_int: Option<i32>,
    /// .
    pub o_big: Option<i64>,
    /// .
    pub o_float: Option<f32>,
    /// .
    pub o_double: Option<f64>,
    /// .
    pub o_flag: Option<bool>,
    /// .
    pub o_text: Option<String>,
    /// .
    pub o_bytes: Option<Vec<u8>>,
    /// .
    #[orm(max_digits = 12, decimal_places = 2)]
    pub o_amount: Option<Decimal>,
    /// .
    pub o_day: Option<NaiveDate>,
    /// .
    pub o_at: Option<NaiveDateTime>,
    /// .
    pub o_instant: Option<DateTime<Utc>>,
    /// .
    pub o_time: Option<NaiveTime>,
    /// .
    pub o_span: Option<TimeDelta>,
    /// .
    pub o_uid: Option<Uuid>,
    /// .
    pub o_doc: Option<serde_json::Value>,
    /// .
    pub o_level: Option<Level>,
    /// .
    pub o_tone: Option<Tone>,
    /// A required foreign key.
    #[orm(related_name = "things")]
    pub owner: ForeignKey<Owner>,
    /// A nullable foreign key.
    #[orm(on_delete = "set_null", related_name = "maybe_things")]
    pub o_owner: Option<ForeignKey<Owner>>,
    /// Many-to-many: `null` when not loaded.
    pub tags: ManyToMany<Tag>,
    /// Deferrable: serializing it left out is an error.
    pub body: Deferred<String>,
    /// Deferrable, and left out of the JSON when it was left out of the query.
    #[serde(default, skip_serializing_if = "Deferred::is_deferred")]
    pub summary: Deferred<String>,
    /// Filled by `annotate_into`, `null` otherwise.
    #[orm(annotation)]
    pub tag_count: Option<i64>,
}

fn full(owner: &Owner, other: &Owner) -> Everything {
    let day = NaiveDate::from_ymd_opt(2024, 2, 29).unwrap_or_default();
    Everything {
        id: 0,
        small: -32_768,
        int: 2_147_483_647,
        big: -9_223_372_036_854_775_807,
        float: 0.25,
        double: -1.5,
        flag: true,
        text: "héllo \"wörld\" ✓".into(),
        code: "ABC-123".into(),
        bytes: vec![0, 1, 255],
        amount: dec("1234.5678"),
        day,
        at: day
            .and_hms_micro_opt(23, 59, 58, 123_456)
            .unwrap_or_default(),
        instant: Utc
            .with_ymd_and_hms(2001, 9, 9, 1, 46, 40)
            .single()
            .unwrap_or_default(),
        time: NaiveTime::from_hms_micro_opt(12, 34, 56, 789_000).unwrap_or_default(),
        span: TimeDelta::microseconds(-90_000_001),
        uid: Uuid::from_bytes([0xab; 16]),
        doc: json!({"tags": ["a", "b"], "n": 1, "nested": {"ok": true}}),
        level: Level::VeryHigh,
        tone: Tone::Loud,
        o_small: Some(7),
        o_int: Some(-7),
        o_big: Some(1 << 40),
        o_float: Some(-0.5),
        o_double: Some(3.75),
        o_flag: Some(false),
        o_text: Some(String::new()),
        o_bytes: Some(Vec::new()),
        o_amount: Some(dec("-0.01")),
        o_day: Some(NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default()),
        o_at: Some(day.and_hms_opt(0, 0, 0).unwrap_or_default()),
        o_instant: Some(
            Utc.with_ymd_and_hms(2038, 1, 19, 3, 14, 8)
                .single()
                .unwrap_or_default(),
        ),
        o_time: Some(NaiveTime::MIN),
        o_span: Some(TimeDelta::seconds(3_600)),
        o_uid: Some(Uuid::nil()),
        o_doc: Some(json!([1, "two", null])),
        o_level: Some(Level::Low),
        o_tone: Some(Tone::Calm),
        owner: owner.into(),
        o_owner: Some(other.into()),
        tags: ManyToMany::default(),
        body: Deferred::from("the body".to_owned()),
        summary: Deferred::from("short".to_owned()),
        tag_count: None,
    }
}

fn empty(owner: &Owner) -> Everything {
    Everything {
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
        o_time: None,
        o_span: None,
        o_uid: None,
        o_doc: None,
        o_level: None,
        o_tone: None,
        o_owner: None,
        ..full(owner, owner)
    }
}

/// The JSON of the stored columns of `full()` from `small` to `o_tone`.
const FULL_COLUMNS: &str = concat!(
    r#""small":-32768,"int":2147483647,"big":-9223372036854775807,"float":0.25,"double":-1.5,"#,
    r#""flag":true,"text":"héllo \"wörld\" ✓","short_code":"ABC-123","bytes":[0,1,255],"#,
    r#""amount":"1234.5678","day":"2024-02-29","at":"2024-02-29T23:59:58.123456","#,
    r#""instant":"2001-09-09T01:46:40Z","time":"12:34:56.789","span":[-91,999999000],"#,
    r#""uid":"abababab-abab-abab-abab-abababababab","#,
    r#""doc":{"n":1,"nested":{"ok":true},"tags":["a","b"]},"level":"very_high","tone":"loud","#,
    r#""o_small":7,"o_int":-7,"o_big":1099511627776,"o_float":-0.5,"o_double":3.75,"#,
    r#""o_flag":false,"o_text":"","o_bytes":[],"o_amount":"-0.01","o_day":"1970-01-01","#,
    r#""o_at":"2024-02-29T00:00:00","o_instant":"2038-01-19T03:14:08Z","o_time":"00:00:00","#,
    r#""o_span":[3600,0],"o_uid":"00000000-0000-0000-0000-000000000000","o_doc":[1,"two",null],"#,
    r#""o_level":"low","o_tone":"calm""#,
);

/// The same for `empty()`: the nullable twins are `null`.
const EMPTY_COLUMNS: &str = concat!(
    r#""small":-32768,"int":2147483647,"big":-9223372036854775807,"float":0.25,"double":-1.5,"#,
    r#""flag":true,"text":"héllo \"wörld\" ✓","short_code":"ABC-123","bytes":[0,1,255],"#,
    r#""amount":"1234.5678","day":"2024-02-29","at":"2024-02-29T23:59:58.123456","#,
    r#""instant":"2001-09-09T01:46:40Z","time":"12:34:56.789","span":[-91,999999000],"#,
    r#""uid":"abababab-abab-abab-abab-abababababab","#,
    r#""doc":{"n":1,"nested":{"ok":true},"tags":["a","b"]},"level":"very_high","tone":"loud","#,
    r#""o_small":null,"o_int":null,"o_big":null,"o_float":null,"o_double":null,"#,
    r#""o_flag":null,"o_text":null,"o_bytes":null,"o_amount":null,"o_day":null,"#,
    r#""o_at":null,"o_instant":null,"o_time":null,"o_span":null,"o_uid":null,"o_doc":null,"#,
    r#""o_level":null,"o_tone":null"#,
);

/// Two owners, three tags, and two rows: `full` (tagged b, a) and `empty`
/// (untagged).
async fn seed(db: &Db) -> Result<(Owner, Owner, Vec<Tag>), Error> {
    db.create_tables(&[Owner::META, Tag::META, Everything::META])
        .await?;
    let owner = |name: &str| Owner {
        id: 0,
        name: name.into(),
    };
    let ann = Owner::objects().create(db, owner("ann")).await?;
    let bob = Owner::objects().create(db, owner("bob")).await?;
    let mut tags = Vec::new();
    for label in ["a", "b", "c"] {
        let tag = Tag {
            id: 0,
            label: label.into(),
        };
        tags.push(Tag::objects().create(db, tag).await?);
    }
    let first = Everything::objects().create(db, full(&ann, &bob)).await?;
    Everything::objects().create(db, empty(&bob)).await?;
    Everything::tags
        .of(&first)
        .add(db, [&tags[1], &tags[0]])
        .await?;
    Ok((ann, bob, tags))
}

fn to_json<T: Serialize>(v: &T) -> String {
    match serde_json::to_string(v) {
        Ok(s) => s,
        Err(e) => panic!("cannot serialize: {e}"),
    }
}

fn from_json<T: for<'de> Deserialize<'de>>(s: &str) -> T {
    match serde_json::from_str(s) {
        Ok(v) => v,
        Err(e) => panic!("cannot deserialize {s}: {e}"),
    }
}

/// Checks what `PartialEq` does not: the loaded rows of the relations.
fn assert_same_relations(back: &Everything, row: &Everything) {
    assert_eq!(back.owner.loaded(), row.owner.loaded());
    assert_eq!(
        back.o_owner.as_ref().map(|fk| fk.loaded()),
        row.o_owner.as_ref().map(|fk| fk.loaded())
    );
    assert_eq!(back.tags.loaded(), row.tags.loaded());
}

#[tokio::test]
async fn every_field_type_round_trips_through_json() {
    on_all_backends(|db| async move {
        let (ann, bob, _) = seed(&db).await?;
        let rows = Everything::objects()
            .order_by(Everything::id.asc())
            .all(&db)
            .await?;
        let json = to_json(&rows);
        // Keys for foreign keys not loaded, null for many-to-many rows not
        // loaded and for the annotation not computed.
        let expected = format!(
            "[{{\"id\":1,{FULL_COLUMNS},\"owner\":{},\"o_owner\":{},\"tags\":null,\
             \"body\":\"the body\",\"summary\":\"short\",\"tag_count\":null}},\
             {{\"id\":2,{EMPTY_COLUMNS},\"owner\":{},\"o_owner\":null,\"tags\":null,\
             \"body\":\"the body\",\"summary\":\"short\",\"tag_count\":null}}]",
            ann.id, bob.id, bob.id
        );
        assert_eq!(json, expected);

        let back: Vec<Everything> = from_json(&json);
        assert_eq!(back, rows);
        for (back, row) in back.iter().zip(&rows) {
            assert_same_relations(back, row);
            assert!(back.owner.loaded().is_none() && back.tags.loaded().is_none());
        }
        // Read back, the rows are written the same.
        assert_eq!(to_json(&back), json);
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn loaded_relations_and_annotations_serialize_as_rows() {
    on_all_backends(|db| async move {
        let (ann, bob, tags) = seed(&db).await?;
        let rows = Everything::objects()
            .select_related(Everything::owner)
            .select_related(Everything::o_owner)
            .annotate_into(Everything::tag_count, Count(Everything::tags))
            .order_by(Everything::id.asc())
            .prefetch(
                Everything::tags
                    .prefetch()
                    .queryset(Tag::objects().order_by(Tag::label.asc())),
            )
            .all(&db)
            .await?;
        // prefetch gives the rows beside each parent; storing them in the
        // field is what makes them part of the model's JSON.
        let rows: Vec<Everything> = rows
            .into_iter()
            .map(|(mut row, tags)| {
                row.tags.set_loaded(tags);
                row
            })
            .collect();
        assert_eq!(rows[0].tags.loaded(), Some(&tags[..2]));
        let json = to_json(&rows);
        let expected = format!(
            "[{{\"id\":1,{FULL_COLUMNS},\"owner\":{{\"id\":{},\"name\":\"ann\"}},\
             \"o_owner\":{{\"id\":{},\"name\":\"bob\"}},\
             \"tags\":[{{\"id\":{},\"label\":\"a\"}},{{\"id\":{},\"label\":\"b\"}}],\
             \"body\":\"the body\",\"summary\":\"short\",\"tag_count\":2}},\
             {{\"id\":2,{EMPTY_COLUMNS},\"owner\":{{\"id\":{},\"name\":\"bob\"}},\"o_owner\":null,\
             \"tags\":[],\"body\":\"the body\",\"summary\":\"short\",\"tag_count\":0}}]",
            ann.id, bob.id, tags[0].id, tags[1].id, bob.id
        );
        assert_eq!(json, expected);

        // Objects read back as loaded rows, their keys taken from them.
        let back: Vec<Everything> = from_json(&json);
        assert_eq!(back, rows);
        for (back, row) in back.iter().zip(&rows) {
            assert_same_relations(back, row);
        }
        assert_eq!(back[0].owner.get()?, &ann);
        assert_eq!(back[1].owner.id(), &bob.id);
        assert_eq!(back[1].tags.loaded(), Some(&[][..]));
        assert_eq!(back[1].tag_count, Some(0));
        assert_eq!(to_json(&back), json);
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn deferred_fields_left_out_are_an_error_or_skipped() {
    on_all_backends(|db| async move {
        let (ann, bob, _) = seed(&db).await?;
        let first = || Everything::objects().filter(Everything::id.eq(1));

        // `summary` says skip_serializing_if = "Deferred::is_deferred": left
        // out of the query, it is left out of the JSON, and reads back as
        // not loaded through #[serde(default)].
        let row = first().defer(Everything::summary).get(&db).await?;
        assert_eq!(row.summary, Deferred::not_loaded());
        let json = to_json(&row);
        let expected = format!(
            "{{\"id\":1,{FULL_COLUMNS},\"owner\":{},\"o_owner\":{},\"tags\":null,\
             \"body\":\"the body\",\"tag_count\":null}}",
            ann.id, bob.id
        );
        assert_eq!(json, expected);
        let back: Everything = from_json(&json);
        assert_eq!(back, row);
        assert_eq!(back.summary, Deferred::not_loaded());
        assert_eq!(back.body, Deferred::Loaded("the body".to_owned()));

        // only() keeping `body` leaves `summary` out the same way.
        let row = first()
            .only((Everything::id, Everything::body))
            .get(&db)
            .await?;
        assert_eq!(to_json(&row), expected);

        // `body` has no such attribute: serializing it left out fails, and
        // says what to do, rather than writing a value nobody loaded.
        for row in [
            first().defer(Everything::body).get(&db).await?,
            first().only(Everything::id).get(&db).await?,
        ] {
            assert_eq!(row.body, Deferred::not_loaded());
            let err = serde_json::to_string(&row).err().map(|e| e.to_string());
            assert_eq!(
                err.as_deref(),
                Some(
                    "a Deferred field was left out by defer()/only() and cannot be serialized: \
                     load it, or mark the field \
                     #[serde(default, skip_serializing_if = \"Deferred::is_deferred\")] \
                     to leave it out"
                )
            );
        }
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn value_rows_serialize_as_json_arrays() {
    on_all_backends(|db| async move {
        let (ann, bob, _) = seed(&db).await?;
        let rows: Vec<(i64, NaiveDate, i64, Option<i64>, Tone, Option<Decimal>)> =
            Everything::objects()
                .values((
                    Everything::id,
                    Everything::day,
                    Everything::owner,
                    Everything::o_owner,
                    Everything::tone,
                    Everything::o_amount,
                ))
                .order_by(Everything::id.asc())
                .all(&db)
                .await?;
        let json = to_json(&rows);
        assert_eq!(
            json,
            format!(
                "[[1,\"2024-02-29\",{},{},\"loud\",\"-0.01\"],[2,\"2024-02-29\",{},null,\"loud\",null]]",
                ann.id, bob.id, bob.id
            )
        );
        let back: Vec<(i64, NaiveDate, i64, Option<i64>, Tone, Option<Decimal>)> =
            from_json(&json);
        assert_eq!(back, rows);

        let per_owner: Vec<(i64, i64, Option<i64>)> = Everything::objects()
            .values(Everything::owner)
            .annotate(CountAll())
            .annotate(Sum(Everything::o_small))
            .order_by(Everything::owner.asc())
            .all(&db)
            .await?;
        assert_eq!(
            to_json(&per_owner),
            format!("[[{},1,7],[{},1,null]]", ann.id, bob.id)
        );
        let totals: (i64, Option<Decimal>) = Everything::objects()
            .aggregate((CountAll(), Sum(Everything::amount)))
            .get(&db)
            .await?;
        assert_eq!(totals.1.map(|d| d.normalize()), Some(dec("2469.1356")));
        assert_eq!(
            to_json(&(totals.0, totals.1.map(|d| d.normalize()))),
            "[2,\"2469.1356\"]"
        );
        Ok(())
    })
    .await;
}

/// A model that is only read from JSON: a foreign key to a model with a
/// UUID key, a many-to-many field left out when not loaded.
#[derive(Model, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[orm(table = "serde_pin")]
pub struct Pin {
    /// Key.
    #[orm(primary_key)]
    pub id: i64,
    /// A required foreign key.
    #[orm(related_name = "pins")]
    pub owner: ForeignKey<Owner>,
    /// A foreign key to a UUID key: the key is a JSON string.
    #[orm(on_delete = "set_null", related_name = "pins")]
    pub badge: Option<ForeignKey<Badge>>,
    /// Left out of the JSON when not loaded.
    #[serde(default, skip_serializing_if = "ManyToMany::is_not_loaded")]
    pub fans: ManyToMany<Owner>,
    /// Written as `null` when not loaded.
    pub tags: ManyToMany<Tag>,
    /// Required in JSON.
    pub body: Deferred<String>,
    /// Optional in JSON.
    #[serde(default, skip_serializing_if = "Deferred::is_deferred")]
    pub summary: Deferred<String>,
}

/// A row with a UUID key.
#[derive(Model, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[orm(table = "serde_badge")]
pub struct Badge {
    /// Key.
    #[orm(primary_key)]
    pub id: Uuid,
    /// Shown text.
    #[orm(max_length = 20)]
    pub text: String,
}

fn pin_from(s: &str) -> Result<Pin, String> {
    serde_json::from_str(s).map_err(|e| e.to_string())
}

#[test]
fn relations_read_back_from_a_key_an_object_or_nothing() -> Result<(), Box<dyn std::error::Error>> {
    let uid = "5f1c7d3e-0000-4000-8000-00000000abcd";
    // Keys: nothing loaded. `fans` and `summary` may be missing.
    let pin = pin_from(&format!(
        r#"{{"id":1,"owner":7,"badge":"{uid}","tags":null,"body":"b"}}"#
    ))?;
    assert_eq!(pin.owner.id(), &7);
    assert!(pin.owner.loaded().is_none());
    let badge = pin.badge.as_ref().map(|b| *b.id());
    assert_eq!(badge.map(|u| u.to_string()).as_deref(), Some(uid));
    assert!(pin.fans.loaded().is_none() && pin.tags.loaded().is_none());
    assert_eq!(pin.summary, Deferred::not_loaded());
    assert_eq!(
        to_json(&pin),
        format!(r#"{{"id":1,"owner":7,"badge":"{uid}","tags":null,"body":"b"}}"#)
    );

    // Objects: loaded rows, the keys taken from them; lists: loaded rows.
    let json = format!(
        r#"{{"id":1,"owner":{{"id":8,"name":"ann"}},"badge":{{"id":"{uid}","text":"gold"}},"fans":[],"tags":[{{"id":3,"label":"x"}}],"body":"b","summary":"s"}}"#
    );
    let pin = pin_from(&json)?;
    assert_eq!(pin.owner.id(), &8);
    assert_eq!(pin.owner.get()?.name, "ann");
    let badge = pin.badge.as_ref().map(|b| b.get().map(|b| b.text.clone()));
    assert_eq!(badge, Some(Ok("gold".to_owned())));
    assert_eq!(pin.fans.loaded(), Some(&[][..]));
    assert_eq!(pin.tags.loaded().map(|t| t[0].id), Some(3));
    assert_eq!(pin.summary, Deferred::Loaded("s".to_owned()));
    assert_eq!(to_json(&pin), json);

    // What is refused, in serde's words.
    let refused = [
        (
            r#"{"id":1,"owner":null,"badge":null,"tags":null,"body":"b"}"#,
            "invalid type: null, expected a key or an object of Owner at line 1 column 20",
        ),
        // A key of the wrong type: the key type's own error.
        (
            r#"{"id":1,"owner":"7","badge":null,"tags":null,"body":"b"}"#,
            r#"invalid type: string "7", expected i64 at line 1 column 19"#,
        ),
        (
            r#"{"id":1,"owner":7,"badge":"nope","tags":null,"body":"b"}"#,
            "UUID parsing failed: invalid character: found `n` at 0 at line 1 column 32",
        ),
        // An object that is not a whole row: the row's own error.
        (
            r#"{"id":1,"owner":{"name":"ann"},"badge":null,"tags":null,"body":"b"}"#,
            "missing field `id` at line 1 column 30",
        ),
        // A deferred field without #[serde(default)] is required.
        (
            r#"{"id":1,"owner":7,"badge":null,"tags":null}"#,
            "missing field `body` at line 1 column 43",
        ),
        (
            r#"{"id":1,"owner":7,"badge":null,"tags":3,"body":"b"}"#,
            "invalid type: integer `3`, expected a sequence at line 1 column 39",
        ),
    ];
    for (json, error) in refused {
        assert_eq!(pin_from(json).err().as_deref(), Some(error), "{json}");
    }
    Ok(())
}
