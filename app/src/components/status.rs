//! Pages and panels for when something is not as expected: not signed in, not
//! allowed, not found, database down. Each sets the HTTP status on the server.

use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;

/// Explains an error to a person, in the page's main area.
#[component]
pub fn ErrorPanel(error: AppError) -> impl IntoView {
    #[cfg(feature = "ssr")]
    {
        if error == AppError::Unauthenticated {
            // A page needs a signed-in person: send them to sign in and back.
            let here = leptos::prelude::use_context::<http::request::Parts>()
                .and_then(|p| p.uri.path_and_query().map(|pq| pq.as_str().to_owned()))
                .unwrap_or_else(|| "/".into());
            crate::server::redirect_to(&format!(
                "/login?next={}",
                super::encode_query_value(&here)
            ));
        } else {
            crate::response::set_status(error.status());
        }
    }
    let (title, body): (&str, String) = match &error {
        AppError::Unauthenticated => (
            "Please sign in",
            "This page is only for signed-in people.".into(),
        ),
        AppError::Forbidden => (
            "You do not have access to this page",
            "Your account's roles do not include this. If you need it, ask an administrator to grant you a role for this project.".into(),
        ),
        AppError::NotFound(_) => ("Not found", error.to_string()),
        AppError::Unavailable => ("Slipway is having trouble", error.to_string()),
        _ => ("Something went wrong", error.to_string()),
    };
    let code = error.status();
    let sign_in = matches!(error, AppError::Unauthenticated);
    view! {
        <Title text=title.to_owned()/>
        <section class="panel status-panel" data-test=format!("status-{code}")>
            <p class="status-code">{code}</p>
            <h1>{title}</h1>
            <p>{body}</p>
            <p class="actions">
                {sign_in.then(|| view! { <a class="button primary" href="/login">"Sign in"</a> })}
                <a class="button" href="/">"Go to the dashboard"</a>
            </p>
        </section>
    }
}

/// The fallback for unknown addresses.
#[component]
pub fn NotFound() -> impl IntoView {
    view! { <ErrorPanel error=AppError::NotFound("page".into())/> }
}

/// Shown while server data loads after client-side navigation.
#[component]
pub fn Loading() -> impl IntoView {
    view! { <p class="loading" aria-live="polite">"Loading…"</p> }
}
