//! The schema state a migration records: the models' metadata as JSON
//! (`state.json`), read back as the same `ModelMeta` the derive generates,
//! so the DDL of a recorded state is written by the code that writes
//! `create_tables`. Read-back metadata is leaked: a process reads a few
//! states once.

use super::MigrationError;
use orm_core::field::Choices;
use orm_core::model::{
    DefaultValue, FieldMeta, ForeignKeyMeta, IndexExpr, IndexMeta, IndexPart, ManyToManyMeta,
    ModelMeta, OnDelete,
};
use orm_core::value::{ColumnType, Kind};
use serde_json::{Map, Value as Json, json};

/// The schema of a set of models: what one migration leaves.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SchemaState {
    /// The models, in creation order (a table after those it references).
    pub models: Vec<&'static ModelMeta>,
}

impl SchemaState {
    /// The state of `models`.
    pub fn of(models: &[&'static ModelMeta]) -> SchemaState {
        SchemaState {
            models: models.to_vec(),
        }
    }

    /// The model of `table`.
    pub fn table(&self, table: &str) -> Option<&'static ModelMeta> {
        self.models.iter().copied().find(|m| m.table == table)
    }

    /// The automatic join tables, with the model declaring each.
    pub fn join_tables(&self) -> Vec<&'static ManyToManyMeta> {
        self.models
            .iter()
            .flat_map(|m| m.many_to_many.iter())
            .filter(|r| r.auto_created)
            .collect()
    }

    /// The state as pretty JSON, stable for review and diffs.
    pub fn to_json(&self) -> String {
        let tables: Vec<Json> = self.models.iter().map(|m| model_json(m)).collect();
        let mut text = serde_json::to_string_pretty(&json!({ "version": 1, "tables": tables }))
            .unwrap_or_default();
        text.push('\n');
        text
    }

    /// Reads a state written by [`SchemaState::to_json`].
    pub fn from_json(text: &str) -> Result<SchemaState, MigrationError> {
        let bad = |what: &str| MigrationError::BadState(what.to_owned());
        let root: Json = serde_json::from_str(text).map_err(|e| bad(&e.to_string()))?;
        let tables = root["tables"].as_array().ok_or_else(|| bad("no tables"))?;
        let models = tables
            .iter()
            .map(model_from)
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| bad("a table is malformed"))?;
        Ok(SchemaState { models })
    }
}

fn leak(s: &str) -> &'static str {
    Box::leak(s.to_owned().into_boxed_str())
}

fn leak_slice<T>(v: Vec<T>) -> &'static [T] {
    Box::leak(v.into_boxed_slice())
}

fn kind_name(k: Kind) -> &'static str {
    match k {
        Kind::Bool => "bool",
        Kind::I16 => "i16",
        Kind::I32 => "i32",
        Kind::I64 => "i64",
        Kind::F32 => "f32",
        Kind::F64 => "f64",
        Kind::String => "string",
        Kind::Bytes => "bytes",
        Kind::Decimal => "decimal",
        Kind::Date => "date",
        Kind::DateTime => "datetime",
        Kind::DateTimeUtc => "datetime_utc",
        Kind::Time => "time",
        Kind::Duration => "duration",
        Kind::Uuid => "uuid",
        Kind::Json => "json",
    }
}

const KINDS: [Kind; 16] = [
    Kind::Bool,
    Kind::I16,
    Kind::I32,
    Kind::I64,
    Kind::F32,
    Kind::F64,
    Kind::String,
    Kind::Bytes,
    Kind::Decimal,
    Kind::Date,
    Kind::DateTime,
    Kind::DateTimeUtc,
    Kind::Time,
    Kind::Duration,
    Kind::Uuid,
    Kind::Json,
];

fn kind_from(name: &str) -> Option<Kind> {
    KINDS.into_iter().find(|k| kind_name(*k) == name)
}

fn on_delete_name(o: OnDelete) -> &'static str {
    match o {
        OnDelete::Cascade => "cascade",
        OnDelete::SetNull => "set_null",
        OnDelete::Restrict => "restrict",
    }
}

fn on_delete_from(s: &str) -> Option<OnDelete> {
    [OnDelete::Cascade, OnDelete::SetNull, OnDelete::Restrict]
        .into_iter()
        .find(|o| on_delete_name(*o) == s)
}

fn type_json(t: ColumnType) -> Json {
    json!({
        "kind": kind_name(t.kind),
        "max_length": t.max_length,
        "max_digits": t.max_digits,
        "decimal_places": t.decimal_places,
    })
}

fn type_from(v: &Json) -> Option<ColumnType> {
    let n = |key: &str| v[key].as_u64().map(|n| n as u32);
    Some(ColumnType {
        kind: kind_from(v["kind"].as_str()?)?,
        max_length: n("max_length"),
        max_digits: n("max_digits"),
        decimal_places: n("decimal_places"),
    })
}

fn field_json(f: &FieldMeta) -> Json {
    let mut o = Map::new();
    o.insert("name".into(), f.name.into());
    o.insert("column".into(), f.column.into());
    o.insert("type".into(), type_json(f.ty));
    o.insert("nullable".into(), f.nullable.into());
    o.insert("primary_key".into(), f.primary_key.into());
    o.insert("auto_increment".into(), f.auto_increment.into());
    o.insert("unique".into(), f.unique.into());
    o.insert("index".into(), f.index.into());
    o.insert(
        "default".into(),
        match f.default {
            None => Json::Null,
            Some(DefaultValue::Int(i)) => json!({ "int": i }),
            Some(DefaultValue::Float(x)) => json!({ "float": x }),
            Some(DefaultValue::Bool(b)) => json!({ "bool": b }),
            Some(DefaultValue::Text(s)) => json!({ "text": s }),
        },
    );
    o.insert(
        "foreign_key".into(),
        match f.foreign_key {
            None => Json::Null,
            Some(fk) => json!({
                "table": fk.table,
                "column": fk.column,
                "on_delete": on_delete_name(fk.on_delete),
            }),
        },
    );
    o.insert(
        "choices".into(),
        match f.choices {
            Choices::Any => Json::Null,
            Choices::Int(v) => json!({ "int": v }),
            Choices::Text(v) => json!({ "text": v }),
        },
    );
    o.insert("deferrable".into(), f.deferrable.into());
    o.insert("min_value".into(), f.min_value.into());
    o.insert("max_value".into(), f.max_value.into());
    Json::Object(o)
}

fn field_from(v: &Json) -> Option<FieldMeta> {
    let b = |key: &str| v[key].as_bool();
    let d = &v["default"];
    let default = if d.is_null() {
        None
    } else if let Some(i) = d["int"].as_i64() {
        Some(DefaultValue::Int(i))
    } else if let Some(x) = d["float"].as_f64() {
        Some(DefaultValue::Float(x))
    } else if let Some(x) = d["bool"].as_bool() {
        Some(DefaultValue::Bool(x))
    } else {
        Some(DefaultValue::Text(leak(d["text"].as_str()?)))
    };
    let fk = &v["foreign_key"];
    let foreign_key = if fk.is_null() {
        None
    } else {
        Some(ForeignKeyMeta {
            table: leak(fk["table"].as_str()?),
            column: leak(fk["column"].as_str()?),
            on_delete: on_delete_from(fk["on_delete"].as_str()?)?,
        })
    };
    let c = &v["choices"];
    let choices = if c.is_null() {
        Choices::Any
    } else if let Some(list) = c["int"].as_array() {
        Choices::Int(leak_slice(
            list.iter().map(Json::as_i64).collect::<Option<Vec<_>>>()?,
        ))
    } else {
        let list = c["text"].as_array()?;
        Choices::Text(leak_slice(
            list.iter()
                .map(|s| s.as_str().map(leak))
                .collect::<Option<Vec<_>>>()?,
        ))
    };
    Some(FieldMeta {
        name: leak(v["name"].as_str()?),
        column: leak(v["column"].as_str()?),
        ty: type_from(&v["type"])?,
        nullable: b("nullable")?,
        primary_key: b("primary_key")?,
        auto_increment: b("auto_increment")?,
        unique: b("unique")?,
        index: b("index")?,
        default,
        foreign_key,
        choices,
        deferrable: b("deferrable")?,
        min_value: v["min_value"].as_i64(),
        max_value: v["max_value"].as_i64(),
    })
}

fn index_json(i: &IndexMeta) -> Json {
    let parts: Vec<Json> = i
        .parts
        .iter()
        .map(|p| {
            let (expr, column) = match p.expr {
                IndexExpr::Column(c) => ("column", c),
                IndexExpr::Lower(c) => ("lower", c),
                IndexExpr::Upper(c) => ("upper", c),
            };
            json!({ "expr": expr, "column": column, "descending": p.descending })
        })
        .collect();
    json!({ "name": i.name, "unique": i.unique, "parts": parts })
}

fn index_from(v: &Json) -> Option<IndexMeta> {
    let parts = v["parts"]
        .as_array()?
        .iter()
        .map(|p| {
            let column = leak(p["column"].as_str()?);
            let expr = match p["expr"].as_str()? {
                "column" => IndexExpr::Column(column),
                "lower" => IndexExpr::Lower(column),
                "upper" => IndexExpr::Upper(column),
                _ => return None,
            };
            Some(IndexPart {
                expr,
                descending: p["descending"].as_bool()?,
            })
        })
        .collect::<Option<Vec<_>>>()?;
    Some(IndexMeta {
        name: v["name"].as_str().map(leak),
        parts: leak_slice(parts),
        unique: v["unique"].as_bool()?,
    })
}

fn m2m_json(r: &ManyToManyMeta) -> Json {
    json!({
        "name": r.name,
        "through": r.through,
        "auto_created": r.auto_created,
        "source_column": r.source_column,
        "target_column": r.target_column,
        "source_table": r.source_table,
        "source_pk": r.source_pk,
        "target_table": r.target_table,
        "target_pk": r.target_pk,
        "source_pk_type": type_json(r.source_pk_type),
        "target_pk_type": type_json(r.target_pk_type),
        "symmetrical": r.symmetrical,
    })
}

fn m2m_from(v: &Json) -> Option<ManyToManyMeta> {
    let s = |key: &str| v[key].as_str().map(leak);
    Some(ManyToManyMeta {
        name: s("name")?,
        through: s("through")?,
        auto_created: v["auto_created"].as_bool()?,
        source_column: s("source_column")?,
        target_column: s("target_column")?,
        source_table: s("source_table")?,
        source_pk: s("source_pk")?,
        target_table: s("target_table")?,
        target_pk: s("target_pk")?,
        source_pk_type: type_from(&v["source_pk_type"])?,
        target_pk_type: type_from(&v["target_pk_type"])?,
        symmetrical: v["symmetrical"].as_bool()?,
    })
}

fn model_json(m: &ModelMeta) -> Json {
    json!({
        "name": m.name,
        "table": m.table,
        "pk_index": m.pk_index,
        "fields": m.fields.iter().map(field_json).collect::<Vec<_>>(),
        "indexes": m.indexes.iter().map(index_json).collect::<Vec<_>>(),
        "many_to_many": m.many_to_many.iter().map(m2m_json).collect::<Vec<_>>(),
    })
}

fn model_from(v: &Json) -> Option<&'static ModelMeta> {
    let list = |key: &str| v[key].as_array();
    let fields = list("fields")?
        .iter()
        .map(field_from)
        .collect::<Option<Vec<_>>>()?;
    let indexes = list("indexes")?
        .iter()
        .map(index_from)
        .collect::<Option<Vec<_>>>()?;
    let m2m = list("many_to_many")?
        .iter()
        .map(m2m_from)
        .collect::<Option<Vec<_>>>()?;
    let pk_index = usize::try_from(v["pk_index"].as_u64()?).ok()?;
    if pk_index >= fields.len() {
        return None;
    }
    Some(Box::leak(Box::new(ModelMeta {
        name: leak(v["name"].as_str()?),
        table: leak(v["table"].as_str()?),
        fields: leak_slice(fields),
        pk_index,
        indexes: leak_slice(indexes),
        many_to_many: leak_slice(m2m),
    })))
}
