//! Telling people: every notification lands in the person's Slipway inbox
//! (the dashboard) and, when they have an e-mail address and SMTP is
//! configured, is e-mailed through lettre.
//!
//! Notifications are written in the same transaction as the change they
//! announce, so none is lost and none is sent for a change that was rolled
//! back. Each e-mail is a job (`crate::jobs`, kind `email`) made in that
//! transaction too: [`Notifications::deliver_due`] (woken after each commit)
//! takes due ones with a lease, sends them, retries failures with back-off,
//! and gives up after [`MAX_ATTEMPTS`] with the reason kept on the row.
//! Several instances may deliver: a job is leased before it is sent.

use crate::clock::format_ms;
use crate::storage::notifications::{
    self as store, FailedAttempt, NewNotificationRow, OutgoingRow, QueuedEmail,
};
use crate::storage::{users, Tx};
use crate::{ServiceError, Services};
use lettre::message::Mailbox;
use lettre::transport::smtp::AsyncSmtpTransport;
use lettre::{AsyncTransport, Message, Tokio1Executor};
use slipway_domain::read::NotificationView;
use slipway_domain::{Principal, UserId};
use std::sync::Arc;

/// Attempts before an e-mail is given up (the inbox entry stays).
pub const MAX_ATTEMPTS: i64 = 6;
/// How long one delivery attempt holds its job before another instance may retry.
const LEASE_MS: i64 = 5 * 60_000;
/// E-mails sent per run of the delivery job.
const BATCH: i64 = 50;
/// Why e-mails still queued are given up when mail is not configured.
const NO_MAIL: &str = "e-mail is not set up on this Slipway";

/// Where e-mail goes out: an SMTP transport, the sender, and the public
/// address links in e-mails point at.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    public_url: String,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The transport holds the SMTP password: never print it.
        f.debug_struct("Mailer")
            .field("from", &self.from.to_string())
            .field("public_url", &self.public_url)
            .finish_non_exhaustive()
    }
}

/// Why mail settings are refused.
#[derive(Debug, thiserror::Error)]
pub enum MailSettingsError {
    #[error("is not an SMTP URL like smtp://mail.example.com:587?tls=required or smtps://user:password@mail.example.com")]
    Url,
    #[error("is not an e-mail address like \"Slipway <slipway@example.com>\"")]
    From,
    #[error("must be set (e-mails need absolute links) when smtp_url is set")]
    PublicUrl,
}

impl Mailer {
    /// `smtp_url` as lettre reads it: `smtp://host:port` (plain, for a relay
    /// on localhost), `smtp://host:587?tls=required` (STARTTLS) or
    /// `smtps://user:password@host` (TLS). Errors never repeat the URL.
    pub fn new(smtp_url: &str, from: &str, public_url: &str) -> Result<Self, MailSettingsError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url)
            .map_err(|_| MailSettingsError::Url)?
            .timeout(Some(std::time::Duration::from_secs(20)))
            .build();
        let from: Mailbox = from.parse().map_err(|_| MailSettingsError::From)?;
        let public_url = public_url.trim().trim_end_matches('/');
        if public_url.is_empty() {
            return Err(MailSettingsError::PublicUrl);
        }
        Ok(Self {
            transport,
            from,
            public_url: public_url.to_owned(),
        })
    }
}

/// One thing to tell one person.
pub(crate) struct NewNotification<'a> {
    pub user_id: i64,
    /// `approval_voided`, `sign_off_link`, `review_assigned`, …
    pub kind: &'a str,
    pub subject: String,
    /// Plain text: the inbox shows it as text, the e-mail sends it as is.
    pub body: String,
    /// Path inside Slipway (`/projects/shop/releases/3#decision`).
    pub link: String,
    /// A different path for the e-mail only (a sign-off link with its token,
    /// which is never kept after sending).
    pub email_link: Option<String>,
    pub release_id: Option<i64>,
}

/// Queues a notification inside the caller's transaction. Disabled people
/// are not told anything; an e-mail is queued when they have an address and
/// mail is configured. Returns whether an e-mail was queued.
#[tracing::instrument(skip_all, fields(kind = n.kind, user.id = n.user_id))]
pub(crate) async fn enqueue(
    tx: &mut Tx,
    services: &Services,
    n: &NewNotification<'_>,
) -> Result<bool, ServiceError> {
    let user = users::find(tx, UserId(n.user_id)).await?;
    let Some(user) = user.filter(|u| !u.disabled) else {
        return Ok(false);
    };
    let email = user.email.filter(|_| services.mailer.is_some());
    let id = store::insert(
        tx,
        &NewNotificationRow {
            user_id: n.user_id,
            kind: n.kind,
            subject: &n.subject,
            body: &n.body,
            link: &n.link,
            release_id: n.release_id,
            created_at: services.clock.now_ms(),
            email: email.as_deref().map(|to| QueuedEmail {
                to,
                link: n.email_link.as_deref(),
            }),
        },
    )
    .await?;
    if email.is_some() {
        crate::storage::jobs::enqueue(tx, EMAIL_JOB, id, services.clock.now_ms()).await?;
    }
    Ok(email.is_some())
}

/// The job kind of notification e-mail.
pub const EMAIL_JOB: &str = "email";

pub struct Notifications<'a> {
    pub(crate) services: &'a Services,
}

impl Notifications<'_> {
    /// The person's latest notifications, unread first.
    #[tracing::instrument(skip_all, fields(user.id = actor.id.0))]
    pub async fn inbox(
        &self,
        actor: &Principal,
        limit: i64,
    ) -> Result<Vec<NotificationView>, ServiceError> {
        let mut conn = self.services.store.pool().acquire().await?;
        let rows = store::list_for_user(&mut conn, actor.id.0, limit.clamp(1, 200)).await?;
        Ok(rows
            .into_iter()
            .map(|r| NotificationView {
                id: r.id,
                kind: r.kind,
                subject: r.subject,
                body: r.body,
                link: r.link,
                at: format_ms(r.created_at),
                read: r.read_at.is_some(),
                email: match (r.email_state.as_deref(), r.email_to) {
                    (Some("sent"), Some(to)) => Some(format!("E-mailed to {to}")),
                    (Some("failed"), Some(to)) => Some(format!(
                        "Could not be e-mailed to {to}: {}",
                        r.email_error.unwrap_or_default()
                    )),
                    (Some("pending"), Some(to)) if r.email_error.is_some() => Some(format!(
                        "Not e-mailed to {to} yet ({}); trying again",
                        r.email_error.unwrap_or_default()
                    )),
                    (Some("pending"), Some(to)) => Some(format!("Being e-mailed to {to}")),
                    _ => None,
                },
            })
            .collect())
    }

    /// Marks one notification (or, with `None`, all) of the person as read.
    #[tracing::instrument(skip_all, fields(user.id = actor.id.0, notification.id = ?id))]
    pub async fn mark_read(&self, actor: &Principal, id: Option<i64>) -> Result<(), ServiceError> {
        let now = self.services.clock.now_ms();
        let mut conn = self.services.store.pool().acquire().await?;
        let Some(id) = id else {
            store::mark_all_read(&mut conn, actor.id.0, now).await?;
            return Ok(());
        };
        // Not marked: someone else's, unknown, or already read; only the
        // last is fine.
        if !store::mark_read(&mut conn, id, actor.id.0, now).await?
            && !store::belongs_to(&mut conn, id, actor.id.0).await?
        {
            return Err(ServiceError::NotFound("notification"));
        }
        Ok(())
    }

    /// Wakes the delivery job (after a commit that queued e-mail).
    pub fn wake(&self) {
        self.services.outbox_wake.notify_one();
    }

    /// Waits until [`Self::wake`] is called (the delivery job's idle state).
    pub async fn woken(&self) {
        self.services.outbox_wake.notified().await;
    }

    /// Sends the e-mails that are due. Returns how many were sent. Without
    /// mail configured, nothing is ever queued and this does nothing.
    #[tracing::instrument(skip_all)]
    pub async fn deliver_due(&self) -> Result<usize, ServiceError> {
        let Some(mailer) = self.services.mailer.clone() else {
            return Ok(0);
        };
        let now = self.services.clock.now_ms();
        {
            let mut conn = self.services.store.pool().acquire().await?;
            // A sign-off link is dead after its lifetime: never keep its token.
            store::forget_email_links_before(
                &mut conn,
                now - slipway_domain::release::SIGN_OFF_LINK_HOURS * 3_600_000,
            )
            .await?;
        }
        let due = self
            .services
            .jobs()
            .take_due(EMAIL_JOB, &self.services.worker, LEASE_MS, BATCH, |_| false)
            .await?;
        let mut sent = 0;
        for lease in due {
            let o = {
                let mut conn = self.services.store.pool().acquire().await?;
                store::outgoing(&mut conn, lease.subject).await?
            };
            match o {
                Some(o) => {
                    if self.send(&mailer, &o, &lease).await? {
                        sent += 1;
                    }
                }
                // Sent, given up or gone meanwhile.
                None => self.services.jobs().finish(&lease).await?,
            }
        }
        Ok(sent)
    }

    /// Without mail configured (any more), e-mails still queued are given
    /// up, and the sign-off tokens they hold dropped. Run at start.
    #[tracing::instrument(skip_all)]
    pub async fn settle_without_mail(&self) -> Result<u64, ServiceError> {
        if self.services.mailer.is_some() {
            return Ok(0);
        }
        let mut conn = self.services.store.pool().acquire().await?;
        let now = self.services.clock.now_ms();
        crate::storage::jobs::finish_kind(&mut conn, EMAIL_JOB, now).await?;
        Ok(store::fail_pending(&mut conn, NO_MAIL).await?)
    }

    async fn send(
        &self,
        mailer: &Mailer,
        o: &OutgoingRow,
        lease: &crate::jobs::Lease,
    ) -> Result<bool, ServiceError> {
        let (link, caveat) = match o.email_link.as_deref() {
            Some(l) => (
                l,
                "\nThis link works once, within its lifetime, only when you are signed in as \
                 yourself, and never approves by itself.\n",
            ),
            None => (o.link.as_str(), ""),
        };
        let body = format!(
            "{}\n\n{}{link}\n{caveat}\n— Slipway. You get this because you take part in releases at {}; \
             your notifications are also on your Slipway dashboard.\n",
            o.body, mailer.public_url, mailer.public_url
        );
        let attempt = async {
            let to: Mailbox = o
                .email_to
                .as_deref()
                .unwrap_or_default()
                .parse()
                .map_err(|_| ("the stored address is not valid".to_owned(), true))?;
            let message = Message::builder()
                .from(mailer.from.clone())
                .to(to)
                .subject(&o.subject)
                .header(lettre::message::header::ContentType::TEXT_PLAIN)
                .body(body)
                .map_err(|e| (format!("the message could not be built: {e}"), true))?;
            mailer
                .transport
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| {
                    // The server's reply stays in the log; people see the kind.
                    tracing::warn!(notification = o.id, error = %e, "e-mail not sent");
                    describe(&e)
                })
        };
        let now = self.services.clock.now_ms();
        let mut conn = self.services.store.pool().acquire().await?;
        match attempt.await {
            Ok(()) => {
                store::mark_sent(&mut conn, o.id, now).await?;
                drop(conn);
                self.services.jobs().finish(lease).await?;
                Ok(true)
            }
            Err((why, permanent)) => {
                let attempts = o.email_attempts + 1;
                let give_up = permanent || attempts >= MAX_ATTEMPTS;
                // 1, 2, 4, 8, 16 minutes.
                let next = now + 60_000 * (1_i64 << (attempts - 1).clamp(0, 4));
                store::record_failure(
                    &mut conn,
                    o.id,
                    &FailedAttempt {
                        state: if give_up { "failed" } else { "pending" },
                        attempts,
                        error: &why,
                        next_at: next,
                    },
                )
                .await?;
                drop(conn);
                if give_up {
                    self.services.jobs().finish(lease).await?;
                } else {
                    self.services
                        .jobs()
                        .retry_at(lease, next, Some(&why))
                        .await?;
                }
                Ok(false)
            }
        }
    }
}

/// An SMTP failure in words people may see (the server's reply, which can
/// name accounts, goes only to the log), and whether retrying is pointless.
fn describe(e: &lettre::transport::smtp::Error) -> (String, bool) {
    if e.is_permanent() {
        ("the mail server refused the message".into(), true)
    } else if e.is_transient() {
        ("the mail server asked to try later".into(), false)
    } else {
        ("the mail server could not be reached".into(), false)
    }
}

/// Shared by services that queue mail: the wake-up for the delivery job.
pub(crate) type Wake = Arc<tokio::sync::Notify>;
