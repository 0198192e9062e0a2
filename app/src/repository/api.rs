//! Server functions for repositories: settings, fetch, the next-release
//! plan, forward merges and branches. Each authenticates, parses, calls the
//! repositories service (which checks the permission), and maps the error.

use super::form::RepositoryForm;
use crate::error::AppError;
use leptos::prelude::*;
use slipway_domain::read::{ForwardMerge, FoundChange, PlanView, RepositoryView};

#[server(endpoint = "repositories/get")]
pub async fn get_repository(slug: String) -> Result<RepositoryView, AppError> {
    use crate::server::{check, principal, services};
    let actor = principal()?;
    check(services()?.repositories().get(&actor, &slug).await)
}

#[server(endpoint = "repositories/configure")]
pub async fn configure_repository(slug: String, form: RepositoryForm) -> Result<(), AppError> {
    use crate::server::{check, fail, principal, services};
    use slipway_services::repositories::RepositoryInput;
    let actor = principal()?;
    let (policy, fetch_interval_s) = form.parse().map_err(|e| fail(AppError::Validation(e)))?;
    check(
        services()?
            .repositories()
            .configure(
                &actor,
                &slug,
                &RepositoryInput {
                    url: form.url,
                    web_url: form.web_url,
                    credential: form.credential,
                    issue_url: form.issue_url,
                    policy,
                    fetch_interval_s,
                },
            )
            .await,
    )
}

#[server(endpoint = "repositories/fetch")]
pub async fn fetch_repository(slug: String) -> Result<(), AppError> {
    use crate::server::{check, principal, services};
    let actor = principal()?;
    check(services()?.repositories().fetch(&actor, &slug).await)
}

#[server(endpoint = "repositories/plan")]
pub async fn plan_release(
    slug: String,
    #[server(default)] rev: String,
    #[server(default)] component: String,
    #[server(default)] channel: String,
) -> Result<Option<PlanView>, AppError> {
    use crate::server::{check, principal, services};
    let actor = principal()?;
    check(
        services()?
            .repositories()
            .plan(&actor, &slug, Some(&rev), Some(&component), Some(&channel))
            .await,
    )
}

#[server(endpoint = "repositories/forward-merges")]
pub async fn forward_merges(slug: String) -> Result<Vec<ForwardMerge>, AppError> {
    use crate::server::{check, principal, services};
    let actor = principal()?;
    check(
        services()?
            .repositories()
            .forward_merges(&actor, &slug)
            .await,
    )
}

/// `kind` is `release` (from a ref) or `hotfix` (from a release tag).
#[server(endpoint = "repositories/branch")]
pub async fn create_branch(slug: String, kind: String, from: String) -> Result<String, AppError> {
    use crate::server::{check, fail, principal, services};
    use slipway_services::repositories::BranchKind;
    let actor = principal()?;
    let kind = match kind.as_str() {
        "release" => BranchKind::Release,
        "hotfix" => BranchKind::Hotfix,
        _ => {
            return Err(fail(AppError::Conflict(
                "Choose a release or a hotfix branch.".into(),
            )))
        }
    };
    check(
        services()?
            .repositories()
            .create_branch(&actor, &slug, kind, &from)
            .await,
    )
}

/// "Where is my change?": commit id, #123, KEY-123, URL or words.
#[server(endpoint = "changes/find")]
pub async fn find_change(q: String) -> Result<Vec<FoundChange>, AppError> {
    use crate::server::{check, principal, services};
    let actor = principal()?;
    check(services()?.repositories().search(&actor, &q).await)
}
