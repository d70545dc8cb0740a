//! Listings that come in pages: follow `next_page_token` until the caller's
//! `--limit` is reached or the service says it was the last page.

use std::future::Future;

/// The most any service returns in one page; asking for more is capped.
const MAX_PAGE: u32 = 500;

/// The `--limit` flag of every paged listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::Args)]
pub(crate) struct Limit {
    /// Show at most this many rows; 0 shows all.
    #[arg(long, default_value_t = 100)]
    pub(crate) limit: u32,
}

/// What a listing collected, and whether the service had more.
#[derive(Debug, PartialEq)]
pub(crate) struct Collected<T> {
    pub(crate) items: Vec<T>,
    /// True when rows were left out because of the limit.
    pub(crate) more: bool,
}

/// Calls `fetch(page_token, page_size)` until `limit` items (0: no limit)
/// or the last page; `fetch` answers with the page's items and its
/// `next_page_token`.
pub(crate) async fn collect<T, F, Fut>(limit: u32, mut fetch: F) -> anyhow::Result<Collected<T>>
where
    F: FnMut(String, u32) -> Fut,
    Fut: Future<Output = anyhow::Result<(Vec<T>, String)>>,
{
    let wanted = if limit == 0 {
        usize::MAX
    } else {
        limit as usize
    };
    let mut items = Vec::new();
    let mut token = String::new();
    loop {
        let room = u32::try_from(wanted - items.len()).unwrap_or(MAX_PAGE);
        let (page, next) = fetch(token.clone(), room.min(MAX_PAGE)).await?;
        items.extend(page);
        if items.len() >= wanted {
            let more = items.len() > wanted || !next.is_empty();
            items.truncate(wanted);
            return Ok(Collected { items, more });
        }
        if next.is_empty() {
            return Ok(Collected { items, more: false });
        }
        // A service that hands back the token it was given would keep us
        // here forever.
        anyhow::ensure!(next != token, "the service returned the same page twice");
        token = next;
    }
}

/// The note printed to stderr when a listing was cut short.
pub(crate) fn more_note(shown: usize) -> String {
    format!("showing the first {shown}; pass --limit N (0 for all) to see more")
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;

    /// A service holding the numbers 0..total, `page` at a time at most.
    async fn numbers(
        total: u32,
        page: u32,
        limit: u32,
        calls: &RefCell<Vec<(String, u32)>>,
    ) -> Collected<u32> {
        collect(limit, |token, size| {
            calls.borrow_mut().push((token.clone(), size));
            let start: u32 = token.parse().unwrap_or(0);
            let end = (start + size.min(page)).min(total);
            let next = if end < total {
                end.to_string()
            } else {
                String::new()
            };
            async move { Ok(((start..end).collect(), next)) }
        })
        .await
        .unwrap()
    }

    #[tokio::test]
    async fn follows_pages_up_to_the_limit() {
        let calls = RefCell::new(Vec::new());
        let got = numbers(10, 4, 6, &calls).await;
        assert_eq!(got.items, vec![0, 1, 2, 3, 4, 5]);
        assert!(got.more);
        assert_eq!(
            calls.into_inner(),
            vec![(String::new(), 6), ("4".to_owned(), 2)]
        );
    }

    #[tokio::test]
    async fn stops_at_the_last_page() {
        let calls = RefCell::new(Vec::new());
        let got = numbers(5, 2, 0, &calls).await;
        assert_eq!(got.items, vec![0, 1, 2, 3, 4]);
        assert!(!got.more);
        assert_eq!(calls.borrow().len(), 3);
        assert_eq!(calls.borrow()[0], (String::new(), 500));
    }

    #[tokio::test]
    async fn a_limit_that_ends_exactly_on_the_last_page_has_no_more() {
        let calls = RefCell::new(Vec::new());
        let got = numbers(4, 4, 4, &calls).await;
        assert_eq!(got.items.len(), 4);
        assert!(!got.more);
    }

    #[tokio::test]
    async fn a_repeated_token_is_an_error() {
        let err = collect::<u32, _, _>(0, |_, _| async { Ok((vec![1], "same".to_owned())) })
            .await
            .unwrap_err();
        assert_eq!(err.to_string(), "the service returned the same page twice");
    }
}
