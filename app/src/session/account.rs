use crate::components::{ErrorPanel, FormAlert, FormErrors, Loading, TextField};
use crate::error::AppError;
use crate::use_session;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn AccountPage() -> impl IntoView {
    let Some(session) = use_session() else {
        return ().into_any();
    };
    let action = session.change_password;
    let errors = FormErrors::from_action(action.value());
    let done = move || matches!(action.value().get(), Some(Ok(())));
    let email = Resource::new(|| (), |_| crate::notifications::api::my_email());
    view! {
        <Title text="Your account"/>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match session.user.await {
                    Ok(Some(u)) => view! {
                        <section class="panel narrow">
                            <h1>"Your account"</h1>
                            <p>"Signed in as " <strong>{u.display_name.clone()}</strong> " (" <code>{u.username.clone()}</code> ")."</p>
                            <h2>"Change your password"</h2>
                            <p class="hint">"At least 12 characters. Your other sessions will be signed out."</p>
                            {move || done().then(|| view! { <p class="alert alert-ok" role="status" data-test="password-changed">"Your password has been changed."</p> })}
                            <ActionForm action attr:class="form">
                                <FormAlert errors/>
                                <TextField label="Current password" name="current_password" error_key="current_password"
                                    errors required=true input_type="password" autocomplete="current-password" maxlength=1024/>
                                <TextField label="New password" name="new_password" error_key="new_password"
                                    errors required=true input_type="password" autocomplete="new-password" maxlength=1024/>
                                <TextField label="New password again" name="confirm_password" error_key="confirm_password"
                                    errors required=true input_type="password" autocomplete="new-password" maxlength=1024/>
                                <button type="submit" class="button primary">"Change password"</button>
                            </ActionForm>
                            {match email.await {
                                Ok(current) => view! {
                                    <crate::notifications::email::EmailForm username=u.username.clone() current own=true/>
                                }.into_any(),
                                Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                            }}
                        </section>
                        <crate::tokens::PersonalTokens/>
                    }.into_any(),
                    Ok(None) => view! { <ErrorPanel error=AppError::Unauthenticated/> }.into_any(),
                    Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
    .into_any()
}
