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
