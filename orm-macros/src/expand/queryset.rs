//! The `<Model>QuerySet` type: a newtype over `QuerySet<Model>` that users
//! extend with their own `impl` blocks.

use super::private;
use crate::validate::ModelDef;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

pub fn expand(def: &ModelDef) -> TokenStream {
    let p = private();
    let model = &def.ident;
    let vis = &def.vis;
    let qs = format_ident!("{}QuerySet", model);
    let doc = format!(
        "The queryset of [`{model}`]: lazy and cloneable. Add your own methods with `impl {qs} {{ .. }}`; \
         the chainable methods come from `QuerySetBuilder`, the terminal ones from `QuerySetExt`."
    );
    quote! {
        #[doc = #doc]
        #[derive(Clone)]
        #vis struct #qs(#p::QuerySet<#model>);

        const _: () = {
            #[automatically_derived]
            impl #p::QuerySetBuilder for #qs {
                type Model = #model;
                type Row = #model;
                #[inline]
                fn decode_row<R: #p::RowReader + ?Sized>(
                    qs: &#p::QuerySet<#model>,
                    r: &mut R,
                ) -> ::core::result::Result<#model, #p::DecodeError> {
                    #p::decode_model(qs, r)
                }
                #[inline]
                fn from_queryset(qs: #p::QuerySet<#model>) -> Self {
                    #qs(qs)
                }
                #[inline]
                fn as_queryset(&self) -> &#p::QuerySet<#model> {
                    &self.0
                }
                #[inline]
                fn into_queryset(self) -> #p::QuerySet<#model> {
                    self.0
                }
            }

            #[automatically_derived]
            impl ::core::fmt::Debug for #qs {
                fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                    ::core::fmt::Debug::fmt(&self.0, f)
                }
            }
        };
    }
}
