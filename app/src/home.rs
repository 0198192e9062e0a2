//! The dashboard: what this person can do here, and the projects they see.

use crate::components::{ErrorPanel, Loading};
use crate::error::AppError;
use crate::projects::api::list_projects;
use crate::projects::list::ProjectCards;
use crate::use_session;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn HomePage() -> impl IntoView {
    let Some(session) = use_session() else {
        return ().into_any();
    };
    let projects = Resource::new(|| (), |_| list_projects(false));
    let waiting = Resource::new(|| (), |_| crate::releases::api::waiting_for_me());
    view! {
        <Title text="Dashboard"/>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                let user = match session.user.await {
                    Ok(Some(u)) => u,
                    Ok(None) => return view! { <ErrorPanel error=AppError::Unauthenticated/> }.into_any(),
                    Err(e) => return view! { <ErrorPanel error=e/> }.into_any(),
                };
                let list = projects.await;
                let queue = waiting.await.unwrap_or_default();
                view! {
                    <section class="page-head">
                        <h1>"Welcome, " {user.display_name.clone()}</h1>
                        <p class="lead">
                            "Slipway moves the same build through each environment of a project, with sign-off and evidence at every step. "
                            "Pick a project to see its pipeline."
                        </p>
                        {user.can_create_projects.then(|| view! {
                            <p><a class="button primary" href="/projects/new" data-test="new-project">"New project"</a></p>
                        })}
                    </section>
                    <crate::notifications::inbox::Inbox/>
                    <crate::releases::reviews::Reviews slug=String::new()/>
                    {(!queue.is_empty()).then(|| view! {
                        <section class="panel" data-test="signoff-queue">
                            <h2>"Waiting for your sign-off"</h2>
                            <ul class="list">
                                {queue.into_iter().map(|q| view! {
                                    <li>
                                        <a href=format!("/projects/{}/releases/{}#decision", q.project_slug, q.release_id)>
                                            {format!("{} {}", q.project_name, q.version)}
                                        </a>
                                        {format!(" — {} for {}", q.title, q.environment)}
                                        {q.planned.map(|p| format!(" · planned {p}"))}
                                    </li>
                                }).collect_view()}
                            </ul>
                        </section>
                    })}
                    {match list {
                        Ok(list) => view! { <ProjectCards projects=list/> }.into_any(),
                        Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                    }}
                }.into_any()
            })}
        </Suspense>
    }
    .into_any()
}
