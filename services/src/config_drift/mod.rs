//! Config drift: each environment's configuration (plain values, and
//! secrets only as references to where they live), edited in the browser
//! and through the API; the side-by-side comparison of a project's
//! environments; and the findings the promotion gate weighs when an
//! environment requires matching configuration. The rules themselves are
//! `slipway_domain::config_drift`.

use crate::audit;
use crate::storage::config_drift::{self as store, ConfigRow};
use crate::storage::{environments, projects};
use crate::{ServiceError, Services};
use serde_json::json;
use slipway_domain::config_drift::{
    compare, promotion_differences, ConfigDifference, ConfigEntry, ConfigForm, ConfigKey,
    ConfigPage, ConfigValue, DriftRules, DriftRulesForm, EnvironmentConfig, EnvironmentConfigView,
};
use slipway_domain::{AuditAction, Permission, Principal, ProjectId};
use std::collections::{BTreeSet, HashMap};

pub struct ConfigDrift<'a> {
    services: &'a Services,
}

impl Services {
    pub fn config_drift(&self) -> ConfigDrift<'_> {
        ConfigDrift { services: self }
    }
}

/// Stored rows as the domain reads them: each environment's configuration
/// and the project's rules (rows with `environment_id` 0, see
/// [`store::with_rules`]). A stored value that no longer parses is left
/// out and logged (it was valid when written).
fn read(rows: Vec<ConfigRow>) -> (HashMap<i64, EnvironmentConfig>, DriftRules) {
    let mut configs: HashMap<i64, EnvironmentConfig> = HashMap::new();
    let mut must_match = BTreeSet::new();
    for row in rows {
        let Ok(key) = ConfigKey::parse(&row.key) else {
            tracing::warn!(key = %row.key, "a stored configuration key no longer parses; left out");
            continue;
        };
        if row.kind == "rule" {
            must_match.insert(key);
            continue;
        }
        let value = match row.kind.as_str() {
            "secret" => ConfigValue::secret(&row.value),
            _ => ConfigValue::plain(&row.value),
        };
        match value {
            Ok(value) => {
                configs
                    .entry(row.environment_id)
                    .or_default()
                    .entries
                    .insert(key, value);
            }
            Err(_) => {
                tracing::warn!(key = %row.key, "a stored configuration value no longer parses; left out")
            }
        }
    }
    (configs, DriftRules { must_match })
}

/// The configuration differences a promotion into `env` brings from the
/// environment before it, in one statement.
pub(crate) async fn differences(
    conn: &mut sqlx::AnyConnection,
    env: &environments::EnvironmentRow,
    previous: Option<&environments::EnvironmentRow>,
) -> Result<Vec<ConfigDifference>, ServiceError> {
    let Some(prev) = previous else {
        return Ok(Vec::new());
    };
    let rows = store::with_rules(conn, env.project_id, &[prev.id, env.id]).await?;
    let (configs, rules) = read(rows);
    let empty = EnvironmentConfig::default();
    Ok(promotion_differences(
        Some((&prev.name, configs.get(&prev.id).unwrap_or(&empty))),
        (&env.name, configs.get(&env.id).unwrap_or(&empty)),
        &rules,
    ))
}

impl ConfigDrift<'_> {
    /// A project's configuration page (anyone who sees the project).
    pub async fn page(&self, actor: &Principal, slug: &str) -> Result<ConfigPage, ServiceError> {
        let mut conn = self.services.store.pool().acquire().await?;
        let project = self.project(&mut conn, actor, slug).await?;
        let envs = environments::for_project(&mut conn, ProjectId(project.id)).await?;
        let ids: Vec<i64> = envs.iter().map(|e| e.id).collect();
        let (configs, rules) = read(store::with_rules(&mut conn, project.id, &ids).await?);
        let views: Vec<EnvironmentConfigView> = envs
            .iter()
            .map(|e| EnvironmentConfigView {
                name: e.name.clone(),
                config: configs.get(&e.id).cloned().unwrap_or_default(),
                require_match: e.require_config_match != 0,
            })
            .collect();
        let tiers: Vec<(String, &EnvironmentConfig)> =
            views.iter().map(|v| (v.name.clone(), &v.config)).collect();
        let report = compare(&tiers, &rules);
        Ok(ConfigPage {
            project: project.slug.clone(),
            may_edit: actor.can(Permission::EditConfiguration, Some(ProjectId(project.id))),
            environments: views,
            rules,
            report,
        })
    }

    /// One environment's configuration.
    pub async fn environment(
        &self,
        actor: &Principal,
        slug: &str,
        env: &str,
    ) -> Result<EnvironmentConfig, ServiceError> {
        let mut conn = self.services.store.pool().acquire().await?;
        let (project, env_row) = self.locate(&mut conn, actor, slug, env).await?;
        let rows = store::with_rules(&mut conn, project.id, &[env_row.id]).await?;
        Ok(read(rows).0.remove(&env_row.id).unwrap_or_default())
    }

    /// Replaces an environment's configuration with what the form holds;
    /// every bad row is named. Admins and release managers
    /// (`EditConfiguration`; tokens with `config:write`). Audited with before and after (secrets
    /// are references, so the log holds no secret).
    #[tracing::instrument(skip_all, fields(project = %slug, environment = %env))]
    pub async fn update_environment(
        &self,
        actor: &Principal,
        slug: &str,
        env: &str,
        form: &ConfigForm,
    ) -> Result<EnvironmentConfig, ServiceError> {
        let mut tx = self.services.store.begin().await?;
        let (project, env_row) = self.locate(&mut tx, actor, slug, env).await?;
        crate::accounts::require(
            actor,
            Permission::EditConfiguration,
            Some(ProjectId(project.id)),
        )?;
        let config = form.parse().map_err(ServiceError::Validation)?;
        let before = read(store::with_rules(&mut tx, project.id, &[env_row.id]).await?)
            .0
            .remove(&env_row.id)
            .unwrap_or_default();
        let rows: Vec<(String, &'static str, String)> = config
            .to_entries()
            .into_iter()
            .map(|ConfigEntry { key, value }| match value {
                ConfigValue::Plain { value } => (key.as_str().to_owned(), "plain", value),
                ConfigValue::Secret { reference } => (key.as_str().to_owned(), "secret", reference),
            })
            .collect();
        store::replace(&mut tx, env_row.id, &rows).await?;
        let now = self.services.clock.now_ms();
        audit::record(
            &mut tx,
            actor,
            AuditAction::ConfigUpdated,
            audit::AuditSubject {
                id: env_row.id.to_string(),
                label: format!("{} {}", project.slug, env_row.name),
                project: Some(ProjectId(project.id)),
            },
            Some(json!(before)),
            Some(json!(config)),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(config)
    }

    /// Sets the keys that must match and which environments require
    /// matching configuration before a promotion into them.
    #[tracing::instrument(skip_all, fields(project = %slug))]
    pub async fn update_rules(
        &self,
        actor: &Principal,
        slug: &str,
        form: &DriftRulesForm,
        required: &[String],
    ) -> Result<DriftRules, ServiceError> {
        let mut tx = self.services.store.begin().await?;
        let project = self.project(&mut tx, actor, slug).await?;
        crate::accounts::require(
            actor,
            Permission::EditConfiguration,
            Some(ProjectId(project.id)),
        )?;
        let rules = form.parse().map_err(ServiceError::Validation)?;
        let envs = environments::for_project(&mut tx, ProjectId(project.id)).await?;
        if let Some(unknown) = required
            .iter()
            .find(|name| !envs.iter().any(|e| &e.name == *name))
        {
            return Err(ServiceError::field(
                "required",
                format!(
                    "There is no environment \u{201c}{}\u{201d} in this project.",
                    slipway_domain::validation::shown(unknown)
                ),
            ));
        }
        let before = json!({
            "must_match": store::must_match(&mut tx, project.id).await?,
            "required": envs.iter().filter(|e| e.require_config_match != 0).map(|e| e.name.clone()).collect::<Vec<_>>(),
        });
        let keys: Vec<String> = rules
            .must_match
            .iter()
            .map(|k| k.as_str().to_owned())
            .collect();
        store::set_must_match(&mut tx, project.id, &keys).await?;
        for e in &envs {
            let wanted = required.contains(&e.name);
            if wanted != (e.require_config_match != 0) {
                store::set_required(&mut tx, e.id, wanted).await?;
            }
        }
        audit::record(
            &mut tx,
            actor,
            AuditAction::ConfigRulesUpdated,
            audit::AuditSubject {
                id: project.id.to_string(),
                label: project.slug.clone(),
                project: Some(ProjectId(project.id)),
            },
            Some(before),
            Some(json!({ "must_match": keys, "required": required })),
            self.services.clock.now_ms(),
        )
        .await?;
        tx.commit().await?;
        Ok(rules)
    }

    async fn project(
        &self,
        conn: &mut sqlx::AnyConnection,
        actor: &Principal,
        slug: &str,
    ) -> Result<projects::ProjectRow, ServiceError> {
        projects::find_by_slug(conn, slug)
            .await?
            .filter(|p| actor.can(Permission::ViewProject, Some(ProjectId(p.id))))
            .ok_or(ServiceError::NotFound("project"))
    }

    async fn locate(
        &self,
        conn: &mut sqlx::AnyConnection,
        actor: &Principal,
        slug: &str,
        env: &str,
    ) -> Result<(projects::ProjectRow, environments::EnvironmentRow), ServiceError> {
        self.services
            .deployments()
            .locate(conn, actor, slug, env)
            .await
    }
}
