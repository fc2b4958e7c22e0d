//! Whose Unix identity a resource's processes run as. Never the portal's: each person has a
//! uid and gid of their own, either a named account an operator (or the identity provider)
//! mapped to them, or one given from a configured range, `base + user id`, which needs no
//! entry in `/etc/passwd`.

/// A Unix account name as `useradd` accepts it (the portable subset).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct UnixAccount(String);

impl UnixAccount {
    pub fn parse(raw: &str) -> Result<UnixAccount, String> {
        let s = raw.trim();
        let ok_first = s
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c == '_');
        let ok_rest = s
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
        if s.is_empty() || s.len() > 32 || !ok_first || !ok_rest {
            return Err(format!(
                "“{s}” is not a Unix account name: up to 32 lower-case letters, digits, _ and -, \
                 starting with a letter or _"
            ));
        }
        if s == "root" {
            return Err("Workloads never run as root".to_owned());
        }
        Ok(UnixAccount(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The range uids and gids are given from when the portal runs as root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UidRange {
    pub base: u32,
    pub count: u32,
}

/// The lowest id a range may start at: below it are the system's own accounts.
pub const LOWEST_BASE: u32 = 1000;

impl UidRange {
    /// Refuses a range that starts among system accounts, runs past what uids can be, or holds
    /// an id an account or group of this machine already has (`taken`, from /etc/passwd and
    /// /etc/group).
    pub fn new(base: u32, count: u32, taken: &[u32]) -> Result<UidRange, String> {
        if base < LOWEST_BASE {
            return Err(format!(
                "WORKLOAD_UID_BASE {base} is among the system's own accounts: start at {LOWEST_BASE} or above"
            ));
        }
        let Some(end) = base.checked_add(count).filter(|e| *e <= i32::MAX as u32) else {
            return Err(format!(
                "WORKLOAD_UID_BASE {base} with WORKLOAD_UID_COUNT {count} runs past the largest uid"
            ));
        };
        if count == 0 {
            return Err("WORKLOAD_UID_COUNT must be at least 1".to_owned());
        }
        let mut clashes: Vec<u32> = taken
            .iter()
            .copied()
            .filter(|id| (base..end).contains(id))
            .collect();
        clashes.sort_unstable();
        clashes.dedup();
        if let Some(first) = clashes.first() {
            return Err(format!(
                "WORKLOAD_UID_BASE {base}..{end} holds ids this machine's accounts or groups already use ({} of them, the first {first}): choose a range no account uses",
                clashes.len()
            ));
        }
        Ok(UidRange { base, count })
    }

    /// The id of portal user `user_id`, or why there is none.
    pub fn id_for(&self, user_id: i64) -> Result<u32, String> {
        u32::try_from(user_id)
            .ok()
            .filter(|id| *id < self.count)
            .map(|id| self.base + id)
            .ok_or_else(|| {
                format!(
                    "person {user_id} is beyond WORKLOAD_UID_COUNT ({}): an operator must widen the range or map them to a Unix account",
                    self.count
                )
            })
    }
}

/// The numeric ids (third field) of an `/etc/passwd` or `/etc/group` file.
pub fn ids_in(file: &str) -> Vec<u32> {
    file.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter_map(|l| l.split(':').nth(2)?.parse().ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_names_are_what_useradd_takes_and_never_root() {
        assert_eq!(UnixAccount::parse(" alice_2 ").unwrap().as_str(), "alice_2");
        for bad in [
            "",
            "Alice",
            "2alice",
            "al ice",
            "a/b",
            "root",
            &"a".repeat(33),
        ] {
            assert!(UnixAccount::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn each_person_gets_base_plus_their_id_within_the_range() {
        let r = UidRange::new(200_000, 100, &[0, 1000, 65534]).unwrap();
        assert_eq!(r.id_for(7), Ok(200_007));
        assert!(r
            .id_for(100)
            .unwrap_err()
            .contains("beyond WORKLOAD_UID_COUNT"));
        assert!(r.id_for(-1).is_err());
    }

    #[test]
    fn a_range_among_system_or_existing_accounts_is_refused() {
        assert!(UidRange::new(0, 10, &[])
            .unwrap_err()
            .contains("system's own accounts"));
        let taken = ids_in(
            "root:x:0:0::/root:/bin/sh\n# comment\nalice:x:1001:1001::/home/a:/bin/sh\nbad line\n",
        );
        assert_eq!(taken, [0, 1001]);
        let e = UidRange::new(1000, 10, &taken).unwrap_err();
        assert!(e.contains("the first 1001"), "{e}");
        assert!(UidRange::new(1002, 10, &taken).is_ok());
        assert!(UidRange::new(u32::MAX - 5, 10, &[])
            .unwrap_err()
            .contains("largest uid"));
        assert!(UidRange::new(5000, 0, &[]).is_err());
    }
}
