//! Compile-fail tests: programs in `ui/` that must be rejected, each with
//! the exact compiler output expected in the `.stderr` file next to it.
//!
//! Regenerate with `TRYBUILD=overwrite cargo test -p orm-tests --test compile_fail`
//! and review every changed `.stderr`.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("ui/*.rs");
}
