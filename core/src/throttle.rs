//! Login throttling policy: after too many failures for one user name within a window,
//! further attempts are refused until the oldest failure leaves the window.

#[derive(Debug, Clone, Copy)]
pub struct ThrottlePolicy {
    pub max_failures: usize,
    pub window_secs: i64,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        Self {
            max_failures: 5,
            window_secs: 15 * 60,
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum Decision {
    Allow,
    Wait { retry_after_secs: i64 },
}

impl ThrottlePolicy {
    /// `failures` are the times of recent failures for the name, in any order.
    pub fn decide(&self, now: i64, failures: &[i64]) -> Decision {
        let mut recent: Vec<i64> = failures
            .iter()
            .copied()
            .filter(|t| now - t < self.window_secs)
            .collect();
        if recent.len() < self.max_failures {
            return Decision::Allow;
        }
        recent.sort_unstable();
        // The attempt is allowed again once enough failures have aged out of the window.
        let unlocking = recent[recent.len() - self.max_failures];
        Decision::Wait {
            retry_after_secs: (unlocking + self.window_secs - now).max(1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn under_the_limit_is_allowed() {
        let p = ThrottlePolicy::default();
        assert_eq!(p.decide(1000, &[990, 995, 999, 1000]), Decision::Allow);
    }

    #[test]
    fn at_the_limit_waits_until_the_oldest_counted_failure_expires() {
        let p = ThrottlePolicy {
            max_failures: 3,
            window_secs: 100,
        };
        assert_eq!(
            p.decide(1000, &[950, 960, 970]),
            Decision::Wait {
                retry_after_secs: 50
            }
        );
    }

    #[test]
    fn old_failures_do_not_count() {
        let p = ThrottlePolicy {
            max_failures: 3,
            window_secs: 100,
        };
        assert_eq!(p.decide(1000, &[800, 850, 899, 950]), Decision::Allow);
    }
}
