//! How generated records nest into an export request: records keyed by
//! (service, scope, ...) become one resource entry per service holding one
//! scope entry per scope, all in key order.

/// Splits `((outer, inner), item)` entries, sorted by key (as a `BTreeMap`
/// yields them), into one run per `outer` value, keeping the order.
pub(super) fn group_by_outer_key<A: PartialEq, B, T>(
    entries: impl IntoIterator<Item = ((A, B), T)>,
) -> Vec<(A, Vec<(B, T)>)> {
    let mut runs: Vec<(A, Vec<(B, T)>)> = Vec::new();
    for ((outer, inner), item) in entries {
        match runs.last_mut() {
            Some((current, run)) if *current == outer => run.push((inner, item)),
            _ => runs.push((outer, vec![(inner, item)])),
        }
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_follow_the_outer_key() {
        let entries = [
            ((1, 'a'), 10),
            ((1, 'b'), 11),
            ((2, 'a'), 20),
            ((3, 'c'), 30),
        ];
        let runs = group_by_outer_key(entries);
        assert_eq!(
            runs,
            [
                (1, vec![('a', 10), ('b', 11)]),
                (2, vec![('a', 20)]),
                (3, vec![('c', 30)]),
            ]
        );
        assert!(group_by_outer_key(Vec::<((u8, u8), u8)>::new()).is_empty());
    }
}
