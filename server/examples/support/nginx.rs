//! nginx for the benchmarks' comparisons, stopped when dropped, and a free loopback port.

use std::process::{Child, Command};

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub struct Nginx(Child);

impl Drop for Nginx {
    /// SIGTERM, not SIGKILL: the master then stops its workers, which SIGKILL would orphan.
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let _ = self.0.wait();
    }
}

/// nginx in the foreground with `conf` written to `dir`, its prefix.
pub fn start(dir: &std::path::Path, conf: &str) -> Nginx {
    let path = dir.join("nginx.conf");
    std::fs::write(&path, conf).unwrap();
    let nginx = ["/usr/sbin/nginx", "nginx"]
        .into_iter()
        .find(|p| Command::new(p).arg("-v").output().is_ok())
        .expect("nginx is installed (the bench scripts install it)");
    Nginx(
        Command::new(nginx)
            .args([
                "-c",
                &path.display().to_string(),
                "-p",
                &dir.display().to_string(),
                "-g",
                "daemon off;",
            ])
            .spawn()
            .expect("nginx starts"),
    )
}
