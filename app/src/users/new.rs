use super::api::CreateUser;
use crate::components::{ErrorPanel, FieldError, FormAlert, FormErrors, Loading, TextField};
use crate::error::AppError;
use crate::use_session;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use slipway_domain::Role;

#[component]
pub fn NewUserPage() -> impl IntoView {
    let Some(session) = use_session() else {
        return ().into_any();
    };
    let create = ServerAction::<CreateUser>::new();
    let errors = FormErrors::from_action(create.value());
    view! {
        <Title text="New user"/>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match session.user.await {
                    Ok(Some(u)) if u.is_admin => view! {
                        <section class="panel narrow">
                            <p class="breadcrumb"><a href="/admin/users">"Users"</a></p>
                            <h1>"New user"</h1>
                            <ActionForm action=create attr:class="form" attr:data-test="user-form">
                                <FormAlert errors/>
                                <TextField label="Username" name="username" error_key="username" errors required=true maxlength=64
                                    autocomplete="off" hint="Lowercase letters, digits, dots, dashes and underscores."/>
                                <TextField label="Display name" name="display_name" error_key="display_name" errors maxlength=100
                                    hint="How the person appears in Slipway, e.g. \"Ada Lovelace\"."/>
                                <TextField label="Initial password" name="password" error_key="password" errors required=true
                                    input_type="password" autocomplete="new-password" maxlength=1024
                                    hint="At least 12 characters. Share it privately; they should change it after signing in."/>
                                <div class="field">
                                    <label for="role">"Role for all projects " <span class="optional">"(optional)"</span></label>
                                    <p class="hint" id="role-hint">"You can also grant roles for single projects on the user's page."</p>
                                    <select id="role" name="role" aria-describedby="role-hint">
                                        <option value="">"No role yet"</option>
                                        {Role::ALL.into_iter().map(|r| view! { <option value=r.as_str()>{r.label()} " — " {r.description()}</option> }).collect_view()}
                                    </select>
                                    <FieldError errors error_key="role" id="role-error"/>
                                </div>
                                <p class="actions"><button type="submit" class="button primary">"Create user"</button></p>
                            </ActionForm>
                        </section>
                    }.into_any(),
                    Ok(Some(_)) => view! { <ErrorPanel error=AppError::Forbidden/> }.into_any(),
                    Ok(None) => view! { <ErrorPanel error=AppError::Unauthenticated/> }.into_any(),
                    Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
    .into_any()
}
