//! The vocabulary of the audit log: every state change names one of these actions.

use serde::{Deserialize, Serialize};
use std::{fmt, str::FromStr};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AuditAction {
    UserCreated,
    UserPasswordChanged,
    UserDisabled,
    UserEnabled,
    RoleGranted,
    RoleRevoked,
    LoginSucceeded,
    LoginFailed,
    ProjectCreated,
    ProjectUpdated,
    ProjectArchived,
    ProjectRestored,
    ProjectDependenciesChanged,
    EnvironmentAdded,
    EnvironmentUpdated,
    EnvironmentRemoved,
    EnvironmentsReordered,
    RepositoryConnected,
    RepositoryUpdated,
    NotesDrafted,
    NotesEdited,
    NotesRegenerated,
    NotesRestored,
    ReleasePublished,
    BranchCreated,
    ReleaseCreated,
    ReleaseTransitioned,
    ReleaseChanged,
    ApprovalRecorded,
    ApprovalRevoked,
    ApprovalPolicyUpdated,
    ChecklistTicked,
    BreakGlassUsed,
    ReviewClosed,
    ChecklistTemplateUpdated,
    FreezeCreated,
    FreezeRemoved,
    TrainCreated,
    TrainRemoved,
    FeedTokenCreated,
    FeedTokenRevoked,
    UserEmailChanged,
    EvidenceRecorded,
    ReviewCompleted,
    ApiTokenCreated,
    ApiTokenRevoked,
    ApiTokenRefused,
    DeploymentRequested,
    DeploymentFinished,
    RollbackRequested,
    ChecksRerun,
    HoldReleased,
    DeploySettingsUpdated,
    RolloutPaused,
    RolloutResumed,
    RolloutAborted,
    ConfigUpdated,
    ConfigRulesUpdated,
}

impl AuditAction {
    pub const ALL: [AuditAction; 58] = [
        AuditAction::UserCreated,
        AuditAction::UserPasswordChanged,
        AuditAction::UserDisabled,
        AuditAction::UserEnabled,
        AuditAction::RoleGranted,
        AuditAction::RoleRevoked,
        AuditAction::LoginSucceeded,
        AuditAction::LoginFailed,
        AuditAction::ProjectCreated,
        AuditAction::ProjectUpdated,
        AuditAction::ProjectArchived,
        AuditAction::ProjectRestored,
        AuditAction::ProjectDependenciesChanged,
        AuditAction::EnvironmentAdded,
        AuditAction::EnvironmentUpdated,
        AuditAction::EnvironmentRemoved,
        AuditAction::EnvironmentsReordered,
        AuditAction::RepositoryConnected,
        AuditAction::RepositoryUpdated,
        AuditAction::NotesDrafted,
        AuditAction::NotesEdited,
        AuditAction::NotesRegenerated,
        AuditAction::NotesRestored,
        AuditAction::ReleasePublished,
        AuditAction::BranchCreated,
        AuditAction::ReleaseCreated,
        AuditAction::ReleaseTransitioned,
        AuditAction::ReleaseChanged,
        AuditAction::ApprovalRecorded,
        AuditAction::ApprovalRevoked,
        AuditAction::ApprovalPolicyUpdated,
        AuditAction::ChecklistTicked,
        AuditAction::BreakGlassUsed,
        AuditAction::ReviewClosed,
        AuditAction::ChecklistTemplateUpdated,
        AuditAction::FreezeCreated,
        AuditAction::FreezeRemoved,
        AuditAction::TrainCreated,
        AuditAction::TrainRemoved,
        AuditAction::FeedTokenCreated,
        AuditAction::FeedTokenRevoked,
        AuditAction::UserEmailChanged,
        AuditAction::EvidenceRecorded,
        AuditAction::ReviewCompleted,
        AuditAction::ApiTokenCreated,
        AuditAction::ApiTokenRevoked,
        AuditAction::ApiTokenRefused,
        AuditAction::DeploymentRequested,
        AuditAction::DeploymentFinished,
        AuditAction::RollbackRequested,
        AuditAction::ChecksRerun,
        AuditAction::HoldReleased,
        AuditAction::DeploySettingsUpdated,
        AuditAction::RolloutPaused,
        AuditAction::RolloutResumed,
        AuditAction::RolloutAborted,
        AuditAction::ConfigUpdated,
        AuditAction::ConfigRulesUpdated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::UserCreated => "user.created",
            AuditAction::UserPasswordChanged => "user.password_changed",
            AuditAction::UserDisabled => "user.disabled",
            AuditAction::UserEnabled => "user.enabled",
            AuditAction::RoleGranted => "role.granted",
            AuditAction::RoleRevoked => "role.revoked",
            AuditAction::LoginSucceeded => "login.succeeded",
            AuditAction::LoginFailed => "login.failed",
            AuditAction::ProjectCreated => "project.created",
            AuditAction::ProjectUpdated => "project.updated",
            AuditAction::ProjectArchived => "project.archived",
            AuditAction::ProjectRestored => "project.restored",
            AuditAction::ProjectDependenciesChanged => "project.dependencies_changed",
            AuditAction::EnvironmentAdded => "environment.added",
            AuditAction::EnvironmentUpdated => "environment.updated",
            AuditAction::EnvironmentRemoved => "environment.removed",
            AuditAction::EnvironmentsReordered => "environment.reordered",
            AuditAction::RepositoryConnected => "repository.connected",
            AuditAction::RepositoryUpdated => "repository.updated",
            AuditAction::NotesDrafted => "notes.drafted",
            AuditAction::NotesEdited => "notes.edited",
            AuditAction::NotesRegenerated => "notes.regenerated",
            AuditAction::NotesRestored => "notes.restored",
            AuditAction::ReleasePublished => "release.published",
            AuditAction::BranchCreated => "branch.created",
            AuditAction::ReleaseCreated => "release.created",
            AuditAction::ReleaseTransitioned => "release.transitioned",
            AuditAction::ReleaseChanged => "release.changed",
            AuditAction::ApprovalRecorded => "approval.recorded",
            AuditAction::ApprovalRevoked => "approval.revoked",
            AuditAction::ApprovalPolicyUpdated => "approval_policy.updated",
            AuditAction::ChecklistTicked => "checklist.ticked",
            AuditAction::BreakGlassUsed => "release.break_glass",
            AuditAction::ReviewClosed => "review.closed",
            AuditAction::ChecklistTemplateUpdated => "checklist_template.updated",
            AuditAction::FreezeCreated => "freeze.created",
            AuditAction::FreezeRemoved => "freeze.removed",
            AuditAction::TrainCreated => "train.created",
            AuditAction::TrainRemoved => "train.removed",
            AuditAction::FeedTokenCreated => "feed_token.created",
            AuditAction::FeedTokenRevoked => "feed_token.revoked",
            AuditAction::UserEmailChanged => "user.email_changed",
            AuditAction::EvidenceRecorded => "evidence.recorded",
            AuditAction::ReviewCompleted => "review.completed",
            AuditAction::ApiTokenCreated => "api_token.created",
            AuditAction::ApiTokenRevoked => "api_token.revoked",
            // A revoked or expired token was presented (someone still uses it).
            AuditAction::ApiTokenRefused => "api_token.refused",
            AuditAction::DeploymentRequested => "deployment.requested",
            AuditAction::DeploymentFinished => "deployment.finished",
            AuditAction::RollbackRequested => "deployment.rollback_requested",
            AuditAction::ChecksRerun => "deployment.checks_rerun",
            AuditAction::HoldReleased => "deployment.hold_released",
            AuditAction::DeploySettingsUpdated => "environment.deploy_settings_updated",
            AuditAction::RolloutPaused => "deployment.paused",
            AuditAction::RolloutResumed => "deployment.resumed",
            AuditAction::RolloutAborted => "deployment.aborted",
            AuditAction::ConfigUpdated => "environment.config_updated",
            AuditAction::ConfigRulesUpdated => "project.config_rules_updated",
        }
    }

    /// The kind of thing the action changes, used as the event's subject type.
    pub fn subject_type(self) -> &'static str {
        self.as_str().split('.').next().unwrap_or("unknown")
    }
}

impl fmt::Display for AuditAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AuditAction {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AuditAction::ALL
            .into_iter()
            .find(|a| a.as_str() == s.trim())
            .ok_or_else(|| format!("unknown audit action \"{s}\""))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_round_trip_and_are_unique() {
        for a in AuditAction::ALL {
            assert_eq!(a.as_str().parse(), Ok(a));
        }
        let mut names: Vec<_> = AuditAction::ALL.iter().map(|a| a.as_str()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), AuditAction::ALL.len());
    }

    #[test]
    fn subject_type_is_the_prefix() {
        assert_eq!(AuditAction::ProjectArchived.subject_type(), "project");
        assert_eq!(AuditAction::RoleGranted.subject_type(), "role");
    }
}
