//! Read models: what the server sends to pages. Plain data, shared by the
//! server (which fills them) and the browser (which renders them).

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
