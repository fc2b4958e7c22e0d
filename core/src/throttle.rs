//! Sign-in throttling. Counting failures per user name alone lets anyone lock a named person
//! out (five wrong passwords for `admin` and the administrator cannot sign in), so a person's
//! failures count per name *and address*: guessing from one place never closes the door to
//! the person trying from another. One address trying many names is throttled on its own
//! count, and every failure counts towards a ceiling for the whole portal, which only a
//! distributed attack reaches.

#[derive(Debug, Clone, Copy)]
pub struct ThrottlePolicy {
    /// Failures for one name from one address.
    pub max_failures: usize,
    /// Failures from one address, whatever names it tried.
    pub max_per_address: usize,
    /// Failures from everywhere, for every name.
    pub max_overall: usize,
    pub window_secs: i64,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        Self {
            max_failures: 5,
            max_per_address: 20,
            max_overall: 500,
            window_secs: 15 * 60,
        }
    }
}

/// A failed sign-in: when, for which (normalised) name, from which address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub at: i64,
    pub username: String,
    pub address: String,
}

/// Which count an attempt ran into: said to the person, so they know whether waiting or
/// moving helps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    NameFromAddress,
    Address,
    Overall,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Decision {
    Allow,
    Wait { retry_after_secs: i64, limit: Limit },
}

impl ThrottlePolicy {
    /// Whether `username` may be tried from `address` now, given the window's failures for that
    /// name or address and the times of the latest failures from anywhere (any order; older
    /// ones are ignored).
    pub fn decide(
        &self,
        now: i64,
        username: &str,
        address: &str,
        failures: &[Failure],
        overall: &[i64],
    ) -> Decision {
        let recent: Vec<&Failure> = failures
            .iter()
            .filter(|f| now - f.at < self.window_secs)
            .collect();
        let times = |keep: &dyn Fn(&Failure) -> bool| -> Vec<i64> {
            recent.iter().filter(|f| keep(f)).map(|f| f.at).collect()
        };
        let checks = [
            (
                Limit::NameFromAddress,
                self.max_failures,
                times(&|f| f.username == username && f.address == address),
            ),
            (
                Limit::Address,
                self.max_per_address,
                times(&|f| f.address == address),
            ),
            (
                Limit::Overall,
                self.max_overall,
                overall
                    .iter()
                    .copied()
                    .filter(|t| now - t < self.window_secs)
                    .collect(),
            ),
        ];
        checks
            .into_iter()
            .filter_map(|(limit, max, times)| {
                self.wait(now, max, times)
                    .map(|retry_after_secs| (limit, retry_after_secs))
            })
            .max_by_key(|(_, secs)| *secs)
            .map_or(Decision::Allow, |(limit, retry_after_secs)| {
                Decision::Wait {
                    retry_after_secs,
                    limit,
                }
            })
    }

    /// Seconds until enough of these failures have left the window, if there are too many.
    fn wait(&self, now: i64, max: usize, mut times: Vec<i64>) -> Option<i64> {
        if max == 0 || times.len() < max {
            return None;
        }
        times.sort_unstable();
        // Allowed again once enough failures have aged out of the window.
        let unlocking = times[times.len() - max];
        Some((unlocking + self.window_secs - now).max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(at: i64, username: &str, address: &str) -> Failure {
        Failure {
            at,
            username: username.into(),
            address: address.into(),
        }
    }

    fn times(fails: &[Failure]) -> Vec<i64> {
        fails.iter().map(|f| f.at).collect()
    }

    fn policy() -> ThrottlePolicy {
        ThrottlePolicy {
            max_failures: 3,
            max_per_address: 5,
            max_overall: 8,
            window_secs: 100,
        }
    }

    #[test]
    fn under_every_limit_is_allowed() {
        let fails = [f(990, "admin", "a"), f(995, "admin", "a")];
        assert_eq!(
            policy().decide(1000, "admin", "a", &fails, &times(&fails)),
            Decision::Allow
        );
    }

    #[test]
    fn one_name_from_one_address_waits_until_the_oldest_counted_failure_expires() {
        let fails = [
            f(950, "admin", "a"),
            f(960, "admin", "a"),
            f(970, "admin", "a"),
        ];
        assert_eq!(
            policy().decide(1000, "admin", "a", &fails, &times(&fails)),
            Decision::Wait {
                retry_after_secs: 50,
                limit: Limit::NameFromAddress
            }
        );
    }

    #[test]
    fn guessing_a_name_from_one_address_does_not_lock_it_out_from_another() {
        let fails = [
            f(950, "admin", "a"),
            f(960, "admin", "a"),
            f(970, "admin", "a"),
        ];
        assert_eq!(
            policy().decide(1000, "admin", "b", &fails, &times(&fails)),
            Decision::Allow
        );
    }

    #[test]
    fn one_address_trying_many_names_is_throttled() {
        let fails: Vec<Failure> = (0..5).map(|i| f(990, &format!("user{i}"), "a")).collect();
        assert_eq!(
            policy().decide(1000, "someone-else", "a", &fails, &times(&fails)),
            Decision::Wait {
                retry_after_secs: 90,
                limit: Limit::Address
            }
        );
        assert_eq!(
            policy().decide(1000, "someone-else", "b", &fails, &times(&fails)),
            Decision::Allow
        );
    }

    #[test]
    fn a_distributed_attack_reaches_the_ceiling_for_everyone() {
        let fails: Vec<Failure> = (0..8)
            .map(|i| f(990, &format!("user{i}"), &format!("10.0.0.{i}")))
            .collect();
        assert_eq!(
            policy().decide(1000, "admin", "192.0.2.1", &fails, &times(&fails)),
            Decision::Wait {
                retry_after_secs: 90,
                limit: Limit::Overall
            }
        );
    }

    #[test]
    fn old_failures_do_not_count() {
        let fails = [
            f(800, "admin", "a"),
            f(850, "admin", "a"),
            f(899, "admin", "a"),
            f(950, "admin", "a"),
        ];
        assert_eq!(
            policy().decide(1000, "admin", "a", &fails, &times(&fails)),
            Decision::Allow
        );
    }

    #[test]
    fn the_longest_wait_is_the_one_given() {
        let mut fails: Vec<Failure> = (0..3).map(|_| f(990, "admin", "a")).collect();
        fails.extend((0..2).map(|i| f(950, &format!("u{i}"), "a")));
        // Name-from-address frees at 1090; the address count (5) frees when the oldest of its
        // five leaves, at 1050: the person must wait for both.
        assert_eq!(
            policy().decide(1000, "admin", "a", &fails, &times(&fails)),
            Decision::Wait {
                retry_after_secs: 90,
                limit: Limit::NameFromAddress
            }
        );
    }
}
