//! What the environment page reads: what runs there (and since when, by
//! whom, through which deployment), the last verified version, what
//! waits, the history with outcomes, holds, the deploy settings and what
//! a rollback would do.

use super::{parse_settings, view, Deployments};
use crate::clock::format_ms;
use crate::storage::deployments::{self as store};
use crate::storage::holds;
use crate::ServiceError;
use slipway_domain::deployment::adapter::DeploySettingsForm;
use slipway_domain::deployment::view::{
    DeploymentView, EnvironmentPage, HoldView, RollbackPreview,
};
use slipway_domain::deployment::{self, DeploymentKind, DeploymentState, Landing};
use slipway_domain::{Permission, Principal, ProjectId};

/// How many past deployments the page lists.
const HISTORY: i64 = 50;

impl Deployments<'_> {
    #[tracing::instrument(skip_all, fields(project = %slug, environment = %env))]
    pub async fn environment_page(
        &self,
        actor: &Principal,
        slug: &str,
        env: &str,
    ) -> Result<EnvironmentPage, ServiceError> {
        let mut conn = self.services.store.pool().acquire().await?;
        let (project, env_row) = self.locate(&mut conn, actor, slug, env).await?;
        let pid = ProjectId(project.id);
        let settings = parse_settings(&env_row.deploy_settings)?;
        let rows = store::for_environment(&mut conn, env_row.id, HISTORY).await?;
        let landings = store::landings(&mut conn, env_row.id, 100).await?;
        let holds_rows = holds::active_in(&mut conn, env_row.id).await?;
        drop(conn);

        let current_row = rows.iter().find(|d| d.state == DeploymentState::Succeeded);
        let current = current_row.map(|d| view(d, &env_row.name, None));
        let mut unfinished: Vec<_> = rows.iter().filter(|d| !d.state.is_finished()).collect();
        unfinished.sort_by_key(|d| d.id);
        let waiting: Vec<DeploymentView> = unfinished
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let ahead = (d.state == DeploymentState::Queued).then_some(i as i64);
                view(d, &env_row.name, ahead)
            })
            .collect();
        // The newest promotion (or re-run of checks) that ended, if it
        // failed: a red banner, with Rollback when it was not rolled back
        // automatically. (Rollbacks that succeeded after it do not hide it.)
        let failed = rows
            .iter()
            .filter(|d| d.state.is_finished())
            .find(|d| {
                !(d.kind == DeploymentKind::Rollback && d.state == DeploymentState::Succeeded)
            })
            .filter(|d| {
                matches!(
                    d.state,
                    DeploymentState::Failed | DeploymentState::RolledBack
                )
            })
            .map(|d| view(d, &env_row.name, None));
        let landing_list: Vec<Landing> = landings.into_iter().map(super::landing).collect();
        let last_verified = landing_list
            .iter()
            .find(|l| l.verified)
            .and_then(|l| rows.iter().find(|d| d.id == l.deployment_id))
            .map(|d| view(d, &env_row.name, None));
        let held: Vec<String> = holds_rows.iter().map(|h| h.identity.clone()).collect();
        // What a rollback takes out: a promotion under way (it pre-empts
        // it, see `request::rollback_in`), else what runs.
        let taken_out = unfinished
            .iter()
            .copied()
            .find(|d| d.kind == DeploymentKind::Promotion && d.state != DeploymentState::Queued)
            .or(current_row);
        let out_identity = taken_out.map(|d| d.identity.as_str());
        let rollback =
            deployment::rollback_target(&env_row.name, &landing_list, out_identity, &held).map(
                |t| RollbackPreview {
                    from_version: taken_out.map(|d| d.version.clone()),
                    from_artifact: taken_out.map(|d| d.artifact.clone()),
                    to_version: t.version.clone(),
                    to_artifact: t.artifact.clone(),
                },
            );
        Ok(EnvironmentPage {
            project_slug: project.slug,
            project_name: project.name,
            environment: env_row.name.clone(),
            tier: env_row.tier.clone(),
            current,
            last_verified,
            waiting,
            history: rows.iter().map(|d| view(d, &env_row.name, None)).collect(),
            holds: holds_rows
                .into_iter()
                .map(|h| HoldView {
                    id: h.id,
                    version: h.version,
                    identity: h.identity,
                    reason: h.reason,
                    held_at: format_ms(h.held_at),
                    held_by: h.held_by_name,
                })
                .collect(),
            failed,
            adapter_label: settings.adapter.label().to_owned(),
            settings: DeploySettingsForm::from_settings(&settings),
            rollback,
            can_roll_back: actor.can(Permission::RollBack, Some(pid)),
            can_promote: actor.can(Permission::PromoteReleases, Some(pid)),
            can_configure: actor.can(Permission::ConfigureDeployments, Some(pid)),
        })
    }

    /// One deployment of an environment the actor may see.
    pub async fn find(
        &self,
        actor: &Principal,
        slug: &str,
        env: &str,
        id: i64,
    ) -> Result<DeploymentView, ServiceError> {
        let mut conn = self.services.store.pool().acquire().await?;
        let (_, env_row) = self.locate(&mut conn, actor, slug, env).await?;
        let d = store::find(&mut conn, id)
            .await?
            .filter(|d| d.environment_id == env_row.id)
            .ok_or(ServiceError::NotFound("deployment"))?;
        Ok(view(&d, &env_row.name, None))
    }

    /// A deployment by id alone (the API and the live stream), if the actor
    /// may see its project: (project slug, environment name, the view).
    pub async fn by_id(
        &self,
        actor: &Principal,
        id: i64,
    ) -> Result<(String, DeploymentView), ServiceError> {
        let mut conn = self.services.store.pool().acquire().await?;
        let d = store::find(&mut conn, id)
            .await?
            .filter(|d| actor.can(Permission::ViewProject, Some(ProjectId(d.project_id))))
            .ok_or(ServiceError::NotFound("deployment"))?;
        let env = crate::storage::environments::find(
            &mut conn,
            slipway_domain::EnvironmentId(d.environment_id),
        )
        .await?
        .ok_or(ServiceError::NotFound("deployment"))?;
        let project = crate::storage::projects::find(&mut conn, ProjectId(d.project_id))
            .await?
            .ok_or(ServiceError::NotFound("deployment"))?;
        Ok((project.slug, view(&d, &env.name, None)))
    }

    /// The adapter's output from character `from` on, the state, and the
    /// output's length (for the live stream); the caller checked access
    /// with [`Deployments::by_id`].
    pub async fn output_since(
        &self,
        id: i64,
        from: i64,
    ) -> Result<Option<(String, DeploymentState, i64)>, ServiceError> {
        let mut conn = self.services.store.pool().acquire().await?;
        Ok(store::output_since(&mut conn, id, from)
            .await?
            .and_then(|(text, state, len)| DeploymentState::parse(&state).map(|s| (text, s, len))))
    }
}
