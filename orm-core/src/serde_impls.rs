//! serde's `Serialize` and `Deserialize` for the field types that are not
//! plain values, so a model can `#[derive(Serialize, Deserialize)]` next to
//! `#[derive(Model)]` (feature `serde`, on by default, which also turns on
//! the `serde` features of chrono, uuid and rust_decimal, so every plain
//! field type serializes too; a `Decimal` as a string). What each one
//! becomes follows what was loaded, and reads back the same way:
//!
//! | Field | Loaded | Not loaded |
//! |---|---|---|
//! | `ForeignKey<T>` | the row, as `T` serializes | the key |
//! | `ManyToMany<T>` | a list of rows | `null` (or left out, opt-in) |
//! | `Deferred<T>` | the value | an error (or left out, opt-in) |
//!
//! Leaving a field out instead: `#[serde(default, skip_serializing_if =
//! "ManyToMany::is_not_loaded")]`, `#[serde(default, skip_serializing_if =
//! "Deferred::is_deferred")]`; `default` reads a missing field back as not
//! loaded.
//!
//! A foreign key reads back from either form, so deserializing one needs a
//! self-describing format (JSON, YAML, TOML, MessagePack, …); bincode-like
//! formats that cannot say what comes next are refused with their own
//! error.

use crate::field::{Deferred, ForeignKey, ManyToMany};
use crate::model::Model;
use serde::de::value::{
    BoolDeserializer, BorrowedBytesDeserializer, BorrowedStrDeserializer, BytesDeserializer,
    CharDeserializer, F64Deserializer, I64Deserializer, I128Deserializer, MapAccessDeserializer,
    SeqAccessDeserializer, StrDeserializer, StringDeserializer, U64Deserializer, U128Deserializer,
};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{self, Serialize, Serializer};
use std::marker::PhantomData;

/// The row when it was loaded (`select_related`, `fetch`, or deserialized
/// from an object), otherwise the key: `{"author": 3}` or `{"author":
/// {"id": 3, "name": "ann"}}`. Needs `T: Serialize` even for a key that is
/// never loaded, because which form is written is known only at run time.
impl<T> Serialize for ForeignKey<T>
where
    T: Model + Serialize,
    T::Pk: Serialize,
{
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.loaded() {
            Some(row) => row.serialize(serializer),
            None => self.id().serialize(serializer),
        }
    }
}

/// A key (a number, a string, …) gives an unloaded foreign key; an object
/// (or a sequence, for formats that write structs as one) is read as a `T`,
/// which is kept as the loaded row and whose primary key becomes the key.
impl<'de, T> Deserialize<'de> for ForeignKey<T>
where
    T: Model + Deserialize<'de>,
    T::Pk: Deserialize<'de>,
{
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(KeyOrRow(PhantomData))
    }
}

/// Tells a key from a row by what the format says comes next.
struct KeyOrRow<T>(PhantomData<fn() -> T>);

impl<T: Model> KeyOrRow<T> {
    fn key<'de, D: Deserializer<'de>>(d: D) -> Result<ForeignKey<T>, D::Error>
    where
        T::Pk: Deserialize<'de>,
    {
        T::Pk::deserialize(d).map(ForeignKey::new)
    }

    fn row<'de, D: Deserializer<'de>>(d: D) -> Result<ForeignKey<T>, D::Error>
    where
        T: Deserialize<'de>,
    {
        let row = T::deserialize(d)?;
        let mut fk = ForeignKey::new(row.pk().clone());
        fk.set_loaded(row);
        Ok(fk)
    }
}

impl<'de, T> Visitor<'de> for KeyOrRow<T>
where
    T: Model + Deserialize<'de>,
    T::Pk: Deserialize<'de>,
{
    type Value = ForeignKey<T>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "a key or an object of {}", T::META.name)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Self::key(BoolDeserializer::new(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Self::key(I64Deserializer::new(v))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Self::Value, E> {
        Self::key(I128Deserializer::new(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Self::key(U64Deserializer::new(v))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Self::Value, E> {
        Self::key(U128Deserializer::new(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Self::key(F64Deserializer::new(v))
    }
    fn visit_char<E: de::Error>(self, v: char) -> Result<Self::Value, E> {
        Self::key(CharDeserializer::new(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Self::key(StrDeserializer::new(v))
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Self::key(BorrowedStrDeserializer::new(v))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Self::key(StringDeserializer::new(v))
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Self::Value, E> {
        Self::key(BytesDeserializer::new(v))
    }
    fn visit_borrowed_bytes<E: de::Error>(self, v: &'de [u8]) -> Result<Self::Value, E> {
        Self::key(BorrowedBytesDeserializer::new(v))
    }
    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        Self::row(MapAccessDeserializer::new(map))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        Self::row(SeqAccessDeserializer::new(seq))
    }
}

/// The loaded rows as a list (`[]` when loaded and empty), or `null` when
/// they were not loaded: relation loading does not fill it by itself
/// (`prefetch` returns the rows beside the parent; `set_loaded` stores
/// them here).
impl<T: Serialize> Serialize for ManyToMany<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.loaded().serialize(serializer)
    }
}

/// A list gives loaded rows; `null`, or a missing field, gives a relation
/// that was not loaded.
impl<'de, T: Deserialize<'de> + Send + Sync + 'static> Deserialize<'de> for ManyToMany<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut rel = ManyToMany::default();
        if let Some(rows) = Option::<Vec<T>>::deserialize(deserializer)? {
            rel.set_loaded(rows);
        }
        Ok(rel)
    }
}

impl<T> ManyToMany<T> {
    /// Whether the rows were not loaded: for `#[serde(default,
    /// skip_serializing_if = "ManyToMany::is_not_loaded")]`, which leaves
    /// the field out instead of writing `null`.
    pub fn is_not_loaded(&self) -> bool {
        self.loaded().is_none()
    }
}

/// The error a deferred field that was left out gives.
const DEFERRED_NOT_LOADED: &str = "a Deferred field was left out by defer()/only() and cannot be serialized: \
     load it, or mark the field #[serde(default, skip_serializing_if = \"Deferred::is_deferred\")] to leave it out";

/// The value, as `T` serializes. A field left out by `defer()`/`only()` is
/// an error by default (a missing value is never written as a silent
/// default, and `null` would read back as a loaded `None` for a
/// `Deferred<Option<T>>`); mark it `#[serde(default, skip_serializing_if =
/// "Deferred::is_deferred")]` to leave it out instead.
impl<T: Serialize> Serialize for Deferred<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Deferred::Loaded(v) => v.serialize(serializer),
            Deferred::NotLoaded(_) => Err(ser::Error::custom(DEFERRED_NOT_LOADED)),
        }
    }
}

/// A value gives `Loaded`. A missing field gives `NotLoaded` with
/// `#[serde(default)]`; without it a missing field is serde's error (or
/// `Loaded(None)` for a `Deferred<Option<T>>`, serde's rule for `Option`).
impl<'de, T: Deserialize<'de>> Deserialize<'de> for Deferred<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize(deserializer).map(Deferred::Loaded)
    }
}

impl<T> Deferred<T> {
    /// Whether the value was left out by `defer()`/`only()`: for
    /// `#[serde(default, skip_serializing_if = "Deferred::is_deferred")]`,
    /// which leaves the field out instead of failing.
    pub fn is_deferred(&self) -> bool {
        matches!(self, Deferred::NotLoaded(_))
    }
}
