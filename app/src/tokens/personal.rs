//! "Your API tokens", on the account page: tokens that act as you.

use super::api::{my_tokens, CreateToken, RevokeToken};
use super::parts::{CreateButton, NewSecret, TokenFields, TokenTable};
use crate::components::{ErrorPanel, FieldError, FormAlert, FormErrors, Loading};
use crate::projects::api::list_projects;
use leptos::form::ActionForm;
use leptos::prelude::*;
use slipway_domain::read::ProjectSummary;
use slipway_domain::token::TokenKind;

#[component]
pub fn PersonalTokens() -> impl IntoView {
    let create = ServerAction::<CreateToken>::new();
    let revoke = ServerAction::<RevokeToken>::new();
    let tokens = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| my_tokens(),
    );
    let projects = Resource::new(|| (), |_| list_projects(false));
    let errors = FormErrors::from_action(create.value());
    let revoke_errors = FormErrors::from_action(revoke.value());
    let created = move || create.value().get().and_then(Result::ok);
    let done = Callback::new(move |()| create.value().set(None));
    view! {
        <section class="panel token-section" id="api-tokens" data-test="personal-tokens">
            <h2>"Your API tokens"</h2>
            <p>"An API token lets a script or a CI job use Slipway\u{2019}s API as you, for example to create releases or record test results. "
                "It can only do what you tick when you create it, never more than you can do yourself, and it stops working when it expires or you revoke it."</p>
            <p class="hint">"For a project\u{2019}s pipeline, a service token (on the project\u{2019}s page, for release managers) is usually better: it keeps working when you leave."</p>
            {move || created().map(|c| view! { <NewSecret created=c on_done=done/> })}
            <FormAlert errors=revoke_errors/>
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    match tokens.await {
                        Ok(list) => {
                            let max_days = list.max_days;
                            let table = if list.tokens.is_empty() {
                                view! { <p class="empty" data-test="no-tokens">"You have no API tokens yet."</p> }.into_any()
                            } else {
                                view! { <TokenTable tokens=list.tokens revoke kind=TokenKind::Personal/> }.into_any()
                            };
                            let choices = StoredValue::new(projects.await.unwrap_or_default());
                            view! {
                                {table}
                                // While a new secret is shown, it stands in place of
                                // the form; "I have copied it" brings back an empty one.
                                <Show when=move || created().is_none()>
                                    <h3>"Create a token"</h3>
                                    <ActionForm action=create attr:class="form" attr:data-test="create-token-form">
                                        <FormAlert errors/>
                                        <TokenFields errors max_days prefix="token"
                                            name_hint="What it is for, so you recognise it later: \u{201c}GitHub Actions, shop deploy\u{201d}."/>
                                        <ProjectChoice choices=choices.get_value() errors/>
                                        <CreateButton label="Create token" test="create-token" pending=create.pending()/>
                                    </ActionForm>
                                </Show>
                            }.into_any()
                        }
                        Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// Which projects a personal token may touch: none ticked means every
/// project its owner can reach, now and later.
#[component]
fn ProjectChoice(choices: Vec<ProjectSummary>, errors: FormErrors) -> impl IntoView {
    let described = move || {
        if errors.field("projects").is_some() {
            "token-projects-hint token-projects-error"
        } else {
            "token-projects-hint"
        }
    };
    view! {
        <fieldset class="token-projects" aria-describedby=described data-test="token-projects">
            <legend>"Only for these projects " <span class="optional">"(optional)"</span></legend>
            <p class="hint" id="token-projects-hint">"Tick none and it reaches every project you can, including ones you are given later. Tick some and it reaches only those."</p>
            {if choices.is_empty() {
                view! { <p class="muted">"You cannot see any projects yet."</p> }.into_any()
            } else {
                view! {
                    <div class="token-project-choices">
                        {choices.into_iter().map(|p| view! {
                            <label class="check">
                                <input type="checkbox" name="projects[]" value=p.slug.clone()/>
                                " " {p.name} " " <code class="muted">{p.slug}</code>
                            </label>
                        }).collect_view()}
                    </div>
                }.into_any()
            }}
            <FieldError errors error_key="projects" id="token-projects-error"/>
        </fieldset>
    }
}
