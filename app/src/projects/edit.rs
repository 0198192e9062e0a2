use super::api::{
    get_dependencies, get_project, AddEnvironment, MoveEnvironment, RemoveEnvironment,
    SetDependencies, UpdateEnvironment, UpdateProject,
};
use crate::components::{
    ErrorPanel, FieldError, FormAlert, FormErrors, Loading, TextField, TierSelect,
};
use crate::error::AppError;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use slipway_domain::project::{ProjectDependencies, DEPENDENCIES_FIELD};
use slipway_domain::read::{EnvironmentView, ProjectDetail};

/// Every action on this page; the project reloads after any of them.
#[derive(Clone, Copy)]
struct EditActions {
    update: ServerAction<UpdateProject>,
    add: ServerAction<AddEnvironment>,
    rename: ServerAction<UpdateEnvironment>,
    remove: ServerAction<RemoveEnvironment>,
    reorder: ServerAction<MoveEnvironment>,
}

#[component]
pub fn EditProjectPage() -> impl IntoView {
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let actions = EditActions {
        update: ServerAction::new(),
        add: ServerAction::new(),
        rename: ServerAction::new(),
        remove: ServerAction::new(),
        reorder: ServerAction::new(),
    };
    let project = Resource::new(
        move || {
            (
                slug(),
                actions.add.version().get(),
                actions.rename.version().get(),
                actions.remove.version().get(),
                actions.reorder.version().get(),
            )
        },
        |(s, ..)| get_project(s),
    );
    let set_deps = ServerAction::<SetDependencies>::new();
    // Reload the choices after a save, not after a refusal: then the boxes
    // keep what the person ticked, next to the message.
    let saves = RwSignal::new(0_u32);
    Effect::new(move |_| {
        if matches!(set_deps.value().get(), Some(Ok(()))) {
            saves.update(|n| *n += 1);
        }
    });
    let deps = Resource::new(move || (slug(), saves.get()), |(s, _)| get_dependencies(s));
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match project.await {
                    Ok(p) if p.can_edit => view! { <EditView p actions/> }.into_any(),
                    Ok(_) => view! { <ErrorPanel error=AppError::Forbidden/> }.into_any(),
                    Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                }
            })}
        </Suspense>
        <Suspense>
            {move || Suspend::new(async move {
                match deps.await {
                    Ok(d) if d.can_edit => view! { <DependenciesForm d action=set_deps/> }.into_any(),
                    _ => ().into_any(),
                }
            })}
        </Suspense>
    }
}

/// "This project depends on": a checkbox per other project. Works without
/// JavaScript too (a plain form post that comes back to this page).
#[component]
fn DependenciesForm(
    d: ProjectDependencies,
    action: ServerAction<SetDependencies>,
) -> impl IntoView {
    let errors = FormErrors::from_action(action.value());
    let saved = move || matches!(action.value().get(), Some(Ok(())));
    let described = move || {
        if errors.field(DEPENDENCIES_FIELD).is_some() {
            "depends-on-hint depends-on-error"
        } else {
            "depends-on-hint"
        }
    };
    let hidden = match d.hidden {
        0 => None,
        1 => Some("It also depends on 1 project you cannot see; saving keeps that.".to_owned()),
        n => Some(format!(
            "It also depends on {n} projects you cannot see; saving keeps those."
        )),
    };
    let empty = d.choices.is_empty();
    view! {
        <section class="panel" data-test="dependencies-panel">
            <h2>"Dependencies"</h2>
            <p class="hint" id="depends-on-hint">
                "Tick the projects " {d.name.clone()} " needs in order to work, for example a service whose API it calls. "
                "The release calendar then warns when a release of " {d.name.clone()} " is planned for the same day as a release of a project it depends on, "
                "or of a project that depends on it (also through other projects), so the two can be spaced out. "
                "A project cannot depend on itself, and dependencies cannot go round in a circle."
            </p>
            <ActionForm action attr:class="form" attr:data-test="dependencies-form">
                <FormAlert errors/>
                {move || saved().then(|| view! { <p class="alert alert-ok" role="status">"Saved."</p> })}
                <input type="hidden" name="slug" value=d.slug.clone()/>
                <fieldset aria-describedby=described>
                    <legend>"This project depends on"</legend>
                    {empty.then(|| view! { <p class="muted">"There are no other projects to choose from yet."</p> })}
                    {d.choices.into_iter().map(|c| {
                        let label = c.name.clone();
                        view! {
                            <div class="field checkbox">
                                <label data-test="dependency-choice">
                                    <input type="checkbox" name="depends_on[]" value=c.slug checked=c.checked/>
                                    " " {label}
                                    {c.archived.then(|| view! { " " <span class="badge">"Archived"</span> })}
                                    {c.loop_hint.map(|h| view! { " " <span class="muted">"(" {h} ")"</span> })}
                                </label>
                            </div>
                        }
                    }).collect_view()}
                </fieldset>
                <FieldError errors error_key=DEPENDENCIES_FIELD id="depends-on-error"/>
                {hidden.map(|h| view! { <p class="hint">{h}</p> })}
                <p class="actions"><button type="submit" class="button primary" data-test="save-dependencies">"Save dependencies"</button></p>
            </ActionForm>
        </section>
    }
}

#[component]
fn EditView(p: ProjectDetail, actions: EditActions) -> impl IntoView {
    let errors = FormErrors::from_action(actions.update.value());
    let env_errors = FormErrors::from_action(actions.add.value());
    let row_errors = [
        FormErrors::from_action(actions.rename.value()),
        FormErrors::from_action(actions.remove.value()),
        FormErrors::from_action(actions.reorder.value()),
    ];
    let slug = p.slug.clone();
    let slug_for_update = p.slug.clone();
    let slug_for_add = p.slug.clone();
    let count = p.environments.len();
    view! {
        <Title text=format!("Edit {}", p.name)/>
        <section class="page-head">
            <p class="breadcrumb"><a href="/projects">"Projects"</a> " / " <a href=format!("/projects/{}", p.slug)>{p.name.clone()}</a></p>
            <h1>"Edit " {p.name.clone()}</h1>
        </section>
        <section class="panel">
            <h2>"Project details"</h2>
            <ActionForm action=actions.update attr:class="form" attr:data-test="project-form">
                <FormAlert errors/>
                <input type="hidden" name="slug" value=slug_for_update/>
                <TextField label="Name" name="project[name]" error_key="name" errors required=true maxlength=80 value=p.name.clone()/>
                <TextField label="Short name (slug)" name="project[slug]" error_key="slug" errors required=true maxlength=40
                    value=p.slug.clone() hint="Changing it changes the project's addresses; old links stop working."/>
                <TextField label="Description" name="project[description]" error_key="description" errors maxlength=2000
                    value=p.description.clone()/>
                <TextField label="Repository URL" name="project[repository_url]" error_key="repository_url" errors maxlength=500
                    value=p.repository_url.clone().unwrap_or_default()/>
                <TextField label="Repository web URL" name="project[repository_web_url]" error_key="repository_web_url" errors maxlength=500
                    value=p.repository_web_url.clone().unwrap_or_default()/>
                <p class="actions"><button type="submit" class="button primary">"Save details"</button></p>
            </ActionForm>
        </section>
        <section class="panel">
            <h2>"Environments"</h2>
            <p class="hint">"Releases move through these in order. Rename, re-tier, reorder or remove them here."</p>
            {row_errors.map(|e| view! { <FormAlert errors=e/> })}
            <ol class="env-editor" data-test="environment-editor">
                {p.environments.into_iter().enumerate().map(|(i, e)| view! {
                    <EnvRow env=e index=i count slug=slug.clone() actions/>
                }).collect_view()}
            </ol>
            <h3>"Add an environment"</h3>
            <ActionForm action=actions.add attr:class="form inline-form" attr:data-test="add-environment-form">
                <FormAlert errors=env_errors/>
                <input type="hidden" name="slug" value=slug_for_add/>
                <TextField label="Name" name="environment[name]" error_key="name" errors=env_errors required=true maxlength=40 id="new-env-name"/>
                <div class="field">
                    <label for="new-env-tier">"Tier"</label>
                    <TierSelect name="environment[tier]" id="new-env-tier" selected="development"/>
                </div>
                <button type="submit" class="button">"Add at the end"</button>
            </ActionForm>
        </section>
    }
}

/// The hidden fields that say which environment a row's buttons act on.
#[component]
fn Target(slug: String, id: i64) -> impl IntoView {
    view! {
        <input type="hidden" name="slug" value=slug/>
        <input type="hidden" name="id" value=id.to_string()/>
    }
}

#[component]
fn EnvRow(
    env: EnvironmentView,
    index: usize,
    count: usize,
    slug: String,
    actions: EditActions,
) -> impl IntoView {
    let id = env.id;
    let name_id = format!("env-{id}-name");
    let tier_id = format!("env-{id}-tier");
    let (s1, s2, s3, s4) = (slug.clone(), slug.clone(), slug.clone(), slug);
    let up_label = format!("Move {} earlier", env.name);
    let down_label = format!("Move {} later", env.name);
    let remove_label = format!("Remove {}", env.name);
    let tier = env.tier.as_str();
    let name = env.name;
    view! {
        <li class="env-row" data-test="environment-row">
            <ActionForm action=actions.rename attr:class="inline-form">
                <Target slug=s1.clone() id/>
                <div class="field">
                    <label for=name_id.clone()>"Name"</label>
                    <input id=name_id.clone() name="environment[name]" value=name.clone() required maxlength="40"/>
                </div>
                <div class="field">
                    <label for=tier_id.clone()>"Tier"</label>
                    <TierSelect name="environment[tier]" id=tier_id.clone() selected=tier/>
                </div>
                <button type="submit" class="button small">"Save"</button>
            </ActionForm>
            <div class="row-actions">
                <ActionForm action=actions.reorder attr:class="inline">
                    <Target slug=s2.clone() id/>
                    <input type="hidden" name="direction" value="up"/>
                    <button type="submit" class="button small" disabled=index == 0 aria-label=up_label.clone()>"↑"</button>
                </ActionForm>
                <ActionForm action=actions.reorder attr:class="inline">
                    <Target slug=s3.clone() id/>
                    <input type="hidden" name="direction" value="down"/>
                    <button type="submit" class="button small" disabled=index + 1 == count aria-label=down_label.clone()>"↓"</button>
                </ActionForm>
                <ActionForm action=actions.remove attr:class="inline">
                    <Target slug=s4.clone() id/>
                    <button type="submit" class="button small danger" aria-label=remove_label.clone()>"Remove"</button>
                </ActionForm>
            </div>
        </li>
    }
}
