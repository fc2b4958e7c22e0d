//! The two-person rule that final approvals of acquisitions and output checks share: what counts
//! is how many different people have approved, never how many approvals there are.

/// How many different people will have approved once `who` approves too.
pub fn distinct_after(approved_by: &[i64], who: i64) -> usize {
    let mut distinct: Vec<i64> = approved_by.to_vec();
    distinct.push(who);
    distinct.sort_unstable();
    distinct.dedup();
    distinct.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_person_twice_counts_once() {
        assert_eq!(distinct_after(&[], 9), 1);
        assert_eq!(distinct_after(&[9], 9), 1);
        assert_eq!(distinct_after(&[9, 9], 10), 2);
    }
}
