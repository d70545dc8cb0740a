//! Retries with growing delay, honouring `Retry-After`, on top of `backon`.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime};

use backon::{ExponentialBuilder, Retryable};
use reqwest::header::{HeaderMap, RETRY_AFTER};

use crate::config::RetryPolicy;
use crate::error::Failure;

/// How one attempt ended when it did not succeed.
#[derive(Debug)]
pub(crate) enum Attempt {
    /// Worth another try: 429, 5xx, a connection that failed or broke.
    Retry {
        reason: String,
        after: Option<Duration>,
    },
    /// Final: another try would get the same answer.
    Fail(Failure),
}

/// Runs `attempt` until it succeeds, fails for good, or the policy's
/// attempts run out; then the error says the registry was unavailable and
/// why. `what` names the request in logs.
pub(crate) async fn run<T, F, Fut>(
    policy: &RetryPolicy,
    what: &str,
    attempt: F,
) -> Result<T, Failure>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Attempt>>,
{
    let made = AtomicU32::new(0);
    let mut attempt = attempt;
    let counted = || {
        made.fetch_add(1, Ordering::Relaxed);
        attempt()
    };
    let backoff = ExponentialBuilder::default()
        .with_min_delay(policy.first_delay)
        .with_max_delay(policy.max_delay)
        .with_max_times(policy.max_attempts.saturating_sub(1) as usize)
        .with_jitter();
    let outcome = counted
        .retry(backoff)
        .sleep(tokio::time::sleep)
        .when(|e| matches!(e, Attempt::Retry { .. }))
        .adjust(|e, delay| next_delay(policy, e, delay))
        .notify(|e, delay| {
            if let Attempt::Retry { reason, .. } = e {
                tracing::debug!(request = what, %reason, ?delay, "registry request failed, retrying");
            }
        })
        .await;
    outcome.map_err(|e| match e {
        Attempt::Fail(failure) => failure,
        Attempt::Retry { reason, after } => {
            let attempts = made.load(Ordering::Relaxed);
            let detail = match after {
                Some(after) if after > policy.max_retry_after => format!(
                    "{reason}, and it asked to retry after {}s, longer than the {}s we wait",
                    after.as_secs(),
                    policy.max_retry_after.as_secs()
                ),
                _ => format!("{reason} (gave up after {attempts} attempts)"),
            };
            tracing::warn!(request = what, %detail, "registry unavailable, giving up");
            Failure::Unavailable(detail)
        }
    })
}

/// The pause before the next attempt: the growing delay, or the
/// registry's `Retry-After` when that is longer; `None` to give up.
fn next_delay(policy: &RetryPolicy, e: &Attempt, delay: Option<Duration>) -> Option<Duration> {
    let delay = delay?;
    match e {
        Attempt::Retry {
            after: Some(after), ..
        } if *after > policy.max_retry_after => None,
        Attempt::Retry {
            after: Some(after), ..
        } => Some(delay.max(*after)),
        _ => Some(delay),
    }
}

/// Reads `Retry-After` as seconds or as an HTTP date.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(SystemTime::now()).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use reqwest::header::HeaderValue;

    use super::*;

    fn quick(max_attempts: u32) -> RetryPolicy {
        RetryPolicy {
            max_attempts,
            first_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(4),
            max_retry_after: Duration::from_secs(5),
        }
    }

    fn busy(after: Option<Duration>) -> Attempt {
        Attempt::Retry {
            reason: "HTTP 503".to_owned(),
            after,
        }
    }

    #[tokio::test]
    async fn retries_until_success() {
        let calls = Mutex::new(0);
        let result = run(&quick(5), "test", || async {
            let mut n = calls.lock().unwrap();
            *n += 1;
            if *n < 3 { Err(busy(None)) } else { Ok(*n) }
        })
        .await;
        assert_eq!(result.unwrap(), 3);
    }

    #[tokio::test]
    async fn gives_up_with_an_unavailable_error_naming_the_cause() {
        let result: Result<(), _> = run(&quick(3), "test", || async { Err(busy(None)) }).await;
        let Err(Failure::Unavailable(detail)) = result else {
            panic!("{result:?}")
        };
        assert_eq!(detail, "HTTP 503 (gave up after 3 attempts)");
    }

    #[tokio::test]
    async fn final_failures_are_not_retried() {
        let calls = Mutex::new(0);
        let result: Result<(), _> = run(&quick(5), "test", || async {
            *calls.lock().unwrap() += 1;
            Err(Attempt::Fail(Failure::NotFound))
        })
        .await;
        assert!(matches!(result, Err(Failure::NotFound)));
        assert_eq!(*calls.lock().unwrap(), 1);
    }

    #[test]
    fn retry_after_stretches_the_delay_and_too_long_gives_up() {
        let p = quick(5);
        let d = Some(Duration::from_millis(1));
        assert_eq!(
            next_delay(&p, &busy(Some(Duration::from_secs(2))), d),
            Some(Duration::from_secs(2))
        );
        assert_eq!(next_delay(&p, &busy(None), d), d);
        assert_eq!(
            next_delay(&p, &busy(Some(Duration::from_secs(60))), d),
            None
        );
        assert_eq!(next_delay(&p, &busy(None), None), None);
    }

    #[test]
    fn parses_retry_after_seconds_and_dates() {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        h.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&h), Some(Duration::ZERO));
        h.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&h), None);
    }
}
