//! Roles people hold, and what each role may do.
//!
//! Roles are granted per project (or for all projects). `Admin` is the one
//! role that only exists for all projects: it runs the installation.

use serde::{Deserialize, Serialize};
use std::{fmt, str::FromStr};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    ReleaseManager,
    TechLead,
    ProductOwner,
    Sre,
    Engineer,
    Support,
    Stakeholder,
}

impl Role {
    pub const ALL: [Role; 8] = [
        Role::Admin,
        Role::ReleaseManager,
        Role::TechLead,
        Role::ProductOwner,
        Role::Sre,
        Role::Engineer,
        Role::Support,
        Role::Stakeholder,
    ];

    /// The stable identifier stored in the database and used in forms and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::ReleaseManager => "release_manager",
            Role::TechLead => "tech_lead",
            Role::ProductOwner => "product_owner",
            Role::Sre => "sre",
            Role::Engineer => "engineer",
            Role::Support => "support",
            Role::Stakeholder => "stakeholder",
        }
    }

    /// The name people read.
    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Admin",
            Role::ReleaseManager => "Release manager",
            Role::TechLead => "Tech lead",
            Role::ProductOwner => "Product owner",
            Role::Sre => "SRE",
            Role::Engineer => "Engineer",
            Role::Support => "Support",
            Role::Stakeholder => "Stakeholder",
        }
    }

    /// One sentence that tells a newcomer what the role is for.
    pub fn description(self) -> &'static str {
        match self {
            Role::Admin => "Runs this Slipway installation: users, roles and every project.",
            Role::ReleaseManager => {
                "Runs the release calendar, trains, freezes and checklists; edits projects and environments."
            }
            Role::TechLead => "Signs off releases on the technical side.",
            Role::ProductOwner => "Signs off releases on the product side.",
            Role::Sre => "Promotes and rolls back releases; may break glass in an emergency.",
            Role::Engineer => "Prepares releases and drives them from CI.",
            Role::Support => "Reads and searches release notes to answer customers.",
            Role::Stakeholder => "Reads releases and follows announcements; changes nothing.",
        }
    }

    /// Whether the role may be granted for a single project (all but `Admin`).
    pub fn is_project_scoped(self) -> bool {
        !matches!(self, Role::Admin)
    }

    /// Whether this role allows the permission.
    pub fn allows(self, permission: Permission) -> bool {
        use Permission::*;
        match self {
            Role::Admin => true,
            Role::ReleaseManager => matches!(
                permission,
                ViewProject
                    | CreateProject
                    | EditProject
                    | ArchiveProject
                    | ViewAudit
                    | ConfigureRepository
                    | FetchRepository
                    | EditNotes
                    | PublishRelease
                    | ManageReleases
                    | RecordEvidence
                    | ApproveReleases
                    | PromoteReleases
                    | ManageReleasePolicies
                    | RollBack
                    | ConfigureDeployments
                    | EditConfiguration
            ),
            Role::TechLead => matches!(
                permission,
                ViewProject
                    | ViewAudit
                    | ConfigureRepository
                    | FetchRepository
                    | EditNotes
                    | PublishRelease
                    | ManageReleases
                    | RecordEvidence
                    | ApproveReleases
            ),
            Role::Engineer => matches!(
                permission,
                ViewProject
                    | FetchRepository
                    | EditNotes
                    | PublishRelease
                    | ManageReleases
                    | RecordEvidence
                    | ApproveReleases
                    | PromoteReleases
            ),
            Role::Sre => matches!(
                permission,
                ViewProject
                    | ViewAudit
                    | FetchRepository
                    | RecordEvidence
                    | ApproveReleases
                    | PromoteReleases
                    | BreakGlass
                    | RollBack
            ),
            // Product owners word the notes people read and sign off; they
            // do not tag or deploy.
            Role::ProductOwner => matches!(permission, ViewProject | EditNotes | ApproveReleases),
            Role::Support | Role::Stakeholder => matches!(permission, ViewProject),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == wanted)
            .ok_or_else(|| {
                let known: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
                format!("unknown role \"{s}\"; known roles: {}", known.join(", "))
            })
    }
}

/// Something a person may do. Each server function and handler asks for one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Permission {
    /// See a project, its environments and (later) its releases.
    ViewProject,
    /// Create a new project (only meaningful for all projects).
    CreateProject,
    /// Change a project's details and its environments.
    EditProject,
    /// Archive or restore a project.
    ArchiveProject,
    /// Read the audit log.
    ViewAudit,
    /// Create users and grant roles (only meaningful for all projects).
    ManageUsers,
    /// Connect a project's repository and set its release policy.
    ConfigureRepository,
    /// Fetch the repository mirror now.
    FetchRepository,
    /// Draft, edit, regenerate and restore release notes.
    EditNotes,
    /// Publish a release (annotated tag, pushed) and create release/hotfix branches.
    PublishRelease,
    /// Create releases, submit them for sign-off, change or abandon them.
    ManageReleases,
    /// Record evidence on a release (test results, scans, checks).
    RecordEvidence,
    /// Approve or reject a release (the environment's policy says whose
    /// approval counts).
    ApproveReleases,
    /// Promote a release into an environment, or roll it back.
    PromoteReleases,
    /// Promote without approvals or inside a freeze, with a reason; opens a
    /// post-release review.
    BreakGlass,
    /// Approval policies, checklists, freeze windows and trains.
    ManageReleasePolicies,
    /// Put the last verified version of an environment back (skipping
    /// approvals, never the checks), and release a hold on an artifact.
    RollBack,
    /// Set how environments deploy: adapters (which run programs on the
    /// Slipway host), checks and automatic rollback. Never through a token:
    /// a command adapter runs on the Slipway host.
    ConfigureDeployments,
    /// Edit environments' configuration (plain values, and references to
    /// where secrets live) and the project's drift rules.
    EditConfiguration,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_their_identifier() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert_eq!("Release Manager".parse::<Role>(), Ok(Role::ReleaseManager));
        assert_eq!("tech-lead".parse::<Role>(), Ok(Role::TechLead));
    }

    #[test]
    fn unknown_role_lists_the_known_ones() {
        let err = "wizard".parse::<Role>().err().unwrap_or_default();
        assert!(err.contains("unknown role \"wizard\""));
        assert!(err.contains("release_manager"));
    }

    #[test]
    fn non_managers_never_administer_projects() {
        for role in [
            Role::Stakeholder,
            Role::Support,
            Role::ProductOwner,
            Role::Engineer,
        ] {
            assert!(role.allows(Permission::ViewProject));
            for p in [
                Permission::CreateProject,
                Permission::EditProject,
                Permission::ArchiveProject,
                Permission::ViewAudit,
                Permission::ManageUsers,
            ] {
                assert!(!role.allows(p), "{role} must not {p:?}");
            }
        }
    }

    #[test]
    fn who_works_on_releases() {
        use Permission::*;
        let table = [
            (
                ConfigureRepository,
                vec![Role::Admin, Role::ReleaseManager, Role::TechLead],
            ),
            (
                FetchRepository,
                vec![
                    Role::Admin,
                    Role::ReleaseManager,
                    Role::TechLead,
                    Role::Sre,
                    Role::Engineer,
                ],
            ),
            (
                EditNotes,
                vec![
                    Role::Admin,
                    Role::ReleaseManager,
                    Role::TechLead,
                    Role::ProductOwner,
                    Role::Engineer,
                ],
            ),
            (
                PublishRelease,
                vec![
                    Role::Admin,
                    Role::ReleaseManager,
                    Role::TechLead,
                    Role::Engineer,
                ],
            ),
        ];
        for (permission, allowed) in table {
            for role in Role::ALL {
                assert_eq!(
                    role.allows(permission),
                    allowed.contains(&role),
                    "{role} / {permission:?}"
                );
            }
        }
    }

    #[test]
    fn only_admins_manage_users() {
        for role in Role::ALL {
            assert_eq!(role.allows(Permission::ManageUsers), role == Role::Admin);
        }
    }

    #[test]
    fn admin_is_the_only_installation_wide_role() {
        assert!(!Role::Admin.is_project_scoped());
        assert!(Role::ALL
            .iter()
            .filter(|r| **r != Role::Admin)
            .all(|r| r.is_project_scoped()));
    }
}
