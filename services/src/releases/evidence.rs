//! Evidence about a release's artifact: test reports, migration dry-runs,
//! smoke tests, each with its outcome, a link and who recorded it. Passed
//! evidence ticks the checklist items that wait for its kind ("Ticked
//! automatically from smoke-tests"); the sign-off page lists it all.
//!
//! Evidence is bound to the artifact it was recorded for: after the
//! artifact changes, earlier evidence is shown as such and ticks nothing.
//! (Deploy adapters and smoke tests add their evidence here when they land.)

use super::{audit_release, Releases};
use crate::clock::format_ms;
use crate::ServiceError;
use serde_json::json;
use slipway_domain::evidence::{EvidenceDraft, Outcome};
use slipway_domain::read::EvidenceView;
use slipway_domain::{AuditAction, Permission, Principal};

/// What people (or CI) enter to record evidence.
#[derive(Debug, Clone, Default)]
pub struct EvidenceInput {
    /// A slug such as `smoke-tests`, `qa-report`, `migration-dry-run`.
    pub kind: String,
    /// `passed`, `failed` or `info`.
    pub outcome: String,
    pub summary: String,
    /// Where the report is (http or https), optional.
    pub url: String,
}

#[derive(sqlx::FromRow)]
struct EvidenceRow {
    artifact: String,
    kind: String,
    outcome: String,
    summary: String,
    url: Option<String>,
    recorded_by_name: String,
    recorded_at: i64,
}

impl Releases<'_> {
    /// Records evidence for the release's current artifact; passed evidence
    /// ticks the waiting checklist items of its kind. Engineers, SREs and
    /// release managers (who promote or manage releases) may record it.
    /// Returns the titles of the items it ticked.
    pub async fn record_evidence(
        &self,
        actor: &Principal,
        slug: &str,
        id: i64,
        input: &EvidenceInput,
    ) -> Result<Vec<String>, ServiceError> {
        let mut tx = self.services.store.begin().await?;
        let l = self.load(&mut tx, actor, slug, id).await?;
        if !(actor.can(Permission::ManageReleases, Some(l.pid()))
            || actor.can(Permission::PromoteReleases, Some(l.pid())))
        {
            return Err(ServiceError::Forbidden);
        }
        let EvidenceDraft {
            kind,
            outcome,
            summary,
            url,
        } = EvidenceDraft::parse(&input.kind, &input.outcome, &input.summary, &input.url)
            .map_err(ServiceError::Validation)?;
        if l.state.is_final() {
            return Err(ServiceError::Conflict(format!(
                "This release is {}: it takes no more evidence.",
                l.state.label().to_lowercase()
            )));
        }
        let now = self.services.clock.now_ms();
        // Lock the release while it still ships the artifact read above, so
        // a change of artifact cannot slip in between and be ticked for.
        let locked = sqlx::query(
            "UPDATE releases SET updated_at = updated_at WHERE id = $1 AND artifact = $2",
        )
        .bind(id)
        .bind(&l.release.artifact)
        .execute(&mut *tx)
        .await?;
        if locked.rows_affected() != 1 {
            return Err(ServiceError::Conflict(
                "The release's artifact changed meanwhile; reload and record the evidence again."
                    .into(),
            ));
        }
        sqlx::query(
            "INSERT INTO release_evidence (release_id, artifact, kind, outcome, summary, url, recorded_by, recorded_by_name, recorded_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(id)
        .bind(&l.release.artifact)
        .bind(&kind)
        .bind(outcome.as_str())
        .bind(&summary)
        .bind(url.as_deref())
        .bind(actor.id.0)
        .bind(&actor.username)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let mut ticked = Vec::new();
        if outcome == Outcome::Passed {
            let waiting: Vec<(String, String)> = sqlx::query_as(
                "SELECT key, title FROM checklist_items \
                 WHERE release_id = $1 AND auto_from = $2 AND ticked_at IS NULL ORDER BY position",
            )
            .bind(id)
            .bind(&kind)
            .fetch_all(&mut *tx)
            .await?;
            for (key, title) in waiting {
                let done = sqlx::query(
                    "UPDATE checklist_items SET ticked_at = $3, evidence = $4, ticked_by = NULL, ticked_by_name = NULL \
                     WHERE release_id = $1 AND key = $2 AND ticked_at IS NULL",
                )
                .bind(id)
                .bind(&key)
                .bind(now)
                .bind(&kind)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() == 1 {
                    ticked.push(title);
                }
            }
        }
        audit_release(
            &mut tx,
            actor,
            &l,
            AuditAction::EvidenceRecorded,
            None,
            Some(json!({
                "kind": kind, "outcome": outcome.as_str(), "summary": summary, "url": url,
                "artifact": l.release.artifact, "ticked": ticked,
            })),
            now,
        )
        .await?;
        tx.commit().await?;
        self.services.events.release_changed(l.project.id, id).await;
        Ok(ticked)
    }

    /// The release's evidence, newest first, with what each ticked.
    pub(super) async fn evidence(
        conn: &mut sqlx::AnyConnection,
        release_id: i64,
        artifact: &str,
    ) -> Result<Vec<EvidenceView>, ServiceError> {
        let rows: Vec<EvidenceRow> = sqlx::query_as(
            "SELECT artifact, kind, outcome, summary, url, recorded_by_name, recorded_at \
             FROM release_evidence WHERE release_id = $1 ORDER BY recorded_at DESC, id DESC",
        )
        .bind(release_id)
        .fetch_all(&mut *conn)
        .await?;
        let ticks: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT title, evidence, ticked_at FROM checklist_items \
             WHERE release_id = $1 AND evidence IS NOT NULL AND ticked_at IS NOT NULL",
        )
        .bind(release_id)
        .fetch_all(&mut *conn)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| EvidenceView {
                // Only passing evidence ticks; matching on the outcome too
                // keeps a failed record made in the same millisecond from
                // claiming the passing one's ticks.
                ticked: ticks
                    .iter()
                    .filter(|(_, kind, at)| {
                        r.outcome == Outcome::Passed.as_str()
                            && *kind == r.kind
                            && *at == r.recorded_at
                    })
                    .map(|(title, ..)| title.clone())
                    .collect(),
                current: r.artifact == artifact,
                kind: r.kind,
                outcome: r.outcome,
                summary: r.summary,
                url: r.url,
                recorded_by: r.recorded_by_name,
                at: format_ms(r.recorded_at),
            })
            .collect())
    }
}
