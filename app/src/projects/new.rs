use super::api::CreateProject;
use crate::components::{
    ErrorPanel, FieldError, FormAlert, FormErrors, Loading, TextField, TierSelect,
};
use crate::error::AppError;
use crate::use_session;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use slipway_domain::{EnvironmentDraft, ProjectSlug};

#[derive(Clone)]
struct Row {
    id: usize,
    draft: EnvironmentDraft,
}

#[component]
pub fn NewProjectPage() -> impl IntoView {
    let Some(session) = use_session() else {
        return ().into_any();
    };
    view! {
        <Title text="New project"/>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match session.user.await {
                    Ok(Some(u)) if u.can_create_projects => view! { <NewProjectForm/> }.into_any(),
                    Ok(Some(_)) => view! { <ErrorPanel error=AppError::Forbidden/> }.into_any(),
                    Ok(None) => view! { <ErrorPanel error=AppError::Unauthenticated/> }.into_any(),
                    Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
    .into_any()
}

#[component]
fn NewProjectForm() -> impl IntoView {
    let create = ServerAction::<CreateProject>::new();
    let errors = FormErrors::from_action(create.value());
    let rows = RwSignal::new(
        EnvironmentDraft::standard_pipeline()
            .into_iter()
            .enumerate()
            .map(|(id, draft)| Row { id, draft })
            .collect::<Vec<_>>(),
    );
    let next_id = StoredValue::new(3usize);
    let interactive = RwSignal::new(false);
    Effect::new(move |_| interactive.set(true));

    // Suggest a slug from the name until someone edits the slug themselves.
    let slug = RwSignal::new(String::new());
    let slug_touched = RwSignal::new(false);

    let position = move |id: usize| rows.with(|r| r.iter().position(|x| x.id == id).unwrap_or(0));

    view! {
        <section class="panel">
            <h1>"New project"</h1>
            <p class="lead">"A project is one deliverable (a service, an app) that moves through its environments in order, for example dev → staging → prod."</p>
            <ActionForm action=create attr:class="form" attr:data-test="project-form">
                <FormAlert errors/>
                <fieldset>
                    <legend>"About the project"</legend>
                    <div class="field">
                        <label for="project-name">"Name"</label>
                        <input id="project-name" name="project[name]" required maxlength="80" data-test="project-name"
                            aria-invalid=move || errors.field("name").map(|_| "true")
                            on:input=move |ev| {
                                if !slug_touched.get_untracked() {
                                    slug.set(ProjectSlug::suggest(&event_target_value(&ev)));
                                }
                            }/>
                        <FieldError errors error_key="name" id="project-name-error"/>
                    </div>
                    <div class="field">
                        <label for="project-slug">"Short name (slug)"</label>
                        <p class="hint" id="project-slug-hint">"Used in addresses and on the command line: lowercase letters, digits and dashes. Leave it empty to derive it from the name."</p>
                        <input id="project-slug" name="project[slug]" maxlength="40" data-test="project-slug"
                            aria-describedby="project-slug-hint"
                            aria-invalid=move || errors.field("slug").map(|_| "true")
                            prop:value=move || slug.get()
                            on:input=move |ev| {
                                slug_touched.set(true);
                                slug.set(event_target_value(&ev));
                            }/>
                        <FieldError errors error_key="slug" id="project-slug-error"/>
                    </div>
                    <TextField label="Description" name="project[description]" error_key="description" errors maxlength=2000
                        hint="One or two sentences for people outside the team."/>
                    <TextField label="Repository URL" name="project[repository_url]" error_key="repository_url" errors maxlength=500
                        hint="Where Slipway reads commits from, e.g. https://git.example.com/team/app.git"/>
                    <TextField label="Repository web URL" name="project[repository_web_url]" error_key="repository_web_url" errors maxlength=500
                        hint="The repository's web page, used to link commits and pull requests."/>
                </fieldset>
                <fieldset>
                    <legend>"Environments, in promotion order"</legend>
                    <p class="hint">"A release enters the first environment and moves down the list. Leave a name empty to skip a row."</p>
                    <FieldError errors error_key="environments" id="environments-error"/>
                    <ol class="env-rows" data-test="environment-rows">
                        <For each=move || rows.get() key=|r| r.id let:row>
                            {
                                let id = row.id;
                                let name_key = move || format!("environments[{}].name", position(id));
                                let tier_key = move || format!("environments[{}].tier", position(id));
                                view! {
                                    <li class="env-row">
                                        <div class="field">
                                            <label for=format!("env-{id}-name")>"Name"</label>
                                            <input id=format!("env-{id}-name")
                                                name=move || format!("environments[{}][name]", position(id))
                                                value=row.draft.name.clone() maxlength="40" data-test="environment-name"
                                                aria-invalid=move || errors.field(&name_key()).map(|_| "true")/>
                                            {move || errors.field(&name_key()).map(|m| view! { <p class="field-error">{m}</p> })}
                                        </div>
                                        <div class="field">
                                            <label for=format!("env-{id}-tier")>"Tier"</label>
                                            {move || view! {
                                                <TierSelect name=format!("environments[{}][tier]", position(id))
                                                    id=format!("env-{id}-tier") selected=row.draft.tier.clone()/>
                                            }}
                                            {move || errors.field(&tier_key()).map(|m| view! { <p class="field-error">{m}</p> })}
                                        </div>
                                        <button type="button" class="button small" hidden=move || !interactive.get()
                                            aria-label=format!("Remove row {}", id + 1)
                                            on:click=move |_| rows.update(|r| r.retain(|x| x.id != id))>"Remove"</button>
                                    </li>
                                }
                            }
                        </For>
                    </ol>
                    <button type="button" class="button" data-test="add-environment" hidden=move || !interactive.get()
                        on:click=move |_| {
                            let id = next_id.get_value();
                            next_id.set_value(id + 1);
                            rows.update(|r| r.push(Row { id, draft: EnvironmentDraft::default() }));
                        }>"Add environment"</button>
                </fieldset>
                <p class="actions">
                    <button type="submit" class="button primary" data-test="create-project" disabled=move || create.pending().get()>"Create project"</button>
                    <a class="button" href="/projects">"Cancel"</a>
                </p>
            </ActionForm>
        </section>
    }
}
