//! `impl Model`: primary key access, column values, positional row decoding,
//! and the static schema metadata (`META`).

use super::private;
use crate::validate::{DefaultLit, IndexFunc, ModelDef, OnDelete, Role, Through};
use proc_macro2::TokenStream;
use quote::quote;

pub fn expand(def: &ModelDef) -> TokenStream {
    let p = private();
    let model = &def.ident;
    let name = model.to_string();
    let qs = quote::format_ident!("{}QuerySet", model);
    let outer = quote::format_ident!("{}Outer", model);
    let table = &def.table;
    let pk_field = &def.fields[def.pk];
    let pk_ident = &pk_field.ident;
    let pk_ty = &pk_field.ty;

    let mut field_metas = Vec::new();
    let mut values = Vec::new();
    let mut decode = Vec::new();
    let mut m2m_metas = Vec::new();
    let mut pk_index = 0usize;
    let mut column_index = 0usize;
    let mut annotation_arms = Vec::new();
    let mut annotation_names = Vec::new();
    let mut load_arms = Vec::new();
    let mut loaded = Vec::new();
    let mut loaded_arms = Vec::new();

    for f in &def.fields {
        let ident = &f.ident;
        let ty = &f.ty;
        match &f.role {
            Role::Column(c) => {
                if c.primary_key {
                    pk_index = column_index;
                }
                column_index += 1;
                let field_name = ident.to_string();
                let column = &c.column;
                let mut overrides = Vec::new();
                if let Some(n) = c.max_length {
                    overrides.push(quote!(max_length: ::core::option::Option::Some(#n),));
                }
                if let (Some(d), Some(s)) = (c.max_digits, c.decimal_places) {
                    overrides.push(quote!(
                        max_digits: ::core::option::Option::Some(#d),
                        decimal_places: ::core::option::Option::Some(#s),
                    ));
                }
                let col_ty =
                    quote!(#p::ColumnType { #(#overrides)* ..<#ty as #p::FieldType>::COLUMN_TYPE });
                let default = match &c.default {
                    None => quote!(::core::option::Option::None),
                    Some(DefaultLit::Int(v)) => {
                        quote!(::core::option::Option::Some(#p::DefaultValue::Int(#v)))
                    }
                    Some(DefaultLit::Float(v)) => {
                        quote!(::core::option::Option::Some(#p::DefaultValue::Float(#v)))
                    }
                    Some(DefaultLit::Bool(v)) => {
                        quote!(::core::option::Option::Some(#p::DefaultValue::Bool(#v)))
                    }
                    Some(DefaultLit::Text(v)) => {
                        quote!(::core::option::Option::Some(#p::DefaultValue::Text(#v)))
                    }
                };
                let fk = match &c.foreign_key {
                    None => quote!(::core::option::Option::None),
                    Some(fk) => {
                        let target = &fk.target;
                        let rule = match fk.on_delete {
                            OnDelete::Cascade => quote!(#p::OnDelete::Cascade),
                            OnDelete::SetNull => quote!(#p::OnDelete::SetNull),
                            OnDelete::Restrict => quote!(#p::OnDelete::Restrict),
                        };
                        quote!(::core::option::Option::Some(#p::ForeignKeyMeta {
                            table: #target::__ORM_TABLE,
                            column: #target::__ORM_PK_COLUMN,
                            on_delete: #rule,
                        }))
                    }
                };
                let opt_i64 = |v: Option<i64>| match v {
                    Some(v) => quote!(::core::option::Option::Some(#v)),
                    None => quote!(::core::option::Option::None),
                };
                let min_value = opt_i64(c.min_value);
                let max_value = opt_i64(c.max_value);
                let (pk, auto, unique, index) =
                    (c.primary_key, c.auto_increment, c.unique, c.index);
                field_metas.push(quote! {
                    #p::FieldMeta {
                        name: #field_name,
                        column: #column,
                        ty: #col_ty,
                        nullable: <#ty as #p::FieldType>::NULLABLE,
                        primary_key: #pk,
                        auto_increment: #auto,
                        unique: #unique,
                        index: #index,
                        default: #default,
                        foreign_key: #fk,
                                                choices: <#ty as #p::FieldType>::CHOICES,
                        deferrable: <#ty as #p::FieldType>::DEFERRABLE,
                        min_value: #min_value,
                        max_value: #max_value,
                    }
                });
                values.push(quote!(#p::FieldType::to_value(&self.#ident)));
                loaded.push(quote!(#p::FieldType::is_loaded(&self.#ident)));
                if c.foreign_key.is_some() {
                    let (opt, opt_mut) = if crate::validate::is_option(ty) {
                        (
                            quote!(self.#ident.as_mut()),
                            quote!(self.#ident.as_mut().and_then(|fk| fk.loaded_mut())),
                        )
                    } else {
                        (
                            quote!(::core::option::Option::Some(&mut self.#ident)),
                            quote!(self.#ident.loaded_mut()),
                        )
                    };
                    load_arms.push(quote!(#column => #p::load_into(#opt, r),));
                    loaded_arms
                        .push(quote!(#column => #opt_mut.map(|m| m as &mut dyn #p::Related),));
                }
                decode.push(quote!(#ident: #p::decode_stored::<#ty, R>(
                    r,
                    &#p::FieldName { model: #name, field: #field_name },
                    #column,
                )?));
            }
            Role::ManyToMany(m) => {
                let target = &m.target;
                let field_name = ident.to_string();
                let symmetrical = m.symmetrical;
                let (through, auto, source_column, target_column) = match &m.through {
                    Through::Auto {
                        table,
                        source_column,
                        target_column,
                    } => (
                        quote!(#table),
                        true,
                        quote!(#source_column),
                        quote!(#target_column),
                    ),
                    Through::Model {
                        path,
                        source,
                        target,
                    } => {
                        let s = quote::format_ident!("__ORM_COL_{}", source);
                        let t = quote::format_ident!("__ORM_COL_{}", target);
                        (
                            quote!(#path::__ORM_TABLE),
                            false,
                            quote!(#path::#s),
                            quote!(#path::#t),
                        )
                    }
                };
                m2m_metas.push(quote! {
                    #p::ManyToManyMeta {
                        name: #field_name,
                        through: #through,
                        auto_created: #auto,
                        source_column: #source_column,
                        target_column: #target_column,
                        source_table: #table,
                        source_pk: #model::__ORM_PK_COLUMN,
                        target_table: #target::__ORM_TABLE,
                        target_pk: #target::__ORM_PK_COLUMN,
                        source_pk_type: <#pk_ty as #p::FieldType>::COLUMN_TYPE,
                        target_pk_type: <<#target as #p::Model>::Pk as #p::FieldType>::COLUMN_TYPE,
                        symmetrical: #symmetrical,
                    }
                });
                decode.push(quote!(#ident: ::core::default::Default::default()));
            }
            Role::Annotation => {
                decode.push(quote!(#ident: ::core::default::Default::default()));
                let index = annotation_arms.len() as u16;
                let field_name = ident.to_string();
                annotation_names.push(field_name.clone());
                annotation_arms.push(quote! {
                    #index => {
                        self.#ident = #p::decode_field::<#ty, R>(r, #name, #field_name)?;
                        ::core::result::Result::Ok(())
                    }
                });
            }
        }
    }

    let decode_annotation = (!annotation_arms.is_empty()).then(|| {
        quote! {
            const ANNOTATIONS: &'static [&'static str] = &[#(#annotation_names),*];

            fn decode_annotation<R: #p::RowReader + ?Sized>(
                &mut self,
                index: u16,
                r: &mut R,
            ) -> ::core::result::Result<(), #p::DecodeError> {
                match index {
                    #(#annotation_arms)*
                    _ => ::core::result::Result::Err(#p::DecodeError {
                        model: #name,
                        column: "annotation",
                        expected: "an #[orm(annotation)] field",
                        message: ::std::format!("no annotation field number {}", index),
                    }),
                }
            }
        }
    });

    let indexes = def.indexes.iter().map(|idx| {
        let name = match &idx.name {
            Some(n) => {
                let n = n.as_str();
                quote!(::core::option::Option::Some(#n))
            }
            None => quote!(::core::option::Option::None),
        };
        let parts = idx.parts.iter().map(|part| {
            let column = &part.column;
            let expr = match part.func {
                IndexFunc::None => quote!(#p::IndexExpr::Column(#column)),
                IndexFunc::Lower => quote!(#p::IndexExpr::Lower(#column)),
                IndexFunc::Upper => quote!(#p::IndexExpr::Upper(#column)),
            };
            let descending = part.descending;
            quote!(#p::IndexPart { expr: #expr, descending: #descending })
        });
        let unique = idx.unique;
        quote!(#p::IndexMeta { name: #name, parts: &[#(#parts),*], unique: #unique })
    });

    quote! {
        const _: () = {
            #[automatically_derived]
            impl #p::Model for #model {
                type Pk = #pk_ty;
                type QuerySet = #qs;
                type Outer = #outer;
                const META: &'static #p::ModelMeta = &#p::ModelMeta {
                    name: #name,
                    table: #table,
                    fields: &[#(#field_metas),*],
                    pk_index: #pk_index,
                    indexes: &[#(#indexes),*],
                    many_to_many: &[#(#m2m_metas),*],
                };

                #[inline]
                fn pk(&self) -> &#pk_ty {
                    &self.#pk_ident
                }

                #[inline]
                fn set_pk(&mut self, pk: #pk_ty) {
                    self.#pk_ident = pk;
                }

                                fn values(&self) -> ::std::vec::Vec<#p::Value> {
                    ::std::vec![#(#values),*]
                }

                fn loaded(&self) -> ::std::vec::Vec<bool> {
                    ::std::vec![#(#loaded),*]
                }

                fn decode_row<R: #p::RowReader + ?Sized>(
                    r: &mut R,
                ) -> ::core::result::Result<Self, #p::DecodeError> {
                    ::core::result::Result::Ok(#model { #(#decode),* })
                }

                #decode_annotation
            }

                        #[automatically_derived]
            impl #p::Related for #model {
                fn load_fk(
                    &mut self,
                    fk_column: &str,
                    r: &mut dyn #p::RowReader,
                ) -> ::core::result::Result<::core::option::Option<&mut dyn #p::Related>, #p::DecodeError> {
                    let _ = &r;
                    match fk_column {
                        #(#load_arms)*
                        _ => ::core::result::Result::Ok(::core::option::Option::None),
                    }
                }
                fn loaded_fk(&mut self, fk_column: &str) -> ::core::option::Option<&mut dyn #p::Related> {
                    match fk_column {
                        #(#loaded_arms)*
                        _ => ::core::option::Option::None,
                    }
                }
            }

            #[automatically_derived]
            impl<M> #p::IntoExpr<M, #p::Key<#model>> for &#model {
                type Nullability = #p::NotNull;
                fn into_node(self) -> #p::ExprNode {
                    #p::ExprNode::Value(#p::FieldType::to_value(&self.#pk_ident))
                }
            }
        };
    }
}
