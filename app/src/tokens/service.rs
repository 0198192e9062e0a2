//! "Service tokens", on a project's page: tokens that belong to the project
//! (for CI), shown only to those who may manage them.

use super::api::{project_tokens, CreateServiceToken, RevokeToken};
use super::parts::{CreateButton, NewSecret, TokenFields, TokenTable};
use crate::components::{FormAlert, FormErrors};
use leptos::form::ActionForm;
use leptos::prelude::*;
use slipway_domain::token::TokenKind;

#[component]
pub fn ServiceTokens(#[prop(into)] slug: Signal<String>) -> impl IntoView {
    let create = ServerAction::<CreateServiceToken>::new();
    let revoke = ServerAction::<RevokeToken>::new();
    let tokens = Resource::new(
        move || (slug.get(), create.version().get(), revoke.version().get()),
        |(s, _, _)| project_tokens(s),
    );
    let errors = FormErrors::from_action(create.value());
    let revoke_errors = FormErrors::from_action(revoke.value());
    let created = move || create.value().get().and_then(Result::ok);
    let done = Callback::new(move |()| create.value().set(None));
    // Nothing at all for those who may not manage them (nor while loading,
    // nor when the project itself fails: the page says so above).
    view! {
        <Transition>
            {move || Suspend::new(async move {
                let Ok(Some(list)) = tokens.await else {
                    return ().into_any();
                };
                let max_days = list.max_days;
                let table = if list.tokens.is_empty() {
                    view! { <p class="empty" data-test="no-tokens">"This project has no service tokens yet."</p> }.into_any()
                } else {
                    view! { <TokenTable tokens=list.tokens revoke kind=TokenKind::Service/> }.into_any()
                };
                view! {
                    <section class="panel token-section" id="service-tokens" data-test="service-tokens">
                        <h2>"Service tokens"</h2>
                        <p>"A service token lets this project\u{2019}s CI pipeline use Slipway\u{2019}s API: create releases, record test results, ask for promotion. "
                            "It belongs to the project, not to a person, so it keeps working when whoever created it leaves or changes role, and what it does is recorded under the token\u{2019}s name."</p>
                        <p class="hint">"It reaches only this project, and only with rights you have here yourself. Only release managers and administrators see this section."</p>
                        {move || created().map(|c| view! { <NewSecret created=c on_done=done/> })}
                        <FormAlert errors=revoke_errors/>
                        {table}
                        // While a new secret is shown, it stands in place of the
                        // form; "I have copied it" brings back an empty one.
                        <Show when=move || created().is_none()>
                            <h3>"Create a service token"</h3>
                            <ActionForm action=create attr:class="form" attr:data-test="create-service-token-form">
                                <FormAlert errors/>
                                <input type="hidden" name="slug" value=slug.get_untracked()/>
                                <TokenFields errors max_days prefix="service-token"
                                    name_hint="Where it is used: \u{201c}GitHub Actions\u{201d}, \u{201c}nightly test run\u{201d}."/>
                                <CreateButton label="Create service token" test="create-service-token" pending=create.pending()/>
                            </ActionForm>
                        </Show>
                    </section>
                }.into_any()
            })}
        </Transition>
    }
}
