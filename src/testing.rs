//! Helpers for the unit tests' tables, compiled only for tests.

use std::fmt::Debug;

/// Runs `f` on every row's input and reports every row whose result
/// differs, by name, so that one run shows them all.
pub fn check<E: Debug, R: PartialEq<E> + Debug>(cases: &[(&str, &str, E)], f: impl Fn(&str) -> R) {
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|(name, input, expected)| {
            let got = f(input);
            (got != *expected).then(|| format!("{name}: {input:?} gave {got:?}, expected {expected:?}"))
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
