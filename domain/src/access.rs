//! Who someone is and what they may do: the one place permission questions are answered.

use crate::{Permission, ProjectId, Role, UserId};
use serde::{Deserialize, Serialize};

/// A role held for one project, or for every project when `project` is `None`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Grant {
    pub project: Option<ProjectId>,
    pub role: Role,
}

/// An authenticated person with their grants, as loaded for one request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub grants: Vec<Grant>,
    /// Set while the account still uses a generated one-time password.
    pub must_change_password: bool,
}

impl Principal {
    pub fn is_admin(&self) -> bool {
        self.grants
            .iter()
            .any(|g| g.role == Role::Admin && g.project.is_none())
    }

    /// May this person do `permission` on `project` (or installation-wide when `None`)?
    ///
    /// A grant for all projects counts for every project; a grant for one
    /// project never counts installation-wide.
    pub fn can(&self, permission: Permission, project: Option<ProjectId>) -> bool {
        self.grants.iter().any(|g| {
            let scope_matches = match (g.project, project) {
                (None, _) => true,
                (Some(granted), Some(wanted)) => granted == wanted,
                (Some(_), None) => false,
            };
            scope_matches && g.role.allows(permission)
        })
    }

    /// May this person see every project (rather than only those granted)?
    pub fn sees_all_projects(&self) -> bool {
        self.can(Permission::ViewProject, None)
    }

    /// The projects this person may see: `None` for all of them, otherwise
    /// those they hold a grant for.
    pub fn visible_projects(&self) -> Option<Vec<ProjectId>> {
        if self.sees_all_projects() {
            None
        } else {
            Some(self.grants.iter().filter_map(|g| g.project).collect())
        }
    }

    /// Roles held for `project`, including installation-wide ones, each once.
    pub fn roles_for(&self, project: ProjectId) -> Vec<Role> {
        let mut roles: Vec<Role> = self
            .grants
            .iter()
            .filter(|g| g.project.is_none() || g.project == Some(project))
            .map(|g| g.role)
            .collect();
        roles.sort();
        roles.dedup();
        roles
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(grants: &[(Option<i64>, Role)]) -> Principal {
        Principal {
            id: UserId(1),
            username: "p".into(),
            display_name: "P".into(),
            grants: grants
                .iter()
                .map(|(p, role)| Grant {
                    project: p.map(ProjectId),
                    role: *role,
                })
                .collect(),
            must_change_password: false,
        }
    }

    #[test]
    fn project_grant_applies_only_to_its_project() {
        let rm = person(&[(Some(1), Role::ReleaseManager)]);
        assert!(rm.can(Permission::EditProject, Some(ProjectId(1))));
        assert!(!rm.can(Permission::EditProject, Some(ProjectId(2))));
        assert!(!rm.can(Permission::CreateProject, None));
        assert!(!rm.sees_all_projects());
    }

    #[test]
    fn global_grant_applies_to_every_project() {
        let rm = person(&[(None, Role::ReleaseManager)]);
        assert!(rm.can(Permission::EditProject, Some(ProjectId(7))));
        assert!(rm.can(Permission::CreateProject, None));
        assert!(rm.sees_all_projects());
        assert!(!rm.can(Permission::ManageUsers, None));
    }

    #[test]
    fn admin_can_do_everything_everywhere() {
        let admin = person(&[(None, Role::Admin)]);
        assert!(admin.is_admin());
        assert!(admin.can(Permission::ManageUsers, None));
        assert!(admin.can(Permission::ArchiveProject, Some(ProjectId(3))));
    }

    #[test]
    fn nobody_without_grants_can_do_anything() {
        let nobody = person(&[]);
        assert!(!nobody.can(Permission::ViewProject, Some(ProjectId(1))));
        assert!(!nobody.can(Permission::ViewProject, None));
    }

    #[test]
    fn several_roles_combine_and_are_listed_once() {
        let p = person(&[
            (Some(1), Role::Stakeholder),
            (Some(1), Role::TechLead),
            (None, Role::Stakeholder),
        ]);
        assert!(p.can(Permission::ViewAudit, Some(ProjectId(1))));
        assert!(!p.can(Permission::EditProject, Some(ProjectId(1))));
        assert_eq!(
            p.roles_for(ProjectId(1)),
            vec![Role::TechLead, Role::Stakeholder]
        );
        assert_eq!(p.roles_for(ProjectId(2)), vec![Role::Stakeholder]);
    }
}
