use crate::components::{FormAlert, FormErrors, TextField};
use crate::use_session;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn LoginPage() -> impl IntoView {
    let Some(session) = use_session() else {
        return ().into_any();
    };
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let errors = FormErrors::from_action(session.login.value());
    view! {
        <Title text="Sign in"/>
        <section class="panel narrow">
            <h1>"Sign in to Slipway"</h1>
            <p class="lead">"Use the account your administrator gave you."</p>
            <ActionForm action=session.login attr:class="form" attr:data-test="login-form">
                <FormAlert errors/>
                <input type="hidden" name="next" value=next/>
                <TextField label="Username" name="username" error_key="username" errors required=true
                    autocomplete="username" autofocus=true maxlength=64/>
                <TextField label="Password" name="password" error_key="password" errors required=true
                    input_type="password" autocomplete="current-password" maxlength=1024/>
                <button type="submit" class="button primary" disabled=move || session.login.pending().get()>"Sign in"</button>
            </ActionForm>
        </section>
    }
    .into_any()
}
