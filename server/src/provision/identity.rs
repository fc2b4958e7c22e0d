//! Who a resource's processes run as, on this machine. When the portal runs as root, each
//! person has a uid and gid of their own: the Unix account mapped to them, or `base + id` from
//! the configured range. When it is not root it cannot change uid, so every sandbox runs under
//! its own uid inside a user namespace, which still keeps it from everything not mounted in.

use super::driver::DriverError;
use super::sandbox::Identity;
use campus_core::requests::identity::{ids_in, UidRange, UnixAccount};

/// The owner of a resource, as the driver needs them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    pub user_id: i64,
    pub username: String,
    /// The Unix account mapped to them, if any.
    pub unix_account: Option<String>,
}

/// A person's identity on this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// The name inside the sandbox (HOME is `/home/<name>`).
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    pub identity: Identity,
}

#[derive(Debug, Clone)]
pub enum Identities {
    /// Root: the range, and the named accounts the machine knows.
    Root(UidRange),
    /// Not root: everyone runs as the portal's uid, each in a user namespace.
    Unprivileged { uid: u32, gid: u32 },
}

/// A user name usable as a home directory's name, whatever the portal's user name is.
fn sandbox_name(username: &str) -> String {
    UnixAccount::parse(&username.to_ascii_lowercase())
        .map(|a| a.as_str().to_owned())
        .unwrap_or_else(|_| "user".to_owned())
}

/// A named account's uid and gid from the system's user database (NSS: files, LDAP, …).
pub fn lookup_account(name: &str) -> Option<(u32, u32)> {
    let c = std::ffi::CString::new(name).ok()?;
    let mut buf = vec![0 as libc::c_char; 16 * 1024];
    // SAFETY: getpwnam_r(3) with a zeroed passwd, a buffer of the stated size and an out pointer.
    let mut pw: libc::passwd = unsafe { std::mem::zeroed() };
    let mut out: *mut libc::passwd = std::ptr::null_mut();
    let r = unsafe { libc::getpwnam_r(c.as_ptr(), &mut pw, buf.as_mut_ptr(), buf.len(), &mut out) };
    (r == 0 && !out.is_null()).then_some((pw.pw_uid, pw.pw_gid))
}

impl Identities {
    /// For this process: when root, checks the range against this machine's accounts and
    /// groups, so a collision stops start-up with the reason.
    pub fn for_this_process(base: u32, count: u32) -> Result<Identities, String> {
        // SAFETY: geteuid/getegid have no preconditions.
        let (uid, gid) = unsafe { (libc::geteuid(), libc::getegid()) };
        if uid != 0 {
            return Ok(Identities::Unprivileged { uid, gid });
        }
        let mut taken = vec![];
        for file in ["/etc/passwd", "/etc/group"] {
            taken.extend(ids_in(&std::fs::read_to_string(file).unwrap_or_default()));
        }
        UidRange::new(base, count, &taken).map(Identities::Root)
    }

    pub fn is_root(&self) -> bool {
        matches!(self, Identities::Root(_))
    }

    /// The identity a resource of `owner` runs as here; never the portal's own when root.
    pub fn of(&self, owner: &Owner) -> Result<Person, DriverError> {
        match self {
            Identities::Unprivileged { uid, gid } => Ok(Person {
                name: sandbox_name(&owner.username),
                uid: *uid,
                gid: *gid,
                identity: Identity::Same,
            }),
            Identities::Root(range) => {
                let (name, uid, gid) = match &owner.unix_account {
                    Some(account) => {
                        let (uid, gid) = lookup_account(account).ok_or_else(|| {
                            DriverError::Permanent(format!(
                                "the Unix account {account} mapped to {} does not exist on this machine",
                                owner.username
                            ))
                        })?;
                        (account.clone(), uid, gid)
                    }
                    None => {
                        let id = range
                            .id_for(owner.user_id)
                            .map_err(DriverError::Permanent)?;
                        (sandbox_name(&owner.username), id, id)
                    }
                };
                if uid == 0 || gid == 0 {
                    return Err(DriverError::Permanent(format!(
                        "{} is mapped to a root account: workloads never run as root",
                        owner.username
                    )));
                }
                Ok(Person {
                    name,
                    uid,
                    gid,
                    identity: Identity::Switch { uid, gid },
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner(id: i64, name: &str, account: Option<&str>) -> Owner {
        Owner {
            user_id: id,
            username: name.into(),
            unix_account: account.map(Into::into),
        }
    }

    #[test]
    fn as_root_each_person_has_their_own_ids_or_their_mapped_account() {
        let ids = Identities::Root(UidRange::new(200_000, 1000, &[]).unwrap());
        let alice = ids.of(&owner(7, "Alice", None)).unwrap();
        assert_eq!(
            (alice.uid, alice.gid, alice.name.as_str()),
            (200_007, 200_007, "alice")
        );
        assert_eq!(
            alice.identity,
            Identity::Switch {
                uid: 200_007,
                gid: 200_007
            }
        );
        assert_ne!(ids.of(&owner(8, "bob", None)).unwrap().uid, alice.uid);
        // An account the machine has (Debian always has `nobody`).
        let mapped = ids.of(&owner(9, "carol", Some("nobody"))).unwrap();
        assert_eq!((mapped.name.as_str(), mapped.uid), ("nobody", 65534));
        let missing = ids
            .of(&owner(9, "carol", Some("no-such-account")))
            .unwrap_err();
        assert!(missing.to_string().contains("does not exist"), "{missing}");
        let root = ids.of(&owner(9, "carol", Some("root"))).unwrap_err();
        assert!(root.to_string().contains("never run as root"), "{root}");
        assert!(
            ids.of(&owner(5000, "dan", None)).is_err(),
            "beyond the range"
        );
    }

    #[test]
    fn without_root_everyone_is_a_user_namespace_under_the_portals_uid() {
        let ids = Identities::Unprivileged {
            uid: 1000,
            gid: 1000,
        };
        let p = ids.of(&owner(3, "x y", Some("whatever"))).unwrap();
        assert_eq!(p.identity, Identity::Same);
        assert_eq!(
            p.name, "user",
            "a name that is no path component is replaced"
        );
    }
}
