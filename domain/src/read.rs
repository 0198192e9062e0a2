//! Read models: what the server sends to pages. Plain data, shared by the
//! server (which fills them) and the browser (which renders them).

use crate::approval::Decision;
use crate::release::ReleaseState;
use crate::{EnvironmentTier, Role};
use serde::{Deserialize, Serialize};

/// The signed-in person, as the navigation and pages need them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub username: String,
    pub display_name: String,
    pub is_admin: bool,
    pub can_create_projects: bool,
    pub can_view_audit: bool,
    pub must_change_password: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvironmentView {
    pub id: i64,
    pub name: String,
    pub tier: EnvironmentTier,
    pub position: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectSummary {
    pub slug: String,
    pub name: String,
    pub description: String,
    pub archived: bool,
    pub environments: Vec<EnvironmentView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectDetail {
    pub slug: String,
    pub name: String,
    pub description: String,
    pub repository_url: Option<String>,
    pub repository_web_url: Option<String>,
    pub archived_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub environments: Vec<EnvironmentView>,
    /// The viewer's roles on this project, for "you are ..." hints.
    pub my_roles: Vec<Role>,
    pub can_edit: bool,
    pub can_archive: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantView {
    pub id: i64,
    pub role: Role,
    /// `None` means every project.
    pub project_slug: Option<String>,
    pub project_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserSummary {
    pub username: String,
    pub display_name: String,
    /// Where notifications are e-mailed (none: only the Slipway inbox).
    pub email: Option<String>,
    pub disabled: bool,
    pub must_change_password: bool,
    pub created_at: String,
    pub grants: Vec<GrantView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEventView {
    pub id: i64,
    pub occurred_at: String,
    pub actor: String,
    pub action: String,
    pub subject_type: String,
    pub subject_id: String,
    pub subject_label: String,
    pub project_slug: Option<String>,
    pub before: Option<String>,
    pub after: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub events: Vec<AuditEventView>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
    /// Choices for the filter form.
    pub actors: Vec<String>,
    pub projects: Vec<(String, String)>,
}

impl AuditPage {
    pub fn page_count(&self) -> i64 {
        if self.per_page <= 0 {
            return 1;
        }
        ((self.total + self.per_page - 1) / self.per_page).max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_count_rounds_up_and_is_never_zero() {
        let mut p = AuditPage {
            events: vec![],
            total: 0,
            page: 1,
            per_page: 50,
            actors: vec![],
            projects: vec![],
        };
        assert_eq!(p.page_count(), 1);
        p.total = 50;
        assert_eq!(p.page_count(), 1);
        p.total = 51;
        assert_eq!(p.page_count(), 2);
    }
}

// ---- Repositories, versions and release notes ----

/// A project's repository connection as its settings page shows it.
/// Never carries a credential, only the credential's name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepositoryView {
    pub project_slug: String,
    pub project_name: String,
    pub url: Option<String>,
    pub web_url: Option<String>,
    pub credential: Option<String>,
    /// Credential names configured on the server, to choose from.
    pub credentials_available: Vec<String>,
    pub issue_url: Option<String>,
    pub policy: crate::tagging::ReleasePolicy,
    pub fetch_interval_s: i64,
    pub last_fetched_at: Option<String>,
    pub last_fetch_ms: Option<i64>,
    pub last_fetch_error: Option<String>,
    pub connected: bool,
    pub can_configure: bool,
    pub can_fetch: bool,
    pub can_edit_notes: bool,
    pub can_publish: bool,
}

/// A commit in the next release, as the plan page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedCommit {
    pub id: String,
    pub short_id: String,
    pub subject: String,
    pub author: String,
    pub url: Option<String>,
    /// feat, fix, ... or None when not a Conventional Commit.
    pub kind: Option<String>,
    pub breaking: bool,
    pub drives_bump: bool,
    pub cancelled: bool,
    pub non_conforming: bool,
}

/// The next release of a project (or component) from a ref.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanView {
    pub rev: String,
    pub tip: String,
    pub component: Option<String>,
    pub channel: Option<String>,
    pub last_release: Option<String>,
    pub last_prerelease: Option<String>,
    pub next: Option<String>,
    pub next_tag: Option<String>,
    pub bump: String,
    pub explanation: String,
    pub commits: Vec<PlannedCommit>,
    pub merges: usize,
    pub notes_html: String,
}

/// A release/hotfix branch with commits not yet on the main branch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForwardMerge {
    pub branch: String,
    pub main: String,
    pub commits: Vec<(String, String)>,
}

/// One release-notes draft or published set, in lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotesSummary {
    pub id: i64,
    pub version: String,
    pub tag_name: String,
    pub component: Option<String>,
    pub rev: String,
    pub published: bool,
    pub updated_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevisionSummary {
    pub number: i64,
    /// generated, edited, regenerated, restored
    pub kind: String,
    pub author: String,
    pub created_at: String,
    pub conflicts: i64,
}

/// Release notes with their current text and history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotesView {
    pub id: i64,
    pub project_slug: String,
    pub project_name: String,
    pub component: Option<String>,
    pub rev: String,
    pub channel: Option<String>,
    pub version: String,
    pub tag_name: String,
    pub base_tag: Option<String>,
    pub tip_commit: String,
    pub published: bool,
    pub published_commit: Option<String>,
    pub published_at: Option<String>,
    pub body: String,
    pub html: String,
    pub revision: i64,
    pub conflicts: i64,
    pub revisions: Vec<RevisionSummary>,
    pub can_edit: bool,
    pub can_publish: bool,
}

/// A commit found by "where is my change?".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FoundChange {
    pub project_slug: String,
    pub project_name: String,
    pub id: String,
    pub short_id: String,
    pub subject: String,
    pub author: String,
    pub url: Option<String>,
    pub first_release: Option<String>,
    pub releases: Vec<String>,
}

// ---- Releases and sign-off ----

/// One decision on a release, as the sign-off page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionView {
    pub user: String,
    pub roles: Vec<String>,
    pub decision: Decision,
    pub comment: String,
    pub at: String,
    /// Why it no longer counts (artifact or notes changed, revoked, ...).
    pub ended: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChecklistItemView {
    pub key: String,
    pub title: String,
    pub help: String,
    pub required_before: Option<String>,
    /// "Ticked by Ada on 2026-11-23 10:00 UTC" or "Ticked automatically from smoke-tests ...".
    pub ticked: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransitionView {
    pub at: String,
    pub actor: String,
    pub from: ReleaseState,
    pub to: ReleaseState,
    pub environment: Option<String>,
    pub reason: String,
    pub break_glass: bool,
}

/// A release with everything its sign-off page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseView {
    pub id: i64,
    pub project_slug: String,
    pub project_name: String,
    pub version: String,
    pub title: String,
    pub state: ReleaseState,
    pub artifact: String,
    pub notes_id: Option<i64>,
    pub notes_revision: i64,
    pub notes_html: String,
    pub planned: Option<String>,
    pub author: String,
    pub owner: String,
    pub target_environment: Option<String>,
    pub reached_environment: Option<String>,
    /// The target environment's policy in words.
    pub policy: String,
    pub approval_satisfied: bool,
    pub approval_explanation: String,
    pub approval_missing: Vec<String>,
    pub decisions: Vec<DecisionView>,
    pub checklist: Vec<ChecklistItemView>,
    pub transitions: Vec<TransitionView>,
    /// What Promote would do now: the gate's reasons when it would refuse.
    pub gate_blockers: Vec<String>,
    pub my_decision: Option<Decision>,
    pub can_manage: bool,
    pub can_decide: bool,
    /// Why the viewer may not approve (self-approval), if so.
    pub cannot_decide_because: Option<String>,
    pub can_promote: bool,
    pub can_break_glass: bool,
    /// Evidence recorded for this release so far, newest first.
    pub evidence: Vec<EvidenceView>,
    pub can_record_evidence: bool,
    /// People who may be named to review a break-glass promotion
    /// (`(username, display name)`), for the break-glass form.
    pub reviewer_candidates: Vec<(String, String)>,
}

/// One piece of evidence about a release's artifact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceView {
    pub kind: String,
    /// `passed`, `failed` or `info`.
    pub outcome: String,
    pub summary: String,
    pub url: Option<String>,
    pub recorded_by: String,
    pub at: String,
    /// False when it was recorded for an earlier artifact.
    pub current: bool,
    /// Checklist items it ticked.
    pub ticked: Vec<String>,
}

/// A notification in the person's inbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationView {
    pub id: i64,
    pub kind: String,
    pub subject: String,
    pub body: String,
    pub link: String,
    pub at: String,
    pub read: bool,
    /// How the e-mail copy fared, in words (`None` when none was sent).
    pub email: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseSummary {
    pub id: i64,
    pub version: String,
    pub title: String,
    pub state: ReleaseState,
    pub planned: Option<String>,
    pub reached_environment: Option<String>,
}

/// A release waiting for the viewer's sign-off (home page queue).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignOffItem {
    pub project_slug: String,
    pub project_name: String,
    pub release_id: i64,
    pub version: String,
    pub title: String,
    pub environment: String,
    pub planned: Option<String>,
}

/// An environment's approval policy, for the policies page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvironmentPolicy {
    pub environment: String,
    pub tier: EnvironmentTier,
    pub required: u32,
    /// (at least, role identifiers)
    pub groups: Vec<(u32, Vec<String>)>,
    pub description: String,
    pub warnings: Vec<String>,
    pub can_edit: bool,
}

/// A post-release review opened by break-glass.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewView {
    pub id: i64,
    pub project_slug: String,
    pub project_name: String,
    pub release_id: i64,
    pub version: String,
    pub environment: Option<String>,
    pub reason: String,
    /// What break-glass bypassed (approvals, checklist items, freezes).
    pub bypassed: Vec<String>,
    pub opened_by: String,
    pub opened_at: String,
    pub due_at: String,
    pub overdue: bool,
    pub closed: Option<String>,
    /// The named reviewers, each with their conclusion once given.
    pub reviewers: Vec<ReviewerView>,
    /// The viewer is a named reviewer who has not concluded yet.
    pub can_close: bool,
}

/// A person named to complete a post-release review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewerView {
    pub name: String,
    /// "Done on 2026-11-23 10:00: …" once they concluded.
    pub done: Option<String>,
}

/// What an entry in the release calendar is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CalendarEntryKind {
    /// A release planned for this day (`releases.planned_at`).
    Release,
    /// A release train departs (its release time).
    TrainRelease,
    /// A train's code-freeze cutoff.
    TrainCutoff,
    /// A freeze window covers (part of) this day.
    Freeze,
}

impl CalendarEntryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CalendarEntryKind::Release => "release",
            CalendarEntryKind::TrainRelease => "train-release",
            CalendarEntryKind::TrainCutoff => "train-cutoff",
            CalendarEntryKind::Freeze => "freeze",
        }
    }
}

/// One thing on one day of the calendar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarEntry {
    pub kind: CalendarEntryKind,
    /// "Shop 1.4.0 — Coupons", "Web fortnightly: release", "Year-end freeze".
    pub label: String,
    /// The project's slug; `None` for trains and freezes of every project.
    pub project_slug: Option<String>,
    /// Times with their zone, the freeze's reason, the release's state.
    pub detail: String,
    /// The release page, for releases.
    pub href: Option<String>,
    /// Why this entry is flagged; empty when nothing conflicts.
    pub conflicts: Vec<String>,
}

/// One day of the month grid or week strip.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarDay {
    /// `YYYY-MM-DD`.
    pub date: String,
    pub day: i8,
    /// `Mon` ... `Sun`.
    pub weekday: String,
    /// False for the days of neighbouring months that fill the grid.
    pub in_range: bool,
    pub today: bool,
    pub entries: Vec<CalendarEntry>,
}

/// A freeze window as listed under the calendar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FreezeView {
    pub id: i64,
    pub name: String,
    pub reason: String,
    /// `None`: every project.
    pub project_slug: Option<String>,
    pub project_name: Option<String>,
    /// "2026-12-18 17:00 to 2027-01-04 09:00" or "Every Friday 15:00 to Monday 08:00".
    pub when: String,
    pub time_zone: String,
    pub can_remove: bool,
}

/// A release train as listed under the calendar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrainView {
    pub id: i64,
    pub name: String,
    pub project_slug: Option<String>,
    pub project_name: Option<String>,
    /// "Every 2 weeks on Tuesday at 10:00, cutoff 4 days before at 17:00".
    pub cadence: String,
    pub time_zone: String,
    /// The next departure whose cutoff has not passed, with its cutoff.
    pub next: Option<String>,
    pub can_remove: bool,
}

/// A project in the calendar's filter and forms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarProject {
    pub slug: String,
    pub name: String,
    /// May add freezes and trains for it.
    pub can_manage: bool,
}

/// The release calendar: a month grid (weeks of Monday to Sunday) or a week.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarView {
    /// "December 2026" or "Week of 2026-12-07".
    pub title: String,
    pub is_week: bool,
    /// First and last day shown, `YYYY-MM-DD`.
    pub from: String,
    pub to: String,
    /// Query strings for the previous and next month (or week), and today,
    /// keeping the project filter: `?month=2026-11&project=shop`.
    pub prev: String,
    pub next: String,
    pub today: String,
    /// The project filter, if any.
    pub project: Option<String>,
    pub projects: Vec<CalendarProject>,
    pub weeks: Vec<Vec<CalendarDay>>,
    /// How many entries are flagged.
    pub conflict_count: usize,
    pub freezes: Vec<FreezeView>,
    pub trains: Vec<TrainView>,
    /// Admins may add freezes and trains for every project.
    pub can_manage_global: bool,
}

/// One of the signed-in person's private calendar feeds (never the token).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedView {
    pub id: i64,
    /// `None`: every project the person can see.
    pub project_slug: Option<String>,
    pub project_name: Option<String>,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

/// Whether an API token still works.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TokenStatus {
    Active,
    Expired,
    Revoked,
}

impl TokenStatus {
    pub fn label(self) -> &'static str {
        match self {
            TokenStatus::Active => "Active",
            TokenStatus::Expired => "Expired",
            TokenStatus::Revoked => "Revoked",
        }
    }
}

/// An API token as its owner or a project's managers see it: never the
/// secret, only its first characters (`hint`) to tell tokens apart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenView {
    pub id: i64,
    pub kind: crate::token::TokenKind,
    pub name: String,
    pub hint: String,
    pub scopes: Vec<crate::token::TokenScope>,
    /// Service tokens: the project that owns it.
    pub project: Option<String>,
    /// Personal tokens limited to some projects: their slugs; `None` for
    /// every project the owner can reach.
    pub projects: Option<Vec<String>>,
    pub created_at: String,
    pub created_by: String,
    pub expires_at: String,
    pub last_used_at: Option<String>,
    pub last_used_ip: Option<String>,
    pub status: TokenStatus,
}
