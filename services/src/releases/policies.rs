//! Each environment's approval policy: who must sign off before a release
//! may enter it.

use super::decisions::parse_policy;
use super::{tier, Releases};
use crate::audit::{self, AuditSubject};
use crate::storage::{approvals, environments};
use crate::ServiceError;
use serde_json::json;
use slipway_domain::approval::ApprovalPolicy;
use slipway_domain::read::EnvironmentPolicy;
use slipway_domain::{AuditAction, EnvironmentTier, Permission, Principal, ProjectId};

impl Releases<'_> {
    /// Sets an environment's approval policy. Returns warnings (e.g. a
    /// production environment that needs no approval).
    #[tracing::instrument(skip_all, fields(project = %slug))]
    pub async fn set_policy(
        &self,
        actor: &Principal,
        slug: &str,
        environment: &str,
        policy: &ApprovalPolicy,
    ) -> Result<Vec<String>, ServiceError> {
        let project = self.services.repositories().project(actor, slug).await?;
        let pid = ProjectId(project.id);
        crate::accounts::require(actor, Permission::ManageReleasePolicies, Some(pid))?;
        let mut tx = self.services.store.begin().await?;
        let env = environments::for_project(&mut tx, pid)
            .await?
            .into_iter()
            .find(|e| e.name == environment)
            .ok_or(ServiceError::NotFound("environment"))?;
        let warnings = policy.validate(tier(&env) == EnvironmentTier::Production)?;
        let before = approvals::policy(&mut tx, env.id).await?;
        let json =
            serde_json::to_string(policy).map_err(|e| ServiceError::Internal(Box::new(e)))?;
        let now = self.services.clock.now_ms();
        approvals::set_policy(&mut tx, env.id, &json, actor.id.0, now).await?;
        let subject = AuditSubject {
            id: env.id.to_string(),
            label: format!("{}/{}", project.slug, env.name),
            project: Some(pid),
        };
        audit::record(
            &mut tx,
            actor,
            AuditAction::ApprovalPolicyUpdated,
            subject,
            before.and_then(|b| serde_json::from_str(&b).ok()),
            Some(json!(policy)),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(warnings)
    }

    /// Every environment's approval policy, in pipeline order.
    #[tracing::instrument(skip_all, fields(project = %slug))]
    pub async fn policies(
        &self,
        actor: &Principal,
        slug: &str,
    ) -> Result<Vec<EnvironmentPolicy>, ServiceError> {
        let project = self.services.repositories().project(actor, slug).await?;
        let pid = ProjectId(project.id);
        let can_edit = actor.can(Permission::ManageReleasePolicies, Some(pid));
        let mut conn = self.services.store.pool().acquire().await?;
        let envs = environments::for_project(&mut conn, pid).await?;
        let ids: Vec<i64> = envs.iter().map(|e| e.id).collect();
        let stored = approvals::policies(&mut conn, &ids).await?;
        let mut out = Vec::new();
        for env in envs {
            let policy = match stored.iter().find(|(id, _)| *id == env.id) {
                Some((_, json)) => parse_policy(json)?,
                None => ApprovalPolicy::default(),
            };
            let production = tier(&env) == EnvironmentTier::Production;
            out.push(EnvironmentPolicy {
                environment: env.name.clone(),
                tier: tier(&env),
                required: policy.required,
                groups: policy
                    .groups
                    .iter()
                    .map(|g| {
                        (
                            g.at_least,
                            g.any_of.iter().map(|r| r.as_str().to_owned()).collect(),
                        )
                    })
                    .collect(),
                description: policy.describe(),
                warnings: policy.warnings(production),
                can_edit,
            });
        }
        Ok(out)
    }
}
