//! How an environment deploys: its adapter, checks and automatic rollback,
//! set by admins and release managers (`Permission::ConfigureDeployments`:
//! a command adapter runs a program on the Slipway host).

use super::{parse_settings, Deployments};
use crate::audit;
use crate::storage::environments;
use crate::ServiceError;
use serde_json::json;
use slipway_domain::deployment::adapter::{DeploySettings, DeploySettingsForm};
use slipway_domain::{AuditAction, Permission, Principal, ProjectId};

impl Deployments<'_> {
    /// The environment's settings (anyone who sees the project).
    pub async fn settings(
        &self,
        actor: &Principal,
        slug: &str,
        env: &str,
    ) -> Result<DeploySettings, ServiceError> {
        let mut conn = self.services.store.pool().acquire().await?;
        let (_, env_row) = self.locate(&mut conn, actor, slug, env).await?;
        parse_settings(&env_row.deploy_settings)
    }

    /// Parses and stores the environment's settings; every bad field is
    /// named. Audited with before and after.
    #[tracing::instrument(skip_all, fields(project = %slug, environment = %env))]
    pub async fn update_settings(
        &self,
        actor: &Principal,
        slug: &str,
        env: &str,
        form: &DeploySettingsForm,
    ) -> Result<DeploySettings, ServiceError> {
        let mut tx = self.services.store.begin().await?;
        let (project, env_row) = self.locate(&mut tx, actor, slug, env).await?;
        crate::accounts::require(
            actor,
            Permission::ConfigureDeployments,
            Some(ProjectId(project.id)),
        )?;
        let settings = form.parse().map_err(ServiceError::Validation)?;
        if let slipway_domain::deployment::adapter::Adapter::Gitops(g) = &settings.adapter {
            if let Some(name) = g.credential.as_deref() {
                if !self.services.git.credentials.contains_key(name) {
                    return Err(ServiceError::field(
                        "gitops.credential",
                        format!("Slipway's configuration has no git credential named \u{201c}{name}\u{201d} ([git_credentials.{name}])."),
                    ));
                }
            }
            if let Some(path) = crate::git::mirror::local_path(&g.repo_url) {
                crate::git::mirror::allow_local(
                    &path,
                    &self.services.git.local_repositories,
                    &self.services.git.data_dir,
                )
                .map_err(|m| ServiceError::field("gitops.repo_url", m))?;
            }
        }
        let json =
            serde_json::to_string(&settings).map_err(|e| ServiceError::Internal(Box::new(e)))?;
        let now = self.services.clock.now_ms();
        environments::set_deploy_settings(&mut tx, env_row.id, &json, now).await?;
        audit::record(
            &mut tx,
            actor,
            AuditAction::DeploySettingsUpdated,
            audit::AuditSubject {
                id: env_row.id.to_string(),
                label: format!("{} {}", project.slug, env_row.name),
                project: Some(ProjectId(project.id)),
            },
            serde_json::from_str::<serde_json::Value>(&env_row.deploy_settings).ok(),
            Some(json!(settings)),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(settings)
    }
}
