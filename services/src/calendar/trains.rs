//! Release trains: adding and removing them. A train releases on a fixed
//! cadence, with a code-freeze cutoff before each release.

use super::{internal, known_zone, scoped_label, stored_zone, Calendar, Change, TrainInput};
use crate::storage::calendar as store;
use crate::ServiceError;
use jiff::tz::TimeZone;
use serde_json::json;
use slipway_domain::calendar::Train;
use slipway_domain::{AuditAction, Principal, ProjectId};

/// A stored train, read back into its rule and zone.
pub(super) struct TrainPolicy {
    pub(super) row: store::TrainRow,
    pub(super) train: Train,
    pub(super) tz: TimeZone,
}

impl TrainPolicy {
    pub(super) fn load(row: store::TrainRow) -> Result<Self, ServiceError> {
        let mut train: Train = serde_json::from_str(&row.rule_json).map_err(internal)?;
        train.name.clone_from(&row.name);
        Ok(Self {
            tz: stored_zone(&row.time_zone),
            train,
            row,
        })
    }
}

impl Calendar<'_> {
    /// Adds a release train to the project `slug` (empty: every project,
    /// admins only). Returns its id.
    #[tracing::instrument(skip_all, fields(project = %slug))]
    pub async fn create_train(
        &self,
        actor: &Principal,
        slug: &str,
        input: &TrainInput,
    ) -> Result<i64, ServiceError> {
        let mut tx = self.services.store.begin().await?;
        let project = Self::target(&mut tx, actor, slug).await?;
        let (train, zone) = input.parse(known_zone)?;
        let pid = project.as_ref().map(|p| ProjectId(p.id));
        let rule_json = serde_json::to_string(&train).map_err(internal)?;
        let now = self.services.clock.now_ms();
        let id = store::insert_train(
            &mut tx,
            &store::NewTrain {
                project: pid,
                name: &train.name,
                rule_json: &rule_json,
                time_zone: &zone.name,
                created_by: actor.id,
            },
            now,
        )
        .await?;
        let change = Change {
            action: AuditAction::TrainCreated,
            subject_id: id,
            subject_label: scoped_label(project.as_ref(), &train.name),
            project: pid,
            before: None,
            after: Some(json!({
                "train": train, "time_zone": zone.name,
                "project": project.as_ref().map(|p| &p.slug),
            })),
        };
        Self::record(&mut tx, actor, change, now).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Removes a release train: its project's release managers, or admins
    /// for a global one.
    #[tracing::instrument(skip_all, fields(train.id = id))]
    pub async fn remove_train(&self, actor: &Principal, id: i64) -> Result<(), ServiceError> {
        let mut tx = self.services.store.begin().await?;
        let row = store::find_train(&mut tx, id)
            .await?
            .ok_or(ServiceError::NotFound("train"))?;
        Self::may_remove(actor, row.project_id)?;
        if !store::delete_train(&mut tx, id).await? {
            return Err(ServiceError::NotFound("train"));
        }
        let now = self.services.clock.now_ms();
        let change = Change {
            action: AuditAction::TrainRemoved,
            subject_id: id,
            subject_label: row.name.clone(),
            project: row.project_id.map(ProjectId),
            before: Some(json!({
                "name": row.name,
                "train": serde_json::from_str::<serde_json::Value>(&row.rule_json).ok(),
                "time_zone": row.time_zone,
            })),
            after: None,
        };
        Self::record(&mut tx, actor, change, now).await?;
        tx.commit().await?;
        Ok(())
    }
}
