//! SQL snapshots of every statement shape the renderer writes, each shown
//! for all three dialects side by side so differences are easy to review.
//!
//! Regenerate with `INSTA_UPDATE=always cargo test -p orm-tests --test snapshots`
//! and review the diff of `tests/snapshots/`.

use chrono::NaiveDate;
use orm_runtime::ast::{Delete, ExprNode, Insert, OnConflict, Select, Update};
use orm_runtime::prelude::*;
use orm_runtime::render::select::{Projection, render};
use orm_runtime::render::{ddl, transaction, write};
use orm_runtime::value::{Kind, Value};
use orm_tests::models::*;
use rust_decimal::Decimal;

/// Renders a statement for every dialect, one block per dialect.
fn all_dialects(f: impl Fn(Dialect) -> Statement) -> String {
    let mut out = String::new();
    for d in Dialect::ALL {
        let stmt = f(d);
        assert_eq!(stmt.dialect, d, "statement rendered for the wrong dialect");
        out.push_str(&format!(
            "-- {}\n{}\n-- binds: {:?}\n\n",
            label(d),
            stmt.sql,
            stmt.binds
        ));
    }
    out.truncate(out.trim_end().len());
    out
}

/// Like `all_dialects`, for statements rendered as plain text (DDL,
/// transaction control).
fn all_dialects_text(f: impl Fn(Dialect) -> Vec<String>) -> String {
    let mut out = String::new();
    for d in Dialect::ALL {
        out.push_str(&format!("-- {}\n{};\n\n", label(d), f(d).join(";\n")));
    }
    out.truncate(out.trim_end().len());
    out
}

fn label(d: Dialect) -> &'static str {
    match d {
        Dialect::Sqlite => "SQLite",
        Dialect::Postgres => "PostgreSQL",
        Dialect::MySql => "MySQL",
    }
}

/// `to_sql` of a queryset, for every dialect.
fn sql_of<Q: QuerySetExt>(qs: Q) -> String {
    all_dialects(|d| qs.to_sql(d).expect("renders"))
}

/// A raw select rendered with a projection, for every dialect.
fn projected(select: &Select, projection: Projection) -> String {
    all_dialects(|d| render(select, projection, d).expect("renders"))
}

fn book() -> Book {
    Book {
        id: 7,
        title: "Dune".into(),
        publisher: ForeignKey::new(1),
        pages: 412,
        chapters: 48,
        rating: 4.5,
        price: Decimal::new(1999, 2),
        published: NaiveDate::from_ymd_opt(1965, 8, 1).unwrap(),
        authors: ManyToMany::default(),
    }
}

fn author() -> Author {
    Author {
        id: 3,
        name: "Frank".into(),
        age: 60,
        mentor: None,
        friends: ManyToMany::default(),
    }
}

fn club() -> Club {
    Club {
        id: 5,
        name: "Readers".into(),
        members: ManyToMany::default(),
    }
}

// ---------------------------------------------------------------- SELECT

#[test]
fn select_plain_model() {
    insta::assert_snapshot!("select_plain_model", sql_of(Book::objects()));
}

#[test]
fn select_model_with_column_rename_and_uuid_pk() {
    insta::assert_snapshot!(
        "select_model_with_column_rename_and_uuid_pk",
        sql_of(Loan::objects().filter(Loan::borrower.eq("ann")))
            + "\n\n"
            + &sql_of(Ticket::objects().filter(Ticket::id.eq(uuid::Uuid::nil())))
    );
}

#[test]
fn lookup_comparisons() {
    let qs = Book::objects()
        .filter(Book::id.eq(1))
        .filter(Book::title.ne("Dune"))
        .filter(Book::pages.gt(100))
        .filter(Book::pages.gte(101))
        .filter(Book::chapters.lt(50))
        .filter(Book::chapters.lte(49))
        .filter(Book::price.gt(Decimal::new(500, 2)))
        .filter(Book::published.gte(NaiveDate::from_ymd_opt(2000, 1, 1).unwrap()));
    insta::assert_snapshot!("lookup_comparisons", sql_of(qs));
}

#[test]
fn lookup_in_range_isnull() {
    let qs = Publisher::objects()
        .filter(Publisher::id.is_in([1i64, 2, 3]))
        .filter(Publisher::id.range(1, 10))
        .filter(Publisher::country.isnull(true))
        .filter(Publisher::name.isnull(false));
    insta::assert_snapshot!("lookup_in_range_isnull", sql_of(qs));
}

#[test]
fn lookup_in_empty_list() {
    // An empty IN list matches nothing and binds nothing.
    let qs = Publisher::objects().filter(Publisher::id.is_in(Vec::<i64>::new()));
    insta::assert_snapshot!("lookup_in_empty_list", sql_of(qs));
}

#[test]
fn lookup_enums() {
    let qs = Task::objects()
        .filter(Task::status.eq(Status::Done))
        .filter(Task::priority.is_in([Priority::High, Priority::Critical]));
    insta::assert_snapshot!("lookup_enums", sql_of(qs));
}

#[test]
fn lookup_contains_vs_icontains() {
    // Case-sensitive: GLOB on SQLite, LIKE elsewhere.
    // Case-insensitive: LIKE .. ESCAPE on SQLite, ILIKE on PostgreSQL,
    // LOWER(..) LIKE LOWER(..) on MySQL.
    let qs = Book::objects()
        .filter(Book::title.contains("Dune"))
        .filter(Book::title.icontains("dune"));
    insta::assert_snapshot!("lookup_contains_vs_icontains", sql_of(qs));
}

#[test]
fn lookup_text_patterns() {
    let qs = Book::objects()
        .filter(Book::title.iexact("dune"))
        .filter(Book::title.startswith("The"))
        .filter(Book::title.istartswith("the"))
        .filter(Book::title.endswith("End"))
        .filter(Book::title.iendswith("end"));
    insta::assert_snapshot!("lookup_text_patterns", sql_of(qs));
}

#[test]
fn lookup_pattern_escaping() {
    // Wildcards in the text match themselves: `%`, `_` and `\` are escaped
    // for LIKE, `*`, `?` and `[` for GLOB.
    let qs = Book::objects()
        .filter(Book::title.contains(r"100% of_a*b?[c]\d"))
        .filter(Book::title.icontains(r"100% of_a*b?[c]\d"));
    insta::assert_snapshot!("lookup_pattern_escaping", sql_of(qs));
}

#[test]
fn lookup_text_on_nullable_column() {
    let qs = Publisher::objects().filter(Publisher::country.istartswith("ne"));
    insta::assert_snapshot!("lookup_text_on_nullable_column", sql_of(qs));
}

#[test]
fn q_and_or_not() {
    let qs = Book::objects()
        .filter((Book::title.eq("Dune") | Book::pages.gt(500)) & !Book::chapters.eq(1));
    insta::assert_snapshot!("q_and_or_not", sql_of(qs));
}

#[test]
fn q_nested_or_of_ands() {
    let qs = Book::objects().filter(
        (Book::pages.gt(100) & Book::pages.lt(200))
            | (Book::rating.gte(4.0)
                & !(Book::title.startswith("A") | Book::title.startswith("B"))),
    );
    insta::assert_snapshot!("q_nested_or_of_ands", sql_of(qs));
}

#[test]
fn exclude_non_null_column() {
    let qs = Book::objects().exclude(Book::pages.lt(100));
    insta::assert_snapshot!("exclude_non_null_column", sql_of(qs));
}

#[test]
fn exclude_nullable_column() {
    // Django semantics: rows where `country` is NULL are kept.
    let qs = Publisher::objects().exclude(Publisher::country.eq("NL"));
    insta::assert_snapshot!("exclude_nullable_column", sql_of(qs));
}

#[test]
fn exclude_nullable_combined() {
    // Guards inside OR under negation, an isnull lookup (never guarded),
    // and a double negation (no guard).
    let qs = AllTypes::objects()
        .exclude(
            AllTypes::o_int.gt(5) | AllTypes::o_text.icontains("x") | AllTypes::o_day.isnull(true),
        )
        .exclude(!AllTypes::o_big.is_in([1i64, 2]));
    insta::assert_snapshot!("exclude_nullable_combined", sql_of(qs));
}

#[test]
fn exclude_nullable_f_comparison_and_expression() {
    // A nullable column on either side of a comparison is guarded; an
    // arithmetic expression over a nullable column is not (as in Django).
    let qs = AllTypes::objects()
        .exclude(AllTypes::int.eq(AllTypes::o_int))
        .exclude((AllTypes::o_int * 2).gt(10));
    insta::assert_snapshot!("exclude_nullable_f_comparison_and_expression", sql_of(qs));
}

// ------------------------------------------------------------------ JOINS

#[test]
fn join_inner_path() {
    let qs = Book::objects().filter(Book::publisher.then(Publisher::name).eq("Acme"));
    insta::assert_snapshot!("join_inner_path", sql_of(qs));
}

#[test]
fn join_two_level_path() {
    // Loan -> Book -> Publisher; the shared prefix is joined once.
    let qs = Loan::objects()
        .filter(
            Loan::book
                .then(Book::publisher.then(Publisher::name))
                .eq("Acme"),
        )
        .filter(Loan::book.then(Book::title).icontains("dune"))
        .order_by(
            Loan::book
                .then(Book::publisher.then(Publisher::country))
                .asc(),
        );
    insta::assert_snapshot!("join_two_level_path", sql_of(qs));
}

#[test]
fn join_nullable_left_join() {
    let qs = Author::objects()
        .filter(Author::mentor.then(Author::name).eq("Ursula"))
        .exclude(Author::mentor.then(Author::age).lt(30));
    insta::assert_snapshot!("join_nullable_left_join", sql_of(qs));
}

#[test]
fn join_nullable_two_level_left_join() {
    // A LEFT JOIN taints every join after it.
    let qs = Author::objects().filter(
        Author::mentor
            .then(Author::mentor.then(Author::name))
            .eq("Ursula"),
    );
    insta::assert_snapshot!("join_nullable_two_level_left_join", sql_of(qs));
}

// --------------------------------------------------------------- ORDERING

#[test]
fn order_by_several_keys_with_nullable() {
    // PostgreSQL gets NULLS FIRST / NULLS LAST on nullable keys only.
    let qs = Author::objects().order_by((
        Author::mentor.desc(),
        Author::name.asc(),
        Author::mentor.then(Author::age).asc(),
    ));
    insta::assert_snapshot!("order_by_several_keys_with_nullable", sql_of(qs));
}

#[test]
fn order_by_column_array_and_expression() {
    let qs = Book::objects().order_by([
        Book::rating.desc(),
        (Book::pages / Book::chapters).asc(),
        Book::publisher.then(Publisher::country).desc(),
    ]);
    insta::assert_snapshot!("order_by_column_array_and_expression", sql_of(qs));
}

#[test]
fn order_by_bare_column_and_reverse() {
    insta::assert_snapshot!(
        "order_by_bare_column_and_reverse",
        sql_of(Book::objects().order_by(Book::title))
            + "\n\n"
            + &sql_of(
                Book::objects()
                    .order_by((Book::title.asc(), Book::id.desc()))
                    .reverse()
            )
            + "\n\n"
            + &sql_of(Book::objects().reverse())
    );
}

// ------------------------------------------------------- F EXPRESSIONS

#[test]
fn f_column_comparisons() {
    let qs = Book::objects()
        .filter(Book::pages.gt(Book::chapters))
        .filter(F(Book::chapters).lte(F(Book::pages)));
    insta::assert_snapshot!("f_column_comparisons", sql_of(qs));
}

#[test]
fn f_arithmetic() {
    let qs = Book::objects()
        .filter(Book::pages.gt(Book::chapters * 10))
        .filter((Book::pages + Book::chapters).lt(1000))
        .filter(Book::price.gte((Book::price - Decimal::new(5, 0)) / Decimal::new(2, 0)))
        .filter(Book::rating.range(Book::rating - 1.0, 5.0));
    insta::assert_snapshot!("f_arithmetic", sql_of(qs));
}

#[test]
fn f_arithmetic_through_join() {
    let qs = Loan::objects().filter(
        Loan::book
            .then(Book::pages)
            .gt(Loan::book.then(Book::chapters) * 2),
    );
    insta::assert_snapshot!("f_arithmetic_through_join", sql_of(qs));
}

// ------------------------------------------------ DISTINCT, LIMIT, OFFSET

#[test]
fn distinct() {
    let qs = Book::objects()
        .filter(Book::publisher.then(Publisher::country).eq("NL"))
        .distinct();
    insta::assert_snapshot!("distinct", sql_of(qs));
}

#[test]
fn distinct_order_by_joined_column() {
    // PostgreSQL (and MySQL with ONLY_FULL_GROUP_BY) reject ORDER BY
    // expressions missing from a SELECT DISTINCT list; recorded as is.
    let qs = Book::objects()
        .distinct()
        .order_by(Book::publisher.then(Publisher::name).asc());
    insta::assert_snapshot!("distinct_order_by_joined_column", sql_of(qs));
}

#[test]
fn limit() {
    insta::assert_snapshot!("limit", sql_of(Book::objects().limit(10)));
}

#[test]
fn offset_without_limit() {
    // SQLite: LIMIT -1; MySQL: LIMIT 18446744073709551615; PostgreSQL: bare OFFSET.
    insta::assert_snapshot!("offset_without_limit", sql_of(Book::objects().offset(20)));
}

#[test]
fn limit_and_offset() {
    insta::assert_snapshot!(
        "limit_and_offset",
        sql_of(
            Book::objects()
                .filter(Book::pages.gt(10))
                .limit(5)
                .offset(20)
        )
    );
}

#[test]
fn slice() {
    insta::assert_snapshot!(
        "slice",
        sql_of(Book::objects().order_by(Book::title).slice(10..15))
            + "\n\n"
            + &sql_of(Book::objects().slice(0..3))
    );
}

// ---------------------------------------------------- COUNT, EXISTS, GET

#[test]
fn count_plain() {
    // COUNT(*) drops the ORDER BY.
    let qs = Book::objects()
        .filter(Book::pages.gt(100))
        .order_by(Book::title);
    insta::assert_snapshot!(
        "count_plain",
        projected(qs.as_queryset().select(), Projection::Count)
    );
}

#[test]
fn count_sliced() {
    let qs = Book::objects().order_by(Book::title).slice(10..15);
    insta::assert_snapshot!(
        "count_sliced",
        projected(qs.as_queryset().select(), Projection::Count)
    );
}

#[test]
fn count_offset_only() {
    let qs = Book::objects().offset(3);
    insta::assert_snapshot!(
        "count_offset_only",
        projected(qs.as_queryset().select(), Projection::Count)
    );
}

#[test]
fn count_distinct() {
    let qs = Book::objects()
        .filter(Book::publisher.then(Publisher::country).eq("NL"))
        .distinct();
    insta::assert_snapshot!(
        "count_distinct",
        projected(qs.as_queryset().select(), Projection::Count)
    );
}

#[test]
fn exists() {
    // What `exists()` renders: LIMIT 1, no ordering, SELECT 1.
    let qs = Book::objects()
        .filter(Book::publisher.then(Publisher::name).eq("Acme"))
        .order_by(Book::title);
    let mut select = qs.as_queryset().statement();
    select.limit = Some(1);
    select.order.clear();
    insta::assert_snapshot!("exists", projected(&select, Projection::One));
}

#[test]
fn get() {
    // What `get()` renders: at most two rows.
    let qs = Book::objects().filter(Book::id.eq(7));
    let mut select = qs.as_queryset().statement();
    select.limit = Some(select.limit.map_or(2, |l| l.min(2)));
    insta::assert_snapshot!("get", projected(&select, Projection::Columns));
}

// ------------------------------------------------------------ MANY-TO-MANY

#[test]
fn many_to_many_related_queryset() {
    insta::assert_snapshot!(
        "many_to_many_related_queryset",
        sql_of(Book::authors.of(&book()).queryset())
    );
}

#[test]
fn many_to_many_related_queryset_filtered() {
    let qs = Book::authors
        .of(&book())
        .queryset()
        .filter(Author::mentor.then(Author::name).icontains("le"))
        .order_by(Author::name);
    insta::assert_snapshot!("many_to_many_related_queryset_filtered", sql_of(qs));
}

#[test]
fn many_to_many_symmetrical_and_through_model() {
    insta::assert_snapshot!(
        "many_to_many_symmetrical_and_through_model",
        sql_of(Author::friends.of(&author()).queryset())
            + "\n\n"
            + &sql_of(Club::members.of(&club()).queryset())
    );
}

// ------------------------------------------------------- INSERT / UPDATE / DELETE

#[test]
fn insert_returning() {
    // RETURNING on SQLite and PostgreSQL; MySQL reads the last insert id.
    let ins = Insert {
        table: Publisher::META.table,
        columns: vec!["name", "country"],
        rows: vec![vec![
            Value::String("Acme".into()),
            Value::Null(Kind::String),
        ]],
        returning: Some("id"),
        on_conflict: None,
    };
    insta::assert_snapshot!(
        "insert_returning",
        all_dialects(|d| write::insert(&ins, d).unwrap())
    );
}

#[test]
fn insert_multi_row() {
    let ins = Insert {
        table: "books_authors",
        columns: vec!["book_id", "author_id"],
        rows: vec![
            vec![Value::I64(1), Value::I64(2)],
            vec![Value::I64(1), Value::I64(3)],
            vec![Value::I64(1), Value::I64(4)],
        ],
        returning: None,
        on_conflict: None,
    };
    insta::assert_snapshot!(
        "insert_multi_row",
        all_dialects(|d| write::insert(&ins, d).unwrap())
    );
}

#[test]
fn insert_no_columns() {
    let ins = Insert {
        table: Publisher::META.table,
        columns: vec![],
        rows: vec![vec![]],
        returning: Some("id"),
        on_conflict: None,
    };
    insta::assert_snapshot!(
        "insert_no_columns",
        all_dialects(|d| write::insert(&ins, d).unwrap())
    );
}

#[test]
fn update() {
    let up = Update {
        table: Book::META.table,
        set: vec![
            ("pages", (Book::pages + 1).node().clone()),
            (
                "title",
                ExprNode::Value(Value::String("Dune Messiah".into())),
            ),
            (
                "price",
                ExprNode::Value(Value::Decimal(Decimal::new(2450, 2))),
            ),
        ],
        filter: vec![
            Book::id.eq(7).into_cond(),
            (!Book::title.icontains("draft")).into_cond(),
        ],
    };
    insta::assert_snapshot!("update", all_dialects(|d| write::update(&up, d).unwrap()));
}

#[test]
fn update_nullable_set_null_and_exclude() {
    let up = Update {
        table: Author::META.table,
        set: vec![("mentor_id", ExprNode::Value(Value::Null(Kind::I64)))],
        filter: vec![(!Author::mentor.eq(3i64)).into_cond()],
    };
    insta::assert_snapshot!(
        "update_nullable_set_null_and_exclude",
        all_dialects(|d| write::update(&up, d).unwrap())
    );
}

#[test]
fn update_or_delete_with_join_path_is_an_error() {
    let up = Update {
        table: Book::META.table,
        set: vec![("pages", ExprNode::Value(Value::I32(1)))],
        filter: vec![Book::publisher.then(Publisher::name).eq("Acme").into_cond()],
    };
    let del = Delete {
        table: Book::META.table,
        filter: up.filter.clone(),
    };
    let mut out = String::new();
    for d in Dialect::ALL {
        let u = write::update(&up, d).expect_err("a join in UPDATE must not render");
        let x = write::delete(&del, d).expect_err("a join in DELETE must not render");
        out.push_str(&format!("-- {}\n{u}\n{x}\n\n", label(d)));
    }
    insta::assert_snapshot!(
        "update_or_delete_with_join_path_is_an_error",
        out.trim_end()
    );
}

#[test]
fn delete() {
    let del = Delete {
        table: Book::META.table,
        filter: vec![(Book::id.is_in([1i64, 2]) | Book::title.startswith("Draft")).into_cond()],
    };
    let all = Delete {
        table: "loan",
        filter: vec![],
    };
    insta::assert_snapshot!(
        "delete",
        all_dialects(|d| write::delete(&del, d).unwrap())
            + "\n\n"
            + &all_dialects(|d| write::delete(&all, d).unwrap())
    );
}

// -------------------------------------------------------------------- DDL

#[test]
fn ddl_create_tables_sqlite() {
    insta::assert_snapshot!(
        "ddl_create_tables_sqlite",
        ddl::create_tables(ALL, Dialect::Sqlite).join(";\n") + ";"
    );
}

#[test]
fn ddl_create_tables_postgres() {
    insta::assert_snapshot!(
        "ddl_create_tables_postgres",
        ddl::create_tables(ALL, Dialect::Postgres).join(";\n") + ";"
    );
}

#[test]
fn ddl_create_tables_mysql() {
    insta::assert_snapshot!(
        "ddl_create_tables_mysql",
        ddl::create_tables(ALL, Dialect::MySql).join(";\n") + ";"
    );
}

#[test]
fn ddl_drop_tables() {
    insta::assert_snapshot!(
        "ddl_drop_tables",
        all_dialects_text(|d| ddl::drop_tables(ALL, d))
    );
}

#[test]
fn ddl_time_of_day_and_duration_columns() {
    insta::assert_snapshot!(
        "ddl_time_types",
        all_dialects_text(|d| ddl::create_table(Shift::META, d))
    );
}

#[test]
fn ddl_descending_expression_and_named_indexes() {
    insta::assert_snapshot!(
        "ddl_indexes",
        all_dialects_text(|d| ddl::create_table(IndexedBook::META, d))
    );
}

// ------------------------------------------------------------ TRANSACTIONS

#[test]
fn transaction_control() {
    insta::assert_snapshot!(
        "transaction_control",
        all_dialects_text(|d| {
            let mut v = Vec::new();
            for depth in [0, 2] {
                v.push(transaction::begin(d, depth));
                v.push(transaction::commit(d, depth));
                v.push(transaction::rollback(d, depth));
            }
            v
        })
    );
}

// ---------------------------------------------------------------- aggregation

#[test]
fn aggregate_with_filter_case_on_mysql() {
    let in_progress = Task::status.eq(Status::InProgress);
    let qs = Task::objects().aggregate((
        CountAll(),
        Count(Task::id).filter(in_progress.clone()),
        Sum(Task::hours).filter(in_progress),
        Avg(Task::hours),
        Count(Task::user).distinct(),
    ));
    insta::assert_snapshot!("aggregate_with_filter", sql_of(qs));
}

#[test]
fn aggregate_durations() {
    // Avg of a duration is the integer quotient of SUM by COUNT (truncated
    // toward zero); Sum, Min and Max are the integer aggregates.
    let eight = chrono::NaiveTime::from_hms_opt(8, 0, 0).unwrap();
    let totals = Shift::objects()
        .filter(Shift::starts.gte(eight))
        .aggregate((
            Sum(Shift::length),
            Avg(Shift::length),
            Avg(Shift::pause).filter(Shift::team.eq("x")),
            Avg(Shift::pause).distinct(),
            Min(Shift::pause),
            Max(Shift::starts),
        ));
    let per_team = Shift::objects()
        .filter(Shift::length.gt(F(Shift::pause) - chrono::TimeDelta::minutes(30)))
        .values(Shift::team)
        .annotate(Sum(Shift::length))
        .annotate(Avg(Shift::length))
        .order_by(Shift::team.asc());
    insta::assert_snapshot!(
        "aggregate_durations",
        sql_of(totals) + "\n\n" + &sql_of(per_team)
    );
}

#[test]
fn values_annotate_group_by_having_order() {
    let qs = Task::objects()
        .filter(Task::hours.gt(0))
        .values(Task::user)
        .annotate(Sum(Task::hours))
        .filter(Sum(Task::hours).gt(7))
        .order_by(Sum(Task::hours).desc());
    insta::assert_snapshot!("values_annotate_group_by_having", sql_of(qs));
}

#[test]
fn values_list_after_values_keeps_grouping() {
    let qs = Song::objects()
        .values(Song::playlist)
        .values_list(Sum(Song::length));
    insta::assert_snapshot!("values_list_grouped", sql_of(qs));
}

#[test]
fn annotate_over_reverse_and_many_to_many_relations() {
    let qs = Author::objects()
        .annotate((
            Count(Author::friends),
            Count(Author::mentees),
            Avg(Author::mentees.then(Author::age)),
        ))
        .filter(Count(Author::mentees).gt(0));
    insta::assert_snapshot!("annotate_relation_subqueries", sql_of(qs));
    let qs = TaskUser::objects()
        .annotate(Count(TaskUser::tasks).filter(Task::status.eq(Status::InProgress)))
        .order_by(Sum(TaskUser::tasks.then(Task::hours)).desc());
    insta::assert_snapshot!("annotate_relation_filtered", sql_of(qs));
}

#[test]
fn annotate_into_declared_field() {
    let qs = Listener::objects().annotate_into(
        Listener::playlists_total_length,
        Sum(Listener::playlists.then(Playlist::id)),
    );
    insta::assert_snapshot!("annotate_into_declared_field", sql_of(qs));
}

#[test]
fn decimal_aggregates_and_comparisons() {
    let qs = Book::objects()
        .filter(Book::price.gt(Decimal::new(1000, 2)))
        .aggregate((
            Sum(Book::price),
            Avg(Book::price),
            Min(Book::price),
            Coalesce((Max(Book::price), Decimal::ZERO)),
        ));
    insta::assert_snapshot!("decimal_aggregates", sql_of(qs));
}

#[test]
fn text_and_number_functions() {
    let qs = Book::objects().values((
        Lower(Book::title),
        Upper(Book::title),
        Length(Book::title),
        Concat(Book::title, "!"),
        Substr(Book::title, 1, 3),
        Greatest(Book::pages, 100),
        Least(Book::pages, 100),
        NullIf(Book::chapters, 0),
    ));
    insta::assert_snapshot!("text_and_number_functions", sql_of(qs));
}

#[test]
fn integer_division_cast_case() {
    let qs = Book::objects().values((
        Book::pages / Book::chapters,
        Book::pages.cast::<f64>() / 2.0,
        Case::when(Book::pages.gt(500), "long")
            .and_when(Book::pages.gt(250), "medium")
            .otherwise("short"),
    ));
    insta::assert_snapshot!("integer_division_cast_case", sql_of(qs));
}

#[test]
fn date_parts_and_truncation() {
    let qs = AllTypes::objects().values((
        ExtractYear(AllTypes::day),
        ExtractMonth(AllTypes::at),
        ExtractDay(AllTypes::instant),
        TruncMonth(AllTypes::day),
        TruncYear(AllTypes::at),
        TruncDay(AllTypes::instant),
    ));
    insta::assert_snapshot!("date_parts_and_truncation", sql_of(qs));
}

#[test]
fn math_functions_of_floats() {
    let qs = Book::objects().values((
        Sqrt(Book::rating),
        Ln(Book::rating),
        Exp(Book::rating),
        Power(Book::rating, 2.0),
        Floor(Book::rating),
        Ceil(Book::rating),
        Round(Book::rating),
        RoundTo(Book::rating, 2),
        RoundTo(Book::rating, -1),
        Mod(Book::rating, 2.0),
        Abs(Book::rating),
    ));
    insta::assert_snapshot!("math_functions_of_floats", sql_of(qs));
}

#[test]
fn math_functions_of_integers() {
    let qs = Book::objects().values((
        Sqrt(Book::pages),
        Power(Book::pages, 2),
        Floor(Book::pages),
        Round(Book::pages),
        RoundTo(Book::pages, -2),
        Mod(Book::pages, Book::chapters),
        Abs(Book::pages - 500),
    ));
    insta::assert_snapshot!("math_functions_of_integers", sql_of(qs));
}

#[test]
fn math_functions_of_decimals() {
    let qs = Book::objects().values((
        Sqrt(Book::price),
        Power(Book::price, Decimal::new(5, 1)),
        Floor(Book::price),
        Ceil(Book::price),
        Round(Book::price),
        RoundTo(Book::price, 1),
        Mod(Book::price, Decimal::new(3, 0)),
        Abs(Book::price),
    ));
    insta::assert_snapshot!("math_functions_of_decimals", sql_of(qs));
}

#[test]
fn order_by_random() {
    let qs = Book::objects().order_by((Book::publisher.asc(), Random));
    insta::assert_snapshot!("order_by_random", sql_of(qs));
}

#[test]
fn standard_deviation_and_variance() {
    let qs = Book::objects().aggregate((
        StdDev(Book::rating),
        StdDevSample(Book::price),
        Variance(Book::pages),
        VarianceSample(Book::pages).filter(Book::pages.gt(100)),
    ));
    insta::assert_snapshot!("standard_deviation_and_variance", sql_of(qs));
}

#[test]
fn casts_to_integers_truncate() {
    let qs = Book::objects().values((
        Book::rating.cast::<i64>(),
        Book::price.cast::<i32>(),
        Book::pages.cast::<i64>(),
    ));
    let avg = Book::objects().aggregate(Avg(Book::pages).output::<i64>());
    insta::assert_snapshot!(
        "casts_to_integers_truncate",
        sql_of(qs) + "\n\n" + &sql_of(avg)
    );
}

#[test]
fn coalesce_of_three_arguments() {
    let qs = Publisher::objects().values(Coalesce((Publisher::country, Publisher::name, "??")));
    insta::assert_snapshot!("coalesce_of_three_arguments", sql_of(qs));
}

#[test]
fn none_is_an_always_false_filter() {
    let qs = Book::objects().filter(Book::pages.gt(100)).none();
    insta::assert_snapshot!("none", sql_of(qs));
}

// ---------------------------------------------------------------- subqueries and windows

#[test]
fn nested_correlated_subqueries_of_collect() {
    insta::assert_snapshot!(
        "collect_nested_subqueries",
        sql_of(Listener::objects().collect())
    );
}

#[test]
fn exists_and_not_exists() {
    let has = || {
        Exists(Listener::correlated(|l| {
            Playlist::objects().filter(Playlist::user.eq(l.id))
        }))
    };
    insta::assert_snapshot!(
        "exists_filter",
        sql_of(Listener::objects().filter(has()).exclude(has()))
    );
    insta::assert_snapshot!(
        "exists_annotate",
        sql_of(Listener::objects().annotate(has()))
    );
}

#[test]
fn in_subquery_with_and_without_limit() {
    let ids = Playlist::objects()
        .filter(Playlist::name.startswith("a"))
        .values(Playlist::id);
    insta::assert_snapshot!(
        "in_subquery",
        sql_of(Song::objects().filter(Song::playlist.in_query(ids.clone())))
    );
    let first = ids.order_by(Playlist::id.asc()).limit(1).offset(1);
    insta::assert_snapshot!(
        "in_subquery_limited",
        sql_of(Song::objects().filter(Song::playlist.in_query(first)))
    );
}

#[test]
fn scalar_subquery_guard_and_helpers() {
    let ids: Subquery<Listener, Option<Key<Playlist>>> = Listener::correlated(|l| {
        Playlist::objects()
            .filter(Playlist::user.eq(l.id))
            .values(Playlist::id)
    })
    .subquery();
    insta::assert_snapshot!(
        "scalar_subquery_multi_row_guard",
        sql_of(Listener::objects().values((Listener::name, ids)))
    );
    let qs = Listener::objects().annotate((
        subquery_count(Listener::correlated(|l| {
            Playlist::objects().filter(Playlist::user.eq(l.id))
        })),
        subquery_aggregate(
            Listener::correlated(|l| {
                Song::objects().filter(Song::playlist.then(Playlist::user).eq(l.id))
            }),
            Sum(Song::length),
        ),
    ));
    insta::assert_snapshot!("subquery_count_and_aggregate", sql_of(qs));
}

#[test]
fn window_functions_and_frames() {
    let w = || {
        Window::new()
            .partition_by(Task::user)
            .order_by(Task::hours.asc())
    };
    let qs = Task::objects().values((
        RowNumber().over(w()),
        Rank().over(w()),
        DenseRank().over(Window::new().order_by(Task::status.asc())),
        PercentRank().over(w()),
        Ntile(4).over(w()),
        Lag(Task::hours, 1).over(w()),
        Lead(Task::hours, 2).over(w()),
        FirstValue(Task::hours).over(w()),
        LastValue(Task::hours).over(w().rows(
            FrameBound::UnboundedPreceding,
            FrameBound::UnboundedFollowing,
        )),
    ));
    insta::assert_snapshot!("window_functions", sql_of(qs));
    let running = Task::objects().values(
        Sum(Task::hours).over(w().range(FrameBound::UnboundedPreceding, FrameBound::CurrentRow)),
    );
    insta::assert_snapshot!("window_running_sum", sql_of(running));
}

#[test]
fn filter_on_window_wraps_the_query() {
    let rank = BookQuerySet::rank_in_publisher;
    let qs = Book::objects()
        .filter(Book::pages.gt(100))
        .filter(rank().lte(3))
        .order_by(Book::title.asc())
        .limit(10);
    insta::assert_snapshot!("window_filter_wrapped", sql_of(qs.clone()));
    insta::assert_snapshot!(
        "window_filter_count",
        projected(&qs.as_queryset().statement(), Projection::Count)
    );
}

#[test]
fn insert_on_conflict_ignore_and_update() {
    let ins = |on_conflict| Insert {
        table: "publisher",
        columns: vec!["name", "country"],
        rows: vec![vec![Value::String("a".into()), Value::Null(Kind::String)]],
        returning: None,
        on_conflict: Some(on_conflict),
    };
    let ignore = ins(OnConflict::Ignore);
    insta::assert_snapshot!(
        "insert_on_conflict_ignore",
        all_dialects(|d| write::insert(&ignore, d).expect("renders"))
    );
    let upsert = ins(OnConflict::Update {
        target: vec!["name"],
        update: vec!["country"],
    });
    insta::assert_snapshot!(
        "insert_on_conflict_update",
        all_dialects(|d| write::insert(&upsert, d).expect("renders"))
    );
}

#[test]
fn queryset_update_across_a_join_and_bulk_update() {
    let set = vec![(
        "chapters",
        ExprNode::Binary {
            op: orm_runtime::ast::BinOp::Add,
            lhs: Box::new(ExprNode::Column(orm_runtime::ast::ColumnRef::local(
                "chapters",
                false,
                Kind::I32,
            ))),
            rhs: Box::new(ExprNode::Value(Value::I32(1))),
            kind: Kind::I32,
        },
    )];
    let mut ids = Select::from_table("books");
    ids.columns = vec![ExprNode::Column(orm_runtime::ast::ColumnRef::local(
        "id",
        false,
        Kind::I64,
    ))];
    ids.filter = Book::objects()
        .filter(Book::publisher.then(Publisher::name).eq("O'Reilly"))
        .as_queryset()
        .statement()
        .filter;
    let up = Update {
        table: "books",
        set,
        filter: vec![orm_runtime::ast::Cond::InSelect {
            lhs: ExprNode::Column(orm_runtime::ast::ColumnRef::local("id", false, Kind::I64)),
            select: Box::new(ids),
        }],
    };
    insta::assert_snapshot!(
        "update_across_join",
        all_dialects(|d| write::update(&up, d).expect("renders"))
    );
}

// ---------------------------------------------------------------- relation loading

#[test]
fn select_related_chain_with_nullable_key() {
    let qs = Comment::objects()
        .select_related(Comment::post.then(Post::author))
        .select_related(Comment::post.then(Post::category));
    insta::assert_snapshot!("select_related_chain", sql_of(qs));
}

#[test]
fn defer_and_only() {
    insta::assert_snapshot!("defer_body", sql_of(Post::objects().defer(Post::body)));
    insta::assert_snapshot!("only_title", sql_of(Post::objects().only(Post::title)));
}

#[test]
fn postgres_binds_a_list_as_one_array_so_the_sql_does_not_change() {
    let sql = |ids: Vec<i64>| {
        Book::objects()
            .filter(Book::id.is_in(ids))
            .to_sql(Dialect::Postgres)
            .expect("renders")
    };
    let (two, five) = (sql(vec![1, 2]), sql(vec![1, 2, 3, 4, 5]));
    assert_eq!(two.sql, five.sql);
    assert!(
        two.sql.ends_with(r#"WHERE "t0"."id" = ANY($1)"#),
        "{}",
        two.sql
    );
    assert_eq!(
        five.binds,
        [Value::List(Kind::I64, (1..=5).map(Value::I64).collect())]
    );
    // The other backends use placeholders; an empty list matches nothing.
    assert!(
        Book::objects()
            .filter(Book::id.is_in([1i64, 2]))
            .to_sql(Dialect::MySql)
            .expect("renders")
            .sql
            .ends_with("IN (?, ?)")
    );
    assert!(sql(Vec::new()).sql.ends_with("WHERE 1 = 0"));
}

#[test]
fn annotate_aggregate_groups_by_the_model() {
    insta::assert_snapshot!(
        "annotate_aggregate_groups_by_the_model",
        sql_of(Song::objects().annotate(Sum(Song::length)))
    );
}

#[test]
fn grouped_values_join_the_aggregated_relation() {
    insta::assert_snapshot!(
        "grouped_values_join_the_aggregated_relation",
        sql_of(
            Book::objects()
                .values(Book::publisher)
                .annotate(Count(Book::authors))
                .annotate(Avg(Book::authors.then(Author::age)).filter(Author::age.gte(40)))
        )
    );
}

#[test]
fn aggregate_over_a_slice_reads_a_derived_table() {
    insta::assert_snapshot!(
        "aggregate_over_a_slice_reads_a_derived_table",
        sql_of(
            Book::objects()
                .order_by(Book::pages.desc())
                .slice(0..3)
                .aggregate((Sum(Book::pages), CountAll()))
        )
    );
}

#[test]
fn aggregate_over_a_grouped_queryset_refers_to_its_values() {
    insta::assert_snapshot!(
        "aggregate_over_a_grouped_queryset_refers_to_its_values",
        sql_of(
            Book::objects()
                .values(Book::publisher)
                .annotate(CountAll())
                .aggregate((Max(CountAll().expr()), CountAll()))
        )
    );
}

#[test]
fn aggregate_of_an_ordered_queryset_drops_the_order() {
    insta::assert_snapshot!(
        "aggregate_of_an_ordered_queryset_drops_the_order",
        sql_of(
            Book::objects()
                .filter(Book::pages.gt(100))
                .order_by(Book::title.asc())
                .aggregate(Sum(Book::pages))
        )
    );
}

#[test]
fn aggregate_over_a_relation_reads_the_related_rows() {
    insta::assert_snapshot!(
        "aggregate_over_a_relation_reads_the_related_rows",
        sql_of(Author::objects().filter(Author::age.gt(30)).aggregate((
            Avg(Author::friends.then(Author::age)),
            Count(Author::mentees)
        )))
    );
}

#[test]
fn aggregate_condition_without_annotate_groups_by_the_row() {
    insta::assert_snapshot!(
        "aggregate_condition_without_annotate_groups_by_the_row",
        sql_of(Book::objects().filter(Sum(Book::pages).gt(300)))
    );
}

#[test]
fn ordering_keys_of_a_grouped_query_are_grouped() {
    insta::assert_snapshot!(
        "ordering_keys_of_a_grouped_query_are_grouped",
        sql_of(
            Book::objects()
                .values(Book::publisher)
                .annotate(CountAll())
                .order_by(Book::title.asc())
        )
    );
}

#[test]
fn computed_group_keys_are_written_once() {
    let long = || Case::when(Book::pages.gt(300), "long").otherwise("short");
    insta::assert_snapshot!(
        "computed_group_keys_are_written_once",
        sql_of(
            Book::objects()
                .values(long())
                .annotate(Sum(Book::pages))
                .order_by(long().asc())
        )
    );
}

#[test]
fn computed_ordering_key_of_a_grouped_query_is_selected() {
    insta::assert_snapshot!(
        "computed_ordering_key_of_a_grouped_query_is_selected",
        sql_of(
            Book::objects()
                .values(Book::publisher)
                .annotate(CountAll())
                .order_by((Book::pages / 100).asc())
        )
    );
}

#[test]
fn having_on_a_computed_group_key_filters_a_derived_table() {
    insta::assert_snapshot!(
        "having_on_a_computed_group_key_filters_a_derived_table",
        sql_of(
            Book::objects()
                .values(Book::pages / 300)
                .annotate(CountAll())
                .filter(CountAll().gt(1).or((Book::pages / 300).eq(2)))
                .order_by((Book::pages / 300).asc())
        )
    );
}

#[test]
fn filter_through_a_reverse_many_to_many() {
    insta::assert_snapshot!(
        "filter_through_a_reverse_many_to_many",
        sql_of(
            Author::objects()
                .filter(Author::books.then(Book::rating).gt(4.6))
                .distinct()
        )
    );
}

#[test]
fn separate_filter_calls_join_separately() {
    insta::assert_snapshot!(
        "separate_filter_calls_join_separately",
        sql_of(
            Publisher::objects()
                .filter(Publisher::books.then(Book::rating).lt(4.0))
                .filter(Publisher::books.then(Book::pages).gt(300))
        )
    );
}

#[test]
fn exclude_through_a_relation_tests_the_related_rows() {
    insta::assert_snapshot!(
        "exclude_through_a_relation_tests_the_related_rows",
        sql_of(
            Publisher::objects().exclude(
                Publisher::books
                    .then(Book::authors)
                    .then(Author::age)
                    .gt(45)
            )
        )
    );
}

#[test]
fn values_through_a_many_to_many() {
    insta::assert_snapshot!(
        "values_through_a_many_to_many",
        sql_of(
            Book::objects()
                .values((Book::title, Book::authors.then(Author::name)))
                .order_by(Book::authors.then(Author::name).asc())
        )
    );
}

#[test]
fn outer_ref_through_a_foreign_key_path() {
    insta::assert_snapshot!(
        "outer_ref_through_a_foreign_key_path",
        sql_of(
            Book::objects().annotate(subquery_count(Book::correlated(|b| {
                Book::objects().filter(
                    Book::publisher
                        .then(Publisher::name)
                        .eq(b.col(Book::publisher.then(Publisher::name))),
                )
            })))
        )
    );
}

#[test]
fn update_set_from_a_correlated_subquery_over_its_own_table() {
    // SQLite computes the values first (a materialized CTE); the others
    // read the table as it was before the statement.
    let older = subquery_count(Author::correlated(|a| {
        Author::objects().filter(Author::age.gt(a.age))
    }))
    .cast::<i32>();
    let up = Update {
        table: Author::META.table,
        set: vec![("age", older.node().clone())],
        filter: vec![Author::name.ne("dave").into_cond()],
    };
    insta::assert_snapshot!(
        "update_set_from_a_correlated_subquery",
        all_dialects(|d| write::update(&up, d).unwrap())
    );
}

#[test]
fn locking_reads() {
    let qs = || {
        Book::objects()
            .filter(Book::pages.gt(100))
            .order_by(Book::id.asc())
    };
    insta::assert_snapshot!(
        "select_for_update",
        all_dialects(|d| qs().select_for_update().to_sql(d).unwrap())
    );
    insta::assert_snapshot!(
        "select_for_update_skip_locked",
        all_dialects(|d| qs().select_for_update().skip_locked().to_sql(d).unwrap())
    );
    insta::assert_snapshot!(
        "select_for_update_of_self_nowait",
        all_dialects(|d| {
            let qs = qs()
                .select_related(Book::publisher)
                .select_for_update()
                .nowait()
                .of_self();
            match qs.to_sql(d) {
                Ok(s) => s,
                // MariaDB has no FOR UPDATE OF: shown as the refusal.
                Err(e) => Statement {
                    dialect: d,
                    sql: e.to_string(),
                    binds: Vec::new(),
                },
            }
        })
    );
}
