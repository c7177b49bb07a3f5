//! Struct-level `index(..)` and `unique_together(..)`: each key part names
//! a stored column, `lower()`/`upper()` apply to bounded text, a single
//! plain column belongs on the field, and names fit every backend.

use super::{Class, FieldDef, Role, classify, strip_option};
use crate::attr::{IndexInput, IndexTerm};
use darling::Error;
use darling::util::SpannedValue;
use syn::Ident;

/// An `index(..)` or `unique_together(..)`.
pub struct IndexDef {
    /// The declared name and where it was written.
    pub name: Option<SpannedValue<String>>,
    pub parts: Vec<IndexPartDef>,
    pub unique: bool,
}

pub struct IndexPartDef {
    pub column: String,
    pub func: IndexFunc,
    pub descending: bool,
}

/// What a key part applies to its column.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum IndexFunc {
    None,
    Lower,
    Upper,
}

impl IndexFunc {
    fn name(self) -> &'static str {
        match self {
            IndexFunc::None => "",
            IndexFunc::Lower => "lower",
            IndexFunc::Upper => "upper",
        }
    }
}

/// Checks one `index(..)` / `unique_together(..)` (`what` names it)
/// against the fields, reporting every problem; `None` when it has one.
pub(super) fn check(
    input: IndexInput,
    unique: bool,
    what: &str,
    fields: &[FieldDef],
    failed: &[Ident],
    model_name: &str,
    errors: &mut darling::error::Accumulator,
) -> Option<IndexDef> {
    let mut ok = true;
    let mut parts: Vec<IndexPartDef> = Vec::new();
    for part in &input.parts {
        let (func, field) = match &part.term {
            IndexTerm::Field(id) => (IndexFunc::None, id),
            IndexTerm::Call { func, args, .. } => {
                let f = match func.to_string().as_str() {
                    "lower" => IndexFunc::Lower,
                    "upper" => IndexFunc::Upper,
                    "desc" | "asc" => {
                        errors.push(
                            Error::custom(
                                "write `-field` for a descending key part and `field` for an ascending one",
                            )
                            .with_span(func),
                        );
                        ok = false;
                        continue;
                    }
                    other => {
                        errors.push(
                            Error::custom(format!(
                                "unknown index expression `{other}(..)`: expected lower(field) or upper(field)"
                            ))
                            .with_span(func),
                        );
                        ok = false;
                        continue;
                    }
                };
                match args.as_slice() {
                    [IndexTerm::Field(id)] => (f, id),
                    _ => {
                        errors.push(
                            Error::custom(format!(
                                "{func}(..) takes one field name: {func}(field)"
                            ))
                            .with_span(&part.term.span()),
                        );
                        ok = false;
                        continue;
                    }
                }
            }
        };
        let found = fields.iter().find(|f| &f.ident == field);
        let column = match found.map(|f| (&f.role, f)) {
            Some((Role::Column(c), f)) => {
                let text = classify(strip_option(&f.ty).1) == Class::Text;
                if func != IndexFunc::None && !text {
                    errors.push(
                        Error::custom(format!(
                            "{}(..) applies to String fields; `{field}` is not one",
                            func.name()
                        ))
                        .with_span(field),
                    );
                    ok = false;
                } else if text && c.max_length.is_none() {
                    errors.push(
                        Error::custom("indexed String fields need #[orm(max_length = N)] (MySQL cannot index unbounded TEXT)")
                            .with_span(field),
                    );
                    ok = false;
                }
                c.column.clone()
            }
            Some(_) => {
                errors.push(Error::custom("only stored columns can be indexed").with_span(field));
                ok = false;
                continue;
            }
            // Already reported where the field is declared.
            None if failed.contains(field) => {
                ok = false;
                continue;
            }
            None => {
                errors.push(
                    Error::custom(format!("`{field}` is not a field of `{model_name}`"))
                        .with_span(field),
                );
                ok = false;
                continue;
            }
        };
        if parts.iter().any(|p| p.column == column && p.func == func) {
            errors.push(
                Error::custom("this key part appears twice in the index").with_span(&part.span),
            );
            ok = false;
        }
        if func != IndexFunc::None {
            // On MariaDB the expression lives in a generated column of this name.
            let generated = format!("orm_{}_{column}", func.name());
            let taken = fields
                .iter()
                .any(|f| matches!(&f.role, Role::Column(c) if c.column == generated));
            if taken {
                errors.push(
                    Error::custom(format!(
                        "the column name `{generated}` is reserved for this index expression (MariaDB stores it in a generated column of that name)"
                    ))
                    .with_span(&part.span),
                );
                ok = false;
            }
        }
        parts.push(IndexPartDef {
            column,
            func,
            descending: part.descending,
        });
    }
    let plain_one = input.parts.len() == 1
        && !input.parts[0].descending
        && matches!(input.parts[0].term, IndexTerm::Field(_));
    if input.parts.is_empty() || plain_one {
        errors.push(
            Error::custom(format!(
                "{what}(...) needs at least two fields; use #[orm({})] on the field for one",
                if unique { "unique" } else { "index" }
            ))
            .with_span(&input.parts.first().map(|p| p.span).unwrap_or(input.span)),
        );
        ok = false;
    }
    if let Some(name) = &input.name {
        if name.is_empty() {
            errors.push(Error::custom("index name must not be empty").with_span(&name.span()));
            ok = false;
        } else if name.len() > 63 {
            errors.push(
                Error::custom("index name is longer than 63 bytes, PostgreSQL's limit")
                    .with_span(&name.span()),
            );
            ok = false;
        }
    }
    ok.then_some(IndexDef {
        name: input.name,
        parts,
        unique,
    })
}
