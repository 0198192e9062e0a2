//! Projects, their environments and their dependencies: list, create,
//! edit, archive.

use crate::accounts::require;
use crate::audit::{self, AuditSubject};
use crate::clock::format_ms;
use crate::error::is_unique_violation;
use crate::storage::{environments, projects, Tx};
use crate::{ServiceError, Services};
use serde_json::json;
use slipway_domain::environment::{
    move_in_order, reorder_keeps_path, validate_environment, Move, ENVIRONMENTS_MAX,
};
use slipway_domain::project::{
    choose_dependencies, DependencyChoice, DependencyGraph, DependencyLink, ProjectDependencies,
    ProjectRef,
};
use slipway_domain::read::{EnvironmentView, ProjectDetail, ProjectSummary};
use slipway_domain::validation::redact_credentials;
use slipway_domain::{
    AuditAction, EnvironmentDraft, EnvironmentId, EnvironmentTier, Permission, Principal,
    ProjectDraft, ProjectId,
};
use std::collections::{BTreeSet, HashMap};

pub struct Projects<'a> {
    pub(crate) services: &'a Services,
}

fn env_view(row: &environments::EnvironmentRow) -> EnvironmentView {
    EnvironmentView {
        id: row.id,
        name: row.name.clone(),
        tier: row.tier.parse().unwrap_or(EnvironmentTier::Development),
        position: row.position,
    }
}

fn slug_taken(slug: &str) -> ServiceError {
    ServiceError::field(
        "slug",
        format!("The slug \"{slug}\" is already used by another project (archived projects keep theirs)."),
    )
}

impl Projects<'_> {
    /// The projects the actor may see, with their environments.
    #[tracing::instrument(skip_all)]
    pub async fn list(
        &self,
        actor: &Principal,
        include_archived: bool,
    ) -> Result<Vec<ProjectSummary>, ServiceError> {
        let visible = actor.visible_projects();
        let mut conn = self.services.store.pool().acquire().await?;
        let rows = projects::list(&mut conn, include_archived, visible.as_deref()).await?;
        let ids: Vec<ProjectId> = rows.iter().map(|p| ProjectId(p.id)).collect();
        let mut envs: HashMap<i64, Vec<EnvironmentView>> = HashMap::new();
        for e in environments::for_projects(&mut conn, &ids).await? {
            envs.entry(e.project_id).or_default().push(env_view(&e));
        }
        Ok(rows
            .into_iter()
            .map(|p| ProjectSummary {
                environments: envs.remove(&p.id).unwrap_or_default(),
                slug: p.slug,
                name: p.name,
                description: p.description,
                archived: p.archived_at.is_some(),
            })
            .collect())
    }

    /// Finds a project the actor may see; unknown and invisible look the same.
    async fn visible(
        &self,
        conn: &mut sqlx::AnyConnection,
        actor: &Principal,
        slug: &str,
    ) -> Result<projects::ProjectRow, ServiceError> {
        let row = projects::find_by_slug(conn, slug)
            .await?
            .ok_or(ServiceError::NotFound("project"))?;
        if !actor.can(Permission::ViewProject, Some(ProjectId(row.id))) {
            return Err(ServiceError::NotFound("project"));
        }
        Ok(row)
    }

    #[tracing::instrument(skip_all, fields(project = %slug))]
    pub async fn get(&self, actor: &Principal, slug: &str) -> Result<ProjectDetail, ServiceError> {
        let mut conn = self.services.store.pool().acquire().await?;
        let p = self.visible(&mut conn, actor, slug).await?;
        let id = ProjectId(p.id);
        let envs = environments::for_project(&mut conn, id).await?;
        Ok(ProjectDetail {
            environments: envs.iter().map(env_view).collect(),
            my_roles: actor.roles_for(id),
            can_edit: actor.can(Permission::EditProject, Some(id)),
            can_archive: actor.can(Permission::ArchiveProject, Some(id)),
            slug: p.slug,
            name: p.name,
            description: p.description,
            // Stored before URLs with credentials were refused: never shown.
            repository_url: p.repository_url.as_deref().map(redact_credentials),
            repository_web_url: p.repository_web_url.as_deref().map(redact_credentials),
            archived_at: p.archived_at.map(format_ms),
            created_at: format_ms(p.created_at),
            updated_at: format_ms(p.updated_at),
        })
    }

    /// Creates a project with its initial environments. Returns the slug.
    #[tracing::instrument(skip_all)]
    pub async fn create(
        &self,
        actor: &Principal,
        draft: &ProjectDraft,
        envs: &[EnvironmentDraft],
    ) -> Result<String, ServiceError> {
        let actor = require(actor, Permission::CreateProject, None)?;
        let draft = draft.clone().with_suggested_slug();
        let (project, envs) = draft.validate_with_environments(envs)?;
        let now = self.services.clock.now_ms();
        let mut tx = self.services.store.begin().await?;
        if projects::find_by_slug(&mut tx, project.slug.as_str())
            .await?
            .is_some()
        {
            return Err(slug_taken(project.slug.as_str()));
        }
        let id = projects::insert(&mut tx, &project, now)
            .await
            .map_err(|e| {
                if is_unique_violation(&e) {
                    slug_taken(project.slug.as_str())
                } else {
                    e.into()
                }
            })?;
        for (i, env) in envs.iter().enumerate() {
            environments::insert(&mut tx, id, env, i as i64, now).await?;
        }
        audit::record(
&mut tx, actor, AuditAction::ProjectCreated,
AuditSubject { id: id.to_string(), label: project.slug.to_string(), project: Some(id) },
None, Some(json!({
                    "project": project_json(&project),
                    "environments": envs.iter().map(|e| json!({"name": e.name.as_str(), "tier": e.tier.as_str()})).collect::<Vec<_>>(),
                })), now)
        .await?;
        tx.commit().await?;
        Ok(project.slug.to_string())
    }

    /// Changes a project's details (the slug too). Returns the (new) slug.
    #[tracing::instrument(skip_all, fields(project = %slug))]
    pub async fn update(
        &self,
        actor: &Principal,
        slug: &str,
        draft: &ProjectDraft,
    ) -> Result<String, ServiceError> {
        let mut tx = self.services.store.begin().await?;
        let before = self.visible(&mut tx, actor, slug).await?;
        let id = ProjectId(before.id);
        require(actor, Permission::EditProject, Some(id))?;
        let project = draft.validate()?;
        if project.slug.as_str() != before.slug
            && projects::find_by_slug(&mut tx, project.slug.as_str())
                .await?
                .is_some()
        {
            return Err(slug_taken(project.slug.as_str()));
        }
        let now = self.services.clock.now_ms();
        projects::update(&mut tx, id, &project, now)
            .await
            .map_err(|e| {
                if is_unique_violation(&e) {
                    slug_taken(project.slug.as_str())
                } else {
                    e.into()
                }
            })?;
        audit::record(
            &mut tx,
            actor,
            AuditAction::ProjectUpdated,
            AuditSubject {
                id: id.to_string(),
                label: project.slug.to_string(),
                project: Some(id),
            },
            Some(json!({
                "name": before.name, "slug": before.slug, "description": before.description,
                "repository_url": before.repository_url.as_deref().map(redact_credentials),
                "repository_web_url": before.repository_web_url.as_deref().map(redact_credentials),
            })),
            Some(project_json(&project)),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(project.slug.to_string())
    }

    /// Archives (hides, keeps everything) or restores a project.
    #[tracing::instrument(skip_all, fields(project = %slug))]
    pub async fn set_archived(
        &self,
        actor: &Principal,
        slug: &str,
        archived: bool,
    ) -> Result<(), ServiceError> {
        let mut tx = self.services.store.begin().await?;
        let p = self.visible(&mut tx, actor, slug).await?;
        let id = ProjectId(p.id);
        require(actor, Permission::ArchiveProject, Some(id))?;
        if p.archived_at.is_some() == archived {
            return Err(ServiceError::Conflict(if archived {
                "This project is already archived.".into()
            } else {
                "This project is not archived.".into()
            }));
        }
        let now = self.services.clock.now_ms();
        projects::set_archived(&mut tx, id, archived.then_some(now), now).await?;
        audit::record(
            &mut tx,
            actor,
            if archived {
                AuditAction::ProjectArchived
            } else {
                AuditAction::ProjectRestored
            },
            AuditSubject {
                id: id.to_string(),
                label: p.slug.clone(),
                project: Some(id),
            },
            Some(json!({ "archived": p.archived_at.is_some() })),
            Some(json!({ "archived": archived })),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// What a project depends on and what depends on it (directly and
    /// through others), with the choices for its edit form. Only projects
    /// the viewer sees are named.
    #[tracing::instrument(skip_all, fields(project = %slug))]
    pub async fn dependencies(
        &self,
        actor: &Principal,
        slug: &str,
    ) -> Result<ProjectDependencies, ServiceError> {
        let mut conn = self.services.store.pool().acquire().await?;
        let p = self.visible(&mut conn, actor, slug).await?;
        let graph = DependencyGraph::new(projects::dependencies(&mut conn).await?);
        let visible = visible_refs(&mut conn, actor).await?;
        let links = |ids: &BTreeSet<i64>| -> Vec<DependencyLink> {
            visible
                .iter()
                .filter(|v| ids.contains(&v.id))
                .map(|v| DependencyLink {
                    slug: v.slug.clone(),
                    name: v.name.clone(),
                    archived: v.archived,
                })
                .collect()
        };
        let direct = graph.direct(p.id);
        let dependents = graph.dependents(p.id);
        let indirect: BTreeSet<i64> = graph
            .all_dependencies(p.id)
            .difference(&direct)
            .copied()
            .collect();
        let indirect_dependents: BTreeSet<i64> = graph
            .all_dependents(p.id)
            .difference(&dependents)
            .copied()
            .collect();
        let choices = visible
            .iter()
            .filter(|v| v.id != p.id && (!v.archived || direct.contains(&v.id)))
            .map(|v| DependencyChoice {
                slug: v.slug.clone(),
                name: v.name.clone(),
                checked: direct.contains(&v.id),
                archived: v.archived,
                loop_hint: graph
                    .path(v.id, p.id)
                    .map(|_| format!("{} depends on {} already", v.name, p.name)),
            })
            .collect();
        let id = ProjectId(p.id);
        Ok(ProjectDependencies {
            depends_on: links(&direct),
            depends_on_indirectly: links(&indirect),
            depended_on_by: links(&dependents),
            depended_on_by_indirectly: links(&indirect_dependents),
            hidden: direct
                .iter()
                .filter(|d| !visible.iter().any(|v| v.id == **d))
                .count(),
            choices,
            can_edit: actor.can(Permission::EditProject, Some(id)) && p.archived_at.is_none(),
            slug: p.slug,
            name: p.name,
        })
    }

    /// Sets what a project depends on directly, from the slugs ticked in its
    /// edit form (see `project::choose_dependencies` for the rules). Needs
    /// the permission to edit the project; audited with before and after.
    /// Saving the same set again changes nothing and records nothing.
    #[tracing::instrument(skip_all, fields(project = %slug))]
    pub async fn set_dependencies(
        &self,
        actor: &Principal,
        slug: &str,
        depends_on: &[String],
    ) -> Result<(), ServiceError> {
        let mut tx = self.services.store.begin().await?;
        let p = self.visible(&mut tx, actor, slug).await?;
        let id = ProjectId(p.id);
        require(actor, Permission::EditProject, Some(id))?;
        if p.archived_at.is_some() {
            return Err(ServiceError::Conflict(
                "This project is archived; restore it to change what it depends on.".into(),
            ));
        }
        projects::lock_dependencies(&mut tx, self.services.store.backend()).await?;
        let graph = DependencyGraph::new(projects::dependencies(&mut tx).await?);
        let visible = visible_refs(&mut tx, actor).await?;
        let me = ProjectRef {
            id: p.id,
            slug: p.slug.clone(),
            name: p.name.clone(),
            archived: false,
        };
        let after = choose_dependencies(&me, depends_on, &visible, &graph)?;
        let before = graph.direct(p.id);
        if after == before {
            return Ok(());
        }
        let now = self.services.clock.now_ms();
        for gone in before.difference(&after) {
            projects::remove_dependency(&mut tx, id, ProjectId(*gone)).await?;
        }
        for new in after.difference(&before) {
            projects::add_dependency(&mut tx, id, ProjectId(*new), now).await?;
        }
        // The audit log names every project (it is read by auditors, who
        // may see more than the person who made the change).
        let all = projects::list(&mut tx, true, None).await?;
        let slugs = |ids: &BTreeSet<i64>| -> Vec<String> {
            let mut s: Vec<String> = all
                .iter()
                .filter(|r| ids.contains(&r.id))
                .map(|r| r.slug.clone())
                .collect();
            s.sort();
            s
        };
        audit::record(
            &mut tx,
            actor,
            AuditAction::ProjectDependenciesChanged,
            AuditSubject {
                id: id.to_string(),
                label: p.slug.clone(),
                project: Some(id),
            },
            Some(json!({ "depends_on": slugs(&before) })),
            Some(json!({ "depends_on": slugs(&after) })),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Loads a project for an environment change, checking edit permission.
    async fn editable(
        &self,
        tx: &mut Tx,
        actor: &Principal,
        slug: &str,
    ) -> Result<(ProjectId, projects::ProjectRow), ServiceError> {
        let p = self.visible(tx, actor, slug).await?;
        let id = ProjectId(p.id);
        require(actor, Permission::EditProject, Some(id))?;
        if p.archived_at.is_some() {
            return Err(ServiceError::Conflict(
                "This project is archived; restore it to change its environments.".into(),
            ));
        }
        Ok((id, p))
    }

    #[tracing::instrument(skip_all, fields(project = %slug))]
    pub async fn add_environment(
        &self,
        actor: &Principal,
        slug: &str,
        draft: &EnvironmentDraft,
    ) -> Result<(), ServiceError> {
        let mut tx = self.services.store.begin().await?;
        let (id, p) = self.editable(&mut tx, actor, slug).await?;
        let env = validate_environment(draft)?;
        let existing = environments::for_project(&mut tx, id).await?;
        if existing.len() >= ENVIRONMENTS_MAX {
            return Err(ServiceError::field(
                "name",
                format!("A project can have at most {ENVIRONMENTS_MAX} environments."),
            ));
        }
        if existing.iter().any(|e| e.name == env.name.as_str()) {
            return Err(ServiceError::field(
                "name",
                format!(
                    "\"{}\" is already an environment of this project.",
                    env.name
                ),
            ));
        }
        let position = existing.iter().map(|e| e.position + 1).max().unwrap_or(0);
        let now = self.services.clock.now_ms();
        let env_id = environments::insert(&mut tx, id, &env, position, now).await?;
        audit::record(
&mut tx, actor, AuditAction::EnvironmentAdded,
AuditSubject { id: env_id.to_string(), label: format!("{}/{}", p.slug, env.name), project: Some(id) },
None, Some(json!({ "name": env.name.as_str(), "tier": env.tier.as_str(), "position": position })), now)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn environment_of(
        tx: &mut Tx,
        project: ProjectId,
        env: EnvironmentId,
    ) -> Result<environments::EnvironmentRow, ServiceError> {
        environments::find(tx, env)
            .await?
            .filter(|e| e.project_id == project.0)
            .ok_or(ServiceError::NotFound("environment"))
    }

    #[tracing::instrument(skip_all, fields(project = %slug))]
    pub async fn update_environment(
        &self,
        actor: &Principal,
        slug: &str,
        env_id: EnvironmentId,
        draft: &EnvironmentDraft,
    ) -> Result<(), ServiceError> {
        let mut tx = self.services.store.begin().await?;
        let (id, p) = self.editable(&mut tx, actor, slug).await?;
        let before = Self::environment_of(&mut tx, id, env_id).await?;
        let env = validate_environment(draft)?;
        let clash = environments::for_project(&mut tx, id)
            .await?
            .into_iter()
            .any(|e| e.id != before.id && e.name == env.name.as_str());
        if clash {
            return Err(ServiceError::field(
                "name",
                format!(
                    "\"{}\" is already an environment of this project.",
                    env.name
                ),
            ));
        }
        let now = self.services.clock.now_ms();
        environments::update(&mut tx, env_id, &env, now).await?;
        audit::record(
            &mut tx,
            actor,
            AuditAction::EnvironmentUpdated,
            AuditSubject {
                id: env_id.to_string(),
                label: format!("{}/{}", p.slug, env.name),
                project: Some(id),
            },
            Some(json!({ "name": before.name, "tier": before.tier })),
            Some(json!({ "name": env.name.as_str(), "tier": env.tier.as_str() })),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    #[tracing::instrument(skip_all, fields(project = %slug))]
    pub async fn remove_environment(
        &self,
        actor: &Principal,
        slug: &str,
        env_id: EnvironmentId,
    ) -> Result<(), ServiceError> {
        let mut tx = self.services.store.begin().await?;
        let (id, p) = self.editable(&mut tx, actor, slug).await?;
        let before = Self::environment_of(&mut tx, id, env_id).await?;
        let now = self.services.clock.now_ms();
        environments::delete(&mut tx, env_id).await?;
        audit::record(
            &mut tx,
            actor,
            AuditAction::EnvironmentRemoved,
            AuditSubject {
                id: env_id.to_string(),
                label: format!("{}/{}", p.slug, before.name),
                project: Some(id),
            },
            Some(json!({ "name": before.name, "tier": before.tier, "position": before.position })),
            None,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Moves an environment one place earlier or later in the pipeline.
    #[tracing::instrument(skip_all, fields(project = %slug))]
    pub async fn move_environment(
        &self,
        actor: &Principal,
        slug: &str,
        env_id: EnvironmentId,
        direction: Move,
    ) -> Result<(), ServiceError> {
        let mut tx = self.services.store.begin().await?;
        let (id, p) = self.editable(&mut tx, actor, slug).await?;
        Self::environment_of(&mut tx, id, env_id).await?;
        let envs = environments::for_project(&mut tx, id).await?;
        let before: Vec<String> = envs.iter().map(|e| e.name.clone()).collect();
        let mut order: Vec<i64> = envs.iter().map(|e| e.id).collect();
        if !move_in_order(&mut order, &env_id.0, direction) {
            return Err(ServiceError::Conflict(
                "That environment is already at that end of the pipeline.".into(),
            ));
        }
        // Releases on their way must not skip an environment (or go back).
        let old: Vec<i64> = envs.iter().map(|e| e.id).collect();
        let stuck: Vec<String> = crate::storage::releases::reached_environments(&mut tx, id)
            .await?
            .into_iter()
            .filter(|(_, reached)| !reorder_keeps_path(&old, &order, reached))
            .map(|(version, reached)| {
                let env = envs
                    .iter()
                    .find(|e| e.id == reached)
                    .map_or("?", |e| e.name.as_str());
                format!("{version} (in {env})")
            })
            .collect();
        if !stuck.is_empty() {
            return Err(ServiceError::Conflict(format!(
                "Releases are on their way through this pipeline: {}. This move would let them skip an environment or go back to one they left. Promote them to the end or abandon them first.",
                stuck.join(", ")
            )));
        }
        let now = self.services.clock.now_ms();
        for (position, eid) in order.iter().enumerate() {
            environments::set_position(&mut tx, EnvironmentId(*eid), position as i64, now).await?;
        }
        let after: Vec<String> = order
            .iter()
            .filter_map(|eid| envs.iter().find(|e| e.id == *eid).map(|e| e.name.clone()))
            .collect();
        audit::record(
            &mut tx,
            actor,
            AuditAction::EnvironmentsReordered,
            AuditSubject {
                id: id.to_string(),
                label: p.slug.clone(),
                project: Some(id),
            },
            Some(json!({ "order": before })),
            Some(json!({ "order": after })),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// The projects `actor` may see, archived ones too, as the dependency rules
/// see them (in name order, archived last).
async fn visible_refs(
    conn: &mut sqlx::AnyConnection,
    actor: &Principal,
) -> Result<Vec<ProjectRef>, ServiceError> {
    let only = actor.visible_projects();
    Ok(projects::list(conn, true, only.as_deref())
        .await?
        .into_iter()
        .filter(|p| actor.can(Permission::ViewProject, Some(ProjectId(p.id))))
        .map(|p| ProjectRef {
            id: p.id,
            slug: p.slug,
            name: p.name,
            archived: p.archived_at.is_some(),
        })
        .collect())
}

fn project_json(p: &slipway_domain::project::ValidProject) -> serde_json::Value {
    json!({
        "name": p.name.as_str(),
        "slug": p.slug.as_str(),
        "description": p.description,
        "repository_url": p.repository_url,
        "repository_web_url": p.repository_web_url,
    })
}
