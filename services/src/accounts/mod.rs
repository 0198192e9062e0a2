//! Accounts: sign-in, sessions' principals, users and role grants.

pub mod password;
pub mod rate_limit;

use crate::audit::{self, AuditSubject};
use crate::clock::format_ms;
use crate::error::is_unique_violation;
use crate::storage::{audit as audit_store, grants, projects, sessions, users};
use crate::{ServiceError, Services};
use serde::{Deserialize, Serialize};
use serde_json::json;
use slipway_domain::read::{GrantView, UserSummary};
use slipway_domain::user::parse_display_name;
use slipway_domain::{
    AuditAction, FieldErrors, Grant, Password, Permission, Principal, ProjectId, Role, UserId,
    Username,
};
use std::collections::HashMap;
use tower_sessions::session::Id;

// What a session remembers (defined with the sessions' storage, which
// reads it in the viewer's one statement).
pub use crate::storage::sessions::{SessionUser, SESSION_USER_KEY};

impl SessionUser {
    /// Whether this sign-in still stands for the account as it is now: not
    /// disabled, and no password change (or disabling) since.
    fn still_valid(&self, id: i64, disabled: bool, session_epoch: i64) -> bool {
        self.user_id.0 == id && !disabled && self.epoch == session_epoch
    }
}

/// Who a browser session belongs to ([`Accounts::session_principal`]).
#[derive(Debug, Clone)]
pub enum SessionPrincipal {
    /// No live session has this id: unknown, expired or signed out.
    Missing,
    /// A live session nobody is signed in to.
    Anonymous,
    /// Signed in, but the password changed or the account was disabled
    /// since: the session must end.
    Ended,
    SignedIn(Principal),
}

/// Who is making the current HTTP request, resolved once per request by the
/// server's middleware from the session and read by every handler.
#[derive(Debug, Clone, Default)]
pub struct Viewer {
    pub principal: Option<Principal>,
    /// The peer address, for rate limiting and the audit log.
    pub client_ip: Option<String>,
}

/// A new account as typed into the admin form or the CLI.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct NewUserInput {
    pub username: String,
    pub display_name: String,
    pub password: String,
    /// Installation-wide role to grant right away, if any.
    pub role: Option<String>,
}

/// Who is acting on accounts. The command line runs with the operator's
/// authority over the installation; everyone else is a signed-in principal,
/// and an anonymous caller can never be mistaken for the operator.
#[derive(Debug, Clone, Copy)]
pub enum Authority<'a> {
    Operator,
    User(&'a Principal),
}

impl<'a> Authority<'a> {
    fn check(self, permission: Permission) -> Result<Option<&'a Principal>, ServiceError> {
        match self {
            Authority::Operator => Ok(None),
            Authority::User(actor) => require(actor, permission, None).map(Some),
        }
    }
}

/// Requires a permission, or explains the refusal.
pub fn require(
    actor: &Principal,
    permission: Permission,
    project: Option<ProjectId>,
) -> Result<&Principal, ServiceError> {
    if actor.can(permission, project) {
        Ok(actor)
    } else {
        Err(ServiceError::Forbidden)
    }
}

pub struct Accounts<'a> {
    pub(crate) services: &'a Services,
}

impl Accounts<'_> {
    /// Checks a username and password. Unknown users and wrong passwords get
    /// the same error after the same work; repeated failures are throttled.
    #[tracing::instrument(skip_all, fields(user = %username))]
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        client_ip: Option<&str>,
    ) -> Result<SessionUser, ServiceError> {
        let now = self.services.clock.now_ms();
        let limiter = &self.services.login_limiter;
        // Reserved before the (deliberately slow) password check.
        let Some(attempt) = limiter.reserve(username, client_ip, now) else {
            return Err(ServiceError::RateLimited);
        };
        let name = username.trim().to_ascii_lowercase();
        let mut conn = self.services.store.pool().acquire().await?;
        let user = users::find_by_username(&mut conn, &name).await?;
        drop(conn);
        let ok = password::verify(
            password.to_owned(),
            user.as_ref().map(|u| u.password_hash.clone()),
        )
        .await?;
        let mut tx = self.services.store.begin().await?;
        match user {
            Some(user) if ok && !user.disabled => {
                limiter.succeeded(attempt);
                audit_store::insert(
                    &mut tx,
                    &audit_store::NewEvent {
                        actor: Some((UserId(user.id), &user.username)),
                        action: AuditAction::LoginSucceeded,
                        subject_id: user.id.to_string(),
                        subject_label: user.username.clone(),
                        project: None,
                        before: None,
                        after: client_ip.map(|ip| json!({ "ip": ip })),
                    },
                    now,
                )
                .await?;
                tx.commit().await?;
                Ok(SessionUser {
                    user_id: UserId(user.id),
                    epoch: user.session_epoch,
                })
            }
            _ => {
                let label: String = name.chars().take(64).collect();
                audit_store::insert(
                    &mut tx,
                    &audit_store::NewEvent {
                        actor: None,
                        action: AuditAction::LoginFailed,
                        subject_id: label.clone(),
                        subject_label: label,
                        project: None,
                        before: None,
                        after: client_ip.map(|ip| json!({ "ip": ip })),
                    },
                    now,
                )
                .await?;
                tx.commit().await?;
                Err(ServiceError::InvalidCredentials)
            }
        }
    }

    /// Who the browser session `id` belongs to, read in one statement (the
    /// session, its user and their grants): once per request, by the
    /// server's middleware. The session's data is the authority on who
    /// signed in; the account as it is now decides whether that still
    /// stands.
    #[tracing::instrument(skip_all)]
    pub async fn session_principal(&self, id: &Id) -> Result<SessionPrincipal, ServiceError> {
        let mut conn = self.services.store.pool().acquire().await?;
        let rows = sessions::signed_in(&mut conn, id, self.services.clock.now_ms()).await?;
        drop(conn);
        let Some(first) = rows.first() else {
            return Ok(SessionPrincipal::Missing);
        };
        let mut data: HashMap<String, serde_json::Value> =
            serde_json::from_str(&first.data).map_err(unreadable_session)?;
        let Some(signed_in) = data.remove(SESSION_USER_KEY) else {
            return Ok(SessionPrincipal::Anonymous);
        };
        let signed_in: SessionUser =
            serde_json::from_value(signed_in).map_err(unreadable_session)?;
        let Some(user) = first.user.as_ref() else {
            return Ok(SessionPrincipal::Ended);
        };
        if !signed_in.still_valid(user.id, user.disabled, user.session_epoch) {
            return Ok(SessionPrincipal::Ended);
        }
        Ok(SessionPrincipal::SignedIn(Principal {
            id: UserId(user.id),
            username: user.username.clone(),
            display_name: user.display_name.clone(),
            grants: rows
                .iter()
                .filter_map(|r| r.grant.as_ref())
                .filter_map(grants::GrantRow::to_grant)
                .collect(),
            must_change_password: user.must_change_password,
            token: None,
        }))
    }

    /// The principal behind a session, or `None` when the session is stale.
    #[tracing::instrument(skip_all)]
    pub async fn principal(&self, session: SessionUser) -> Result<Option<Principal>, ServiceError> {
        let mut conn = self.services.store.pool().acquire().await?;
        let Some(user) = users::find(&mut conn, session.user_id).await? else {
            return Ok(None);
        };
        if !session.still_valid(user.id, user.disabled, user.session_epoch) {
            return Ok(None);
        }
        let grants = grants::for_user(&mut conn, session.user_id).await?;
        Ok(Some(Principal {
            id: UserId(user.id),
            username: user.username,
            display_name: user.display_name,
            grants: grants
                .iter()
                .filter_map(grants::GrantRow::to_grant)
                .collect(),
            must_change_password: user.must_change_password,
            token: None,
        }))
    }

    /// The principal for an active user by name (for addressing people,
    /// e.g. sending a sign-off link); `None` when unknown or disabled.
    #[tracing::instrument(skip_all, fields(user = %username))]
    pub async fn principal_of(&self, username: &str) -> Result<Option<Principal>, ServiceError> {
        let mut conn = self.services.store.pool().acquire().await?;
        let Some(user) = users::find_by_username(&mut conn, username).await? else {
            return Ok(None);
        };
        if user.disabled {
            return Ok(None);
        }
        self.principal(SessionUser {
            user_id: UserId(user.id),
            epoch: user.session_epoch,
        })
        .await
    }

    /// On an empty database, creates `admin`. Returns the generated one-time
    /// password when none was configured, so the caller can show it once.
    #[tracing::instrument(skip_all)]
    pub async fn bootstrap_admin(
        &self,
        configured: Option<&str>,
    ) -> Result<Option<String>, ServiceError> {
        let mut conn = self.services.store.pool().acquire().await?;
        if users::count(&mut conn).await? > 0 {
            return Ok(None);
        }
        drop(conn);
        let (password, generated) = match configured {
            Some(p) => (
                Password::parse(p).map_err(|m| ServiceError::field("admin_password", m))?,
                false,
            ),
            None => (
                Password::parse(&password::generate())
                    .map_err(|m| ServiceError::field("admin_password", m))?,
                true,
            ),
        };
        let hash = password::hash(password.expose().to_owned()).await?;
        let now = self.services.clock.now_ms();
        let mut tx = self.services.store.begin().await?;
        let id = match users::insert(
            &mut tx,
            &users::NewUser {
                username: "admin",
                display_name: "Administrator",
                password_hash: &hash,
                must_change_password: generated,
            },
            now,
        )
        .await
        {
            Ok(id) => id,
            // Another instance bootstrapped at the same moment.
            Err(e) if is_unique_violation(&e) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        grants::insert(
            &mut tx,
            id,
            Grant {
                project: None,
                role: Role::Admin,
            },
            None,
            now,
        )
        .await?;
        audit_store::insert(
            &mut tx,
            &audit_store::NewEvent {
                actor: None,
                action: AuditAction::UserCreated,
                subject_id: id.to_string(),
                subject_label: "admin".into(),
                project: None,
                before: None,
                after: Some(json!({ "username": "admin", "roles": ["admin"] })),
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(generated.then(|| password.expose().to_owned()))
    }

    /// Creates an account.
    #[tracing::instrument(skip_all)]
    pub async fn create_user(
        &self,
        authority: Authority<'_>,
        input: &NewUserInput,
    ) -> Result<UserId, ServiceError> {
        let actor = authority.check(Permission::ManageUsers)?;
        let mut errors = FieldErrors::new();
        let username = errors.check("username", Username::parse(&input.username));
        let display_name = if input.display_name.trim().is_empty() {
            username.as_ref().map(|u| u.to_string())
        } else {
            errors.check("display_name", parse_display_name(&input.display_name))
        };
        let password = errors.check("password", Password::parse(&input.password));
        let role = match input.role.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(r) => errors.check("role", r.parse::<Role>()),
        };
        let (Some(username), Some(display_name), Some(password)) =
            (username, display_name, password)
        else {
            return Err(errors.into());
        };
        if !errors.is_empty() {
            return Err(errors.into());
        }
        let hash = password::hash(password.expose().to_owned()).await?;
        let now = self.services.clock.now_ms();
        let mut tx = self.services.store.begin().await?;
        if users::find_by_username(&mut tx, username.as_str())
            .await?
            .is_some()
        {
            return Err(ServiceError::field(
                "username",
                format!("The username \"{username}\" is already taken."),
            ));
        }
        let id = users::insert(
            &mut tx,
            &users::NewUser {
                username: username.as_str(),
                display_name: &display_name,
                password_hash: &hash,
                must_change_password: false,
            },
            now,
        )
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                ServiceError::field(
                    "username",
                    format!("The username \"{username}\" is already taken."),
                )
            } else {
                e.into()
            }
        })?;
        if let Some(role) = role {
            grants::insert(
                &mut tx,
                id,
                Grant {
                    project: None,
                    role,
                },
                actor.map(|a| a.id),
                now,
            )
            .await?;
        }
        audit_store::insert(
            &mut tx,
            &audit_store::NewEvent {
                actor: actor.map(|a| (a.id, a.username.as_str())),
                action: AuditAction::UserCreated,
                subject_id: id.to_string(),
                subject_label: username.to_string(),
                project: None,
                before: None,
                after: Some(json!({
                    "username": username.as_str(),
                    "display_name": display_name,
                    "role": role.map(Role::as_str),
                })),
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Changes the signed-in person's own password after checking the current one.
    /// Other sessions end; the returned `SessionUser` keeps this one.
    #[tracing::instrument(skip_all)]
    pub async fn change_own_password(
        &self,
        actor: &Principal,
        current: &str,
        new: &str,
    ) -> Result<SessionUser, ServiceError> {
        let new = Password::parse(new).map_err(|m| ServiceError::field("new_password", m))?;
        let mut conn = self.services.store.pool().acquire().await?;
        let user = users::find(&mut conn, actor.id)
            .await?
            .ok_or(ServiceError::Unauthenticated)?;
        drop(conn);
        if !password::verify(current.to_owned(), Some(user.password_hash)).await? {
            return Err(ServiceError::field(
                "current_password",
                "This is not your current password.",
            ));
        }
        if current == new.expose() {
            return Err(ServiceError::field(
                "new_password",
                "Choose a password different from the current one.",
            ));
        }
        let hash = password::hash(new.expose().to_owned()).await?;
        let now = self.services.clock.now_ms();
        let mut tx = self.services.store.begin().await?;
        let epoch = users::set_password(&mut tx, actor.id, &hash, false, now).await?;
        audit::record(
            &mut tx,
            actor,
            AuditAction::UserPasswordChanged,
            AuditSubject {
                id: actor.id.to_string(),
                label: actor.username.clone(),
                project: None,
            },
            None,
            None,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(SessionUser {
            user_id: actor.id,
            epoch,
        })
    }

    /// Sets a user's password from the command line (operator authority).
    #[tracing::instrument(skip_all, fields(user = %username))]
    pub async fn reset_password(&self, username: &str, new: &str) -> Result<(), ServiceError> {
        let new = Password::parse(new).map_err(|m| ServiceError::field("password", m))?;
        let name = username.trim().to_ascii_lowercase();
        let hash = password::hash(new.expose().to_owned()).await?;
        let now = self.services.clock.now_ms();
        let mut tx = self.services.store.begin().await?;
        let user = users::find_by_username(&mut tx, &name)
            .await?
            .ok_or(ServiceError::NotFound("user"))?;
        users::set_password(&mut tx, UserId(user.id), &hash, false, now).await?;
        audit_store::insert(
            &mut tx,
            &audit_store::NewEvent {
                actor: None,
                action: AuditAction::UserPasswordChanged,
                subject_id: user.id.to_string(),
                subject_label: user.username.clone(),
                project: None,
                before: None,
                after: Some(json!({ "by": "command line" })),
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    pub async fn list_users(&self, actor: &Principal) -> Result<Vec<UserSummary>, ServiceError> {
        require(actor, Permission::ManageUsers, None)?;
        let mut conn = self.services.store.pool().acquire().await?;
        let rows = users::list(&mut conn).await?;
        let all_grants = grants::all(&mut conn).await?;
        Ok(rows
            .into_iter()
            .map(|u| UserSummary {
                grants: all_grants
                    .iter()
                    .filter(|g| g.user_id == u.id)
                    .filter_map(grant_view)
                    .collect(),
                username: u.username,
                display_name: u.display_name,
                email: u.email,
                disabled: u.disabled,
                must_change_password: u.must_change_password,
                created_at: format_ms(u.created_at),
            })
            .collect())
    }

    #[tracing::instrument(skip_all, fields(user = %username))]
    pub async fn find_user(
        &self,
        actor: &Principal,
        username: &str,
    ) -> Result<UserSummary, ServiceError> {
        require(actor, Permission::ManageUsers, None)?;
        let mut conn = self.services.store.pool().acquire().await?;
        let u = users::find_by_username(&mut conn, &username.trim().to_ascii_lowercase())
            .await?
            .ok_or(ServiceError::NotFound("user"))?;
        let g = grants::for_user(&mut conn, UserId(u.id)).await?;
        Ok(UserSummary {
            grants: g.iter().filter_map(grant_view).collect(),
            username: u.username,
            display_name: u.display_name,
            email: u.email,
            disabled: u.disabled,
            must_change_password: u.must_change_password,
            created_at: format_ms(u.created_at),
        })
    }

    /// Grants `role` to a user for one project (by slug) or for all projects.
    #[tracing::instrument(skip_all, fields(user = %username))]
    pub async fn grant(
        &self,
        authority: Authority<'_>,
        username: &str,
        role: &str,
        project_slug: Option<&str>,
    ) -> Result<(), ServiceError> {
        let actor = authority.check(Permission::ManageUsers)?;
        let role: Role = role
            .parse()
            .map_err(|m: String| ServiceError::field("role", m))?;
        let now = self.services.clock.now_ms();
        let mut tx = self.services.store.begin().await?;
        let user = users::find_by_username(&mut tx, &username.trim().to_ascii_lowercase())
            .await?
            .ok_or(ServiceError::NotFound("user"))?;
        let project =
            match project_slug.map(str::trim).filter(|s| !s.is_empty()) {
                None => None,
                Some(slug) => Some(projects::find_by_slug(&mut tx, slug).await?.ok_or_else(
                    || ServiceError::field("project", format!("There is no project \"{slug}\".")),
                )?),
            };
        if project.is_some() && !role.is_project_scoped() {
            return Err(ServiceError::field(
                "role",
                "Admin can only be granted for all projects.",
            ));
        }
        let grant = Grant {
            project: project.as_ref().map(|p| ProjectId(p.id)),
            role,
        };
        let inserted =
            grants::insert(&mut tx, UserId(user.id), grant, actor.map(|a| a.id), now).await?;
        if inserted.is_none() {
            return Err(ServiceError::Conflict(format!(
                "{} already holds {} for {}.",
                user.username,
                role.label(),
                project.as_ref().map_or("all projects", |p| p.name.as_str())
            )));
        }
        audit_store::insert(
            &mut tx,
            &audit_store::NewEvent {
                actor: actor.map(|a| (a.id, a.username.as_str())),
                action: AuditAction::RoleGranted,
                subject_id: user.id.to_string(),
                subject_label: user.username.clone(),
                project: grant.project,
                before: None,
                after: Some(json!({
                    "role": role.as_str(),
                    "project": project.as_ref().map(|p| p.slug.as_str()),
                })),
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Revokes one grant; refuses to remove the last active admin.
    #[tracing::instrument(skip_all)]
    pub async fn revoke(&self, actor: &Principal, grant_id: i64) -> Result<(), ServiceError> {
        let actor = require(actor, Permission::ManageUsers, None)?;
        let now = self.services.clock.now_ms();
        let mut tx = self.services.store.begin().await?;
        let grant = grants::find(&mut tx, grant_id)
            .await?
            .ok_or(ServiceError::NotFound("role grant"))?;
        if grant.role == Role::Admin.as_str()
            && grant.project_id.is_none()
            && grants::count_admins(&mut tx).await? <= 1
        {
            return Err(ServiceError::Conflict(
                "This is the last admin; grant admin to someone else first.".into(),
            ));
        }
        let user = users::find(&mut tx, UserId(grant.user_id))
            .await?
            .ok_or(ServiceError::NotFound("user"))?;
        grants::delete(&mut tx, grant_id).await?;
        audit::record(
            &mut tx,
            actor,
            AuditAction::RoleRevoked,
            AuditSubject {
                id: user.id.to_string(),
                label: user.username.clone(),
                project: grant.project_id.map(ProjectId),
            },
            Some(json!({ "role": grant.role, "project": grant.project_slug })),
            None,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Disables or re-enables an account; a disabled account's sessions end at once.
    #[tracing::instrument(skip_all, fields(user = %username))]
    pub async fn set_disabled(
        &self,
        actor: &Principal,
        username: &str,
        disabled: bool,
    ) -> Result<(), ServiceError> {
        let actor = require(actor, Permission::ManageUsers, None)?;
        let now = self.services.clock.now_ms();
        let mut tx = self.services.store.begin().await?;
        let user = users::find_by_username(&mut tx, &username.trim().to_ascii_lowercase())
            .await?
            .ok_or(ServiceError::NotFound("user"))?;
        if user.id == actor.id.0 && disabled {
            return Err(ServiceError::Conflict(
                "You cannot disable your own account.".into(),
            ));
        }
        if user.disabled == disabled {
            return Ok(());
        }
        users::set_disabled(&mut tx, UserId(user.id), disabled, now).await?;
        if disabled && grants::count_admins(&mut tx).await? < 1 {
            return Err(ServiceError::Conflict(
                "This is the last active admin; grant admin to someone else first.".into(),
            ));
        }
        audit::record(
            &mut tx,
            actor,
            if disabled {
                AuditAction::UserDisabled
            } else {
                AuditAction::UserEnabled
            },
            AuditSubject {
                id: user.id.to_string(),
                label: user.username.clone(),
                project: None,
            },
            Some(json!({ "disabled": user.disabled })),
            Some(json!({ "disabled": disabled })),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

impl Accounts<'_> {
    /// Sets or removes (empty) an e-mail address: people set their own,
    /// user admins anyone's. Notifications are e-mailed there.
    #[tracing::instrument(skip_all, fields(user = %username))]
    pub async fn set_email(
        &self,
        actor: &Principal,
        username: &str,
        email: &str,
    ) -> Result<(), ServiceError> {
        let username = username.trim().to_ascii_lowercase();
        if username != actor.username {
            require(actor, Permission::ManageUsers, None)?;
        }
        let email = slipway_domain::user::parse_email(email)
            .map_err(|m| ServiceError::field("email", m))?;
        let now = self.services.clock.now_ms();
        let mut tx = self.services.store.begin().await?;
        let user = users::find_by_username(&mut tx, &username)
            .await?
            .ok_or(ServiceError::NotFound("user"))?;
        if user.email == email {
            return Ok(());
        }
        users::set_email(&mut tx, UserId(user.id), email.as_deref(), now).await?;
        audit::record(
            &mut tx,
            actor,
            AuditAction::UserEmailChanged,
            AuditSubject {
                id: user.id.to_string(),
                label: user.username.clone(),
                project: None,
            },
            Some(json!({ "email": user.email })),
            Some(json!({ "email": email })),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A person's e-mail address: your own, or anyone's as a user admin.
    #[tracing::instrument(skip_all, fields(user = %username))]
    pub async fn email_of(
        &self,
        actor: &Principal,
        username: &str,
    ) -> Result<Option<String>, ServiceError> {
        let username = username.trim().to_ascii_lowercase();
        if username != actor.username {
            require(actor, Permission::ManageUsers, None)?;
        }
        let mut conn = self.services.store.pool().acquire().await?;
        Ok(users::find_by_username(&mut conn, &username)
            .await?
            .ok_or(ServiceError::NotFound("user"))?
            .email)
    }

    /// Active people who hold `permission` for `project` (for choosing
    /// reviewers), by display name.
    #[tracing::instrument(skip_all)]
    pub async fn people_who_can(
        &self,
        permission: Permission,
        project: ProjectId,
    ) -> Result<Vec<Principal>, ServiceError> {
        let mut conn = self.services.store.pool().acquire().await?;
        let all_grants = grants::all(&mut conn).await?;
        let mut out: Vec<Principal> = users::list(&mut conn)
            .await?
            .into_iter()
            .filter(|u| !u.disabled)
            .map(|u| Principal {
                grants: all_grants
                    .iter()
                    .filter(|g| g.user_id == u.id)
                    .filter_map(grants::GrantRow::to_grant)
                    .collect(),
                id: UserId(u.id),
                username: u.username,
                display_name: u.display_name,
                must_change_password: u.must_change_password,
                token: None,
            })
            .filter(|p| p.can(permission, Some(project)))
            .collect();
        out.sort_by(|a, b| a.display_name.cmp(&b.display_name));
        Ok(out)
    }
}

fn unreadable_session(e: serde_json::Error) -> ServiceError {
    tracing::error!(error = %e, "unreadable session data");
    ServiceError::Internal(Box::new(e))
}

fn grant_view(g: &grants::GrantRow) -> Option<GrantView> {
    let grant = g.to_grant()?;
    Some(GrantView {
        id: g.id,
        role: grant.role,
        project_slug: g.project_slug.clone(),
        project_name: g.project_name.clone(),
    })
}
