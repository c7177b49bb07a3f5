//! Display labels of `#[derive(DbEnum)]` enums (Django's
//! `get_FOO_display()` and `.choices`): derived from the variant name or
//! given with `#[orm(label = "..")]`, for integer and text enums, and read
//! from rows loaded on every backend.

use orm_runtime::prelude::*;
use orm_tests::on_all_backends;

/// Stored as integers.
#[derive(DbEnum, Debug, Clone, Copy, PartialEq)]
pub enum Stage {
    NotStarted = 0,
    InProgress = 1,
    #[orm(label = "Shipped to the customer")]
    Done = 5,
    HTTPError = 7,
    Review2Pending = 8,
}

/// Stored as text; labels follow the variant names, not the stored text.
#[derive(DbEnum, Debug, Clone, Copy, PartialEq)]
#[orm(repr = "text")]
pub enum Size {
    #[orm(rename = "s")]
    Small,
    #[orm(rename = "xl", label = "Extra large (XL)")]
    ExtraLarge,
    Medium,
    #[allow(non_camel_case_types)]
    one_size,
}

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "label_order")]
pub struct Order {
    #[orm(primary_key)]
    pub id: i64,
    pub stage: Stage,
    pub size: Option<Size>,
}

#[test]
fn integer_enum_labels_default_to_the_variant_name_in_words() {
    assert_eq!(Stage::NotStarted.label(), "Not Started");
    assert_eq!(Stage::InProgress.label(), "In Progress");
    assert_eq!(Stage::HTTPError.label(), "HTTP Error");
    assert_eq!(Stage::Review2Pending.label(), "Review2 Pending");
}

#[test]
fn a_declared_label_replaces_the_default() {
    assert_eq!(Stage::Done.label(), "Shipped to the customer");
    assert_eq!(Size::ExtraLarge.label(), "Extra large (XL)");
}

#[test]
fn text_enum_labels_come_from_the_variant_not_the_stored_text() {
    assert_eq!(Size::Small.label(), "Small");
    assert_eq!(Size::Medium.label(), "Medium");
    assert_eq!(Size::one_size.label(), "One Size");
}

#[test]
fn choices_list_every_variant_with_its_label_in_order() {
    assert_eq!(
        Stage::choices(),
        &[
            (Stage::NotStarted, "Not Started"),
            (Stage::InProgress, "In Progress"),
            (Stage::Done, "Shipped to the customer"),
            (Stage::HTTPError, "HTTP Error"),
            (Stage::Review2Pending, "Review2 Pending"),
        ]
    );
    assert_eq!(
        Size::choices(),
        &[
            (Size::Small, "Small"),
            (Size::ExtraLarge, "Extra large (XL)"),
            (Size::Medium, "Medium"),
            (Size::one_size, "One Size"),
        ]
    );
}

#[tokio::test]
async fn a_loaded_row_shows_the_labels_of_its_fields() {
    on_all_backends(|db| async move {
        db.create_tables(&[Order::META]).await?;
        for (stage, size) in [
            (Stage::InProgress, Some(Size::ExtraLarge)),
            (Stage::Done, None),
        ] {
            Order::objects()
                .create(&db, Order { id: 0, stage, size })
                .await?;
        }
        let rows = Order::objects().order_by(Order::id.asc()).all(&db).await?;
        let shown: Vec<(&str, Option<&str>)> = rows
            .iter()
            .map(|o| (o.stage.label(), o.size.map(|s| s.label())))
            .collect();
        assert_eq!(
            shown,
            [
                ("In Progress", Some("Extra large (XL)")),
                ("Shipped to the customer", None),
            ]
        );
        Ok(())
    })
    .await;
}
