//! Server functions for releases. Each authenticates, parses, calls the
//! releases service (which checks the permission and the rules), and maps
//! the error.

use crate::error::AppError;
use leptos::prelude::*;
use slipway_domain::read::{
    EnvironmentPolicy, ReleaseSummary, ReleaseView, ReviewView, SignOffItem,
};

/// A value parsed where it enters, or the field error that says why not.
#[cfg(feature = "ssr")]
fn field<T>(name: &str, parsed: Result<T, String>) -> Result<T, AppError> {
    parsed.map_err(|m| {
        crate::server::fail(AppError::Validation(slipway_domain::FieldErrors(vec![
            slipway_domain::FieldError::new(name, m),
        ])))
    })
}

#[server(endpoint = "releases/list")]
pub async fn list_releases(slug: String) -> Result<Vec<ReleaseSummary>, AppError> {
    use crate::server::{check, principal, services};
    let actor = principal()?;
    check(services()?.releases().list(&actor, &slug).await)
}

#[server(endpoint = "releases/get")]
pub async fn get_release(slug: String, id: i64) -> Result<ReleaseView, AppError> {
    use crate::server::{check, principal, services};
    let actor = principal()?;
    check(services()?.releases().get(&actor, &slug, id).await)
}

/// Creates a draft release, then opens its page.
#[server(endpoint = "releases/create")]
pub async fn create_release(
    slug: String,
    version: String,
    #[server(default)] title: String,
    #[server(default)] notes_id: String,
    #[server(default)] artifact: String,
    #[server(default)] planned: String,
) -> Result<i64, AppError> {
    use crate::server::{check, principal, redirect_to, services};
    use slipway_domain::{artifact::ArtifactRef, release::ReleaseVersion};
    use slipway_services::releases::NewReleaseInput;
    let actor = principal()?;
    let notes_id = match notes_id.trim() {
        "" => None,
        n => Some(field(
            "notes_id",
            n.parse::<i64>()
                .map_err(|_| "Choose release notes from the list.".to_owned()),
        )?),
    };
    let version = field("version", ReleaseVersion::parse(&version))?;
    let artifact = match artifact.trim() {
        "" => None,
        a => Some(field("artifact", ArtifactRef::parse(a))?),
    };
    let id = check(
        services()?
            .releases()
            .create(
                &actor,
                &slug,
                &NewReleaseInput {
                    version,
                    title,
                    notes_id,
                    artifact,
                    planned,
                },
            )
            .await,
    )?;
    redirect_to(&format!("/projects/{slug}/releases/{id}"));
    Ok(id)
}

/// `action`: submit | abandon | roll_back (reason for the last two).
#[server(endpoint = "releases/transition")]
pub async fn transition_release(
    slug: String,
    id: i64,
    action: String,
    #[server(default)] reason: String,
) -> Result<(), AppError> {
    use crate::server::{check, fail, principal, services};
    let actor = principal()?;
    let services = services()?;
    let releases = services.releases();
    match action.as_str() {
        "submit" => check(releases.submit(&actor, &slug, id).await),
        "abandon" => check(releases.abandon(&actor, &slug, id, &reason).await),
        "roll_back" => check(releases.roll_back(&actor, &slug, id, &reason).await),
        _ => Err(fail(AppError::Conflict(format!(
            "\"{action}\" is not something a release can do."
        )))),
    }
}

/// Approve or reject what the approver saw (artifact and notes revision).
#[server(endpoint = "releases/decide")]
pub async fn decide_release(
    slug: String,
    id: i64,
    decision: String,
    #[server(default)] comment: String,
    seen_artifact: String,
    seen_revision: i64,
) -> Result<(), AppError> {
    use crate::server::{check, fail, principal, services};
    use slipway_domain::approval::Decision;
    use slipway_services::releases::DecisionInput;
    let actor = principal()?;
    let Some(decision) = Decision::parse(&decision) else {
        return Err(fail(AppError::Conflict("Choose Approve or Reject.".into())));
    };
    let input = DecisionInput {
        decision,
        comment,
        seen_artifact,
        seen_revision,
    };
    check(
        services()?
            .releases()
            .decide(&actor, &slug, id, &input)
            .await,
    )
}

#[server(endpoint = "releases/revoke")]
pub async fn revoke_decision(slug: String, id: i64) -> Result<(), AppError> {
    use crate::server::{check, principal, services};
    let actor = principal()?;
    check(services()?.releases().revoke(&actor, &slug, id).await)
}

#[server(endpoint = "releases/change")]
pub async fn change_release(
    slug: String,
    id: i64,
    artifact: String,
    expected_artifact: String,
) -> Result<(), AppError> {
    use crate::server::{check, principal, services};
    use slipway_domain::artifact::ArtifactRef;
    use slipway_services::releases::ChangeInput;
    let actor = principal()?;
    let input = ChangeInput {
        artifact: field("artifact", ArtifactRef::parse(&artifact))?,
        expected_artifact,
    };
    check(
        services()?
            .releases()
            .change(&actor, &slug, id, &input)
            .await,
    )
}

/// Promotes through the gate; `break_glass_reason` non-empty breaks glass,
/// and then `reviewers` (usernames) review it afterwards.
#[server(endpoint = "releases/promote")]
pub async fn promote_release(
    slug: String,
    id: i64,
    #[server(default)] break_glass_reason: String,
    #[server(default)] reviewers: Vec<String>,
) -> Result<String, AppError> {
    use crate::server::{check, principal, services};
    use slipway_services::releases::BreakGlassInput;
    let actor = principal()?;
    let break_glass = (!break_glass_reason.trim().is_empty()).then_some(BreakGlassInput {
        reason: &break_glass_reason,
        reviewers: &reviewers,
    });
    check(
        services()?
            .releases()
            .promote(&actor, &slug, id, break_glass)
            .await,
    )
}

/// Records evidence (a report, a dry-run, smoke tests) for the release's
/// artifact. Returns the checklist items it ticked.
#[server(endpoint = "releases/evidence")]
pub async fn record_evidence(
    slug: String,
    id: i64,
    #[server(default)] kind: String,
    #[server(default)] outcome: String,
    #[server(default)] summary: String,
    #[server(default)] url: String,
) -> Result<Vec<String>, AppError> {
    use crate::server::{check, principal, services};
    use slipway_services::releases::EvidenceInput;
    let actor = principal()?;
    check(
        services()?
            .releases()
            .record_evidence(
                &actor,
                &slug,
                id,
                &EvidenceInput {
                    kind,
                    outcome,
                    summary,
                    url,
                },
            )
            .await
            .map(|stored| stored.ticked),
    )
}

#[server(endpoint = "releases/tick")]
pub async fn tick_item(slug: String, id: i64, key: String) -> Result<(), AppError> {
    use crate::server::{check, principal, services};
    let actor = principal()?;
    check(services()?.releases().tick(&actor, &slug, id, &key).await)
}

/// One "at least N of these roles" row of the policy form.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GroupForm {
    #[serde(default)]
    pub at_least: String,
    #[serde(default)]
    pub roles: String,
}

#[server(endpoint = "releases/policies")]
pub async fn list_policies(slug: String) -> Result<Vec<EnvironmentPolicy>, AppError> {
    use crate::server::{check, principal, services};
    let actor = principal()?;
    check(services()?.releases().policies(&actor, &slug).await)
}

/// Sets an environment's approval policy; returns warnings.
#[server(endpoint = "releases/policy")]
pub async fn set_approval_policy(
    slug: String,
    environment: String,
    required: String,
    #[server(default)] groups: Vec<GroupForm>,
) -> Result<Vec<String>, AppError> {
    use crate::server::{check, fail, principal, services};
    use slipway_domain::approval::ApprovalPolicy;
    let actor = principal()?;
    let rows: Vec<(String, String)> = groups.into_iter().map(|g| (g.at_least, g.roles)).collect();
    let policy =
        ApprovalPolicy::from_form(&required, &rows).map_err(|e| fail(AppError::Validation(e)))?;
    check(
        services()?
            .releases()
            .set_policy(&actor, &slug, &environment, &policy)
            .await,
    )
}

#[server(endpoint = "releases/waiting")]
pub async fn waiting_for_me() -> Result<Vec<SignOffItem>, AppError> {
    use crate::server::{check, principal, services};
    let actor = principal()?;
    check(services()?.releases().waiting_for(&actor).await)
}

/// Post-release reviews: open ones across projects (dashboard) or every
/// one of a project (`slug`).
#[server(endpoint = "reviews/list")]
pub async fn list_reviews(#[server(default)] slug: String) -> Result<Vec<ReviewView>, AppError> {
    use crate::server::{check, principal, services};
    let actor = principal()?;
    let scope = (!slug.is_empty()).then_some(slug.as_str());
    check(
        services()?
            .releases()
            .reviews(&actor, scope, scope.is_none())
            .await,
    )
}

#[server(endpoint = "reviews/close")]
pub async fn close_review(slug: String, review: i64, conclusion: String) -> Result<(), AppError> {
    use crate::server::{check, principal, services};
    let actor = principal()?;
    check(
        services()?
            .releases()
            .close_review(&actor, &slug, review, &conclusion)
            .await,
    )
}

/// A single-use sign-off link for one approver: sent to their inbox (and
/// e-mail, when they have an address) and returned once for chat, with
/// whether it was e-mailed.
#[server(endpoint = "releases/sign-link")]
pub async fn issue_sign_off_link(
    slug: String,
    id: i64,
    approver: String,
) -> Result<(String, bool), AppError> {
    use crate::server::{check, principal, services};
    let actor = principal()?;
    check(
        services()?
            .releases()
            .issue_sign_off_link(&actor, &slug, id, &approver)
            .await
            .map(|l| (l.path, l.emailed)),
    )
}

/// One row of the checklist template form.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ItemForm {
    #[serde(default)]
    pub key: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub help: String,
    /// development | staging | production, or empty (recommended only).
    #[serde(default)]
    pub required_before: String,
    #[serde(default)]
    pub auto_from: String,
}

/// The project's checklist template, and whether the viewer may edit it.
#[server(endpoint = "releases/checklist-template")]
pub async fn get_checklist_template(
    slug: String,
) -> Result<(slipway_domain::checklist::ChecklistTemplate, bool), AppError> {
    use crate::server::{check, principal, services};
    let actor = principal()?;
    check(
        services()?
            .releases()
            .checklist_template(&actor, &slug)
            .await,
    )
}

/// Replaces the template; rows without a title are left out.
#[server(endpoint = "releases/checklist-template/save")]
pub async fn save_checklist_template(
    slug: String,
    #[server(default)] items: Vec<ItemForm>,
) -> Result<(), AppError> {
    use crate::server::{check, fail, principal, services};
    use slipway_domain::checklist::{ChecklistTemplate, ItemTemplate};
    use slipway_domain::{FieldError, FieldErrors};
    let actor = principal()?;
    let mut errors = FieldErrors::new();
    let mut template = ChecklistTemplate { items: Vec::new() };
    for (i, it) in items.into_iter().enumerate() {
        if it.title.trim().is_empty() && it.key.trim().is_empty() {
            continue;
        }
        let required_before = match it.required_before.trim() {
            "" => None,
            t => match t.parse() {
                Ok(tier) => Some(tier),
                Err(_) => {
                    errors.0.push(FieldError::new(
                        format!("items[{i}].required_before"),
                        "Choose a tier or none.",
                    ));
                    None
                }
            },
        };
        let auto_from = it.auto_from.trim();
        template.items.push(ItemTemplate {
            key: it.key.trim().to_owned(),
            title: it.title.trim().to_owned(),
            help: it.help.trim().to_owned(),
            required_before,
            auto_from: (!auto_from.is_empty()).then(|| auto_from.to_owned()),
        });
    }
    if !errors.is_empty() {
        return Err(fail(AppError::Validation(errors)));
    }
    check(
        services()?
            .releases()
            .set_checklist_template(&actor, &slug, &template)
            .await,
    )
}

/// What promoting the release into its next environment changes there.
#[server(endpoint = "releases/changes")]
pub async fn what_changes(
    slug: String,
    id: i64,
) -> Result<slipway_domain::deployment::view::WhatChanges, AppError> {
    use crate::server::{check, principal, services};
    let actor = principal()?;
    check(services()?.releases().what_changes(&actor, &slug, id).await)
}

/// Creates the release the plan proposes for `rev`, with its notes drafted
/// in the same step, then opens its page.
#[server(endpoint = "releases/create-from-plan")]
pub async fn create_release_from_plan(
    slug: String,
    rev: String,
    #[server(default)] title: String,
) -> Result<i64, AppError> {
    use crate::server::{check, principal, redirect_to, services};
    use slipway_services::releases::NewFromRefInput;
    let actor = principal()?;
    let id = check(
        services()?
            .releases()
            .create_from_ref(
                &actor,
                &slug,
                &NewFromRefInput {
                    git_ref: Some(rev),
                    version: None,
                    artifact: None,
                    title,
                    notes: None,
                    planned: String::new(),
                },
            )
            .await,
    )?;
    redirect_to(&format!("/projects/{slug}/releases/{id}"));
    Ok(id)
}
