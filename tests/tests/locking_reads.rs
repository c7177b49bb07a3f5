//! Locking reads (`select_for_update`) on every backend: the SQL each
//! writes, a second transaction blocked until the first commits, `nowait`
//! failing and `skip_locked` skipping on the servers with row locks, and
//! `of_self` locking only the queryset's own rows.

use orm_runtime::prelude::*;
use orm_tests::fixtures::playlists;
use orm_tests::models::*;
use orm_tests::on_all_backends;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

fn names(rows: &[Playlist]) -> Vec<&str> {
    rows.iter().map(|p| p.name.as_str()).collect()
}

#[test]
fn the_clause_each_backend_writes() {
    let qs = || Playlist::objects().filter(Playlist::name.eq("a1"));
    let sql = |s: Result<Statement, Error>| s.expect("renders").sql;
    let pg = sql(qs().select_for_update().to_sql(Dialect::Postgres));
    assert!(pg.ends_with(r#"WHERE "t0"."name" = $1 FOR UPDATE"#), "{pg}");
    let pg = sql(qs().select_for_update().nowait().to_sql(Dialect::Postgres));
    assert!(pg.ends_with(" FOR UPDATE NOWAIT"), "{pg}");
    let pg = sql(qs()
        .select_for_update()
        .skip_locked()
        .of_self()
        .to_sql(Dialect::Postgres));
    assert!(pg.ends_with(r#" FOR UPDATE OF "t0" SKIP LOCKED"#), "{pg}");
    let my = sql(qs()
        .select_for_update()
        .skip_locked()
        .to_sql(Dialect::MySql));
    assert!(
        my.ends_with("WHERE `t0`.`name` = ? FOR UPDATE SKIP LOCKED"),
        "{my}"
    );
    // MariaDB has no FOR UPDATE OF: refused as Django refuses it.
    let err = qs()
        .select_for_update()
        .of_self()
        .to_sql(Dialect::MySql)
        .unwrap_err();
    assert!(
        matches!(&err, Error::Render { feature, .. } if feature.contains("FOR UPDATE OF")),
        "{err:?}"
    );
    // SQLite has no row locks: no clause, the transaction's write lock holds.
    let lite = sql(qs().select_for_update().nowait().to_sql(Dialect::Sqlite));
    assert!(lite.ends_with(r#"WHERE "t0"."name" = ?"#), "{lite}");
}

/// A second locking read of a row waits until the transaction holding it
/// commits, then reads the committed value.
#[tokio::test]
async fn a_locked_row_blocks_a_second_transaction_until_commit() {
    on_all_backends(|db| async move {
        playlists(&db).await?;
        let a1 = Playlist::objects()
            .filter(Playlist::name.eq("a1"))
            .get(&db)
            .await?;
        let (locked, on_locked) = oneshot::channel::<Instant>();
        let first = db.transaction(|tx| async move {
            let p = Playlist::objects()
                .filter(Playlist::id.eq(a1.id))
                .select_for_update()
                .get(&tx)
                .await?;
            let _ = locked.send(Instant::now());
            tokio::time::sleep(Duration::from_millis(300)).await;
            Playlist::objects()
                .filter(Playlist::id.eq(p.id))
                .update(&tx, Playlist::name.set("a1-held"))
                .await?;
            Ok::<_, Error>(())
        });
        let db2 = db.clone();
        let second = async move {
            let since = on_locked.await.expect("first locked");
            let read = db2
                .transaction(|tx| async move {
                    Playlist::objects()
                        .filter(Playlist::id.eq(a1.id))
                        .select_for_update()
                        .get(&tx)
                        .await
                })
                .await?;
            Ok::<_, Error>((read, since.elapsed()))
        };
        let (first, second) = tokio::join!(first, second);
        first?;
        let (read, waited) = second?;
        assert_eq!(read.name, "a1-held", "{}", db.dialect());
        assert!(
            waited >= Duration::from_millis(250),
            "{} waited {waited:?}",
            db.dialect()
        );
        Ok(())
    })
    .await;
}

/// While a row is locked, `nowait` fails at once and `skip_locked` leaves
/// it out (PostgreSQL, MariaDB). On SQLite the second transaction cannot
/// start while the first holds the write lock, so there is nothing to skip.
#[tokio::test]
async fn nowait_fails_and_skip_locked_skips_a_locked_row() {
    on_all_backends(|db| async move {
        playlists(&db).await?;
        if db.dialect() == Dialect::Sqlite {
            let rows = db
                .transaction(|tx| async move {
                    Playlist::objects()
                        .order_by(Playlist::name.asc())
                        .select_for_update()
                        .skip_locked()
                        .all(&tx)
                        .await
                })
                .await?;
            assert_eq!(names(&rows), ["a1", "a2", "b1"]);
            return Ok(());
        }
        let a1 = Playlist::objects()
            .filter(Playlist::name.eq("a1"))
            .get(&db)
            .await?;
        let (locked, on_locked) = oneshot::channel::<()>();
        let (done, on_done) = oneshot::channel::<()>();
        // Locked by key: InnoDB locks every row a locking read scans, so a
        // condition on an unindexed column would lock the whole table.
        let first = db.transaction(|tx| async move {
            Playlist::objects()
                .filter(Playlist::id.eq(a1.id))
                .select_for_update()
                .get(&tx)
                .await?;
            let _ = locked.send(());
            let _ = on_done.await;
            Ok::<_, Error>(())
        });
        let db2 = db.clone();
        let second = async move {
            on_locked.await.expect("first locked");
            let started = Instant::now();
            let out = db2
                .transaction(|tx| async move {
                    Playlist::objects()
                        .filter(Playlist::id.eq(a1.id))
                        .select_for_update()
                        .nowait()
                        .get(&tx)
                        .await
                })
                .await
                .map(|p| p.name)
                .map_err(|e| (e, started.elapsed()));
            let skipped = db2
                .transaction(|tx| async move {
                    Playlist::objects()
                        .order_by(Playlist::name.asc())
                        .select_for_update()
                        .skip_locked()
                        .all(&tx)
                        .await
                })
                .await;
            let _ = done.send(());
            (out, skipped)
        };
        let (first, (out, skipped)) = tokio::join!(first, second);
        first?;
        let (err, failed_in) = out.expect_err("a1 is locked");
        assert!(err.lock_not_available(), "{err:?}");
        assert!(failed_in < Duration::from_secs(2), "{failed_in:?}");
        assert_eq!(names(&skipped?), ["a2", "b1"]);
        Ok(())
    })
    .await;
}

/// `of_self` with `select_related` locks the song rows only: the joined
/// playlist stays free for another transaction (PostgreSQL); without it,
/// the playlist row is locked too.
#[tokio::test]
async fn of_self_locks_only_the_querysets_own_rows() {
    on_all_backends(|db| async move {
        playlists(&db).await?;
        if db.dialect() != Dialect::Postgres {
            // SQLite writes no clause; MariaDB refuses OF (the SQL test).
            return Ok(());
        }
        for of_self in [true, false] {
            let (locked, on_locked) = oneshot::channel::<()>();
            let (done, on_done) = oneshot::channel::<()>();
            let first = db.transaction(|tx| async move {
                let songs = Song::objects()
                    .select_related(Song::playlist)
                    .filter(Song::playlist.then(Playlist::name).eq("a1"));
                let rows = if of_self {
                    songs.select_for_update().of_self().all(&tx).await?
                } else {
                    songs.select_for_update().all(&tx).await?
                };
                assert_eq!(rows.len(), 2);
                let _ = locked.send(());
                let _ = on_done.await;
                Ok::<_, Error>(())
            });
            let db2 = db.clone();
            let second = async move {
                on_locked.await.expect("first locked");
                let got = db2
                    .transaction(|tx| async move {
                        Playlist::objects()
                            .filter(Playlist::name.eq("a1"))
                            .select_for_update()
                            .nowait()
                            .get(&tx)
                            .await
                    })
                    .await;
                let _ = done.send(());
                got
            };
            let (first, second) = tokio::join!(first, second);
            first?;
            match (of_self, second) {
                (true, Ok(p)) => assert_eq!(p.name, "a1"),
                (false, Err(e)) => assert!(e.lock_not_available(), "{e:?}"),
                (of_self, other) => panic!("of_self {of_self}: {other:?}"),
            }
        }
        Ok(())
    })
    .await;
}

/// Rows of a DISTINCT, grouped or windowed result are not table rows: a
/// locking read of one is refused before anything is sent, on every
/// backend. A nullable `select_related` is a LEFT JOIN, whose NULL side
/// PostgreSQL cannot lock: refused there unless `of_self`.
#[tokio::test]
async fn shapes_that_cannot_be_locked_are_refused_up_front() {
    on_all_backends(|db| async move {
        orm_tests::fixtures::bookshop(&db).await?;
        let refused = |r: Result<Vec<String>, Error>| match r {
            Err(Error::Render { feature, .. }) => feature,
            other => panic!("{other:?}"),
        };
        let feature = db
            .transaction(|tx| async move {
                Ok::<_, Error>(refused(
                    Author::objects()
                        .values(Author::name)
                        .distinct()
                        .select_for_update()
                        .all(&tx)
                        .await,
                ))
            })
            .await?;
        assert!(feature.contains("DISTINCT, grouped"), "{feature}");
        let rank = || Rank().over(Window::new().order_by(Author::age.desc()));
        db.transaction(|tx| async move {
            let r = Author::objects()
                .filter(rank().lte(2))
                .values(Author::name)
                .select_for_update()
                .all(&tx)
                .await;
            refused(r);
            // The transaction goes on: nothing was sent.
            let rows = Author::objects()
                .order_by(Author::id.asc())
                .select_for_update()
                .all(&tx)
                .await?;
            assert_eq!(rows.len(), 4);
            Ok::<_, Error>(())
        })
        .await?;
        let joined = db
            .transaction(|tx| async move {
                Author::objects()
                    .select_related(Author::mentor)
                    .select_for_update()
                    .all(&tx)
                    .await
            })
            .await;
        match (db.dialect(), joined) {
            (Dialect::Postgres, Err(Error::Render { feature, .. })) => {
                assert!(feature.contains("of_self"), "{feature}")
            }
            (Dialect::Postgres, other) => panic!("{other:?}"),
            (_, rows) => assert_eq!(rows?.len(), 4),
        }
        if db.dialect() == Dialect::Postgres {
            let rows = db
                .transaction(|tx| async move {
                    Author::objects()
                        .select_related(Author::mentor)
                        .select_for_update()
                        .of_self()
                        .all(&tx)
                        .await
                })
                .await?;
            assert_eq!(rows.len(), 4);
        }
        Ok(())
    })
    .await;
}
