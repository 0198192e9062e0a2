use super::api::{get_dependencies, get_project, SetProjectArchived};
use crate::components::{ErrorPanel, FormAlert, FormErrors, Loading, Pipeline};
use crate::repository::api::forward_merges;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use slipway_domain::project::{DependencyLink, ProjectDependencies};
use slipway_domain::read::ProjectDetail;

#[component]
pub fn ProjectPage() -> impl IntoView {
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let archive = ServerAction::<SetProjectArchived>::new();
    let project = Resource::new(
        move || (slug(), archive.version().get()),
        |(s, _)| get_project(s),
    );
    // Release/hotfix branches not merged forward: a warning on the project
    // page (quietly nothing when no repository is connected yet).
    let merges = Resource::new(slug, forward_merges);
    let deps = Resource::new(slug, get_dependencies);
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match project.await {
                    Ok(p) => view! { <ProjectView p archive/> }.into_any(),
                    Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                }
            })}
        </Suspense>
        <Suspense>
            {move || Suspend::new(async move {
                match deps.await {
                    Ok(d) => view! { <Dependencies d/> }.into_any(),
                    Err(_) => ().into_any(),
                }
            })}
        </Suspense>
        <crate::releases::reviews::Reviews slug=Signal::derive(slug)/>
        <Suspense>
            {move || Suspend::new(async move {
                match merges.await {
                    Ok(m) if !m.is_empty() => {
                        let href = format!("/projects/{}/releases", slug());
                        let branches: Vec<String> = m.iter()
                            .map(|f| format!("{} ({} commit(s))", f.branch, f.commits.len()))
                            .collect();
                        view! {
                            <p class="alert alert-warn" role="status" data-test="forward-merge-warning">
                                "Not merged into the main branch yet: " {branches.join(", ")} ". "
                                <a href=href>"See the commits"</a>
                            </p>
                        }.into_any()
                    }
                    _ => ().into_any(),
                }
            })}
        </Suspense>
        <crate::tokens::ServiceTokens slug=Signal::derive(slug)/>
    }
}

#[component]
fn ProjectView(p: ProjectDetail, archive: ServerAction<SetProjectArchived>) -> impl IntoView {
    let errors = FormErrors::from_action(archive.value());
    let archived = p.archived_at.is_some();
    let roles = if p.my_roles.is_empty() {
        "You can see this project through an installation-wide role.".to_owned()
    } else {
        format!(
            "Your roles here: {}.",
            p.my_roles
                .iter()
                .map(|r| r.label())
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let audit_href = format!("/audit?project={}", p.slug);
    let edit_href = format!("/projects/{}/edit", p.slug);
    let releases_href = format!("/projects/{}/releases", p.slug);
    let repository_href = format!("/projects/{}/repository", p.slug);
    let policies_href = format!("/projects/{}/policies", p.slug);
    let config_href = format!("/projects/{}/config", p.slug);
    let slug = p.slug.clone();
    view! {
        <Title text=p.name.clone()/>
        <section class="page-head">
            <p class="breadcrumb"><a href="/projects">"Projects"</a></p>
            <h1 data-test="project-title">{p.name.clone()}
                {archived.then(|| view! { " " <span class="badge">"Archived"</span> })}
            </h1>
            {(!p.description.is_empty()).then(|| view! { <p class="lead">{p.description.clone()}</p> })}
            <p class="muted">{roles}</p>
            <p class="actions">
                {p.can_edit.then(|| view! { <a class="button" href=edit_href data-test="edit-project">"Edit project and environments"</a> })}
                <a class="button primary" href=releases_href data-test="project-releases">"Releases"</a>
                <a class="button" href=repository_href data-test="project-repository">"Repository and versioning"</a>
                <a class="button" href=policies_href data-test="project-policies">"Approval policies"</a>
                <a class="button" href=config_href data-test="project-config">"Configuration"</a>
                <a class="button" href=audit_href>"History"</a>
            </p>
        </section>
        <section class="panel">
            <h2>"Pipeline"</h2>
            <p class="hint">"Releases are promoted through these environments in this order. Open one to see what runs there, its deployments, and to roll it back."</p>
            <Pipeline environments=p.environments.clone() slug=p.slug.clone()/>
        </section>
        <section class="panel">
            <h2>"Details"</h2>
            <dl class="details">
                <dt>"Short name"</dt><dd><code>{p.slug.clone()}</code></dd>
                <dt>"Repository"</dt>
                <dd>{p.repository_url.clone().unwrap_or_else(|| "Not connected yet".into())}</dd>
                <dt>"Repository web page"</dt>
                <dd>{match p.repository_web_url.clone() {
                    Some(u) => { let text = u.clone(); view! { <a href=u rel="noopener noreferrer">{text}</a> }.into_any() }
                    None => view! { "—" }.into_any(),
                }}</dd>
                <dt>"Created"</dt><dd>{p.created_at.clone()}</dd>
                <dt>"Last changed"</dt><dd>{p.updated_at.clone()}</dd>
                {p.archived_at.clone().map(|a| view! { <dt>"Archived"</dt><dd>{a}</dd> })}
            </dl>
        </section>
        {p.can_archive.then(|| view! {
            <section class="panel danger-zone">
                <h2>{if archived { "Restore this project" } else { "Archive this project" }}</h2>
                <p class="hint">{if archived {
                    "Restoring makes the project active again."
                } else {
                    "Archiving hides the project from lists and stops new releases. Its history is kept and you can restore it later."
                }}</p>
                <ActionForm action=archive attr:class="inline">
                    <FormAlert errors/>
                    <input type="hidden" name="slug" value=slug/>
                    <input type="hidden" name="archived" value=(!archived).to_string()/>
                    <button type="submit" class="button" data-test="archive-project">
                        {if archived { "Restore project" } else { "Archive project" }}
                    </button>
                </ActionForm>
            </section>
        })}
    }
}

/// Links to projects, "Blog, API (archived)", or a dash.
fn project_links(links: Vec<DependencyLink>) -> AnyView {
    if links.is_empty() {
        return view! { "—" }.into_any();
    }
    let last = links.len() - 1;
    links
        .into_iter()
        .enumerate()
        .map(|(i, l)| {
            let href = format!("/projects/{}", l.slug);
            view! {
                <a href=href>{l.name}</a>
                {l.archived.then_some(" (archived)")}
                {(i < last).then_some(", ")}
            }
        })
        .collect_view()
        .into_any()
}

/// What this project depends on and what depends on it.
#[component]
fn Dependencies(d: ProjectDependencies) -> impl IntoView {
    let edit_href = format!("/projects/{}/edit", d.slug);
    let hidden = (d.hidden > 0).then(|| match d.hidden {
        1 => " and 1 project you cannot see".to_owned(),
        n => format!(" and {n} projects you cannot see"),
    });
    let indirect = (!d.depends_on_indirectly.is_empty()).then(|| {
        view! { <dt>"Through those, also on"</dt><dd data-test="depends-on-indirectly">{project_links(d.depends_on_indirectly)}</dd> }
    });
    let indirect_by = (!d.depended_on_by_indirectly.is_empty()).then(|| {
        view! { <dt>"Through others, also by"</dt><dd data-test="depended-on-by-indirectly">{project_links(d.depended_on_by_indirectly)}</dd> }
    });
    view! {
        <section class="panel" data-test="dependencies">
            <h2>"Dependencies"</h2>
            <p class="hint">"The release calendar warns when releases of projects that depend on each other are planned for the same day."</p>
            <dl class="details">
                <dt>"Depends on"</dt>
                <dd data-test="depends-on">{project_links(d.depends_on)}{hidden}</dd>
                {indirect}
                <dt>"Depended on by"</dt>
                <dd data-test="depended-on-by">{project_links(d.depended_on_by)}</dd>
                {indirect_by}
            </dl>
            {d.can_edit.then(|| view! { <p class="actions"><a class="button" href=edit_href data-test="edit-dependencies">"Change dependencies"</a></p> })}
        </section>
    }
}
