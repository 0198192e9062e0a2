use super::api::{get_user, GrantRole, RevokeRole, SetUserDisabled};
use crate::components::{ErrorPanel, FieldError, FormAlert, FormErrors, Loading};
use crate::projects::api::list_projects;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use slipway_domain::read::{ProjectSummary, UserSummary};
use slipway_domain::Role;

#[derive(Clone, Copy)]
struct UserActions {
    grant: ServerAction<GrantRole>,
    revoke: ServerAction<RevokeRole>,
    disable: ServerAction<SetUserDisabled>,
}

#[component]
pub fn UserPage() -> impl IntoView {
    let params = use_params_map();
    let username = move || params.read().get("username").unwrap_or_default();
    let actions = UserActions {
        grant: ServerAction::new(),
        revoke: ServerAction::new(),
        disable: ServerAction::new(),
    };
    let user = Resource::new(
        move || {
            (
                username(),
                actions.grant.version().get(),
                actions.revoke.version().get(),
                actions.disable.version().get(),
            )
        },
        |(u, ..)| get_user(u),
    );
    let projects = Resource::new(|| (), |_| list_projects(true));
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match (user.await, projects.await) {
                    (Ok(u), Ok(p)) => view! { <UserView u projects=p actions/> }.into_any(),
                    (Err(e), _) | (_, Err(e)) => view! { <ErrorPanel error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn UserView(u: UserSummary, projects: Vec<ProjectSummary>, actions: UserActions) -> impl IntoView {
    let grant_errors = FormErrors::from_action(actions.grant.value());
    let revoke_errors = FormErrors::from_action(actions.revoke.value());
    let disable_errors = FormErrors::from_action(actions.disable.value());
    let username = u.username.clone();
    let username_for_grant = u.username.clone();
    let grants = u.grants.clone();
    let no_grants = grants.is_empty();
    view! {
        <Title text=u.display_name.clone()/>
        <section class="page-head">
            <p class="breadcrumb"><a href="/admin/users">"Users"</a></p>
            <h1>{u.display_name.clone()}</h1>
            <p class="muted"><code>{u.username.clone()}</code> " · created " {u.created_at.clone()}
                {u.disabled.then(|| view! { " · " <span class="badge">"Disabled"</span> })}</p>
        </section>
        <section class="panel">
            <h2>"Roles"</h2>
            <FormAlert errors=revoke_errors/>
            {if no_grants {
                view! { <p class="empty">"No roles yet: this person can sign in but sees no projects."</p> }.into_any()
            } else {
                view! {
                    <ul class="grants" data-test="grants">
                        {grants.into_iter().map(|g| {
                            let scope = g.project_name.clone().unwrap_or_else(|| "all projects".into());
                            let label = format!("Revoke {} for {}", g.role.label(), scope);
                            let grant_id = g.id.to_string();
                            view! {
                                <li>
                                    <span><strong>{g.role.label()}</strong> " for " {scope.clone()}</span>
                                    <ActionForm action=actions.revoke attr:class="inline">
                                        <input type="hidden" name="grant_id" value=grant_id.clone()/>
                                        <button type="submit" class="button small" aria-label=label.clone()>"Revoke"</button>
                                    </ActionForm>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
            <h3>"Grant a role"</h3>
            <ActionForm action=actions.grant attr:class="form inline-form" attr:data-test="grant-form">
                <FormAlert errors=grant_errors/>
                <input type="hidden" name="username" value=username_for_grant/>
                <div class="field">
                    <label for="grant-role">"Role"</label>
                    <select id="grant-role" name="role" required>
                        {Role::ALL.into_iter().map(|r| view! { <option value=r.as_str() title=r.description()>{r.label()}</option> }).collect_view()}
                    </select>
                    <FieldError errors=grant_errors error_key="role" id="grant-role-error"/>
                </div>
                <div class="field">
                    <label for="grant-project">"Project"</label>
                    <select id="grant-project" name="project">
                        <option value="">"All projects"</option>
                        {projects.into_iter().map(|p| view! { <option value=p.slug>{p.name}</option> }).collect_view()}
                    </select>
                    <FieldError errors=grant_errors error_key="project" id="grant-project-error"/>
                </div>
                <button type="submit" class="button primary">"Grant"</button>
            </ActionForm>
            <details class="help">
                <summary>"What can each role do?"</summary>
                <dl>{Role::ALL.into_iter().map(|r| view! { <dt>{r.label()}</dt><dd>{r.description()}</dd> }).collect_view()}</dl>
            </details>
        </section>
        <section class="panel">
            <crate::notifications::email::EmailForm username=u.username.clone() current=u.email.clone() own=false/>
        </section>
        <section class="panel danger-zone">
            <h2>{if u.disabled { "Enable this account" } else { "Disable this account" }}</h2>
            <p class="hint">"A disabled account cannot sign in, and its open sessions end at once. Its history is kept."</p>
            <ActionForm action=actions.disable attr:class="inline">
                <FormAlert errors=disable_errors/>
                <input type="hidden" name="username" value=username/>
                <input type="hidden" name="disabled" value=(!u.disabled).to_string()/>
                <button type="submit" class="button">{if u.disabled { "Enable account" } else { "Disable account" }}</button>
            </ActionForm>
        </section>
    }
}
