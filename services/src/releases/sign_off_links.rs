//! Sign-off links: a release manager asks one approver for their sign-off
//! with a single-use link, valid for [`SIGN_OFF_LINK_HOURS`], bound to that
//! person. Opening it never decides anything: it leads to the decision.

use super::Releases;
use crate::notifications::{self, NewNotification};
use crate::storage::sign_off_links as links;
use crate::ServiceError;
use http::StatusCode;
use slipway_domain::approval;
use slipway_domain::release::SIGN_OFF_LINK_HOURS;
use slipway_domain::{ErrorKind, Permission, Principal};

/// A sign-off link as created: the path to hand over once, and where it
/// was sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedLink {
    pub path: String,
    /// Whether it is being e-mailed too (the address stays private).
    pub emailed: bool,
}

/// Why a sign-off link does not open the page.
#[derive(Debug, thiserror::Error)]
pub enum SignOffLinkError {
    #[error("This sign-off link is not valid.")]
    Unknown,
    #[error(
        "This sign-off link was already used. Open the release from Slipway's dashboard instead."
    )]
    Used,
    #[error("This sign-off link has expired. Open the release from Slipway's dashboard instead.")]
    Expired,
    #[error("Sign in first: the link opens the release once you are signed in.")]
    SignIn,
    #[error(
        "This sign-off link was sent to someone else. Open the release from your own dashboard."
    )]
    NotYours,
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl SignOffLinkError {
    /// What kind of failure this is. A link that cannot be checked right now
    /// (a storage failure) asks to try again in a moment, whatever the cause.
    pub fn kind(&self) -> ErrorKind {
        match self {
            SignOffLinkError::Unknown => ErrorKind::NotFound,
            SignOffLinkError::Used | SignOffLinkError::Expired => ErrorKind::Gone,
            SignOffLinkError::NotYours => ErrorKind::Forbidden,
            SignOffLinkError::SignIn => ErrorKind::Unauthenticated,
            SignOffLinkError::Service(_) => ErrorKind::Unavailable,
        }
    }

    /// The HTTP status this error is answered with.
    pub fn status(&self) -> StatusCode {
        crate::error::status_of(self.kind())
    }
}

impl From<sqlx::Error> for SignOffLinkError {
    fn from(e: sqlx::Error) -> Self {
        SignOffLinkError::Service(e.into())
    }
}

impl Releases<'_> {
    /// Creates a sign-off link for one approver. The approver is told in
    /// their Slipway inbox and, when they have an address and mail is set
    /// up, gets the link by e-mail; the path is also returned once, to paste
    /// into chat. The token is not stored, only its hash (the queued e-mail
    /// holds it until it is sent).
    #[tracing::instrument(skip_all, fields(project = %slug, release.id = id))]
    pub async fn issue_sign_off_link(
        &self,
        actor: &Principal,
        slug: &str,
        id: i64,
        approver: &str,
    ) -> Result<IssuedLink, ServiceError> {
        let mut tx = self.services.store.begin().await?;
        let l = self
            .load_for(&mut tx, actor, (slug, id), Permission::ManageReleases)
            .await?;
        if !l.release.state.accepts_decisions() {
            return Err(ServiceError::Conflict(format!(
                "This release is {}: there is nothing to sign off.",
                l.release.state.label().to_lowercase()
            )));
        }
        let target = self
            .services
            .accounts()
            .principal_of(approver.trim())
            .await?
            .filter(|p| p.can(Permission::ApproveReleases, Some(l.pid())))
            .ok_or_else(|| {
                ServiceError::field(
                    "approver",
                    format!(
                        "\"{}\" is not someone who can approve releases of this project.",
                        approver.trim()
                    ),
                )
            })?;
        approval::can_approve(&l.subject(), target.id).map_err(|_| {
            ServiceError::field(
                "approver",
                format!(
                    "{} cannot approve this release (they made it).",
                    target.username
                ),
            )
        })?;
        let (token, hash) = crate::tokens::generate();
        let now = self.services.clock.now_ms();
        let link = links::NewLink {
            token_hash: &hash,
            release_id: id,
            user_id: target.id.0,
            expires_at: now + SIGN_OFF_LINK_HOURS * 3_600_000,
        };
        links::insert(&mut tx, &link, now).await?;
        let path = format!("/sign/{token}");
        let title = if l.release.title.is_empty() {
            String::new()
        } else {
            format!(" ({})", l.release.title)
        };
        let emailed = notifications::enqueue(
            &mut tx,
            self.services,
            &NewNotification {
                user_id: target.id.0,
                kind: "sign_off_requested",
                subject: format!(
                    "Sign-off requested: {} {}",
                    l.project.name, l.release.version
                ),
                body: format!(
                    "{} asks you to sign off {} {}{title}: open the release to see what ships, then approve \
                     or reject.",
                    actor.display_name, l.project.name, l.release.version,
                ),
                link: format!("/projects/{}/releases/{id}#decision", l.project.slug),
                email_link: Some(path.clone()),
                release_id: Some(id),
            },
        )
        .await?;
        tx.commit().await?;
        self.services.notifications().wake();
        Ok(IssuedLink { path, emailed })
    }

    /// Opens a sign-off link: checks it is genuine, unused, unexpired and
    /// meant for the signed-in person, uses it up, and returns where to go
    /// (the release page, at the decision). It never decides anything.
    #[tracing::instrument(skip_all)]
    pub async fn open_sign_off_link(
        &self,
        viewer: Option<&Principal>,
        token: &str,
    ) -> Result<String, SignOffLinkError> {
        if !crate::tokens::looks_valid(token) {
            return Err(SignOffLinkError::Unknown);
        }
        let hash = crate::tokens::hash(token);
        let mut conn = self.services.store.pool().acquire().await?;
        let Some(link) = links::find_by_hash(&mut conn, &hash).await? else {
            return Err(SignOffLinkError::Unknown);
        };
        if link.used_at.is_some() {
            return Err(SignOffLinkError::Used);
        }
        let now = self.services.clock.now_ms();
        if link.expires_at <= now {
            return Err(SignOffLinkError::Expired);
        }
        let viewer = viewer.ok_or(SignOffLinkError::SignIn)?;
        if viewer.id.0 != link.user_id {
            return Err(SignOffLinkError::NotYours);
        }
        if !links::mark_used(&mut conn, link.id, now).await? {
            return Err(SignOffLinkError::Used);
        }
        Ok(format!(
            "/projects/{}/releases/{}#decision",
            link.project_slug, link.release_id
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_off_links_answer_gone_once_used_or_expired() {
        let cases = [
            (SignOffLinkError::Unknown, StatusCode::NOT_FOUND),
            (SignOffLinkError::Used, StatusCode::GONE),
            (SignOffLinkError::Expired, StatusCode::GONE),
            (SignOffLinkError::NotYours, StatusCode::FORBIDDEN),
            (SignOffLinkError::SignIn, StatusCode::UNAUTHORIZED),
            (
                SignOffLinkError::Service(ServiceError::Internal("boom".into())),
                StatusCode::SERVICE_UNAVAILABLE,
            ),
        ];
        for (error, status) in cases {
            assert_eq!(error.status(), status, "{error:?}");
        }
    }
}
