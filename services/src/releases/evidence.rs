//! Evidence about a release's artifact: test reports, migration dry-runs,
//! smoke tests, each with its outcome, a link and who recorded it. Passed
//! evidence ticks the checklist items that wait for its kind ("Ticked
//! automatically from smoke-tests"); the sign-off page lists it all.
//!
//! Evidence is bound to the artifact it was recorded for: after the
//! artifact changes, earlier evidence is shown as such and ticks nothing.
//! (Deploy adapters and smoke tests add their evidence here when they land.)

use super::Releases;
use crate::clock::format_ms;
use crate::storage::{checklists, evidence as store, releases as releases_store};
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

/// Stores evidence about the release's current artifact (`l` as loaded in
/// the caller's transaction) and ticks the checklist items waiting for its
/// kind when it passed; returns their titles. The caller audits. Used by
/// people and CI ([`Releases::record_evidence`]) and by deployments (their
/// checks' results).
pub(crate) async fn record_in(
    conn: &mut sqlx::AnyConnection,
    l: &super::Loaded,
    actor: &Principal,
    (kind, outcome, summary, url): (&str, Outcome, &str, Option<&str>),
    now: i64,
) -> Result<Vec<String>, ServiceError> {
    let record = store::NewEvidence {
        release_id: l.release.id,
        artifact: &l.release.artifact,
        kind,
        outcome,
        summary,
        url,
        recorded_by: (actor.id.0, &actor.username),
    };
    store::insert(conn, &record, now).await?;
    let mut ticked = Vec::new();
    if outcome == Outcome::Passed {
        for (key, title) in checklists::waiting_for_evidence(conn, l.release.id, kind).await? {
            if checklists::tick_from_evidence(conn, l.release.id, &key, kind, now).await? {
                ticked.push(title);
            }
        }
    }
    Ok(ticked)
}

impl Releases<'_> {
    /// Records evidence for the release's current artifact; passed evidence
    /// ticks the waiting checklist items of its kind. Engineers, SREs and
    /// release managers (who promote or manage releases) may record it.
    /// Returns the record as stored, with the titles of the items it ticked.
    #[tracing::instrument(skip_all, fields(project = %slug, release.id = id))]
    pub async fn record_evidence(
        &self,
        actor: &Principal,
        slug: &str,
        id: i64,
        input: &EvidenceInput,
    ) -> Result<EvidenceView, ServiceError> {
        let mut tx = self.services.store.begin().await?;
        let l = self.load(&mut tx, actor, slug, id).await?;
        if !actor.can(Permission::RecordEvidence, Some(l.pid())) {
            return Err(ServiceError::Forbidden);
        }
        let EvidenceDraft {
            kind,
            outcome,
            summary,
            url,
        } = EvidenceDraft::parse(&input.kind, &input.outcome, &input.summary, &input.url)
            .map_err(ServiceError::Validation)?;
        if l.release.state.is_final() {
            return Err(ServiceError::Conflict(format!(
                "This release is {}: it takes no more evidence.",
                l.release.state.label().to_lowercase()
            )));
        }
        let now = self.services.clock.now_ms();
        // Lock the release while it still ships the artifact read above, so
        // a change of artifact cannot slip in between and be ticked for.
        let locked =
            releases_store::lock_if_subject(&mut tx, id, &l.release.artifact, None, now).await?;
        if !locked {
            return Err(ServiceError::Conflict(
                "The release's artifact changed meanwhile; reload and record the evidence again."
                    .into(),
            ));
        }
        let ticked = record_in(
            &mut tx,
            &l,
            actor,
            (&kind, outcome, &summary, url.as_deref()),
            now,
        )
        .await?;
        let after = json!({
            "kind": kind, "outcome": outcome.as_str(), "summary": summary, "url": url,
            "artifact": l.release.artifact, "ticked": ticked,
        });
        let stored = EvidenceView {
            kind,
            outcome: outcome.as_str().to_owned(),
            summary,
            url,
            recorded_by: actor.username.clone(),
            at: format_ms(now),
            current: true,
            ticked,
        };
        self.audit(
            &mut tx,
            actor,
            &l,
            AuditAction::EvidenceRecorded,
            (None, Some(after)),
        )
        .await?;
        tx.commit().await?;
        self.services.events.release_changed(l.project.id, id).await;
        Ok(stored)
    }

    /// The release's evidence, newest first, with what each ticked (read
    /// from the release's checklist, already loaded by the caller).
    pub(super) async fn evidence(
        conn: &mut sqlx::AnyConnection,
        release_id: i64,
        artifact: &str,
        checklist: &[checklists::ItemRow],
    ) -> Result<Vec<EvidenceView>, ServiceError> {
        let rows = store::for_release(conn, release_id).await?;
        Ok(rows
            .into_iter()
            .map(|r| EvidenceView {
                // Only passing evidence ticks; matching on the outcome too
                // keeps a failed record made in the same millisecond from
                // claiming the passing one's ticks.
                ticked: checklist
                    .iter()
                    .filter(|c| {
                        r.outcome == Outcome::Passed.as_str()
                            && c.evidence.as_deref() == Some(r.kind.as_str())
                            && c.ticked_at == Some(r.recorded_at)
                    })
                    .map(|c| c.title.clone())
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
