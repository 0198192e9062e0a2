//! Who someone is and what they may do: the one place permission questions are answered.

use crate::token::{TokenKind, TokenLimits};
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
    /// Set when the request authenticated with an API token: what the
    /// token allows, on top of (personal) or instead of (service) the grants.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<TokenLimits>,
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
    ///
    /// With a token, the token's scopes and projects must allow it too; a
    /// service token's scopes on its project are all it has.
    pub fn can(&self, permission: Permission, project: Option<ProjectId>) -> bool {
        match &self.token {
            None => self.granted(permission, project),
            Some(t) if t.kind == TokenKind::Service => t.allow(permission, project),
            Some(t) => t.allow(permission, project) && self.granted(permission, project),
        }
    }

    fn granted(&self, permission: Permission, project: Option<ProjectId>) -> bool {
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
        } else if let Some(TokenLimits {
            projects: Some(ids),
            ..
        }) = &self.token
        {
            Some(
                ids.iter()
                    .copied()
                    .filter(|p| self.can(Permission::ViewProject, Some(*p)))
                    .collect(),
            )
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
            token: None,
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
    fn a_personal_token_never_exceeds_its_owner_or_its_scopes() {
        use crate::token::TokenScope;
        let mut engineer = person(&[(Some(1), Role::Engineer), (Some(2), Role::Engineer)]);
        engineer.token = Some(TokenLimits {
            kind: TokenKind::Personal,
            projects: Some(vec![ProjectId(1), ProjectId(3)]),
            scopes: vec![TokenScope::Read, TokenScope::Promote, TokenScope::ReadAudit],
        });
        assert!(engineer.can(Permission::PromoteReleases, Some(ProjectId(1))));
        // Outside the token's projects, though the owner may.
        assert!(!engineer.can(Permission::PromoteReleases, Some(ProjectId(2))));
        // Inside the token's projects, but the owner may not.
        assert!(!engineer.can(Permission::ViewProject, Some(ProjectId(3))));
        // In scope, but engineers do not read the audit log.
        assert!(!engineer.can(Permission::ViewAudit, Some(ProjectId(1))));
        // The owner may, the scope does not.
        assert!(!engineer.can(Permission::ManageReleases, Some(ProjectId(1))));
        assert!(!engineer.can(Permission::ApproveReleases, Some(ProjectId(1))));
        assert_eq!(engineer.visible_projects(), Some(vec![ProjectId(1)]));

        let mut admin = person(&[(None, Role::Admin)]);
        admin.token = Some(TokenLimits {
            kind: TokenKind::Personal,
            projects: None,
            scopes: vec![TokenScope::Read],
        });
        assert!(admin.sees_all_projects());
        assert!(!admin.can(Permission::ManageUsers, None));
        assert!(!admin.can(Permission::ManageReleases, Some(ProjectId(4))));
    }

    #[test]
    fn a_service_token_has_its_scopes_on_its_project_only() {
        use crate::token::TokenScope;
        let mut bot = person(&[]);
        bot.token = Some(TokenLimits {
            kind: TokenKind::Service,
            projects: Some(vec![ProjectId(5)]),
            scopes: vec![TokenScope::Read, TokenScope::WriteReleases],
        });
        assert!(bot.can(Permission::ManageReleases, Some(ProjectId(5))));
        assert!(!bot.can(Permission::ManageReleases, Some(ProjectId(6))));
        assert!(!bot.can(Permission::PromoteReleases, Some(ProjectId(5))));
        assert!(!bot.sees_all_projects());
        assert_eq!(bot.visible_projects(), Some(vec![ProjectId(5)]));
        assert!(bot.roles_for(ProjectId(5)).is_empty());
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
