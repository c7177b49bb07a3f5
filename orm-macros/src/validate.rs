//! Stage 2: checks the parsed attributes against each other and the field
//! types, fills in defaults (table and column names, the primary key, join
//! tables), and reports every problem at once, each with its span.

mod index;

pub use index::{IndexDef, IndexFunc};

use crate::attr::{FieldInput, IndexInput, ModelInput};
use darling::{Error, Result};
use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{Ident, Type};

/// A validated model, the only input of code generation.
pub struct ModelDef {
    pub ident: Ident,
    pub vis: syn::Visibility,
    pub table: String,
    /// Every struct field, in declaration order.
    pub fields: Vec<FieldDef>,
    /// Index into `fields` of the primary key.
    pub pk: usize,
    /// The struct-level indexes and unique constraints.
    pub indexes: Vec<IndexDef>,
}

pub struct FieldDef {
    pub ident: Ident,
    pub vis: syn::Visibility,
    pub ty: Type,
    pub role: Role,
}

pub enum Role {
    /// A stored column.
    Column(ColumnDef),
    /// A many-to-many relation (no column).
    ManyToMany(ManyToManyDef),
    /// A computed value filled by annotations.
    Annotation,
}

pub struct ColumnDef {
    pub column: String,
    pub primary_key: bool,
    pub auto_increment: bool,
    pub max_length: Option<u32>,
    pub max_digits: Option<u32>,
    pub decimal_places: Option<u32>,
    pub unique: bool,
    pub index: bool,
    pub default: Option<DefaultLit>,
    pub min_value: Option<i64>,
    pub max_value: Option<i64>,
    pub foreign_key: Option<ForeignKeyDef>,
    pub related_name: Option<ReverseName>,
}

/// The name of the reverse handle a relation generates on its target, with
/// the span to report a clash at: the declared `related_name`, else the
/// field.
pub struct ReverseName {
    pub name: String,
    pub span: Span,
    /// Written as `related_name`, not Django's default `<model>_set`.
    pub declared: bool,
}

pub struct ForeignKeyDef {
    pub target: Type,
    pub on_delete: OnDelete,
}

#[derive(Clone, Copy)]
pub enum OnDelete {
    Cascade,
    SetNull,
    Restrict,
}

pub enum DefaultLit {
    Int(i64),
    Float(f64),
    Bool(bool),
    Text(String),
}

pub struct ManyToManyDef {
    pub target: Type,
    pub through: Through,
    pub symmetrical: bool,
    /// The reverse handle on the target: `related_name`, or
    /// `<model>_set` (Django's default); `None` for `related_name = "+"`
    /// and for a symmetrical relation (its own reverse).
    pub related_name: Option<ReverseName>,
}

pub enum Through {
    /// Created with the model: table and column names.
    Auto {
        table: String,
        source_column: String,
        target_column: String,
    },
    /// A model of the user's, with its two foreign-key fields.
    Model {
        path: syn::Path,
        source: Ident,
        target: Ident,
    },
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Int,
    Float,
    Bool,
    Text,
    Decimal,
    ForeignKey,
    ManyToMany,
    Other,
}

fn last_segment(ty: &Type) -> Option<&syn::PathSegment> {
    match ty {
        Type::Path(p) if p.qself.is_none() => p.path.segments.last(),
        _ => None,
    }
}

/// The single generic argument of `Wrapper<T>`.
fn inner_type(ty: &Type) -> Option<&Type> {
    match &last_segment(ty)?.arguments {
        syn::PathArguments::AngleBracketed(a) if a.args.len() == 1 => match a.args.first() {
            Some(syn::GenericArgument::Type(t)) => Some(t),
            _ => None,
        },
        _ => None,
    }
}

fn is_named(ty: &Type, name: &str) -> bool {
    last_segment(ty).is_some_and(|s| s.ident == name)
}

/// Whether a type is written `Option<..>`.
pub fn is_option(ty: &Type) -> bool {
    strip_option(ty).0
}

/// Splits `Option<T>` into (true, T).
fn strip_option(ty: &Type) -> (bool, &Type) {
    if is_named(ty, "Option")
        && let Some(inner) = inner_type(ty)
    {
        return (true, inner);
    }
    (false, ty)
}

fn classify(ty: &Type) -> Class {
    let Some(seg) = last_segment(ty) else {
        return Class::Other;
    };
    match seg.ident.to_string().as_str() {
        "i16" | "i32" | "i64" => Class::Int,
        "f32" | "f64" => Class::Float,
        "bool" => Class::Bool,
        "String" => Class::Text,
        "Decimal" => Class::Decimal,
        "ForeignKey" => Class::ForeignKey,
        "ManyToMany" => Class::ManyToMany,
        _ => Class::Other,
    }
}

/// `BookAuthor` -> `book_author`.
pub fn snake_case(s: &str) -> String {
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if ch.is_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.extend(ch.to_lowercase());
        } else {
            out.push(ch);
        }
    }
    out
}

fn unraw(ident: &Ident) -> String {
    let s = ident.to_string();
    s.strip_prefix("r#").map(str::to_owned).unwrap_or(s)
}

fn path_ident(p: &syn::Path) -> Option<&Ident> {
    p.get_ident()
}

/// Validates a `#[derive(Model)]` input and its separately parsed fields,
/// collecting every error. Fields whose attributes did not parse are
/// reported once and otherwise left out, without follow-on errors.
pub fn model(input: ModelInput, raw_fields: Vec<(Ident, Result<FieldInput>)>) -> Result<ModelDef> {
    let mut errors = Error::accumulator();
    if !input.generics.params.is_empty() {
        errors.push(
            Error::custom("#[derive(Model)] does not support generic structs")
                .with_span(&input.generics),
        );
    }
    let table = match &input.table {
        Some(t) if t.is_empty() => {
            errors.push(Error::custom("table name must not be empty").with_span(&t.span()));
            String::new()
        }
        Some(t) => (**t).clone(),
        None => snake_case(&input.ident.to_string()),
    };
    let model_name = input.ident.to_string();

    let mut fields = Vec::new();
    let mut failed: Vec<Ident> = Vec::new();
    for (name, parsed) in raw_fields {
        match errors.handle(parsed.and_then(|f| field(f, &input.ident, &table))) {
            Some(def) => fields.push(def),
            None => failed.push(name),
        }
    }

    // Primary key: the marked field, else a field named `id`.
    let marked: Vec<usize> = fields
        .iter()
        .enumerate()
        .filter(|(_, f)| matches!(&f.role, Role::Column(c) if c.primary_key))
        .map(|(i, _)| i)
        .collect();
    let pk = match marked.as_slice() {
        [one] => Some(*one),
        [] => {
            let by_name = fields
                .iter()
                .position(|f| f.ident == "id" && matches!(f.role, Role::Column(_)));
            match by_name {
                Some(i) => {
                    let is_int = classify(&fields[i].ty) == Class::Int;
                    if let Role::Column(c) = &mut fields[i].role {
                        c.primary_key = true;
                        c.auto_increment = is_int;
                    }
                    Some(i)
                }
                // A field with errors may be the primary key: say nothing more.
                None if !failed.is_empty() => None,
                None => {
                    errors.push(
                        Error::custom(format!(
                            "model `{model_name}` has no primary key: mark one field #[orm(primary_key)] or add an `id: i64` field"
                        ))
                        .with_span(&input.ident),
                    );
                    None
                }
            }
        }
        [_, rest @ ..] => {
            for i in rest {
                errors.push(
                    Error::custom("only one field can be the primary key")
                        .with_span(&fields[*i].ident),
                );
            }
            Some(marked[0])
        }
    };

    // Duplicate column names.
    let mut seen: Vec<&str> = Vec::new();
    for f in &fields {
        if let Role::Column(c) = &f.role {
            if seen.contains(&c.column.as_str()) {
                errors.push(
                    Error::custom(format!("column name `{}` is used twice", c.column))
                        .with_span(&f.ident),
                );
            }
            seen.push(&c.column);
        }
    }

    reverse_name_clashes(&fields, &mut errors);

    let mut indexes: Vec<IndexDef> = Vec::new();
    for (metas, unique, what) in [
        (&input.index, false, "index"),
        (&input.unique_together, true, "unique_together"),
    ] {
        for meta in metas {
            let Some(parsed) = errors.handle(IndexInput::parse(meta, what)) else {
                continue;
            };
            if let Some(def) = index::check(
                parsed,
                unique,
                what,
                &fields,
                &failed,
                &model_name,
                &mut errors,
            ) {
                indexes.push(def);
            }
        }
    }
    let mut names: Vec<&str> = Vec::new();
    for name in indexes.iter().filter_map(|i| i.name.as_ref()) {
        if names.contains(&name.as_str()) {
            errors.push(
                Error::custom(format!("index name `{}` is used twice", name.as_str()))
                    .with_span(&name.span()),
            );
        }
        names.push(name.as_str());
    }

    errors.finish()?;
    Ok(ModelDef {
        ident: input.ident,
        vis: input.vis,
        table,
        fields,
        pk: pk.unwrap_or(0),
        indexes,
    })
}

fn field(f: FieldInput, model: &Ident, table: &str) -> Result<FieldDef> {
    let mut errors = Error::accumulator();
    let ident = f
        .ident
        .clone()
        .ok_or_else(|| Error::custom("fields must be named"))?;
    let (nullable, base) = strip_option(&f.ty);
    let class = classify(base);

    // Attributes that belong only to some kinds of field.
    let only =
        |errors: &mut darling::error::Accumulator, present: Option<Span>, ok: bool, msg: &str| {
            if let (Some(span), false) = (present, ok) {
                errors.push(Error::custom(msg).with_span(&span));
            }
        };

    if f.annotation.is_present() {
        let others = f.column.is_some()
            || f.primary_key.is_present()
            || f.unique.is_present()
            || f.index.is_present()
            || f.max_length.is_some()
            || f.default.is_some();
        if others {
            errors.push(
                Error::custom("#[orm(annotation)] fields are computed, not stored: remove the column attributes")
                    .with_span(&f.annotation.span()),
            );
        }
        return errors.finish_with(FieldDef {
            ident,
            vis: f.vis,
            ty: f.ty,
            role: Role::Annotation,
        });
    }

    if class == Class::ManyToMany {
        let target = match inner_type(base) {
            Some(t) => t.clone(),
            None => return Err(Error::custom("expected ManyToMany<Target>").with_span(&f.ty)),
        };
        if nullable {
            errors.push(Error::custom("ManyToMany fields cannot be Option").with_span(&f.ty));
        }
        for (present, name) in [
            (f.column.as_ref().map(|c| c.span()), "column"),
            (
                f.primary_key.is_present().then(|| f.primary_key.span()),
                "primary_key",
            ),
            (f.unique.is_present().then(|| f.unique.span()), "unique"),
            (f.index.is_present().then(|| f.index.span()), "index"),
            (f.max_length.as_ref().map(|c| c.span()), "max_length"),
            (f.on_delete.as_ref().map(|c| c.span()), "on_delete"),
        ] {
            if let Some(span) = present {
                errors.push(
                    Error::custom(format!("`{name}` does not apply to a ManyToMany field"))
                        .with_span(&span),
                );
            }
        }
        let self_ref = is_named(&target, &model.to_string());
        let symmetrical = match &f.symmetrical {
            Some(s) if **s && !self_ref => {
                errors.push(
                    Error::custom("symmetrical applies only to a relation of a model to itself")
                        .with_span(&s.span()),
                );
                false
            }
            Some(s) => **s,
            None => self_ref,
        };
        let through = match (&f.through, &f.through_fields) {
            (Some(path), Some(tf)) => {
                let ids: Vec<_> = tf.iter().filter_map(path_ident).cloned().collect();
                if ids.len() != 2 {
                    errors.push(
                        Error::custom("through_fields(source, target) names two foreign-key fields of the through model")
                            .with_span(&tf.span()),
                    );
                    None
                } else {
                    if symmetrical {
                        errors.push(
                            Error::custom("a symmetrical relation uses an automatic join table; remove `through`")
                                .with_span(path),
                        );
                    }
                    Some(Through::Model {
                        path: path.clone(),
                        source: ids[0].clone(),
                        target: ids[1].clone(),
                    })
                }
            }
            (Some(path), None) => {
                errors.push(
                    Error::custom("`through` needs `through_fields(source, target)` naming the through model's two foreign keys")
                        .with_span(path),
                );
                None
            }
            (None, Some(tf)) => {
                errors.push(
                    Error::custom("`through_fields` needs `through = Model`").with_span(&tf.span()),
                );
                None
            }
            (None, None) => {
                let target_name = last_segment(&target)
                    .map(|s| snake_case(&s.ident.to_string()))
                    .unwrap_or_default();
                let (source_column, target_column) = if self_ref {
                    (
                        format!("from_{target_name}_id"),
                        format!("to_{target_name}_id"),
                    )
                } else {
                    (
                        format!("{}_id", snake_case(&model.to_string())),
                        format!("{target_name}_id"),
                    )
                };
                Some(Through::Auto {
                    table: format!("{table}_{}", unraw(&ident)),
                    source_column,
                    target_column,
                })
            }
        };
        let def = through.map(|through| FieldDef {
            ident: ident.clone(),
            vis: f.vis.clone(),
            ty: f.ty.clone(),
            role: Role::ManyToMany(ManyToManyDef {
                target,
                through,
                symmetrical,
                related_name: if symmetrical {
                    None
                } else {
                    reverse_name(f.related_name.as_ref(), model, &ident)
                },
            }),
        });
        errors.finish()?;
        return def.ok_or_else(|| Error::custom("invalid ManyToMany field").with_span(&ident));
    }

    // A stored column.
    let is_fk = class == Class::ForeignKey;
    let m2m_only = [
        (f.through.as_ref().map(|p| p.span()), "through"),
        (
            f.through_fields.as_ref().map(|p| p.span()),
            "through_fields",
        ),
        (f.symmetrical.as_ref().map(|p| p.span()), "symmetrical"),
    ];
    for (present, name) in m2m_only {
        if let Some(span) = present {
            errors.push(
                Error::custom(format!("`{name}` applies only to ManyToMany fields"))
                    .with_span(&span),
            );
        }
    }
    only(
        &mut errors,
        f.related_name.as_ref().map(|s| s.span()),
        is_fk,
        "`related_name` applies only to ForeignKey and ManyToMany fields",
    );
    only(
        &mut errors,
        f.on_delete.as_ref().map(|s| s.span()),
        is_fk,
        "`on_delete` applies only to ForeignKey fields",
    );
    only(
        &mut errors,
        f.max_length.as_ref().map(|s| s.span()),
        class == Class::Text,
        "`max_length` applies only to String fields",
    );
    only(
        &mut errors,
        f.max_digits.as_ref().map(|s| s.span()),
        class == Class::Decimal,
        "`max_digits` applies only to Decimal fields",
    );
    only(
        &mut errors,
        f.decimal_places.as_ref().map(|s| s.span()),
        class == Class::Decimal,
        "`decimal_places` applies only to Decimal fields",
    );
    only(
        &mut errors,
        f.min_value.as_ref().map(|s| s.span()),
        class == Class::Int,
        "`min_value` applies only to integer fields",
    );
    only(
        &mut errors,
        f.max_value.as_ref().map(|s| s.span()),
        class == Class::Int,
        "`max_value` applies only to integer fields",
    );

    if let (Some(lo), Some(hi)) = (&f.min_value, &f.max_value)
        && **lo > **hi
    {
        errors.push(Error::custom("min_value is greater than max_value").with_span(&lo.span()));
    }

    if class == Class::Decimal {
        match (&f.max_digits, &f.decimal_places) {
            (Some(d), Some(p)) => {
                if **p > **d {
                    errors.push(
                        Error::custom("decimal_places cannot exceed max_digits")
                            .with_span(&p.span()),
                    );
                }
                if **d == 0 || **d > 38 {
                    errors.push(
                        Error::custom("max_digits must be between 1 and 38").with_span(&d.span()),
                    );
                }
            }
            _ => errors.push(
                Error::custom("Decimal fields need #[orm(max_digits = N, decimal_places = M)]")
                    .with_span(&f.ty),
            ),
        }
    }

    if class == Class::Text
        && f.max_length.is_none()
        && (f.unique.is_present() || f.index.is_present() || f.primary_key.is_present())
    {
        errors.push(
            Error::custom("unique, indexed or primary-key String fields need #[orm(max_length = N)] (MySQL cannot index unbounded TEXT)")
                .with_span(&f.ty),
        );
    }
    if let Some(m) = &f.max_length
        && **m == 0
    {
        errors.push(Error::custom("max_length must be at least 1").with_span(&m.span()));
    }

    let primary_key = f.primary_key.is_present();
    if primary_key {
        if nullable {
            errors.push(Error::custom("the primary key cannot be Option").with_span(&f.ty));
        }
        if is_fk {
            errors.push(Error::custom("a ForeignKey cannot be the primary key").with_span(&f.ty));
        }
    }
    let auto_increment = match &f.auto_increment {
        Some(a) if !primary_key => {
            errors.push(
                Error::custom("`auto_increment` applies only to the primary key")
                    .with_span(&a.span()),
            );
            false
        }
        Some(a) if **a && class != Class::Int => {
            errors.push(
                Error::custom("only integer primary keys can auto-increment").with_span(&a.span()),
            );
            false
        }
        Some(a) => **a,
        None => primary_key && class == Class::Int,
    };

    let on_delete = match &f.on_delete {
        // Django makes every foreign key state its rule; a nullable one is
        // where a silent CASCADE surprises most (deleting a parent deletes
        // rows that could have kept a NULL), so it must be stated.
        None if is_fk && nullable => {
            errors.push(
                Error::custom(
                    "a nullable foreign key must state what deleting its target does: \
                     add #[orm(on_delete = \"cascade\")], #[orm(on_delete = \"set_null\")] \
                     or #[orm(on_delete = \"restrict\")]",
                )
                .with_span(&f.ty),
            );
            OnDelete::Cascade
        }
        None => OnDelete::Cascade,
        Some(s) => match s.as_str() {
            "cascade" => OnDelete::Cascade,
            "restrict" => OnDelete::Restrict,
            "set_null" => {
                if !nullable {
                    errors.push(
                        Error::custom(
                            "on_delete = \"set_null\" needs an Option<ForeignKey<..>> field",
                        )
                        .with_span(&s.span()),
                    );
                }
                OnDelete::SetNull
            }
            other => {
                errors.push(
                    Error::custom(format!(
                        "unknown on_delete `{other}`: expected \"cascade\", \"set_null\" or \"restrict\""
                    ))
                    .with_span(&s.span()),
                );
                OnDelete::Cascade
            }
        },
    };
    let foreign_key = if is_fk {
        match inner_type(base) {
            Some(t) => Some(ForeignKeyDef {
                target: t.clone(),
                on_delete,
            }),
            None => {
                errors.push(Error::custom("expected ForeignKey<Target>").with_span(&f.ty));
                None
            }
        }
    } else {
        None
    };

    let default = f
        .default
        .as_ref()
        .and_then(|e| match default_lit(&e.0, class) {
            Ok(d) => Some(d),
            Err(e) => {
                errors.push(e);
                None
            }
        });

    let column = match &f.column {
        Some(c) if c.is_empty() => {
            errors.push(Error::custom("column name must not be empty").with_span(&c.span()));
            String::new()
        }
        Some(c) => (**c).clone(),
        None if is_fk => format!("{}_id", unraw(&ident)),
        None => unraw(&ident),
    };

    errors.finish()?;
    let related_name = reverse_name(f.related_name.as_ref(), model, &ident);
    Ok(FieldDef {
        ident,
        vis: f.vis,
        ty: f.ty,
        role: Role::Column(ColumnDef {
            column,
            primary_key,
            auto_increment,
            max_length: f.max_length.map(|v| *v),
            max_digits: f.max_digits.map(|v| *v),
            decimal_places: f.decimal_places.map(|v| *v),
            unique: f.unique.is_present(),
            index: f.index.is_present(),
            default,
            min_value: f.min_value.map(|v| *v),
            max_value: f.max_value.map(|v| *v),
            foreign_key,
            related_name,
        }),
    })
}

fn default_lit(e: &syn::Expr, class: Class) -> Result<DefaultLit> {
    let mismatch = || Error::custom("the default does not match the field's type").with_span(e);
    let (neg, lit) = match e {
        syn::Expr::Lit(l) => (false, &l.lit),
        syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Neg(_)) => match &*u.expr {
            syn::Expr::Lit(l) => (true, &l.lit),
            _ => return Err(Error::custom("default must be a literal").with_span(e)),
        },
        _ => return Err(Error::custom("default must be a literal").with_span(e)),
    };
    match (lit, class) {
        (syn::Lit::Int(i), Class::Int) => {
            let v: i64 = i.base10_parse()?;
            Ok(DefaultLit::Int(if neg { -v } else { v }))
        }
        (syn::Lit::Float(x), Class::Float) | (syn::Lit::Float(x), Class::Decimal) => {
            let v: f64 = x.base10_parse()?;
            Ok(DefaultLit::Float(if neg { -v } else { v }))
        }
        (syn::Lit::Int(i), Class::Float) | (syn::Lit::Int(i), Class::Decimal) => {
            let v: i64 = i.base10_parse()?;
            Ok(DefaultLit::Int(if neg { -v } else { v }))
        }
        (syn::Lit::Bool(b), Class::Bool) if !neg => Ok(DefaultLit::Bool(b.value)),
        (syn::Lit::Str(s), Class::Text) if !neg => Ok(DefaultLit::Text(s.value())),
        _ => Err(mismatch()),
    }
}

/// The name of the reverse handle a relation field generates on its
/// target: the declared `related_name`, or Django's default `<model>_set`
/// (the model name in lower case); none for `related_name = "+"`.
fn reverse_name(
    declared: Option<&darling::util::SpannedValue<String>>,
    model: &syn::Ident,
    field: &syn::Ident,
) -> Option<ReverseName> {
    match declared {
        Some(name) if name.as_str() == "+" => None,
        Some(name) => Some(ReverseName {
            name: (**name).clone(),
            span: name.span(),
            declared: true,
        }),
        None => Some(ReverseName {
            name: format!("{}_set", model.to_string().to_lowercase()),
            span: field.span(),
            declared: false,
        }),
    }
}

/// Two relations of one model to the same target must not give it two
/// reverse handles of one name (they would be two definitions of one
/// associated constant, reported by rustc without the cause).
fn reverse_name_clashes(fields: &[FieldDef], errors: &mut darling::error::Accumulator) {
    let mut seen: Vec<(String, &ReverseName, &Ident)> = Vec::new();
    for f in fields {
        let (target, reverse) = match &f.role {
            Role::Column(ColumnDef {
                foreign_key: Some(fk),
                related_name: Some(r),
                ..
            }) => (&fk.target, r),
            Role::ManyToMany(ManyToManyDef {
                target,
                related_name: Some(r),
                ..
            }) => (target, r),
            _ => continue,
        };
        let target_key = quote::ToTokens::to_token_stream(target).to_string();
        let earlier = seen
            .iter()
            .find(|(t, r, _)| *t == target_key && r.name == reverse.name);
        if let Some((_, _, first)) = earlier {
            let target_name = target_key.replace(' ', "");
            let msg = if reverse.declared {
                format!(
                    "related_name `{}` is used by both `{first}` and `{}`: each relation to `{target_name}` needs its own reverse name on `{target_name}`",
                    reverse.name, f.ident
                )
            } else {
                format!(
                    "`{first}` and `{}` both refer to `{target_name}` and both get the default reverse name `{}`: give them distinct `related_name`s (or `related_name = \"+\"` for none)",
                    f.ident, reverse.name
                )
            };
            errors.push(Error::custom(msg).with_span(&reverse.span));
        }
        seen.push((target_key, reverse, &f.ident));
    }
}
