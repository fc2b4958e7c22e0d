//! When a failed job runs again: exponential backoff with full jitter, capped, and a limit on
//! attempts after which the job is a dead letter for an operator to look at.

/// The first retry waits about this long.
pub const BASE_DELAY_MS: i64 = 1_000;
/// No retry waits longer than this.
pub const MAX_DELAY_MS: i64 = 5 * 60 * 1_000;
pub const MAX_ATTEMPTS: i64 = 6;
/// A claimed job belongs to its worker this long unless renewed.
pub const LEASE_MS: i64 = 30_000;
/// Workers renew their lease this often, well inside the lease.
pub const RENEW_EVERY_MS: i64 = 10_000;
// Two renewals may fail in a row before the lease runs out.
const _: () = assert!(RENEW_EVERY_MS * 3 <= LEASE_MS);

/// What to do after attempt number `attempts` (1-based) failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    RetryInMs(i64),
    DeadLetter,
}

/// `jitter` is a number in [0, 1) from the caller's random source, so this stays deterministic.
pub fn after_failure(attempts: i64, max_attempts: i64, jitter: f64) -> AfterFailure {
    if attempts >= max_attempts {
        return AfterFailure::DeadLetter;
    }
    let exp = attempts.clamp(1, 30) - 1;
    let ceiling = BASE_DELAY_MS.saturating_mul(1_i64 << exp).min(MAX_DELAY_MS);
    // Half fixed, half jittered: retries spread out but never come back at once.
    let jitter = jitter.clamp(0.0, 1.0);
    let delay = ceiling / 2 + ((ceiling / 2) as f64 * jitter) as i64;
    AfterFailure::RetryInMs(delay.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delay(attempts: i64, jitter: f64) -> i64 {
        match after_failure(attempts, MAX_ATTEMPTS, jitter) {
            AfterFailure::RetryInMs(ms) => ms,
            AfterFailure::DeadLetter => panic!("dead letter after {attempts}"),
        }
    }

    #[test]
    fn delays_double_and_stay_within_their_window() {
        assert_eq!(delay(1, 0.0), 500);
        assert_eq!(delay(1, 0.999_999), 999);
        assert_eq!(delay(2, 0.0), 1_000);
        assert_eq!(delay(3, 0.0), 2_000);
        for attempts in 1..MAX_ATTEMPTS {
            for j in [0.0, 0.25, 0.5, 0.99] {
                let d = delay(attempts, j);
                let ceiling = (BASE_DELAY_MS << (attempts - 1)).min(MAX_DELAY_MS);
                assert!(d >= ceiling / 2 && d <= ceiling, "{attempts} {j} {d}");
            }
        }
    }

    #[test]
    fn delays_are_capped() {
        assert!(
            matches!(after_failure(25, 100, 0.99), AfterFailure::RetryInMs(ms) if ms <= MAX_DELAY_MS)
        );
        assert!(
            matches!(after_failure(i64::MAX - 1, i64::MAX, 0.5), AfterFailure::RetryInMs(ms) if ms <= MAX_DELAY_MS)
        );
    }

    #[test]
    fn the_last_attempt_makes_a_dead_letter() {
        assert_eq!(
            after_failure(MAX_ATTEMPTS, MAX_ATTEMPTS, 0.3),
            AfterFailure::DeadLetter
        );
        assert_eq!(
            after_failure(MAX_ATTEMPTS + 1, MAX_ATTEMPTS, 0.3),
            AfterFailure::DeadLetter
        );
        assert!(matches!(
            after_failure(MAX_ATTEMPTS - 1, MAX_ATTEMPTS, 0.3),
            AfterFailure::RetryInMs(_)
        ));
    }
}
