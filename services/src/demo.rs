//! The demo project the quick start shows, created only on an empty installation.

use crate::storage::projects;
use crate::{ServiceError, Services};
use slipway_domain::{EnvironmentDraft, Grant, Principal, ProjectDraft, Role, UserId};

/// Creates the "Slipway demo" project with dev -> staging -> prod when there
/// are no projects yet. Returns whether it did.
pub async fn seed(services: &Services) -> Result<bool, ServiceError> {
    let mut conn = services.store.pool().acquire().await?;
    if projects::count(&mut conn).await? > 0 {
        return Ok(false);
    }
    drop(conn);
    // Seeding acts as the system, with admin authority.
    let system = Principal {
        id: UserId(0),
        username: "system".into(),
        display_name: "System".into(),
        grants: vec![Grant {
            project: None,
            role: Role::Admin,
        }],
        must_change_password: false,
        token: None,
    };
    let draft = ProjectDraft {
        name: "Slipway demo".into(),
        slug: "demo".into(),
        description: "A sample project with the usual dev -> staging -> prod pipeline. Edit or archive it when you add your own.".into(),
        repository_url: String::new(),
        repository_web_url: String::new(),
    };
    services
        .projects()
        .create(&system, &draft, &EnvironmentDraft::standard_pipeline())
        .await?;
    Ok(true)
}
