//! Email goes to a real SMTP server on loopback (aiosmtpd, installed by scripts/test), which
//! writes each message it receives into a Maildir that the test reads.

use crate::both_backends;
use crate::support::{Backend, TestApp};
use campus_core::domain::Role;
use std::process::Stdio;
use std::time::Duration;

struct SmtpSink {
    port: u16,
    dir: std::path::PathBuf,
    _child: tokio::process::Child,
}

impl SmtpSink {
    async fn start() -> SmtpSink {
        let dir_for = |port: u16| std::env::temp_dir().join(format!("campus-mail-{port}"));
        let python = concat!(env!("CARGO_MANIFEST_DIR"), "/../.local/tools/bin/python");
        let (port, child) = crate::support::start_listening("the SMTP server", |port| {
            tokio::process::Command::new(python)
                .args([
                    "-m",
                    "aiosmtpd",
                    "-n",
                    "-l",
                    &format!("127.0.0.1:{port}"),
                    "-c",
                    "aiosmtpd.handlers.Mailbox",
                ])
                .arg(dir_for(port))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .kill_on_drop(true)
                .spawn()
                .expect("aiosmtpd is installed in .local/tools (scripts/test installs it)")
        })
        .await;
        SmtpSink {
            port,
            dir: dir_for(port),
            _child: child,
        }
    }

    async fn wait_for(&self, n: usize) -> Vec<String> {
        for _ in 0..200 {
            let mails: Vec<String> = std::fs::read_dir(self.dir.join("new"))
                .map(|d| {
                    d.flatten()
                        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
                        .collect()
                })
                .unwrap_or_default();
            if mails.len() >= n {
                return mails;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("fewer than {n} messages arrived at the SMTP server");
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn notifications_are_emailed_once_as_text_and_html(backend: Backend) {
    let sink = SmtpSink::start().await;
    let app = TestApp::spawn_with(
        backend,
        crate::support::Options {
            smtp_port: Some(sink.port),
            ..Default::default()
        },
    )
    .await;
    app.add_big_host().await;
    let alice = app.create_user("alice", &[Role::Staff]).await;
    app.create_user("omar", &[Role::Operator]).await;
    let project = app.project("Mail", alice, &[]).await;
    let spark = app.offering_id("spark").await;
    let a = app.browser_for("alice").await;
    // Spark needs approval: omar is told, by email too.
    a.post(app.url(&format!("/projects/{project}/requests")))
        .form(&[
            ("choice", format!("{spark}:medium").as_str()),
            ("end_date", "2030-01-01"),
            ("purpose", "Big joins"),
        ])
        .send()
        .await
        .unwrap();
    let mails = sink.wait_for(1).await;
    let m = &mails[0];
    assert!(m.contains("To: \"omar Tester\" <omar@example.org>"), "{m}");
    assert!(
        m.contains("Subject: A request for Spark workspace needs a decision"),
        "{m}"
    );
    assert!(
        m.contains("Content-Type: text/plain") && m.contains("Content-Type: text/html"),
        "{m}"
    );
    assert!(m.contains("Dear omar Tester,"));
    assert!(
        m.contains(&format!("{}/requests/", app.base)),
        "the link is absolute: {m}"
    );
    // Sent once: a later pass does not send it again.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(sink.wait_for(1).await.len(), 1);
    let unsent: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM notifications WHERE emailed_at IS NULL")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(unsent, 0);
}

both_backends!(notifications_are_emailed_once_as_text_and_html);
