//! Directory handles that cannot be led outside themselves. The worker keeps files in places a
//! workload's owner can reach (a Slurm job's directory, a dataset view); a path string would
//! follow any link planted there. Every lookup here goes through `openat2` with
//! `RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS`, one component at a time,
//! so a link or `..` anywhere fails with ELOOP or EXDEV instead of being followed.

use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::Path;

/// An open directory.
#[derive(Debug)]
pub struct Dir {
    fd: OwnedFd,
}

/// What an entry is, without following it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    File {
        dev: u64,
        ino: u64,
    },
    Dir,
    /// A link, a socket, a device: never followed, never trusted.
    Other,
}

fn cstr(s: &str) -> io::Result<CString> {
    CString::new(s).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))
}

/// One path component: no separators, not `.` or `..`.
fn name(n: &str) -> io::Result<CString> {
    if n.is_empty() || n == "." || n == ".." || n.contains('/') {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{n:?} is not a single name"),
        ));
    }
    cstr(n)
}

fn check(r: libc::c_int) -> io::Result<libc::c_int> {
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

impl Dir {
    /// Opens a directory the portal itself chose (a path from its configuration). Only the
    /// last component is refused as a link; the handles made from it are what is guarded.
    pub fn open(path: &Path) -> io::Result<Dir> {
        let p = cstr(&path.display().to_string())?;
        // SAFETY: a plain open(2) of a NUL-terminated path.
        let fd = check(unsafe {
            libc::open(
                p.as_ptr(),
                libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC | libc::O_RDONLY,
            )
        })?;
        // SAFETY: fd is a fresh descriptor we own.
        Ok(Dir {
            fd: unsafe { OwnedFd::from_raw_fd(fd) },
        })
    }

    fn openat2(&self, n: &str, flags: i32, mode: u32) -> io::Result<OwnedFd> {
        let n = name(n)?;
        // SAFETY: open_how is plain integers; zero is a valid value for each.
        let mut how: libc::open_how = unsafe { std::mem::zeroed() };
        how.flags = (flags | libc::O_CLOEXEC | libc::O_NOFOLLOW) as u64;
        how.mode = u64::from(mode);
        how.resolve =
            libc::RESOLVE_BENEATH | libc::RESOLVE_NO_SYMLINKS | libc::RESOLVE_NO_MAGICLINKS;
        // SAFETY: openat2(2) with a valid directory fd, a NUL-terminated name and a properly
        // sized open_how.
        let fd = unsafe {
            libc::syscall(
                libc::SYS_openat2,
                self.fd.as_raw_fd(),
                n.as_ptr(),
                &how as *const libc::open_how,
                std::mem::size_of::<libc::open_how>(),
            )
        };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: fd is a fresh descriptor we own.
        Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
    }

    /// A directory inside this one; a link in its place is refused.
    pub fn dir(&self, n: &str) -> io::Result<Dir> {
        Ok(Dir {
            fd: self.openat2(n, libc::O_DIRECTORY | libc::O_RDONLY, 0)?,
        })
    }

    /// Makes a directory (if missing) and opens it.
    pub fn make_dir(&self, n: &str, mode: u32) -> io::Result<Dir> {
        let c = name(n)?;
        // SAFETY: mkdirat(2) relative to our fd.
        if let Err(e) = check(unsafe { libc::mkdirat(self.fd.as_raw_fd(), c.as_ptr(), mode) }) {
            if e.kind() != io::ErrorKind::AlreadyExists {
                return Err(e);
            }
        }
        self.dir(n)
    }

    /// What `n` is, without following it; None when there is nothing by that name.
    pub fn entry(&self, n: &str) -> io::Result<Option<Entry>> {
        let c = name(n)?;
        // SAFETY: fstatat(2) into a zeroed stat buffer.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        let r = unsafe {
            libc::fstatat(
                self.fd.as_raw_fd(),
                c.as_ptr(),
                &mut st,
                libc::AT_SYMLINK_NOFOLLOW,
            )
        };
        if r < 0 {
            let e = io::Error::last_os_error();
            return if e.kind() == io::ErrorKind::NotFound {
                Ok(None)
            } else {
                Err(e)
            };
        }
        Ok(Some(match st.st_mode & libc::S_IFMT {
            libc::S_IFREG => Entry::File {
                dev: st.st_dev,
                ino: st.st_ino,
            },
            libc::S_IFDIR => Entry::Dir,
            _ => Entry::Other,
        }))
    }

    /// The names in this directory.
    pub fn names(&self) -> io::Result<Vec<String>> {
        self.names_up_to(usize::MAX)
            .map(|names| names.unwrap_or_default())
    }

    /// The names in this directory, or None when it holds more than `most`: a folder someone
    /// else fills is never read whole into memory.
    pub fn names_up_to(&self, most: usize) -> io::Result<Option<Vec<String>>> {
        // Through the descriptor itself, which is already the right directory.
        let dup = self.fd.try_clone()?;
        let mut out = vec![];
        for e in std::fs::read_dir(format!("/proc/self/fd/{}", dup.as_raw_fd()))? {
            if let Some(n) = e?.file_name().to_str() {
                if out.len() == most {
                    return Ok(None);
                }
                out.push(n.to_owned());
            }
        }
        Ok(Some(out))
    }

    /// A hard link named `n` to the file at `source` (a path the portal chose); where the two
    /// are on different filesystems, a copy instead.
    pub fn link_or_copy(&self, source: &Path, n: &str) -> io::Result<()> {
        let c = name(n)?;
        let src = cstr(&source.display().to_string())?;
        // SAFETY: linkat(2) from an absolute path to a name under our fd, not following links.
        let r = unsafe {
            libc::linkat(
                libc::AT_FDCWD,
                src.as_ptr(),
                self.fd.as_raw_fd(),
                c.as_ptr(),
                0,
            )
        };
        if r == 0 {
            return Ok(());
        }
        let e = io::Error::last_os_error();
        if e.raw_os_error() != Some(libc::EXDEV) {
            return Err(e);
        }
        let mut from = std::fs::File::open(source)?;
        let mut to = self.create(n, 0o444)?;
        io::copy(&mut from, &mut to)?;
        Ok(())
    }

    /// Removes the file (or link, or socket) `n`; never a directory's contents.
    pub fn remove_file(&self, n: &str) -> io::Result<()> {
        let c = name(n)?;
        // SAFETY: unlinkat(2) relative to our fd.
        check(unsafe { libc::unlinkat(self.fd.as_raw_fd(), c.as_ptr(), 0) }).map(|_| ())
    }

    /// Removes the empty directory `n`.
    pub fn remove_dir(&self, n: &str) -> io::Result<()> {
        let c = name(n)?;
        // SAFETY: unlinkat(2) relative to our fd.
        check(unsafe { libc::unlinkat(self.fd.as_raw_fd(), c.as_ptr(), libc::AT_REMOVEDIR) })
            .map(|_| ())
    }

    /// Sets this directory's owner and mode (through the handle, so no path is followed).
    pub fn own(&self, uid: Option<u32>, gid: Option<u32>, mode: u32) -> io::Result<()> {
        let fd = self.fd.as_raw_fd();
        // SAFETY: fchown(2)/fchmod(2) on our own fd; -1 (as u32::MAX) leaves an id unchanged.
        check(unsafe { libc::fchown(fd, uid.unwrap_or(u32::MAX), gid.unwrap_or(u32::MAX)) })?;
        check(unsafe { libc::fchmod(fd, mode) }).map(|_| ())
    }

    /// The regular file `n`, opened for reading without following a link; anything else (a
    /// FIFO that would block, a device) is refused once open, so it cannot be swapped in
    /// between a look and the open.
    pub fn file(&self, n: &str) -> io::Result<std::fs::File> {
        let fd = self.openat2(n, libc::O_RDONLY | libc::O_NONBLOCK, 0)?;
        let f = std::fs::File::from(fd);
        if !f.metadata()?.is_file() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{n} is not a regular file"),
            ));
        }
        Ok(f)
    }

    /// Creates the new file `n` (it must not exist) with `mode`.
    pub fn create(&self, n: &str, mode: u32) -> io::Result<std::fs::File> {
        self.openat2(n, libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL, mode)
            .map(std::fs::File::from)
    }

    /// Renames the entry `from` here to `to` in `into`, failing if `to` exists.
    pub fn rename_to(&self, from: &str, into: &Dir, to: &str) -> io::Result<()> {
        let (a, b) = (name(from)?, name(to)?);
        // SAFETY: renameat2(2) between two directory fds we hold, with NUL-terminated names.
        check(unsafe {
            libc::renameat2(
                self.fd.as_raw_fd(),
                a.as_ptr(),
                into.fd.as_raw_fd(),
                b.as_ptr(),
                libc::RENAME_NOREPLACE,
            )
        })
        .map(|_| ())
    }

    /// The last `cap` bytes of the regular file `n`, read without following a link: a log a
    /// workload's owner can write must not make the portal read anything else.
    pub fn tail(&self, n: &str, cap: u64) -> io::Result<Vec<u8>> {
        use std::io::{Read, Seek, SeekFrom};
        let mut f = self.file(n)?;
        let len = f.metadata()?.len();
        f.seek(SeekFrom::Start(len.saturating_sub(cap)))?;
        let mut out = Vec::new();
        f.take(cap).read_to_end(&mut out)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(tag: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("campus-beneath-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn a_planted_link_is_never_followed() {
        let d = scratch("links");
        let outside = scratch("outside");
        std::fs::write(outside.join("secret"), "secret").unwrap();
        std::os::unix::fs::symlink(&outside, d.join("folder")).unwrap();
        std::os::unix::fs::symlink(outside.join("secret"), d.join("log")).unwrap();
        let dir = Dir::open(&d).unwrap();
        // Refused as a link (ELOOP) or as no directory (ENOTDIR): either way, not entered.
        let refused = dir.dir("folder").unwrap_err().raw_os_error();
        assert!(
            matches!(refused, Some(libc::ELOOP) | Some(libc::ENOTDIR)),
            "{refused:?}"
        );
        assert_eq!(
            dir.tail("log", 100).unwrap_err().raw_os_error(),
            Some(libc::ELOOP)
        );
        assert_eq!(dir.entry("folder").unwrap(), Some(Entry::Other));
        assert!(dir.dir("..").is_err());
        assert!(dir.dir("a/b").is_err());
        // Removing the link removes the link, not what it points at.
        dir.remove_file("folder").unwrap();
        assert!(outside.join("secret").exists());
        std::fs::remove_dir_all(&d).unwrap();
        std::fs::remove_dir_all(&outside).unwrap();
    }

    #[test]
    fn tails_are_capped_and_links_are_hard() {
        let d = scratch("tail");
        std::fs::write(d.join("log"), "0123456789").unwrap();
        let dir = Dir::open(&d).unwrap();
        assert_eq!(dir.tail("log", 4).unwrap(), b"6789");
        assert_eq!(dir.tail("log", 100).unwrap(), b"0123456789");
        let sub = dir.make_dir("view", 0o750).unwrap();
        sub.link_or_copy(&d.join("log"), "copy").unwrap();
        let (Some(Entry::File { ino: a, .. }), Some(Entry::File { ino: b, .. })) =
            (dir.entry("log").unwrap(), sub.entry("copy").unwrap())
        else {
            panic!("both are files");
        };
        assert_eq!(a, b, "one file, two names");
        assert_eq!(sub.names().unwrap(), ["copy"]);
        std::fs::remove_dir_all(&d).unwrap();
    }
}
