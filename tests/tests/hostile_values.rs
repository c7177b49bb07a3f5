//! Hostile text through every text lookup, raw parameters and writes, on
//! every backend: quotes, backslashes, the wildcards of LIKE and GLOB,
//! placeholders, comment and statement separators, long and non-ASCII
//! text, and text differing only by trailing spaces. Each lookup matches
//! exactly the rows the same predicate picks in Rust, and the rows left
//! afterwards are exactly those expected. Text holding NUL is refused with
//! `Error::Unstorable` before anything runs, on every backend.

use orm_runtime::FieldName;
use orm_runtime::prelude::*;
use orm_tests::on_all_backends;
use std::collections::BTreeSet;

/// A note with unbounded text (TEXT / LONGTEXT) and a unique bounded code.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "hostile_notes")]
pub struct Note {
    /// Key.
    #[orm(primary_key)]
    pub id: i64,
    /// Hostile text.
    pub title: String,
    /// Unique bounded text.
    #[orm(max_length = 40, unique)]
    pub code: String,
}

/// The corpus. Upper-case letters are ASCII only, so case-insensitive
/// lookups mean the same on every backend (SQLite folds ASCII only).
fn corpus() -> Vec<String> {
    let mut v: Vec<String> = [
        "'",
        "''",
        "\"",
        "\\",
        "\\\\",
        "\\%",
        "%",
        "_",
        "*",
        "?",
        "[",
        "]",
        "[a]",
        "[!a]",
        "^",
        "$1",
        "?1",
        ":name",
        "--",
        ";",
        "/*",
        "'; DROP TABLE hostile_notes; --",
        "a%b",
        "a_b",
        "a*b",
        "a?b",
        "a[b]c",
        "!",
        "!%",
        "a",
        "A",
        "a ",
        " a",
        "a  ",
        "ab",
        "AB",
        "ünïcødé",
        "日本語",
        "😀 emoji",
        "tab\there",
        "new\nline",
        "",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    v.push("x".repeat(10_000));
    v.push(format!("{}%{}", "y".repeat(5_000), "z".repeat(5_000)));
    v
}

fn notes() -> Vec<Note> {
    corpus()
        .into_iter()
        .enumerate()
        .map(|(i, title)| Note {
            id: i as i64 + 1,
            code: title.chars().take(30).collect::<String>() + &format!("#{i}"),
            title,
        })
        .collect()
}

fn ids(rows: &[Note]) -> BTreeSet<i64> {
    rows.iter().map(|n| n.id).collect()
}

fn expected(all: &[Note], pick: impl Fn(&str) -> bool) -> BTreeSet<i64> {
    all.iter()
        .filter(|n| pick(&n.title))
        .map(|n| n.id)
        .collect()
}

fn lower(s: &str) -> String {
    s.to_ascii_lowercase()
}

fn placeholder(db: &Db, n: usize) -> String {
    if db.dialect() == Dialect::Postgres {
        format!("${n}")
    } else {
        "?".into()
    }
}

async fn schema(db: &Db) -> Result<Vec<Note>, Error> {
    db.create_tables(&[Note::META]).await?;
    let all = notes();
    Note::objects()
        .bulk_create(db, all.clone(), BulkCreate::default())
        .await?;
    Ok(all)
}

#[tokio::test]
async fn every_text_lookup_matches_exactly_what_it_says() {
    on_all_backends(|db| async move {
        let all = schema(&db).await?;
        // Stored exactly, trailing spaces and all.
        let mut stored = Note::objects().order_by(Note::id.asc()).all(&db).await?;
        stored.iter_mut().for_each(|n| n.code.clear());
        let mut want = all.clone();
        want.iter_mut().for_each(|n| n.code.clear());
        assert_eq!(stored, want);

        for needle in corpus() {
            let n = needle.as_str();
            let cases: [(&str, Q<Note>, BTreeSet<i64>); 9] = [
                ("eq", Note::title.eq(n), expected(&all, |t| t == n)),
                ("iexact", Note::title.iexact(n), {
                    expected(&all, |t| lower(t) == lower(n))
                }),
                ("contains", Note::title.contains(n), {
                    expected(&all, |t| t.contains(n))
                }),
                ("icontains", Note::title.icontains(n), {
                    expected(&all, |t| lower(t).contains(&lower(n)))
                }),
                ("startswith", Note::title.startswith(n), {
                    expected(&all, |t| t.starts_with(n))
                }),
                ("istartswith", Note::title.istartswith(n), {
                    expected(&all, |t| lower(t).starts_with(&lower(n)))
                }),
                ("endswith", Note::title.endswith(n), {
                    expected(&all, |t| t.ends_with(n))
                }),
                ("iendswith", Note::title.iendswith(n), {
                    expected(&all, |t| lower(t).ends_with(&lower(n)))
                }),
                (
                    "is_in",
                    Note::title.is_in([n.to_owned(), format!("{n} "), "zzz".to_owned()]),
                    expected(&all, |t| t == n || t == format!("{n} ") || t == "zzz"),
                ),
            ];
            for (lookup, q, want) in cases {
                let got = ids(&Note::objects().filter(q).all(&db).await?);
                assert_eq!(got, want, "{lookup}({needle:?})");
            }
            let raw_ids: Vec<(i64,)> = raw(format!(
                "SELECT id FROM hostile_notes WHERE title = {} ORDER BY id",
                placeholder(&db, 1)
            ))
            .bind(needle.clone())
            .fetch(&db)
            .await?;
            let raw_ids: BTreeSet<i64> = raw_ids.into_iter().map(|(i,)| i).collect();
            assert_eq!(raw_ids, expected(&all, |t| t == n), "raw = {needle:?}");
        }
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn hostile_writes_change_exactly_the_rows_they_name() {
    on_all_backends(|db| async move {
        let all = schema(&db).await?;
        // "a" and "a " are different values for = and UNIQUE everywhere.
        let n = Note::objects()
            .filter(Note::title.eq("a"))
            .update(&db, Note::title.set("a!"))
            .await?;
        assert_eq!(n, 1);
        let dup = Note {
            id: 1_000,
            title: "dup".into(),
            code: "a#29 ".into(),
        };
        Note::objects().create(&db, dup.clone()).await?;
        let clash = Note::objects()
            .create(
                &db,
                Note {
                    id: 1_001,
                    ..dup.clone()
                },
            )
            .await;
        assert_eq!(
            clash.err().and_then(|e| e.constraint_kind()),
            Some(orm_runtime::ConstraintKind::Unique)
        );
        // Wildcards delete only the rows that hold them literally.
        let deleted = Note::objects()
            .filter(Note::title.contains("%"))
            .delete(&db)
            .await?;
        let want_deleted = all.iter().filter(|n| n.title.contains('%')).count() as u64;
        assert_eq!(deleted, want_deleted);
        let deleted = Note::objects()
            .filter(Note::title.startswith("["))
            .delete(&db)
            .await?;
        assert_eq!(deleted, 3, "[, [a], [!a] and no other");
        let deleted = Note::objects()
            .filter(Note::title.eq("'; DROP TABLE hostile_notes; --"))
            .delete(&db)
            .await?;
        assert_eq!(deleted, 1);
        let left: BTreeSet<String> = Note::objects()
            .all(&db)
            .await?
            .into_iter()
            .map(|n| n.title)
            .collect();
        let mut want: BTreeSet<String> = all
            .iter()
            .map(|n| n.title.clone())
            .filter(|t| !t.contains('%') && !t.starts_with('[') && !t.starts_with("';"))
            .map(|t| if t == "a" { "a!".to_owned() } else { t })
            .collect();
        want.insert("dup".into());
        assert_eq!(left, want);
        Ok(())
    })
    .await;
}

fn assert_nul_refused<T: std::fmt::Debug>(
    r: Result<T, Error>,
    field: Option<FieldName>,
    what: &str,
) {
    match r {
        Err(Error::Unstorable {
            type_name: "String",
            field: f,
            ..
        }) if f == field => {}
        other => panic!("{what}: expected NUL text to be refused, got {other:?}"),
    }
}

#[tokio::test]
async fn text_holding_nul_is_refused_before_anything_runs() {
    on_all_backends(|db| async move {
        let all = schema(&db).await?;
        let title = Some(FieldName {
            model: "Note",
            field: "title",
        });
        let lookups: [(&str, Q<Note>); 8] = [
            ("eq", Note::title.eq("a\0")),
            ("iexact", Note::title.iexact("\0")),
            ("contains", Note::title.contains("\0")),
            ("icontains", Note::title.icontains("a\0")),
            ("startswith", Note::title.startswith("a\0zzz")),
            ("endswith", Note::title.endswith("\0")),
            ("istartswith", Note::title.istartswith("\0")),
            ("is_in", Note::title.is_in(["a", "\0"])),
        ];
        for (lookup, q) in lookups {
            let qs = Note::objects().filter(q);
            assert_nul_refused(qs.clone().all(&db).await, None, lookup);
            assert_nul_refused(qs.clone().count(&db).await, None, lookup);
            assert_nul_refused(qs.delete(&db).await, None, lookup);
        }
        let raw_nul = raw(format!(
            "DELETE FROM hostile_notes WHERE title <> {}",
            placeholder(&db, 1)
        ))
        .bind("a\0b".to_owned())
        .execute(&db)
        .await;
        assert_nul_refused(raw_nul, None, "raw parameter");

        let bad = Note {
            id: 2_000,
            title: "a\0b".into(),
            code: "nul".into(),
        };
        assert_nul_refused(
            Note::objects().create(&db, bad.clone()).await,
            title,
            "create",
        );
        let good = Note {
            id: 2_001,
            title: "fine".into(),
            code: "fine".into(),
        };
        assert_nul_refused(
            Note::objects()
                .bulk_create(&db, vec![good.clone(), bad.clone()], BulkCreate::default())
                .await,
            title,
            "bulk_create",
        );
        let mut changed = all[0].clone();
        changed.title = "\0".into();
        assert_nul_refused(changed.save(&db).await, title, "save");
        assert_nul_refused(
            Note::objects()
                .bulk_update(&db, &[all[1].clone(), changed.clone()], Note::title, None)
                .await,
            title,
            "bulk_update",
        );
        assert_nul_refused(
            Note::objects()
                .filter(Note::id.eq(1))
                .update(&db, Note::title.set("x\0"))
                .await,
            title,
            "update",
        );
        // Nothing changed.
        let mut stored = Note::objects().order_by(Note::id.asc()).all(&db).await?;
        assert_eq!(stored.len(), all.len());
        stored.sort_by_key(|n| n.id);
        assert_eq!(stored, all);
        Ok(())
    })
    .await;
}
