//! Keyset pagination: a list is read a page at a time in a stable order, continuing after the
//! last row shown. Unlike an offset, the cost of a page does not grow with how far in it is, and
//! rows added meanwhile neither repeat nor vanish between pages.
//!
//! Every paged list in the portal continues from a row id: the store orders by a column and the
//! id (or the id alone), and compares against the row with that id.

use serde::{Deserialize, Serialize};

/// Rows per page in the portal's lists.
pub const PAGE_SIZE: usize = 50;

/// One page of a list, and the row id to continue after when there is more.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<i64>,
}

impl<T> Page<T> {
    /// From up to `size + 1` rows read in order: the extra row is not shown, it only says
    /// there is more.
    pub fn from_rows(mut rows: Vec<T>, size: usize, id: impl Fn(&T) -> i64) -> Page<T> {
        let more = rows.len() > size;
        rows.truncate(size);
        let next = if more { rows.last().map(id) } else { None };
        Page { items: rows, next }
    }
}

/// How many rows a store reads for one page: one more than it shows.
pub fn fetch_limit(size: usize) -> i64 {
    size as i64 + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_extra_row_says_there_is_more_and_is_not_shown() {
        let page = Page::from_rows(vec![5, 4, 3], 2, |n| *n);
        assert_eq!(page.items, vec![5, 4]);
        assert_eq!(
            page.next,
            Some(4),
            "the next page continues after the last shown"
        );
        let last = Page::from_rows(vec![2, 1], 2, |n| *n);
        assert_eq!((last.items.len(), last.next), (2, None));
        let empty = Page::from_rows(Vec::<i64>::new(), 2, |n| *n);
        assert_eq!(empty.next, None);
    }
}
