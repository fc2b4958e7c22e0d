//! Email for notifications: each in-app notification is also sent over SMTP, rendered from the
//! askama templates in `templates/email` (plain text and HTML). A notification is claimed before
//! it is sent, so several replicas never send one twice; a failed send releases the claim.

use askama::Template;
use campus_core::store::notifications::{self, Notification};
use campus_core::Db;
use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct MailConfig {
    /// `smtp://host:port` (plain, for a local relay), `smtp://host:587?tls=required`, `smtps://host:465`.
    pub url: String,
    pub from: String,
    pub public_url: String,
}

#[derive(Template)]
#[template(path = "email/notification.txt")]
struct Text<'a> {
    name: &'a str,
    subject: &'a str,
    body: &'a str,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "email/notification.html")]
struct Html<'a> {
    name: &'a str,
    subject: &'a str,
    body: &'a str,
    link: &'a str,
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("the mail settings are not valid: {0}")]
    Config(String),
    #[error("could not render the email: {0}")]
    Render(#[from] askama::Error),
    #[error("could not send: {0}")]
    Send(#[from] lettre::transport::smtp::Error),
    #[error("could not build the message: {0}")]
    Build(#[from] lettre::error::Error),
    #[error(transparent)]
    Store(#[from] sqlx::Error),
}

pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    public_url: String,
}

impl Mailer {
    pub fn new(cfg: &MailConfig) -> Result<Mailer, MailError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&cfg.url)
            .map_err(|e| MailError::Config(format!("SMTP_URL: {e}")))?
            .timeout(Some(Duration::from_secs(10)))
            .build();
        let from = cfg
            .from
            .parse()
            .map_err(|e| MailError::Config(format!("MAIL_FROM: {e}")))?;
        Ok(Mailer {
            transport,
            from,
            public_url: cfg.public_url.trim_end_matches('/').to_owned(),
        })
    }

    fn message(&self, n: &Notification, to: &str, name: &str) -> Result<Message, MailError> {
        let link = if n.link.is_empty() {
            String::new()
        } else {
            format!("{}{}", self.public_url, n.link)
        };
        let fields = (name, n.subject.as_str(), n.body.as_str(), link.as_str());
        let text = Text {
            name: fields.0,
            subject: fields.1,
            body: fields.2,
            link: fields.3,
        }
        .render()?;
        let html = Html {
            name: fields.0,
            subject: fields.1,
            body: fields.2,
            link: fields.3,
        }
        .render()?;
        let to: Mailbox = format!("{name} <{to}>")
            .parse()
            .or_else(|_| to.parse())
            .map_err(|e| MailError::Config(format!("recipient {to}: {e}")))?;
        Ok(Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(&n.subject)
            .multipart(
                MultiPart::alternative()
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_PLAIN)
                            .body(text),
                    )
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_HTML)
                            .body(html),
                    ),
            )?)
    }

    /// Sends what is waiting; returns how many went out.
    pub async fn send_pending(&self, db: &Db) -> Result<usize, MailError> {
        let mut sent = 0;
        for (n, to, name) in notifications::unsent(db, 50).await? {
            if !notifications::claim_email(db, n.id, campus_core::clock::now()).await? {
                continue;
            }
            let result = match self.message(&n, &to, &name) {
                Ok(m) => self
                    .transport
                    .send(m)
                    .await
                    .map(|_| ())
                    .map_err(MailError::from),
                Err(e) => Err(e),
            };
            match result {
                Ok(()) => sent += 1,
                Err(e) => {
                    notifications::release_email(db, n.id).await?;
                    return Err(e);
                }
            }
        }
        Ok(sent)
    }

    /// Sends pending notifications every few seconds until the process ends.
    pub async fn run(self, db: Db) {
        let mut every = tokio::time::interval(Duration::from_secs(2));
        loop {
            every.tick().await;
            if let Err(e) = self.send_pending(&db).await {
                tracing::warn!(error = %e, "email not sent; will try again");
            }
        }
    }
}
