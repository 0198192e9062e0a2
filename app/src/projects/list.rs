use super::api::list_projects;
use crate::components::{ErrorPanel, Loading, Pipeline};
use crate::use_session;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use slipway_domain::read::ProjectSummary;

#[component]
pub fn ProjectsPage() -> impl IntoView {
    let query = use_query_map();
    let archived = move || query.read().get("archived").is_some_and(|v| v == "1");
    let projects = Resource::new(archived, list_projects);
    let can_create = move || {
        use_session().map(|s| {
            Suspend::new(async move {
                matches!(s.user.await, Ok(Some(u)) if u.can_create_projects).then(|| {
                    view! { <a class="button primary" href="/projects/new" data-test="new-project">"New project"</a> }
                })
            })
        })
    };
    view! {
        <Title text="Projects"/>
        <section class="page-head">
            <h1>"Projects"</h1>
            <p class="lead">"Each project is one deliverable with its own pipeline of environments."</p>
            <p class="actions">
                <Suspense fallback=|| ()>{can_create}</Suspense>
                {move || if archived() {
                    view! { <a class="button" href="/projects">"Hide archived"</a> }.into_any()
                } else {
                    view! { <a class="button" href="/projects?archived=1">"Show archived"</a> }.into_any()
                }}
            </p>
        </section>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match projects.await {
                    Ok(list) => view! { <ProjectCards projects=list/> }.into_any(),
                    Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// Projects as cards with their pipelines.
#[component]
pub fn ProjectCards(projects: Vec<ProjectSummary>) -> impl IntoView {
    if projects.is_empty() {
        return view! {
            <p class="empty" data-test="no-projects">
                "No projects to show. A project appears here when someone creates it, or when an administrator grants you a role on it."
            </p>
        }
        .into_any();
    }
    view! {
        <ul class="cards" data-test="project-list">
            {projects
                .into_iter()
                .map(|p| {
                    let href = format!("/projects/{}", p.slug);
                    view! {
                        <li class="card" data-test="project-card">
                            <h2><a href=href>{p.name}</a></h2>
                            {p.archived.then(|| view! { <span class="badge">"Archived"</span> })}
                            <p class="muted slug">{p.slug}</p>
                            {(!p.description.is_empty()).then(|| view! { <p>{p.description}</p> })}
                            <Pipeline environments=p.environments/>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
    .into_any()
}
