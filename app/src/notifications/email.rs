//! The e-mail address form, on the account page (your own) and on a
//! person's admin page (theirs).

use super::api::SetEmail;
use crate::components::{FormAlert, FormErrors, TextField};
use leptos::form::ActionForm;
use leptos::prelude::*;

#[component]
pub fn EmailForm(
    #[prop(into)] username: String,
    current: Option<String>,
    /// "Your" or the person's name, for the explanation.
    own: bool,
) -> impl IntoView {
    let action = ServerAction::<SetEmail>::new();
    let errors = FormErrors::from_action(action.value());
    let saved = move || matches!(action.value().get(), Some(Ok(())));
    let enabled = Resource::new(|| (), |_| super::api::mail_enabled());
    view! {
        <h2>"E-mail for notifications"</h2>
        <p class="hint">{if own {
            "Sign-off requests, approvals that no longer count and reviews you are named for appear on your dashboard. With an address here they are e-mailed to you too. Leave it empty to get them only on the dashboard."
        } else {
            "Where this person's notifications are e-mailed, besides their dashboard. Leave it empty for the dashboard only."
        }}</p>
        <Suspense>
            {move || Suspend::new(async move {
                matches!(enabled.await, Ok(false)).then(|| view! {
                    <p class="alert alert-warn" data-test="mail-disabled">"This Slipway does not send e-mail yet (an administrator sets smtp_url), so for now notifications appear on the dashboard only. The address is kept for when it does."</p>
                })
            })}
        </Suspense>
        {move || saved().then(|| view! { <p class="alert alert-ok" role="status" data-test="email-saved">"Saved."</p> })}
        <ActionForm action attr:class="form" attr:data-test="email-form">
            <FormAlert errors/>
            <input type="hidden" name="username" value=username/>
            <TextField label="E-mail address" name="email" error_key="email" errors
                input_type="email" autocomplete="email" maxlength=254 value=current.unwrap_or_default()/>
            <button type="submit" class="button">"Save address"</button>
        </ActionForm>
    }
}
