//! Stage 3: code generation from the validated model only. One file per
//! generated thing; everything goes through `::orm_runtime::__private` so the
//! output compiles next to user types named `Result`, `Option` or `Vec`.

pub mod columns;
pub mod db_enum;
pub mod model;
pub mod queryset;

use proc_macro2::TokenStream;
use quote::quote;

use crate::validate::ModelDef;

/// All items for one `#[derive(Model)]`.
pub fn model(def: &ModelDef) -> TokenStream {
    let queryset = queryset::expand(def);
    let columns = columns::expand(def);
    let model = model::expand(def);
    quote! {
        #queryset
        #columns
        #model
    }
}

/// The hidden runtime path.
pub fn private() -> TokenStream {
    quote!(::orm_runtime::__private)
}
