//! API tokens: creating, listing and revoking them, and turning a presented
//! secret into the [`Principal`] the request acts as.
//!
//! The secret is `slw_` and 64 hex digits (256 random bits), shown once.
//! Only HMAC-SHA256 of it, keyed with an installation secret, is stored:
//! fast enough to check on every API request (tokens carry enough entropy
//! that a slow password hash would add nothing), and useless to whoever
//! reads the database without the key.

use crate::audit::{self, AuditSubject};
use crate::clock::format_ms;
use crate::storage::api_tokens::{self as store, NewToken, TokenRow};
use crate::storage::{grants, projects, users};
use crate::{ServiceError, Services};
use hmac::{Hmac, Mac};
use rand::RngCore;
use serde_json::json;
use sha2::Sha256;
use slipway_domain::read::{TokenStatus, TokenView};
use slipway_domain::token::{
    self, looks_like_token, TokenKind, TokenLimits, TokenScope, TOKEN_PREFIX,
};
use slipway_domain::{AuditAction, Permission, Principal, ProjectId, UserId};

/// "Last used" is written at most once a minute per token (and whenever
/// the address changes).
const TOUCH_EVERY_MS: i64 = 60_000;

/// What a person asks for when creating a token.
#[derive(Debug, Clone, Default)]
pub struct NewTokenInput {
    pub name: String,
    /// Comma-separated scopes (`read` is always included).
    pub scopes: String,
    /// Personal tokens: project slugs to limit it to (empty: every project
    /// the owner can reach). Ignored for service tokens.
    pub projects: Vec<String>,
    /// `30d`, `12h`, `2w`; empty for the default (90 days).
    pub expires_in: String,
}

/// A token just created: the secret, shown once, and how it is listed.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub secret: String,
    pub token: TokenView,
}

/// Why a presented token was refused. Callers answer 401 for all of them
/// alike, with this as the explanation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenRefusal {
    #[error("this is not a Slipway API token (expected slw_ and 64 hex digits)")]
    Malformed,
    #[error("this token is not known (it may have been deleted)")]
    Unknown,
    #[error("this token has expired; create a new one")]
    Expired,
    #[error("this token was revoked")]
    Revoked,
    #[error("the account this token acts for is disabled")]
    Disabled,
}

/// The outcome of checking a token.
#[derive(Debug)]
pub enum Authenticated {
    Yes(Box<Principal>, TokenId),
    No(TokenRefusal),
}

/// A token's row id (for rate limits and logs; never the secret).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TokenId(pub i64);

pub struct ApiTokens<'a> {
    pub(crate) services: &'a Services,
}

impl ApiTokens<'_> {
    /// The installation's hashing key, created on first use.
    async fn key(&self) -> Result<&[u8], ServiceError> {
        let services = self.services;
        let key = services
            .api_token_key
            .get_or_try_init(|| async {
                let mut fresh = [0u8; 32];
                rand::thread_rng().fill_bytes(&mut fresh);
                let fresh: String = fresh.iter().map(|b| format!("{b:02x}")).collect();
                let mut conn = services.store.pool().acquire().await?;
                let value = store::installation_secret(&mut conn, "api_token_key", &fresh).await?;
                Ok::<_, ServiceError>(value.into_bytes())
            })
            .await?;
        Ok(key.as_slice())
    }

    pub(crate) async fn hash(&self, secret: &str) -> Result<String, ServiceError> {
        let key = self.key().await?;
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
            .map_err(|e| ServiceError::Internal(Box::new(e)))?;
        mac.update(secret.as_bytes());
        Ok(mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect())
    }

    /// Checks a presented secret. Expired, revoked and unknown tokens are
    /// refused alike (401); using a revoked or expired one is audited, so
    /// whoever still has it configured can be found.
    #[tracing::instrument(skip_all)]
    pub async fn authenticate(
        &self,
        secret: &str,
        client_ip: Option<&str>,
    ) -> Result<Authenticated, ServiceError> {
        if !looks_like_token(secret) {
            return Ok(Authenticated::No(TokenRefusal::Malformed));
        }
        let hash = self.hash(secret).await?;
        let mut conn = self.services.store.pool().acquire().await?;
        let Some(row) = store::find_by_hash(&mut conn, &hash).await? else {
            return Ok(Authenticated::No(TokenRefusal::Unknown));
        };
        let now = self.services.clock.now_ms();
        let refusal = if row.revoked_at.is_some() {
            Some(TokenRefusal::Revoked)
        } else if row.expires_at <= now {
            Some(TokenRefusal::Expired)
        } else if row.user_disabled != 0 {
            Some(TokenRefusal::Disabled)
        } else {
            None
        };
        if let Some(refusal) = refusal {
            drop(conn);
            self.record_refusal(&row, refusal, client_ip).await?;
            return Ok(Authenticated::No(refusal));
        }
        let Some(user) = users::find(&mut conn, UserId(row.user_id)).await? else {
            return Ok(Authenticated::No(TokenRefusal::Unknown));
        };
        let grants = match row.kind {
            TokenKind::Personal => grants::for_user(&mut conn, UserId(row.user_id))
                .await?
                .iter()
                .filter_map(grants::GrantRow::to_grant)
                .collect(),
            TokenKind::Service => Vec::new(),
        };
        let projects = match (row.kind, row.project_id) {
            (TokenKind::Service, Some(p)) => Some(vec![ProjectId(p)]),
            _ if row.all_projects != 0 => None,
            _ => Some(
                store::projects_of(&mut conn, &[row.id])
                    .await?
                    .into_iter()
                    .map(|(_, p, _)| ProjectId(p))
                    .collect(),
            ),
        };
        // Most requests find "last used" fresh: they skip the write (on
        // SQLite even an UPDATE that matches nothing waits for the write lock).
        let fresh = row.last_used_at.is_some_and(|at| at > now - TOUCH_EVERY_MS)
            && row.last_used_ip.as_deref() == client_ip;
        if !fresh {
            store::touch(&mut conn, row.id, client_ip, now, TOUCH_EVERY_MS).await?;
        }
        let principal = Principal {
            id: UserId(user.id),
            username: user.username,
            display_name: user.display_name,
            grants,
            // A password change is a matter for the pages, not the API.
            must_change_password: false,
            token: Some(TokenLimits {
                kind: row.kind,
                projects,
                scopes: row.scopes(),
            }),
        };
        Ok(Authenticated::Yes(Box::new(principal), TokenId(row.id)))
    }

    async fn record_refusal(
        &self,
        row: &TokenRow,
        refusal: TokenRefusal,
        client_ip: Option<&str>,
    ) -> Result<(), ServiceError> {
        let mut tx = self.services.store.begin().await?;
        let Some(owner) = users::find(&mut tx, UserId(row.user_id)).await? else {
            return Ok(());
        };
        let actor = bare_principal(owner);
        audit::record(
            &mut tx,
            &actor,
            AuditAction::ApiTokenRefused,
            subject(row),
            None,
            Some(json!({ "reason": refusal.to_string(), "ip": client_ip })),
            self.services.clock.now_ms(),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Creates a personal token for `actor` (acting as them, within its
    /// scopes and projects).
    #[tracing::instrument(skip_all)]
    pub async fn create_personal(
        &self,
        actor: &Principal,
        input: &NewTokenInput,
    ) -> Result<IssuedToken, ServiceError> {
        let max_days = self.services.api_settings.token_max_days;
        if actor.token.is_some() {
            // A token cannot mint tokens (they would outlive its revocation).
            return Err(ServiceError::Forbidden);
        }
        let parsed = parse_input(input, max_days)?;
        // The key first: reading it needs a connection of its own, which
        // SQLite would not give while this transaction writes.
        self.key().await?;
        let mut tx = self.services.store.begin().await?;
        let mut limited = Vec::new();
        for slug in input
            .projects
            .iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
        {
            let found = projects::find_by_slug(&mut tx, slug).await?;
            match found {
                Some(p) if actor.can(Permission::ViewProject, Some(ProjectId(p.id))) => {
                    limited.push(p.id)
                }
                _ => {
                    return Err(ServiceError::field(
                        "projects",
                        format!("there is no project \"{slug}\" that you can see"),
                    ))
                }
            }
        }
        limited.sort_unstable();
        limited.dedup();
        let issued = self
            .insert(
                &mut tx,
                actor,
                &parsed,
                Insert {
                    kind: TokenKind::Personal,
                    user_id: actor.id.0,
                    project_id: None,
                    projects: (!limited.is_empty()).then_some(limited.as_slice()),
                },
            )
            .await?;
        tx.commit().await?;
        Ok(issued)
    }

    /// Creates a service token for a project (release managers and admins):
    /// its scopes must be ones the creator has on the project.
    #[tracing::instrument(skip_all, fields(project = %slug))]
    pub async fn create_service(
        &self,
        actor: &Principal,
        slug: &str,
        input: &NewTokenInput,
    ) -> Result<IssuedToken, ServiceError> {
        let max_days = self.services.api_settings.token_max_days;
        if actor.token.is_some() {
            return Err(ServiceError::Forbidden);
        }
        self.key().await?;
        let mut tx = self.services.store.begin().await?;
        let project = projects::find_by_slug(&mut tx, slug)
            .await?
            .filter(|p| actor.can(Permission::ViewProject, Some(ProjectId(p.id))))
            .ok_or(ServiceError::NotFound("project"))?;
        let pid = ProjectId(project.id);
        if !may_manage_service_tokens(actor, pid) {
            return Err(ServiceError::Forbidden);
        }
        let parsed = parse_input(input, max_days)?;
        if let Some(beyond) = parsed
            .scopes
            .iter()
            .find(|s| !s.permissions().iter().all(|p| actor.can(*p, Some(pid))))
        {
            return Err(ServiceError::field(
                "scopes",
                format!(
                    "you cannot give a token a right you do not have on this project (\"{beyond}\")"
                ),
            ));
        }
        let now = self.services.clock.now_ms();
        // A service account, so that what the token does is attributed to it.
        let mut suffix = [0u8; 4];
        rand::thread_rng().fill_bytes(&mut suffix);
        let suffix: String = suffix.iter().map(|b| format!("{b:02x}")).collect();
        let account = store::insert_service_account(
            &mut tx,
            &format!("service:{}:{suffix}", project.slug),
            &format!("{} (service token of {})", parsed.name, project.slug),
            now,
        )
        .await?;
        let issued = self
            .insert(
                &mut tx,
                actor,
                &parsed,
                Insert {
                    kind: TokenKind::Service,
                    user_id: account,
                    project_id: Some(project.id),
                    projects: None,
                },
            )
            .await?;
        tx.commit().await?;
        Ok(issued)
    }

    /// For the command line (`slipway admin create-token`): a personal
    /// token for `username`, optionally limited to one project, issued with
    /// operator authority (bootstrapping CI before anyone signs in).
    pub async fn create_for_user(
        &self,
        username: &str,
        input: &NewTokenInput,
    ) -> Result<IssuedToken, ServiceError> {
        let mut conn = self.services.store.pool().acquire().await?;
        let user = users::find_by_username(&mut conn, username.trim())
            .await?
            .ok_or_else(|| ServiceError::field("username", "there is no such user"))?;
        if user.disabled {
            return Err(ServiceError::field("username", "this account is disabled"));
        }
        let grants = grants::for_user(&mut conn, UserId(user.id))
            .await?
            .iter()
            .filter_map(grants::GrantRow::to_grant)
            .collect();
        drop(conn);
        let mut owner = bare_principal(user);
        owner.grants = grants;
        self.create_personal(&owner, input).await
    }

    async fn insert(
        &self,
        tx: &mut sqlx::AnyConnection,
        actor: &Principal,
        parsed: &Parsed,
        target: Insert<'_>,
    ) -> Result<IssuedToken, ServiceError> {
        let mut bytes = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut bytes);
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let secret = format!("{TOKEN_PREFIX}{hex}");
        let hash = self.hash(&secret).await?;
        let now = self.services.clock.now_ms();
        let expires_at = now.saturating_add(
            i64::try_from(parsed.lifetime_s.saturating_mul(1000)).unwrap_or(i64::MAX),
        );
        let id = store::insert(
            tx,
            &NewToken {
                kind: target.kind,
                name: &parsed.name,
                user_id: target.user_id,
                project_id: target.project_id,
                projects: target.projects,
                scopes: &parsed.scopes,
                token_hash: &hash,
                hint: &hex[..8],
                created_by: actor.id.0,
                expires_at,
            },
            now,
        )
        .await?;
        let row = store::find(tx, id)
            .await?
            .ok_or(ServiceError::NotFound("token"))?;
        let limited = store::projects_of(tx, &[id]).await?;
        let view = to_view(&row, &limited, now);
        audit::record(
            tx,
            actor,
            AuditAction::ApiTokenCreated,
            subject(&row),
            None,
            Some(json!({
                "kind": row.kind.as_str(),
                "scopes": row.scopes,
                "projects": view.projects,
                "expires_at": format_ms(expires_at),
            })),
            now,
        )
        .await?;
        Ok(IssuedToken {
            secret,
            token: view,
        })
    }

    /// The tokens `actor` created for themselves.
    pub async fn mine(&self, actor: &Principal) -> Result<Vec<TokenView>, ServiceError> {
        let mut conn = self.services.store.pool().acquire().await?;
        let rows = store::personal_of(&mut conn, actor.id.0).await?;
        self.views(&mut conn, rows).await
    }

    /// A project's service tokens (for those who may manage them).
    pub async fn of_project(
        &self,
        actor: &Principal,
        slug: &str,
    ) -> Result<Vec<TokenView>, ServiceError> {
        self.of_project_if_manager(actor, slug)
            .await?
            .ok_or(ServiceError::Forbidden)
    }

    /// For the project page, which shows service tokens only to those who
    /// may manage them: the project's service tokens, or `None` when `actor`
    /// may not (404 when the project is not visible at all).
    pub async fn of_project_if_manager(
        &self,
        actor: &Principal,
        slug: &str,
    ) -> Result<Option<Vec<TokenView>>, ServiceError> {
        let mut conn = self.services.store.pool().acquire().await?;
        let project = projects::find_by_slug(&mut conn, slug)
            .await?
            .filter(|p| actor.can(Permission::ViewProject, Some(ProjectId(p.id))))
            .ok_or(ServiceError::NotFound("project"))?;
        if !may_manage_service_tokens(actor, ProjectId(project.id)) {
            return Ok(None);
        }
        let rows = store::service_of(&mut conn, project.id).await?;
        self.views(&mut conn, rows).await.map(Some)
    }

    /// The longest a new token may live on this installation, in days (for
    /// the create forms' choices).
    pub fn max_days(&self) -> u32 {
        self.services.api_settings.token_max_days
    }

    async fn views(
        &self,
        conn: &mut sqlx::AnyConnection,
        rows: Vec<TokenRow>,
    ) -> Result<Vec<TokenView>, ServiceError> {
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let limited = store::projects_of(conn, &ids).await?;
        let now = self.services.clock.now_ms();
        Ok(rows.iter().map(|r| to_view(r, &limited, now)).collect())
    }

    /// Revokes a token: one's own personal token, or a service token of a
    /// project one manages. Revoking twice is not an error.
    #[tracing::instrument(skip_all, fields(token.id = id))]
    pub async fn revoke(&self, actor: &Principal, id: i64) -> Result<(), ServiceError> {
        if actor.token.is_some() {
            return Err(ServiceError::Forbidden);
        }
        let mut tx = self.services.store.begin().await?;
        let row = store::find(&mut tx, id)
            .await?
            .ok_or(ServiceError::NotFound("token"))?;
        let allowed = match (row.kind, row.project_id) {
            (TokenKind::Personal, _) => row.user_id == actor.id.0 || actor.is_admin(),
            (TokenKind::Service, Some(p)) => may_manage_service_tokens(actor, ProjectId(p)),
            (TokenKind::Service, None) => false,
        };
        if !allowed {
            return Err(ServiceError::NotFound("token"));
        }
        let now = self.services.clock.now_ms();
        if store::revoke(&mut tx, id, actor.id.0, now).await? {
            audit::record(
                &mut tx,
                actor,
                AuditAction::ApiTokenRevoked,
                subject(&row),
                None,
                None,
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

struct Parsed {
    name: String,
    scopes: Vec<TokenScope>,
    lifetime_s: u64,
}

struct Insert<'a> {
    kind: TokenKind,
    user_id: i64,
    project_id: Option<i64>,
    projects: Option<&'a [i64]>,
}

fn parse_input(input: &NewTokenInput, max_days: u32) -> Result<Parsed, ServiceError> {
    let mut errors = slipway_domain::FieldErrors::new();
    let name = errors.check("name", token::parse_name(&input.name));
    let scopes = errors.check("scopes", TokenScope::parse_list(&input.scopes));
    let lifetime = errors.check(
        "expires_in",
        if input.expires_in.trim().is_empty() {
            Ok(u64::from(token::DEFAULT_LIFETIME_DAYS.min(max_days)) * 86_400)
        } else {
            token::parse_lifetime(&input.expires_in, max_days)
        },
    );
    match (name, scopes, lifetime) {
        (Some(name), Some(scopes), Some(lifetime_s)) => Ok(Parsed {
            name,
            scopes,
            lifetime_s,
        }),
        _ => Err(ServiceError::Validation(errors)),
    }
}

/// Who may list, create and revoke a project's service tokens: those who
/// may edit the project (release managers and admins).
fn may_manage_service_tokens(actor: &Principal, project: ProjectId) -> bool {
    actor.can(Permission::EditProject, Some(project))
}

fn subject(row: &TokenRow) -> AuditSubject {
    AuditSubject {
        id: row.id.to_string(),
        label: match &row.project_slug {
            Some(slug) => format!("service token \"{}\" of {slug}", row.name),
            None => format!("API token \"{}\"", row.name),
        },
        project: row.project_id.map(ProjectId),
    }
}

fn bare_principal(user: users::UserRow) -> Principal {
    Principal {
        id: UserId(user.id),
        username: user.username,
        display_name: user.display_name,
        grants: Vec::new(),
        must_change_password: user.must_change_password,
        token: None,
    }
}

fn to_view(row: &TokenRow, limited: &[(i64, i64, String)], now: i64) -> TokenView {
    let projects = (row.kind == TokenKind::Personal && row.all_projects == 0).then(|| {
        limited
            .iter()
            .filter(|(t, _, _)| *t == row.id)
            .map(|(_, _, slug)| slug.clone())
            .collect()
    });
    TokenView {
        id: row.id,
        kind: row.kind,
        name: row.name.clone(),
        hint: format!("{TOKEN_PREFIX}{}…", row.hint),
        scopes: row.scopes(),
        project: row.project_slug.clone(),
        projects,
        created_at: format_ms(row.created_at),
        created_by: row.created_by_name.clone().unwrap_or_default(),
        expires_at: format_ms(row.expires_at),
        last_used_at: row.last_used_at.map(format_ms),
        last_used_ip: row.last_used_ip.clone(),
        status: if row.revoked_at.is_some() {
            TokenStatus::Revoked
        } else if row.expires_at <= now {
            TokenStatus::Expired
        } else {
            TokenStatus::Active
        },
    }
}
