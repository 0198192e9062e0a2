//! Finding a release by its id alone, as the API addresses releases
//! (`/api/v1/releases/{id}`); every other action takes the project's slug.

use super::Releases;
use crate::storage::releases as store;
use crate::ServiceError;
use slipway_domain::{Permission, Principal, ProjectId};

impl Releases<'_> {
    /// The slug of the project release `id` belongs to, when the actor may
    /// see that project. An unknown release and one the actor cannot see
    /// look alike: `NotFound("release")`.
    #[tracing::instrument(skip_all, fields(release.id = id))]
    pub async fn locate(&self, actor: &Principal, id: i64) -> Result<String, ServiceError> {
        let mut conn = self.services.store.pool().acquire().await?;
        match store::project_of(&mut conn, id).await? {
            Some((project, slug))
                if actor.can(Permission::ViewProject, Some(ProjectId(project))) =>
            {
                Ok(slug)
            }
            _ => Err(ServiceError::NotFound("release")),
        }
    }
}
